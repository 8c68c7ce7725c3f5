// Test helpers for networks of devnet nodes: start N nodes in temporary directories on ephemeral
// loopback ports, wait for them to agree, cut them into partitions and heal them, clean up.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CryptoassetsError, InvalidValueError } from '@cryptoassets/core';
import { type DevnetNode, type StartNodeOptions, startNode } from '../node/node.js';
import type { P2pLimits } from '../p2p/limits.js';
import { readCoinbase } from '../tx/codec.js';

/** Limits for tests: quick resyncs and short timeouts, so partitions heal within seconds. */
export const testP2pLimits: Partial<P2pLimits> = {
  resyncIntervalMs: 300,
  requestTimeoutMs: 5_000,
  banDurationMs: 60_000,
};
/** Default bound of `waitFor`. */
export const waitTimeoutMsDefault = 30_000;
/** Most nodes one test network starts. */
export const testNodesMax = 16;

/** A condition a test waited for did not come true in time. */
export class WaitTimeoutError extends CryptoassetsError {
  override name = 'WaitTimeoutError';
  constructor(what: string, timeoutMs: number) {
    super('WAIT_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/** Polls `check` until it returns a value other than undefined or false, within `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? waitTimeoutMsDefault;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt <= Math.ceil(timeoutMs / intervalMs); attempt++) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new WaitTimeoutError(what, timeoutMs);
}

export type TestNetworkOptions = {
  readonly count: number;
  readonly mine?: boolean;
  readonly regtest?: boolean;
  /** Each node peers with every node started before it (default true). */
  readonly connect?: boolean;
  readonly minerThreads?: number;
  readonly limits?: Partial<P2pLimits>;
  /** Extra options for every node (data directory, port and peers are set here). */
  readonly node?: Partial<StartNodeOptions>;
};

export type TestNetwork = {
  readonly nodes: DevnetNode[];
  readonly dirs: string[];
  /** Starts one more node in a fresh directory, peered with the given URLs. */
  add(options?: Partial<StartNodeOptions>): Promise<DevnetNode>;
  /** Stops every node and removes the directories. */
  stop(): Promise<void>;
};

export async function tempDataDir(prefix = 'devnet-node-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Starts `count` nodes on ephemeral ports, each in its own temporary directory. */
export async function startTestNetwork(options: TestNetworkOptions): Promise<TestNetwork> {
  if (options.count < 0 || options.count > testNodesMax)
    throw new InvalidValueError('count', `expected 0..${testNodesMax}`);
  const nodes: DevnetNode[] = [];
  const dirs: string[] = [];
  const add = async (extra: Partial<StartNodeOptions> = {}): Promise<DevnetNode> => {
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    const node = await startNode({
      port: 0,
      dataDir,
      mine: options.mine ?? false,
      regtest: options.regtest ?? false,
      minerThreads: options.minerThreads ?? 1,
      peers: options.connect === false ? [] : nodes.map((peer) => peer.url),
      limits: { ...testP2pLimits, ...options.limits },
      ...options.node,
      ...extra,
    });
    nodes.push(node);
    return node;
  };
  const network: TestNetwork = {
    nodes,
    dirs,
    add,
    stop: async () => {
      await Promise.allSettled(nodes.map((node) => node.stop()));
      await Promise.allSettled(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
  try {
    for (let i = 0; i < options.count; i++) await add();
  } catch (error) {
    await network.stop();
    throw error;
  }
  return network;
}

/** Waits until every node has the same tip (at least `heightMin`); returns that tip's hash. */
export function waitForConvergence(
  nodes: readonly DevnetNode[],
  options: { timeoutMs?: number; heightMin?: number } = {},
): Promise<string> {
  return waitFor(
    'the nodes to agree on one tip',
    () => {
      const tips = nodes.map((node) => node.chain.tip());
      const first = tips[0];
      if (first === undefined || first.height < (options.heightMin ?? 0)) return undefined;
      return tips.every((tip) => tip.hash === first.hash) ? first.hash : undefined;
    },
    { timeoutMs: options.timeoutMs ?? waitTimeoutMsDefault, intervalMs: 100 },
  );
}

/** Cuts the nodes into groups that cannot reach each other. */
export function partition(groups: readonly (readonly DevnetNode[])[]): void {
  for (const [i, group] of groups.entries()) {
    const others = groups.filter((_, j) => j !== i).flat();
    for (const node of group) node.blockPeers(others.map((other) => other.url));
  }
}

/** Heals every partition and has each node sync at once. */
export async function heal(nodes: readonly DevnetNode[]): Promise<void> {
  for (const node of nodes) node.network.book.unblock();
  await Promise.all(nodes.map((node) => node.syncNow()));
}

/** Miner tags of the main chain's blocks from height 1 to the tip. */
export function minerTagsOf(node: DevnetNode): string[] {
  const tags: string[] = [];
  const tip = node.chain.tip();
  for (let height = 1; height <= tip.height; height++) {
    const coinbase = node.chain.blockByHeight(height)?.transactions[0];
    const data = coinbase === undefined ? undefined : readCoinbase(coinbase);
    if (data !== undefined) tags.push(data.minerTag);
  }
  return tags;
}
