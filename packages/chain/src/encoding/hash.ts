// Hashes and hash display: SHA-256d, HASH160, and Bitcoin's byte-reversed hex.
import { InvalidValueError } from '@cryptoassets/core';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

export const hashBytes = 32;
const hashHexPattern = /^[0-9a-f]{64}$/;

/** SHA-256 applied twice (Bitcoin's block and transaction hash). */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** RIPEMD-160 of SHA-256 (the public key hash inside an address). */
export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
}

/** Internal byte order to the displayed hex (byte-reversed, Bitcoin convention). */
export function hashToHex(hash: Uint8Array): string {
  return bytesToHex(hash.slice().reverse());
}

/** Displayed hex to internal byte order; throws InvalidValueError on anything but 64 hex digits. */
export function hexToHash(hex: string, field = 'hash'): Uint8Array {
  if (typeof hex !== 'string' || !hashHexPattern.test(hex)) {
    throw new InvalidValueError(field, 'expected 64 lowercase hex digits');
  }
  return hexToBytes(hex).reverse();
}

export function isHashHex(value: unknown): value is string {
  return typeof value === 'string' && hashHexPattern.test(value);
}

export const zeroHashHex = '0'.repeat(64);

export { bytesToHex, hexToBytes };
