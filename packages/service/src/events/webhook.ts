// The HTTP webhook handler: POSTs the event as JSON, signed; any 2xx answer means delivered.
import http from 'node:http';
import https from 'node:https';
import type { CryptoassetsEvent } from '@cryptoassets/ledger';
import {
  describeError,
  EventDeliveryFailed,
  type EventHandler,
  serializeEvent,
} from './handler.js';
import { eventIdHeader, eventNameHeader, signatureHeader, signBody } from './signature.js';

/** Most bytes of a receiver's answer that are read (to quote it in the failure record). */
export const webhookResponseBytesMax = 2_048;
/** Connections kept open to one webhook URL (deliveries to a handler run one at a time). */
export const webhookSocketsMax = 2;

export type WebhookHandlerOptions = {
  readonly name: string;
  readonly url: string;
  /** Signs each body with HMAC-SHA256 when set. */
  readonly secret?: string | undefined;
  /** The whole request, answer included, must finish within this. */
  readonly timeoutMs: number;
};

export function createWebhookHandler(options: WebhookHandlerOptions): EventHandler {
  const { name, url, secret, timeoutMs } = options;
  const shownUrl = displayUrl(url);
  const target = parseTarget(name, url, shownUrl);
  const transport = target.protocol === 'https:' ? https : http;
  // Kept-alive connections: a new TCP (and TLS) handshake per event costs more than the POST.
  const agent = new transport.Agent({ keepAlive: true, maxSockets: webhookSocketsMax });
  return {
    name,
    deliver: async (event: CryptoassetsEvent) => {
      const body = serializeEvent(event);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        [eventIdHeader]: event.id,
        [eventNameHeader]: event.name,
      };
      if (secret !== undefined) headers[signatureHeader] = signBody(body, secret);
      let answer: WebhookAnswer;
      try {
        answer = await post({ transport, agent, target, headers, body, timeoutMs });
      } catch (error) {
        throw new EventDeliveryFailed(name, `POST ${shownUrl}: ${describeError(error)}`, {
          cause: error,
        });
      }
      if (answer.status < 200 || answer.status > 299)
        throw new EventDeliveryFailed(
          name,
          `POST ${shownUrl} answered ${answer.status}${answer.text ? `: ${answer.text}` : ''}`,
        );
    },
  };
}

type WebhookAnswer = { readonly status: number; readonly text: string };

type PostOptions = {
  /** For the whole POST: a second try gets what the first left. */
  readonly transport: typeof http | typeof https;
  readonly agent: http.Agent;
  readonly target: URL;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
};

/** A reused connection that the receiver had closed while idle: safe to try on a new one. */
class StaleConnection extends Error {}

/**
 * One POST. When a kept-alive connection turns out closed by the receiver before any answer, the
 * POST goes once more on a new connection: a webhook may arrive twice, never not at all.
 */
async function post(options: PostOptions): Promise<WebhookAnswer> {
  const deadlineMs = Date.now() + options.timeoutMs;
  try {
    return await postOnce(options);
  } catch (error) {
    const leftMs = deadlineMs - Date.now();
    if (!(error instanceof StaleConnection) || leftMs <= 0) throw error;
    return postOnce({ ...options, timeoutMs: leftMs });
  }
}

/** Sends the request; reads at most `webhookResponseBytesMax` of the answer and stops there. */
function postOnce(options: PostOptions): Promise<WebhookAnswer> {
  const { transport, agent, target, headers, body, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const request = transport.request(target, { method: 'POST', headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const finish = () => {
        const text = Buffer.concat(chunks).subarray(0, webhookResponseBytesMax).toString('utf8');
        settle(() => resolve({ status: response.statusCode ?? 0, text: text.trim() }));
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        bytes += chunk.length;
        if (bytes < webhookResponseBytesMax) return;
        // Enough to quote: stop the transfer instead of draining an unbounded answer.
        finish();
        response.destroy();
      });
      response.on('end', finish);
      response.on('error', (error) => settle(() => reject(error)));
      response.on('close', () =>
        settle(() => reject(new Error('the connection closed before the answer ended'))),
      );
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      const stale = request.reusedSocket && error.code === 'ECONNRESET';
      settle(() => reject(stale ? new StaleConnection(error.message, { cause: error }) : error));
    });
    request.end(body);
  });
}

function parseTarget(name: string, url: string, shownUrl: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    throw new EventDeliveryFailed(name, `${shownUrl}: not a URL`, { cause });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new EventDeliveryFailed(name, `${shownUrl}: expected an http or https URL`);
  return target;
}

/** The URL without credentials, query or fragment, for messages. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(bad url)';
  }
}
