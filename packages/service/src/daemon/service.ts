// The daemon: for each coin on a bitcoind backend, the walletnotify listener, the start-up
// rescan, the confirmation poller and one broadcaster per wallet; over all coins, the event
// dispatcher and the status server. Stopping goes listeners, loops, dispatcher, database.
import { type CoinConfig, type Config, formatAmount, type Logger } from '@cryptoassets/core';
import {
  type Database,
  type Ledger,
  openDatabase,
  openLedger,
  type Wallet,
} from '@cryptoassets/ledger';
import { type BitcoindBackend, createBitcoindBackend } from '../bitcoind/backend.js';
import { Broadcaster, type BroadcastPausePoint } from '../broadcaster/broadcaster.js';
import { oneLineReason } from '../broadcaster/send-outcome.js';
import { EventDispatcher } from '../events/dispatcher.js';
import { createEventHandlers } from '../events/handlers.js';
import {
  checkStatusBind,
  createStatusServer,
  statusHostDefault,
  statusPortDefault,
} from '../status/server.js';
import type {
  BroadcastRunStatus,
  CoinDetail,
  CoinSummary,
  NodeStatus,
  ServiceStatus,
  StatusSource,
  WitnessGuardRow,
} from '../status/types.js';
import { type RescanResult, TransactionUpdater } from '../updater/updater.js';
import { createWalletnotifyListener } from '../walletnotify/listener.js';
import type { WalletnotifyListener } from '../walletnotify/types.js';
import { ServicePartFailed } from './errors.js';
import { type Loop, startLoop } from './loop.js';

/** The whole stop, from the first listener to the closed database. */
export const serviceStopMsMax = 45_000;
/** How long the dispatcher may finish deliveries in flight at stop. */
export const dispatcherStopWaitMs = 20_000;
/** How long the status page waits for the node. */
export const statusNodeTimeoutMs = 3_000;
/**
 * Confirmation polls in a row that cannot read the books before the poller counts as dead and
 * the service exits 2, so that its supervisor restarts it with fresh connections.
 */
export const pollFailuresInARowMax = 5;
/** Rows per list on the status page and in the JSON. */
export const statusListRowsMax = 100;
/** Broadcast periods and confirmation polls used when the configuration has no `service`. */
export const broadcastPeriodSDefault = 30;
export const confirmationPollSDefault = 60;
export const holdExpirySDefault = 5;
/** The wallet the service makes sure exists, as the CLI's default `--wallet`. */
export const defaultWalletName = 'default';

export type StartServiceOptions = {
  readonly config: Config;
  readonly logger: Logger;
  /** Told the status URL once it listens. */
  readonly onListening?: (url: string) => void;
  /**
   * For crash drills: every broadcaster stops for good at this point of the send path, after
   * logging `broadcast paused`, so that the process can be killed there.
   */
  readonly pauseBroadcastAt?: BroadcastPausePoint;
  /** The witness guards running beside the service, for the status page. */
  readonly witnessStatus?: () => readonly WitnessGuardRow[];
};

export type RunningService = {
  /** Graceful and bounded by `serviceStopMsMax`; safe to call more than once. */
  stop(): Promise<void>;
  /** Resolves after `stop()`; rejects with `ServicePartFailed` when a part dies first. */
  readonly done: Promise<void>;
  /** The status server's base URL. */
  readonly statusUrl: string;
};

type BroadcastState = {
  wallet: Wallet;
  broadcaster: Broadcaster;
  lastRunAt: Date | undefined;
  lastSentAt: Date | undefined;
  lastTxid: string | undefined;
  lastError: string | undefined;
};

type CoinRuntime = {
  readonly coin: CoinConfig;
  readonly ledger: Ledger;
  readonly backend: BitcoindBackend;
  readonly updater: TransactionUpdater;
  readonly listener: WalletnotifyListener | undefined;
  readonly broadcasts: BroadcastState[];
  lastRescan: RescanResult | undefined;
  lastRescanAt: Date | undefined;
  lastPollAt: Date | undefined;
};

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

function raceTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function pauseHook(
  at: BroadcastPausePoint | undefined,
  logger: Logger,
): { pauseAt?: (point: BroadcastPausePoint) => Promise<void> } {
  if (at === undefined) return {};
  return {
    pauseAt: async (point) => {
      if (point !== at) return;
      logger.warn('broadcast paused', { point });
      await new Promise<never>(() => {});
    },
  };
}

/** Starts every part; rejects (after undoing what started) when one cannot start. */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const { config, logger } = options;
  const statusConfig = config.statusServer;
  const statusHost = statusConfig?.host ?? statusHostDefault;
  checkStatusBind(statusHost, statusConfig?.token);
  const broadcastPeriodMs = (config.service?.broadcast_period_s ?? broadcastPeriodSDefault) * 1_000;
  const pollPeriodMs = (config.service?.confirmation_poll_s ?? confirmationPollSDefault) * 1_000;
  const holdExpiryPeriodMs = (config.service?.hold_expiry_s ?? holdExpirySDefault) * 1_000;

  let failed: (error: ServicePartFailed) => void = () => {};
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  // A rejection nobody awaited must not crash the process before the caller looks.
  done.catch(() => undefined);
  let stopping = false;
  const onFailure = (part: string, error: unknown): void => {
    if (stopping) return;
    logger.error('service part failed', { part, error: message(error) });
    failed(new ServicePartFailed(part, { cause: error }));
  };

  const database: Database = openDatabase(config.database.url);
  const coins: CoinRuntime[] = [];
  const loops: Loop[] = [];
  const startedAt = new Date();
  let dispatcher: EventDispatcher | undefined;
  const statusServer = createStatusServer({
    host: statusHost,
    port: statusConfig?.port ?? statusPortDefault,
    token: statusConfig?.token,
    logger,
    source: statusSource(),
  });
  statusServer.onFailure = (error) => onFailure('status server', error);

  const stopAll = async (): Promise<void> => {
    const deadline = Date.now() + serviceStopMsMax;
    const phase = async (name: string, work: () => Promise<unknown>): Promise<void> => {
      const left = deadline - Date.now();
      try {
        const outcome = await raceTimeout(work(), Math.max(left, 0));
        if (outcome === 'timeout') logger.warn('stop phase ran out of time', { phase: name });
      } catch (error) {
        logger.warn('stop phase failed', { phase: name, error: message(error) });
      }
    };
    await phase('listeners', () =>
      Promise.allSettled([
        statusServer.stop(),
        ...coins.map((coin) => coin.listener?.stop() ?? Promise.resolve()),
      ]),
    );
    await phase('loops', async () => {
      await Promise.allSettled(loops.map((loop) => loop.stop()));
      await Promise.allSettled(
        coins.flatMap((coin) => coin.broadcasts.map((state) => state.broadcaster.stop())),
      );
    });
    await phase('dispatcher', () => dispatcher?.stop() ?? Promise.resolve());
    await phase('database', () => database.close());
  };

  try {
    for (const coin of Object.values(config.coins)) {
      if (coin.backend?.type !== 'bitcoind') {
        logger.info('coin has no network backend; the service leaves it alone', {
          coin: coin.symbol,
        });
        continue;
      }
      const backend = createBitcoindBackend(coin);
      const ledger = openLedger({ database, coin, backend });
      await ledger.getOrCreateWallet(defaultWalletName);
      const updater = new TransactionUpdater({ ledger, backend, logger });
      const walletnotify = coin.backend.walletnotify;
      const listener = walletnotify
        ? createWalletnotifyListener(walletnotify, {
            logger,
            onTxid: async (txid) => {
              const update = await updater.handleTxid(txid);
              if (update.deposits > 0) dispatcher?.wake();
            },
          })
        : undefined;
      const broadcasts: BroadcastState[] = (await ledger.listWallets()).map((wallet) => ({
        wallet,
        broadcaster: new Broadcaster({
          ledger,
          backend,
          wallet,
          logger,
          ...pauseHook(options.pauseBroadcastAt, logger),
        }),
        lastRunAt: undefined,
        lastSentAt: undefined,
        lastTxid: undefined,
        lastError: undefined,
      }));
      coins.push({
        coin,
        ledger,
        backend,
        updater,
        listener,
        broadcasts,
        lastRescan: undefined,
        lastRescanAt: undefined,
        lastPollAt: undefined,
      });
    }

    dispatcher = new EventDispatcher({
      outboxes: coins.map((coin) => coin.ledger.events),
      handlers: createEventHandlers(config),
      stopWaitMs: dispatcherStopWaitMs,
      logger,
    });

    // Listeners first, so nothing notified during the rescan is missed.
    for (const runtime of coins) {
      await runtime.listener?.start();
      if (runtime.listener)
        logger.info('walletnotify listening', {
          coin: runtime.coin.symbol,
          type:
            runtime.coin.backend?.type === 'bitcoind'
              ? runtime.coin.backend.walletnotify?.type
              : undefined,
        });
    }
    await statusServer.start();
    dispatcher.start();

    for (const runtime of coins) {
      const symbol = runtime.coin.symbol;
      let pollFailures = 0;
      // The rescan runs once, then the poller takes over.
      loops.push(
        startLoop({
          name: `${symbol} confirmations`,
          periodMs: pollPeriodMs,
          onFailure,
          work: async () => {
            if (runtime.lastRescanAt === undefined) {
              const result = await runtime.updater.rescan();
              runtime.lastRescan = result;
              runtime.lastRescanAt = new Date();
              logger.info('start-up rescan done', {
                coin: symbol,
                txids: result.results.length,
                creditedNow: result.creditedNow,
                failed: result.failed,
              });
            }
            const summary = await runtime.updater.pollConfirmations();
            runtime.lastPollAt = new Date();
            pollFailures = summary.error === undefined ? 0 : pollFailures + 1;
            if (pollFailures >= pollFailuresInARowMax)
              throw new Error(
                `${pollFailures} confirmation polls in a row could not read the books: ` +
                  message(summary.error),
              );
            if (summary.creditedNow + summary.reversedNow + summary.broadcastsUpdated > 0)
              dispatcher?.wake();
          },
        }),
      );
      loops.push(
        startLoop({
          name: `${symbol} hold expiry`,
          periodMs: holdExpiryPeriodMs,
          onFailure,
          work: async () => {
            try {
              const expired = await runtime.ledger.expireHolds();
              if (expired.length === 0) return;
              logger.info('expired holds released', {
                coin: symbol,
                holds: expired.map((hold) => hold.id),
              });
              dispatcher?.wake();
            } catch (error) {
              // The books may be away for a while: the next run tries again.
              logger.error('hold expiry failed', { coin: symbol, error: oneLineReason(error) });
            }
          },
        }),
      );
      for (const state of runtime.broadcasts) {
        loops.push(
          startLoop({
            name: `${symbol} broadcaster ${state.wallet.name}`,
            periodMs: broadcastPeriodMs,
            onFailure,
            work: async () => {
              try {
                const run = await state.broadcaster.runOnce();
                state.lastRunAt = new Date();
                state.lastError = undefined;
                for (const outcome of run.broadcasts) {
                  if (outcome.result === 'sent') {
                    state.lastSentAt = new Date();
                    state.lastTxid = outcome.txid;
                  } else state.lastError = outcome.reason;
                }
                if (run.broadcasts.length > 0 || run.reconciled.length > 0) dispatcher?.wake();
              } catch (error) {
                // The node or the books may be away for a while: the next run tries again.
                state.lastRunAt = new Date();
                state.lastError = oneLineReason(error);
                logger.error('broadcast run failed', {
                  coin: symbol,
                  wallet: state.wallet.name,
                  error: state.lastError,
                });
              }
            },
          }),
        );
      }
    }
  } catch (error) {
    stopping = true;
    await stopAll();
    throw error;
  }

  const statusUrl = statusServer.url ?? '';
  logger.info('service started', {
    coins: coins.map((coin) => coin.coin.symbol),
    status: statusUrl,
  });
  options.onListening?.(statusUrl);

  let stopped: Promise<void> | undefined;
  return {
    statusUrl,
    done,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        logger.info('service stopping');
        await stopAll();
        logger.info('service stopped');
        finished();
      })();
      return stopped;
    },
  };

  function statusSource(): StatusSource {
    const nodeStatus = async (runtime: CoinRuntime): Promise<NodeStatus> => {
      try {
        const height = await raceTimeout(runtime.backend.getBlockCount(), statusNodeTimeoutMs);
        if (height === 'timeout')
          return { reachable: false, blockHeight: null, error: 'no answer in time' };
        return { reachable: true, blockHeight: height, error: null };
      } catch (error) {
        return { reachable: false, blockHeight: null, error: oneLineReason(error) };
      }
    };
    const summaryOf = async (runtime: CoinRuntime): Promise<CoinSummary> => {
      const { coin, ledger } = runtime;
      const fmt = (amount: bigint) => formatAmount(amount, coin.profile.decimals);
      const node = await nodeStatus(runtime);
      let hotWalletBalance: string | null = null;
      if (node.reachable) {
        const balance = await raceTimeout(runtime.backend.getBalance(), statusNodeTimeoutMs).catch(
          () => 'timeout' as const,
        );
        if (balance !== 'timeout') hotWalletBalance = fmt(balance);
      }
      const wallets = (await ledger.listWallets()).slice(0, statusListRowsMax);
      let ledgerTotal = 0n;
      const totals = [];
      for (const wallet of wallets) {
        const total = await ledger.walletTotal(wallet);
        ledgerTotal += total;
        totals.push({ wallet: wallet.name, total: fmt(total) });
      }
      const stats = runtime.listener?.stats;
      const walletnotifyType =
        coin.backend?.type === 'bitcoind' ? coin.backend.walletnotify?.type : undefined;
      const events = dispatcher
        ? (await dispatcher.status())
            .filter((row) => row.coin === coin.symbol)
            .map((row) => ({ handler: row.handler, waiting: row.waiting, dead: row.dead }))
        : [];
      return {
        coin: coin.symbol,
        node,
        hotWalletBalance,
        ledgerTotal: fmt(ledgerTotal),
        wallets: totals,
        walletnotify:
          stats && walletnotifyType
            ? {
                type: walletnotifyType,
                state: stats.state,
                received: stats.received,
                rejected: stats.rejected,
                dropped: stats.dropped,
                lastReceivedAt: iso(stats.lastReceivedAt),
              }
            : null,
        lastRescanAt: iso(runtime.lastRescanAt),
        lastConfirmationPollAt: iso(runtime.lastPollAt),
        broadcasters: runtime.broadcasts.map(
          (state): BroadcastRunStatus => ({
            wallet: state.wallet.name,
            lastRunAt: iso(state.lastRunAt),
            lastSentAt: iso(state.lastSentAt),
            lastTxid: state.lastTxid ?? null,
            lastError: state.lastError ?? null,
          }),
        ),
        openBroadcasts: (await ledger.listOpenBroadcasts()).length,
        heldBroadcasts: (await ledger.listHeldBroadcasts()).length,
        events,
      };
    };
    return {
      coins: () => coins.map((runtime) => runtime.coin.symbol),
      summary: async (): Promise<ServiceStatus> => {
        const summaries = [];
        for (const runtime of coins) summaries.push(await summaryOf(runtime));
        return {
          service: 'cryptoassets',
          startedAt: startedAt.toISOString(),
          time: new Date().toISOString(),
          coins: summaries,
          witnesses: options.witnessStatus?.() ?? [],
        };
      },
      detail: async (symbol): Promise<CoinDetail | undefined> => {
        const runtime = coins.find((candidate) => candidate.coin.symbol === symbol);
        if (!runtime) return undefined;
        const { ledger, coin } = runtime;
        const fmt = (amount: bigint) => formatAmount(amount, coin.profile.decimals);
        const summary = await summaryOf(runtime);
        const wallets = (await ledger.listWallets()).slice(0, statusListRowsMax);
        const accounts = [];
        const addresses = [];
        const transactions = [];
        for (const wallet of wallets) {
          for (const a of await ledger.listAccounts(wallet))
            accounts.push({
              wallet: wallet.name,
              id: a.id,
              name: a.name,
              kind: a.kind,
              balance: fmt(a.balance),
            });
          for (const a of await ledger.listReceivingAddresses({ wallet }))
            addresses.push({
              wallet: wallet.name,
              address: a.address,
              accountId: a.accountId,
              label: a.label,
              received: fmt(a.balance),
            });
          for (const t of await ledger.listTransactions({ wallet, limit: statusListRowsMax }))
            transactions.push({
              wallet: wallet.name,
              id: t.id,
              kind: t.kind,
              state: t.state,
              amount: fmt(t.amount),
              createdAt: t.createdAt.toISOString(),
            });
        }
        const broadcasts = (await ledger.listOpenBroadcasts()).map((b) => ({
          id: b.networkTransaction.id,
          status: b.status,
          txid: b.networkTransaction.txid,
          openedAt: iso(b.networkTransaction.openedAt),
          holdReason: b.holdReason,
        }));
        const truncated = [accounts, addresses, transactions, broadcasts].some(
          (list) => list.length > statusListRowsMax,
        );
        transactions.sort((a, b) => b.id - a.id);
        return {
          ...summary,
          broadcasts: broadcasts.slice(0, statusListRowsMax),
          accounts: accounts.slice(0, statusListRowsMax),
          addresses: addresses.slice(0, statusListRowsMax),
          transactions: transactions.slice(0, statusListRowsMax),
          truncated,
        };
      },
    };
  }
}
