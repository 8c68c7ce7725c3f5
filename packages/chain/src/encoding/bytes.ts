// Bounded binary readers and writers: little-endian integers, Bitcoin varints, length-prefixed bytes.
import { InvalidValueError } from '@cryptoassets/core';

/** Largest value a varint may carry here (larger counts are never valid on the devnet). */
export const varintValueMax = 0xffff_ffff;

/** Reads a byte array front to back; every read is bounds-checked and throws InvalidValueError. */
export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly field: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(count: number): void {
    if (count > this.remaining) {
      throw new InvalidValueError(this.field, `truncated at byte ${this.offset}`);
    }
  }

  u8(): number {
    this.need(1);
    const value = this.view.getUint8(this.offset);
    this.offset += 1;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  u64(): bigint {
    this.need(8);
    const value = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return value;
  }

  /** A copy of the next `count` bytes. */
  take(count: number): Uint8Array {
    this.need(count);
    // A plain Uint8Array copy, even when the input is a Node Buffer (whose slice is a view).
    const out = new Uint8Array(this.bytes.subarray(this.offset, this.offset + count));
    this.offset += count;
    return out;
  }

  /** Bitcoin CompactSize, canonical (shortest) form only, at most `max`. */
  varint(max: number, what: string): number {
    const first = this.u8();
    let value: number;
    if (first < 0xfd) return checkMax(first, max, this.field, what);
    if (first === 0xfd) {
      this.need(2);
      value = this.view.getUint16(this.offset, true);
      this.offset += 2;
      if (value < 0xfd) throw new InvalidValueError(this.field, `non-canonical ${what} length`);
    } else if (first === 0xfe) {
      value = this.u32();
      if (value <= 0xffff) throw new InvalidValueError(this.field, `non-canonical ${what} length`);
    } else {
      throw new InvalidValueError(this.field, `${what} count too large`);
    }
    return checkMax(value, max, this.field, what);
  }

  /** Length-prefixed bytes of at most `max` bytes. */
  varBytes(max: number, what: string): Uint8Array {
    return this.take(this.varint(max, what));
  }

  /** Throws unless every byte was read. */
  end(): void {
    if (this.remaining !== 0) {
      throw new InvalidValueError(this.field, `${this.remaining} trailing bytes`);
    }
  }
}

function checkMax(value: number, max: number, field: string, what: string): number {
  if (value > max) throw new InvalidValueError(field, `${what} ${value} exceeds ${max}`);
  return value;
}

const writerBytesInitial = 256;

/** Appends to a growable buffer; `finish()` returns the bytes written. */
export class ByteWriter {
  private buffer = new Uint8Array(writerBytesInitial);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  private reserve(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + count) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): this {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, value >>> 0, true);
    this.length += 4;
    return this;
  }

  u64(value: bigint): this {
    this.reserve(8);
    this.view.setBigUint64(this.length, value, true);
    this.length += 8;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  varint(value: number): this {
    if (value < 0xfd) return this.u8(value);
    if (value <= 0xffff) {
      this.u8(0xfd);
      this.reserve(2);
      this.view.setUint16(this.length, value, true);
      this.length += 2;
      return this;
    }
    return this.u8(0xfe).u32(value);
  }

  varBytes(value: Uint8Array): this {
    return this.varint(value.length).bytes(value);
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
