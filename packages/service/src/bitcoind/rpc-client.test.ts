import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BitcoindConnectionError, BitcoindResponseError, BitcoindRpcError } from './errors.js';
import { batchCallsMax, RpcClient } from './rpc-client.js';

type RpcRequest = { method: string; params: unknown[]; id: unknown };

/** `batch` holds the calls of an array body (then `method` is empty); undefined otherwise. */
type Handler = (
  request: RpcRequest & { path: string; auth: string; batch: RpcRequest[] | undefined },
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

/**
 * A local HTTP server speaking just enough JSON-RPC, single calls and batches (array bodies);
 * records the method of every call it receives, each call of a batch on its own.
 */
async function fakeNode(handler: Handler, port = 0): Promise<FakeNode> {
  const calls: string[] = [];
  const server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RpcRequest | RpcRequest[];
      const batch = Array.isArray(body) ? body : undefined;
      const single = Array.isArray(body) ? { method: '', params: [], id: null } : body;
      calls.push(...(batch ?? [single]).map((call) => call.method));
      handler(
        { ...single, batch, path: raw.url ?? '', auth: raw.headers.authorization ?? '' },
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

describe('RpcClient.callBatch', () => {
  const txid = (n: number): string => n.toString(16).padStart(64, '0');

  /** Answers each call of a batch with its own first parameter, in the order `arrange` gives. */
  const echoBatch =
    (arrange: (calls: RpcRequest[]) => RpcRequest[] = (calls) => calls): Handler =>
    (request, response) => {
      const items = arrange([...(request.batch ?? [])]).map(
        (call) =>
          `{"result":{"txid":${JSON.stringify(call.params[0])},"amount":0.00000001},"error":null,"id":${JSON.stringify(call.id)}}`,
      );
      reply(response, 200, `[${items.join(',')}]`);
    };

  it('sends one array request and returns the answers in call order, whatever the answer order', async () => {
    const requests: RpcRequest[][] = [];
    const reversed = echoBatch((calls) => calls.reverse());
    const node = await fakeNode((request, response, raw) => {
      requests.push(request.batch ?? []);
      reversed(request, response, raw);
    });
    const client = new RpcClient({ url: node.url });
    const answers = await client.callBatch('gettransaction', [
      [txid(1), true],
      [txid(2), true],
      [txid(3), true],
    ]);
    expect(answers).toEqual([
      { ok: true, result: { txid: txid(1), amount: '0.00000001' } },
      { ok: true, result: { txid: txid(2), amount: '0.00000001' } },
      { ok: true, result: { txid: txid(3), amount: '0.00000001' } },
    ]);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.map((call) => call.params)).toEqual([
      [txid(1), true],
      [txid(2), true],
      [txid(3), true],
    ]);
    expect(new Set(requests[0]?.map((call) => call.id)).size).toBe(3);
    expect(node.calls).toEqual(['gettransaction', 'gettransaction', 'gettransaction']);

    // Ids keep growing across requests: a second batch is matched by its own ids.
    const again = await client.callBatch('gettransaction', [[txid(4), true]]);
    expect(again).toEqual([{ ok: true, result: { txid: txid(4), amount: '0.00000001' } }]);
    expect(requests[1]?.[0]?.id).not.toBe(requests[0]?.[0]?.id);
  });

  it('makes the error of one call the answer of that call alone, with its rpcCode', async () => {
    const node = await fakeNode((request, response) => {
      const items = (request.batch ?? []).map((call, index) =>
        index === 1
          ? `{"result":null,"error":{"code":-5,"message":"Invalid or non-wallet transaction id"},"id":${JSON.stringify(call.id)}}`
          : `{"result":${index},"error":null,"id":${JSON.stringify(call.id)}}`,
      );
      reply(response, 200, `[${items.join(',')}]`);
    });
    const answers = await new RpcClient({ url: node.url }).callBatch('gettransaction', [
      [txid(1)],
      [txid(2)],
      [txid(3)],
    ]);
    expect(answers.map((answer) => answer.ok)).toEqual([true, false, true]);
    expect(answers[0]).toEqual({ ok: true, result: 0 });
    expect(answers[2]).toEqual({ ok: true, result: 2 });
    const failed = answers[1];
    expect(failed?.ok).toBe(false);
    if (failed?.ok !== false) throw new Error('expected the second call to fail');
    expect(failed.error).toBeInstanceOf(BitcoindRpcError);
    expect(failed.error.rpcCode).toBe(-5);
    expect(failed.error.method).toBe('gettransaction');
    expect(failed.error.message).toContain('Invalid or non-wallet transaction id');
  });

  it('refuses to batch a call that moves money, and batches of 0 or above batchCallsMax calls', async () => {
    const node = await fakeNode(echoBatch());
    const client = new RpcClient({ url: node.url });
    await expect(client.callBatch('sendmany', [['', { a: '1.0' }]])).rejects.toThrow(/sendmany/);
    await expect(client.callBatch('sendtoaddress', [['x', '1']])).rejects.toThrow();
    await expect(client.callBatch('gettransaction', [])).rejects.toThrow(/1\.\.100/);
    const tooMany = Array.from({ length: batchCallsMax + 1 }, (_, n) => [txid(n)]);
    await expect(client.callBatch('gettransaction', tooMany)).rejects.toThrow(/1\.\.100/);
    expect(node.calls).toEqual([]);

    const most = await client.callBatch('gettransaction', tooMany.slice(1));
    expect(most).toHaveLength(batchCallsMax);
    expect(most.at(-1)).toEqual({
      ok: true,
      result: { txid: txid(batchCallsMax), amount: '0.00000001' },
    });
  });

  it('refuses an answer that leaves a call out or answers an id it was not asked', async () => {
    const missing = await fakeNode(echoBatch((calls) => calls.slice(0, -1)));
    const left = await rejection(
      new RpcClient({ url: missing.url }).callBatch('gettransaction', [[txid(1)], [txid(2)]]),
      BitcoindResponseError,
    );
    expect(left.message).toMatch(/without call 1/);

    const unknown = await fakeNode(
      echoBatch((calls) =>
        calls.map((call, index) => (index === 0 ? { ...call, id: 9_999 } : call)),
      ),
    );
    const stranger = await rejection(
      new RpcClient({ url: unknown.url }).callBatch('gettransaction', [[txid(1)], [txid(2)]]),
      BitcoindResponseError,
    );
    expect(stranger.message).toMatch(/unknown id/);

    const twice = await fakeNode(
      echoBatch((calls) => calls.map((call) => ({ ...call, id: calls[0]?.id }))),
    );
    await expect(
      new RpcClient({ url: twice.url }).callBatch('gettransaction', [[txid(1)], [txid(2)]]),
    ).rejects.toThrow(BitcoindResponseError);
  });

  it('throws the error of a node that refuses the whole batch as BitcoindRpcError', async () => {
    const node = await fakeNode((_request, response) =>
      reply(
        response,
        500,
        '{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}',
      ),
    );
    const error = await rejection(
      new RpcClient({ url: node.url }).callBatch('gettransaction', [[txid(1)], [txid(2)]]),
      BitcoindRpcError,
    );
    expect(error.rpcCode).toBe(-32700);
    expect(error.method).toBe('gettransaction');
  });

  it('reports a refused password as BitcoindResponseError with the HTTP status', async () => {
    const node = await fakeNode((_request, response) => reply(response, 401, ''));
    const error = await rejection(
      new RpcClient({ url: node.url }).callBatch('gettransaction', [[txid(1)]]),
      BitcoindResponseError,
    );
    expect(error.httpStatus).toBe(401);
    expect(error.message).toMatch(/HTTP 401/);
    expect(error.message).not.toContain('s3cret');
  });

  it('retries a batch whose connection was reset, like a single read', async () => {
    let resets = 1;
    const echo = echoBatch();
    const node = await fakeNode((request, response, raw) => {
      if (resets-- > 0) {
        raw.socket.destroy();
        return;
      }
      echo(request, response, raw);
    });
    const client = new RpcClient({ url: node.url, retriesMax: 3, retryDelayMs: 10 });
    const answers = await client.callBatch('gettransaction', [[txid(1)], [txid(2)]]);
    expect(answers.map((answer) => answer.ok)).toEqual([true, true]);
    expect(node.calls).toEqual([
      'gettransaction',
      'gettransaction',
      'gettransaction',
      'gettransaction',
    ]);
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
