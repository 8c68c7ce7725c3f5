// `cryptoassets node`: runs one devnet node (tutorial API, P2P, JSON-RPC) until SIGTERM or SIGINT.
import { resolve } from 'node:path';
import { type NodeEvent, type NodeRpcMount, nodeRpcMount, startNode } from '@cryptoassets/chain';
import { type Command, InvalidArgumentError } from 'commander';
import { type GlobalOptions, UsageError } from '../context.js';
import { createPrinter } from '../output.js';
import { untilSignal } from '../process.js';

/** Default data directory of `cryptoassets node`. */
export const nodeDataDirDefault = './data/devnet-node';
/** With --regtest every hash wins a block: the miner rests this long after each one. */
export const regtestPauseMsDefault = 1_000;
/** Most miner threads the command accepts. */
const minerThreadsMax = 64;

type NodeOptions = {
  readonly port: number;
  readonly mine?: boolean;
  readonly threads: number;
  readonly peers?: string[];
  readonly datadir: string;
  readonly regtest?: boolean;
  readonly minerTag?: string;
  readonly pauseMs?: number;
  readonly rpcUser?: string;
  readonly rpcPassword?: string;
  readonly walletnotify?: string;
  readonly blocknotify?: string;
};

/** Environment variable read for the RPC password when --rpc-password is not given. */
export const rpcPasswordEnv = 'CRYPTOASSETS_RPC_PASSWORD';

/** The JSON-RPC mount when --rpc-user is given (bitcoind-style basic auth). */
function rpcMountOf(options: NodeOptions): NodeRpcMount | undefined {
  if (options.rpcUser === undefined) {
    if (options.rpcPassword !== undefined) throw new UsageError('--rpc-password needs --rpc-user');
    return undefined;
  }
  const password = options.rpcPassword ?? process.env[rpcPasswordEnv];
  if (password === undefined || password === '')
    throw new UsageError(`--rpc-user needs --rpc-password or ${rpcPasswordEnv}`);
  return nodeRpcMount({
    auth: { user: options.rpcUser, password },
    walletnotify: options.walletnotify,
    blocknotify: options.blocknotify,
  });
}

function portOf(text: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65_535)
    throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return port;
}

function threadsOf(text: string): number {
  const threads = Number(text);
  if (!/^\d{1,2}$/.test(text) || threads < 1 || threads > minerThreadsMax)
    throw new InvalidArgumentError(`expected a whole number in 1..${minerThreadsMax}`);
  return threads;
}

function pauseOf(text: string): number {
  const pauseMs = Number(text);
  if (!/^\d{1,7}$/.test(text))
    throw new InvalidArgumentError('expected milliseconds (a whole number)');
  return pauseMs;
}

function peersOf(text: string): string[] {
  const peers = text
    .split(',')
    .map((peer) => peer.trim())
    .filter((peer) => peer !== '');
  for (const peer of peers)
    if (!/^https?:\/\/[^/\s]+:\d{1,5}\/?$/.test(peer))
      throw new InvalidArgumentError(`expected URLs like http://127.0.0.1:5000, got ${peer}`);
  return peers;
}

/** One log line per notable event, on stderr (stdout is for the result). */
function logEvent(event: NodeEvent): void {
  const line =
    event.kind === 'mined'
      ? `mined block ${event.height} ${event.hash} (${event.status})`
      : event.kind === 'synced'
        ? `synced ${event.blocks} blocks from ${event.peer}`
        : event.kind === 'penalized'
          ? `penalized ${event.peer}: ${event.reason}${event.banned ? ' (banned)' : ''}`
          : event.kind === 'error'
            ? `error in ${event.where}: ${event.error instanceof Error ? event.error.message : String(event.error)}`
            : undefined;
  if (line !== undefined) process.stderr.write(`${line}\n`);
}

export function registerNodeCommands(program: Command): void {
  const node = program
    .command('node')
    .description('run a devnet node: mines, syncs and gossips with its peers over HTTP on loopback')
    .option('--port <port>', 'port to listen on (0 picks a free one)', portOf, 5000)
    .option('--mine', 'mine blocks in the background')
    .option('--threads <n>', 'miner worker threads', threadsOf, 1)
    .option('--peers <urls>', 'comma-separated peer URLs', peersOf)
    .option('--datadir <dir>', 'data directory of this node', nodeDataDirDefault)
    .option('--regtest', 'minimum difficulty, no retargeting (instant blocks)')
    .option('--miner-tag <tag>', 'recorded in each block this node mines (default node:PORT)')
    .option(
      '--pause-ms <ms>',
      `pause after each block this node mines (default 0; with --regtest ${regtestPauseMsDefault})`,
      pauseOf,
    )
    .option('--rpc-user <user>', 'serve the bitcoind-compatible JSON-RPC with this user')
    .option('--rpc-password <password>', `its password (or ${rpcPasswordEnv})`)
    .option(
      '--walletnotify <command-or-url>',
      'run or POST for each wallet transaction (%s = txid)',
    )
    .option('--blocknotify <command-or-url>', 'run or POST for each new block (%s = block hash)');
  node.action(async () => {
    const options = node.optsWithGlobals<GlobalOptions & NodeOptions>();
    const rpc = rpcMountOf(options);
    const notify = {
      ...(options.walletnotify === undefined ? {} : { walletnotify: options.walletnotify }),
      ...(options.blocknotify === undefined ? {} : { blocknotify: options.blocknotify }),
    };
    const running = await startNode({
      port: options.port,
      dataDir: resolve(options.datadir),
      mine: options.mine ?? false,
      minerThreads: options.threads,
      minerIntervalMsMin: options.pauseMs ?? (options.regtest ? regtestPauseMsDefault : 0),
      peers: options.peers ?? [],
      regtest: options.regtest ?? false,
      ...(options.minerTag === undefined ? {} : { minerTag: options.minerTag }),
      onEvent: options.json ? () => {} : logEvent,
      // With the RPC, its mount runs the notifications for every wallet it loads.
      ...(rpc === undefined ? notify : { rpcMount: rpc.mount }),
    });
    const tip = running.chain.tip();
    createPrinter(options.json ?? false).result(
      {
        url: running.url,
        rpc: rpc !== undefined,
        miner_tag: running.minerTag,
        height: tip.height,
        tip: tip.hash,
      },
      `node: ${running.url} (height ${tip.height}, miner tag ${running.minerTag})`,
    );
    await untilSignal();
    await running.stop();
    await rpc?.stop();
  });
}
