// Named leases (name, owner, expiry) that keep one broadcaster of a wallet running at a time.
//
// Only one broadcaster of a wallet may run at a time, across processes. We use a lease row
// (name, owner, expiry) rather than PostgreSQL's pg_try_advisory_lock: it works the same on
// SQLite and PostgreSQL, needs no connection pinned for as long as the broadcaster runs (an
// advisory lock lives and dies with one session, which a pool may recycle), and the status
// page can show who holds it until when. A holder that dies stops renewing, so its lease
// expires and another process takes over; the duration must exceed the longest step between
// renewals (a send's timeout) plus the clock difference between hosts.
import { assert } from '@cryptoassets/core';
import { checkLease, leaseDurationMsMax, optionalDate } from './broadcasts.js';
import type { LedgerContext } from './context.js';

export type LeaseRequest = {
  readonly name: string;
  readonly owner: string;
  readonly durationMs: number;
  /** Takes the lease from this owner even before it expires (its process is known dead). */
  readonly takeOverFrom?: string;
};

/**
 * Takes the lease `name` for `owner` for `durationMs` when it is free, expired or already
 * `owner`'s (then it is renewed). Returns false when another owner holds it.
 */
export async function acquireLease(ctx: LedgerContext, options: LeaseRequest): Promise<boolean> {
  const { name, owner, durationMs } = options;
  checkLease(name, owner);
  assert(
    Number.isSafeInteger(durationMs) && durationMs > 0 && durationMs <= leaseDurationMsMax,
    `lease duration must be 1..${leaseDurationMsMax} ms`,
  );
  return ctx.resolver.managed('acquire lease', async (tx) => {
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const expiresAt = new Date(nowMs + durationMs).toISOString();
    await tx
      .insertInto('lease')
      .values({ name, owner, expires_at: expiresAt, acquired_at: now, updated_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await tx
      .selectFrom('lease')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    if (row.owner === owner) {
      await tx
        .updateTable('lease')
        .set({ expires_at: expiresAt, updated_at: now })
        .where('name', '=', name)
        .execute();
      return true;
    }
    const expired = (optionalDate(row.expires_at)?.getTime() ?? 0) <= nowMs;
    if (!expired && row.owner !== options.takeOverFrom) return false;
    await tx
      .updateTable('lease')
      .set({ owner, expires_at: expiresAt, acquired_at: now, updated_at: now })
      .where('name', '=', name)
      .execute();
    return true;
  });
}

/** Gives the lease up if `owner` holds it; returns whether it did. */
export async function releaseLease(
  ctx: LedgerContext,
  options: { readonly name: string; readonly owner: string },
): Promise<boolean> {
  checkLease(options.name, options.owner);
  return ctx.resolver.managed('release lease', async (tx) => {
    const result = await tx
      .deleteFrom('lease')
      .where('name', '=', options.name)
      .where('owner', '=', options.owner)
      .executeTakeFirst();
    return result.numDeletedRows === 1n;
  });
}

/** Who holds the lease until when; undefined when nobody ever took it or it was released. */
export async function getLease(
  ctx: LedgerContext,
  name: string,
): Promise<{ readonly owner: string; readonly expiresAt: Date } | undefined> {
  const row = await ctx.db
    .selectFrom('lease')
    .select(['owner', 'expires_at'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row
    ? { owner: row.owner, expiresAt: optionalDate(row.expires_at) ?? new Date(0) }
    : undefined;
}
