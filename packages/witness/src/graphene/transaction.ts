// Transactions: header + operations serialization, digest (sha256 of chain id and bytes),
// transaction id, reference block, and canonical recoverable secp256k1 signatures.
import { InvalidValueError } from '@cryptoassets/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ChainProfile } from '../profiles.js';
import { ByteWriter, concatBytes, fromHex, toHex } from './bytes.js';
import { formatPublicKey } from './keys.js';
import { checkEmptyExtensions, type Operation, serializeOperation } from './operations.js';

export type Transaction = {
  ref_block_num: number;
  ref_block_prefix: number;
  expiration: string;
  operations: Operation[];
  extensions: unknown[];
};
export type SignedTransaction = Transaction & { signatures: string[] };

export const operationsCountMax = 16;
export const signaturesCountMax = 8;
/** Bound on the extra-entropy retries until a signature is canonical (each try succeeds ~1/2). */
export const signAttemptsMax = 256;
const compactRecoveryOffset = 31;

/** ref_block_num (low 16 bits of the block number) and ref_block_prefix from a block id. */
export function refBlock(headBlockId: string): { ref_block_num: number; ref_block_prefix: number } {
  const id = fromHex(headBlockId, 'head block id', 20);
  if (id.length !== 20) throw new InvalidValueError('head block id', 'expected 40 hex characters');
  const view = new DataView(id.buffer, id.byteOffset, id.byteLength);
  return {
    ref_block_num: view.getUint32(0, false) & 0xffff,
    ref_block_prefix: view.getUint32(4, true),
  };
}

/** The signed bytes of a transaction (without chain id and signatures). */
export function serializeTransaction(profile: ChainProfile, tx: Transaction): Uint8Array {
  const record = checkTransaction(tx);
  const writer = new ByteWriter();
  writer.u16(record.ref_block_num as number, 'ref_block_num');
  writer.u32(record.ref_block_prefix as number, 'ref_block_prefix');
  writer.u32(parseExpiration(record.expiration), 'expiration');
  const operations = record.operations as unknown[];
  writer.varint32(operations.length, 'operations');
  for (const op of operations) serializeOperation(profile, op, writer);
  checkEmptyExtensions(record.extensions);
  writer.varint32(0, 'extensions');
  return writer.finish();
}

/** sha256(chainId || bytes): what the signatures sign. */
export function transactionDigest(profile: ChainProfile, tx: Transaction): Uint8Array {
  const chainId = fromHex(profile.chainId, 'chainId', 32);
  return sha256(concatBytes(chainId, serializeTransaction(profile, tx)));
}

/** Hex of the first 20 bytes of sha256(bytes). */
export function transactionId(profile: ChainProfile, tx: Transaction): string {
  return toHex(sha256(serializeTransaction(profile, tx)).subarray(0, 20));
}

/** Signs with every secret; signatures are canonical in Graphene's sense and low-S. */
export function signTransaction(
  profile: ChainProfile,
  tx: Transaction,
  secrets: readonly Uint8Array[],
): SignedTransaction {
  if (secrets.length === 0 || secrets.length > signaturesCountMax) {
    throw new InvalidValueError('signing keys', `expected 1 to ${signaturesCountMax} keys`);
  }
  const digest = transactionDigest(profile, tx);
  const signatures = secrets.map((secret) => toHex(signDigest(digest, secret)));
  return {
    ...tx,
    signatures: [...((tx as Partial<SignedTransaction>).signatures ?? []), ...signatures],
  };
}

/** One 65-byte compact signature `recid+31 || r || s`, retrying until canonical. */
export function signDigest(digest: Uint8Array, secret: Uint8Array): Uint8Array {
  if (!(secret instanceof Uint8Array) || !secp256k1.utils.isValidSecretKey(secret)) {
    throw new InvalidValueError('private key', 'expected a 32-byte secret inside the curve order');
  }
  for (let attempt = 0; attempt < signAttemptsMax; attempt++) {
    const extraEntropy = attempt === 0 ? false : sha256(concatBytes(digest, u32be(attempt)));
    const recovered = secp256k1.sign(digest, secret, {
      prehash: false,
      lowS: true,
      format: 'recovered',
      extraEntropy,
    });
    const compact = Uint8Array.from(recovered);
    compact[0] = (recovered[0] ?? 0) + compactRecoveryOffset;
    if (isCanonical(compact)) return compact;
  }
  throw new InvalidValueError('signature', 'no canonical signature found');
}

/** Graphene's rule: r and s are each 32 bytes with the top bit clear and no zero padding. */
export function isCanonical(c: Uint8Array): boolean {
  const at = (index: number): number => c[index] ?? 0;
  return (
    c.length === 65 &&
    !(at(1) & 0x80) &&
    !(at(1) === 0 && !(at(2) & 0x80)) &&
    !(at(33) & 0x80) &&
    !(at(33) === 0 && !(at(34) & 0x80))
  );
}

/** The public keys (with the profile's prefix) that signed the transaction. */
export function recoverSigners(profile: ChainProfile, tx: SignedTransaction): string[] {
  const signatures = (tx as { signatures?: unknown }).signatures;
  if (!Array.isArray(signatures) || signatures.length > signaturesCountMax) {
    throw new InvalidValueError('signatures', `expected at most ${signaturesCountMax} signatures`);
  }
  const digest = transactionDigest(profile, tx);
  return signatures.map((hex) => formatPublicKey(recoverKey(digest, hex), profile.prefix));
}

function recoverKey(digest: Uint8Array, hex: unknown): Uint8Array {
  const compact = fromHex(hex, 'signature', 65);
  const header = compact[0] ?? 0;
  if (compact.length !== 65 || header < 27 || header > 34 || !isCanonical(compact)) {
    throw new InvalidValueError('signature', 'expected a 65-byte canonical compact signature');
  }
  const recovered = Uint8Array.from(compact);
  recovered[0] = (header - 27) & 3;
  try {
    const key = secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
    if (!secp256k1.verify(compact.subarray(1), digest, key, { prehash: false, lowS: true })) {
      throw new Error('verification failed');
    }
    return key;
  } catch (cause) {
    throw new InvalidValueError('signature', 'does not verify', { cause });
  }
}

function checkTransaction(tx: unknown): Record<string, unknown> {
  if (typeof tx !== 'object' || tx === null || Array.isArray(tx)) {
    throw new InvalidValueError('transaction', 'expected an object');
  }
  const record = tx as Record<string, unknown>;
  const operations = record.operations;
  if (
    !Array.isArray(operations) ||
    operations.length === 0 ||
    operations.length > operationsCountMax
  ) {
    throw new InvalidValueError('operations', `expected 1 to ${operationsCountMax} operations`);
  }
  return record;
}

/** "2016-04-06T08:29:27" (UTC, as the nodes write it) to seconds since 1970. */
export function parseExpiration(value: unknown): number {
  const pattern = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$/;
  const ms =
    typeof value === 'string' && pattern.test(value) ? Date.parse(`${value}Z`) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== value) {
    throw new InvalidValueError('expiration', 'expected YYYY-MM-DDTHH:MM:SS (UTC)');
  }
  const seconds = ms / 1000;
  if (seconds < 0 || seconds > 0xffff_ffff) {
    throw new InvalidValueError('expiration', 'outside the 32-bit time range');
  }
  return seconds;
}

/** Seconds since 1970 to the node's time format. */
export function formatExpiration(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19);
}

/** The transaction as the node's JSON API takes it (BitShares operations use numeric ids). */
export function transactionJson(
  profile: ChainProfile,
  tx: Transaction | SignedTransaction,
): Record<string, unknown> {
  if (profile.family !== 'bitshares') return { ...tx };
  const operations = tx.operations.map(([name, body]) => [
    name === 'witness_update' ? profile.opIds.witnessUpdate : name,
    body,
  ]);
  return { ...tx, operations };
}

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}
