// `cryptoassets devnet`: `up` runs N local nodes that mine, race and sync; `faucet` pays from the
// funded node; `mine` mines blocks on it. faucet and mine talk to a running node's RPC: `--rpc`,
// else the configuration's devnet coin (its url, or the devnet running in its data directory).

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  callDevnetRpc,
  type Devnet,
  devnetDataDir,
  devnetNodesMax,
  type EmbeddedDevnets,
  mineOn,
  readDevnetInfo,
  rpcAmountDecimals,
  startDevnet,
  startEmbeddedDevnets,
} from '@cryptoassets/chain';
import {
  type CoinConfig,
  type Config,
  formatAmount,
  type Logger,
  parseAmount,
} from '@cryptoassets/core';
import { openDatabase, openLedger } from '@cryptoassets/ledger';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { builtInCoin, type GlobalOptions, loadConfig, UsageError } from '../context.js';
import { createPrinter } from '../output.js';
import { untilSignal } from '../process.js';

/** Most blocks one `devnet mine` call asks for. */
export const mineBlocksMax = 1_000;

type RpcOptions = GlobalOptions & { readonly rpc?: string; readonly coin?: string };

function wholeNumber(max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d{1,6}$/.test(text) || value < 1 || value > max)
      throw new InvalidArgumentError(`expected a whole number in 1..${max}`);
    return value;
  };
}

const rpcOption = () =>
  new Option('--rpc <url>', 'RPC URL of a devnet node (http://user:password@127.0.0.1:PORT/)');
const coinOption = () => new Option('--coin <coin>', 'the devnet coin of the configuration');

/** The devnet coins of the configuration, or the one `--coin` names. */
function devnetCoins(config: Config, coin: string | undefined): CoinConfig[] {
  const coins = Object.values(config.coins).filter((c) => c.backend?.type === 'devnet');
  if (coin === undefined) return coins;
  const found = coins.filter((c) => c.symbol === coin);
  if (found.length === 0) throw new UsageError(`coin ${coin} is not on a devnet backend`);
  return found;
}

/** Where faucet and mine send their calls. */
export function devnetRpcUrl(options: RpcOptions): string {
  if (options.rpc !== undefined) return options.rpc;
  const config = loadConfig(options);
  const coins = devnetCoins(config, options.coin);
  const [coin] = coins;
  if (coin === undefined || coin.backend?.type !== 'devnet')
    throw new UsageError('no devnet coin is configured: give --rpc URL');
  if (coins.length > 1)
    throw new UsageError(
      `--coin is required (devnet coins: ${coins.map((c) => c.symbol).join(', ')})`,
    );
  if (coin.backend.url !== undefined) return coin.backend.url;
  const dataDir = devnetDataDir(coin, config.source);
  const info = readDevnetInfo(dataDir);
  if (info === undefined)
    throw new UsageError(
      `no devnet runs in ${dataDir}: start it with \`npm start\` (cryptoassets service) or \`cryptoassets devnet up\`, or give --rpc URL`,
    );
  return info.rpcUrl;
}

export function registerDevnetCommands(program: Command): void {
  const devnet = program
    .command('devnet')
    .description('a local proof-of-work devnet: run nodes, pay from the faucet, mine blocks');
  registerUp(devnet);
  registerFaucet(devnet);
  registerMine(devnet);
}

type UpOptions = GlobalOptions & {
  readonly nodes: number;
  readonly datadir?: string;
  readonly mine: boolean;
  readonly threads: number;
  readonly regtest?: boolean;
  readonly blockIntervalS?: number;
  readonly walletnotify?: string;
  readonly blocknotify?: string;
};

/** `devnet up` runs where `devnet faucet` looks: the configured devnet coin's data directory. */
function upDataDir(options: UpOptions): string {
  if (options.datadir !== undefined) return resolve(options.datadir);
  const config = loadConfig(options);
  const [coin] = devnetCoins(config, undefined);
  return coin ? devnetDataDir(coin, config.source) : resolve(`./data/devnet/${builtInCoin}`);
}

function registerUp(devnet: Command): void {
  const up = devnet
    .command('up')
    .description('run N nodes on this machine that mine, race and sync, until SIGTERM or SIGINT')
    .option('--nodes <n>', `number of nodes (1..${devnetNodesMax})`, wholeNumber(devnetNodesMax), 3)
    .option('--datadir <dir>', "data directory (default: the devnet coin's, ./data/devnet/dev)")
    .option('--no-mine', 'do not mine continuously')
    .option('--threads <n>', 'miner threads per node', wholeNumber(16), 1)
    .option(
      '--regtest',
      'minimum difficulty; blocks only from `devnet mine` (or --block-interval-s)',
    )
    .option(
      '--block-interval-s <s>',
      'in --regtest mode, mine a block this often',
      wholeNumber(3_600),
    )
    .option(
      '--walletnotify <cmd|url>',
      'per wallet transaction of node 0: a command with %s, or a URL',
    )
    .option('--blocknotify <cmd|url>', 'per block of node 0: a command with %s, or a URL');
  up.action(async () => {
    const options = up.optsWithGlobals<UpOptions>();
    const dataDir = upDataDir(options);
    if (readDevnetInfo(dataDir) !== undefined)
      throw new UsageError(`a devnet already runs in ${dataDir}`);
    mkdirSync(dataDir, { recursive: true });
    const regtest = options.regtest ?? false;
    const running = await startDevnet({
      nodes: options.nodes,
      dataDir,
      regtest,
      mine: regtest ? false : options.mine,
      minerThreads: options.threads,
      ...(options.blockIntervalS === undefined
        ? {}
        : { blockIntervalMs: options.blockIntervalS * 1_000 }),
      ...(options.walletnotify === undefined ? {} : { walletnotify: options.walletnotify }),
      ...(options.blocknotify === undefined ? {} : { blocknotify: options.blocknotify }),
    });
    createPrinter(options.json ?? false).result(upJson(running), upText(running));
    await untilSignal();
    await running.stop();
  });
}

function upJson(devnet: Devnet) {
  return {
    data_dir: devnet.dataDir,
    rpc_url: devnet.rpcUrl,
    nodes: devnet.nodes.map((n) => n.url),
  };
}

function upText(devnet: Devnet): string {
  return [
    `devnet: ${devnet.nodes.length} nodes in ${devnet.dataDir}`,
    ...devnet.nodes.map((node, index) => `  node${index}: ${node.url}`),
    `rpc (node0, funded): ${devnet.rpcUrl}`,
    'faucet: cryptoassets devnet faucet ADDRESS AMOUNT    mine: cryptoassets devnet mine N',
    'stop with Ctrl-C',
  ].join('\n');
}

/**
 * Starts the devnets the configuration asks the service to run (devnet coins without a url),
 * after creating the tables when the configuration is the built-in one.
 */
export async function startEmbedded(config: Config, logger: Logger): Promise<EmbeddedDevnets> {
  if (config.source === undefined) await migrateAll(config);
  return startEmbeddedDevnets(config, { logger });
}

async function migrateAll(config: Config): Promise<void> {
  const database = openDatabase(config.database.url);
  try {
    for (const coin of Object.values(config.coins)) await openLedger({ database, coin }).migrate();
  } finally {
    await database.close();
  }
}

/** What to do next, printed once the service runs on an embedded devnet. */
export function nextSteps(embedded: EmbeddedDevnets, statusUrl: string): string {
  const [first] = embedded.devnets;
  if (first === undefined) return '';
  const coin = first.symbol;
  return [
    `devnet ${coin}: ${first.devnet.nodes.length} node(s) in ${first.devnet.dataDir}, a block every few seconds`,
    'next:',
    `  open ${statusUrl}`,
    `  npx cryptoassets account create alice --coin ${coin}`,
    `  npx cryptoassets address new --coin ${coin} --account alice`,
    '  npx cryptoassets devnet faucet ADDRESS 10',
  ].join('\n');
}

function registerFaucet(devnet: Command): void {
  const faucet = devnet
    .command('faucet')
    .description("pay devnet coins from the funded node's wallet")
    .argument('<address>', 'address to pay')
    .argument('<amount>', 'amount in coins, e.g. 10 or 0.5')
    .addOption(rpcOption())
    .addOption(coinOption());
  faucet.action(async (address: string, amountText: string) => {
    const options = faucet.optsWithGlobals<RpcOptions>();
    const amount = parseAmount(amountText, { field: 'AMOUNT', decimals: rpcAmountDecimals });
    const url = devnetRpcUrl(options);
    const formatted = formatAmount(amount, rpcAmountDecimals);
    const txid = await callDevnetRpc(url, 'sendtoaddress', [address, formatted]);
    createPrinter(options.json ?? false).result(
      { txid, address, amount: formatted },
      `sent ${formatted} to ${address}: ${String(txid)}`,
    );
  });
}

function registerMine(devnet: Command): void {
  const mine = devnet
    .command('mine')
    .description('mine blocks now on the funded node (to its own wallet)')
    .argument('<count>', 'number of blocks', wholeNumber(mineBlocksMax))
    .addOption(rpcOption())
    .addOption(coinOption());
  mine.action(async (count: number) => {
    const options = mine.optsWithGlobals<RpcOptions>();
    const hashes = await mineOn(devnetRpcUrl(options), count);
    createPrinter(options.json ?? false).result(
      { blocks: hashes },
      `mined ${hashes.length} blocks${hashes.length > 0 ? `, last ${hashes.at(-1)}` : ''}`,
    );
  });
}
