// A devnet on one machine: N nodes, each on its own loopback port and data directory, peered to
// the ones started before it, mining and racing; node 0 is the funded one behind the faucet.
// In regtest-like mode nobody mines continuously: blocks come from `mine(n)` and, when asked,
// one block every `blockIntervalMs`.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assert, formatAmount, type Logger } from '@cryptoassets/core';
import { coinbaseMaturityBlocks } from '../consensus/params.js';
import { type DevnetNode, startNode } from '../node/node.js';
import { rpcAmountDecimals } from '../rpc/json.js';
import { nodeRpcMount } from '../rpc/mount.js';
import { readAmount } from '../rpc/params.js';
import { removeDevnetInfo, writeDevnetInfo } from './info.js';
import { amountText, callDevnetRpc } from './rpc-call.js';

/** Most nodes one devnet runs. */
export const devnetNodesMax = 16;
/** Blocks node 0 mines to its wallet at start when it has nothing, so the faucet can pay. */
export const devnetFundingBlocks = coinbaseMaturityBlocks + 5;
/** Shortest interval of the periodic block timer. */
export const blockIntervalMsMin = 100;

/** One node of a devnet. */
export type DevnetNodeHandle = {
  /** Base URL (http://127.0.0.1:PORT/): the tutorial's endpoints, P2P, and RPC at `/`. */
  readonly url: string;
  /** The running node (chain, network, miner), when started in this process. */
  readonly node?: DevnetNode;
  stop(): Promise<void>;
};

export type NodeStartOptions = {
  readonly port: number;
  readonly host: '127.0.0.1';
  readonly dataDir: string;
  readonly mine: boolean;
  readonly minerThreads: number;
  readonly peers: readonly string[];
  readonly minerTag: string;
  readonly regtest: boolean;
  readonly rpc: { readonly user: string; readonly password: string };
  readonly walletnotify?: string;
  readonly blocknotify?: string;
};

export type NodeStarter = (options: NodeStartOptions) => Promise<DevnetNodeHandle>;

export type StartDevnetOptions = {
  readonly nodes: number;
  readonly dataDir: string;
  /** Mine continuously with worker threads (racing); false in regtest-like mode. */
  readonly mine?: boolean;
  readonly minerThreads?: number;
  /** Minimum difficulty, instant blocks on demand. */
  readonly regtest?: boolean;
  /** In regtest mode, mine one block this often (undefined: only on demand). */
  readonly blockIntervalMs?: number;
  /** Mine this many blocks at start when node 0 has nothing to give (regtest). */
  readonly fundingBlocks?: number;
  /** walletnotify / blocknotify of node 0 (the one the ledger talks to). */
  readonly walletnotify?: string;
  readonly blocknotify?: string;
  readonly logger?: Logger;
  /** Starts one node; `startDevnetNode` unless a test swaps it. */
  readonly startNode?: NodeStarter;
};

export type Devnet = {
  readonly nodes: readonly DevnetNodeHandle[];
  /** RPC URL of node 0 with its credentials. */
  readonly rpcUrl: string;
  readonly dataDir: string;
  /** Pays `amountMinor` from node 0's wallet; returns the txid. */
  faucet(address: string, amountMinor: bigint): Promise<string>;
  /** Mines `count` blocks on node 0 to its own wallet; returns their hashes. */
  mine(count: number): Promise<string[]>;
  /** Node 0's spendable balance. */
  balance(): Promise<bigint>;
  stop(): Promise<void>;
};

/** The RPC URL of a node with credentials. */
export function rpcUrlOf(nodeUrl: string, auth: { user: string; password: string }): string {
  const url = new URL(nodeUrl);
  url.username = encodeURIComponent(auth.user);
  url.password = encodeURIComponent(auth.password);
  url.pathname = '/';
  return url.href;
}

export async function startDevnet(options: StartDevnetOptions): Promise<Devnet> {
  assert(Number.isInteger(options.nodes), 'nodes must be a whole number');
  assert(options.nodes >= 1 && options.nodes <= devnetNodesMax, `1 to ${devnetNodesMax} nodes`);
  const regtest = options.regtest ?? false;
  const auth = { user: 'devnet', password: randomBytes(16).toString('hex') };
  const nodes: DevnetNodeHandle[] = [];
  const stopNodes = async () => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
  };
  try {
    for (let index = 0; index < options.nodes; index++) {
      const dataDir = join(options.dataDir, `node${index}`);
      mkdirSync(dataDir, { recursive: true });
      const notify = index === 0 ? notifyOptions(options) : {};
      nodes.push(
        await (options.startNode ?? startDevnetNode)({
          port: 0,
          host: '127.0.0.1',
          dataDir,
          mine: options.mine ?? !regtest,
          minerThreads: options.minerThreads ?? 1,
          peers: nodes.map((node) => node.url),
          minerTag: `node${index}`,
          regtest,
          rpc: auth,
          ...notify,
        }),
      );
    }
  } catch (error) {
    await stopNodes();
    throw error;
  }
  const first = nodes[0];
  assert(first !== undefined, 'a devnet has a node');
  const rpcUrl = rpcUrlOf(first.url, auth);
  const devnet = devnetApi(nodes, rpcUrl, options.dataDir);
  let timer: NodeJS.Timeout | undefined;
  try {
    await fund(devnet, options.fundingBlocks ?? devnetFundingBlocks);
    timer = startBlockTimer(devnet, options);
    writeDevnetInfo(options.dataDir, {
      rpcUrl,
      nodeUrls: nodes.map((node) => node.url),
      pid: process.pid,
    });
  } catch (error) {
    await stopNodes();
    throw error;
  }
  return {
    ...devnet,
    stop: async () => {
      if (timer) clearInterval(timer);
      removeDevnetInfo(options.dataDir);
      await stopNodes();
    },
  };
}

function notifyOptions(options: StartDevnetOptions) {
  return {
    ...(options.walletnotify === undefined ? {} : { walletnotify: options.walletnotify }),
    ...(options.blocknotify === undefined ? {} : { blocknotify: options.blocknotify }),
  };
}

function devnetApi(
  nodes: readonly DevnetNodeHandle[],
  rpcUrl: string,
  dataDir: string,
): Omit<Devnet, 'stop'> {
  return {
    nodes,
    rpcUrl,
    dataDir,
    faucet: async (address, amountMinor) => {
      const amount = formatAmount(amountMinor, rpcAmountDecimals);
      const txid = await callDevnetRpc(rpcUrl, 'sendtoaddress', [address, amount]);
      assert(typeof txid === 'string', 'sendtoaddress answers a txid');
      return txid;
    },
    mine: (count) => mineOn(rpcUrl, count),
    balance: async () =>
      readAmount(amountText(await callDevnetRpc(rpcUrl, 'getbalance', ['*', 1]))),
  };
}

/** Mines `count` blocks on the node at `rpcUrl` to a fresh address of its wallet. */
export async function mineOn(rpcUrl: string, count: number): Promise<string[]> {
  const address = await callDevnetRpc(rpcUrl, 'getnewaddress', ['mined']);
  assert(typeof address === 'string', 'getnewaddress answers an address');
  const hashes = await callDevnetRpc(rpcUrl, 'generatetoaddress', [count, address]);
  assert(Array.isArray(hashes), 'generatetoaddress answers a list');
  return hashes.filter((hash): hash is string => typeof hash === 'string');
}

async function fund(devnet: Omit<Devnet, 'stop'>, blocks: number): Promise<void> {
  if ((await devnet.balance()) > 0n) return;
  await devnet.mine(blocks);
}

function startBlockTimer(
  devnet: Omit<Devnet, 'stop'>,
  options: StartDevnetOptions,
): NodeJS.Timeout | undefined {
  if (options.blockIntervalMs === undefined) return undefined;
  const intervalMs = Math.max(options.blockIntervalMs, blockIntervalMsMin);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    devnet
      .mine(1)
      .catch((error: unknown) => {
        options.logger?.warn('devnet block timer failed', {
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return timer;
}

/** Starts a node with its JSON-RPC (wallet in its data directory) and notifications mounted. */
export const startDevnetNode: NodeStarter = async (options) => {
  const rpc = nodeRpcMount({
    auth: options.rpc,
    walletnotify: options.walletnotify,
    blocknotify: options.blocknotify,
  });
  const node = await startNode({
    port: options.port,
    host: options.host,
    dataDir: options.dataDir,
    mine: options.mine,
    minerThreads: options.minerThreads,
    peers: options.peers,
    minerTag: options.minerTag,
    regtest: options.regtest,
    rpc: options.rpc,
    rpcMount: rpc.mount,
  });
  return {
    url: node.url,
    node,
    stop: async () => {
      await node.stop();
      await rpc.stop();
    },
  };
};
