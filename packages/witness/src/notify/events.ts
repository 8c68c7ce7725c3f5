// The guard's events: what happened to a witness, for webhooks, scripts, e-mail and the log file.
// Events carry public keys, transaction ids and block numbers, never a private key.
import { randomUUID } from 'node:crypto';

export type WitnessEventName =
  | 'guard_started'
  | 'guard_stopped'
  | 'miss_seen'
  | 'key_switched'
  | 'switch_failed'
  | 'kill_switch_fired'
  | 'node_unreachable';

export type WitnessEvent = {
  /** A UUID, the same on every delivery, to deduplicate on. */
  readonly id: string;
  readonly name: WitnessEventName;
  /** ISO-8601. */
  readonly time: string;
  /** The guard's name under `witnesses`. */
  readonly guard: string;
  readonly chain: string;
  readonly account: string;
  readonly old_key?: string;
  readonly new_key?: string;
  readonly txid?: string;
  readonly block?: number;
  readonly total_missed?: number;
  readonly streak?: number;
  readonly dry_run?: boolean;
  readonly message?: string;
};

export type WitnessEventFields = Omit<
  WitnessEvent,
  'id' | 'name' | 'time' | 'guard' | 'chain' | 'account'
>;

export type Notify = (event: WitnessEvent) => void;

export function witnessEvent(
  source: { readonly guard: string; readonly chain: string; readonly account: string },
  name: WitnessEventName,
  fields: WitnessEventFields = {},
  now: () => number = Date.now,
): WitnessEvent {
  return {
    id: randomUUID(),
    name,
    time: new Date(now()).toISOString(),
    guard: source.guard,
    chain: source.chain,
    account: source.account,
    ...fields,
  };
}

/** A one-line summary of an event, for people (e-mail subjects, narration). */
export function describeEvent(event: WitnessEvent): string {
  const who = `${event.guard} (${event.account} on ${event.chain})`;
  const tx = event.txid === undefined ? '' : ` tx ${event.txid}`;
  const block = event.block === undefined ? '' : ` in block ${event.block}`;
  switch (event.name) {
    case 'guard_started':
      return `${who}: guard started`;
    case 'guard_stopped':
      return `${who}: guard stopped`;
    case 'miss_seen':
      return `${who}: missed a block (streak ${event.streak ?? '?'}, total_missed ${event.total_missed ?? '?'})`;
    case 'key_switched':
      return `${who}: signing key switched from ${event.old_key} to ${event.new_key}${tx}${block}`;
    case 'switch_failed':
      return `${who}: switch failed: ${event.message ?? 'unknown reason'}`;
    case 'kill_switch_fired':
      return `${who}: kill switch fired, null signing key set${tx}${block}`;
    case 'node_unreachable':
      return `${who}: cannot see a fresh chain: ${event.message ?? 'no API node answered'}`;
  }
}
