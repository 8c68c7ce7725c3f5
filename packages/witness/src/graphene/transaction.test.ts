// Transactions: reference block, expiration, bounds, signing and recovery, fuzzing.
import { InvalidValueError } from '@cryptoassets/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainProfiles } from '../profiles.js';
import { parseWif, publicKeyOf } from './keys.js';
import { setPropertiesOp } from './operations.js';
import {
  formatExpiration,
  isCanonical,
  parseExpiration,
  recoverSigners,
  refBlock,
  serializeTransaction,
  signDigest,
  signTransaction,
  type Transaction,
  transactionJson,
} from './transaction.js';

const wif = '5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3';
const keyA = 'STM6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV';
const keyB = 'STM6zLNtyFVToBsBZDsgMhgjpwysYVbsQD6YhP3kRkQhANUB4w7Qp';
const hive = chainProfiles.hive;
const baseTx = (): Transaction => ({
  ref_block_num: 1,
  ref_block_prefix: 2,
  expiration: '2026-01-01T00:00:00',
  operations: [setPropertiesOp(hive, { owner: 'alice', currentKey: keyA, newKey: keyB })],
  extensions: [],
});

describe('refBlock', () => {
  it('takes the low 16 bits of the block number and the next 4 bytes little-endian', () => {
    expect(refBlock('0001e2405d6a5f7a8f1a5fb0c1d2e3f4a5b6c7d8')).toEqual({
      ref_block_num: 0xe240,
      ref_block_prefix: 0x7a5f6a5d,
    });
  });

  it('rejects ids that are not 20 bytes of hex', () => {
    for (const bad of ['', '00', 'zz'.repeat(20), '00'.repeat(21)]) {
      expect(() => refBlock(bad)).toThrow(InvalidValueError);
    }
  });
});

describe('expiration', () => {
  it('round trips the node time format', () => {
    expect(parseExpiration('2016-04-06T08:29:27')).toBe(1459931367);
    expect(formatExpiration(1459931367)).toBe('2016-04-06T08:29:27');
  });

  it('rejects impossible dates, zones and out-of-range times', () => {
    for (const bad of [
      '2016-02-30T00:00:00',
      '2016-04-06T08:29:27Z',
      '2016-04-06',
      '2200-01-01T00:00:00',
      5,
    ]) {
      expect(() => parseExpiration(bad)).toThrow(/expiration/);
    }
  });
});

describe('transaction bounds', () => {
  it('refuses no operations, more than 16, and non-empty extensions', () => {
    const tx = baseTx();
    expect(() => serializeTransaction(hive, { ...tx, operations: [] })).toThrow(/operations/);
    const many = Array.from({ length: 17 }, () => tx.operations[0]!);
    expect(() => serializeTransaction(hive, { ...tx, operations: many })).toThrow(/operations/);
    expect(() => serializeTransaction(hive, { ...tx, extensions: [1] })).toThrow(/extensions/);
  });

  it('random transaction JSON throws only InvalidValueError', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            ref_block_num: fc.oneof(fc.integer(), fc.double(), fc.string()),
            ref_block_prefix: fc.oneof(fc.integer(), fc.jsonValue()),
            expiration: fc.oneof(
              fc.string(),
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 19)),
            ),
            operations: fc.oneof(
              fc.constant(baseTx().operations),
              fc.array(fc.jsonValue(), { maxLength: 3 }),
            ),
            extensions: fc.oneof(fc.constant([]), fc.jsonValue()),
          },
          { requiredKeys: [] },
        ),
        (tx) => {
          try {
            serializeTransaction(hive, tx as unknown as Transaction);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidValueError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('signing', () => {
  it('signatures are canonical and recover the signer, for several keys at once', () => {
    const secretA = parseWif(wif);
    const secretB = new Uint8Array(32).fill(7);
    const signed = signTransaction(hive, baseTx(), [secretA, secretB]);
    expect(recoverSigners(hive, signed)).toEqual([keyA, publicKeyOf(secretB, 'STM')]);
  });

  it('finds canonical signatures for many digests', () => {
    const secret = parseWif(wif);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
        const signature = signDigest(digest, secret);
        expect(isCanonical(signature)).toBe(true);
        expect([31, 32, 33, 34]).toContain(signature[0]);
      }),
      { numRuns: 50 },
    );
  });

  it('a tampered or malformed signature fails recovery with InvalidValueError', () => {
    const signed = signTransaction(hive, baseTx(), [parseWif(wif)]);
    const signature = signed.signatures[0]!;
    const bad = ['', 'zz', `${signature}00`, `00${signature.slice(2)}`, `1f${'00'.repeat(64)}`];
    for (const value of bad) {
      expect(() => recoverSigners(hive, { ...signed, signatures: [value] })).toThrow(
        InvalidValueError,
      );
    }
  });

  it('random signature strings throw only InvalidValueError', () => {
    const tx = baseTx();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f]{130}$/)), (signature) => {
        try {
          recoverSigners(hive, { ...tx, signatures: [signature] });
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidValueError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses no keys and bad secrets without echoing them', () => {
    expect(() => signTransaction(hive, baseTx(), [])).toThrow(InvalidValueError);
    expect(() => signTransaction(hive, baseTx(), [new Uint8Array(32)])).toThrow(/private key/);
  });
});

describe('transactionJson', () => {
  it('uses numeric op ids for BitShares and names for the Steem family', () => {
    const tx = { ...baseTx(), operations: [['witness_update', {}] as const] };
    expect(transactionJson(chainProfiles.bitshares, tx).operations).toEqual([[21, {}]]);
    expect(transactionJson(hive, tx).operations).toEqual([['witness_update', {}]]);
  });
});
