import { InvalidValueError } from '@cryptoassets/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBlock } from '../block/codec.js';
import { encodeHeader } from '../block/header.js';
import { genesisBlock, genesisHash } from '../consensus/genesis.js';
import { bytesToHex } from '../encoding/hash.js';
import { defaultP2pLimits } from './limits.js';
import {
  blocksFromJson,
  decodeBlockBody,
  decodeTxBody,
  headersFromJson,
  headersToJson,
  helloFromJson,
  helloToJson,
  linkedHashes,
  parseCount,
  parseHashList,
  parseJsonText,
  peersFromJson,
} from './messages.js';

const limits = defaultP2pLimits;
/** Every peer-facing decoder either returns or throws InvalidValueError, never anything else. */
const refusesCleanly = (run: () => unknown): void => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidValueError);
  }
};

const hello = {
  version: 1,
  network: 'devnet',
  genesisHash: genesisHash(),
  url: 'http://127.0.0.1:5000',
  tip: { height: 3, hash: genesisHash(), chainWork: 123456789012345678901234567890n },
};

describe('p2p messages', () => {
  it('round-trips hello, headers and blocks', () => {
    expect(helloFromJson(JSON.parse(JSON.stringify(helloToJson(hello))))).toEqual(hello);
    const headers = headersToJson([genesisBlock.header]);
    expect(headersFromJson(headers, limits)).toEqual([genesisBlock.header]);
    const blocks = { blocks: [bytesToHex(encodeBlock(genesisBlock))] };
    expect(blocksFromJson(blocks, limits)).toEqual([genesisBlock]);
    expect(decodeBlockBody(encodeBlock(genesisBlock))).toEqual(genesisBlock);
  });

  it('refuses envelopes with extra, missing or oversized fields', () => {
    expect(() => helloFromJson({ ...helloToJson(hello), extra: 1 })).toThrow(InvalidValueError);
    expect(() => helloFromJson({ ...helloToJson(hello), tip: {} })).toThrow(InvalidValueError);
    expect(() =>
      helloFromJson({
        ...helloToJson(hello),
        tip: { ...helloToJson(hello).tip, chainWork: '1e5' },
      }),
    ).toThrow(/hello\.tip\.chainWork/);
    const tooMany = Array.from(
      { length: limits.peersMax + 1 },
      (_, i) => `http://127.0.0.1:${i + 1}`,
    );
    expect(() => peersFromJson({ peers: tooMany }, limits)).toThrow(InvalidValueError);
    const header = bytesToHex(encodeHeader(genesisBlock.header));
    const headers = Array.from({ length: limits.headersPerRequestMax + 1 }, () => header);
    expect(() => headersFromJson({ headers }, limits)).toThrow(InvalidValueError);
    expect(() => headersFromJson({ headers: [`${header}00`] }, limits)).toThrow(InvalidValueError);
    expect(() => parseJsonText('{"a":', 'body')).toThrow(InvalidValueError);
  });

  it('parses bounded hash lists and counts', () => {
    const hash = genesisHash();
    expect(parseHashList(`${hash},${hash}`, 2, 'hashes')).toEqual([hash]);
    expect(parseHashList(null, 2, 'hashes')).toEqual([]);
    expect(() => parseHashList(`${hash},${hash},${hash}`, 2, 'hashes')).toThrow(InvalidValueError);
    expect(() => parseHashList(hash.toUpperCase(), 2, 'hashes')).toThrow(InvalidValueError);
    expect(parseCount('10', { fallback: 1, max: 20, field: 'limit' })).toBe(10);
    expect(parseCount(null, { fallback: 1, max: 20, field: 'limit' })).toBe(1);
    expect(() => parseCount('21', { fallback: 1, max: 20, field: 'limit' })).toThrow(/limit/);
    expect(() => parseCount('-1', { fallback: 1, max: 20, field: 'limit' })).toThrow(/limit/);
  });

  it('checks that headers link', () => {
    const next = { ...genesisBlock.header, prevHash: genesisHash(), nonce: 7 };
    expect(linkedHashes([genesisBlock.header, next])).toHaveLength(2);
    expect(() => linkedHashes([genesisBlock.header, genesisBlock.header])).toThrow(
      InvalidValueError,
    );
  });

  it('fuzz: JSON decoders refuse arbitrary values cleanly', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        refusesCleanly(() => helloFromJson(value));
        refusesCleanly(() => peersFromJson(value, limits));
        refusesCleanly(() => headersFromJson(value, limits));
        refusesCleanly(() => blocksFromJson(value, limits));
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: envelope-shaped values with random contents are refused cleanly', () => {
    const hexish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefg'), maxLength: 400 });
    fc.assert(
      fc.property(fc.array(hexish, { maxLength: 5 }), (items) => {
        refusesCleanly(() => headersFromJson({ headers: items }, limits));
        refusesCleanly(() => blocksFromJson({ blocks: items }, limits));
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: binary decoders refuse random and mutated bytes cleanly', () => {
    const valid = encodeBlock(genesisBlock);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(valid.length - 1),
        fc.integer({ min: 0, max: 255 }),
        (random, position, byte) => {
          refusesCleanly(() => decodeBlockBody(random));
          refusesCleanly(() => decodeTxBody(random));
          const mutated = valid.slice();
          mutated[position] = byte;
          refusesCleanly(() => decodeBlockBody(mutated));
          refusesCleanly(() => decodeBlockBody(valid.subarray(0, position)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fuzz: query parsers refuse arbitrary text cleanly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        refusesCleanly(() => parseHashList(text, 4, 'hashes'));
        refusesCleanly(() => parseCount(text, { fallback: 0, max: 100, field: 'limit' }));
        refusesCleanly(() => parseJsonText(text, 'body'));
      }),
      { numRuns: 500 },
    );
  });
});
