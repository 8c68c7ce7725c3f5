import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcError } from './errors.js';
import { answer, createRpcBackendHandler, isRpcPath } from './handler.js';
import { batchRequestsMax, parseRpcRequest } from './request.js';
import type { RpcBackend } from './types.js';

const tipHash = 'ab'.repeat(32);

/** Just enough of a node for the framing tests. */
const backend: RpcBackend = {
  chainName: 'devnet',
  warmingUp: () => false,
  tip: () => ({ height: 7, hash: tipHash, chainWork: 16n }),
  blockHashAt: () => undefined,
  block: () => undefined,
  forkHeight: () => undefined,
  mempoolTxids: () => [],
  validAddress: () => false,
  isMine: () => false,
  labelOf: () => undefined,
  newAddress: () => 'dvt1new',
  balance: () => 123_456_789n,
  receivedByAddress: () => 0n,
  send: () => {
    throw new Error('not here');
  },
  walletTransaction: () => undefined,
  walletEntries: () => [],
  mineBlocks: async () => [],
};

const auth = { user: 'alice', password: 'secret' };
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('rpc over http', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer(createRpcBackendHandler(backend, { auth, bodyBytesMax: 4_096 }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string, body: string, authorization = basic(auth.user, auth.password)) =>
    fetch(`${url}${path}`, { method: 'POST', body, headers: { authorization } });

  it('answers a 1.0 call with result, error and id, amounts exact', async () => {
    const response = await post(
      '/',
      '{"jsonrpc":"1.0","id":"x","method":"getbalance","params":[]}',
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"result":1.23456789,"error":null,"id":"x"}');
  });

  it('accepts the wallet and /rpc paths and refuses others', async () => {
    for (const path of ['/wallet/cryptoassets', '/wallet/a%20b', '/rpc']) {
      const response = await post(path, '{"id":1,"method":"getblockcount"}');
      expect(await response.json()).toEqual({ result: 7, error: null, id: 1 });
    }
    expect((await post('/other', '{"id":1,"method":"getblockcount"}')).status).toBe(404);
    expect(isRpcPath(`/wallet/${'x'.repeat(65)}`)).toBe(false);
  });

  it('refuses a wrong password, GET and an oversized body', async () => {
    const wrong = await post('/', '{"id":1,"method":"getblockcount"}', basic('alice', 'nope'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/Basic/);
    expect((await post('/', '{}', '')).status).toBe(401);
    expect(
      (await fetch(`${url}/`, { headers: { authorization: basic('alice', 'secret') } })).status,
    ).toBe(405);
    expect((await post('/', `"${'x'.repeat(5_000)}"`)).status).toBe(413);
  });

  it("answers errors with bitcoind's codes and HTTP statuses", async () => {
    const missing = await post('/', '{"id":2,"method":"nosuch","params":[]}');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      result: null,
      error: { code: -32601, message: 'Method not found' },
      id: 2,
    });
    const broken = await post('/', '{"id":');
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const badParam = await post('/', '{"id":3,"method":"getblockhash","params":["x"]}');
    expect(badParam.status).toBe(500);
    expect(((await badParam.json()) as { error: { code: number } }).error.code).toBe(-3);
  });

  it('answers batches in order and 2.0 calls with HTTP 200', async () => {
    const body = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'getblockcount' },
      { jsonrpc: '2.0', id: 2, method: 'nosuch' },
      { jsonrpc: '2.0', method: 'getblockcount' },
      { id: 4, method: 'getbestblockhash' },
    ]);
    const response = await post('/', body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { jsonrpc: '2.0', result: 7, id: 1 },
      { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 2 },
      { result: tipHash, error: null, id: 4 },
    ]);
  });
});

describe('parseRpcRequest', () => {
  it('refuses empty and oversized batches', () => {
    expect(() => parseRpcRequest('[]')).toThrow(RpcError);
    const many = JSON.stringify(Array.from({ length: batchRequestsMax + 1 }, () => ({})));
    expect(() => parseRpcRequest(many)).toThrow(/Batch/);
  });

  it('marks calls without a method or with bad params as invalid requests', () => {
    for (const body of ['1', '{"id":1}', '{"method":5}', '{"method":"x","params":7}']) {
      const parsed = parseRpcRequest(body);
      expect(parsed.batch).toBe(false);
      if (!parsed.batch) expect(parsed.call.ok).toBe(false);
    }
  });

  it('never fails with anything but an RpcError, whatever the body (fuzz)', async () => {
    const bodies = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.json({ maxDepth: 4 }),
      fc
        .record({
          jsonrpc: fc.constantFrom('1.0', '2.0', 'x', undefined),
          id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
          method: fc.oneof(fc.constantFrom('getblockcount', 'getbalance', 'getblock'), fc.string()),
          params: fc.oneof(fc.array(fc.jsonValue({ maxDepth: 2 })), fc.jsonValue({ maxDepth: 2 })),
        })
        .map((call) => JSON.stringify(call)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const { status, text } = await answer(backend, body);
        expect([200, 204, 400, 404, 500]).toContain(status);
        if (status !== 204) expect(() => JSON.parse(text)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
