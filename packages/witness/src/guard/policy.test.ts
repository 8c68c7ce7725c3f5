// The guard's decisions: thresholds, round robin, kill switch and failover mode.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, isNullSigningKey, nextKey, type PolicySettings } from './policy.js';

const keys = ['STM5aaa', 'STM5bbb', 'STM5ccc', 'STM5ddd'];
const nullKey = 'STM1111111111111111111111111111111114T1Anm';
const rotate: PolicySettings = {
  signingKeys: keys,
  switchAfterMisses: 1,
  killSwitchAfterMisses: undefined,
  mode: 'rotate',
};
const counters = (streak: number, switchesInIncident = 0) => ({ streak, switchesInIncident });

describe('nextKey', () => {
  it('takes the key after the current one, round robin', () => {
    expect(nextKey(keys, 'STM5aaa')).toBe('STM5bbb');
    expect(nextKey(keys, 'STM5ddd')).toBe('STM5aaa');
    expect(nextKey(keys, 'STM5other')).toBe('STM5aaa');
    expect(nextKey(['STM5aaa'], 'STM5aaa')).toBeUndefined();
    expect(nextKey(['STM5aaa', 'STM5aaa', 'STM5bbb'], 'STM5aaa')).toBe('STM5bbb');
  });

  it('never returns the current key and always a configured one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...keys), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...keys, 'STM5zzz'),
        (list, current) => {
          const next = nextKey(list, current);
          if (next === undefined) expect(list.every((key) => key === current)).toBe(true);
          else {
            expect(next).not.toBe(current);
            expect(list).toContain(next);
          }
        },
      ),
    );
  });
});

describe('decide in rotate mode', () => {
  it('does nothing below the threshold', () => {
    const settings = { ...rotate, switchAfterMisses: 3 };
    const decision = decide({
      chainKey: keys[0]!,
      totalMissed: 9,
      counters: counters(2),
      settings,
    });
    expect(decision).toMatchObject({ kind: 'nothing' });
    expect(decision.reason).toContain('2 of 3 misses');
  });

  it('switches to the next key at the threshold and walks all four keys', () => {
    let chainKey = keys[0]!;
    const seen: string[] = [];
    for (let switches = 0; switches < 4; switches += 1) {
      const decision = decide({
        chainKey,
        totalMissed: 0,
        counters: counters(1, switches),
        settings: rotate,
      });
      expect(decision.kind).toBe('switch');
      if (decision.kind !== 'switch') return;
      expect(decision.from).toBe(chainKey);
      chainKey = decision.to;
      seen.push(chainKey);
    }
    expect(seen).toEqual(['STM5bbb', 'STM5ccc', 'STM5ddd', 'STM5aaa']);
  });

  it('fires the kill switch only when no backup is left and the misses reach it', () => {
    const settings = { ...rotate, signingKeys: keys.slice(0, 2), killSwitchAfterMisses: 2 };
    const first = decide({
      chainKey: keys[0]!,
      totalMissed: 0,
      counters: counters(1, 0),
      settings,
    });
    expect(first).toMatchObject({ kind: 'switch', to: keys[1] });
    const waiting = decide({
      chainKey: keys[1]!,
      totalMissed: 0,
      counters: counters(1, 1),
      settings,
    });
    expect(waiting).toMatchObject({ kind: 'nothing' });
    expect(waiting.reason).toContain('1 of 2 misses before the kill switch');
    const kill = decide({ chainKey: keys[1]!, totalMissed: 0, counters: counters(2, 1), settings });
    expect(kill).toMatchObject({ kind: 'kill', from: keys[1] });
  });

  it('kills a one-server witness at its threshold and never without one', () => {
    const one = { ...rotate, signingKeys: [keys[0]!] };
    expect(
      decide({ chainKey: keys[0]!, totalMissed: 0, counters: counters(5), settings: one }).kind,
    ).toBe('nothing');
    const kill = { ...one, killSwitchAfterMisses: 5 };
    expect(
      decide({ chainKey: keys[0]!, totalMissed: 0, counters: counters(5), settings: kill }).kind,
    ).toBe('kill');
  });

  it('says how to re-enable a witness that has the null key', () => {
    const decision = decide({
      chainKey: nullKey,
      totalMissed: 0,
      counters: counters(9),
      settings: rotate,
    });
    expect(decision.kind).toBe('disabled');
    expect(decision.reason).toContain('witness enable --key');
  });

  it('never decides to switch to the key on chain', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...keys, 'STM5zzz'),
        fc.nat(20),
        fc.nat(5),
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
        (chainKey, streak, switches, kill) => {
          const decision = decide({
            chainKey,
            totalMissed: 0,
            counters: counters(streak, switches),
            settings: { ...rotate, killSwitchAfterMisses: kill },
          });
          if (decision.kind === 'switch') expect(decision.to).not.toBe(chainKey);
          if (streak === 0) expect(decision.kind).toBe('nothing');
        },
      ),
    );
  });
});

describe('decide in failover mode (the VIT script)', () => {
  const failover = (primaryThreshold: number, backupThreshold: number): PolicySettings => ({
    ...rotate,
    signingKeys: keys.slice(0, 2),
    mode: 'failover',
    failover: { primaryThreshold, backupThreshold },
  });

  it('stays operational while total_missed is below both thresholds', () => {
    const decision = decide({
      chainKey: keys[0]!,
      totalMissed: 10,
      counters: counters(0),
      settings: failover(11, 20),
    });
    expect(decision.kind).toBe('nothing');
    expect(decision.reason).toContain('operational');
  });

  it('moves from the primary to the backup at the primary threshold', () => {
    expect(
      decide({
        chainKey: keys[0]!,
        totalMissed: 10,
        counters: counters(0),
        settings: failover(0, 20),
      }),
    ).toMatchObject({ kind: 'switch', from: keys[0], to: keys[1] });
    expect(
      decide({
        chainKey: keys[1]!,
        totalMissed: 10,
        counters: counters(0),
        settings: failover(0, 20),
      }).kind,
    ).toBe('nothing');
  });

  it('fires the kill switch at the backup threshold', () => {
    expect(
      decide({
        chainKey: keys[0]!,
        totalMissed: 0,
        counters: counters(0),
        settings: failover(0, 0),
      }),
    ).toMatchObject({ kind: 'kill', from: keys[0] });
  });
});

describe('isNullSigningKey', () => {
  it('knows the null key of every prefix and nothing else', () => {
    expect(isNullSigningKey(nullKey)).toBe(true);
    expect(isNullSigningKey('BTS1111111111111111111111111111111114T1Anm')).toBe(true);
    expect(isNullSigningKey('STM6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV')).toBe(false);
  });
});
