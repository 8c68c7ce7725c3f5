// The API client against simnet API nodes: failover when a node drops connections, stale nodes
// not believed, typed errors when nothing usable answers, chain id checks, BitShares id mapping.
import {
  BroadcastRejectedError,
  type ChainClient,
  chainProfiles,
  createChainClient,
  customProfile,
  formatExpiration,
  NodesUnreachableError,
  publicKeyOf,
  refBlock,
  StaleChainError,
  setPropertiesOp,
  signTransaction,
} from '@cryptoassets/witness';
import { type Simnet, startSimnet, testSecret, testWitnesses } from '@cryptoassets/witness/testing';
import { afterEach, describe, expect, it } from 'vitest';

const hive = chainProfiles.hive;
let simnet: Simnet | undefined;
let client: ChainClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await simnet?.close();
  simnet = undefined;
});

async function twoNodes(profile = hive) {
  simnet = await startSimnet({
    profile,
    witnesses: testWitnesses(['alice', 'bob', 'carol']),
    blockIntervalMs: 50,
  });
  const second = await simnet.addApiNode();
  await simnet.waitForBlocks(2);
  return { net: simnet, first: simnet.node, second };
}

describe('node failover', () => {
  it('reads through the second node when the first drops connections', async () => {
    const { first, second } = await twoNodes();
    first.dropRequests(true);
    client = createChainClient({ profile: hive, nodes: [first.url, second.url], timeoutMs: 1_000 });
    const head = await client.head();
    expect(head.headBlockNumber).toBeGreaterThan(0);
    expect((await client.witness('alice'))?.account).toBe('alice');
    const [a, b] = client.health();
    expect(a?.ok).toBe(false);
    expect(a?.lastError).toBeTruthy();
    expect(b?.ok).toBe(true);
    expect(b?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(b?.headAgeMs).toBeLessThan(5_000);
  });

  it('keeps preferring the node that last answered', async () => {
    const { first, second } = await twoNodes();
    client = createChainClient({ profile: hive, nodes: [first.url, second.url], timeoutMs: 1_000 });
    first.dropRequests(true);
    await client.head();
    first.dropRequests(false);
    second.dropRequests(true);
    await client.head();
    expect(client.health().map((h) => h.ok)).toEqual([true, false]);
  });

  it('throws NodesUnreachableError naming every node when none answers', async () => {
    const { first, second } = await twoNodes();
    first.dropRequests(true);
    second.dropRequests(true);
    client = createChainClient({ profile: hive, nodes: [first.url, second.url], timeoutMs: 500 });
    const error = await client.head().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodesUnreachableError);
    const urls = (error as NodesUnreachableError).failures.map((f) => f.url);
    expect(new Set(urls)).toEqual(new Set([first.url, second.url]));
    await expect(client.witness('alice')).rejects.toBeInstanceOf(NodesUnreachableError);
  });

  it('survives a node that drops half of the requests', async () => {
    const { first, second } = await twoNodes();
    first.dropRequests(0.5);
    client = createChainClient({ profile: hive, nodes: [first.url, second.url], timeoutMs: 1_000 });
    for (let i = 0; i < 10; i++) expect((await client.head()).headBlockNumber).toBeGreaterThan(0);
  });
});

describe('freshness', () => {
  it('ignores a stale node and reports its head age', async () => {
    const { net, first, second } = await twoNodes();
    first.setStale(true);
    const frozen = net.head().headBlockNumber;
    await net.waitForBlocks(12);
    client = createChainClient({
      profile: hive,
      nodes: [first.url, second.url],
      staleAfterMs: 400,
    });
    const head = await client.head();
    expect(head.headBlockNumber).toBeGreaterThan(frozen);
    const [stale, fresh] = client.health();
    expect(stale?.ok).toBe(false);
    expect(stale?.headAgeMs).toBeGreaterThan(400);
    expect(stale?.lastError).toMatch(/old/);
    expect(fresh?.ok).toBe(true);
  });

  it('throws StaleChainError when no node is fresh', async () => {
    const { net, first, second } = await twoNodes();
    first.setStale(true);
    second.setStale(true);
    await net.waitForBlocks(12);
    client = createChainClient({
      profile: hive,
      nodes: [first.url, second.url],
      staleAfterMs: 400,
    });
    const error = await client.head().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleChainError);
    expect((error as StaleChainError).headAgeMs).toBeGreaterThan(400);
    first.setStale(false);
    const live = net.head().headBlockNumber;
    expect((await client.head()).headBlockNumber).toBeGreaterThanOrEqual(live);
  });

  it('treats a halted chain as stale', async () => {
    const { net, first } = await twoNodes();
    net.pause();
    await new Promise((resolve) => setTimeout(resolve, 400));
    client = createChainClient({ profile: hive, nodes: [first.url], staleAfterMs: 200 });
    await expect(client.head()).rejects.toBeInstanceOf(StaleChainError);
  });
});

describe('chain identity and reads', () => {
  it('reports the chain id so a mismatch can be detected', async () => {
    const other = customProfile({
      family: 'steem',
      prefix: 'STM',
      chainId: '18dcf0a285365fc58b71f18b3d3fec954aa0c141c44e4e5cb4cf777b9eab274e',
      coreSymbol: 'TESTS',
    });
    const { first } = await twoNodes(other);
    client = createChainClient({ profile: hive, nodes: [first.url] });
    const id = await client.chainId();
    expect(id).toBe(other.chainId);
    expect(id).not.toBe(hive.chainId);
  });

  it('maps BitShares witness ids to account names', async () => {
    const { net, first } = await twoNodes(chainProfiles.bitshares);
    client = createChainClient({ profile: chainProfiles.bitshares, nodes: [first.url] });
    expect(await client.chainId()).toBe(chainProfiles.bitshares.chainId);
    const schedule = await client.schedule();
    expect([...schedule.shuffledWitnesses].sort()).toEqual(['alice', 'bob', 'carol']);
    const head = await client.head();
    expect(['alice', 'bob', 'carol']).toContain(head.currentWitness);
    const alice = await client.witness('alice');
    expect(alice?.witnessAccountId).toMatch(/^1\.2\.\d+$/);
    expect(alice?.signingKey).toBe(net.witness('alice')?.signingKey);
    expect(await client.witness('nobody')).toBeUndefined();
  });

  it('returns undefined for an account that is not a witness and rejects bad node lists', async () => {
    const { first } = await twoNodes();
    client = createChainClient({ profile: hive, nodes: [first.url] });
    expect(await client.witness('nobody')).toBeUndefined();
    expect(() => createChainClient({ profile: hive, nodes: [] })).toThrow(/nodes/);
    expect(() => createChainClient({ profile: hive, nodes: ['wss://x.example'] })).toThrow(/http/);
  });

  it('passes the node message of a refused broadcast through', async () => {
    const { first } = await twoNodes();
    client = createChainClient({ profile: hive, nodes: [first.url] });
    const head = await client.head();
    const op = setPropertiesOp(hive, {
      owner: 'alice',
      currentKey: publicKeyOf(testSecret('not-the-key'), 'STM'),
      newKey: publicKeyOf(testSecret('alice-backup'), 'STM'),
    });
    const tx = signTransaction(
      hive,
      {
        ...refBlock(head.headBlockId),
        expiration: formatExpiration(Math.floor(head.time.getTime() / 1000) + 30),
        operations: [op],
        extensions: [],
      },
      [testSecret('not-the-key')],
    );
    const error = await client.broadcast(tx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BroadcastRejectedError);
    expect((error as BroadcastRejectedError).nodeMessage).toMatch(
      /does not match witness signing key/,
    );
    expect((error as BroadcastRejectedError).url).toBe(first.url);
  });
});
