// The 80-byte header codec (Bitcoin layout) and the block hash.
import { InvalidValueError } from '@cryptoassets/core';
import { headerBytes } from '../consensus/params.js';
import { ByteReader, ByteWriter } from '../encoding/bytes.js';
import { hashToHex, hexToHash, sha256d } from '../encoding/hash.js';
import type { BlockHeader } from './types.js';

/** version u32 LE | prev hash 32 | merkle root 32 | time u32 LE | bits u32 LE | nonce u32 LE. */
export function encodeHeader(header: BlockHeader): Uint8Array {
  const writer = new ByteWriter();
  writeHeader(writer, header);
  return writer.finish();
}

export function writeHeader(writer: ByteWriter, header: BlockHeader): void {
  writer.u32(header.version);
  writer.bytes(hexToHash(header.prevHash, 'prevHash'));
  writer.bytes(hexToHash(header.merkleRoot, 'merkleRoot'));
  writer.u32(header.time).u32(header.bits).u32(header.nonce);
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  if (!(bytes instanceof Uint8Array) || bytes.length !== headerBytes) {
    throw new InvalidValueError('header', `expected ${headerBytes} bytes`);
  }
  const reader = new ByteReader(bytes, 'header');
  return readHeader(reader);
}

export function readHeader(reader: ByteReader): BlockHeader {
  const version = reader.u32();
  const prevHash = hashToHex(reader.take(32));
  const merkleRoot = hashToHex(reader.take(32));
  const time = reader.u32();
  const bits = reader.u32();
  const nonce = reader.u32();
  return { version, prevHash, merkleRoot, time, bits, nonce };
}

const headerHashCache = new WeakMap<BlockHeader, string>();

/** SHA-256d of the encoded header, displayed hex (cached per header object). */
export function headerHash(header: BlockHeader): string {
  let hash = headerHashCache.get(header);
  if (hash === undefined) {
    hash = hashToHex(sha256d(encodeHeader(header)));
    headerHashCache.set(header, hash);
  }
  return hash;
}

/** Hash of raw header bytes, displayed hex. */
export function headerBytesHash(bytes: Uint8Array): string {
  return hashToHex(sha256d(bytes));
}
