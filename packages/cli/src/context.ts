// What every command shares: the config file, the database, and the books of the chosen coin.
import { existsSync } from 'node:fs';
import { devnetDataDir, readDevnetInfo } from '@cryptoassets/chain';
import {
  type CoinConfig,
  type Config,
  ConfigError,
  CryptoassetsError,
  loadConfigFile,
  validateConfig,
} from '@cryptoassets/core';
import {
  type BackendFactory,
  createBackend,
  type Database,
  type Ledger,
  openDatabase,
  openLedger,
  type Wallet,
} from '@cryptoassets/ledger';
import { BitcoindBackend, createBitcoindBackend, RpcClient } from '@cryptoassets/service';

export const configPathDefault = './cryptoassets.yaml';

/** Backends that talk to a network, by the `type` of `coins.NAME.backend`. */
const networkBackends: Readonly<Record<string, BackendFactory>> = {
  bitcoind: (coin) => createNetworkBackend(coin),
};

export type GlobalOptions = {
  readonly config?: string;
  readonly json?: boolean;
  readonly wallet?: string;
};

/** The coin of the built-in configuration: the embedded devnet's DEV. */
export const builtInCoin = 'dev';
/** Port of the built-in status page; `CRYPTOASSETS_STATUS_PORT` moves it. */
export const builtInStatusPortDefault = 18_881;

/**
 * The built-in configuration when no file exists: SQLite under ./data and a "dev" coin on a local
 * devnet that `cryptoassets service` starts itself (one node in ./data/devnet/dev, a block every
 * few seconds), credited at 2 confirmations and polled often, so a faucet payment shows quickly.
 */
export function builtInConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.CRYPTOASSETS_STATUS_PORT ?? builtInStatusPortDefault);
  return validateConfig({
    database: { url: 'sqlite:./data/cryptoassets.sqlite' },
    coins: {
      [builtInCoin]: {
        network: 'regtest',
        confirmations: 2,
        backend: { type: 'devnet', nodes: 1 },
      },
    },
    status_server: { host: '127.0.0.1', port },
    service: { broadcast_period_s: 5, confirmation_poll_s: 2 },
  });
}

/** Loads `--config FILE`, or ./cryptoassets.yaml when present, or the built-in configuration. */
export function loadConfig(options: GlobalOptions): Config {
  if (options.config !== undefined) return loadConfigFile(options.config);
  if (existsSync(configPathDefault)) return loadConfigFile(configPathDefault);
  return builtInConfig();
}

/** Picks the coin named by `--coin`, or the only configured coin. */
export function selectCoin(config: Config, coin: string | undefined): CoinConfig {
  const names = Object.keys(config.coins);
  if (coin === undefined) {
    if (names.length === 1) return config.coins[names[0]!]!;
    throw new UsageError(
      names.length === 0
        ? 'no coins are configured (add one under coins:)'
        : `--coin is required (configured: ${names.join(', ')})`,
    );
  }
  const found = config.coins[coin];
  if (!found)
    throw new UsageError(
      `coin ${coin} is not configured (configured: ${names.join(', ') || 'none'})`,
    );
  return found;
}

/** A mistake in how a command was called; exit code 1. */
export class UsageError extends CryptoassetsError {
  override name = 'UsageError';
  constructor(message: string) {
    super('USAGE', message);
  }
}

export type Books = {
  readonly config: Config;
  readonly database: Database;
  readonly ledger: Ledger;
  readonly wallet: Wallet;
};

/** Opens the database and the coin's books, runs `work`, and always closes the database. */
export async function withBooks<T>(
  options: GlobalOptions & { readonly coin?: string },
  work: (books: Books) => Promise<T>,
): Promise<T> {
  const config = loadConfig(options);
  const coin = devnetAsBitcoind(config, selectCoin(config, options.coin));
  const database = openDatabase(config.database.url);
  try {
    const ledger = openLedger({ database, coin, backend: createBackend(coin, networkBackends) });
    const wallet = await ledger.getOrCreateWallet(options.wallet ?? 'default');
    return await work({ config, database, ledger, wallet });
  } finally {
    await database.close();
  }
}

export function requireConfigCoins(config: Config): CoinConfig[] {
  const coins = Object.values(config.coins);
  if (coins.length === 0)
    throw new ConfigError(`${config.source ?? 'config'}: coins: no coins are configured`);
  return coins;
}

/**
 * A devnet coin as the bitcoind coin the ledger talks to: its `url`, else the RPC of the devnet
 * running in its data directory. When none runs, the backend answers every network call with
 * a one-line hint instead.
 */
export function devnetAsBitcoind(config: Config, coin: CoinConfig): CoinConfig {
  const backend = coin.backend;
  if (backend?.type !== 'devnet') return coin;
  const url = backend.url ?? readDevnetInfo(devnetDataDir(coin, config.source))?.rpcUrl;
  const bitcoind = {
    type: 'bitcoind' as const,
    url: url ?? devnetNotRunningUrl,
    timeout_ms: backend.timeout_ms,
  };
  return { ...coin, backend: bitcoind };
}

/** The configuration with every devnet coin as its bitcoind coin (see `devnetAsBitcoind`). */
export function devnetsAsBitcoind(config: Config): Config {
  const coins = Object.fromEntries(
    Object.entries(config.coins).map(([symbol, coin]) => [symbol, devnetAsBitcoind(config, coin)]),
  );
  return { ...config, coins };
}

const devnetNotRunningUrl = 'http://127.0.0.1:1/';

/** Answers every call with how to start the devnet. */
class DevnetNotRunning extends RpcClient {
  readonly #coin: string;
  constructor(coin: string) {
    super({ url: devnetNotRunningUrl, retriesMax: 0 });
    this.#coin = coin;
  }
  override async call(): Promise<unknown> {
    throw new UsageError(
      `the devnet of coin ${this.#coin} is not running: start it with \`npm start\` (cryptoassets service) or \`cryptoassets devnet up\``,
    );
  }
}

function createNetworkBackend(coin: CoinConfig): ReturnType<typeof createBitcoindBackend> {
  if (coin.backend?.type === 'bitcoind' && coin.backend.url === devnetNotRunningUrl) {
    return new BitcoindBackend({ coin, client: new DevnetNotRunning(coin.symbol) });
  }
  return createBitcoindBackend(coin);
}
