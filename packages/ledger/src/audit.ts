// The audit: recomputes every account and address balance from the transactions (double entry).
import { type Kysely, sql } from 'kysely';
import { toAmount, toId } from './records.js';
import type { LedgerTables } from './schema.js';

export type AuditMismatch = {
  /**
   * `account`, `address`: a balance the transactions do not add up to; `held`: an account's held
   * amount that is not the sum of its active holds; `hold`: a settled hold whose capture
   * transaction does not match what it says it captured (captured + released = held).
   */
  readonly kind: 'account' | 'address' | 'held' | 'hold';
  readonly id: number;
  /** Account name, or the address itself. */
  readonly name: string;
  /** What the row says. */
  readonly recorded: bigint;
  /** What the transactions add up to. */
  readonly expected: bigint;
};

export type AuditReport = {
  readonly accounts: number;
  readonly addresses: number;
  readonly transactions: number;
  /** Sum of all account balances. */
  readonly total: bigint;
  readonly mismatches: readonly AuditMismatch[];
  /**
   * Accounts whose active holds exceed their balance: possible only after a transfer that was
   * allowed to go below zero (or for the network fee account); listed, not counted as a mismatch.
   */
  readonly overheld: readonly {
    readonly id: number;
    readonly name: string;
    readonly balance: bigint;
    readonly held: bigint;
  }[];
};

// Which transactions move which balance:
//   credit the receiving account: internal, balance_import, send_void (a voided send given back
//                                 to its sender), and deposits once credited/processed;
//   debit the sending account:    internal, send (pending, broadcasted or voided), network_fee.
// Reorgs: a reversed deposit still counts its first credit; each deposit_reversal debits the
// account (as sender) and the address, each deposit_recredit credits both again.
const creditsAccount = sql<boolean>`(kind in ('internal', 'balance_import', 'send_void', 'deposit_recredit') or (kind = 'deposit' and state in ('credited', 'processed', 'reversed')))`;
const debitsAccount = sql<boolean>`kind in ('internal', 'send', 'network_fee', 'deposit_reversal')`;
const creditsAddress = sql<boolean>`(kind = 'deposit_recredit' or (kind = 'deposit' and state in ('credited', 'processed', 'reversed')))`;
const debitsAddress = sql<boolean>`kind = 'deposit_reversal'`;

export async function auditBooks(db: Kysely<LedgerTables>): Promise<AuditReport> {
  const credits = await sumBy(db, 'receiving_account_id', creditsAccount);
  const debits = await sumBy(db, 'sending_account_id', debitsAccount);
  const received = await sumBy(db, 'address_id', creditsAddress);
  const reversed = await sumBy(db, 'address_id', debitsAddress);
  const mismatches: AuditMismatch[] = [];
  let total = 0n;
  const activeHeld = await heldByAccount(db);
  const overheld: AuditReport['overheld'][number][] = [];
  const accounts = await db
    .selectFrom('account')
    .select(['id', 'name', 'balance', 'held'])
    .orderBy('id')
    .execute();
  for (const row of accounts) {
    const id = toId(row.id);
    const recorded = toAmount(row.balance);
    const expected = (credits.get(id) ?? 0n) - (debits.get(id) ?? 0n);
    total += recorded;
    if (recorded !== expected)
      mismatches.push({ kind: 'account', id, name: row.name, recorded, expected });
    const held = toAmount(row.held);
    const heldExpected = activeHeld.get(id) ?? 0n;
    if (held !== heldExpected)
      mismatches.push({ kind: 'held', id, name: row.name, recorded: held, expected: heldExpected });
    if (held > 0n && held > recorded)
      overheld.push({ id, name: row.name, balance: recorded, held });
  }
  mismatches.push(...(await settledHoldMismatches(db)));
  const addresses = await db
    .selectFrom('address')
    .select(['id', 'address', 'balance'])
    .orderBy('id')
    .execute();
  for (const row of addresses) {
    const id = toId(row.id);
    const recorded = toAmount(row.balance);
    const expected = (received.get(id) ?? 0n) - (reversed.get(id) ?? 0n);
    if (recorded !== expected)
      mismatches.push({ kind: 'address', id, name: row.address, recorded, expected });
  }
  const count = await db
    .selectFrom('transaction')
    .select((eb) => eb.fn.countAll<string | bigint | number>().as('n'))
    .executeTakeFirst();
  return {
    accounts: accounts.length,
    addresses: addresses.length,
    transactions: Number(count?.n ?? 0),
    total,
    mismatches,
    overheld,
  };
}

/** The sum of active holds per account. */
async function heldByAccount(db: Kysely<LedgerTables>): Promise<Map<number, bigint>> {
  const rows = await db
    .selectFrom('hold')
    .select((eb) => ['account_id', eb.fn.sum<string | bigint>('amount').as('total')])
    .where('state', '=', 'active')
    .groupBy('account_id')
    .execute();
  return new Map(rows.map((row) => [toId(row.account_id), toAmount(row.total)]));
}

/**
 * Holds that ended: a captured one has exactly one capture transaction of the captured amount
 * (at most the held amount; the rest was released); a released or expired one has none.
 */
async function settledHoldMismatches(db: Kysely<LedgerTables>): Promise<AuditMismatch[]> {
  const rows = await db
    .selectFrom('hold')
    .leftJoin('transaction', 'transaction.hold_id', 'hold.id')
    .select((eb) => [
      'hold.id as id',
      'hold.state as state',
      'hold.amount as amount',
      'hold.captured as captured',
      eb.fn.sum<string | bigint | null>('transaction.amount').as('moved'),
      eb.fn.count<string | bigint | number>('transaction.id').as('captures'),
    ])
    .where('hold.state', '!=', 'active')
    .groupBy(['hold.id', 'hold.state', 'hold.amount', 'hold.captured'])
    .execute();
  const mismatches: AuditMismatch[] = [];
  for (const row of rows) {
    const captured = toAmount(row.captured);
    const moved = toAmount(row.moved ?? 0n);
    const captures = Number(row.captures);
    const fine =
      row.state === 'captured'
        ? captures === 1 && moved === captured && captured <= toAmount(row.amount)
        : captures === 0 && captured === 0n;
    if (!fine)
      mismatches.push({
        kind: 'hold',
        id: toId(row.id),
        name: `hold ${row.id} (${row.state})`,
        recorded: captured,
        expected: moved,
      });
  }
  return mismatches;
}

async function sumBy(
  db: Kysely<LedgerTables>,
  column: 'receiving_account_id' | 'sending_account_id' | 'address_id',
  condition: ReturnType<typeof sql<boolean>>,
): Promise<Map<number, bigint>> {
  const rows = await db
    .selectFrom('transaction')
    .select((eb) => [eb.ref(column).as('key'), eb.fn.sum<string | bigint>('amount').as('total')])
    .where(column, 'is not', null)
    .where(condition)
    .groupBy(column)
    .execute();
  return new Map(rows.map((row) => [toId(row.key), toAmount(row.total)]));
}
