// A devnet node: the chain in its data directory, an HTTP server on loopback (tutorial API, P2P,
// JSON-RPC), startup sync with its peers, gossip, periodic resync, and an optional miner.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CryptoassetsError, InvalidValueError } from '@cryptoassets/core';
import { Chain } from '../chain.js';
import type { ChainParams } from '../consensus/params.js';
import { minerTagBytesMax } from '../consensus/params.js';
import { Miner, mineBlocks } from '../miner/miner.js';
import { type NotifyWatch, watchForNotifications } from '../notify/watch.js';
import { defaultP2pLimits, type P2pLimits } from '../p2p/limits.js';
import { type NetworkEvent, P2pNetwork } from '../p2p/network.js';
import { isRpcPath } from '../rpc/handler.js';
import { createRpcHandler } from '../rpc/mount.js';
import { readCoinbase } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';
import { Wallet } from '../wallet/wallet.js';
import { BoundedQueue } from './queue.js';
import { createRequestHandler, type InboundBlock } from './server.js';

const emptyTx: Transaction = { version: 1, inputs: [], outputs: [] };

/** Label of the wallet address the miner is paid to. */
export const miningLabel = 'mining';

/** Loopback only: the devnet is for one machine. */
export const nodeHostDefault = '127.0.0.1';
/** Time allowed for in-flight requests when the node stops. */
export const stopGraceMs = 2_000;

export type RpcMount = {
  /** Answers JSON-RPC requests. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The paths the handler owns (e.g. `/`, `/rpc`, `/wallet/NAME`). */
  readonly isRpcPath: (url: string | undefined) => boolean;
};

export type StartNodeOptions = {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: '127.0.0.1';
  readonly dataDir: string;
  readonly mine?: boolean;
  readonly minerThreads?: number;
  /** The miner pauses this long after each block it finds (default 0). */
  readonly minerIntervalMsMin?: number;
  readonly peers?: readonly string[];
  /** Recorded in each coinbase this node mines (default `node:PORT`). */
  readonly minerTag?: string;
  /** Minimum difficulty, no retargeting: instant blocks (`generatetoaddress`). */
  readonly regtest?: boolean;
  readonly rpc?: { readonly user: string; readonly password: string } | false;
  readonly walletnotify?: string;
  readonly blocknotify?: string;
  /** Overrides of the P2P limits (tests shorten timeouts and intervals). */
  readonly limits?: Partial<P2pLimits>;
  /** Overrides of the chain parameters. */
  readonly chainParams?: Partial<ChainParams>;
  /** Clock in milliseconds since the epoch for the chain's time rules (default `Date.now`). */
  readonly now?: () => number;
  /** Sync with the peers before the node counts as started (default true). */
  readonly syncOnStart?: boolean;
  /** Mounts the JSON-RPC handler; given the node, returns the handler. */
  readonly rpcMount?: (node: DevnetNode) => RpcMount | undefined;
  readonly onEvent?: (event: NodeEvent) => void;
};

export type NodeEvent =
  | NetworkEvent
  | {
      readonly kind: 'mined';
      readonly hash: string;
      readonly height: number;
      readonly status: string;
    }
  | { readonly kind: 'error'; readonly where: string; readonly error: unknown };

export type DevnetNode = {
  readonly url: string;
  readonly port: number;
  readonly minerTag: string;
  readonly chain: Chain;
  /** The node's wallet (keys in its data directory); the miner pays to it. */
  readonly wallet: Wallet;
  readonly network: P2pNetwork;
  readonly miner: Miner | undefined;
  /** The address this node's miner is paid to. */
  readonly payoutAddress: () => string;
  /** Mines `count` blocks now (regtest's `generatetoaddress`); returns their hashes. */
  mineBlocks(count: number, address: string): Promise<string[]>;
  startMining(threads?: number): void;
  stopMining(): Promise<void>;
  /** Cuts the node off from these peers, both ways (a partition). */
  blockPeers(urls: readonly string[]): void;
  /** Heals a partition (every peer, or the given ones) and syncs at once. */
  unblockPeers(urls?: readonly string[]): Promise<void>;
  /** Compares tips with every peer now and syncs from better ones. */
  syncNow(): Promise<number>;
  /** Resolves when the blocks peers sent so far have been validated. */
  idle(): Promise<void>;
  stop(): Promise<void>;
};

/** The node could not start (bad options, port in use). */
export class NodeStartError extends CryptoassetsError {
  override name = 'NodeStartError';
  constructor(problem: string, options: { readonly cause?: unknown } = {}) {
    super('NODE_START', `node: ${problem}`, options);
  }
}

function checkOptions(options: StartNodeOptions): void {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535)
    throw new InvalidValueError('port', 'expected a whole number in 0..65535');
  if (options.host !== undefined && options.host !== nodeHostDefault)
    throw new InvalidValueError('host', 'a devnet node listens on 127.0.0.1 only');
  if (options.minerTag !== undefined && Buffer.byteLength(options.minerTag) > minerTagBytesMax)
    throw new InvalidValueError('minerTag', `at most ${minerTagBytesMax} bytes of UTF-8`);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (cause) =>
      reject(new NodeStartError(`cannot listen on ${port}`, { cause })),
    );
    server.listen(port, nodeHostDefault, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts a node; resolves once it listens and has synced with its peers. */
export async function startNode(options: StartNodeOptions): Promise<DevnetNode> {
  checkOptions(options);
  const onEvent = options.onEvent ?? (() => {});
  const limits: P2pLimits = { ...defaultP2pLimits, ...options.limits };
  const chain = await Chain.open({
    dataDir: options.dataDir,
    params: { chaindata: true, regtest: options.regtest ?? false, ...options.chainParams },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const wallet = await Wallet.open({ dataDir: options.dataDir, chain });
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler !== undefined) handler(req, res);
    else {
      res.writeHead(503).end();
    }
  });
  server.requestTimeout = limits.serverRequestTimeoutMs;
  server.headersTimeout = Math.min(limits.serverRequestTimeoutMs, 10_000);
  let port: number;
  try {
    port = await listen(server, options.port);
  } catch (error) {
    chain.close();
    throw error;
  }
  const url = `http://${nodeHostDefault}:${port}`;
  const network = new P2pNetwork({
    chain,
    selfUrl: url,
    limits,
    peers: options.peers ?? [],
    onEvent,
  });
  const notify = watchNotifications(options, chain, wallet);
  const node = assembleNode({
    options,
    chain,
    wallet,
    server,
    network,
    url,
    port,
    onEvent,
    notify,
  });
  const inbound = inboundQueue(limits, network, onEvent);
  node.attachInbound(inbound);
  try {
    // The mining address is written to the wallet file before an RPC mount reads that file.
    node.api.payoutAddress();
    const rpc = mountRpc(options, node.api);
    handler = createRequestHandler({
      chain,
      network,
      limits,
      inbound,
      rpc: rpc?.handler,
      isRpcPath: rpc?.isRpcPath ?? ((path) => path === '/' || path === '/rpc'),
      onError: (error) => onEvent({ kind: 'error', where: 'http', error }),
    });
    if (options.syncOnStart ?? true) await network.syncAll();
    network.start();
    if (options.mine) node.api.startMining(options.minerThreads);
  } catch (error) {
    await node.api.stop();
    throw error;
  }
  return node.api;
}

/** Blocks peers sent, validated one at a time off the request path. */
function inboundQueue(
  limits: P2pLimits,
  network: P2pNetwork,
  onEvent: (event: NodeEvent) => void,
): BoundedQueue<InboundBlock> {
  return new BoundedQueue<InboundBlock>({
    capacity: limits.inboundQueueMax,
    handle: ({ block, from }) => {
      network.acceptBlock(block, from);
    },
    onError: (error) => onEvent({ kind: 'error', where: 'inbound block', error }),
  });
}

/** The JSON-RPC: the given mount, else the built-in handler with `rpc` credentials, else none. */
function mountRpc(options: StartNodeOptions, node: DevnetNode): RpcMount | undefined {
  if (options.rpcMount !== undefined) return options.rpcMount(node);
  if (options.rpc === undefined || options.rpc === false) return undefined;
  return { handler: createRpcHandler(node, { auth: options.rpc }), isRpcPath };
}

/** -walletnotify / -blocknotify given to the node itself (an RPC mount may run its own). */
function watchNotifications(
  options: StartNodeOptions,
  chain: Chain,
  wallet: Wallet,
): NotifyWatch | undefined {
  if (options.walletnotify === undefined && options.blocknotify === undefined) return undefined;
  return watchForNotifications(chain, {
    walletnotify: options.walletnotify,
    blocknotify: options.blocknotify,
    isWalletTransaction: (event) => wallet.transaction(event.txid) !== undefined,
  });
}

/** The wallet address labelled `mining`, made on first use. */
function miningAddress(wallet: Wallet): () => string {
  let address: string | undefined;
  return () => {
    if (address === undefined)
      address =
        wallet.addresses().find((entry) => entry.label === miningLabel)?.address ??
        wallet.newAddress(miningLabel);
    return address;
  };
}

type Parts = {
  readonly options: StartNodeOptions;
  readonly chain: Chain;
  readonly wallet: Wallet;
  readonly notify: NotifyWatch | undefined;
  readonly server: Server;
  readonly network: P2pNetwork;
  readonly url: string;
  readonly port: number;
  readonly onEvent: (event: NodeEvent) => void;
};

function assembleNode(parts: Parts): {
  api: DevnetNode;
  attachInbound: (queue: BoundedQueue<InboundBlock>) => void;
} {
  const { options, chain, wallet, server, network, url, port, onEvent } = parts;
  const minerTag = options.minerTag ?? `node:${port}`;
  const payoutAddress = miningAddress(wallet);
  let miner: Miner | undefined;
  let inbound: BoundedQueue<InboundBlock> | undefined;
  let stopped: Promise<void> | undefined;
  const api: DevnetNode = {
    url,
    port,
    minerTag,
    chain,
    wallet,
    network,
    get miner() {
      return miner;
    },
    payoutAddress,
    mineBlocks: (count, address) => mineBlocks({ chain, count, payoutAddress: address, minerTag }),
    startMining: (threads) => {
      if (miner?.running) return;
      miner = new Miner({
        chain,
        payoutAddress,
        minerTag,
        threads: threads ?? options.minerThreads ?? 1,
        blockIntervalMsMin: options.minerIntervalMsMin ?? 0,
        onBlock: (block, result) =>
          onEvent({
            kind: 'mined',
            hash: result.hash,
            height: readCoinbase(block.transactions[0] ?? emptyTx)?.height ?? -1,
            status: result.status,
          }),
        onError: (error) => onEvent({ kind: 'error', where: 'miner', error }),
      });
      miner.start();
    },
    stopMining: async () => {
      await miner?.close();
      miner = undefined;
    },
    blockPeers: (urls) => network.book.block(urls),
    unblockPeers: async (urls) => {
      network.book.unblock(urls);
      await network.syncAll();
    },
    syncNow: () => network.syncAll(),
    idle: async () => {
      await inbound?.idle();
      await network.settled();
    },
    stop: () => {
      stopped ??= stopNode({
        miner: () => miner,
        network,
        inbound: () => inbound,
        server,
        chain,
        notify: parts.notify,
      });
      return stopped;
    },
  };
  return {
    api,
    attachInbound: (queue) => {
      inbound = queue;
    },
  };
}

async function stopNode(parts: {
  miner: () => Miner | undefined;
  network: P2pNetwork;
  inbound: () => BoundedQueue<InboundBlock> | undefined;
  server: Server;
  chain: Chain;
  notify: NotifyWatch | undefined;
}): Promise<void> {
  await parts.miner()?.close();
  parts.network.stop();
  await parts.inbound()?.close();
  const closed = new Promise<void>((resolve) => parts.server.close(() => resolve()));
  parts.server.closeIdleConnections();
  const grace = setTimeout(() => parts.server.closeAllConnections(), stopGraceMs);
  await closed;
  clearTimeout(grace);
  await parts.network.settled();
  await parts.notify?.stop();
  parts.chain.close();
}
