// What every command shares: the config file, the database, and the books of the chosen coin.
import { existsSync } from 'node:fs';
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
import { createBitcoindBackend } from '@cryptoassets/service';

export const configPathDefault = './cryptoassets.yaml';

/** Backends that talk to a network, by the `type` of `coins.NAME.backend`. */
const networkBackends: Readonly<Record<string, BackendFactory>> = {
  bitcoind: createBitcoindBackend,
};

export type GlobalOptions = {
  readonly config?: string;
  readonly json?: boolean;
  readonly wallet?: string;
};

/**
 * The built-in configuration when no file exists: SQLite under ./data and an "ltc" regtest coin
 * on the offline backend, which reports 100 coins of play money for `import-balance`.
 */
export function builtInConfig(): Config {
  return validateConfig({
    database: { url: 'sqlite:./data/cryptoassets.sqlite' },
    coins: {
      ltc: { network: 'regtest', confirmations: 3, backend: { type: 'offline', balance: '100' } },
    },
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
  const coin = selectCoin(config, options.coin);
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
