// The miss monitor as a reducer: each new head the guard sees is folded into the counters.
// A slot of ours that passed without production (head/slot advance + schedule, strategy 1) is
// confirmed by the witness's own `total_missed` (strategy 2), which the chain raises as soon as
// the next block is applied; so a miss is seen within one block interval.
import type { HeadState, Schedule, WitnessState } from '../api/types.js';
import type { MissCounters } from './policy.js';

/** Most slots looked at between two heads (a longer gap is counted from total_missed only). */
export const slotsScannedMax = 1_000;

export type MonitorSettings = {
  readonly account: string;
  /** Clean blocks after which the streak and the incident are forgotten. */
  readonly resetAfterCleanChecks: number;
};

type Seen = {
  readonly headBlockNumber: number;
  readonly currentAslot: number;
  readonly totalMissed: number;
  readonly lastConfirmedBlockNum: number;
  readonly signingKey: string;
};

export type MonitorState = MissCounters & {
  readonly last: Seen | undefined;
  readonly schedule: readonly string[];
  readonly cleanBlocks: number;
  /** Misses seen since the guard started. */
  readonly missesSeen: number;
  readonly lastProducedBlock: number | undefined;
};

export type Observation = {
  readonly head: HeadState;
  readonly witness: WitnessState;
  /** The schedule of the round the new head belongs to. */
  readonly schedule: Schedule | undefined;
};

export type MonitorStep = {
  readonly state: MonitorState;
  /** Head blocks since the previous observation (0 when the head did not move). */
  readonly blocks: number;
  /** Misses confirmed by total_missed. */
  readonly missed: number;
  /** Our slots that passed without production (strategy 1), absolute slot numbers. */
  readonly slotsMissed: readonly number[];
  /** The block our witness produced, when it did since the previous observation. */
  readonly produced: number | undefined;
  /** The key on chain changed: by this guard, another guard or the operator. */
  readonly keyChanged: { readonly from: string; readonly to: string } | undefined;
  /** The streak and incident were forgotten after enough clean blocks. */
  readonly reset: boolean;
};

export function initialMonitorState(): MonitorState {
  return {
    last: undefined,
    schedule: [],
    cleanBlocks: 0,
    missesSeen: 0,
    lastProducedBlock: undefined,
    streak: 0,
    switchesInIncident: 0,
  };
}

function seenOf(observation: Observation): Seen {
  const { head, witness } = observation;
  return {
    headBlockNumber: head.headBlockNumber,
    currentAslot: head.currentAslot,
    totalMissed: witness.totalMissed,
    lastConfirmedBlockNum: witness.lastConfirmedBlockNum,
    signingKey: witness.signingKey,
  };
}

/** Our slots in (fromSlot, toSlot] that the witness did not fill, by the given schedule. */
export function ourUnfilledSlots(options: {
  readonly schedule: readonly string[];
  readonly account: string;
  readonly fromSlot: number;
  readonly toSlot: number;
  readonly lastAslot: number;
}): number[] {
  const { schedule, account, fromSlot, toSlot, lastAslot } = options;
  const found: number[] = [];
  if (schedule.length === 0 || toSlot - fromSlot > slotsScannedMax) return found;
  for (let slot = fromSlot + 1; slot <= toSlot; slot += 1) {
    if (schedule[slot % schedule.length] === account && lastAslot !== slot) found.push(slot);
  }
  return found;
}

/** Folds one observation into the state. */
export function observe(
  state: MonitorState,
  observation: Observation,
  settings: MonitorSettings,
): MonitorStep {
  const seen = seenOf(observation);
  const schedule = observation.schedule?.shuffledWitnesses ?? state.schedule;
  const last = state.last;
  if (last === undefined) {
    const lastProducedBlock =
      seen.lastConfirmedBlockNum > 0 ? seen.lastConfirmedBlockNum : undefined;
    return step({ ...state, last: seen, schedule, lastProducedBlock });
  }
  const blocks = Math.max(0, seen.headBlockNumber - last.headBlockNumber);
  const slotsMissed = ourUnfilledSlots({
    schedule: state.schedule.length > 0 ? state.schedule : schedule,
    account: settings.account,
    fromSlot: last.currentAslot,
    toSlot: seen.currentAslot,
    lastAslot: observation.witness.lastAslot,
  });
  const missed = Math.max(0, seen.totalMissed - last.totalMissed);
  const produced =
    seen.lastConfirmedBlockNum > last.lastConfirmedBlockNum
      ? seen.lastConfirmedBlockNum
      : undefined;
  const keyChanged =
    seen.signingKey !== last.signingKey
      ? { from: last.signingKey, to: seen.signingKey }
      : undefined;
  let next: MonitorState = {
    ...state,
    last: seen,
    schedule,
    lastProducedBlock: produced ?? state.lastProducedBlock,
    missesSeen: state.missesSeen + missed,
  };
  if (keyChanged)
    next = { ...next, streak: 0, switchesInIncident: next.switchesInIncident + 1, cleanBlocks: 0 };
  if (missed > 0) next = { ...next, streak: next.streak + missed, cleanBlocks: 0 };
  else next = { ...next, cleanBlocks: next.cleanBlocks + blocks };
  const reset =
    missed === 0 &&
    next.cleanBlocks >= settings.resetAfterCleanChecks &&
    (next.streak > 0 || next.switchesInIncident > 0);
  if (reset) next = { ...next, streak: 0, switchesInIncident: 0, cleanBlocks: 0 };
  return { state: next, blocks, missed, slotsMissed, produced, keyChanged, reset };
}

function step(state: MonitorState): MonitorStep {
  return {
    state,
    blocks: 0,
    missed: 0,
    slotsMissed: [],
    produced: undefined,
    keyChanged: undefined,
    reset: false,
  };
}
