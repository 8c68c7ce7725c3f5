// Money movements through the writer: transfers (one, or many at once, atomic or not), sends,
// network fees and holds. Each call checks its input, turns it into a command and waits for the
// writer's commit; idempotency keys, references and metadata ride along.
import { assert, checkAmount, InvalidValueError } from '@cryptoassets/core';
import { sql } from 'kysely';
import * as addresses from './addresses.js';
import { checkLabel } from './checks.js';
import {
  type AccountRef,
  type LedgerContext,
  listLimitMax,
  requireBackend,
  type Tx,
  type WalletRef,
} from './context.js';
import { insertTransaction } from './entries.js';
import { NotFound } from './errors.js';
import { type Hold, mapHold, type Transaction, toAmount } from './records.js';
import type { HoldState } from './schema.js';
import * as wallets from './wallets.js';
import {
  type CaptureCommand,
  checkIdempotencyKey,
  checkMetadata,
  checkReference,
  type HoldCommand,
  type MoveOptions,
  type SendCommand,
  type TransferCommand,
} from './write/commands.js';
import { AtomicBatchRefused } from './write/errors.js';
import { GroupRefused } from './write/plan.js';
import { type CommandResult, commandsPerBatchMax, type Settled } from './write/writer.js';

/** A result of a call that moves money: `replayed` when its idempotency key had moved it before. */
export type Moved<T> = T & { readonly replayed: boolean };

export type TransferOptions = MoveOptions & {
  readonly from: AccountRef;
  readonly to: AccountRef;
  /** Minor units, greater than zero. */
  readonly amount: bigint;
  readonly label?: string;
  /** Let the sender's balance go below zero (off by default). */
  readonly allowNegativeBalance?: boolean;
};

export type SendOptions = MoveOptions & {
  readonly from: AccountRef;
  readonly address: string;
  readonly amount: bigint;
  readonly label?: string;
  /** Send over the network even when the address belongs to this wallet. */
  readonly forceExternal?: boolean;
};

export type TransferManyResult =
  | { readonly ok: true; readonly transaction: Moved<Transaction> }
  | { readonly ok: false; readonly error: unknown };

export type HoldOptions = MoveOptions & {
  readonly account: AccountRef;
  /** Minor units to reserve, greater than zero. */
  readonly amount: bigint;
  /** Released by the service this many seconds from now, unless settled before. */
  readonly expiresInS?: number;
};

export type CaptureOptions = {
  readonly to: AccountRef;
  /** At most the held amount; the whole of it when left out. What is not captured is released. */
  readonly amount?: bigint;
  readonly label?: string;
  readonly idempotencyKey?: string;
};

export type HoldFilter = {
  readonly wallet: WalletRef;
  readonly account?: Pick<AccountRef, 'id'>;
  readonly state?: HoldState;
  readonly limit?: number;
};

/** Longest a hold may be set to last: a year. */
export const holdExpiresInSMax = 31_536_000;
/** Most expired holds one `expireHolds` call releases. */
export const expiredHoldsPerCallMax = 1_000;

type MoneyContext = LedgerContext;

export async function transfer(
  ctx: MoneyContext,
  options: TransferOptions,
): Promise<Moved<Transaction>> {
  return transactionOf(await ctx.writer.submit(transferCommand(options)));
}

/**
 * Many transfers queued at once (at most 8,000). Atomic: all commit or none does, and a refusal
 * is an `AtomicBatchRefused` naming the command and carrying its error. Otherwise each transfer
 * succeeds or fails on its own, and the results come back in order.
 */
export async function transferMany(
  ctx: MoneyContext,
  list: readonly TransferOptions[],
  options: { readonly atomic?: boolean } = {},
): Promise<TransferManyResult[]> {
  if (!Array.isArray(list) || list.length > commandsPerBatchMax)
    throw new InvalidValueError('transfers', `expected at most ${commandsPerBatchMax}`);
  const commands = list.map((item, index) => {
    try {
      return transferCommand(item);
    } catch (error) {
      if (error instanceof InvalidValueError)
        throw new InvalidValueError(`transfers[${index}].${error.field}`, error.shortMessage, {
          cause: error,
        });
      throw error;
    }
  });
  const atomic = options.atomic ?? false;
  const settled = await ctx.writer.submitAll(commands, { atomic });
  if (atomic) refuseAtomic(settled);
  return settled.map((one) =>
    one.ok ? { ok: true, transaction: transactionOf(one.result) } : { ok: false, error: one.error },
  );
}

function refuseAtomic(settled: readonly Settled[]): void {
  const index = settled.findIndex((one) => !one.ok && !(one.error instanceof GroupRefused));
  if (index === -1) return;
  const failed = settled[index];
  assert(failed !== undefined && !failed.ok, 'atomic refusal without its error');
  throw new AtomicBatchRefused({ index, cause: failed.error });
}

function transferCommand(options: TransferOptions): TransferCommand {
  const { from, to } = options;
  const amount = checkAmount(options.amount, 'amount');
  const label = options.label === undefined ? null : checkLabel(options.label);
  const attached = attachments(options);
  if (from.walletId !== to.walletId)
    throw new InvalidValueError('to', `account ${to.name} is in another wallet`);
  const allowNegativeBalance = options.allowNegativeBalance ?? false;
  return {
    type: 'transfer',
    walletId: from.walletId,
    from,
    to,
    amount,
    label,
    allowNegativeBalance,
    ...attached,
    request: {
      from: String(from.id),
      to: String(to.id),
      amount: amount.toString(),
      label,
      allow_negative_balance: String(allowNegativeBalance),
      reference: attached.reference,
      metadata: attached.metadata,
    },
  };
}

/**
 * Sends to an address: an internal transfer when a receiving address of the same wallet owns
 * it (unless `forceExternal`), otherwise a `pending` external send, debited at once.
 */
export async function send(ctx: MoneyContext, options: SendOptions): Promise<Moved<Transaction>> {
  addresses.checkAddress(ctx, options.address);
  if (!options.forceExternal) {
    const owner = await addresses.findAccountByAddress(
      ctx,
      { id: options.from.walletId },
      options.address,
    );
    if (owner) {
      const { forceExternal: _, address: __, ...rest } = options;
      return transfer(ctx, { ...rest, to: owner });
    }
  }
  return sendExternal(ctx, options);
}

/** Queues an external send: validates, debits the account and records a `pending` transaction. */
export async function sendExternal(
  ctx: MoneyContext,
  options: Omit<SendOptions, 'forceExternal'>,
): Promise<Moved<Transaction>> {
  const amount = checkAmount(options.amount, 'amount');
  const address = addresses.checkAddress(ctx, options.address);
  const label = options.label === undefined ? null : checkLabel(options.label);
  const attached = attachments(options);
  requireBackend(ctx);
  const { from } = options;
  const command: SendCommand = {
    type: 'send',
    walletId: from.walletId,
    from,
    address,
    amount,
    label,
    ...attached,
    request: {
      from: String(from.id),
      address,
      amount: amount.toString(),
      label,
      reference: attached.reference,
      metadata: attached.metadata,
    },
  };
  return transactionOf(await ctx.writer.submit(command));
}

/** Charges a broadcast's network fee to the wallet's fee account, once per broadcast. */
export async function chargeNetworkFee(
  ctx: MoneyContext,
  options: {
    readonly wallet: WalletRef;
    readonly networkTransactionId: number;
    readonly fee: bigint;
  },
): Promise<Transaction | undefined> {
  const fee = checkAmount(options.fee, 'fee', 'non-negative');
  if (fee === 0n) return undefined;
  const feeAccount = await wallets.getNetworkFeeAccount(ctx, options.wallet);
  const result = await ctx.writer.submit({
    type: 'fee',
    walletId: options.wallet.id,
    feeAccount,
    networkTransactionId: options.networkTransactionId,
    amount: fee,
    idempotencyKey: undefined,
    request: {},
  });
  const { replayed: _, ...transaction } = transactionOf(result);
  return transaction;
}

// ---- holds -------------------------------------------------------------------------------------

/** Reserves an amount of the account's available balance until it is captured or released. */
export async function hold(ctx: MoneyContext, options: HoldOptions): Promise<Moved<Hold>> {
  const amount = checkAmount(options.amount, 'amount');
  const { expiresInS } = options;
  if (
    expiresInS !== undefined &&
    (!Number.isSafeInteger(expiresInS) || expiresInS < 1 || expiresInS > holdExpiresInSMax)
  )
    throw new InvalidValueError('expiresInS', `expected whole seconds 1..${holdExpiresInSMax}`);
  const attached = attachments(options);
  const { account } = options;
  const command: HoldCommand = {
    type: 'hold',
    walletId: account.walletId,
    account,
    amount,
    expiresAt:
      expiresInS === undefined ? null : new Date(Date.now() + expiresInS * 1000).toISOString(),
    ...attached,
    request: {
      account: String(account.id),
      amount: amount.toString(),
      expires_in_s: expiresInS === undefined ? null : String(expiresInS),
      reference: attached.reference,
      metadata: attached.metadata,
    },
  };
  return holdOf(await ctx.writer.submit(command));
}

/** Moves all or part of a hold to `to` in one step and releases the rest; the hold ends. */
export async function captureHold(
  ctx: MoneyContext,
  holdId: number,
  options: CaptureOptions,
): Promise<Moved<{ readonly hold: Hold; readonly transaction: Transaction }>> {
  checkHoldId(holdId);
  const amount = options.amount === undefined ? undefined : checkAmount(options.amount, 'amount');
  const label = options.label === undefined ? null : checkLabel(options.label);
  const idempotencyKey =
    options.idempotencyKey === undefined ? undefined : checkIdempotencyKey(options.idempotencyKey);
  const { to } = options;
  const command: CaptureCommand = {
    type: 'capture',
    walletId: to.walletId,
    holdId,
    to,
    amount,
    label,
    idempotencyKey,
    request: { hold: String(holdId), to: String(to.id), amount: amount?.toString() ?? null, label },
  };
  const { value, replayed } = await ctx.writer.submit(command);
  assert(value.kind === 'capture', 'a capture without its transaction');
  return { hold: value.hold, transaction: value.transaction, replayed };
}

/** Releases a hold: its amount is available again; the hold ends. */
export async function releaseHold(
  ctx: MoneyContext,
  holdId: number,
  options: { readonly wallet: WalletRef; readonly idempotencyKey?: string },
): Promise<Moved<Hold>> {
  checkHoldId(holdId);
  const idempotencyKey =
    options.idempotencyKey === undefined ? undefined : checkIdempotencyKey(options.idempotencyKey);
  return holdOf(
    await ctx.writer.submit({
      type: 'release',
      walletId: options.wallet.id,
      holdId,
      ending: 'released',
      idempotencyKey,
      request: { hold: String(holdId) },
    }),
  );
}

/**
 * Releases active holds whose expiry has passed (at most `expiredHoldsPerCallMax` per call),
 * each with a `holdupdate` event; returns them. A hold settled meanwhile is left as it is.
 */
export async function expireHolds(
  ctx: MoneyContext,
  options: { readonly now?: Date } = {},
): Promise<Hold[]> {
  const now = (options.now ?? new Date()).toISOString();
  const due = await ctx.db
    .selectFrom('hold')
    .select(['id', 'wallet_id'])
    .where('state', '=', 'active')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(expiredHoldsPerCallMax)
    .execute();
  if (due.length === 0) return [];
  const settled = await ctx.writer.submitAll(
    due.map((row) => ({
      type: 'release' as const,
      walletId: Number(row.wallet_id),
      holdId: Number(row.id),
      ending: 'expired' as const,
      idempotencyKey: undefined,
      request: {},
    })),
    { atomic: false },
  );
  return settled.flatMap((one) =>
    one.ok && one.result.value.kind === 'hold' ? [one.result.value.hold] : [],
  );
}

export async function getHold(ctx: LedgerContext, holdId: number): Promise<Hold | undefined> {
  checkHoldId(holdId);
  const row = await ctx.db
    .selectFrom('hold')
    .selectAll()
    .where('id', '=', holdId)
    .executeTakeFirst();
  return row ? mapHold(row) : undefined;
}

export async function requireHold(ctx: LedgerContext, holdId: number): Promise<Hold> {
  const found = await getHold(ctx, holdId);
  if (!found) throw new NotFound(`hold ${holdId}`);
  return found;
}

/** Holds of a wallet, or one account, newest first. */
export async function listHolds(ctx: LedgerContext, filter: HoldFilter): Promise<Hold[]> {
  const limit = filter.limit ?? 100;
  assert(
    Number.isInteger(limit) && limit > 0 && limit <= listLimitMax,
    `limit must be 1..${listLimitMax}`,
  );
  let query = ctx.db.selectFrom('hold').selectAll().where('wallet_id', '=', filter.wallet.id);
  if (filter.account) query = query.where('account_id', '=', filter.account.id);
  if (filter.state) query = query.where('state', '=', filter.state);
  return (await query.orderBy('id', 'desc').limit(limit).execute()).map(mapHold);
}

// ---- helpers -----------------------------------------------------------------------------------

function attachments(options: MoveOptions) {
  return {
    idempotencyKey:
      options.idempotencyKey === undefined
        ? undefined
        : checkIdempotencyKey(options.idempotencyKey),
    reference: options.reference === undefined ? null : checkReference(options.reference),
    metadata: checkMetadata(options.metadata),
  };
}

function checkHoldId(holdId: number): void {
  if (!Number.isSafeInteger(holdId) || holdId < 1)
    throw new InvalidValueError('hold', 'expected a hold id (a whole number)');
}

function transactionOf(result: CommandResult): Moved<Transaction> {
  assert(result.value.kind === 'transaction', 'expected a transaction');
  return { ...result.value.transaction, replayed: result.replayed };
}

function holdOf(result: CommandResult): Moved<Hold> {
  assert(result.value.kind === 'hold', 'expected a hold');
  return { ...result.value.hold, replayed: result.replayed };
}

// ---- balance import ----------------------------------------------------------------------------

/**
 * Imports the backend wallet's balance that no account holds yet into `account`, as a
 * `balance_import` transaction. Returns undefined when nothing is unaccounted.
 */
export async function importBalance(
  ctx: MoneyContext,
  account: AccountRef,
): Promise<Transaction | undefined> {
  const backendBalance = await requireBackend(ctx).getBalance();
  return ctx.write('import balance', async (tx) => {
    const unaccounted = backendBalance - (await accountedMinor(tx, account.walletId));
    if (unaccounted <= 0n) return undefined;
    await tx
      .updateTable('account')
      .set({ balance: sql`balance + ${unaccounted}` })
      .where('id', '=', account.id)
      .execute();
    return insertTransaction(tx, {
      wallet_id: account.walletId,
      kind: 'balance_import',
      state: 'balance_import',
      amount: unaccounted,
      receiving_account_id: account.id,
      label: 'balance import',
    });
  });
}

/** What the backend wallet should hold for these books: balances plus sends not yet broadcast. */
async function accountedMinor(tx: Tx, walletId: number): Promise<bigint> {
  const balances = await tx
    .selectFrom('account')
    .select((eb) => eb.fn.sum<string | bigint>('balance').as('total'))
    .where('wallet_id', '=', walletId)
    .executeTakeFirst();
  const pending = await tx
    .selectFrom('transaction')
    .select((eb) => eb.fn.sum<string | bigint>('amount').as('total'))
    .where('wallet_id', '=', walletId)
    .where('kind', '=', 'send')
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return toAmount(balances?.total ?? 0n) + toAmount(pending?.total ?? 0n);
}
