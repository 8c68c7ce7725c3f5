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
  type Account,
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

export type BooksOptions = GlobalOptions & { readonly coin?: string };

/** The configuration and the coin a command works on, chosen before the database is opened. */
export type Selection = { readonly config: Config; readonly coin: CoinConfig };

export type WalletAccess = {
  /**
   * Create the wallet (with its network fee account) when it does not exist. Only commands that
   * create things may; for every other command a missing wallet is an error that names it.
   */
  readonly createWallet: boolean;
  /** The selection already made (by `selectBooks`) to check arguments before opening. */
  readonly selection?: Selection;
};

/** Loads the configuration and picks the coin (a devnet coin as its bitcoind coin). */
export function selectBooks(options: BooksOptions): Selection {
  const config = loadConfig(options);
  return { config, coin: devnetAsBitcoind(config, selectCoin(config, options.coin)) };
}

/**
 * Opens the database and the coin's books with the `--wallet` wallet, runs `work`, and always
 * closes the database. The database must exist (made by `init-db`): nothing is created but,
 * with `createWallet`, the wallet.
 */
/** The account a `--account NAME` filter names (missing: `NotFound`), or undefined without one. */
export function optionalAccount(
  books: Pick<Books, 'ledger' | 'wallet'>,
  name: string | undefined,
): Promise<Account | undefined> {
  return name === undefined
    ? Promise.resolve(undefined)
    : books.ledger.requireAccount(books.wallet, name);
}

export async function withBooks<T>(
  options: BooksOptions,
  work: (books: Books) => Promise<T>,
  access: WalletAccess = { createWallet: false },
): Promise<T> {
  const name = options.wallet ?? 'default';
  if (access.createWallet) checkName(name, '--wallet');
  return withLedger(
    options,
    async ({ config, database, ledger }) => {
      const wallet = access.createWallet
        ? await ledger.getOrCreateWallet(name)
        : await ledger.getWallet(name);
      if (!wallet) throw new WalletNotFound(name);
      return work({ config, database, ledger, wallet });
    },
    access.selection,
  );
}

/** Like `withBooks` for commands that work by id and need no wallet. */
export async function withLedger<T>(
  options: BooksOptions,
  work: (books: Omit<Books, 'wallet'>) => Promise<T>,
  selection: Selection = selectBooks(options),
): Promise<T> {
  const { config, coin } = selection;
  const database = openExistingDatabase(config.database.url);
  try {
    const ledger = openLedger({ database, coin, backend: createBackend(coin, networkBackends) });
    return await work({ config, database, ledger });
  } finally {
    await database.close();
  }
}

/** Opens the database without creating it: a missing SQLite file asks for `init-db`. */
function openExistingDatabase(url: string): Database {
  const file = sqliteFileOf(url);
  if (file !== undefined && !existsSync(file))
    throw new UsageError(
      `database ${file} does not exist: run \`cryptoassets init-db\` first to create it`,
    );
  return openDatabase(url, { create: false });
}

/** The file of a `sqlite:PATH` URL; undefined for PostgreSQL and an in-memory database. */
export function sqliteFileOf(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  const path = url.slice('sqlite:'.length);
  return path.length === 0 || path === ':memory:' ? undefined : path;
}

/** The `--wallet` wallet does not exist, and the command only reads or needs it to exist. */
export class WalletNotFound extends UsageError {
  override name = 'WalletNotFound';
  constructor(wallet: string) {
    const flag = wallet === 'default' ? '' : ` --wallet ${JSON.stringify(wallet)}`;
    super(
      `wallet ${JSON.stringify(wallet)} not found: create an account first (cryptoassets${flag} account create NAME)`,
    );
  }
}

/** Longest wallet or account name the ledger takes. */
export const nameLengthMax = 128;

/**
 * Checks a wallet or account name given on the command line before anything is written:
 * 1..128 characters, no surrounding spaces, no control characters (a name is printed on one
 * line).
 */
export function checkName(name: string, field: string): string {
  const problem =
    name.length === 0
      ? 'must not be empty'
      : name.length > nameLengthMax
        ? `must be at most ${nameLengthMax} characters`
        : name.trim() !== name
          ? 'must not start or end with spaces'
          : /\p{Cc}/u.test(name)
            ? 'must not contain control characters such as a newline'
            : undefined;
  if (problem !== undefined) throw new UsageError(`${field}: the name ${problem}`);
  return name;
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
