// The simnet behaves like a Graphene chain: schedule order, missed-block accounting, signing-key
// checks on produced blocks, transaction verification and the BitShares fee rules.
import {
  BroadcastRejectedError,
  type ChainClient,
  type ChainProfile,
  chainProfiles,
  createChainClient,
  formatExpiration,
  type HeadState,
  type Operation,
  publicKeyOf,
  refBlock,
  type SteemWitness,
  serializeTransaction,
  setPropertiesOp,
  signTransaction,
  toHex,
  transactionId,
  witnessUpdateOp,
} from '@cryptoassets/witness';
import {
  type Simnet,
  type SimnetEvent,
  startSimnet,
  testSecret,
  testWitnesses,
} from '@cryptoassets/witness/testing';
import { afterEach, describe, expect, it } from 'vitest';

const hive = chainProfiles.hive;
const bitshares = chainProfiles.bitshares;
const accounts = ['alice', 'bob', 'carol'];
const aliceSigning = testSecret('alice-signing');
const aliceActive = testSecret('alice-active');
const backup = testSecret('alice-backup');

let simnet: Simnet | undefined;
let client: ChainClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await simnet?.close();
  simnet = undefined;
});

async function start(profile: ChainProfile, blockIntervalMs: number, shuffle = true) {
  simnet = await startSimnet({
    profile,
    witnesses: testWitnesses(accounts),
    blockIntervalMs,
    shuffle,
  });
  client = createChainClient({ profile, nodes: [simnet.url], staleAfterMs: 5_000 });
  return { simnet, client };
}

function record(net: Simnet): SimnetEvent[] {
  const events: SimnetEvent[] = [];
  net.onEvent((event) => events.push(event));
  return events;
}

async function signed(
  profile: ChainProfile,
  c: ChainClient,
  ops: Operation[],
  secrets: Uint8Array[],
  head?: HeadState,
) {
  const at = head ?? (await c.head());
  const tx = {
    ...refBlock(at.headBlockId),
    expiration: formatExpiration(Math.floor(at.time.getTime() / 1000) + 60),
    operations: ops,
    extensions: [],
  };
  return signTransaction(profile, tx, secrets);
}

function switchOp(newSecret: Uint8Array, currentSecret = aliceSigning): Operation {
  return setPropertiesOp(hive, {
    owner: 'alice',
    currentKey: publicKeyOf(currentSecret, hive.prefix),
    newKey: publicKeyOf(newSecret, hive.prefix),
  });
}

describe('block production', () => {
  it('produces blocks in schedule order, one slot per interval', async () => {
    const { simnet: net } = await start(hive, 50);
    let schedule = net.schedule();
    const seen: Array<{ ok: boolean; aslot: number; num: number }> = [];
    net.onEvent((event) => {
      if (event.type === 'block') {
        const expected = schedule[event.aslot % schedule.length];
        seen.push({ ok: event.witness === expected, aslot: event.aslot, num: event.blockNum });
      }
      if (event.type === 'scheduleShuffled') schedule = [...event.witnesses];
    });
    await net.waitForBlocks(9);
    expect(seen.length).toBeGreaterThanOrEqual(9);
    expect(seen.every((b) => b.ok)).toBe(true);
    seen.forEach((b, i) => {
      expect(b.num).toBe(i + 1);
      expect(b.aslot).toBe(i + 1);
    });
    const head = net.head();
    expect(Number.parseInt(head.headBlockId.slice(0, 8), 16)).toBe(head.headBlockNumber);
    expect(Date.now() - head.time.getTime()).toBeLessThan(2_000);
  });

  it("counts a stopped server's slots as misses when the next block is applied", async () => {
    const { simnet: net, client: c } = await start(hive, 0);
    const events = record(net);
    net.stopProducing('alice');
    net.step(20);
    const slotsMissed = events.filter((e) => e.type === 'slotMissed');
    expect(slotsMissed.length).toBeGreaterThan(0);
    expect(slotsMissed.every((e) => e.type === 'slotMissed' && e.witness === 'alice')).toBe(true);
    const head = net.head();
    const counted = slotsMissed.filter((e) => e.aslot <= head.currentAslot).length;
    const alice = await c.witness('alice');
    expect(alice?.totalMissed).toBe(counted);
    expect(alice?.lastConfirmedBlockNum).toBe(0);
    expect((await c.witness('bob'))?.totalMissed).toBe(0);
    expect((await c.witness('carol'))?.totalMissed).toBe(0);
    // Graphene: current_aslot = missed slots + head block number.
    expect(head.currentAslot - head.headBlockNumber).toBe(counted);
    const bob = await c.witness('bob');
    expect(bob?.lastConfirmedBlockNum).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'missCounted')).toHaveLength(counted);
  });

  it('halts while paused and counts the skipped slots when blocks resume', async () => {
    const { simnet: net } = await start(hive, 0, false);
    net.step(3);
    const before = net.head();
    net.pause();
    net.step(2);
    expect(net.head().headBlockNumber).toBe(before.headBlockNumber);
    net.resume();
    net.step(1);
    const after = net.head();
    expect(after.headBlockNumber).toBe(before.headBlockNumber + 1);
    expect(after.currentAslot).toBe(before.currentAslot + 3);
    const missed = accounts.map((a) => net.witness(a)?.totalMissed ?? 0);
    expect(missed.reduce((x, y) => x + y, 0)).toBe(2);
  });
});

describe('signing key switch', () => {
  it('accepts the backup after set_properties and rejects blocks signed with the old key', async () => {
    const { simnet: net, client: c } = await start(hive, 40, false);
    net.addServer({ name: 'alice-backup', account: 'alice', signingSecret: backup });
    const events = record(net);
    await net.waitForBlocks(4);
    expect(events.some((e) => e.type === 'blockRejected' && e.server === 'alice-backup')).toBe(
      true,
    );
    const tx = await signed(hive, c, [switchOp(backup)], [aliceSigning]);
    const sent = await c.broadcast(tx);
    expect(sent.id).toBe(transactionId(hive, tx));
    await net.waitForBlocks(1);
    expect((await c.witness('alice'))?.signingKey).toBe(publicKeyOf(backup, hive.prefix));
    events.length = 0;
    await net.waitForBlocks(7);
    const aliceBlocks = events.filter((e) => e.type === 'block' && e.witness === 'alice');
    expect(aliceBlocks.length).toBeGreaterThan(0);
    expect(aliceBlocks.every((e) => e.type === 'block' && e.server === 'alice-backup')).toBe(true);
    const rejected = events.filter((e) => e.type === 'blockRejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((e) => e.type === 'blockRejected' && e.server === 'alice')).toBe(true);
    expect(events.some((e) => e.type === 'slotMissed')).toBe(false);
  });

  it('rejects a transaction signed by the wrong key with a clear message', async () => {
    const { simnet: net, client: c } = await start(hive, 40, false);
    await net.waitForBlocks(1);
    const wrongKey = await signed(hive, c, [switchOp(backup)], [testSecret('bob-signing')]);
    const rejection = await c.broadcast(wrongKey).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(BroadcastRejectedError);
    expect((rejection as BroadcastRejectedError).nodeMessage).toMatch(/Missing Authority/);
    const witness = await c.witness('alice');
    const update = witnessUpdateOp(hive, witness!.raw as SteemWitness, publicKeyOf(backup, 'STM'));
    const notActive = await signed(hive, c, [update], [aliceSigning]);
    await expect(c.broadcast(notActive)).rejects.toThrow(/Missing Active Authority alice/);
    const stale = switchOp(backup, testSecret('old'));
    const oldKey = await signed(hive, c, [stale], [testSecret('old')]);
    await expect(c.broadcast(oldKey)).rejects.toThrow(/'key' does not match witness signing key/);
    const extra = await signed(hive, c, [switchOp(backup)], [aliceSigning, aliceActive]);
    await expect(c.broadcast(extra)).rejects.toThrow(/Unnecessary signature/);
    expect((await c.witness('alice'))?.signingKey).toBe(publicKeyOf(aliceSigning, hive.prefix));
  });

  it('lets exactly one of two racing set_properties from the same old key apply', async () => {
    const { simnet: net, client: c } = await start(hive, 40, false);
    await net.waitForBlocks(1);
    const other = testSecret('alice-backup-2');
    const head = await c.head();
    const first = await signed(hive, c, [switchOp(backup)], [aliceSigning], head);
    const second = await signed(hive, c, [switchOp(other)], [aliceSigning], head);
    const results = await Promise.allSettled([c.broadcast(first), c.broadcast(second)]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(String((rejected[0] as PromiseRejectedResult).reason)).toMatch(/does not match/);
    await net.waitForBlocks(1);
    const winner = results[0]?.status === 'fulfilled' ? backup : other;
    expect((await c.witness('alice'))?.signingKey).toBe(publicKeyOf(winner, hive.prefix));
  });

  it('rejects duplicates, expired transactions and unknown reference blocks', async () => {
    const { simnet: net, client: c } = await start(hive, 40, false);
    await net.waitForBlocks(1);
    const tx = await signed(hive, c, [switchOp(backup)], [aliceSigning]);
    await c.broadcast(tx);
    await expect(c.broadcast(tx)).rejects.toThrow(/Duplicate transaction/);
    const head = await c.head();
    const base = { ...refBlock(head.headBlockId), operations: [switchOp(aliceSigning, backup)] };
    const expired = signTransaction(
      hive,
      {
        ...base,
        expiration: formatExpiration(Math.floor(head.time.getTime() / 1000) - 5),
        extensions: [],
      },
      [backup],
    );
    await expect(c.broadcast(expired)).rejects.toThrow(/expired/);
    const far = signTransaction(
      hive,
      {
        ...base,
        expiration: formatExpiration(Math.floor(head.time.getTime() / 1000) + 7200),
        extensions: [],
      },
      [backup],
    );
    await expect(c.broadcast(far)).rejects.toThrow(/3600/);
    const tapos = await signed(hive, c, [switchOp(aliceSigning, backup)], [backup], {
      ...head,
      headBlockId: `${'0000ffff'}${'ab'.repeat(16)}`,
    });
    await expect(c.broadcast(tapos)).rejects.toThrow(/TaPoS/);
  });
});

describe('disabling with the null key', () => {
  it('Steem family: the disabled witness leaves the schedule at the next round', async () => {
    const { simnet: net, client: c } = await start(hive, 40, false);
    await net.waitForBlocks(1);
    const nullKey = `STM${'1111111111111111111111111111111114T1Anm'}`;
    const op = setPropertiesOp(hive, {
      owner: 'alice',
      currentKey: publicKeyOf(aliceSigning, 'STM'),
      newKey: nullKey,
    });
    await c.broadcast(await signed(hive, c, [op], [aliceSigning]));
    await net.waitForBlocks(1);
    expect((await c.witness('alice'))?.signingKey).toBe(nullKey);
    await net.waitForBlocks(6);
    expect((await c.schedule()).shuffledWitnesses).toEqual(['bob', 'carol']);
  });

  it('BitShares: witness_update with the active key and the scheduled fee; null key keeps missing', async () => {
    const { simnet: net, client: c } = await start(bitshares, 40, false);
    await net.waitForBlocks(1);
    const alice = (await c.witness('alice'))!;
    expect(alice.id).toMatch(/^1\.6\.\d+$/);
    const witness = {
      id: alice.id!,
      witness_account: alice.witnessAccountId!,
      url: alice.url,
      signing_key: alice.signingKey,
    };
    const newKey = publicKeyOf(backup, 'BTS');
    const fee = await c.requiredFee(witnessUpdateOp(bitshares, witness, newKey));
    expect(fee).toEqual({ amount: '2000000', asset_id: '1.3.0' });
    const cheap = witnessUpdateOp(bitshares, witness, newKey, { amount: 1, asset_id: '1.3.0' });
    await expect(c.broadcast(await signed(bitshares, c, [cheap], [aliceActive]))).rejects.toThrow(
      /Insufficient Fee/,
    );
    const op = witnessUpdateOp(bitshares, witness, newKey, fee);
    await expect(c.broadcast(await signed(bitshares, c, [op], [aliceSigning]))).rejects.toThrow(
      /Missing Active Authority/,
    );
    const sent = await c.broadcast(await signed(bitshares, c, [op], [aliceActive]));
    expect(sent.blockNum).toBeGreaterThan(0);
    expect((await c.witness('alice'))?.signingKey).toBe(newKey);
    const disable = witnessUpdateOp(
      bitshares,
      witness,
      'BTS1111111111111111111111111111111114T1Anm',
      fee,
    );
    await c.broadcast(await signed(bitshares, c, [disable], [aliceActive]));
    const missedBefore = (await c.witness('alice'))!.totalMissed;
    await net.waitForBlocks(8);
    expect((await c.schedule()).shuffledWitnesses).toContain('alice');
    expect((await c.witness('alice'))!.totalMissed).toBeGreaterThan(missedBefore);
  });
});

describe('API extras', () => {
  it('serves get_transaction_hex and block headers like a node', async () => {
    const { simnet: net, client: c } = await start(hive, 0, false);
    net.step(3);
    const tx = await signed(hive, c, [switchOp(backup)], [aliceSigning]);
    const hex = await rpc(net.url, 'condenser_api.get_transaction_hex', [tx]);
    const expected = `${toHex(serializeTransaction(hive, tx))}01${tx.signatures[0]}`;
    expect(hex).toBe(expected);
    const header = (await rpc(net.url, 'condenser_api.get_block_header', [2])) as Record<
      string,
      string
    >;
    expect(header.previous?.slice(0, 8)).toBe('00000001');
    expect(await rpc(net.url, 'condenser_api.get_block_header', [99])).toBeNull();
    expect(await c.chainId()).toBe(hive.chainId);
  });
});

async function rpc(url: string, method: string, params: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}
