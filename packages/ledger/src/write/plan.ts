// The planner: applies a run of commands to an in-memory copy of the rows they touch, in order,
// and says per command what to write or why it is refused. Pure: the store loads the rows
// before and writes the plan after, each in a constant number of statements.
import { assert, InvalidValueError } from '@cryptoassets/core';
import { NotEnoughAccountBalance, NotFound, SameAccount } from '../errors.js';
import type { Hold, Transaction } from '../records.js';
import type { HoldState, TransactionKind, TransactionState } from '../schema.js';
import {
  type CaptureCommand,
  type Command,
  type FeeCommand,
  type HoldCommand,
  type ReleaseCommand,
  requestDifferences,
  type SendCommand,
  type TransferCommand,
} from './commands.js';
import { DuplicateReference, HoldNotActive, IdempotencyKeyReused } from './errors.js';

export type AccountState = {
  readonly id: number;
  readonly walletId: number;
  readonly name: string;
  balance: bigint;
  held: bigint;
};

export type HoldRow = {
  readonly id: number;
  readonly walletId: number;
  readonly accountId: number;
  readonly amount: bigint;
  captured: bigint;
  state: HoldState;
  readonly expiresAt: string | null;
  readonly reference: string | null;
  readonly metadata: string | null;
  readonly createdAt: string;
  settledAt: string | null;
};

export type KeyRow = {
  readonly walletId: number;
  readonly key: string;
  readonly operation: string;
  readonly request: string;
  readonly transactionId: number | null;
  readonly holdId: number | null;
};

/** What the store read for a run: the rows its commands touch. */
export type RunState = {
  readonly accounts: Map<number, AccountState>;
  readonly holds: Map<number, HoldRow>;
  /** By `walletId:key`. */
  readonly keys: Map<string, KeyRow>;
  /** `walletId:reference` of transactions and of holds that exist. */
  readonly transactionReferences: Set<string>;
  readonly holdReferences: Set<string>;
  /** Fee transactions that exist, by network transaction id. */
  readonly fees: Map<number, Transaction>;
  /** External address ids, by `walletId:address`. */
  readonly externalAddresses: Map<string, number>;
};

export type TransactionValues = {
  readonly wallet_id: number;
  readonly kind: TransactionKind;
  readonly state: TransactionState;
  readonly amount: bigint;
  readonly sending_account_id: number | null;
  readonly receiving_account_id: number | null;
  readonly address_id: number | null;
  readonly network_transaction_id: number | null;
  readonly label: string | null;
  readonly created_at: string;
  readonly reference: string | null;
  readonly metadata: string | null;
  readonly hold_id: number | null;
};

export type HoldValues = {
  readonly wallet_id: number;
  readonly account_id: number;
  readonly amount: bigint;
  readonly expires_at: string | null;
  readonly reference: string | null;
  readonly metadata: string | null;
  readonly created_at: string;
};

/** How a planned command's result is found once the plan is written. */
export type Planned =
  | { readonly kind: 'transaction'; readonly insert: number }
  | { readonly kind: 'existing'; readonly transaction: Transaction }
  | { readonly kind: 'hold'; readonly insert: number }
  | { readonly kind: 'capture'; readonly holdId: number; readonly insert: number }
  | { readonly kind: 'release'; readonly holdId: number }
  | {
      readonly kind: 'replay';
      readonly key: KeyRow;
      /** The replayed hold as it stood at this point of the run, when the run touches it. */
      readonly hold?: HoldRow;
    }
  | { readonly kind: 'same'; readonly index: number };

export type Outcome =
  | { readonly ok: true; readonly planned: Planned }
  | { readonly ok: false; readonly error: unknown };

export type KeyInsert = {
  readonly index: number;
  readonly walletId: number;
  readonly key: string;
  readonly operation: string;
  readonly request: string;
};

/** Everything a run writes. Deltas are per account, summed over the run. */
export type Plan = {
  readonly outcomes: Outcome[];
  readonly deltas: Map<number, { balance: bigint; held: bigint }>;
  readonly transactions: TransactionValues[];
  readonly holds: HoldValues[];
  /** Holds whose state changed, by id (the rows in `RunState.holds`, updated). */
  readonly settledHolds: Set<number>;
  readonly keys: KeyInsert[];
};

/** A command and, for an atomic group, the index of the group's first command. */
export type PlanInput = { readonly command: Command; readonly group?: number };

export function keyOf(walletId: number, text: string): string {
  return `${walletId}:${text}`;
}

/** Plans the commands in order against `state`, which it updates as it goes. */
export function planRun(inputs: readonly PlanInput[], state: RunState, nowIso: string): Plan {
  const planner = new Planner(state, nowIso);
  for (let index = 0; index < inputs.length; ) {
    const group = inputs[index]?.group;
    let end = index + 1;
    if (group !== undefined) while (end < inputs.length && inputs[end]?.group === group) end++;
    planner.planGroup(inputs.slice(index, end), index);
    index = end;
  }
  return planner.plan;
}

type Marks = { transactions: number; holds: number; keys: number };

class Planner {
  readonly plan: Plan = {
    outcomes: [],
    deltas: new Map(),
    transactions: [],
    holds: [],
    settledHolds: new Set(),
    keys: [],
  };
  readonly #state: RunState;
  readonly #now: string;
  /** Undo steps of the group being planned. */
  #undo: (() => void)[] = [];
  /** Keys planned in this run: the index of the command that planned them. */
  readonly #plannedKeys = new Map<string, { index: number; request: string; operation: string }>();

  constructor(state: RunState, nowIso: string) {
    this.#state = state;
    this.#now = nowIso;
  }

  /** Plans a group: all of it, or (for an atomic group whose command fails) none of it. */
  planGroup(inputs: readonly PlanInput[], firstIndex: number): void {
    const atomic = inputs.length > 1 || inputs[0]?.group !== undefined;
    const marks = this.#marks();
    this.#undo = [];
    for (let offset = 0; offset < inputs.length; offset++) {
      const input = inputs[offset];
      assert(input !== undefined, 'plan: missing input');
      const outcome = this.#planOne(input.command, firstIndex + offset);
      // A refused command leaves nothing behind (a reference it claimed before a later check
      // refused it stays free for the commands after it); in an atomic group, neither do the
      // commands before it. A group that is not atomic is this one command.
      if (!outcome.ok) this.#rollback(marks);
      if (!outcome.ok && atomic) {
        for (let rest = 0; rest < inputs.length; rest++)
          this.plan.outcomes[firstIndex + rest] = {
            ok: false,
            error: rest === offset ? outcome.error : new GroupRefused(offset, outcome.error),
          };
        return;
      }
      this.plan.outcomes[firstIndex + offset] = outcome;
    }
    this.#undo = [];
  }

  #marks(): Marks {
    return {
      transactions: this.plan.transactions.length,
      holds: this.plan.holds.length,
      keys: this.plan.keys.length,
    };
  }

  #rollback(marks: Marks): void {
    for (const step of this.#undo.reverse()) step();
    this.#undo = [];
    this.plan.transactions.length = marks.transactions;
    this.plan.holds.length = marks.holds;
    this.plan.keys.length = marks.keys;
  }

  #planOne(command: Command, index: number): Outcome {
    try {
      const replay = this.#replay(command);
      if (replay) return { ok: true, planned: replay };
      const planned = this.#apply(command);
      this.#rememberKey(command, index);
      return { ok: true, planned };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** A replay of a stored or earlier key; a key reused with other parameters is refused. */
  #replay(command: Command): Planned | undefined {
    const key = command.idempotencyKey;
    if (key === undefined) return undefined;
    const mapKey = keyOf(command.walletId, key);
    const stored = this.#state.keys.get(mapKey);
    const earlier = this.#plannedKeys.get(mapKey);
    const found = stored
      ? { operation: stored.operation, request: stored.request }
      : (earlier ?? undefined);
    if (!found) return undefined;
    const storedRequest = JSON.parse(found.request) as Record<string, string | null>;
    const differences =
      found.operation === command.type
        ? requestDifferences(storedRequest, command.request)
        : ['operation'];
    if (differences.length > 0)
      throw new IdempotencyKeyReused({ idempotencyKey: key, differences });
    if (stored) {
      const hold = stored.holdId === null ? undefined : this.#state.holds.get(stored.holdId);
      return { kind: 'replay', key: stored, ...(hold ? { hold: { ...hold } } : {}) };
    }
    assert(earlier !== undefined, 'replay of nothing');
    return { kind: 'same', index: earlier.index };
  }

  #rememberKey(command: Command, index: number): void {
    const key = command.idempotencyKey;
    if (key === undefined) return;
    const mapKey = keyOf(command.walletId, key);
    const request = JSON.stringify(command.request);
    this.#plannedKeys.set(mapKey, { index, request, operation: command.type });
    this.plan.keys.push({
      index,
      walletId: command.walletId,
      key,
      operation: command.type,
      request,
    });
    this.#undo.push(() => this.#plannedKeys.delete(mapKey));
  }

  #apply(command: Command): Planned {
    switch (command.type) {
      case 'transfer':
        return this.#transfer(command);
      case 'send':
        return this.#send(command);
      case 'fee':
        return this.#fee(command);
      case 'hold':
        return this.#hold(command);
      case 'capture':
        return this.#capture(command);
      case 'release':
        return this.#release(command);
    }
  }

  #transfer(command: TransferCommand): Planned {
    const { from, to, amount } = command;
    if (from.id === to.id) throw new SameAccount(from.name);
    const sender = this.#account(from.id, from.name, command.walletId);
    const receiver = this.#account(to.id, to.name, command.walletId, 'to');
    this.#claimReference('transaction', command.walletId, command.reference);
    this.#debit(sender, amount, command.allowNegativeBalance);
    this.#move(receiver, amount, 0n);
    const insert = this.#insertTransaction({
      wallet_id: command.walletId,
      kind: 'internal',
      state: 'internal',
      amount,
      sending_account_id: sender.id,
      receiving_account_id: receiver.id,
      label: command.label,
      reference: command.reference,
      metadata: command.metadata,
    });
    return { kind: 'transaction', insert };
  }

  #send(command: SendCommand): Planned {
    const sender = this.#account(command.from.id, command.from.name, command.walletId);
    const addressId = this.#state.externalAddresses.get(keyOf(command.walletId, command.address));
    assert(addressId !== undefined, `send: external address ${command.address} was not stored`);
    this.#claimReference('transaction', command.walletId, command.reference);
    this.#debit(sender, command.amount, false);
    const insert = this.#insertTransaction({
      wallet_id: command.walletId,
      kind: 'send',
      state: 'pending',
      amount: command.amount,
      sending_account_id: sender.id,
      address_id: addressId,
      label: command.label,
      reference: command.reference,
      metadata: command.metadata,
    });
    return { kind: 'transaction', insert };
  }

  #fee(command: FeeCommand): Planned {
    const existing = this.#state.fees.get(command.networkTransactionId);
    if (existing) return { kind: 'existing', transaction: existing };
    const account = this.#account(command.feeAccount.id, command.feeAccount.name, command.walletId);
    this.#debit(account, command.amount, true);
    const insert = this.#insertTransaction({
      wallet_id: command.walletId,
      kind: 'network_fee',
      state: 'network_fee',
      amount: command.amount,
      sending_account_id: account.id,
      network_transaction_id: command.networkTransactionId,
    });
    // A second fee for the same broadcast in this run finds this one.
    const fees = this.#state.fees;
    const placeholder = { id: -1 } as Transaction;
    fees.set(command.networkTransactionId, placeholder);
    this.#undo.push(() => fees.delete(command.networkTransactionId));
    return { kind: 'transaction', insert };
  }

  #hold(command: HoldCommand): Planned {
    const account = this.#account(command.account.id, command.account.name, command.walletId);
    this.#claimReference('hold', command.walletId, command.reference);
    if (account.balance - account.held < command.amount)
      throw new NotEnoughAccountBalance(account.name);
    this.#move(account, 0n, command.amount);
    this.plan.holds.push({
      wallet_id: command.walletId,
      account_id: account.id,
      amount: command.amount,
      expires_at: command.expiresAt,
      reference: command.reference,
      metadata: command.metadata,
      created_at: this.#now,
    });
    return { kind: 'hold', insert: this.plan.holds.length - 1 };
  }

  #capture(command: CaptureCommand): Planned {
    const hold = this.#activeHold(command.holdId, command.walletId);
    // Past its expiry a hold can no longer be captured; the service releases it shortly.
    if (this.#expired(hold)) throw new HoldNotActive({ holdId: hold.id, state: 'expired' });
    const amount = command.amount ?? hold.amount;
    if (amount > hold.amount) throw new InvalidValueError('amount', 'more than the hold reserves');
    const sender = this.#account(hold.accountId, `of hold ${hold.id}`, command.walletId);
    if (command.to.id === sender.id) throw new SameAccount(sender.name);
    const receiver = this.#account(command.to.id, command.to.name, command.walletId, 'to');
    this.#move(sender, -amount, -hold.amount);
    this.#move(receiver, amount, 0n);
    this.#settle(hold, 'captured', amount);
    const insert = this.#insertTransaction({
      wallet_id: command.walletId,
      kind: 'internal',
      state: 'internal',
      amount,
      sending_account_id: sender.id,
      receiving_account_id: receiver.id,
      label: command.label,
      hold_id: hold.id,
    });
    return { kind: 'capture', holdId: hold.id, insert };
  }

  #release(command: ReleaseCommand): Planned {
    const hold = this.#activeHold(command.holdId, command.walletId);
    const account = this.#account(hold.accountId, `of hold ${hold.id}`, command.walletId);
    this.#move(account, 0n, -hold.amount);
    this.#settle(hold, this.#expired(hold) ? 'expired' : command.ending, 0n);
    return { kind: 'release', holdId: hold.id };
  }

  #expired(hold: HoldRow): boolean {
    return hold.expiresAt !== null && Date.parse(hold.expiresAt) <= Date.parse(this.#now);
  }

  #activeHold(holdId: number, walletId: number): HoldRow {
    const hold = this.#state.holds.get(holdId);
    if (!hold || hold.walletId !== walletId) throw new NotFound(`hold ${holdId}`);
    if (hold.state !== 'active') throw new HoldNotActive({ holdId, state: hold.state });
    return hold;
  }

  #settle(hold: HoldRow, state: HoldState, captured: bigint): void {
    const before = { state: hold.state, captured: hold.captured, settledAt: hold.settledAt };
    const wasSettled = this.plan.settledHolds.has(hold.id);
    hold.state = state;
    hold.captured = captured;
    hold.settledAt = this.#now;
    this.plan.settledHolds.add(hold.id);
    this.#undo.push(() => {
      hold.state = before.state;
      hold.captured = before.captured;
      hold.settledAt = before.settledAt;
      if (!wasSettled) this.plan.settledHolds.delete(hold.id);
    });
  }

  #account(id: number, name: string, walletId: number, field = 'from'): AccountState {
    const account = this.#state.accounts.get(id);
    if (!account) throw new NotFound(`account ${JSON.stringify(name)}`);
    if (account.walletId !== walletId)
      throw new InvalidValueError(field, `account ${account.name} is in another wallet`);
    return account;
  }

  /** Takes `amount` from what the account has available (balance less holds). */
  #debit(account: AccountState, amount: bigint, allowNegative: boolean): void {
    if (!allowNegative && account.balance - account.held < amount)
      throw new NotEnoughAccountBalance(account.name);
    this.#move(account, -amount, 0n);
  }

  #move(account: AccountState, balanceDelta: bigint, heldDelta: bigint): void {
    account.balance += balanceDelta;
    account.held += heldDelta;
    let delta = this.plan.deltas.get(account.id);
    if (!delta) {
      delta = { balance: 0n, held: 0n };
      this.plan.deltas.set(account.id, delta);
    }
    delta.balance += balanceDelta;
    delta.held += heldDelta;
    const entry = delta;
    this.#undo.push(() => {
      account.balance -= balanceDelta;
      account.held -= heldDelta;
      entry.balance -= balanceDelta;
      entry.held -= heldDelta;
    });
  }

  #claimReference(what: 'transaction' | 'hold', walletId: number, reference: string | null): void {
    if (reference === null) return;
    const taken =
      what === 'transaction' ? this.#state.transactionReferences : this.#state.holdReferences;
    const key = keyOf(walletId, reference);
    if (taken.has(key)) throw new DuplicateReference({ reference, what });
    taken.add(key);
    this.#undo.push(() => taken.delete(key));
  }

  /** Plans a transaction row; what `values` leaves out is null (created now). */
  #insertTransaction(
    values: Pick<TransactionValues, 'wallet_id' | 'kind' | 'state' | 'amount'> &
      Partial<TransactionValues>,
  ): number {
    this.plan.transactions.push({
      sending_account_id: null,
      receiving_account_id: null,
      address_id: null,
      network_transaction_id: null,
      label: null,
      reference: null,
      metadata: null,
      hold_id: null,
      created_at: this.#now,
      ...values,
    });
    return this.plan.transactions.length - 1;
  }
}

/** A command of an atomic group that was fine, refused because another one of the group was. */
export class GroupRefused extends Error {
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super(`command ${index} of the atomic batch was refused`, { cause });
    this.index = index;
  }
}

export type { Hold };
