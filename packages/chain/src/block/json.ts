// The tutorial's human-readable block view (index, timestamp, data, prevhash, nonce, hash) plus
// header fields and transactions, and its validated parser.
import { InvalidValueError } from '@cryptoassets/core';
import { blockBytesMax, blockTransactionsMax } from '../consensus/params.js';
import { hexToHash } from '../encoding/hash.js';
import { asArray, asObject, asString, asU32, type JsonObject } from '../encoding/json-fields.js';
import { readCoinbase } from '../tx/codec.js';
import { type TransactionJson, transactionFromJson, transactionToJson } from '../tx/json.js';
import { blockHash, encodeBlock } from './codec.js';
import { headerHash } from './header.js';
import type { Block, BlockHeader } from './types.js';

export type BlockHeaderJson = {
  hash: string;
  version: number;
  prevhash: string;
  merkleroot: string;
  timestamp: number;
  /** Compact target as a number (Bitcoin nBits). */
  bits: number;
  nonce: number;
};

export type BlockJson = BlockHeaderJson & {
  /** Height, from the coinbase. */
  index: number;
  /** Which node mined it (the coinbase's miner tag). */
  data: string;
  transactions: TransactionJson[];
};

export function headerToJson(header: BlockHeader): BlockHeaderJson {
  return {
    hash: headerHash(header),
    version: header.version,
    prevhash: header.prevHash,
    merkleroot: header.merkleRoot,
    timestamp: header.time,
    bits: header.bits,
    nonce: header.nonce,
  };
}

export function headerFromJson(value: unknown, field = 'header'): BlockHeader {
  return headerFields(asObject(value, field), field);
}

function headerFields(json: JsonObject, field: string): BlockHeader {
  const header: BlockHeader = {
    version: asU32(json.version, `${field}.version`),
    prevHash: hashField(json.prevhash, `${field}.prevhash`),
    merkleRoot: hashField(json.merkleroot, `${field}.merkleroot`),
    time: asU32(json.timestamp, `${field}.timestamp`),
    bits: asU32(json.bits, `${field}.bits`),
    nonce: asU32(json.nonce, `${field}.nonce`),
  };
  if (json.hash !== undefined && json.hash !== headerHash(header)) {
    throw new InvalidValueError(`${field}.hash`, 'does not match the header');
  }
  return header;
}

function hashField(value: unknown, field: string): string {
  const text = asString(value, field, 64);
  hexToHash(text, field);
  return text;
}

export function blockToJson(block: Block): BlockJson {
  const coinbase = block.transactions[0] ? readCoinbase(block.transactions[0]) : undefined;
  return {
    index: coinbase?.height ?? -1,
    timestamp: block.header.time,
    data: coinbase?.minerTag ?? '',
    prevhash: block.header.prevHash,
    nonce: block.header.nonce,
    hash: blockHash(block),
    version: block.header.version,
    merkleroot: block.header.merkleRoot,
    bits: block.header.bits,
    transactions: block.transactions.map(transactionToJson),
  };
}

/** Parses the JSON view; throws InvalidValueError on anything malformed or over the limits. */
export function blockFromJson(value: unknown, field = 'block'): Block {
  const json = asObject(value, field);
  const header = headerFields(json, field);
  const transactions = asArray(
    json.transactions,
    `${field}.transactions`,
    blockTransactionsMax,
  ).map((tx, i) => transactionFromJson(tx, `${field}.transactions[${i}]`));
  if (transactions.length === 0) throw new InvalidValueError(field, 'no transactions');
  const block: Block = { header, transactions };
  if (encodeBlock(block).length > blockBytesMax) throw new InvalidValueError(field, 'too large');
  if (json.index !== undefined) {
    const coinbase = transactions[0] ? readCoinbase(transactions[0]) : undefined;
    if (coinbase?.height !== json.index) {
      throw new InvalidValueError(`${field}.index`, 'does not match the coinbase height');
    }
  }
  return block;
}
