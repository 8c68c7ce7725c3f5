// Small HTTP helpers of the node's server: bounded body reading and replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CryptoassetsError } from '@cryptoassets/core';

/** A request body over its limit, or a request that broke off. */
export class RequestBodyError extends CryptoassetsError {
  override name = 'RequestBodyError';
  readonly status: number;
  constructor(status: number, problem: string) {
    super('REQUEST_BODY', problem);
    this.status = status;
  }
}

/** Reads the whole body, refusing more than `bytesMax` (by header and by count). */
export function readBody(req: IncomingMessage, bytesMax: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (!Number.isFinite(declared) || declared > bytesMax) {
      reject(new RequestBodyError(413, `request body above ${bytesMax} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      bytes += chunk.length;
      if (bytes > bytesMax) {
        settled = true;
        reject(new RequestBodyError(413, `request body above ${bytesMax} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', () => {
      if (settled) return;
      settled = true;
      reject(new RequestBodyError(400, 'request broke off'));
    });
    req.on('aborted', () => {
      if (settled) return;
      settled = true;
      reject(new RequestBodyError(400, 'request broke off'));
    });
  });
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? item.toString() : item,
  );
  send(res, status, 'application/json', text);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Uint8Array,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
  });
  res.end(body);
}

/** After a refused body: answer, then drop the connection so the rest of the body is not read. */
export function refuseBody(
  req: IncomingMessage,
  res: ServerResponse,
  error: RequestBodyError,
): void {
  res.setHeader('connection', 'close');
  sendError(res, error.status, error.shortMessage);
  req.resume();
  setTimeout(() => req.destroy(), 1_000).unref();
}
