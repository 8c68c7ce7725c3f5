// The hold commands: reserve part of an account's balance (hold create), then move all or part
// of it to another account (hold capture) or give it back (hold release); hold list and hold
// show read them. They parse and print; the ledger decides.
import { formatAmount } from '@cryptoassets/core';
import type { Account, Ledger } from '@cryptoassets/ledger';
import { type Command, Option } from 'commander';
import { optionalAccount, UsageError } from '../context.js';
import {
  addMoveOptions,
  checkIdempotencyKey,
  checkMoveFlags,
  type MoveAttachments,
  type MoveFlags,
  parseDuration,
} from '../money-options.js';
import {
  createPrinter,
  type Hold,
  type HoldState,
  holdJson,
  metadataText,
  table,
  transactionJson,
} from '../output.js';
import { action, amountOf, checkLabel, coinOption, limitOption } from './ledger.js';

// Every state, checked by the compiler: a new state in the ledger must be listed here.
const holdStateSet: Record<HoldState, true> = {
  active: true,
  captured: true,
  released: true,
  expired: true,
};
const holdStates = Object.keys(holdStateSet) as HoldState[];

const epilog = `
A hold reserves part of an account's balance: the balance stays, but transfers and sends may
only take what is available (balance - held). A hold ends exactly once: captured (all or part
of it moves to another account in one step, the rest is released), released, or expired (due
once --expires-in has passed). Ending it a second time is refused.

Examples:
  $ cryptoassets hold create --account alice --amount 0.5 --expires-in 10m --reference order-17
  $ cryptoassets balance --account alice          # held 0.5, available the rest
  $ cryptoassets hold capture 1 --to shop --amount 0.3   # 0.3 to shop, 0.2 free again
  $ cryptoassets hold release 2
  $ cryptoassets hold list --state active --json
  $ cryptoassets hold show 1

--idempotency-key makes a command safe to retry: the same key with the same request answers
with the first result (marked as a replay) and changes nothing; with another request it is
refused and names what differs.`;

/** A hold id given on the command line: a whole number from 1. */
function holdIdOf(text: string | undefined): number {
  const id = Number(text);
  if (text === undefined || !/^[1-9]\d{0,14}$/.test(text) || !Number.isSafeInteger(id))
    throw new UsageError(`expected a hold id (a whole number from 1), got ${JSON.stringify(text)}`);
  return id;
}

/** Names of the wallet's accounts by id, to print a hold's account by name. */
async function accountNames(ledger: Ledger, wallet: Parameters<Ledger['listAccounts']>[0]) {
  const accounts: Account[] = await ledger.listAccounts(wallet);
  return new Map(accounts.map((a) => [a.id, a.name]));
}

export function registerHoldCommands(program: Command): void {
  const hold = program
    .command('hold')
    .description('reserve part of an account balance, then capture or release it')
    .addHelpText('after', epilog);
  registerCreate(hold);
  registerCapture(hold);
  registerRelease(hold);
  registerList(hold);
  registerShow(hold);
}

function registerCreate(hold: Command): void {
  const create = hold
    .command('create')
    .description("reserve an amount of an account's available balance")
    .addOption(coinOption())
    .requiredOption('--account <name>', 'account whose balance is reserved')
    .requiredOption('--amount <decimal>', 'amount as a decimal, e.g. 0.015')
    .option(
      '--expires-in <duration>',
      'due to be released as expired after this long: 90s, 10m, 2h, 7d (1s..365d; default: never)',
    );
  addMoveOptions(create);
  create.action(
    action<
      MoveFlags & { account: string; amount: string; expiresIn?: string },
      { amount: bigint; expiresInS: number | undefined; attachments: MoveAttachments }
    >(
      create,
      'needs wallet',
      async (options, { ledger, wallet }, { amount, expiresInS, attachments }) => {
        const account = await ledger.requireAccount(wallet, options.account);
        const held = await ledger.hold({
          account,
          amount,
          ...(expiresInS === undefined ? {} : { expiresInS }),
          ...attachments,
        });
        const decimals = ledger.coin.profile.decimals;
        const what = `${formatAmount(held.amount, decimals)} ${ledger.coin.symbol} of ${account.name}`;
        const until =
          held.expiresAt === null
            ? 'until captured or released'
            : `until ${held.expiresAt.toISOString()}`;
        const text = held.replayed
          ? `replay of hold ${held.id} (same idempotency key, same request): ${what} was held then; nothing reserved now`
          : `held ${what} (hold ${held.id}, ${until})`;
        createPrinter(options.json ?? false).result(
          { ...holdJson(held, decimals), replayed: held.replayed },
          text,
        );
      },
      (options, coin) => ({
        amount: amountOf(options.amount, coin),
        expiresInS: options.expiresIn === undefined ? undefined : parseDuration(options.expiresIn),
        attachments: checkMoveFlags(options),
      }),
    ),
  );
}

function registerCapture(hold: Command): void {
  const capture = hold
    .command('capture')
    .description(
      'move all or part of a hold to another account in one step; the rest is released and the hold ends',
    )
    .argument('<hold-id>', 'id of the hold')
    .addOption(coinOption())
    .requiredOption('--to <account>', 'receiving account')
    .option('--amount <decimal>', 'at most the held amount (default: all of it)')
    .option('--label <label>', 'free text stored with the transaction');
  addMoveOptions(capture, 'idempotency key');
  capture.action(
    action<
      { to: string; amount?: string; label?: string; idempotencyKey?: string },
      { holdId: number; amount: bigint | undefined }
    >(
      capture,
      'needs wallet',
      async (options, { ledger, wallet }, { holdId, amount }) => {
        const to = await ledger.requireAccount(wallet, options.to);
        const done = await ledger.captureHold(holdId, {
          to,
          ...(amount === undefined ? {} : { amount }),
          ...(options.label === undefined ? {} : { label: options.label }),
          ...(options.idempotencyKey === undefined
            ? {}
            : { idempotencyKey: options.idempotencyKey }),
        });
        const decimals = ledger.coin.profile.decimals;
        const fmt = (value: bigint) => `${formatAmount(value, decimals)} ${ledger.coin.symbol}`;
        const { hold: captured, transaction } = done;
        const rest = captured.amount - captured.captured;
        const text = done.replayed
          ? `replay of the capture of hold ${captured.id} (same idempotency key, same request): transaction ${transaction.id}; nothing moved now`
          : `captured ${fmt(captured.captured)} of hold ${captured.id} to ${to.name} (transaction ${transaction.id})${rest > 0n ? `; ${fmt(rest)} released` : ''}`;
        createPrinter(options.json ?? false).result(
          {
            hold: holdJson(captured, decimals),
            transaction: transactionJson(transaction, decimals),
            replayed: done.replayed,
          },
          text,
        );
      },
      (options, coin, [id]) => {
        checkLabel(options.label);
        if (options.idempotencyKey !== undefined) checkIdempotencyKey(options.idempotencyKey);
        return {
          holdId: holdIdOf(id),
          amount: options.amount === undefined ? undefined : amountOf(options.amount, coin),
        };
      },
    ),
  );
}

function registerRelease(hold: Command): void {
  const release = hold
    .command('release')
    .description('end a hold: its amount is available to the account again')
    .argument('<hold-id>', 'id of the hold')
    .addOption(coinOption());
  addMoveOptions(release, 'idempotency key');
  release.action(
    action<{ idempotencyKey?: string }, number>(
      release,
      'needs wallet',
      async (options, { ledger, wallet }, holdId) => {
        const released = await ledger.releaseHold(holdId, {
          wallet,
          ...(options.idempotencyKey === undefined
            ? {}
            : { idempotencyKey: options.idempotencyKey }),
        });
        const decimals = ledger.coin.profile.decimals;
        const names = await accountNames(ledger, wallet);
        const what = `${formatAmount(released.amount, decimals)} ${ledger.coin.symbol} of ${names.get(released.accountId) ?? `account ${released.accountId}`}`;
        const text = released.replayed
          ? `replay of the release of hold ${released.id} (same idempotency key, same request): nothing changed now`
          : `released hold ${released.id}: ${what} is available again`;
        createPrinter(options.json ?? false).result(
          { ...holdJson(released, decimals), replayed: released.replayed },
          text,
        );
      },
      (options, _coin, [id]) => {
        if (options.idempotencyKey !== undefined) checkIdempotencyKey(options.idempotencyKey);
        return holdIdOf(id);
      },
    ),
  );
}

function registerList(hold: Command): void {
  const list = hold
    .command('list')
    .description('list the holds of the wallet, newest first')
    .addOption(coinOption())
    .option('--account <name>', 'only holds of this account')
    .addOption(new Option('--state <state>', 'only holds in this state').choices(holdStates))
    .addOption(limitOption());
  list.action(
    action<{ account?: string; state?: HoldState; limit: number }>(
      list,
      'needs wallet',
      async (options, { ledger, wallet }) => {
        const account = await optionalAccount({ ledger, wallet }, options.account);
        const found: Hold[] = await ledger.listHolds({
          wallet,
          limit: options.limit,
          ...(account ? { account } : {}),
          ...(options.state ? { state: options.state } : {}),
        });
        const decimals = ledger.coin.profile.decimals;
        const names = await accountNames(ledger, wallet);
        const rows = found.map((h) => [
          String(h.id),
          names.get(h.accountId) ?? String(h.accountId),
          h.state,
          formatAmount(h.amount, decimals),
          formatAmount(h.captured, decimals),
          h.expiresAt?.toISOString() ?? '',
          h.reference ?? '',
        ]);
        createPrinter(options.json ?? false).result(
          found.map((h) => holdJson(h, decimals)),
          table(['id', 'account', 'state', 'amount', 'captured', 'expires', 'reference'], rows),
        );
      },
    ),
  );
}

function registerShow(hold: Command): void {
  const show = hold
    .command('show')
    .description('one hold of the wallet')
    .argument('<hold-id>', 'id of the hold')
    .addOption(coinOption());
  show.action(
    action<object, number>(
      show,
      'needs wallet',
      async (options, { ledger, wallet }, holdId) => {
        const found = await ledger.getHold(holdId);
        if (found === undefined || found.walletId !== wallet.id)
          throw new UsageError(`hold ${holdId} not found in wallet ${JSON.stringify(wallet.name)}`);
        const decimals = ledger.coin.profile.decimals;
        const fmt = (value: bigint) => `${formatAmount(value, decimals)} ${ledger.coin.symbol}`;
        const names = await accountNames(ledger, wallet);
        const lines = [
          `hold ${found.id}: ${found.state}`,
          `account    ${names.get(found.accountId) ?? '?'} (id ${found.accountId})`,
          `amount     ${fmt(found.amount)}`,
          `captured   ${fmt(found.captured)}`,
          `expires    ${found.expiresAt?.toISOString() ?? 'never'}`,
          `reference  ${found.reference ?? '-'}`,
          `metadata   ${metadataText(found.metadata)}`,
          `created    ${found.createdAt.toISOString()}`,
          `settled    ${found.settledAt?.toISOString() ?? '-'}`,
        ];
        createPrinter(options.json ?? false).result(holdJson(found, decimals), lines.join('\n'));
      },
      (_options, _coin, [id]) => holdIdOf(id),
    ),
  );
}
