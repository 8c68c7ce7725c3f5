// For apps: an HTTP request handler that receives the service's webhooks. It checks the
// signature over the raw body, refuses bodies that are too big, and passes each event id to
// `onEvent` once. A replay of an id already handled is answered 200 without calling `onEvent`
// (a 4xx would make the sender try again until it gives up); the same id arriving while its
// first delivery is still being handled gets 409, so the sender tries again later.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assert } from '@cryptoassets/core';
import type { CryptoassetsEvent } from '@cryptoassets/ledger';
import { eventIdHeader, signatureHeader, verifySignature } from './signature.js';

export const listenerBodyBytesMaxDefault = 64 * 1024;
/** Event ids the default store remembers; the oldest are forgotten first. */
export const seenIdsMaxDefault = 100_000;
const eventIdLengthMax = 200;
const eventNameLengthMax = 64;

/** Remembers the event ids an app has handled. Persist it to survive restarts. */
export type SeenStore = {
  readonly has: (id: string) => boolean | Promise<boolean>;
  readonly add: (id: string) => void | Promise<void>;
};

/** An in-memory store of the last `idsMax` ids. */
export function createMemorySeenStore(idsMax: number = seenIdsMaxDefault): SeenStore {
  assert(Number.isInteger(idsMax) && idsMax > 0, 'idsMax must be a positive whole number');
  const ids = new Set<string>();
  return {
    has: (id) => ids.has(id),
    add: (id) => {
      ids.delete(id);
      ids.add(id);
      while (ids.size > idsMax) {
        const oldest = ids.values().next();
        if (oldest.done) break;
        ids.delete(oldest.value);
      }
    },
  };
}

export type EventListenerOptions = {
  /** The handler's `secret` in the service's configuration. */
  readonly secret: string;
  /** Called once per event id; a throw answers 500 and the service tries again. */
  readonly onEvent: (event: CryptoassetsEvent) => void | Promise<void>;
  readonly seenStore?: SeenStore;
  readonly bodyBytesMax?: number;
  /** Told about a failing `onEvent` or store. */
  readonly onError?: (error: unknown) => void;
};

export type EventRequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A request handler for `http.createServer`. Answers: 200 handled (or already handled),
 * 400 not an event, 401 bad signature, 405 not a POST, 409 same event in progress,
 * 413 body too big, 500 `onEvent` failed.
 */
export function createEventListener(options: EventListenerOptions): EventRequestHandler {
  assert(options.secret.length > 0, 'an event listener needs the secret');
  const seen = options.seenStore ?? createMemorySeenStore();
  const bodyBytesMax = options.bodyBytesMax ?? listenerBodyBytesMaxDefault;
  const inProgress = new Set<string>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'POST') return answer(response, 405, { error: 'POST only' });
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > bodyBytesMax) return tooBig(request, response);
    const body = await readBody(request, bodyBytesMax);
    if (body === undefined) return tooBig(request, response);
    const signature = request.headers[signatureHeader.toLowerCase()];
    if (
      !verifySignature(body, typeof signature === 'string' ? signature : undefined, options.secret)
    )
      return answer(response, 401, { error: 'bad signature' });
    const event = parseEvent(body);
    const headerId = request.headers[eventIdHeader.toLowerCase()];
    if (!event || (headerId !== undefined && headerId !== event.id))
      return answer(response, 400, { error: 'not an event' });
    if (inProgress.has(event.id)) return answer(response, 409, { error: 'in progress' });
    inProgress.add(event.id);
    try {
      if (await seen.has(event.id)) return answer(response, 200, { duplicate: true });
      await options.onEvent(event);
      await seen.add(event.id);
      answer(response, 200, { ok: true });
    } catch (error) {
      options.onError?.(error);
      answer(response, 500, { error: 'event handler failed' });
    } finally {
      inProgress.delete(event.id);
    }
  };

  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) answer(response, 500, { error: 'failed' });
      else response.destroy();
    });
  };
}

/** The body, or undefined once it grows past `bytesMax` (the rest is not kept). */
function readBody(request: IncomingMessage, bytesMax: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes > bytesMax) {
        request.off('data', onData);
        request.off('end', onEnd);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', reject);
  });
}

function tooBig(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('connection', 'close');
  answer(response, 413, { error: 'body too big' });
  request.resume();
}

function answer(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function parseEvent(body: Buffer): CryptoassetsEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, name, created_at, data } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > eventIdLengthMax) return undefined;
  if (typeof name !== 'string' || name.length === 0 || name.length > eventNameLengthMax)
    return undefined;
  if (typeof created_at !== 'string' || typeof data !== 'object' || data === null) return undefined;
  // Signed by the service: past the signature the shape is the service's own.
  return value as CryptoassetsEvent;
}
