// One JSON-RPC 2.0 call over HTTP to one API node: a timeout, a bounded response body, and the
// answer checked to be a JSON-RPC envelope before its result is handed on.
import http from 'node:http';
import https from 'node:https';
import { ChainResponseError, NodeRpcError } from './errors.js';
import { parseRpcEnvelope } from './parse.js';

/** Largest response body read from an API node. */
export const responseBytesMax = 4 * 1024 * 1024;
/** Largest request body sent (a signed witness update is well under 2 KiB). */
export const requestBytesMax = 256 * 1024;

/** An attempt that got no JSON-RPC answer; `mayHaveArrived` matters only for broadcasts. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    readonly problem: string,
    readonly mayHaveArrived: boolean,
  ) {
    super(problem);
  }
}

export type RpcCall = {
  readonly url: string;
  readonly method: string;
  readonly params: unknown;
  readonly timeoutMs: number;
  readonly id: number;
};

/** Posts one call; resolves with `result`, rejects with TransportError, NodeRpcError or ChainResponseError. */
export async function rpcCall(call: RpcCall): Promise<unknown> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: call.id,
    method: call.method,
    params: call.params,
  });
  if (Buffer.byteLength(body) > requestBytesMax) {
    throw new TransportError(`request above ${requestBytesMax} bytes`, false);
  }
  const { status, text } = await post(call.url, body, call.timeoutMs);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ChainResponseError(call.method, `HTTP ${status}, body is not JSON`);
  }
  const envelope = parseRpcEnvelope(call.method, json);
  if (envelope.error !== undefined) {
    throw new NodeRpcError(call.method, envelope.error.code, envelope.error.message);
  }
  if (status < 200 || status >= 300) {
    throw new ChainResponseError(call.method, `HTTP ${status}`);
  }
  return envelope.result;
}

function post(
  href: string,
  body: string,
  timeoutMs: number,
): Promise<{ readonly status: number; readonly text: string }> {
  const url = new URL(href);
  const transport = url.protocol === 'https:' ? https : http;
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    let sent = false;
    const finish = (error: Error | undefined, value?: { status: number; text: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request.destroy();
        reject(error);
      } else if (value) resolve(value);
    };
    const timer = setTimeout(() => {
      finish(new TransportError(`no answer within ${timeoutMs} ms`, sent));
    }, timeoutMs);
    const request = transport.request(
      url,
      { method: 'POST', headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > responseBytesMax) {
            finish(new ChainResponseError('answer', `response above ${responseBytesMax} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => finish(new TransportError(error.message, true)));
        response.on('end', () => {
          finish(undefined, {
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      const refused = error.code === 'ECONNREFUSED' || error.code === 'ENOTFOUND';
      finish(new TransportError(error.code ?? error.message, sent && !refused));
    });
    request.end(body, () => {
      sent = true;
    });
  });
}
