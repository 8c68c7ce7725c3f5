// Contextual transaction checks against a view of unspent outputs: existence, maturity, ownership,
// signatures and amounts. Shared by block connection and the mempool.
import { addressFromPublicKey } from '../tx/address.js';
import { signaturePreimageHash } from '../tx/codec.js';
import { verifyInputSignature } from '../tx/sign.js';
import type { Transaction } from '../tx/types.js';
import { coinbaseMaturityBlocks, moneyMinorMax } from './params.js';
import type { Reason } from './sanity.js';

/** An unspent output as the chain state keeps it. */
export type UtxoEntry = {
  readonly amountMinor: bigint;
  readonly address: string;
  /** Height of the block that created it. */
  readonly height: number;
  readonly coinbase: boolean;
};

export type UtxoLookup = (txid: string, vout: number) => UtxoEntry | undefined;

export type SpendCheck = { readonly reason: string } | { readonly feeMinor: bigint };

/**
 * Checks a non-coinbase transaction spending outputs from `lookup`, as if included in a block
 * at `spendHeight`. Returns its fee or the reason it is refused. Signatures are verified unless
 * the caller already did (`verifySignatures` false).
 */
export function checkSpend(
  tx: Transaction,
  lookup: UtxoLookup,
  spendHeight: number,
  verifySignatures = true,
): SpendCheck {
  let inMinor = 0n;
  for (const input of tx.inputs) {
    const entry = lookup(input.prevTxid, input.vout);
    if (entry === undefined) return { reason: 'bad-txns-inputs-missingorspent' };
    if (entry.coinbase && spendHeight - entry.height < coinbaseMaturityBlocks) {
      return { reason: 'bad-txns-premature-spend-of-coinbase' };
    }
    if (addressFromPublicKey(input.publicKey) !== entry.address) {
      return { reason: 'bad-txns-pubkey-mismatch' };
    }
    inMinor += entry.amountMinor;
    if (inMinor > moneyMinorMax) return { reason: 'bad-txns-inputvalues-outofrange' };
  }
  const outMinor = tx.outputs.reduce((sum, output) => sum + output.amountMinor, 0n);
  if (outMinor > inMinor) return { reason: 'bad-txns-in-belowout' };
  const reason = verifySignatures ? checkSignatures(tx) : undefined;
  return reason ? { reason } : { feeMinor: inMinor - outMinor };
}

function checkSignatures(tx: Transaction): Reason {
  const preimageHash = signaturePreimageHash(tx);
  for (const input of tx.inputs) {
    if (!verifyInputSignature(input.signature, preimageHash, input.publicKey)) {
      return 'bad-txns-signature';
    }
  }
  return undefined;
}
