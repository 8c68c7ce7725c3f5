// Binary block codec: header then varint count then transactions; bounded and validated.
import { InvalidValueError } from '@cryptoassets/core';
import { blockBytesMax, blockTransactionsMax } from '../consensus/params.js';
import { ByteReader, ByteWriter } from '../encoding/bytes.js';
import { readTransaction, txid, writeTransaction } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';
import { headerHash, readHeader, writeHeader } from './header.js';
import { merkleRoot } from './merkle.js';
import type { Block, BlockHeader } from './types.js';

const field = 'block';

export function encodeBlock(block: Block): Uint8Array {
  const writer = new ByteWriter();
  writeHeader(writer, block.header);
  writer.varint(block.transactions.length);
  for (const tx of block.transactions) writeTransaction(writer, tx);
  return writer.finish();
}

/** Decodes a block; throws InvalidValueError on anything malformed or beyond `blockBytesMax`. */
export function decodeBlock(bytes: Uint8Array): Block {
  if (!(bytes instanceof Uint8Array)) throw new InvalidValueError(field, 'expected bytes');
  if (bytes.length > blockBytesMax) throw new InvalidValueError(field, 'too large');
  const reader = new ByteReader(bytes, field);
  const header = readHeader(reader);
  const count = reader.varint(blockTransactionsMax, 'transaction');
  if (count === 0) throw new InvalidValueError(field, 'no transactions');
  const transactions: Transaction[] = [];
  for (let i = 0; i < count; i++) transactions.push(readTransaction(reader));
  reader.end();
  return { header, transactions };
}

export function blockHash(block: Block): string {
  return headerHash(block.header);
}

/** The merkle root the block's transactions commit to. */
export function computeMerkleRoot(transactions: readonly Transaction[]): string {
  return merkleRoot(transactions.map(txid));
}

/** A header for `transactions` on top of `prev` fields (merkle root computed). */
export function headerFor(
  fields: Omit<BlockHeader, 'merkleRoot'>,
  transactions: readonly Transaction[],
): BlockHeader {
  return { ...fields, merkleRoot: computeMerkleRoot(transactions) };
}
