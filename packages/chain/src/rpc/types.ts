// What the RPC needs of a node, in bitcoind's terms: the method table is written against this
// interface, and `nodeRpcBackend` (backend.ts) maps a devnet node's chain and wallet onto it.

/** A value or a promise of it: wallets may answer either way. */
export type Awaitable<T> = T | Promise<T>;

export type WalletCategory = 'send' | 'receive' | 'generate' | 'immature' | 'orphan';

/** One output a wallet transaction sent or received, as a listtransactions entry. */
export type RpcWalletEntry = {
  readonly txid: string;
  readonly vout: number;
  readonly address: string | undefined;
  readonly category: WalletCategory;
  /** Signed like bitcoind: negative for `send`. */
  readonly amountMinor: bigint;
  /** Negative fee of a send (bitcoind's sign); undefined for receives. */
  readonly feeMinor?: bigint | undefined;
  readonly label?: string | undefined;
  readonly confirmations: number;
  readonly blockHash?: string | undefined;
  readonly blockHeight?: number | undefined;
  readonly blockTimeS?: number | undefined;
  /** When the wallet first saw it (seconds). */
  readonly timeS: number;
};

/** A wallet transaction, as gettransaction reports it. */
export type RpcWalletTransaction = {
  readonly txid: string;
  /** Net effect on the wallet, fee included (negative for a send). */
  readonly amountMinor: bigint;
  /** Negative fee, when the wallet paid the inputs. */
  readonly feeMinor?: bigint | undefined;
  readonly confirmations: number;
  readonly blockHash?: string | undefined;
  readonly blockHeight?: number | undefined;
  readonly blockTimeS?: number | undefined;
  readonly timeS: number;
  readonly details: readonly RpcWalletEntry[];
  readonly hex?: string | undefined;
};

/** A block as getblock reports it (verbosity 1). */
export type RpcBlock = {
  readonly hash: string;
  readonly height: number;
  readonly confirmations: number;
  readonly version: number;
  readonly merkleRoot: string;
  readonly timeS: number;
  readonly nonce: number;
  readonly bits: number;
  readonly target: bigint;
  readonly previousHash: string | undefined;
  readonly nextHash: string | undefined;
  readonly txids: readonly string[];
  readonly sizeBytes: number;
  readonly hex: string;
  readonly chainWork: bigint;
  /** Which node mined it (the coinbase's miner tag). */
  readonly minerTag?: string | undefined;
};

export type RpcSendOutput = { readonly address: string; readonly amountMinor: bigint };

/** The node behind the RPC. Methods throw `RpcError` for outcomes a client branches on. */
export interface RpcBackend {
  readonly chainName: string;
  /** True while the node is still loading: calls answer -28. */
  warmingUp(): boolean;
  tip(): { readonly height: number; readonly hash: string; readonly chainWork: bigint };
  blockHashAt(height: number): string | undefined;
  block(hash: string): RpcBlock | undefined;
  /** Height of the last main-chain ancestor of a known block (itself when on the main chain). */
  forkHeight(hash: string): number | undefined;
  mempoolTxids(): readonly string[];
  validAddress(address: string): boolean;
  isMine(address: string): Awaitable<boolean>;
  labelOf(address: string): Awaitable<string | undefined>;
  newAddress(label: string): Awaitable<string>;
  balance(minConfirmations: number): Awaitable<bigint>;
  receivedByAddress(address: string, minConfirmations: number): Awaitable<bigint>;
  /** Pays the outputs; returns the txid. Throws RpcError -6 when the wallet cannot pay. */
  send(outputs: readonly RpcSendOutput[]): Awaitable<string>;
  walletTransaction(txid: string): Awaitable<RpcWalletTransaction | undefined>;
  /** Every wallet entry, oldest first. */
  walletEntries(): Awaitable<readonly RpcWalletEntry[]>;
  mineBlocks(count: number, address: string): Promise<readonly string[]>;
  /** Wallet entries of the blocks from `hash` back to the main chain (a reorg took them out). */
  removedSince?(hash: string): Awaitable<readonly RpcWalletEntry[]>;
  /** Named wallets (bitcoind's multiwallet); absent when the node has one wallet only. */
  readonly wallets?: RpcWalletRegistry;
}

/** Wallets by name, each answering on `/wallet/NAME`; `''` is the default wallet. */
export interface RpcWalletRegistry {
  create(name: string): Awaitable<void>;
  load(name: string): Awaitable<void>;
  unload(name: string): Awaitable<void>;
  loaded(): readonly string[];
}
