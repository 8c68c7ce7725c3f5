// Devnet addresses: bech32, witness version 0, HASH160 of the compressed public key, hrp `dvt`.
import { InvalidValueError } from '@cryptoassets/core';
import { bech32 } from '@scure/base';
import { addressHrp, publicKeyBytes } from '../consensus/params.js';
import { hash160 } from '../encoding/hash.js';

export const addressHashBytes = 20;
const addressLengthMax = 90;

/** The address of a 33-byte compressed public key. */
export function addressFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== publicKeyBytes) {
    throw new InvalidValueError('publicKey', `expected ${publicKeyBytes} bytes`);
  }
  return addressFromHash(hash160(publicKey));
}

/** Encodes a 20-byte public key hash as a `dvt1...` address. */
export function addressFromHash(hash: Uint8Array): string {
  if (hash.length !== addressHashBytes) {
    throw new InvalidValueError('address', `expected a ${addressHashBytes}-byte hash`);
  }
  return bech32.encode(addressHrp, [0, ...bech32.toWords(hash)]);
}

/** The 20-byte hash inside an address; throws InvalidValueError unless it is a devnet address. */
export function addressToHash(address: string, field = 'address'): Uint8Array {
  if (typeof address !== 'string' || address.length === 0 || address.length > addressLengthMax) {
    throw new InvalidValueError(field, 'not a devnet address');
  }
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(address.toLowerCase() as `${string}1${string}`, addressLengthMax);
  } catch (cause) {
    throw new InvalidValueError(field, 'not a devnet address (bad bech32)', { cause });
  }
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) {
    throw new InvalidValueError(field, 'mixed-case address');
  }
  const [version, ...words] = decoded.words;
  if (decoded.prefix !== addressHrp || version !== 0) {
    throw new InvalidValueError(field, `not a devnet address (expected ${addressHrp}1...)`);
  }
  const hash = bech32.fromWordsUnsafe(words);
  if (!hash || hash.length !== addressHashBytes) {
    throw new InvalidValueError(field, 'not a devnet address (bad program length)');
  }
  return hash;
}

export function isDevAddress(address: unknown): boolean {
  if (typeof address !== 'string') return false;
  try {
    addressToHash(address);
    return true;
  } catch {
    return false;
  }
}
