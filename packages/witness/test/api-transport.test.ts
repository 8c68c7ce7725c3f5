// The API client against scripted JSON-RPC nodes: fallbacks for missing methods, broadcast retries
// that meet a duplicate, bounded and malformed answers, and whatever bytes a node may send.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidValueError } from '@cryptoassets/core';
import {
  BroadcastRejectedError,
  chainProfiles,
  createChainClient,
  formatExpiration,
  NodesUnreachableError,
  publicKeyOf,
  setPropertiesOp,
  signTransaction,
  transactionId,
  witnessUpdateOp,
} from '@cryptoassets/witness';
import { testSecret } from '@cryptoassets/witness/testing';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

const hive = chainProfiles.hive;
type Reply = (method: string, params: unknown) => unknown | 'hang' | { raw: string };
const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
});

/** A node that answers each call with `reply(method, params)`: a result, an error, raw bytes or nothing. */
async function scripted(reply: Reply): Promise<{ url: string; calls: string[] }> {
  const calls: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call = JSON.parse(Buffer.concat(chunks).toString()) as {
        id: number;
        method: string;
        params: unknown;
      };
      calls.push(call.method);
      const answer = reply(call.method, call.params);
      if (answer === 'hang') return;
      const body =
        typeof answer === 'object' && answer !== null && 'raw' in answer
          ? String(answer.raw)
          : JSON.stringify(
              typeof answer === 'object' && answer !== null && 'error' in answer
                ? { jsonrpc: '2.0', id: call.id, ...answer }
                : { jsonrpc: '2.0', id: call.id, result: answer },
            );
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, calls };
}

const bitshares = chainProfiles.bitshares;

function bitsharesTx() {
  const witness = {
    id: '1.6.1',
    witness_account: '1.2.100',
    url: '',
    signing_key: publicKeyOf(testSecret('a'), 'BTS'),
  };
  const op = witnessUpdateOp(bitshares, witness, publicKeyOf(testSecret('b'), 'BTS'), {
    amount: 2_000_000,
    asset_id: '1.3.0',
  });
  const unsigned = {
    ref_block_num: 1,
    ref_block_prefix: 2,
    expiration: formatExpiration(Math.floor(Date.now() / 1000) + 60),
    operations: [op],
    extensions: [],
  };
  return signTransaction(bitshares, unsigned, [testSecret('active')]);
}

function tx() {
  const op = setPropertiesOp(hive, {
    owner: 'alice',
    currentKey: publicKeyOf(testSecret('a'), 'STM'),
    newKey: publicKeyOf(testSecret('b'), 'STM'),
  });
  const unsigned = {
    ref_block_num: 1,
    ref_block_prefix: 2,
    expiration: formatExpiration(Math.floor(Date.now() / 1000) + 60),
    operations: [op],
    extensions: [],
  };
  return signTransaction(hive, unsigned, [testSecret('a')]);
}

const missing = { error: { code: -32601, message: 'Could not find method x' } };

describe('client fallbacks', () => {
  it('broadcasts on the Steem family with condenser_api.broadcast_transaction', async () => {
    const node = await scripted(() => ({}));
    const client = createChainClient({ profile: hive, nodes: [node.url] });
    const signed = tx();
    expect(await client.broadcast(signed)).toEqual({ id: transactionId(hive, signed) });
    expect(node.calls).toEqual(['condenser_api.broadcast_transaction']);
  });

  it('BitShares: synchronous broadcast reports the block, falls back when missing', async () => {
    const signed = bitsharesTx();
    const id = transactionId(bitshares, signed);
    const sync = await scripted((_method, params) => {
      const [, , args] = params as [string, string, Array<{ operations: unknown[][] }>];
      expect(args[0]?.operations[0]?.[0]).toBe(21);
      return { id, block_num: 77, trx_num: 0 };
    });
    const syncClient = createChainClient({ profile: bitshares, nodes: [sync.url] });
    expect(await syncClient.broadcast(signed)).toEqual({ id, blockNum: 77 });
    const old = await scripted((_method, params) =>
      (params as string[])[1] === 'broadcast_transaction_synchronous' ? missing : null,
    );
    const oldClient = createChainClient({ profile: bitshares, nodes: [old.url] });
    expect(await oldClient.broadcast(signed)).toEqual({ id });
    expect(old.calls).toEqual(['call', 'call']);
  });

  it('takes a duplicate on the next node after a timeout as success, never rejects twice', async () => {
    const slow = await scripted(() => 'hang');
    const dup = await scripted(() => ({
      error: { code: -32000, message: 'Duplicate transaction check failed' },
    }));
    const client = createChainClient({
      profile: hive,
      nodes: [slow.url, dup.url],
      timeoutMs: 300,
      broadcastTimeoutMs: 300,
    });
    const signed = tx();
    const started = Date.now();
    expect(await client.broadcast(signed)).toEqual({ id: transactionId(hive, signed) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const first = createChainClient({ profile: hive, nodes: [dup.url] });
    await expect(first.broadcast(signed)).rejects.toBeInstanceOf(BroadcastRejectedError);
  });

  it('reads the chain id from condenser_api.get_version when database_api is missing', async () => {
    const node = await scripted((method) =>
      method === 'database_api.get_version' ? missing : { chain_id: hive.chainId },
    );
    const client = createChainClient({ profile: hive, nodes: [node.url] });
    expect(await client.chainId()).toBe(hive.chainId);
  });

  it('fails over from unreadable and oversized answers', async () => {
    const garbage = await scripted(() => ({ raw: '<html>bad gateway</html>' }));
    const huge = await scripted(() => ({ raw: `"${'x'.repeat(5 * 1024 * 1024)}"` }));
    const good = await scripted(() => ({ chain_id: hive.chainId }));
    const client = createChainClient({ profile: hive, nodes: [garbage.url, huge.url, good.url] });
    expect(await client.chainId()).toBe(hive.chainId);
    const health = client.health();
    expect(health[0]?.lastError).toMatch(/not JSON/);
    expect(health[1]?.lastError).toMatch(/bytes/);
    expect(health[2]?.ok).toBe(true);
  });

  it('asks for fees only on BitShares', async () => {
    const node = await scripted(() => null);
    const client = createChainClient({ profile: hive, nodes: [node.url] });
    const op = tx().operations[0]!;
    await expect(client.requiredFee(op)).rejects.toBeInstanceOf(InvalidValueError);
    client.close();
    await expect(client.head()).rejects.toThrow(/after close/);
  });

  it('gives only typed errors whatever bytes a node sends', async () => {
    let body = '';
    const node = await scripted(() => ({ raw: body }));
    const client = createChainClient({ profile: hive, nodes: [node.url], timeoutMs: 1_000 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.jsonValue().map((v) => JSON.stringify({ jsonrpc: '2.0', id: 1, result: v })),
        ),
        async (text) => {
          body = text;
          for (const call of [
            () => client.head(),
            () => client.witness('alice'),
            () => client.schedule(),
          ]) {
            try {
              await call();
            } catch (error) {
              expect(error).toBeInstanceOf(NodesUnreachableError);
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
