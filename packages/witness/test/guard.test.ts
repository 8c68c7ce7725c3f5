// The guard on a Hive-like simnet: the VIT failover script's three dry-run cases, round robin
// over four keys with verification and a reset after clean blocks, a stale node, bad keys and
// the wrong chain.
import { ChainIdMismatchError, WitnessKeyError } from '@cryptoassets/witness';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appliedKeyChanges,
  blockIntervalMs,
  guardConfig,
  type Harness,
  type StartedGuard,
  sleep,
  startHarness,
  startTestGuard,
  until,
} from './guard-harness.js';

let harness: Harness | undefined;
let guards: StartedGuard[] = [];
afterEach(async () => {
  for (const guard of guards) await guard.stop();
  guards = [];
  await harness?.close();
  harness = undefined;
});

async function guardOn(config: Parameters<typeof startTestGuard>[0], deps = {}) {
  const guard = await startTestGuard(config, deps);
  guards.push(guard);
  return guard;
}

const waitMs = 60 * blockIntervalMs;

describe('failover mode dry runs (the VIT failover script tests)', () => {
  it('stays operational when both thresholds are above total_missed', async () => {
    harness = await startHarness({ chain: 'hive' });
    const config = guardConfig(harness, {
      mode: 'failover',
      failover: { primary_threshold: 1_000, backup_threshold: 2_000 },
      dry_run: true,
    });
    const guard = await guardOn(config);
    await harness.sim.waitForBlocks(6);
    await sleep(blockIntervalMs);
    expect(guard.guard.status().next).toContain('operational');
    expect(guard.printed).toEqual([]);
    expect(guard.guard.status().running).toBe(true);
  });

  it('prints the switch from the primary to the backup at primary threshold 0, sends nothing', async () => {
    harness = await startHarness({ chain: 'hive' });
    const config = guardConfig(harness, {
      mode: 'failover',
      failover: { primary_threshold: 0, backup_threshold: 1_000 },
      dry_run: true,
    });
    const guard = await guardOn(config);
    await until(() => guard.printed.length > 0, waitMs, 'a dry-run print');
    await harness.sim.waitForBlocks(4);
    expect(guard.printed).toHaveLength(1);
    const [text] = guard.printed;
    expect(text).toContain(`from ${harness.publics[0]} to ${harness.publics[1]}`);
    expect(text).toContain('witness_set_properties');
    expect(text).toContain('"signatures"');
    expect(text).not.toContain(guardConfig(harness).signing_keys[0]?.private);
    expect(harness.sim.witness('alice')?.signingKey).toBe(harness.publics[0]);
    expect(harness.simEvents.some((e) => e.type === 'txAccepted')).toBe(false);
    expect(guard.events.find((e) => e.name === 'key_switched')?.dry_run).toBe(true);
  });

  it('prints the kill switch and ends when both thresholds are 0', async () => {
    harness = await startHarness({ chain: 'hive' });
    const config = guardConfig(harness, {
      mode: 'failover',
      failover: { primary_threshold: 0, backup_threshold: 0 },
      dry_run: true,
    });
    const guard = await guardOn(config);
    await guard.guard.done;
    expect(guard.printed).toHaveLength(1);
    expect(guard.printed[0]).toContain('kill switch');
    expect(guard.printed[0]).toContain('STM1111111111111111111111111111111114T1Anm');
    expect(guard.guard.status().running).toBe(false);
    expect(guard.events.map((e) => e.name)).toEqual([
      'guard_started',
      'kill_switch_fired',
      'guard_stopped',
    ]);
    expect(harness.sim.witness('alice')?.signingKey).toBe(harness.publics[0]);
    expect(harness.simEvents.some((e) => e.type === 'txAccepted')).toBe(false);
  });
});

describe('rotate mode over four keys', () => {
  it('switches round robin, verifies each switch, and forgets misses after clean blocks', async () => {
    harness = await startHarness({ chain: 'hive', keys: 4 });
    const h = harness;
    const config = guardConfig(h, { reset_after_clean_checks: 6 }, 'all');
    const guard = await guardOn(config);
    const servers = ['alice', 'alice-1', 'alice-2', 'alice-3'];
    const switched = () => guard.events.filter((e) => e.name === 'key_switched');
    for (let step = 0; step < 4; step += 1) {
      h.sim.stopServer(servers[step]!);
      if (step === 3) h.sim.startServer(servers[0]!);
      await until(() => switched().length === step + 1, waitMs, `switch ${step + 1}`);
      const event = switched()[step]!;
      expect(event.old_key).toBe(h.publics[step]);
      expect(event.new_key).toBe(h.publics[(step + 1) % 4]);
      expect(h.sim.witness('alice')?.signingKey).toBe(h.publics[(step + 1) % 4]);
      if (step < 3) h.sim.startServer(servers[step]!);
    }
    expect(appliedKeyChanges(h)).toHaveLength(4);
    await until(() => guard.guard.status().switches_in_incident === 0, waitMs, 'the reset');
    expect(guard.guard.status()).toMatchObject({ streak: 0, switches_in_incident: 0 });
    expect(guard.guard.status().misses_seen).toBeGreaterThanOrEqual(4);
  });
});

describe('what the guard refuses', () => {
  it('takes no action while its only node is stale, and says so once', async () => {
    harness = await startHarness({ chain: 'hive' });
    const guard = await guardOn(guardConfig(harness, { stale_after_s: 1 }));
    await harness.sim.waitForBlocks(2);
    harness.sim.setStale(true);
    harness.sim.stopProducing('alice');
    await until(() => guard.guard.status().blind, 20 * blockIntervalMs + 2_000, 'blindness');
    await sleep(10 * blockIntervalMs);
    expect(appliedKeyChanges(harness)).toEqual([]);
    expect(harness.simEvents.some((e) => e.type === 'txAccepted')).toBe(false);
    expect(guard.events.filter((e) => e.name === 'node_unreachable')).toHaveLength(1);
    expect(guard.guard.status().next).toContain('no fresh chain');
    harness.sim.setStale(false);
    await until(() => guard.events.some((e) => e.name === 'key_switched'), waitMs, 'the switch');
    expect(harness.sim.witness('alice')?.signingKey).toBe(harness.publics[1]);
  });

  it('refuses a private key that does not belong to its public key, without echoing it', async () => {
    harness = await startHarness({ chain: 'hive' });
    const config = guardConfig(harness, {}, 'none');
    const wrong = guardConfig(harness, {}, 'all').signing_keys[1]!.private!;
    const bad = {
      ...config,
      signing_keys: [{ public: harness.publics[0]!, private: wrong }, config.signing_keys[1]!],
    };
    const error = await startTestGuard(bad).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WitnessKeyError);
    expect((error as Error).message).toContain('signing_keys.0.private does not belong to');
    expect((error as Error).message).not.toContain(wrong);
  });

  it('refuses a locked key store', async () => {
    harness = await startHarness({ chain: 'hive' });
    const config = { ...guardConfig(harness), active_key: 'keystore:alice-active' };
    const keystore = async () => {
      throw new Error('the key store is locked: wrong passphrase');
    };
    const error = await startTestGuard(config, { keystore }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WitnessKeyError);
    expect((error as Error).message).toContain('cannot read alice-active from the key store');
  });

  it('reports a missing key as a failed switch and broadcasts nothing', async () => {
    harness = await startHarness({ chain: 'hive' });
    const { active_key: _, ...config } = guardConfig(harness, {}, 'none');
    const guard = await guardOn(config);
    harness.sim.stopProducing('alice');
    await until(
      () => guard.events.some((e) => e.name === 'switch_failed'),
      waitMs,
      'switch_failed',
    );
    await harness.sim.waitForBlocks(6);
    const failed = guard.events.filter((e) => e.name === 'switch_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.message).toContain('no private key for the signing key on chain');
    expect(harness.simEvents.some((e) => e.type === 'txAccepted')).toBe(false);
  });

  it('refuses a second node that serves another chain', async () => {
    harness = await startHarness({ chain: 'hive' });
    const other = await startHarness({ chain: 'steem' });
    try {
      const config = guardConfig(harness, { nodes: [harness.sim.url, other.sim.url] });
      const error = await startTestGuard(config).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ChainIdMismatchError);
      expect((error as Error).message).toContain(other.sim.url);
    } finally {
      await other.close();
    }
  });

  it('refuses to start on a chain with another chain id', async () => {
    harness = await startHarness({ chain: 'steem' });
    const config = guardConfig(harness, { chain: 'hive' });
    const error = await startTestGuard(config).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChainIdMismatchError);
    expect((error as Error).message).toContain('not beeab0de');
  });
});
