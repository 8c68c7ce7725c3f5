// The ledger commands: init-db, account, address, transfer, send, balance, transactions,
// mark-processed, import-balance and audit. They parse and print; the ledger decides. The hold
// commands (holds.ts) share the helpers exported here.
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type CoinConfig, formatAmount, parseAmount } from '@cryptoassets/core';
import type { Database, TransactionState } from '@cryptoassets/ledger';
import { openDatabase, openLedger, redact } from '@cryptoassets/ledger';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type Books,
  checkName,
  type GlobalOptions,
  loadConfig,
  optionalAccount,
  requireConfigCoins,
  selectBooks,
  sqliteFileOf,
  UsageError,
  withBooks,
  withLedger,
} from '../context.js';
import {
  addMoveOptions,
  checkMoveFlags,
  checkReference,
  type MoveAttachments,
  type MoveFlags,
} from '../money-options.js';
import { accountJson, addressJson, createPrinter, table, transactionJson } from '../output.js';

type CoinOptions = { readonly coin?: string };
// Every state, checked by the compiler: a new state in the ledger must be listed here.
const stateSet: Record<TransactionState, true> = {
  pending: true,
  broadcasted: true,
  incoming: true,
  credited: true,
  processed: true,
  reversed: true,
  deposit_reversal: true,
  deposit_recredit: true,
  internal: true,
  network_fee: true,
  balance_import: true,
  voided: true,
};
const states = Object.keys(stateSet) as TransactionState[];

export const coinOption = () =>
  new Option(
    '--coin <coin>',
    'coin to use, e.g. ltc (may be left out when only one is configured)',
  );

/**
 * Whether a command may create the `--wallet` wallet: only one that creates an account in it.
 * Reads never do, and commands that need an existing account need an existing wallet.
 */
export type Access = 'creates wallet' | 'needs wallet';

/**
 * Runs an action with the global options merged over the command's own. `check` parses and
 * checks the arguments before the database is opened, so a bad argument writes nothing.
 */
export function action<O extends object, P = void>(
  command: Command,
  access: Access,
  run: (options: O & GlobalOptions, books: Books, checked: P) => Promise<void>,
  check?: (options: O & GlobalOptions, coin: CoinConfig, args: string[]) => P,
) {
  return async (...received: unknown[]) => {
    const options = { ...command.optsWithGlobals() } as O & GlobalOptions & CoinOptions;
    const args = received.filter((value): value is string => typeof value === 'string');
    const selection = selectBooks(options);
    const checked = check ? check(options, selection.coin, args) : (undefined as P);
    await withBooks(options, (books) => run(options, books, checked), {
      createWallet: access === 'creates wallet',
      selection,
    });
  };
}

export function amountOf(text: string, coin: CoinConfig): bigint {
  return parseAmount(text, { field: '--amount', decimals: coin.profile.decimals });
}

function idOf(text: string): number {
  const id = Number(text);
  if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(id))
    throw new InvalidArgumentError('expected a transaction id (a whole number)');
  return id;
}

/** The ledger's longest label. */
const labelLengthMax = 256;

export function checkLabel(label: string | undefined): void {
  if (label !== undefined && label.length > labelLengthMax)
    throw new UsageError(`--label: at most ${labelLengthMax} characters`);
}

/** `--limit N` of a listing: 1..10000, 100 when left out. */
export const limitOption = () =>
  new Option('--limit <n>', 'at most this many (1..10000)')
    .argParser((text) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1 || n > 10_000)
        throw new InvalidArgumentError('expected a whole number 1..10000');
      return n;
    })
    .default(100);

export function registerLedgerCommands(program: Command): void {
  registerInitDb(program);
  registerAccount(program);
  registerAddress(program);
  registerMoney(program);
  registerReports(program);
}

function registerInitDb(program: Command): void {
  program
    .command('init-db')
    .description('create or upgrade the tables of every configured coin (safe to run again)')
    .action(async () => {
      const options = program.opts<GlobalOptions>();
      const config = loadConfig(options);
      const coins = requireConfigCoins(config);
      const printer = createPrinter(options.json ?? false);
      const created = newFiles(config.database.url);
      let database: Database | undefined;
      try {
        database = openDatabase(config.database.url);
        const applied: Record<string, string[]> = {};
        for (const coin of coins) {
          applied[coin.symbol] = (await openLedger({ database, coin }).migrate()).applied;
        }
        const lines = Object.entries(applied).map(
          ([coin, steps]) =>
            `${coin}: ${steps.length === 0 ? 'up to date' : `applied ${steps.join(', ')}`}`,
        );
        await database.close();
        database = undefined;
        printer.result(
          { database: redact(config.database.url), applied },
          `database ${redact(config.database.url)}\n${lines.join('\n')}`,
        );
      } catch (error) {
        await database?.close().catch(() => {
          // Reporting the failure matters more than a failed close.
        });
        created?.remove();
        throw error;
      }
    });
}

/**
 * For a SQLite file that does not exist yet: how to remove it, its -wal, -shm and -journal
 * files and the directories made for it. Undefined when the file exists (never removed) or
 * the database is not a file.
 */
function newFiles(url: string): { readonly remove: () => void } | undefined {
  const file = sqliteFileOf(url);
  if (file === undefined || existsSync(file)) return undefined;
  const directories: string[] = [];
  for (let dir = dirname(resolve(file)); !existsSync(dir); dir = dirname(dir)) {
    directories.push(dir);
    if (dirname(dir) === dir) break;
  }
  return {
    remove: () => {
      for (const suffix of ['', '-wal', '-shm', '-journal'])
        rmSync(`${file}${suffix}`, { force: true });
      for (const dir of directories) {
        try {
          rmdirSync(dir);
        } catch {
          // Not empty (something else was put there) or already gone: leave it.
        }
      }
    },
  };
}

function registerAccount(program: Command): void {
  const account = program.command('account').description('create and list accounts');
  const create = account
    .command('create')
    .description('create an account in the wallet')
    .argument('<name>', 'account name')
    .addOption(coinOption());
  create.action(
    action(
      create,
      'creates wallet',
      async (options, { ledger, wallet }, name: string) => {
        const created = await ledger.createAccount(wallet, name);
        createPrinter(options.json ?? false).result(
          accountJson(created, ledger.coin.profile.decimals),
          `created account ${created.name} (id ${created.id})`,
        );
      },
      (_options, _coin, [name]) => checkName(name ?? '', 'account name'),
    ),
  );
  const list = account
    .command('list')
    .description('list the accounts of the wallet with their balances')
    .addOption(coinOption());
  list.action(
    action(list, 'needs wallet', async (options, { ledger, wallet }) => {
      const decimals = ledger.coin.profile.decimals;
      const accounts = await ledger.listAccounts(wallet);
      const rows = accounts.map((a) => [
        String(a.id),
        a.name,
        a.kind,
        formatAmount(a.balance, decimals),
      ]);
      createPrinter(options.json ?? false).result(
        accounts.map((a) => accountJson(a, decimals)),
        table(['id', 'name', 'kind', `balance (${ledger.coin.symbol})`], rows),
      );
    }),
  );
}

function registerAddress(program: Command): void {
  const address = program.command('address').description('receiving addresses');
  const create = address
    .command('new')
    .description("ask the coin's backend for a new receiving address of an account")
    .addOption(coinOption())
    .requiredOption('--account <name>', 'account that owns the address')
    .option('--label <label>', 'label for the address (default: automatic and unique)');
  create.action(
    action<{ account: string; label?: string }>(
      create,
      'needs wallet',
      async (options, { ledger, wallet }) => {
        const owner = await ledger.requireAccount(wallet, options.account);
        const created = await ledger.createReceivingAddress(
          owner,
          options.label === undefined ? {} : { label: options.label },
        );
        createPrinter(options.json ?? false).result(
          addressJson(created, ledger.coin.profile.decimals),
          created.address,
        );
      },
      (options) => checkLabel(options.label),
    ),
  );
  const list = address
    .command('list')
    .description('list receiving addresses')
    .addOption(coinOption())
    .option('--account <name>', 'only this account')
    .option('--archived', 'include archived addresses');
  list.action(
    action<{ account?: string; archived?: boolean }>(
      list,
      'needs wallet',
      async (options, { ledger, wallet }) => {
        const account = await optionalAccount({ ledger, wallet }, options.account);
        const found = await ledger.listReceivingAddresses({
          wallet,
          ...(account ? { account } : {}),
          includeArchived: options.archived ?? false,
        });
        const decimals = ledger.coin.profile.decimals;
        const rows = found.map((a) => [
          a.address,
          String(a.accountId),
          a.label ?? '',
          formatAmount(a.balance, decimals),
        ]);
        createPrinter(options.json ?? false).result(
          found.map((a) => addressJson(a, decimals)),
          table(['address', 'account', 'label', 'received'], rows),
        );
      },
    ),
  );
}

/** A transfer's or send's amount and attachments, checked before the database is opened. */
type Moving = { readonly amount: bigint; readonly attachments: MoveAttachments };

function checkMoving(
  options: MoveFlags & { readonly amount: string; readonly label?: string },
  coin: CoinConfig,
): Moving {
  checkLabel(options.label);
  const amount = amountOf(options.amount, coin);
  return { amount, attachments: checkMoveFlags(options) };
}

function registerMoney(program: Command): void {
  const transfer = program
    .command('transfer')
    .description('move an amount between two accounts of the wallet')
    .addOption(coinOption())
    .requiredOption('--from <account>', 'sending account')
    .requiredOption('--to <account>', 'receiving account')
    .requiredOption('--amount <decimal>', 'amount as a decimal, e.g. 0.015')
    .option('--label <label>', 'free text stored with the transaction')
    .option('--allow-negative', "let the sender's balance go below zero");
  addMoveOptions(transfer);
  transfer.action(
    action<
      MoveFlags & {
        from: string;
        to: string;
        amount: string;
        label?: string;
        allowNegative?: boolean;
      },
      Moving
    >(
      transfer,
      'needs wallet',
      async (options, { ledger, wallet }, { amount, attachments }) => {
        const from = await ledger.requireAccount(wallet, options.from);
        const to = await ledger.requireAccount(wallet, options.to);
        const done = await ledger.transfer({
          from,
          to,
          amount,
          allowNegativeBalance: options.allowNegative ?? false,
          ...(options.label === undefined ? {} : { label: options.label }),
          ...attachments,
        });
        const moved = `${formatAmount(done.amount, ledger.coin.profile.decimals)} ${ledger.coin.symbol} from ${from.name} to ${to.name}`;
        const text = done.replayed
          ? `replay of transaction ${done.id} (same idempotency key, same request): ${moved} was transferred then; nothing moved now`
          : `transferred ${moved} (transaction ${done.id})`;
        createPrinter(options.json ?? false).result(
          { ...transactionJson(done, ledger.coin.profile.decimals), replayed: done.replayed },
          text,
        );
      },
      checkMoving,
    ),
  );
  const send = program
    .command('send')
    .description('send to an address: internal when the address is ours, else queued for broadcast')
    .addOption(coinOption())
    .requiredOption('--from <account>', 'sending account')
    .requiredOption('--to <address>', 'destination address')
    .requiredOption('--amount <decimal>', 'amount as a decimal, e.g. 0.015')
    .option('--label <label>', 'free text stored with the transaction')
    .option('--force-external', 'broadcast even when the address belongs to this wallet');
  addMoveOptions(send);
  send.action(
    action<
      MoveFlags & {
        from: string;
        to: string;
        amount: string;
        label?: string;
        forceExternal?: boolean;
      },
      Moving
    >(
      send,
      'needs wallet',
      async (options, { ledger, wallet }, { amount, attachments }) => {
        const from = await ledger.requireAccount(wallet, options.from);
        const sent = await ledger.send({
          from,
          address: options.to,
          amount,
          forceExternal: options.forceExternal ?? false,
          ...(options.label === undefined ? {} : { label: options.label }),
          ...attachments,
        });
        const how =
          sent.kind === 'internal'
            ? 'moved internally (the address is in this wallet)'
            : 'queued for broadcast';
        const text = sent.replayed
          ? `replay of transaction ${sent.id} (same idempotency key, same request), state ${sent.state}: nothing was sent again`
          : `${how}: transaction ${sent.id}, state ${sent.state}`;
        createPrinter(options.json ?? false).result(
          { ...transactionJson(sent, ledger.coin.profile.decimals), replayed: sent.replayed },
          text,
        );
      },
      checkMoving,
    ),
  );
  const importBalance = program
    .command('import-balance')
    .description("credit the backend wallet's balance that no account holds yet to an account")
    .addOption(coinOption())
    .requiredOption('--account <name>', 'account to credit');
  importBalance.action(
    action<{ account: string }>(
      importBalance,
      'needs wallet',
      async (options, { ledger, wallet }) => {
        const account = await ledger.requireAccount(wallet, options.account);
        const imported = await ledger.importBalance(account);
        const decimals = ledger.coin.profile.decimals;
        const text = imported
          ? `imported ${formatAmount(imported.amount, decimals)} ${ledger.coin.symbol} into ${account.name}`
          : 'nothing to import: every coin in the backend wallet is accounted for';
        createPrinter(options.json ?? false).result(
          imported ? transactionJson(imported, decimals) : null,
          text,
        );
      },
    ),
  );
  const markProcessed = program
    .command('mark-processed')
    .description('mark a credited deposit as processed by your application')
    .addOption(coinOption())
    .argument('<transaction-id>', 'id of the deposit transaction', idOf);
  markProcessed.action(async (id: number) => {
    const options = markProcessed.optsWithGlobals<GlobalOptions & CoinOptions>();
    await withLedger(options, async ({ ledger }) => {
      const done = await ledger.markProcessed(id);
      createPrinter(options.json ?? false).result(
        transactionJson(done, ledger.coin.profile.decimals),
        `deposit ${done.id} is processed`,
      );
    });
  });
}

function registerReports(program: Command): void {
  const balance = program
    .command('balance')
    .description(
      'balance, held (by active holds) and available of one account, or of all and the wallet total',
    )
    .addOption(coinOption())
    .option('--account <name>', 'only this account');
  balance.action(
    action<{ account?: string }>(balance, 'needs wallet', async (options, { ledger, wallet }) => {
      const decimals = ledger.coin.profile.decimals;
      const fmt = (amount: bigint) => formatAmount(amount, decimals);
      const printer = createPrinter(options.json ?? false);
      if (options.account !== undefined) {
        const account = await ledger.requireAccount(wallet, options.account);
        const unconfirmed = await ledger.unconfirmedBalance({ wallet, account });
        printer.result(
          { ...accountJson(account, decimals), unconfirmed: fmt(unconfirmed) },
          `${account.name}: ${fmt(account.balance)} ${ledger.coin.symbol} (held ${fmt(account.held)}, available ${fmt(account.balance - account.held)}; unconfirmed incoming ${fmt(unconfirmed)})`,
        );
        return;
      }
      const accounts = await ledger.listAccounts(wallet);
      const total = await ledger.walletTotal(wallet);
      const held = accounts.reduce((sum, a) => sum + a.held, 0n);
      const unconfirmed = await ledger.unconfirmedBalance({ wallet });
      const rows = accounts.map((a) => [
        a.name,
        fmt(a.balance),
        fmt(a.held),
        fmt(a.balance - a.held),
      ]);
      rows.push(
        ['(wallet total)', fmt(total), fmt(held), fmt(total - held)],
        ['(unconfirmed incoming)', fmt(unconfirmed), '', ''],
      );
      printer.result(
        {
          wallet: wallet.name,
          total: fmt(total),
          held: fmt(held),
          available: fmt(total - held),
          unconfirmed: fmt(unconfirmed),
          accounts: accounts.map((a) => accountJson(a, decimals)),
        },
        table(['account', `balance (${ledger.coin.symbol})`, 'held', 'available'], rows),
      );
    }),
  );
  const transactions = program
    .command('transactions')
    .description('list transactions, newest first')
    .addOption(coinOption())
    .option('--account <name>', 'only transactions of this account')
    .addOption(new Option('--state <state>', 'only transactions in this state').choices(states))
    .option('--reference <ref>', 'only the transaction with this reference')
    .addOption(limitOption());
  transactions.action(
    action<{ account?: string; state?: TransactionState; reference?: string; limit: number }>(
      transactions,
      'needs wallet',
      async (options, { ledger, wallet }) => {
        const account = await optionalAccount({ ledger, wallet }, options.account);
        const found = await ledger.listTransactions({
          wallet,
          limit: options.limit,
          ...(account ? { account } : {}),
          ...(options.state ? { state: options.state } : {}),
          ...(options.reference === undefined ? {} : { reference: options.reference }),
        });
        const decimals = ledger.coin.profile.decimals;
        const rows = found.map((t) => [
          String(t.id),
          t.kind,
          t.state,
          formatAmount(t.amount, decimals),
          String(t.sendingAccountId ?? ''),
          String(t.receivingAccountId ?? ''),
          t.createdAt.toISOString(),
          t.reference ?? '',
        ]);
        createPrinter(options.json ?? false).result(
          found.map((t) => transactionJson(t, decimals)),
          table(['id', 'kind', 'state', 'amount', 'from', 'to', 'created', 'reference'], rows),
        );
      },
      (options) => {
        if (options.reference !== undefined) checkReference(options.reference);
      },
    ),
  );
  const audit = program
    .command('audit')
    .description(
      'recompute every account and address balance from the transactions; exit 1 on any mismatch',
    )
    .addOption(coinOption());
  audit.action(async () => {
    const options = audit.optsWithGlobals<GlobalOptions & CoinOptions>();
    // The audit covers every wallet of the coin: it needs none by name.
    await withLedger(options, async ({ ledger }) => {
      const report = await ledger.audit();
      const decimals = ledger.coin.profile.decimals;
      const fmt = (amount: bigint) => formatAmount(amount, decimals);
      const mismatches = report.mismatches.map((m) => ({
        kind: m.kind,
        id: m.id,
        name: m.name,
        recorded: fmt(m.recorded),
        expected: fmt(m.expected),
      }));
      const summary = `${ledger.coin.symbol}: ${report.accounts} accounts, ${report.addresses} addresses, ${report.transactions} transactions, total ${fmt(report.total)}`;
      const text =
        mismatches.length === 0
          ? `${summary}\naudit clean`
          : `${summary}\n${table(
              ['kind', 'id', 'name', 'recorded', 'expected'],
              mismatches.map((m) => [m.kind, String(m.id), m.name, m.recorded, m.expected]),
            )}\naudit FAILED: ${mismatches.length} mismatches`;
      createPrinter(options.json ?? false).result(
        {
          clean: mismatches.length === 0,
          accounts: report.accounts,
          addresses: report.addresses,
          transactions: report.transactions,
          total: fmt(report.total),
          mismatches,
        },
        text,
      );
      if (mismatches.length > 0) throw new AuditFailed(mismatches.length);
    });
  });
}

/** The audit found mismatches: already printed; exit 1 without another message. */
export class AuditFailed extends UsageError {
  override name = 'AuditFailed';
  readonly silent = true;
  constructor(count: number) {
    super(`audit found ${count} mismatches`);
  }
}
