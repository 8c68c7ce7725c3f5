// Mounting the JSON-RPC on a node: `createRpcHandler` for a node with a wallet, and
// `nodeRpcMount` for `startNode({ rpcMount })`, which opens the node's default wallet in its data
// directory, serves named wallets (`createwallet`, `/wallet/NAME`) from `wallets/NAME` beside
// it, and runs -walletnotify / -blocknotify for every loaded wallet.
import { existsSync, mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from '@cryptoassets/core';
import type { Chain } from '../chain.js';
import { type NotifyWatch, watchForNotifications } from '../notify/watch.js';
import { Wallet } from '../wallet/wallet.js';
import { RpcError, rpcErrorCodes } from './errors.js';
import {
  createRpcBackendHandler,
  isRpcPath,
  type RpcHandlerOptions,
  type RpcRequestHandler,
} from './handler.js';
import { type NodeRpcBackendOptions, nodeRpcBackend, type RpcNode } from './node-backend.js';
import type { RpcBackend, RpcWalletRegistry } from './types.js';

/** Most wallets loaded at once on one node. */
export const walletsLoadedMax = 100;
/** Folder of the named wallets inside the node's data directory. */
export const walletsDirName = 'wallets';

const walletNamePattern = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

/** The JSON-RPC handler of a node (mounted at `POST /`, `/rpc` and `/wallet/NAME`). */
export function createRpcHandler(
  node: RpcNode,
  options: RpcHandlerOptions & NodeRpcBackendOptions,
): RpcRequestHandler {
  return createRpcBackendHandler(nodeRpcBackend(node, options), options);
}

/** What `nodeRpcMount` needs of a started node. */
export type MountableNode = {
  readonly chain: Chain;
  /** The node's own wallet, served as the default one; opened from its data directory if absent. */
  readonly wallet?: Wallet;
  mineBlocks(count: number, address: string): Promise<readonly string[]>;
};

export type NodeRpcMountOptions = RpcHandlerOptions & {
  readonly walletnotify?: string | undefined;
  readonly blocknotify?: string | undefined;
  readonly logger?: Logger;
};

export type NodeRpcMount = {
  /** Give this to `startNode({ rpcMount })`. */
  readonly mount: (node: MountableNode) => {
    readonly handler: RpcRequestHandler;
    readonly isRpcPath: (url: string | undefined) => boolean;
  };
  /** The default wallet, once the node has mounted its RPC. */
  wallet(): Promise<Wallet>;
  /** Stops the notifications (call after the node stopped). */
  stop(): Promise<void>;
};

/** Named wallets of one node; `''` is the default wallet in the node's data directory. */
class WalletRegistry implements RpcWalletRegistry {
  readonly #wallets = new Map<string, { wallet: Wallet; backend: RpcBackend }>();
  constructor(
    private readonly node: MountableNode,
    private readonly options: NodeRpcBackendOptions,
  ) {}

  async open(name: string, dataDir: string, existing?: Wallet): Promise<Wallet> {
    if (this.#wallets.size >= walletsLoadedMax) {
      throw new RpcError(rpcErrorCodes.walletError, `at most ${walletsLoadedMax} wallets loaded`);
    }
    const { chain } = this.node;
    const wallet = existing ?? (await Wallet.open({ dataDir, chain }));
    const mineBlocks = (count: number, address: string) => this.node.mineBlocks(count, address);
    const backend = nodeRpcBackend({ chain, wallet, mineBlocks }, this.options);
    this.#wallets.set(name, { wallet, backend: { ...backend, wallets: this } });
    return wallet;
  }

  #dir(name: string): string {
    if (!walletNamePattern.test(name)) {
      throw new RpcError(
        rpcErrorCodes.invalidParameter,
        `Invalid wallet name ${JSON.stringify(name)}`,
      );
    }
    return join(this.node.chain.dataDir, walletsDirName, name);
  }

  async create(name: string): Promise<void> {
    const dir = this.#dir(name);
    if (this.#wallets.has(name) || existsSync(dir)) {
      throw new RpcError(rpcErrorCodes.walletError, `Wallet ${name} already exists.`);
    }
    mkdirSync(dir, { recursive: true });
    await this.open(name, dir);
  }

  async load(name: string): Promise<void> {
    const dir = this.#dir(name);
    if (this.#wallets.has(name)) {
      throw new RpcError(rpcErrorCodes.walletAlreadyLoaded, `Wallet "${name}" is already loaded.`);
    }
    if (!existsSync(dir)) {
      throw new RpcError(rpcErrorCodes.walletNotFound, `Wallet ${name} not found.`);
    }
    await this.open(name, dir);
  }

  unload(name: string): void {
    if (name === '' || !this.#wallets.delete(name)) {
      throw new RpcError(
        rpcErrorCodes.walletNotFound,
        'Requested wallet does not exist or is not loaded',
      );
    }
  }

  loaded(): readonly string[] {
    return [...this.#wallets.keys()];
  }

  backend(name: string | undefined): RpcBackend {
    const found = this.#wallets.get(name ?? '');
    if (!found) {
      throw new RpcError(
        rpcErrorCodes.walletNotFound,
        'Requested wallet does not exist or is not loaded',
      );
    }
    return found.backend;
  }

  wallets(): Wallet[] {
    return [...this.#wallets.values()].map((entry) => entry.wallet);
  }
}

export function nodeRpcMount(options: NodeRpcMountOptions): NodeRpcMount {
  let opened: Promise<{ wallet: Wallet; handler: RpcRequestHandler }> | undefined;
  let watch: NotifyWatch | undefined;
  const open = async (node: MountableNode) => {
    const registry = new WalletRegistry(node, {});
    const wallet = await registry.open('', node.chain.dataDir, node.wallet);
    watch = watchForNotifications(node.chain, {
      walletnotify: options.walletnotify,
      blocknotify: options.blocknotify,
      isWalletTransaction: (event) =>
        registry.wallets().some((one) => one.transaction(event.txid) !== undefined),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const handler = createRpcBackendHandler((name) => registry.backend(name), options);
    return { wallet, handler };
  };
  return {
    mount: (node) => {
      opened ??= open(node);
      const ready = opened;
      const handler = (req: IncomingMessage, res: ServerResponse): void => {
        ready.then(
          ({ handler: inner }) => inner(req, res),
          (error: unknown) => {
            options.onInternalError?.(error);
            res.writeHead(500, { 'content-type': 'text/plain' }).end('wallet unavailable');
          },
        );
      };
      return { handler, isRpcPath };
    },
    wallet: async () => {
      if (!opened) throw new Error('the node has not mounted its RPC yet');
      return (await opened).wallet;
    },
    stop: async () => {
      await watch?.stop();
    },
  };
}
