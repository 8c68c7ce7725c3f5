// Key changes with a scripted chain client: which operation and key are used, dry runs, the
// re-read before broadcasting, verification and bounded retries.
import { describe, expect, it } from 'vitest';
import type { ChainClient, HeadState, WitnessState } from '../api/types.js';
import {
  chainProfiles,
  nullPublicKey,
  publicKeyOf,
  recoverSigners,
  type SignedTransaction,
} from '../graphene/index.js';
import { type ActionContext, changeKey, planKeyChange } from './actions.js';
import { WitnessKeyError } from './errors.js';

const secret = (byte: number) => new Uint8Array(32).fill(byte);
const primary = secret(1);
const backup = secret(2);
const active = secret(3);

type Script = { keys: string[]; broadcasts: SignedTransaction[]; fail?: number };

function fakeClient(profile: ChainClient['profile'], script: Script): ChainClient {
  let reads = 0;
  const head: HeadState = {
    headBlockNumber: 100,
    headBlockId: `00000064${'ab'.repeat(16)}`,
    time: new Date('2026-01-01T00:00:00Z'),
    currentWitness: 'bob',
    currentAslot: 120,
    lastIrreversibleBlockNumber: 90,
  };
  const witness = (): WitnessState => {
    const key = script.keys[Math.min(reads, script.keys.length - 1)]!;
    reads += 1;
    return {
      account: 'alice',
      id: '1.6.5',
      witnessAccountId: '1.2.17',
      signingKey: key,
      totalMissed: 3,
      lastConfirmedBlockNum: 90,
      lastAslot: 110,
      url: 'https://alice.example',
      raw: {
        props: {
          account_creation_fee: '3.000 HIVE',
          maximum_block_size: 65536,
          hbd_interest_rate: 0,
        },
      },
    };
  };
  return {
    profile,
    chainId: async () => profile.chainId,
    head: async () => head,
    witness: async () => witness(),
    schedule: async () => ({ shuffledWitnesses: ['alice', 'bob', 'carol'] }),
    requiredFee: async () => ({ amount: '2000000', asset_id: '1.3.0' }),
    broadcast: async (tx) => {
      if ((script.fail ?? 0) > 0) {
        script.fail = (script.fail ?? 0) - 1;
        throw new Error('node refused: missing required authority');
      }
      script.broadcasts.push(tx);
      return { id: 'ff'.repeat(20), blockNum: 101 };
    },
    health: () => [],
    close: () => {},
  };
}

function context(
  chain: 'hive' | 'bitshares',
  script: Script,
  fields: Partial<ActionContext> = {},
): ActionContext {
  const profile = chainProfiles[chain];
  return {
    guard: 'g',
    client: fakeClient(profile, script),
    profile,
    account: 'alice',
    keys: { signing: new Map([[publicKeyOf(primary, profile.prefix), primary]]), active },
    dryRun: false,
    verifyAfterBlocks: 1,
    verifyRetriesMax: 2,
    waitForBlocks: async () => {},
    ...fields,
  };
}

const stm = (s: Uint8Array) => publicKeyOf(s, 'STM');
const bts = (s: Uint8Array) => publicKeyOf(s, 'BTS');

describe('planKeyChange', () => {
  it('prefers witness_set_properties signed by the current signing key', async () => {
    const script: Script = { keys: [stm(primary)], broadcasts: [] };
    const ctx = context('hive', script);
    const witness = await ctx.client.witness('alice');
    const plan = await planKeyChange(ctx, witness!, stm(backup));
    expect(plan.via).toBe('witness_set_properties');
    expect(plan.signer).toBe(primary);
  });

  it('falls back to witness_update with the active key, re-sending url and props', async () => {
    const script: Script = { keys: [stm(backup)], broadcasts: [] };
    const ctx = context('hive', script);
    const plan = await planKeyChange(ctx, (await ctx.client.witness('alice'))!, stm(primary));
    expect(plan.via).toBe('witness_update');
    expect(plan.signer).toBe(active);
    expect(plan.op[1]).toMatchObject({
      url: 'https://alice.example',
      block_signing_key: stm(primary),
    });
  });

  it('takes the BitShares fee from the node', async () => {
    const script: Script = { keys: [bts(primary)], broadcasts: [] };
    const ctx = context('bitshares', script);
    const plan = await planKeyChange(ctx, (await ctx.client.witness('alice'))!, bts(backup));
    expect(plan.via).toBe('witness_update');
    expect(plan.op[1]).toMatchObject({
      fee: { amount: 2_000_000, asset_id: '1.3.0' },
      witness: '1.6.5',
    });
  });

  it('says that a disabled witness needs the active key', async () => {
    const script: Script = { keys: [nullPublicKey('STM')], broadcasts: [] };
    const ctx = context('hive', script, { keys: { signing: new Map(), active: undefined } });
    const error = await planKeyChange(
      ctx,
      (await ctx.client.witness('alice'))!,
      stm(primary),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WitnessKeyError);
    expect((error as Error).message).toContain('re-enabling needs active_key');
  });
});

describe('changeKey', () => {
  it('broadcasts once, verifies, and reports the txid and block', async () => {
    const script: Script = { keys: [stm(primary), stm(backup)], broadcasts: [] };
    const result = await changeKey(context('hive', script), {
      from: stm(primary),
      to: stm(backup),
    });
    expect(result).toMatchObject({
      status: 'changed',
      via: 'witness_set_properties',
      block: 101,
      attempts: 1,
    });
    expect(script.broadcasts).toHaveLength(1);
    expect(recoverSigners(chainProfiles.hive, script.broadcasts[0]!)).toEqual([stm(primary)]);
  });

  it('signs but sends nothing in a dry run', async () => {
    const script: Script = { keys: [stm(primary)], broadcasts: [] };
    const result = await changeKey(context('hive', script, { dryRun: true }), {
      from: stm(primary),
      to: stm(backup),
    });
    expect(result.status).toBe('dry_run');
    if (result.status === 'dry_run') expect(result.transaction.signatures).toHaveLength(1);
    expect(script.broadcasts).toEqual([]);
  });

  it('does nothing when the key on chain already moved', async () => {
    const script: Script = { keys: [stm(backup)], broadcasts: [] };
    const result = await changeKey(context('hive', script), {
      from: stm(primary),
      to: stm(backup),
    });
    expect(result).toEqual({ status: 'superseded', chainKey: stm(backup) });
    expect(script.broadcasts).toEqual([]);
  });

  it('retries a bounded number of times and then fails', async () => {
    const script: Script = { keys: [stm(primary)], broadcasts: [], fail: 1 };
    const result = await changeKey(context('hive', script), {
      from: stm(primary),
      to: stm(backup),
    });
    expect(result).toMatchObject({ status: 'failed', attempts: 3 });
    expect(script.broadcasts).toHaveLength(2);
  });
});
