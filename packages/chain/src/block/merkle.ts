// Bitcoin-style merkle root over txids (the last hash is paired with itself on odd levels).
import { hashToHex, hexToHash, sha256d, zeroHashHex } from '../encoding/hash.js';

/** Merkle root of txids given in displayed hex; displayed hex out. */
export function merkleRoot(txids: readonly string[]): string {
  if (txids.length === 0) return zeroHashHex;
  let level = txids.map((id) => hexToHash(id, 'txid'));
  while (level.length > 1) level = nextLevel(level);
  const [root] = level;
  return root === undefined ? zeroHashHex : hashToHex(root);
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i] as Uint8Array;
    const right = level[i + 1] ?? left;
    const pair = new Uint8Array(64);
    pair.set(left, 0);
    pair.set(right, 32);
    out.push(sha256d(pair));
  }
  return out;
}
