// Tiny validators for JSON input from peers and files: each returns the value or throws InvalidValueError.
import { InvalidValueError } from '@cryptoassets/core';
import { hexToBytes } from './hash.js';

export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidValueError(field, 'expected an object');
  }
  return value as JsonObject;
}

export function asArray(value: unknown, field: string, lengthMax: number): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidValueError(field, 'expected an array');
  if (value.length > lengthMax) throw new InvalidValueError(field, `more than ${lengthMax} items`);
  return value;
}

export function asU32(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new InvalidValueError(field, 'expected an integer from 0 to 4294967295');
  }
  return value;
}

export function asString(value: unknown, field: string, lengthMax: number): string {
  if (typeof value !== 'string') throw new InvalidValueError(field, 'expected a string');
  if (value.length > lengthMax) throw new InvalidValueError(field, `longer than ${lengthMax}`);
  return value;
}

const hexPattern = /^(?:[0-9a-f]{2})*$/;

/** Lowercase hex of at most `bytesMax` bytes. */
export function asHexBytes(value: unknown, field: string, bytesMax: number): Uint8Array {
  const text = asString(value, field, bytesMax * 2);
  if (!hexPattern.test(text)) throw new InvalidValueError(field, 'expected lowercase hex');
  return hexToBytes(text);
}
