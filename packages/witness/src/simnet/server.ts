// One simulated API node: an HTTP JSON-RPC server on 127.0.0.1 (ephemeral port) over the shared
// chain, with its own failure controls (stale view, dropped connections).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChainView, SimChain } from './chain.js';
import { assertCode, dispatch, RpcFault } from './rpc.js';
import type { SimApiNode } from './types.js';

/** Largest request body accepted. */
export const requestBytesMax = 64 * 1024;
/** Requests served at once by one node (synchronous broadcasts wait for a block). */
export const requestsInFlightMax = 64;

export async function startApiNode(chain: SimChain): Promise<SimApiNode> {
  let frozen: ChainView | undefined;
  let drop: number = 0;
  let inFlight = 0;
  const access = {
    chain,
    view: () => frozen ?? chain,
    stale: () => frozen !== undefined,
  };
  const server = http.createServer((request, response) => {
    if (drop > 0 && Math.random() < drop) {
      request.socket.destroy();
      return;
    }
    if (inFlight >= requestsInFlightMax) {
      reply(response, 503, {
        jsonrpc: '2.0',
        id: null,
        error: { code: assertCode, message: 'busy' },
      });
      return;
    }
    inFlight++;
    response.on('close', () => {
      inFlight--;
    });
    serve(access, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    setStale(stale: boolean) {
      frozen = stale ? (frozen ?? chain.snapshot()) : undefined;
    },
    dropRequests(value: boolean | number) {
      const fraction = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      if (!(fraction >= 0 && fraction <= 1)) throw new RangeError('drop fraction outside [0, 1]');
      drop = fraction;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function serve(
  access: Parameters<typeof dispatch>[0],
  request: http.IncomingMessage,
  response: http.ServerResponse,
): void {
  if (request.method !== 'POST') {
    reply(response, 405, { error: 'POST JSON-RPC only' });
    return;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > requestBytesMax) {
      reply(response, 413, rpcError(null, assertCode, `request above ${requestBytesMax} bytes`));
      request.destroy();
      return;
    }
    chunks.push(chunk);
  });
  request.on('end', () => {
    if (bytes > requestBytesMax) return;
    void answer(access, Buffer.concat(chunks).toString('utf8')).then((body) =>
      reply(response, 200, body),
    );
  });
}

async function answer(access: Parameters<typeof dispatch>[0], text: string): Promise<unknown> {
  let call: { id?: unknown; method?: unknown; params?: unknown };
  try {
    call = JSON.parse(text) as typeof call;
  } catch {
    return rpcError(null, -32700, 'Parse error');
  }
  const id = typeof call?.id === 'number' || typeof call?.id === 'string' ? call.id : null;
  if (typeof call?.method !== 'string') return rpcError(id, -32600, 'Invalid Request');
  try {
    const result = await dispatch(access, call.method, call.params);
    return { jsonrpc: '2.0', id, result: result ?? null };
  } catch (error) {
    if (error instanceof RpcFault) return rpcError(id, error.code, error.message);
    const message = error instanceof Error ? error.message : String(error);
    return rpcError(id, assertCode, message);
  }
}

function rpcError(id: unknown, code: number, message: string): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    error: { code, message, data: { code, name: 'assert_exception', message } },
  };
}

function reply(response: http.ServerResponse, status: number, body: unknown): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
  });
  response.end(text);
}
