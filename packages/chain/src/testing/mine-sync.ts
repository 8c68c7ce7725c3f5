// Synchronous mining for tests: tries nonces until the header meets the template's target.
import { decodeHeader, headerBytesHash } from '../block/header.js';
import type { Block } from '../block/types.js';
import type { BlockTemplate } from '../chain.js';
import { hashToNumber } from '../consensus/pow.js';

/** Nonces tried before giving up (at minimum difficulty a block needs about 2). */
export const mineSyncNoncesMax = 10_000_000;

export type MineSyncTemplate = Pick<BlockTemplate, 'header' | 'target' | 'transactions'>;

/** Finds a nonce for the template and returns the block; throws when none is found in range. */
export function mineSync(template: MineSyncTemplate, noncesMax = mineSyncNoncesMax): Block {
  const header = template.header.slice();
  const view = new DataView(header.buffer);
  for (let nonce = 0; nonce < noncesMax; nonce++) {
    view.setUint32(76, nonce, true);
    if (hashToNumber(headerBytesHash(header)) <= template.target) {
      return assemble(header, template.transactions);
    }
  }
  throw new Error(`no nonce below ${noncesMax} meets the target`);
}

function assemble(headerBytes: Uint8Array, transactions: BlockTemplate['transactions']): Block {
  return { header: decodeHeader(headerBytes), transactions };
}
