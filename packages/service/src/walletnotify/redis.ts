// Walletnotify over Redis pub/sub: `walletnotify=redis-cli publish CHANNEL %s` publishes here.
//
// Client: ioredis. It is typed, widely used and maintained by Redis; it needs Node 20 like we
// do; it reconnects on its own with a `retryStrategy` we bound, and `autoResubscribe` renews the
// subscription after a reconnect, which is exactly what a long-running subscriber needs.
import { Redis } from 'ioredis';
import { WalletnotifyStartError } from './errors.js';
import { createIntake } from './intake.js';
import {
  reconnectDelayMs,
  sleep,
  type WalletnotifyLimits,
  walletnotifyLimitsDefault,
} from './limits.js';
import { parseNotificationLine } from './parse.js';
import type {
  RedisWalletnotifyConfig,
  WalletnotifyListener,
  WalletnotifyListenerOptions,
} from './types.js';

export type RedisWalletnotifyListener = WalletnotifyListener & {
  /** Times the connection was lost and a new one attempted. */
  readonly reconnects: number;
};

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}

export function createRedisWalletnotifyListener(
  config: RedisWalletnotifyConfig,
  options: WalletnotifyListenerOptions,
): RedisWalletnotifyListener {
  const limits: WalletnotifyLimits = { ...walletnotifyLimitsDefault, ...options.limits };
  const { logger } = options;
  const source = `redis ${redactUrl(config.url)} ${config.channel}`;
  const intake = createIntake({ ...options, queueLengthMax: limits.queueLengthMax, source });
  let phase: 'new' | 'started' | 'stopped' = 'new';
  let reconnects = 0;
  let outageLogged = false;

  const client = new Redis(config.url, {
    lazyConnect: true,
    autoResubscribe: true,
    // Commands wait for the next connection instead of failing after a few retries.
    maxRetriesPerRequest: null,
    connectTimeout: limits.connectTimeoutMs,
    retryStrategy: (attempt) => reconnectDelayMs(attempt, limits),
  });

  client.on('message', (channel: string, message: string) => {
    if (channel !== config.channel) return;
    intake.accept(() => parseNotificationLine(message));
  });
  client.on('ready', () => {
    if (phase !== 'started') return;
    if (outageLogged) logger.info('walletnotify redis connected again', { source });
    outageLogged = false;
    intake.state = 'listening';
  });
  client.on('reconnecting', () => {
    reconnects++;
    if (phase === 'started') intake.state = 'reconnecting';
  });
  client.on('error', (error: Error) => {
    // One warning per outage; each retry of the same outage only at debug level.
    const log = outageLogged ? logger.debug : logger.warn;
    outageLogged = true;
    log('walletnotify redis connection error', { source, error: error.message });
  });

  const disconnect = async (): Promise<void> => {
    if (client.status === 'end') return;
    // Between attempts there is no socket: disconnecting only cancels the next attempt, and no
    // `end` event follows.
    if (client.status === 'reconnecting') {
      client.disconnect();
      return;
    }
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.disconnect();
    await Promise.race([ended, sleep(limits.stopTimeoutMs)]);
  };

  return {
    async start() {
      if (phase !== 'new') throw new WalletnotifyStartError(undefined, `listener is ${phase}`);
      phase = 'started';
      intake.state = 'starting';
      try {
        await client.connect();
        await client.subscribe(config.channel);
      } catch (error) {
        phase = 'stopped';
        intake.state = 'stopped';
        await disconnect();
        throw new WalletnotifyStartError('walletnotify.url', `cannot subscribe at ${source}`, {
          cause: error,
        });
      }
      intake.state = 'listening';
      logger.info('walletnotify listening', { source });
    },
    async stop() {
      const wasStarted = phase === 'started';
      phase = 'stopped';
      if (!wasStarted) return;
      intake.state = 'stopping';
      await disconnect();
      await intake.queue.close();
      intake.state = 'stopped';
      logger.info('walletnotify stopped', { source });
    },
    get stats() {
      return intake.stats;
    },
    get reconnects() {
      return reconnects;
    },
  };
}
