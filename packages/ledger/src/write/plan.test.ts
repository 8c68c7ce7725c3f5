// The planner alone: order, balances, holds, references and keys, in memory.
import { describe, expect, it } from 'vitest';
import { NotEnoughAccountBalance, SameAccount } from '../errors.js';
import type { Command, TransferCommand } from './commands.js';
import { DuplicateReference, HoldNotActive, IdempotencyKeyReused } from './errors.js';
import { GroupRefused, type HoldRow, keyOf, type Outcome, planRun, type RunState } from './plan.js';

const now = '2026-01-01T00:00:00.000Z';

function state(balances: Record<number, bigint>, holds: HoldRow[] = []): RunState {
  return {
    accounts: new Map(
      Object.entries(balances).map(([id, balance]) => [
        Number(id),
        { id: Number(id), walletId: 1, name: `a${id}`, balance, held: 0n },
      ]),
    ),
    holds: new Map(holds.map((hold) => [hold.id, hold])),
    keys: new Map(),
    transactionReferences: new Set(),
    holdReferences: new Set(),
    fees: new Map(),
    externalAddresses: new Map(),
  };
}

function errorOf(outcome: Outcome | undefined): unknown {
  return outcome !== undefined && !outcome.ok ? outcome.error : undefined;
}

const ref = (id: number) => ({ id, walletId: 1, name: `a${id}` });

function transfer(
  from: number,
  to: number,
  amount: bigint,
  extra: Partial<TransferCommand> = {},
): Command {
  return {
    type: 'transfer',
    walletId: 1,
    from: ref(from),
    to: ref(to),
    amount,
    label: null,
    allowNegativeBalance: false,
    reference: null,
    metadata: null,
    idempotencyKey: undefined,
    request: { from: String(from), to: String(to), amount: String(amount) },
    ...extra,
  };
}

describe('planRun', () => {
  it('applies commands in order: a later transfer sees the earlier credit', () => {
    const s = state({ 1: 0n, 2: 5n, 3: 0n });
    const plan = planRun(
      [{ command: transfer(2, 1, 5n) }, { command: transfer(1, 3, 5n) }],
      s,
      now,
    );
    expect(plan.outcomes.every((o) => o.ok)).toBe(true);
    expect(s.accounts.get(1)?.balance).toBe(0n);
    expect(s.accounts.get(3)?.balance).toBe(5n);
    expect(plan.deltas.get(1)).toEqual({ balance: 0n, held: 0n });
    expect(plan.transactions).toHaveLength(2);
  });

  it('refuses one command without failing its neighbours', () => {
    const s = state({ 1: 3n, 2: 0n });
    const plan = planRun(
      [
        { command: transfer(1, 2, 2n) },
        { command: transfer(1, 2, 2n) },
        { command: transfer(1, 1, 1n) },
        { command: transfer(1, 2, 1n) },
      ],
      s,
      now,
    );
    expect(plan.outcomes.map((o) => o.ok)).toEqual([true, false, false, true]);
    const second = plan.outcomes[1];
    expect(!second?.ok && second?.error).toBeInstanceOf(NotEnoughAccountBalance);
    const third = plan.outcomes[2];
    expect(!third?.ok && third?.error).toBeInstanceOf(SameAccount);
    expect(s.accounts.get(1)?.balance).toBe(0n);
    expect(plan.transactions).toHaveLength(2);
  });

  it('rolls an atomic group back whole when one of its commands is refused', () => {
    const s = state({ 1: 10n, 2: 0n, 3: 0n });
    const plan = planRun(
      [
        { command: transfer(1, 2, 4n), group: 0 },
        { command: transfer(2, 3, 9n), group: 0 },
        { command: transfer(1, 3, 1n) },
      ],
      s,
      now,
    );
    expect(plan.outcomes.map((o) => o.ok)).toEqual([false, false, true]);
    const first = plan.outcomes[0];
    expect(!first?.ok && first?.error).toBeInstanceOf(GroupRefused);
    expect(s.accounts.get(1)?.balance).toBe(9n);
    expect(s.accounts.get(2)?.balance).toBe(0n);
    expect(plan.transactions).toHaveLength(1);
    expect(plan.deltas.get(2)).toEqual({ balance: 0n, held: 0n });
  });

  it('reserves with holds: transfers see the available balance; capture and release end a hold once', () => {
    const hold: HoldRow = {
      id: 7,
      walletId: 1,
      accountId: 1,
      amount: 6n,
      captured: 0n,
      state: 'active',
      expiresAt: null,
      reference: null,
      metadata: null,
      createdAt: now,
      settledAt: null,
    };
    const s = state({ 1: 10n, 2: 0n }, [hold]);
    s.accounts.get(1)!.held = 6n;
    const capture: Command = {
      type: 'capture',
      walletId: 1,
      holdId: 7,
      to: ref(2),
      amount: 4n,
      label: null,
      idempotencyKey: undefined,
      request: {},
    };
    const release: Command = {
      type: 'release',
      walletId: 1,
      holdId: 7,
      ending: 'released',
      idempotencyKey: undefined,
      request: {},
    };
    const plan = planRun(
      [
        { command: transfer(1, 2, 5n) },
        { command: capture },
        { command: release },
        { command: transfer(1, 2, 6n) },
      ],
      s,
      now,
    );
    expect(plan.outcomes.map((o) => o.ok)).toEqual([false, true, false, true]);
    const third = plan.outcomes[2];
    expect(!third?.ok && third?.error).toBeInstanceOf(HoldNotActive);
    expect(hold).toMatchObject({ state: 'captured', captured: 4n });
    expect(s.accounts.get(1)).toMatchObject({ balance: 0n, held: 0n });
    expect(s.accounts.get(2)?.balance).toBe(10n);
  });

  it('replays a key, refuses it with other parameters and names what differs', () => {
    const s = state({ 1: 10n, 2: 0n });
    s.keys.set(keyOf(1, 'k1'), {
      walletId: 1,
      key: 'k1',
      operation: 'transfer',
      request: JSON.stringify(transfer(1, 2, 3n).request),
      transactionId: 99,
      holdId: null,
    });
    const plan = planRun(
      [
        { command: transfer(1, 2, 3n, { idempotencyKey: 'k1' }) },
        {
          command: transfer(1, 2, 4n, {
            idempotencyKey: 'k1',
            request: { from: '1', to: '2', amount: '4' },
          }),
        },
        { command: transfer(1, 2, 1n, { idempotencyKey: 'k2' }) },
        { command: transfer(1, 2, 1n, { idempotencyKey: 'k2' }) },
      ],
      s,
      now,
    );
    expect(plan.outcomes[0]).toMatchObject({ ok: true, planned: { kind: 'replay' } });
    const reused = plan.outcomes[1];
    expect(errorOf(reused)).toBeInstanceOf(IdempotencyKeyReused);
    expect((errorOf(reused) as IdempotencyKeyReused).differences).toEqual(['amount']);
    expect(plan.outcomes[3]).toMatchObject({ ok: true, planned: { kind: 'same', index: 2 } });
    expect(plan.transactions).toHaveLength(1);
    expect(plan.keys.map((k) => k.key)).toEqual(['k2']);
  });

  it('refuses a reference the wallet has, or an earlier command of the run took', () => {
    const s = state({ 1: 10n, 2: 0n });
    s.transactionReferences.add(keyOf(1, 'order-1'));
    const plan = planRun(
      [
        { command: transfer(1, 2, 1n, { reference: 'order-1' }) },
        { command: transfer(1, 2, 1n, { reference: 'order-2' }) },
        { command: transfer(1, 2, 1n, { reference: 'order-2' }) },
      ],
      s,
      now,
    );
    expect(plan.outcomes.map((o) => o.ok)).toEqual([false, true, false]);
    const first = plan.outcomes[0];
    expect(errorOf(first)).toBeInstanceOf(DuplicateReference);
    expect((errorOf(first) as DuplicateReference).code).toBe('DUPLICATE_REFERENCE');
  });
});
