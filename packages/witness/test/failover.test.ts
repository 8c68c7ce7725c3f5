// Live failover on Hive-like and BitShares-like simnets: the primary stops, the guard switches,
// the backup's blocks are accepted with at most one missed block, then the backup stops and the
// kill switch fires. Also: two guards on one witness, and an API node that drops every request.
import { isNullKey } from '@cryptoassets/witness';
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

const waitMs = 60 * blockIntervalMs;

function blocksBy(h: Harness, server: string): number {
  return h.simEvents.filter((e) => e.type === 'block' && e.server === server).length;
}

describe.each(['hive', 'bitshares'] as const)('live failover on a %s-like simnet', (chain) => {
  it('switches to the backup within one miss, then fires the kill switch', async () => {
    harness = await startHarness({ chain });
    const h = harness;
    const guard = await startTestGuard(guardConfig(h, { kill_switch_after_misses: 1 }));
    guards.push(guard);
    await until(() => blocksBy(h, 'alice') > 0, waitMs, 'a block of the primary');
    const missedBefore = h.sim.witness('alice')!.totalMissed;
    h.sim.stopServer('alice');
    await until(() => blocksBy(h, 'alice-1') > 0, waitMs, 'a block of the backup');
    await until(() => guard.events.some((e) => e.name === 'key_switched'), waitMs, 'the switch');
    const switched = guard.events.find((e) => e.name === 'key_switched');
    expect(switched).toMatchObject({ old_key: h.publics[0], new_key: h.publics[1] });
    expect(switched?.txid).toMatch(/^[0-9a-f]{40}$/);
    expect(h.sim.witness('alice')!.totalMissed - missedBefore).toBeLessThanOrEqual(1);
    h.sim.stopServer('alice-1');
    await until(
      () => guard.events.some((e) => e.name === 'kill_switch_fired'),
      waitMs,
      'the kill switch',
    );
    expect(isNullKey(h.sim.witness('alice')!.signingKey)).toBe(true);
    expect(appliedKeyChanges(h)).toHaveLength(2);
    expect(guard.guard.status().next).toContain('witness enable --key');
  });
});

describe('two guards on the same witness', () => {
  it('lands exactly one switch', async () => {
    harness = await startHarness({ chain: 'hive', keys: 3 });
    const h = harness;
    const config = guardConfig(h, {}, 'all');
    const first = await startTestGuard(config, {}, 'first');
    const second = await startTestGuard(config, {}, 'second');
    guards.push(first, second);
    await h.sim.waitForBlocks(2);
    h.sim.stopServer('alice');
    await until(() => blocksBy(h, 'alice-1') > 0, waitMs, 'a block of the backup');
    await h.sim.waitForBlocks(6);
    expect(appliedKeyChanges(h)).toHaveLength(1);
    expect(h.sim.witness('alice')!.signingKey).toBe(h.publics[1]);
    for (const guard of [first, second])
      expect(guard.guard.status().current_key).toBe(h.publics[1]);
    const switches = [first, second].flatMap((guard) =>
      guard.events.filter((e) => e.name === 'key_switched'),
    );
    expect(switches).toHaveLength(1);
  });
});

describe('API node failover', () => {
  it('works through the second node while the first drops every request', async () => {
    harness = await startHarness({ chain: 'hive' });
    const h = harness;
    const second = await h.sim.addApiNode();
    const config = guardConfig(h, { nodes: [h.sim.url, second.url] });
    const guard = await startTestGuard(config);
    guards.push(guard);
    h.sim.node.dropRequests(true);
    await sleep(4 * blockIntervalMs);
    h.sim.stopServer('alice');
    await until(() => guard.events.some((e) => e.name === 'key_switched'), waitMs, 'the switch');
    expect(h.sim.witness('alice')!.signingKey).toBe(h.publics[1]);
    const health = guard.guard.status().nodes;
    expect(health.find((node) => node.url === second.url)?.ok).toBe(true);
    expect(health.find((node) => node.url !== second.url)?.ok).toBe(false);
    expect(guard.events.some((e) => e.name === 'node_unreachable')).toBe(false);
  });
});
