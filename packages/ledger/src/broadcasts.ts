// Types and small pure helpers of broadcasts: their outputs, their status, operator holds and
// the lease that keeps one broadcaster per wallet.
import { InvalidValueError } from '@cryptoassets/core';
import type { NetworkTransaction } from './records.js';
import { toDate } from './records.js';
import type { BroadcastHoldState } from './schema.js';

/** Longest reason kept with a held broadcast. */
export const holdReasonLengthMax = 2_000;
/** Longest a lease may be taken for at once. */
export const leaseDurationMsMax = 3_600_000;
const leaseNameLengthMax = 64;
const leaseOwnerLengthMax = 128;

/** One address a broadcast pays and the amount, in minor units (summed over its sends). */
export type BroadcastOutput = {
  readonly address: string;
  readonly amount: bigint;
};

/**
 * Where a broadcast stands: `prepared` (grouped, never opened), `opened` (opened, not closed:
 * in flight or interrupted), `held` (waiting for an operator), `closed` (sent, with a txid;
 * also after an operator resolved it) or `voided` (an operator found it was never sent).
 */
export type BroadcastStatus = 'prepared' | 'opened' | 'held' | 'closed' | 'voided';

export type Broadcast = {
  readonly networkTransaction: NetworkTransaction;
  readonly status: BroadcastStatus;
  /** Why it was held for an operator; null when it never was. */
  readonly holdReason: string | null;
  readonly heldAt: Date | null;
};

export function broadcastStatus(
  network: NetworkTransaction,
  hold: BroadcastHoldState | null,
): BroadcastStatus {
  if (hold === 'voided') return 'voided';
  if (network.closedAt !== null) return 'closed';
  if (hold === 'held') return 'held';
  return network.openedAt === null ? 'prepared' : 'opened';
}

export function optionalDate(value: Date | string | null): Date | null {
  return value === null ? null : toDate(value);
}

export function checkLease(name: string, owner: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > leaseNameLengthMax)
    throw new InvalidValueError('lease', `name must be 1..${leaseNameLengthMax} characters`);
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > leaseOwnerLengthMax)
    throw new InvalidValueError('owner', `must be 1..${leaseOwnerLengthMax} characters`);
}
