// Byte writer for the Graphene wire format (little-endian integers, varints, length-prefixed
// strings) plus strict hex helpers. Every write checks its range; the buffer size is bounded.
import { InvalidValueError } from '@cryptoassets/core';

/** Upper bound on one serialized transaction. */
export const transactionBytesMax = 65_536;

const varint32Max = 0xffff_ffff;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const uint64Max = 2n ** 64n - 1n;

export class ByteWriter {
  #bytes = new Uint8Array(256);
  #length = 0;

  #reserve(count: number): void {
    const needed = this.#length + count;
    if (needed > transactionBytesMax) {
      throw new InvalidValueError('transaction', `longer than ${transactionBytesMax} bytes`);
    }
    if (needed <= this.#bytes.length) return;
    const grown = new Uint8Array(
      Math.min(transactionBytesMax, Math.max(needed, this.#bytes.length * 2)),
    );
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  u8(value: number, field: string): this {
    checkUint(value, 0xff, field);
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
    return this;
  }

  u16(value: number, field: string): this {
    checkUint(value, 0xffff, field);
    return this.raw(littleEndian(BigInt(value), 2));
  }

  u32(value: number, field: string): this {
    checkUint(value, 0xffff_ffff, field);
    return this.raw(littleEndian(BigInt(value), 4));
  }

  i32(value: number, field: string): this {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
      throw new InvalidValueError(field, 'expected a 32-bit signed integer');
    }
    return this.raw(littleEndian(BigInt.asUintN(32, BigInt(value)), 4));
  }

  i64(value: bigint, field: string): this {
    if (value < int64Min || value > int64Max) {
      throw new InvalidValueError(field, 'outside the 64-bit signed range');
    }
    return this.raw(littleEndian(BigInt.asUintN(64, value), 8));
  }

  u64(value: bigint, field: string): this {
    if (value < 0n || value > uint64Max) {
      throw new InvalidValueError(field, 'outside the 64-bit unsigned range');
    }
    return this.raw(littleEndian(value, 8));
  }

  varint32(value: number, field: string): this {
    checkUint(value, varint32Max, field);
    let rest = value;
    for (let i = 0; i < 5; i++) {
      const low = rest & 0x7f;
      rest = Math.floor(rest / 128);
      this.u8(rest > 0 ? low | 0x80 : low, field);
      if (rest === 0) break;
    }
    return this;
  }

  /** Length-prefixed bytes (`vector<char>`). */
  bytes(value: Uint8Array, field: string): this {
    this.varint32(value.length, field);
    return this.raw(value);
  }

  /** Length-prefixed UTF-8 string. */
  string(value: string, field: string): this {
    return this.bytes(new TextEncoder().encode(value), field);
  }

  raw(value: Uint8Array): this {
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

function checkUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidValueError(field, `expected an integer from 0 to ${max}`);
  }
}

function littleEndian(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let rest = value;
  for (let i = 0; i < size; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses hex (either case, even length, at most `bytesMax` bytes) or throws naming the field. */
export function fromHex(text: unknown, field: string, bytesMax: number): Uint8Array {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new InvalidValueError(field, 'expected an even number of hex characters');
  }
  if (text.length / 2 > bytesMax) {
    throw new InvalidValueError(field, `longer than ${bytesMax} bytes`);
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
