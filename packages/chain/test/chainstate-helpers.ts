// Helpers for chain-state tests: temporary chains, keys, signed spends and hand-made blocks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addressFromPublicKey,
  type Block,
  bitsToTarget,
  blockHash,
  Chain,
  type ChainParams,
  computeMerkleRoot,
  hashToNumber,
  makeCoinbase,
  newPrivateKey,
  publicKeyOf,
  signTransaction,
  type Transaction,
  type TxOutput,
} from '@cryptoassets/chain';
import { mineSync } from '@cryptoassets/chain/testing';
import { bytesToHex } from '@noble/hashes/utils.js';

export type Key = {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address: string;
};

export function newKey(): Key {
  const privateKey = newPrivateKey();
  const publicKey = publicKeyOf(privateKey);
  return { privateKey, publicKey, address: addressFromPublicKey(publicKey) };
}

export const regtest: Partial<ChainParams> = { regtest: true };

/** Temporary directories removed by `cleanup()`. */
export class TempChains {
  private readonly dirs: string[] = [];
  private readonly chains: Chain[] = [];

  dir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'chain-test-'));
    this.dirs.push(dir);
    return dir;
  }

  async open(params: Partial<ChainParams> = regtest, dataDir = this.dir(), now?: () => number) {
    const chain = await Chain.open(
      now === undefined ? { dataDir, params } : { dataDir, params, now },
    );
    this.chains.push(chain);
    return chain;
  }

  cleanup(): void {
    for (const chain of this.chains) chain.close();
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** Mines the chain's template (mempool included) and submits it; returns the block. */
export function mine(chain: Chain, address: string, tag = 'test', timeS?: number): Block {
  const template = chain.blockTemplate(
    timeS === undefined
      ? { payoutAddress: address, minerTag: tag }
      : { payoutAddress: address, minerTag: tag, timeS },
  );
  const block = mineSync(template);
  const result = chain.submitBlock(block);
  if (result.status !== 'connected')
    throw new Error(`mined block not connected: ${result.status} ${result.reason}`);
  return block;
}

export function mineMany(chain: Chain, count: number, address: string, tag = 'test'): Block[] {
  return Array.from({ length: count }, () => mine(chain, address, tag));
}

/** A signed transaction spending `inputs` (all owned by `key`). */
export function spend(
  key: Key,
  inputs: readonly { txid: string; vout: number }[],
  outputs: readonly TxOutput[],
): Transaction {
  const unsigned: Transaction = {
    version: 1,
    inputs: inputs.map((input) => ({
      prevTxid: input.txid,
      vout: input.vout,
      publicKey: key.publicKey,
      signature: new Uint8Array(0),
    })),
    outputs,
  };
  const hex = bytesToHex(key.publicKey);
  return signTransaction(unsigned, (publicKey) => (publicKey === hex ? key.privateKey : undefined));
}

/** A mined block with arbitrary contents on top of `prevHash` (for invalid-data tests). */
export function craftBlock(options: {
  prevHash: string;
  height: number;
  bits: number;
  time: number;
  payout: string;
  coinbaseMinor?: bigint;
  transactions?: readonly Transaction[];
  merkleRoot?: string;
}): Block {
  const coinbase = makeCoinbase({
    height: options.height,
    minerTag: 'crafted',
    outputs: [{ amountMinor: options.coinbaseMinor ?? 50_0000_0000n, address: options.payout }],
  });
  const transactions = [coinbase, ...(options.transactions ?? [])];
  const merkleRoot = options.merkleRoot ?? computeMerkleRoot(transactions);
  const block: Block = {
    header: {
      version: 1,
      prevHash: options.prevHash,
      merkleRoot,
      time: options.time,
      bits: options.bits,
      nonce: 0,
    },
    transactions,
  };
  return mineBlock(block);
}

/** Finds a nonce for a block as it is (header fields kept). */
export function mineBlock(block: Block): Block {
  for (let nonce = 0; nonce < 10_000_000; nonce++) {
    const candidate: Block = {
      header: { ...block.header, nonce },
      transactions: block.transactions,
    };
    if (checkPow(candidate)) return candidate;
  }
  throw new Error('no nonce found');
}

function checkPow(block: Block): boolean {
  return hashToNumber(blockHash(block)) <= bitsToTarget(block.header.bits);
}
