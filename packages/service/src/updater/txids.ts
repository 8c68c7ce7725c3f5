// Pure helpers of the updater: which txids of a wallet listing may hold deposits.
import type { WalletEntry } from '../backend.js';

/** Txids of `receive` entries, each once, in first-seen order. */
export function receivedTxids(entries: readonly WalletEntry[]): string[] {
  const seen = new Set<string>();
  for (const entry of entries) if (entry.category === 'receive') seen.add(entry.txid);
  return [...seen];
}
