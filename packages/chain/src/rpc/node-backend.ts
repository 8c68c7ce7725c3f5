// The RpcBackend of a devnet node: chain calls answered from its `Chain`, wallet calls from its
// `Wallet` (already in bitcoind's shapes), mapped to the RPC's types and error codes.
import { InvalidValueError } from '@cryptoassets/core';
import { blockHash, encodeBlock } from '../block/codec.js';
import type { Chain } from '../chain.js';
import { bitsToTarget } from '../consensus/pow.js';
import { bytesToHex } from '../encoding/hash.js';
import { isDevAddress } from '../tx/address.js';
import { encodeTransaction, isCoinbase, readCoinbase, txid } from '../tx/codec.js';
import type { Wallet, WalletEntry, WalletTransaction } from '../wallet/wallet.js';
import { RpcError, rpcErrorCodes } from './errors.js';
import type { RpcBackend, RpcBlock, RpcWalletEntry, RpcWalletTransaction } from './types.js';

/** Blocks walked back to find where a side chain leaves the main chain. */
export const forkSearchBlocksMax = 10_000;

/** What the RPC needs of a node: its chain, its wallet, and instant mining. */
export type RpcNode = {
  readonly chain: Chain;
  readonly wallet: Wallet;
  mineBlocks(count: number, address: string): Promise<readonly string[]>;
};

export type NodeRpcBackendOptions = {
  readonly chainName?: string;
  readonly warmingUp?: () => boolean;
};

function entryOf(entry: WalletEntry): RpcWalletEntry {
  return {
    txid: entry.txid,
    vout: entry.vout,
    address: entry.address,
    category: entry.category,
    amountMinor: entry.amountMinor,
    feeMinor: entry.feeMinor,
    label: entry.label,
    confirmations: entry.confirmations,
    blockHash: entry.blockHash,
    blockHeight: entry.blockHeight,
    blockTimeS: entry.blockTime,
    timeS: entry.time,
  };
}

function transactionOf(tx: WalletTransaction): RpcWalletTransaction {
  return {
    txid: tx.txid,
    amountMinor: tx.amountMinor,
    feeMinor: tx.feeMinor,
    confirmations: tx.confirmations,
    blockHash: tx.blockHash,
    blockHeight: tx.blockHeight,
    blockTimeS: tx.blockTime,
    timeS: tx.time,
    details: tx.details.map(entryOf),
    hex: bytesToHex(encodeTransaction(tx.tx)),
  };
}

/** A wallet failure as bitcoind's error: -6 when the wallet cannot pay, else -4. */
export function walletFailure(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  const text = `${(error as { code?: unknown })?.code ?? ''} ${error instanceof Error ? `${error.name} ${error.message}` : ''}`;
  const message = error instanceof Error ? error.message : String(error);
  if (/insufficient|not enough|NotEnough/i.test(text)) {
    return new RpcError(rpcErrorCodes.walletInsufficientFunds, 'Insufficient funds', {
      cause: error,
    });
  }
  if (error instanceof InvalidValueError) {
    return new RpcError(rpcErrorCodes.invalidParameter, message, { cause: error });
  }
  return new RpcError(rpcErrorCodes.walletError, message, { cause: error });
}

export function nodeRpcBackend(node: RpcNode, options: NodeRpcBackendOptions = {}): RpcBackend {
  const { chain, wallet } = node;
  return {
    chainName: options.chainName ?? 'devnet',
    warmingUp: options.warmingUp ?? (() => false),
    tip: () => chain.tip(),
    blockHashAt: (height) => chain.hashAtHeight(height),
    block: (hash) => rpcBlock(chain, hash),
    forkHeight: (hash) => forkHeight(chain, hash),
    mempoolTxids: () => chain.mempool.entries().map((entry) => entry.txid),
    validAddress: (address) => isDevAddress(address),
    isMine: (address) => wallet.isMine(address),
    labelOf: (address) => wallet.labelOf(address),
    newAddress: (label) => wallet.newAddress(label),
    balance: (minConfirmations) => wallet.balance(minConfirmations),
    receivedByAddress: (address, minConfirmations) =>
      wallet.receivedByAddress(address, minConfirmations),
    send: (outputs) => {
      try {
        return wallet.send(outputs);
      } catch (error) {
        throw walletFailure(error);
      }
    },
    walletTransaction: (id) => {
      const found = wallet.transaction(id);
      return found && transactionOf(found);
    },
    walletEntries: () => wallet.transactions().map(entryOf),
    mineBlocks: (count, address) => node.mineBlocks(count, address),
    removedSince: (hash) => removedSince(node, hash),
  };
}

/** Wallet entries of the side-chain blocks from `hash` back to the main chain, bounded. */
function removedSince(node: RpcNode, hash: string): RpcWalletEntry[] {
  const { chain, wallet } = node;
  const entries: RpcWalletEntry[] = [];
  let current = hash;
  for (let step = 0; step < forkSearchBlocksMax; step++) {
    const meta = chain.blockMeta(current);
    const block = chain.blockByHash(current);
    if (!meta || meta.inMainChain || !block) break;
    for (const tx of block.transactions) {
      const found = wallet.transaction(txid(tx));
      if (found) entries.push(...found.details.map(entryOf));
    }
    current = block.header.prevHash;
  }
  return entries;
}

function rpcBlock(chain: Chain, hash: string): RpcBlock | undefined {
  const block = chain.blockByHash(hash);
  const meta = chain.blockMeta(hash);
  if (!block || !meta) return undefined;
  const bytes = encodeBlock(block);
  const coinbase = block.transactions[0];
  const header = block.header;
  return {
    hash: blockHash(block),
    height: meta.height,
    confirmations: meta.inMainChain ? meta.confirmations : -1,
    version: header.version,
    merkleRoot: header.merkleRoot,
    timeS: header.time,
    nonce: header.nonce,
    bits: header.bits,
    target: bitsToTarget(header.bits),
    previousHash: meta.height === 0 ? undefined : header.prevHash,
    nextHash: meta.nextHash,
    txids: block.transactions.map(txid),
    sizeBytes: bytes.length,
    hex: bytesToHex(bytes),
    chainWork: meta.chainWork,
    minerTag: coinbase && isCoinbase(coinbase) ? readCoinbase(coinbase)?.minerTag : undefined,
  };
}

function forkHeight(chain: Chain, hash: string): number | undefined {
  let current = hash;
  for (let step = 0; step < forkSearchBlocksMax; step++) {
    const meta = chain.blockMeta(current);
    if (!meta) return undefined;
    if (meta.inMainChain) return meta.height;
    const header = chain.headerByHash(current);
    if (!header) return undefined;
    current = header.prevHash;
  }
  return undefined;
}
