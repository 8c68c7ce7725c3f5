import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BitcoindConnectionError, BitcoindResponseError, BitcoindRpcError } from './errors.js';
import { RpcClient } from './rpc-client.js';

type Handler = (
  request: { method: string; params: unknown[]; id: unknown; path: string; auth: string },
  response: ServerResponse,
  raw: IncomingMessage,
) => void;

type FakeNode = { readonly url: string; readonly port: number; calls: string[] };

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A local HTTP server speaking just enough JSON-RPC; counts the calls it receives. */
async function fakeNode(handler: Handler, port = 0): Promise<FakeNode> {
  const calls: string[] = [];
  const server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        method: string;
        params: unknown[];
        id: unknown;
      };
      calls.push(body.method);
      handler(
        { ...body, path: raw.url ?? '', auth: raw.headers.authorization ?? '' },
        response,
        raw,
      );
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return { url: `http://alice:s3cret@127.0.0.1:${actual}/wallet/w1`, port: actual, calls };
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(body);
}

const answer: Handler = (request, response) =>
  reply(
    response,
    200,
    `{"result":{"amount":0.12345678,"big":20999999.99999999},"error":null,"id":${JSON.stringify(request.id)}}`,
  );

/** A port nothing listens on (it was free a moment ago). */
async function deadPort(): Promise<number> {
  const node = await fakeNode(answer);
  const server = servers.pop()!;
  await new Promise((resolve) => server.close(resolve));
  return node.port;
}

describe('RpcClient', () => {
  it('posts JSON-RPC with basic auth to the wallet path and keeps amounts exact', async () => {
    const seen: { path: string; auth: string; params: unknown[] }[] = [];
    const node = await fakeNode((request, response) => {
      seen.push(request);
      answer(request, response, undefined as never);
    });
    const client = new RpcClient({ url: node.url });
    const result = await client.call('gettransaction', ['ab', true]);
    expect(result).toEqual({ amount: '0.12345678', big: '20999999.99999999' });
    expect(seen[0]?.path).toBe('/wallet/w1');
    expect(seen[0]?.auth).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    expect(seen[0]?.params).toEqual(['ab', true]);
    expect(client.node).not.toContain('s3cret');
    expect(client.forWallet('other w').forNode().node).toBe(
      `http://alice:***@127.0.0.1:${node.port}/`,
    );
  });

  it("turns the node's error into BitcoindRpcError with its code, the node and the method", async () => {
    const node = await fakeNode((request, response) =>
      reply(
        response,
        500,
        `{"result":null,"error":{"code":-18,"message":"Requested wallet does not exist or is not loaded"},"id":${JSON.stringify(request.id)}}`,
      ),
    );
    const error = await rejection(
      new RpcClient({ url: node.url }).call('getbalance'),
      BitcoindRpcError,
    );
    expect(error.rpcCode).toBe(-18);
    expect(error.code).toBe('BITCOIND_RPC');
    expect(error.message).toContain('getbalance');
    expect(error.message).toContain(`127.0.0.1:${node.port}`);
    expect(error.message).not.toContain('s3cret');
    expect(node.calls).toEqual(['getbalance']);
  });

  it('reports a refused password, a body that is not JSON and a body too large', async () => {
    const unauthorized = await fakeNode((_request, response) => reply(response, 401, ''));
    await expect(new RpcClient({ url: unauthorized.url }).call('getblockcount')).rejects.toThrow(
      BitcoindResponseError,
    );
    const garbage = await fakeNode((_request, response) => reply(response, 500, '<html>'));
    await expect(new RpcClient({ url: garbage.url }).call('getblockcount')).rejects.toThrow(
      /not JSON/,
    );
    const big = await fakeNode(answer);
    const error = await rejection(
      new RpcClient({ url: big.url, responseBytesMax: 20 }).call('getblockcount'),
      BitcoindResponseError,
    );
    expect(error.message).toMatch(/above 20 bytes/);
  });

  it('retries a refused connection of a read until the node is up', async () => {
    const port = await deadPort();
    const client = new RpcClient({
      url: `http://alice:s3cret@127.0.0.1:${port}/`,
      retriesMax: 8,
      retryDelayMs: 50,
    });
    const pending = client.call('getblockcount');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const node = await fakeNode(answer, port);
    await expect(pending).resolves.toEqual({ amount: '0.12345678', big: '20999999.99999999' });
    expect(node.calls).toEqual(['getblockcount']);
  });

  it('gives up on a refused connection after the bounded retries', async () => {
    const port = await deadPort();
    const url = `http://alice:s3cret@127.0.0.1:${port}/`;
    const error = await rejection(
      new RpcClient({ url, retriesMax: 2, retryDelayMs: 10 }).call('getblockcount'),
      BitcoindConnectionError,
    );
    expect(error.attempts).toBe(3);
    expect(error.requestMayHaveArrived).toBe(false);
    expect(error.message).toMatch(/getblockcount: connection refused \(3 attempts\)/);
    expect(error.message).not.toContain('s3cret');
  });

  it('never retries sendmany, not even a refused connection', async () => {
    const port = await deadPort();
    const url = `http://alice:s3cret@127.0.0.1:${port}/`;
    const error = await rejection(
      new RpcClient({ url, retriesMax: 5, retryDelayMs: 10 }).call('sendmany', [
        '',
        { a: '1.00000000' },
      ]),
      BitcoindConnectionError,
    );
    expect(error.attempts).toBe(1);
  });

  it('retries a reset connection of a read, but not of sendmany', async () => {
    let resets = 1;
    const handler: Handler = (request, response, raw) => {
      if (resets-- > 0) {
        raw.socket.destroy();
        return;
      }
      answer(request, response, raw);
    };
    const node = await fakeNode(handler);
    const client = new RpcClient({ url: node.url, retriesMax: 3, retryDelayMs: 10 });
    await expect(client.call('listsinceblock')).resolves.toBeDefined();
    expect(node.calls).toEqual(['listsinceblock', 'listsinceblock']);

    resets = 1;
    node.calls.length = 0;
    const error = await rejection(client.call('sendmany', ['', {}]), BitcoindConnectionError);
    expect(error.requestMayHaveArrived).toBe(true);
    expect(node.calls).toEqual(['sendmany']);
  });

  it('times out a silent node, retrying reads only', async () => {
    const node = await fakeNode(() => undefined);
    const client = new RpcClient({
      url: node.url,
      timeoutMs: 150,
      retriesMax: 1,
      retryDelayMs: 10,
    });
    const read = await rejection(client.call('getbestblockhash'), BitcoindConnectionError);
    expect(read.message).toMatch(/no complete answer within 150 ms \(2 attempts\)/);
    expect(node.calls).toEqual(['getbestblockhash', 'getbestblockhash']);

    node.calls.length = 0;
    const send = await rejection(client.call('sendtoaddress', ['x', '1']), BitcoindConnectionError);
    expect(send.requestMayHaveArrived).toBe(true);
    expect(node.calls).toEqual(['sendtoaddress']);
  });
});

/** The error `promise` rejects with, checked to be an instance of `type`. */
async function rejection<E>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}
