// The miss monitor: misses seen within one block, streaks, clean resets, key changes.
import { describe, expect, it } from 'vitest';
import type { HeadState, WitnessState } from '../api/types.js';
import { initialMonitorState, type MonitorState, observe, ourUnfilledSlots } from './monitor.js';

const settings = { account: 'alice', resetAfterCleanChecks: 5 };
const schedule = { shuffledWitnesses: ['alice', 'bob', 'carol'] };

function head(headBlockNumber: number, currentAslot: number): HeadState {
  return {
    headBlockNumber,
    headBlockId: headBlockNumber.toString(16).padStart(8, '0').padEnd(40, '0'),
    time: new Date(0),
    currentWitness: 'bob',
    currentAslot,
    lastIrreversibleBlockNumber: 0,
  };
}

function witness(fields: Partial<WitnessState>): WitnessState {
  return {
    account: 'alice',
    signingKey: 'STM5aaa',
    totalMissed: 0,
    lastConfirmedBlockNum: 0,
    lastAslot: 0,
    url: '',
    raw: {},
    ...fields,
  };
}

function run(
  steps: Array<[number, number, Partial<WitnessState>]>,
  start: MonitorState = initialMonitorState(),
) {
  let state = start;
  const out = [];
  for (const [block, slot, fields] of steps) {
    const result = observe(
      state,
      { head: head(block, slot), witness: witness(fields), schedule },
      settings,
    );
    state = result.state;
    out.push(result);
  }
  return out;
}

describe('observe', () => {
  it('takes the first observation as the baseline', () => {
    const [first] = run([[10, 12, { totalMissed: 4, lastConfirmedBlockNum: 9 }]]);
    expect(first).toMatchObject({ missed: 0, blocks: 0 });
    expect(first?.state.lastProducedBlock).toBe(9);
  });

  it('sees a miss of ours in the next block, by slot and by total_missed', () => {
    const steps = run([
      [10, 11, { totalMissed: 4, lastAslot: 9 }],
      // slot 12 (alice: 12 % 3 = 0) passed empty; block 11 is in slot 13
      [11, 13, { totalMissed: 5, lastAslot: 9 }],
    ]);
    expect(steps[1]).toMatchObject({ missed: 1, slotsMissed: [12], blocks: 1 });
    expect(steps[1]?.state.streak).toBe(1);
    expect(steps[1]?.state.missesSeen).toBe(1);
  });

  it('does not count a slot miss that total_missed does not confirm', () => {
    const steps = run([
      [10, 11, { totalMissed: 4 }],
      [11, 13, { totalMissed: 4 }],
    ]);
    expect(steps[1]).toMatchObject({ missed: 0, slotsMissed: [12] });
    expect(steps[1]?.state.streak).toBe(0);
  });

  it('sees production and does not call a filled slot missed', () => {
    const steps = run([
      [10, 11, { lastConfirmedBlockNum: 1 }],
      [11, 12, { lastConfirmedBlockNum: 11, lastAslot: 12 }],
    ]);
    expect(steps[1]).toMatchObject({ produced: 11, slotsMissed: [], missed: 0 });
    expect(steps[1]?.state.lastProducedBlock).toBe(11);
  });

  it('forgets the streak after enough clean blocks', () => {
    const steps = run([
      [10, 11, { totalMissed: 0 }],
      [11, 13, { totalMissed: 2 }],
      [13, 15, { totalMissed: 2 }],
      [16, 18, { totalMissed: 2 }],
    ]);
    expect(steps[1]?.state.streak).toBe(2);
    expect(steps[2]).toMatchObject({ reset: false });
    expect(steps[3]).toMatchObject({ reset: true });
    expect(steps[3]?.state).toMatchObject({ streak: 0, switchesInIncident: 0, missesSeen: 2 });
  });

  it('starts a new streak on a key change and counts the switch', () => {
    const steps = run([
      [10, 11, { totalMissed: 0 }],
      [11, 13, { totalMissed: 1 }],
      [12, 14, { totalMissed: 1, signingKey: 'STM5bbb' }],
    ]);
    expect(steps[2]?.keyChanged).toEqual({ from: 'STM5aaa', to: 'STM5bbb' });
    expect(steps[2]?.state).toMatchObject({ streak: 0, switchesInIncident: 1 });
  });

  it('does nothing when the head did not move', () => {
    const steps = run([
      [10, 11, {}],
      [10, 11, {}],
    ]);
    expect(steps[1]).toMatchObject({ blocks: 0, missed: 0, reset: false });
  });
});

describe('ourUnfilledSlots', () => {
  it('bounds the scan and needs a schedule', () => {
    const base = { schedule: ['alice', 'bob'], account: 'alice', lastAslot: 0 };
    expect(ourUnfilledSlots({ ...base, fromSlot: 0, toSlot: 4 })).toEqual([2, 4]);
    expect(ourUnfilledSlots({ ...base, fromSlot: 0, toSlot: 4, lastAslot: 4 })).toEqual([2]);
    expect(ourUnfilledSlots({ ...base, fromSlot: 0, toSlot: 100_000 })).toEqual([]);
    expect(ourUnfilledSlots({ ...base, schedule: [], fromSlot: 0, toSlot: 4 })).toEqual([]);
  });
});
