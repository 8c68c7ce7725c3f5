// Model-based property tests of the books: random sequences of deposits, transfers, sends,
// broadcasts, fees, marks and balance imports, checked step by step against a model kept here,
// and at the end against the invariants of double-entry bookkeeping.
import {
  type Account,
  type Address,
  BadTransactionState,
  type Ledger,
  listLimitMax,
  NotEnoughAccountBalance,
  type OfflineBackend,
  SameAccount,
  type Transaction,
  type Wallet,
} from '@cryptoassets/ledger';
import { dialectsUnderTest, openOfflineBooks, randomTxid } from '@cryptoassets/ledger/testing';
import fc, { type AsyncCommand } from 'fast-check';
import { describe, expect, it } from 'vitest';

const userAccounts = 3;
const receivingAddresses = 6;
const externalAddresses = 2;
const commandsMin = 30;
const commandsMax = 60;
const runsPerDialect = 25;

type DepositState = 'incoming' | 'credited' | 'processed';

type ModelDeposit = {
  readonly txid: string;
  readonly address: number;
  readonly transactionId: number;
  amount: bigint;
  state: DepositState;
};

type ModelSend = {
  readonly id: number;
  readonly amount: bigint;
  broadcastId: number | undefined;
  state: 'pending' | 'broadcasted';
};

type ModelBroadcast = {
  readonly id: number;
  opened: boolean;
  closed: boolean;
  fee: bigint | undefined;
};

/** What the books should hold. Account slot 0 is the network fee account, 1.. are users. */
type Model = {
  readonly balances: bigint[];
  readonly addressBalances: bigint[];
  readonly deposits: ModelDeposit[];
  readonly txids: string[];
  readonly sends: ModelSend[];
  readonly broadcasts: ModelBroadcast[];
  /** Account slots that a transfer allowed to go below zero. */
  readonly mayBeNegative: Set<number>;
  credited: bigint;
  imported: bigint;
  sent: bigint;
  fees: bigint;
  refused: number;
};

type Real = {
  readonly ledger: Ledger;
  readonly backend: OfflineBackend;
  readonly wallet: Wallet;
  readonly accounts: readonly Account[];
  readonly addresses: readonly Address[];
  readonly externals: readonly string[];
};

type LedgerCommand = AsyncCommand<Model, Real>;

const sum = (values: Iterable<bigint>): bigint => {
  let total = 0n;
  for (const value of values) total += value;
  return total;
};

const ownerSlot = (addressSlot: number): number => 1 + (addressSlot % userAccounts);

const byId = (a: number, b: number): number => a - b;

/** A command that runs `step`, then checks every account and address balance against the model. */
function command(label: string, step: (model: Model, real: Real) => Promise<void>): LedgerCommand {
  return {
    check: () => true,
    run: async (model, real) => {
      await step(model, real);
      await expectBalancesMatch(model, real);
    },
    toString: () => label,
  };
}

async function expectBalancesMatch(model: Model, real: Real): Promise<void> {
  const rows = new Map((await real.ledger.listAccounts(real.wallet)).map((a) => [a.id, a.balance]));
  expect(real.accounts.map((a) => rows.get(a.id))).toEqual(model.balances);
  const addresses = new Map(
    (await real.ledger.listReceivingAddresses({ wallet: real.wallet })).map((a) => [
      a.id,
      a.balance,
    ]),
  );
  expect(real.addresses.map((a) => addresses.get(a.id))).toEqual(model.addressBalances);
}

/** An expected business refusal; the command then finds the balances as the model left them. */
async function expectRefused(
  model: Model,
  outcome: Promise<unknown>,
  error: abstract new (...args: never[]) => Error,
): Promise<void> {
  await expect(outcome).rejects.toBeInstanceOf(error);
  model.refused++;
}

// ---- commands ---------------------------------------------------------------------------------

async function recordDeposit(
  model: Model,
  real: Real,
  update: { txid: string; address: number; amount: bigint; confirmations: number },
): Promise<void> {
  const existing = model.deposits.find(
    (d) => d.txid === update.txid && d.address === update.address,
  );
  const outcome = real.ledger.recordDeposit({
    ...update,
    address: real.addresses[update.address]!.address,
  });
  if (existing && existing.state !== 'incoming' && existing.amount !== update.amount) {
    await expectRefused(model, outcome, BadTransactionState);
    return;
  }
  const result = await outcome;
  expect(result).toBeDefined();
  const deposit: ModelDeposit = existing ?? {
    txid: update.txid,
    address: update.address,
    transactionId: result!.transaction.id,
    amount: update.amount,
    state: 'incoming',
  };
  if (!existing) model.deposits.push(deposit);
  if (!model.txids.includes(update.txid)) model.txids.push(update.txid);
  deposit.amount = update.amount;
  const creditNow =
    deposit.state === 'incoming' && update.confirmations >= real.ledger.coin.confirmations;
  if (creditNow) {
    deposit.state = 'credited';
    model.balances[ownerSlot(update.address)]! += update.amount;
    model.addressBalances[update.address]! += update.amount;
    model.credited += update.amount;
  }
  expect(result!.creditedNow).toBe(creditNow);
  expect(result!.transaction).toMatchObject({
    id: deposit.transactionId,
    kind: 'deposit',
    state: deposit.state,
    amount: deposit.amount,
    receivingAccountId: real.accounts[ownerSlot(update.address)]!.id,
  });
  expect(result!.networkTransaction).toMatchObject({
    txid: update.txid,
    confirmations: update.confirmations,
  });
}

const amountArb = fc.bigInt({ min: 1n, max: 5_000n });
/** Smaller than deposits, so that most movements go through and some are refused. */
const moveArb = fc.bigInt({ min: 1n, max: 1_500n });
/** Mostly true: pick a broadcast the step applies to; otherwise any, to meet refusals too. */
const eligibleArb = fc.oneof(
  { arbitrary: fc.constant(true), weight: 3 },
  { arbitrary: fc.constant(false), weight: 1 },
);
const confirmationsArb = fc.integer({ min: 0, max: 6 });
const accountSlotArb = fc.integer({ min: 0, max: userAccounts });
const userSlotArb = fc.integer({ min: 1, max: userAccounts });
const addressSlotArb = fc.integer({ min: 0, max: receivingAddresses - 1 });

const newDeposit = fc
  .record({
    address: addressSlotArb,
    amount: amountArb,
    confirmations: confirmationsArb,
    // Another output of a network transaction already seen, or a new one.
    sameTxidAs: fc.option(fc.nat(), { freq: 4 }),
  })
  .map((p) =>
    command(
      `deposit(address ${p.address}, ${p.amount}, ${p.confirmations} conf${p.sameTxidAs === null ? '' : `, txid #${p.sameTxidAs}`})`,
      (model, real) => {
        const shared =
          p.sameTxidAs === null || model.txids.length === 0
            ? undefined
            : model.txids[p.sameTxidAs % model.txids.length];
        return recordDeposit(model, real, {
          txid: shared ?? randomTxid(),
          address: p.address,
          amount: p.amount,
          confirmations: p.confirmations,
        });
      },
    ),
  );

const depositUpdate = fc
  .record({
    index: fc.nat(),
    confirmations: confirmationsArb,
    newAmount: fc.option(amountArb, { freq: 4 }),
  })
  .map((p) =>
    command(
      `update deposit #${p.index} (${p.confirmations} conf${p.newAmount === null ? '' : `, amount ${p.newAmount}`})`,
      async (model, real) => {
        const deposit = model.deposits[p.index % Math.max(1, model.deposits.length)];
        if (!deposit) return;
        await recordDeposit(model, real, {
          txid: deposit.txid,
          address: deposit.address,
          amount: p.newAmount ?? deposit.amount,
          confirmations: p.confirmations,
        });
      },
    ),
  );

const transfer = fc
  .record({
    from: accountSlotArb,
    to: accountSlotArb,
    amount: moveArb,
    allowNegative: fc.oneof(
      { arbitrary: fc.constant(false), weight: 4 },
      { arbitrary: fc.constant(true), weight: 1 },
    ),
  })
  .map((p) =>
    command(
      `transfer(${p.from} -> ${p.to}, ${p.amount}${p.allowNegative ? ', negative allowed' : ''})`,
      async (model, real) => {
        const outcome = real.ledger.transfer({
          from: real.accounts[p.from]!,
          to: real.accounts[p.to]!,
          amount: p.amount,
          allowNegativeBalance: p.allowNegative,
        });
        if (p.from === p.to) return expectRefused(model, outcome, SameAccount);
        if (!p.allowNegative && model.balances[p.from]! < p.amount)
          return expectRefused(model, outcome, NotEnoughAccountBalance);
        const done = await outcome;
        expect(done).toMatchObject({
          kind: 'internal',
          state: 'internal',
          amount: p.amount,
          sendingAccountId: real.accounts[p.from]!.id,
          receivingAccountId: real.accounts[p.to]!.id,
        });
        model.balances[p.from]! -= p.amount;
        model.balances[p.to]! += p.amount;
        if (model.balances[p.from]! < 0n) model.mayBeNegative.add(p.from);
      },
    ),
  );

const sendExternal = fc
  .record({ from: accountSlotArb, amount: moveArb, external: fc.nat(externalAddresses - 1) })
  .map((p) =>
    command(`send(${p.from} -> external ${p.external}, ${p.amount})`, async (model, real) => {
      const outcome = real.ledger.send({
        from: real.accounts[p.from]!,
        address: real.externals[p.external]!,
        amount: p.amount,
        forceExternal: true,
      });
      if (model.balances[p.from]! < p.amount)
        return expectRefused(model, outcome, NotEnoughAccountBalance);
      const done = await outcome;
      expect(done).toMatchObject({
        kind: 'send',
        state: 'pending',
        amount: p.amount,
        sendingAccountId: real.accounts[p.from]!.id,
        networkTransactionId: null,
      });
      model.sends.push({ id: done.id, amount: p.amount, broadcastId: undefined, state: 'pending' });
      model.balances[p.from]! -= p.amount;
      model.sent += p.amount;
    }),
  );

const sendToOwnAddress = fc
  .record({ from: accountSlotArb, address: addressSlotArb, amount: moveArb })
  .map((p) =>
    command(`send(${p.from} -> own address ${p.address}, ${p.amount})`, async (model, real) => {
      const to = ownerSlot(p.address);
      const outcome = real.ledger.send({
        from: real.accounts[p.from]!,
        address: real.addresses[p.address]!.address,
        amount: p.amount,
      });
      if (p.from === to) return expectRefused(model, outcome, SameAccount);
      if (model.balances[p.from]! < p.amount)
        return expectRefused(model, outcome, NotEnoughAccountBalance);
      const done = await outcome;
      expect(done).toMatchObject({
        kind: 'internal',
        amount: p.amount,
        receivingAccountId: real.accounts[to]!.id,
      });
      model.balances[p.from]! -= p.amount;
      model.balances[to]! += p.amount;
    }),
  );

async function prepare(model: Model, real: Real): Promise<ModelBroadcast | undefined> {
  const waiting = model.sends.filter((s) => s.broadcastId === undefined);
  const prepared = await real.ledger.prepareBroadcast(real.wallet);
  if (waiting.length === 0) {
    expect(prepared).toBeUndefined();
    return undefined;
  }
  expect(prepared).toBeDefined();
  const network = prepared!.networkTransaction;
  expect(network).toMatchObject({ type: 'broadcast', txid: null, openedAt: null });
  expect(prepared!.transactions.map((t) => t.id).sort(byId)).toEqual(
    waiting.map((s) => s.id).sort(byId),
  );
  for (const s of waiting) s.broadcastId = network.id;
  const broadcast: ModelBroadcast = {
    id: network.id,
    opened: false,
    closed: false,
    fee: undefined,
  };
  model.broadcasts.push(broadcast);
  return broadcast;
}

async function open(model: Model, real: Real, broadcast: ModelBroadcast): Promise<void> {
  const outcome = real.ledger.markBroadcastOpened(broadcast.id);
  if (broadcast.opened) return expectRefused(model, outcome, BadTransactionState);
  const opened = await outcome;
  expect(opened.openedAt).not.toBeNull();
  expect(opened.closedAt).toBeNull();
  broadcast.opened = true;
}

async function close(model: Model, real: Real, broadcast: ModelBroadcast): Promise<void> {
  const txid = randomTxid();
  const outcome = real.ledger.markBroadcastClosed(broadcast.id, txid);
  if (!broadcast.opened || broadcast.closed)
    return expectRefused(model, outcome, BadTransactionState);
  const closed = await outcome;
  expect(closed).toMatchObject({ id: broadcast.id, txid });
  expect(closed.closedAt).not.toBeNull();
  broadcast.closed = true;
  for (const s of model.sends) if (s.broadcastId === broadcast.id) s.state = 'broadcasted';
}

async function chargeFee(
  model: Model,
  real: Real,
  broadcast: ModelBroadcast,
  fee: bigint,
): Promise<void> {
  const charged = await real.ledger.chargeNetworkFee({
    wallet: real.wallet,
    networkTransactionId: broadcast.id,
    fee,
  });
  if (fee === 0n) {
    expect(charged).toBeUndefined();
    return;
  }
  expect(charged).toMatchObject({
    kind: 'network_fee',
    networkTransactionId: broadcast.id,
    sendingAccountId: real.accounts[0]!.id,
    // A second charge returns the first one and moves nothing.
    amount: broadcast.fee ?? fee,
  });
  if (broadcast.fee !== undefined) return;
  broadcast.fee = fee;
  model.balances[0]! -= fee;
  model.fees += fee;
}

/** The broadcast a step works on: among those it applies to when `eligible`, else among all. */
function pickBroadcast(
  model: Model,
  p: { readonly index: number; readonly eligible: boolean },
  applies: (b: ModelBroadcast) => boolean,
): ModelBroadcast | undefined {
  const candidates = p.eligible ? model.broadcasts.filter(applies) : model.broadcasts;
  return candidates[p.index % Math.max(1, candidates.length)];
}

const feeArb = fc.bigInt({ min: 0n, max: 500n });

const prepareBroadcast = fc.constant(
  command('prepare broadcast', async (model, real) => {
    await prepare(model, real);
  }),
);

const openBroadcast = fc.record({ index: fc.nat(), eligible: eligibleArb }).map((p) =>
  command(`open broadcast #${p.index}${p.eligible ? ' (unopened)' : ''}`, async (model, real) => {
    const broadcast = pickBroadcast(model, p, (b) => !b.opened);
    if (broadcast) await open(model, real, broadcast);
  }),
);

const closeBroadcast = fc.record({ index: fc.nat(), eligible: eligibleArb }).map((p) =>
  command(`close broadcast #${p.index}${p.eligible ? ' (open)' : ''}`, async (model, real) => {
    const broadcast = pickBroadcast(model, p, (b) => b.opened && !b.closed);
    if (broadcast) await close(model, real, broadcast);
  }),
);

const chargeNetworkFee = fc.record({ index: fc.nat(), fee: feeArb }).map((p) =>
  command(`charge fee ${p.fee} on closed broadcast #${p.index}`, async (model, real) => {
    const closed = model.broadcasts.filter((b) => b.closed);
    const broadcast = closed[p.index % Math.max(1, closed.length)];
    if (broadcast) await chargeFee(model, real, broadcast, p.fee);
  }),
);

/** What the broadcaster does in one round: prepare, open, (send), close, charge the fee. */
const broadcasterRound = feeArb.map((fee) =>
  command(`broadcaster round (fee ${fee})`, async (model, real) => {
    const broadcast = await prepare(model, real);
    if (!broadcast) return;
    await open(model, real, broadcast);
    await close(model, real, broadcast);
    await chargeFee(model, real, broadcast, fee);
  }),
);

const markProcessed = fc.nat().map((index) =>
  command(`mark deposit #${index} processed`, async (model, real) => {
    const deposit = model.deposits[index % Math.max(1, model.deposits.length)];
    if (!deposit) return;
    const outcome = real.ledger.markProcessed(deposit.transactionId);
    if (deposit.state === 'incoming') return expectRefused(model, outcome, BadTransactionState);
    const processed = await outcome;
    expect(processed).toMatchObject({ id: deposit.transactionId, state: 'processed' });
    expect(processed.processedAt).not.toBeNull();
    deposit.state = 'processed';
  }),
);

const importBalance = fc
  .record({ to: userSlotArb, offset: fc.bigInt({ min: -3_000n, max: 3_000n }) })
  .map((p) =>
    command(`import balance (backend off by ${p.offset}) to ${p.to}`, async (model, real) => {
      const pending = sum(model.sends.filter((s) => s.state === 'pending').map((s) => s.amount));
      const accounted = sum(model.balances) + pending;
      const backendBalance = accounted + p.offset < 0n ? 0n : accounted + p.offset;
      real.backend.setBalance(backendBalance);
      const unaccounted = backendBalance - accounted;
      const imported = await real.ledger.importBalance(real.accounts[p.to]!);
      if (unaccounted <= 0n) {
        expect(imported).toBeUndefined();
        return;
      }
      expect(imported).toMatchObject({
        kind: 'balance_import',
        amount: unaccounted,
        receivingAccountId: real.accounts[p.to]!.id,
      });
      model.balances[p.to]! += unaccounted;
      model.imported += unaccounted;
    }),
  );

const commandArb: fc.Arbitrary<LedgerCommand> = fc.oneof(
  { arbitrary: newDeposit, weight: 5 },
  { arbitrary: depositUpdate, weight: 4 },
  { arbitrary: transfer, weight: 4 },
  { arbitrary: sendExternal, weight: 4 },
  { arbitrary: sendToOwnAddress, weight: 1 },
  { arbitrary: prepareBroadcast, weight: 2 },
  { arbitrary: openBroadcast, weight: 2 },
  { arbitrary: closeBroadcast, weight: 2 },
  { arbitrary: chargeNetworkFee, weight: 2 },
  { arbitrary: broadcasterRound, weight: 2 },
  { arbitrary: markProcessed, weight: 2 },
  { arbitrary: importBalance, weight: 1 },
);

// ---- invariants -------------------------------------------------------------------------------

async function expectInvariants(model: Model, real: Real): Promise<void> {
  const { ledger, wallet } = real;
  await expectBalancesMatch(model, real);
  const accounts = await ledger.listAccounts(wallet);
  const total = sum(accounts.map((a) => a.balance));
  expect(total).toBe(model.credited + model.imported - model.sent - model.fees);
  expect(await ledger.walletTotal(wallet)).toBe(total);

  // The same totals, recomputed here from the transactions themselves.
  const transactions = await ledger.listTransactions({ wallet, limit: listLimitMax });
  const amounts = (keep: (t: Transaction) => boolean) =>
    sum(transactions.filter(keep).map((t) => t.amount));
  const isCredited = (t: Transaction) =>
    t.kind === 'deposit' && (t.state === 'credited' || t.state === 'processed');
  expect(amounts(isCredited)).toBe(model.credited);
  expect(amounts((t) => t.kind === 'balance_import')).toBe(model.imported);
  expect(amounts((t) => t.kind === 'send')).toBe(model.sent);
  expect(amounts((t) => t.kind === 'network_fee')).toBe(model.fees);
  for (const account of accounts) {
    const credits = amounts(
      (t) =>
        t.receivingAccountId === account.id &&
        (t.kind === 'internal' || t.kind === 'balance_import' || isCredited(t)),
    );
    const debits = amounts(
      (t) =>
        t.sendingAccountId === account.id &&
        (t.kind === 'internal' || t.kind === 'send' || t.kind === 'network_fee'),
    );
    expect(account.balance).toBe(credits - debits);
  }

  // No account below zero unless a transfer was allowed to take it there, or it pays the fees.
  real.accounts.forEach((account, slot) => {
    const balance = accounts.find((a) => a.id === account.id)!.balance;
    if (balance < 0n) expect(slot === 0 || model.mayBeNegative.has(slot)).toBe(true);
  });

  // Address balances are exactly the credited deposits to them.
  for (const [slot, address] of real.addresses.entries()) {
    const recorded = (await ledger.getAddress(wallet, address.address))!.balance;
    expect(recorded).toBe(model.addressBalances[slot]);
    expect(recorded).toBe(amounts((t) => isCredited(t) && t.addressId === address.id));
  }

  // States: deposits waiting for confirmations and sends waiting for a broadcast.
  const ids = (list: readonly { id: number }[]) => list.map((t) => t.id).sort(byId);
  const incoming = model.deposits.filter((d) => d.state === 'incoming');
  expect(ids(await ledger.listUnconfirmedDeposits({ wallet, limit: listLimitMax }))).toEqual(
    incoming.map((d) => d.transactionId).sort(byId),
  );
  expect(await ledger.unconfirmedBalance({ wallet })).toBe(sum(incoming.map((d) => d.amount)));
  expect(ids(await ledger.listPendingOutgoing(wallet, listLimitMax))).toEqual(
    ids(model.sends.filter((s) => s.state === 'pending')),
  );
  expect(ids(transactions.filter((t) => t.kind === 'send' && t.state === 'broadcasted'))).toEqual(
    ids(model.sends.filter((s) => s.state === 'broadcasted')),
  );

  const audit = await ledger.audit();
  expect(audit.mismatches).toEqual([]);
  expect(audit.total).toBe(total);
  expect(audit.accounts).toBe(accounts.length);
  expect(audit.transactions).toBe(transactions.length);
}

// ---- the properties ---------------------------------------------------------------------------

for (const dialect of await dialectsUnderTest()) {
  describe(`ledger properties on ${dialect}`, () => {
    it('keeps balances, totals and the audit consistent over random operations', async () => {
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(commandArb, { minLength: commandsMin, maxLength: commandsMax }),
          async (commands) => {
            const books = await openOfflineBooks(dialect);
            try {
              const { ledger, backend } = books;
              const wallet = await ledger.getOrCreateWallet('default');
              const accounts = [await ledger.getNetworkFeeAccount(wallet)];
              for (let i = 1; i <= userAccounts; i++)
                accounts.push(await ledger.createAccount(wallet, `user-${i}`));
              const addresses: Address[] = [];
              for (let i = 0; i < receivingAddresses; i++)
                addresses.push(await ledger.createReceivingAddress(accounts[ownerSlot(i)]!));
              const externals: string[] = [];
              for (let i = 0; i < externalAddresses; i++)
                externals.push(await backend.createAddress({ label: `external-${i}` }));
              const model: Model = {
                balances: accounts.map(() => 0n),
                addressBalances: addresses.map(() => 0n),
                deposits: [],
                txids: [],
                sends: [],
                broadcasts: [],
                mayBeNegative: new Set(),
                credited: 0n,
                imported: 0n,
                sent: 0n,
                fees: 0n,
                refused: 0,
              };
              const real: Real = { ledger, backend, wallet, accounts, addresses, externals };
              await fc.asyncModelRun(() => Promise.resolve({ model, real }), commands);
              await expectInvariants(model, real);
              refused += model.refused;
            } finally {
              await books.close();
            }
          },
        ),
        { numRuns: runsPerDialect },
      );
      // The runs did meet the expected refusals, not only the happy paths.
      expect(refused).toBeGreaterThan(0);
    });
  });
}
