// Devnets the service starts itself: for every coin on a `devnet` backend without a `url`, local
// nodes in its data directory (regtest-like, a block every few seconds), and the coin handed to
// the ledger as a plain `bitcoind` backend pointed at node 0's RPC, with walletnotify wired
// from the node to the service's listener.
import { createServer } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { BackendConfig, CoinConfig, Config, Logger } from '@cryptoassets/core';
import { type Devnet, type NodeStarter, startDevnet } from './devnet.js';
import { readDevnetInfo } from './info.js';

/** Where a devnet coin's nodes keep their data unless `datadir` says otherwise. */
export const devnetDataDirDefault = './data/devnet';
/** A block this often on an embedded devnet. */
export const embeddedBlockIntervalMsDefault = 5_000;

type DevnetBackend = Extract<BackendConfig, { type: 'devnet' }>;
type BitcoindBackendConfig = Extract<BackendConfig, { type: 'bitcoind' }>;
type WalletnotifyConfig = NonNullable<BitcoindBackendConfig['walletnotify']>;

/** The data directory of a devnet coin, relative paths taken from the config file's folder. */
export function devnetDataDir(coin: CoinConfig, source: string | undefined): string {
  const backend = coin.backend;
  const configured = backend?.type === 'devnet' ? backend.datadir : undefined;
  const path = configured ?? `${devnetDataDirDefault}/${coin.symbol}`;
  if (isAbsolute(path)) return path;
  return source === undefined ? resolve(path) : resolve(dirname(source), path);
}

export type EmbeddedDevnets = {
  /** The configuration with every devnet coin turned into a bitcoind coin. */
  readonly config: Config;
  readonly devnets: readonly { readonly symbol: string; readonly devnet: Devnet }[];
  stop(): Promise<void>;
};

export type StartEmbeddedOptions = {
  readonly startNode?: NodeStarter;
  readonly logger?: Logger;
  readonly blockIntervalMs?: number;
};

export async function startEmbeddedDevnets(
  config: Config,
  options: StartEmbeddedOptions,
): Promise<EmbeddedDevnets> {
  const devnets: { symbol: string; devnet: Devnet }[] = [];
  const coins: Record<string, CoinConfig> = {};
  const stop = async () => {
    await Promise.allSettled(devnets.map(({ devnet }) => devnet.stop()));
  };
  try {
    for (const [symbol, coin] of Object.entries(config.coins)) {
      const backend = coin.backend;
      if (backend?.type !== 'devnet') {
        coins[symbol] = coin;
        continue;
      }
      if (backend.url !== undefined) {
        coins[symbol] = {
          ...coin,
          backend: bitcoindBackend(backend, backend.url, backend.walletnotify),
        };
        continue;
      }
      const dataDir = devnetDataDir(coin, config.source);
      const running = readDevnetInfo(dataDir);
      if (running !== undefined) {
        // `cryptoassets devnet up` runs there already: use it. Its nodes notify nobody here, so
        // deposits made while the service runs show after `cryptoassets scan-received`.
        options.logger?.warn('using the devnet running in the data directory (no walletnotify)', {
          coin: symbol,
          dataDir,
        });
        coins[symbol] = { ...coin, backend: bitcoindBackend(backend, running.rpcUrl, undefined) };
        continue;
      }
      const walletnotify = backend.walletnotify ?? (await loopbackListener());
      const devnet = await startDevnet({
        nodes: backend.nodes,
        dataDir,
        regtest: true,
        blockIntervalMs: options.blockIntervalMs ?? embeddedBlockIntervalMsDefault,
        ...(options.startNode === undefined ? {} : { startNode: options.startNode }),
        ...notifyTarget(walletnotify, options.logger),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      });
      devnets.push({ symbol, devnet });
      coins[symbol] = { ...coin, backend: bitcoindBackend(backend, devnet.rpcUrl, walletnotify) };
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { config: { ...config, coins }, devnets, stop };
}

function bitcoindBackend(
  backend: DevnetBackend,
  url: string,
  walletnotify: WalletnotifyConfig | undefined,
): BitcoindBackendConfig {
  return {
    type: 'bitcoind',
    url,
    timeout_ms: backend.timeout_ms,
    ...(walletnotify === undefined ? {} : { walletnotify }),
  };
}

/** What the node runs per wallet transaction to reach the service's walletnotify listener. */
function notifyTarget(
  walletnotify: WalletnotifyConfig,
  logger: Logger | undefined,
): { walletnotify?: string } {
  if (walletnotify.type === 'http') {
    const path = (walletnotify.secret_path ?? '').replace(/^\/+/, '');
    return { walletnotify: `http://${walletnotify.host}:${walletnotify.port}/${path}` };
  }
  if (walletnotify.type === 'pipe') {
    return { walletnotify: `echo %s >> '${walletnotify.path.replaceAll("'", `'\\''`)}'` };
  }
  logger?.warn('an embedded devnet cannot publish to redis; deposits are found by rescans');
  return {};
}

/** A walletnotify HTTP listener on a loopback port that was free a moment ago. */
async function loopbackListener(): Promise<WalletnotifyConfig> {
  const port = await new Promise<number>((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const found = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(found));
    });
  });
  return { type: 'http', host: '127.0.0.1', port, body_bytes_max: 1_024 };
}
