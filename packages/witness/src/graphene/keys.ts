// Graphene key formats: WIF private keys, prefixed base58 public keys (with ripemd160
// checksum) and the null key. Errors never echo a private key.
import { InvalidValueError } from '@cryptoassets/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58 } from '@scure/base';
import { concatBytes, equalBytes } from './bytes.js';

export const nullKeySuffix = '1111111111111111111111111111111114T1Anm';
const wifLengthMax = 60;
const publicKeyTextLengthMax = 70;
const prefixPattern = /^[A-Z]{1,8}$/;
const wifVersion = 0x80;

/** Decodes a WIF private key to its 32-byte secret. */
export function parseWif(wif: string): Uint8Array {
  const field = 'private key';
  if (typeof wif !== 'string' || wif.length === 0 || wif.length > wifLengthMax) {
    throw new InvalidValueError(field, 'not a WIF private key');
  }
  const payload = decodeBase58(wif, field, 'not a WIF private key');
  if (payload.length < 5) throw new InvalidValueError(field, 'not a WIF private key');
  const body = payload.subarray(0, -4);
  if (!equalBytes(sha256(sha256(body)).subarray(0, 4), payload.subarray(-4))) {
    throw new InvalidValueError(field, 'WIF checksum mismatch');
  }
  const compressedFlag = body.length === 34 && body[33] === 0x01;
  if (body[0] !== wifVersion || !(body.length === 33 || compressedFlag)) {
    throw new InvalidValueError(field, 'not a WIF private key (wrong version or length)');
  }
  const secret = body.slice(1, 33);
  if (!secp256k1.utils.isValidSecretKey(secret)) {
    throw new InvalidValueError(field, 'secret outside the curve order');
  }
  return secret;
}

/** Encodes a 32-byte secret as an (uncompressed-form) WIF, the Graphene convention. */
export function toWif(secret: Uint8Array): string {
  checkSecret(secret);
  const body = concatBytes(Uint8Array.of(wifVersion), secret);
  return base58.encode(concatBytes(body, sha256(sha256(body)).subarray(0, 4)));
}

/** The prefixed public key string of a secret, e.g. 'STM6MRy...'. */
export function publicKeyOf(secret: Uint8Array, prefix: string): string {
  checkSecret(secret);
  return formatPublicKey(secp256k1.getPublicKey(secret, true), prefix);
}

/** Parses a prefixed public key to 33 bytes; the null key gives 33 zero bytes. */
export function parsePublicKey(text: string, prefix: string): Uint8Array {
  const field = 'public key';
  checkPrefix(prefix);
  if (typeof text !== 'string' || text.length > publicKeyTextLengthMax) {
    throw new InvalidValueError(field, 'not a public key string');
  }
  if (!text.startsWith(prefix)) {
    throw new InvalidValueError(field, `expected the prefix ${prefix}`);
  }
  const payload = decodeBase58(text.slice(prefix.length), field, 'not a public key string');
  if (payload.length !== 37) throw new InvalidValueError(field, 'wrong length');
  const key = payload.slice(0, 33);
  if (!equalBytes(ripemd160(key).subarray(0, 4), payload.subarray(33))) {
    throw new InvalidValueError(field, 'checksum mismatch');
  }
  if (key.every((byte) => byte === 0)) return key;
  if (!isCurvePoint(key)) throw new InvalidValueError(field, 'not a point on secp256k1');
  return key;
}

/** Formats 33 bytes (a compressed point or the null key) as a prefixed public key. */
export function formatPublicKey(bytes: Uint8Array, prefix: string): string {
  checkPrefix(prefix);
  if (!(bytes instanceof Uint8Array) || bytes.length !== 33) {
    throw new InvalidValueError('public key', 'expected 33 bytes');
  }
  return prefix + base58.encode(concatBytes(bytes, ripemd160(bytes).subarray(0, 4)));
}

/** The null key of a chain: setting it as signing key disables a witness. */
export function nullPublicKey(prefix: string): string {
  checkPrefix(prefix);
  return `${prefix}${nullKeySuffix}`;
}

/** True for the null key under any prefix. */
export function isNullKey(text: string): boolean {
  if (typeof text !== 'string' || !text.endsWith(nullKeySuffix)) return false;
  return prefixPattern.test(text.slice(0, -nullKeySuffix.length));
}

function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !prefixPattern.test(prefix)) {
    throw new InvalidValueError('prefix', 'expected 1 to 8 capital letters');
  }
}

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || !secp256k1.utils.isValidSecretKey(secret)) {
    throw new InvalidValueError('private key', 'expected a 32-byte secret inside the curve order');
  }
}

function isCurvePoint(key: Uint8Array): boolean {
  try {
    secp256k1.Point.fromBytes(key).assertValidity();
    return true;
  } catch {
    return false;
  }
}

function decodeBase58(text: string, field: string, problem: string): Uint8Array {
  try {
    return base58.decode(text);
  } catch {
    throw new InvalidValueError(field, problem);
  }
}
