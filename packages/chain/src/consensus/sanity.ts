// Context-free checks of blocks and transactions: structure, limits, amounts, proof of work, merkle root.
import { computeMerkleRoot, encodeBlock } from '../block/codec.js';
import { headerHash } from '../block/header.js';
import type { Block } from '../block/types.js';
import { addressFromHash, addressToHash } from '../tx/address.js';
import { encodeTransaction, isCoinbase, readCoinbase, txid } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';
import {
  blockBytesMax,
  blockTransactionsMax,
  moneyMinorMax,
  publicKeyBytes,
  signatureBytes,
  txBytesMax,
  txInputsMax,
  txOutputsMax,
} from './params.js';
import { bitsToTarget, meetsTarget, powLimitTarget } from './pow.js';

/** A rule a block or transaction breaks, as a short reason; undefined when it passes. */
export type Reason = string | undefined;

export function checkTransactionSanity(tx: Transaction): Reason {
  if (tx.inputs.length === 0 || tx.inputs.length > txInputsMax) return 'bad-txns-vin-count';
  if (tx.outputs.length === 0 || tx.outputs.length > txOutputsMax) return 'bad-txns-vout-count';
  if (encodeTransaction(tx).length > txBytesMax) return 'bad-txns-oversize';
  return checkOutputs(tx) ?? checkInputs(tx);
}

function checkOutputs(tx: Transaction): Reason {
  let total = 0n;
  for (const output of tx.outputs) {
    if (output.amountMinor < 0n) return 'bad-txns-vout-negative';
    if (output.amountMinor > moneyMinorMax) return 'bad-txns-vout-toolarge';
    total += output.amountMinor;
    if (total > moneyMinorMax) return 'bad-txns-txouttotal-toolarge';
    if (!isCanonicalAddress(output.address)) return 'bad-txns-address';
  }
  return undefined;
}

function isCanonicalAddress(address: string): boolean {
  try {
    return addressFromHash(addressToHash(address)) === address;
  } catch {
    return false;
  }
}

function checkInputs(tx: Transaction): Reason {
  if (isCoinbase(tx)) {
    return readCoinbase(tx) === undefined ? 'bad-cb-data' : undefined;
  }
  const seen = new Set<string>();
  for (const input of tx.inputs) {
    const key = `${input.prevTxid}:${input.vout}`;
    if (seen.has(key)) return 'bad-txns-inputs-duplicate';
    seen.add(key);
    if (input.publicKey.length !== publicKeyBytes) return 'bad-txns-pubkey-size';
    if (input.signature.length !== signatureBytes) return 'bad-txns-signature-size';
    if (input.vout === 0xffff_ffff || /^0{64}$/.test(input.prevTxid))
      return 'bad-txns-prevout-null';
  }
  return undefined;
}

/** Proof of work: the bits decode to a target within the limit and the hash meets it. */
export function checkProofOfWork(hashHex: string, bits: number): Reason {
  let target: bigint;
  try {
    target = bitsToTarget(bits);
  } catch {
    return 'bad-diffbits';
  }
  if (target > powLimitTarget) return 'bad-diffbits';
  return meetsTarget(hashHex, target) ? undefined : 'high-hash';
}

/** Everything about a block that does not depend on the chain it extends. */
export function checkBlockSanity(block: Block): Reason {
  const count = block.transactions.length;
  if (count === 0 || count > blockTransactionsMax) return 'bad-blk-length';
  const pow = checkProofOfWork(headerHash(block.header), block.header.bits);
  if (pow) return pow;
  if (encodeBlock(block).length > blockBytesMax) return 'bad-blk-length';
  const [coinbase, ...rest] = block.transactions;
  if (coinbase === undefined || !isCoinbase(coinbase)) return 'bad-cb-missing';
  if (rest.some(isCoinbase)) return 'bad-cb-multiple';
  if (computeMerkleRoot(block.transactions) !== block.header.merkleRoot) return 'bad-txnmrklroot';
  for (const tx of block.transactions) {
    const reason = checkTransactionSanity(tx);
    if (reason) return reason;
  }
  return checkNoDuplicates(block.transactions);
}

function checkNoDuplicates(transactions: readonly Transaction[]): Reason {
  const txids = new Set<string>();
  const spent = new Set<string>();
  for (const tx of transactions) {
    const id = txid(tx);
    if (txids.has(id)) return 'bad-txns-duplicate';
    txids.add(id);
    if (isCoinbase(tx)) continue;
    for (const input of tx.inputs) {
      const key = `${input.prevTxid}:${input.vout}`;
      if (spent.has(key)) return 'bad-txns-inputs-missingorspent';
      spent.add(key);
    }
  }
  return undefined;
}
