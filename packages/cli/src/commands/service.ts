// The service commands: `service` runs the daemon, `scan-received` finds missed deposits, and
// `broadcasts` lets an operator list, resolve or void broadcasts.
import { type CoinConfig, CryptoassetsError, formatAmount } from '@cryptoassets/core';
import { type Broadcast, openDatabase, openLedger } from '@cryptoassets/ledger';
import {
  Broadcaster,
  type BroadcastPausePoint,
  broadcastPausePoints,
  createBitcoindBackend,
  type RescanProgress,
  type RescanResult,
  ServicePartFailed,
  startService,
  TransactionUpdater,
} from '@cryptoassets/service';
import { startWitnessGuards } from '@cryptoassets/witness';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type Books,
  devnetsAsBitcoind,
  type GlobalOptions,
  loadConfig,
  requireConfigCoins,
  selectCoin,
  UsageError,
  withBooks,
} from '../context.js';
import { createPrinter, table, transactionJson } from '../output.js';
import { loggerFor, watchSignals } from '../process.js';
import { nextSteps, startEmbedded } from './devnet.js';
import { keystoreReader, sinksFromEvents } from './witness.js';

type CoinOptions = { readonly coin?: string };
/** Width of the progress bar in characters. */
const progressBarCharsWidth = 30;
/** The bar is redrawn at most this often. */
const progressRedrawMsMin = 100;
const txidPattern = /^[0-9a-f]{64}$/;

const coinOption = () =>
  new Option(
    '--coin <coin>',
    'coin to use, e.g. ltc (may be left out when only one is configured)',
  );

function idOf(text: string): number {
  const id = Number(text);
  if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(id))
    throw new InvalidArgumentError('expected a broadcast id (a whole number)');
  return id;
}

function txidOf(text: string): string {
  const lower = text.toLowerCase();
  if (!txidPattern.test(lower)) throw new InvalidArgumentError('expected a 64-character hex txid');
  return lower;
}

/** The node could not be asked, so the rescan did nothing; exit 1. */
export class RescanFailed extends CryptoassetsError {
  override name = 'RescanFailed';
  constructor(coin: string, reason: string, options: { readonly cause?: unknown } = {}) {
    super('RESCAN_FAILED', `${coin}: rescan failed: ${reason}`, options);
  }
}

/**
 * `CRYPTOASSETS_PAUSE_BROADCAST_AT=prepared|opened|sent|closed` stops every broadcaster at that
 * point of the send path, for crash drills: kill the service there and see it recover.
 */
function crashDrillPause(): { pauseBroadcastAt?: BroadcastPausePoint } {
  const at = process.env.CRYPTOASSETS_PAUSE_BROADCAST_AT;
  if (at === undefined || at === '') return {};
  const point = broadcastPausePoints.find((candidate) => candidate === at);
  if (point === undefined)
    throw new UsageError(
      `CRYPTOASSETS_PAUSE_BROADCAST_AT: expected one of ${broadcastPausePoints.join(', ')}`,
    );
  return { pauseBroadcastAt: point };
}

function requireBitcoind(coin: CoinConfig): void {
  if (coin.backend?.type !== 'bitcoind')
    throw new UsageError(`coin ${coin.symbol} has no bitcoind backend (backend.type: bitcoind)`);
}

export function registerServiceCommands(program: Command): void {
  registerService(program);
  registerScanReceived(program);
  registerBroadcasts(program);
}

function registerService(program: Command): void {
  const service = program
    .command('service')
    .description(
      'run the daemon: walletnotify, confirmations, broadcasts, events and the status server',
    );
  service.action(async () => {
    const options = service.optsWithGlobals<GlobalOptions>();
    const loaded = loadConfig(options);
    const logger = loggerFor(loaded);
    // Devnet coins without a url run on local nodes this process starts (and stops).
    const embedded = await startEmbedded(loaded, logger);
    const config = embedded.config;
    // Witness guards configured in the same file run beside the service, on its status page.
    const guards =
      Object.keys(config.witnesses).length === 0
        ? undefined
        : await startWitnessGuards(config, {
            logger,
            sinksFor: sinksFromEvents(config),
            keystore: keystoreReader(),
          }).catch(async (error: unknown) => {
            await embedded.stop();
            throw error;
          });
    const stopGuards = async () => {
      await guards?.stop();
    };
    const running = await startService({
      config,
      logger,
      ...crashDrillPause(),
      ...(guards === undefined ? {} : { witnessStatus: () => guards.status() }),
    }).catch(async (error: unknown) => {
      await stopGuards();
      await embedded.stop();
      throw error;
    });
    const steps = nextSteps(embedded, running.statusUrl);
    createPrinter(options.json ?? false).result(
      { status_url: running.statusUrl },
      `status: ${running.statusUrl}${steps === '' ? '' : `\n${steps}`}`,
    );
    const signals = watchSignals();
    try {
      const outcome = await Promise.race([
        signals.signalled.then(() => 'signal' as const),
        running.done.then(
          () => 'stopped' as const,
          (error: unknown) => error,
        ),
        ...(guards === undefined
          ? []
          : [
              guards.failed.catch(
                (error: unknown) => new ServicePartFailed('witness guard', { cause: error }),
              ),
            ]),
      ]);
      await stopGuards();
      await running.stop();
      if (outcome !== 'signal' && outcome !== 'stopped') {
        // A part dying is an internal failure: exit 2 (see program.ts), not a user error.
        throw outcome instanceof ServicePartFailed
          ? outcome
          : new ServicePartFailed('service', { cause: outcome });
      }
    } finally {
      signals.dispose();
      await embedded.stop();
    }
  });
}

/** A small progress bar on stderr, drawn only on a terminal. */
function progressBar(coin: string): {
  update: (progress: RescanProgress) => void;
  end: () => void;
} {
  const stream = process.stderr;
  if (!stream.isTTY) return { update: () => {}, end: () => {} };
  let lastDrawMs = 0;
  let drawn = false;
  const draw = ({ done, total }: RescanProgress): void => {
    const share = total === 0 ? 1 : done / total;
    const filled = Math.round(share * progressBarCharsWidth);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(progressBarCharsWidth - filled)}`;
    stream.write(`\r${coin} [${bar}] ${done}/${total}`);
    drawn = true;
  };
  return {
    update: (progress) => {
      const now = Date.now();
      if (progress.done < progress.total && now - lastDrawMs < progressRedrawMsMin) return;
      lastDrawMs = now;
      draw(progress);
    },
    end: () => {
      if (drawn) stream.write('\n');
    },
  };
}

function rescanJson(result: RescanResult) {
  return {
    since: result.since ?? null,
    last_block: result.lastBlock ?? null,
    transactions: result.results.length,
    credited_now: result.creditedNow,
    reversed_now: result.reversedNow,
    failed: result.failed,
    truncated: result.truncated,
    updates: result.results.map((update) => ({
      txid: update.txid,
      status: update.status,
      confirmations: update.confirmations ?? null,
      deposits: update.deposits,
      credited_now: update.creditedNow,
    })),
  };
}

function registerScanReceived(program: Command): void {
  const scan = program
    .command('scan-received')
    .description('rescan the node wallet for deposits missed while nothing listened')
    .addOption(coinOption());
  scan.action(async () => {
    const options = scan.optsWithGlobals<GlobalOptions & CoinOptions>();
    const config = devnetsAsBitcoind(loadConfig(options));
    const coins =
      options.coin === undefined
        ? requireConfigCoins(config).filter((coin) => coin.backend?.type === 'bitcoind')
        : [selectCoin(config, options.coin)];
    if (coins.length === 0) throw new UsageError('no coin has a bitcoind backend to scan');
    for (const coin of coins) requireBitcoind(coin);
    const logger = loggerFor(config);
    const database = openDatabase(config.database.url);
    const results: Record<string, ReturnType<typeof rescanJson>> = {};
    const lines: string[] = [];
    try {
      for (const coin of coins) {
        const backend = createBitcoindBackend(coin);
        const ledger = openLedger({ database, coin, backend });
        await ledger.listWallets();
        const updater = new TransactionUpdater({ ledger, backend, logger });
        const bar = options.json ? { update: () => {}, end: () => {} } : progressBar(coin.symbol);
        const result = await updater.rescan({ onProgress: bar.update });
        bar.end();
        if (result.error !== undefined) {
          const reason =
            result.error instanceof Error ? result.error.message : String(result.error);
          throw new RescanFailed(coin.symbol, reason, { cause: result.error });
        }
        results[coin.symbol] = rescanJson(result);
        lines.push(
          `${coin.symbol}: ${result.results.length} transactions looked at, ${result.creditedNow} deposits credited now, ${result.reversedNow} reversed, ${result.failed} failed${result.truncated ? ' (more remain: run again)' : ''}`,
        );
      }
    } finally {
      await database.close();
    }
    createPrinter(options.json ?? false).result({ coins: results }, lines.join('\n'));
  });
}

async function broadcastJson(books: Books, broadcast: Broadcast) {
  const decimals = books.ledger.coin.profile.decimals;
  const network = broadcast.networkTransaction;
  const outputs = await books.ledger.broadcastOutputs(network.id);
  return {
    id: network.id,
    status: broadcast.status,
    txid: network.txid,
    opened_at: network.openedAt?.toISOString() ?? null,
    closed_at: network.closedAt?.toISOString() ?? null,
    hold_reason: broadcast.holdReason,
    held_at: broadcast.heldAt?.toISOString() ?? null,
    outputs: outputs.map((output) => ({
      address: output.address,
      amount: formatAmount(output.amount, decimals),
    })),
  };
}

function registerBroadcasts(program: Command): void {
  const broadcasts = program
    .command('broadcasts')
    .description('list broadcasts not closed yet; resolve or void those held for an operator')
    .addOption(coinOption());
  const list = broadcasts
    .command('list', { isDefault: true })
    .description('broadcasts prepared, opened or held (not closed)')
    .addOption(coinOption());
  list.action(async () => {
    const options = list.optsWithGlobals<GlobalOptions & CoinOptions>();
    await withBooks(options, async (books) => {
      const { ledger, wallet } = books;
      const found = [
        ...(await ledger.listUnopenedBroadcasts(wallet)),
        ...(await ledger.listOpenBroadcasts(wallet)),
      ];
      const rows = [];
      for (const broadcast of found) rows.push(await broadcastJson(books, broadcast));
      createPrinter(options.json ?? false).result(
        rows,
        table(
          ['id', 'status', 'txid', 'opened', 'outputs', 'hold reason'],
          rows.map((row) => [
            String(row.id),
            row.status,
            row.txid ?? '',
            row.opened_at ?? '',
            String(row.outputs.length),
            row.hold_reason ?? '',
          ]),
        ),
      );
    });
  });
  const resolve = broadcasts
    .command('resolve')
    .description('close a held broadcast with the txid found on the network; charges its fee')
    .argument('<id>', 'broadcast id', idOf)
    .requiredOption('--txid <txid>', 'the network transaction that paid its outputs', txidOf)
    .addOption(coinOption());
  resolve.action(async (id: number) => {
    const options = resolve.optsWithGlobals<GlobalOptions & CoinOptions & { txid: string }>();
    await withBooks(options, async (books) => {
      requireBitcoind(books.ledger.coin);
      const broadcaster = new Broadcaster({
        ledger: books.ledger,
        backend: createBitcoindBackend(books.ledger.coin),
        wallet: books.wallet,
        logger: loggerFor(books.config),
      });
      const resolved = await broadcaster.resolve(id, options.txid);
      createPrinter(options.json ?? false).result(
        await broadcastJson(books, resolved),
        `broadcast ${id} is ${resolved.status} with ${options.txid}`,
      );
    });
  });
  const voidCommand = broadcasts
    .command('void')
    .description('void a held broadcast that never reached the network; refunds its senders')
    .argument('<id>', 'broadcast id', idOf)
    .addOption(coinOption());
  voidCommand.action(async (id: number) => {
    const options = voidCommand.optsWithGlobals<GlobalOptions & CoinOptions>();
    await withBooks(options, async ({ ledger }) => {
      const refunds = await ledger.voidBroadcast(id);
      const decimals = ledger.coin.profile.decimals;
      createPrinter(options.json ?? false).result(
        refunds.map((refund) => transactionJson(refund, decimals)),
        `broadcast ${id} voided: ${refunds.length} sends refunded`,
      );
    });
  });
}
