// Binary transaction codec (bounded, validated), txid, signature hash and coinbase helpers.
import { InvalidValueError } from '@cryptoassets/core';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  coinbaseDataBytesMax,
  minerTagBytesMax,
  moneyMinorMax,
  publicKeyBytes,
  signatureBytes,
  txBytesMax,
  txInputsMax,
  txOutputsMax,
} from '../consensus/params.js';
import { ByteReader, ByteWriter } from '../encoding/bytes.js';
import { hashToHex, hexToHash, sha256d, zeroHashHex } from '../encoding/hash.js';
import { addressFromHash, addressToHash } from './address.js';
import type { CoinbaseData, Transaction, TxInput, TxOutput } from './types.js';

export const coinbaseVout = 0xffff_ffff;
export const txVersion = 1;
const field = 'transaction';
const emptyBytes = new Uint8Array(0);

/** Serializes a transaction; with `withoutSignatures`, every signature is written empty. */
export function encodeTransaction(tx: Transaction, withoutSignatures = false): Uint8Array {
  const writer = new ByteWriter();
  writeTransaction(writer, tx, withoutSignatures);
  return writer.finish();
}

export function writeTransaction(writer: ByteWriter, tx: Transaction, withoutSignatures = false) {
  writer.u32(tx.version).varint(tx.inputs.length);
  for (const input of tx.inputs) {
    writer.bytes(hexToHash(input.prevTxid, 'prevTxid')).u32(input.vout);
    writer.varBytes(input.publicKey);
    writer.varBytes(withoutSignatures ? emptyBytes : input.signature);
  }
  writer.varint(tx.outputs.length);
  for (const output of tx.outputs) {
    writer.u64(output.amountMinor).bytes(addressToHash(output.address));
  }
}

/** Decodes one transaction; throws InvalidValueError on anything malformed or over the limits. */
export function decodeTransaction(bytes: Uint8Array): Transaction {
  if (!(bytes instanceof Uint8Array)) throw new InvalidValueError(field, 'expected bytes');
  if (bytes.length > txBytesMax) throw new InvalidValueError(field, 'too large');
  const reader = new ByteReader(bytes, field);
  const tx = readTransaction(reader);
  reader.end();
  return tx;
}

export function readTransaction(reader: ByteReader): Transaction {
  const start = reader.position;
  const version = reader.u32();
  const inputCount = reader.varint(txInputsMax, 'input');
  if (inputCount === 0) throw new InvalidValueError(field, 'no inputs');
  const inputs: TxInput[] = [];
  for (let i = 0; i < inputCount; i++) inputs.push(readInput(reader));
  const outputCount = reader.varint(txOutputsMax, 'output');
  if (outputCount === 0) throw new InvalidValueError(field, 'no outputs');
  const outputs: TxOutput[] = [];
  for (let i = 0; i < outputCount; i++) outputs.push(readOutput(reader));
  if (reader.position - start > txBytesMax) throw new InvalidValueError(field, 'too large');
  return { version, inputs, outputs };
}

function readInput(reader: ByteReader): TxInput {
  const prevTxid = hashToHex(reader.take(32));
  const vout = reader.u32();
  const publicKey = reader.varBytes(publicKeyBytes, 'public key');
  const signature = reader.varBytes(Math.max(signatureBytes, coinbaseDataBytesMax), 'signature');
  return { prevTxid, vout, publicKey, signature };
}

function readOutput(reader: ByteReader): TxOutput {
  const amountMinor = reader.u64();
  if (amountMinor > moneyMinorMax) throw new InvalidValueError(field, 'output amount too large');
  return { amountMinor, address: addressFromHash(reader.take(20)) };
}

const txidCache = new WeakMap<Transaction, string>();

/** Txid: SHA-256d of the full serialization, displayed hex (cached per transaction object). */
export function txid(tx: Transaction): string {
  let id = txidCache.get(tx);
  if (id === undefined) {
    id = hashToHex(sha256d(encodeTransaction(tx)));
    txidCache.set(tx, id);
  }
  return id;
}

/** What every input signs: SHA-256d of the transaction serialized with empty signatures. */
export function signatureHash(tx: Transaction): Uint8Array {
  return sha256d(encodeTransaction(tx, true));
}

/** The first SHA-256 of `signatureHash` (verifiers that hash once more themselves take this). */
export function signaturePreimageHash(tx: Transaction): Uint8Array {
  return sha256(encodeTransaction(tx, true));
}

export function isCoinbase(tx: Transaction): boolean {
  const input = tx.inputs[0];
  return (
    tx.inputs.length === 1 &&
    input !== undefined &&
    input.prevTxid === zeroHashHex &&
    input.vout === coinbaseVout
  );
}

export function makeCoinbase(options: {
  readonly height: number;
  readonly minerTag: string;
  readonly outputs: readonly TxOutput[];
}): Transaction {
  const tag = new TextEncoder().encode(options.minerTag);
  if (tag.length > minerTagBytesMax) {
    throw new InvalidValueError('minerTag', `longer than ${minerTagBytesMax} bytes`);
  }
  const data = new ByteWriter().u32(options.height).bytes(tag).finish();
  const input = {
    prevTxid: zeroHashHex,
    vout: coinbaseVout,
    publicKey: emptyBytes,
    signature: data,
  };
  return { version: txVersion, inputs: [input], outputs: [...options.outputs] };
}

/** Height and miner tag of a coinbase, or undefined when `tx` is not a well-formed coinbase. */
export function readCoinbase(tx: Transaction): CoinbaseData | undefined {
  if (!isCoinbase(tx)) return undefined;
  const data = tx.inputs[0]?.signature ?? emptyBytes;
  if (data.length < 4 || data.length > coinbaseDataBytesMax) return undefined;
  const height = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  let minerTag: string;
  try {
    minerTag = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(4));
  } catch {
    return undefined;
  }
  return { height, minerTag };
}
