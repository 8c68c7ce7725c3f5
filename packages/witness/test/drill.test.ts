// The drill on both chain families: the primary stops, the guard switches to the backup key,
// the backup's blocks are accepted with at most one missed block, then the kill switch fires.
import { runDrill } from '@cryptoassets/witness';
import { describe, expect, it } from 'vitest';

const blockIntervalMs = 200;

describe.each(['hive', 'bitshares'] as const)('runDrill on a %s-like simnet', (chain) => {
  it('fails over to the backup, then fires the kill switch', async () => {
    const lines: string[] = [];
    const report = await runDrill({ chain, blockIntervalMs, narrate: (line) => lines.push(line) });
    expect(report.ok).toBe(true);
    expect(report.switch_txid).toMatch(/^[0-9a-f]{40}$/);
    expect(report.kill_txid).toMatch(/^[0-9a-f]{40}$/);
    expect(report.misses_during_failover).toBeLessThanOrEqual(1);
    expect(report.backup_blocks).toBeGreaterThanOrEqual(1);
    const names = report.events.map((event) => event.name);
    expect(names.indexOf('key_switched')).toBeLessThan(names.indexOf('kill_switch_fired'));
    expect(names.at(-1)).toBe('guard_stopped');
    const text = lines.join('\n');
    expect(text).toContain('(server alice-backup)');
    expect(text).toMatch(/slot \d+ missed by alice/);
    expect(text).toContain('kill switch fired');
    expect(text).not.toMatch(/5[HJK][1-9A-HJ-NP-Za-km-z]{49}/);
  });
});
