// The genesis block, pinned in code: every devnet node starts from exactly this block.
import { headerFor } from '../block/codec.js';
import { headerHash } from '../block/header.js';
import type { Block } from '../block/types.js';
import { addressFromHash } from '../tx/address.js';
import { makeCoinbase } from '../tx/codec.js';
import { blockRewardMinor, powLimitBits } from './params.js';

export const genesisTimeS = 1_735_689_600;
export const genesisNonce = 1;
/** Asserted in a test; nodes refuse data directories built on another genesis. */
export const genesisHashHex = '3e5eba8f4c61b07ec484fa4fe7807359892da0b4a5b48eb533c6e28f60bc9d68';

/** Pays to the all-zero key hash: nobody can spend it (and it is never added to the UTXO set). */
const unspendableAddress = addressFromHash(new Uint8Array(20));

export function buildGenesis(nonce = genesisNonce): Block {
  const coinbase = makeCoinbase({
    height: 0,
    minerTag: 'devnet genesis',
    outputs: [{ amountMinor: blockRewardMinor, address: unspendableAddress }],
  });
  const header = headerFor(
    { version: 1, prevHash: '0'.repeat(64), time: genesisTimeS, bits: powLimitBits, nonce },
    [coinbase],
  );
  return { header, transactions: [coinbase] };
}

export const genesisBlock: Block = buildGenesis();

export function genesisHash(): string {
  return headerHash(genesisBlock.header);
}
