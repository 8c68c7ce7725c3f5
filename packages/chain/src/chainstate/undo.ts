// Undo data: the outputs a block spent, in input order, so a disconnection can restore them.
import type { UtxoEntry } from '../consensus/spend.js';
import { ByteReader, ByteWriter } from '../encoding/bytes.js';
import { addressFromHash, addressToHash } from '../tx/address.js';

const undoEntriesMax = 1_000_000;

export function encodeUndo(entries: readonly UtxoEntry[]): Uint8Array {
  const writer = new ByteWriter().varint(entries.length);
  for (const entry of entries) {
    writer.u64(entry.amountMinor).bytes(addressToHash(entry.address));
    writer.u32(entry.height).u8(entry.coinbase ? 1 : 0);
  }
  return writer.finish();
}

export function decodeUndo(bytes: Uint8Array): UtxoEntry[] {
  const reader = new ByteReader(bytes, 'undo');
  const count = reader.varint(undoEntriesMax, 'undo entry');
  const entries: UtxoEntry[] = [];
  for (let i = 0; i < count; i++) {
    const amountMinor = reader.u64();
    const address = addressFromHash(reader.take(20));
    entries.push({ amountMinor, address, height: reader.u32(), coinbase: reader.u8() === 1 });
  }
  reader.end();
  return entries;
}
