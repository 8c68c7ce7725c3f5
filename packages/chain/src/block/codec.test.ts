// Block codec: round trips, limits, and fuzzing (arbitrary or mutated bytes only ever raise
// InvalidValueError).
import { InvalidValueError } from '@cryptoassets/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { genesisBlock } from '../consensus/genesis.js';
import { blockBytesMax, blockTransactionsMax } from '../consensus/params.js';
import { ByteWriter } from '../encoding/bytes.js';
import { addressFromHash } from '../tx/address.js';
import { makeCoinbase } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';
import { blockHash, decodeBlock, encodeBlock, headerFor } from './codec.js';
import { encodeHeader } from './header.js';
import type { Block } from './types.js';

const payee = addressFromHash(new Uint8Array(20).fill(9));

function sampleBlock(extra: readonly Transaction[] = []): Block {
  const coinbase = makeCoinbase({
    height: 5,
    minerTag: 'node-a',
    outputs: [{ amountMinor: 50_0000_0000n, address: payee }],
  });
  const transactions = [coinbase, ...extra];
  const header = headerFor(
    { version: 1, prevHash: 'ab'.repeat(32), time: 1_740_000_000, bits: 0x207fffff, nonce: 7 },
    transactions,
  );
  return { header, transactions };
}

const spendTx: Transaction = {
  version: 1,
  inputs: [
    {
      prevTxid: '12'.repeat(32),
      vout: 3,
      publicKey: new Uint8Array(33).fill(2),
      signature: new Uint8Array(64).fill(5),
    },
  ],
  outputs: [
    { amountMinor: 1n, address: payee },
    { amountMinor: 2_0000_0000n, address: addressFromHash(new Uint8Array(20).fill(3)) },
  ],
};

function expectOnlyInvalidValue(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidValueError);
  }
}

describe('encodeBlock / decodeBlock', () => {
  it('round-trips the genesis block and a block with a spend', () => {
    expect(decodeBlock(encodeBlock(genesisBlock))).toEqual(genesisBlock);
    const block = sampleBlock([spendTx]);
    const decoded = decodeBlock(encodeBlock(block));
    expect(decoded).toEqual(block);
    expect(blockHash(decoded)).toBe(blockHash(block));
  });

  it('starts with the 80-byte header', () => {
    const block = sampleBlock();
    expect(encodeBlock(block).subarray(0, 80)).toEqual(encodeHeader(block.header));
  });

  it('refuses trailing bytes, truncation, no transactions and too many', () => {
    const bytes = encodeBlock(sampleBlock([spendTx]));
    expect(() => decodeBlock(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    expect(() => decodeBlock(bytes.subarray(0, bytes.length - 1))).toThrow(InvalidValueError);
    const header = encodeHeader(sampleBlock().header);
    expect(() => decodeBlock(new ByteWriter().bytes(header).varint(0).finish())).toThrow(
      /no transactions/,
    );
    const tooMany = new ByteWriter()
      .bytes(header)
      .varint(blockTransactionsMax + 1)
      .finish();
    expect(() => decodeBlock(tooMany)).toThrow(/exceeds/);
    expect(() => decodeBlock(new Uint8Array(blockBytesMax + 1))).toThrow(/too large/);
  });

  it('refuses non-canonical varints', () => {
    const header = encodeHeader(sampleBlock().header);
    const padded = new ByteWriter().bytes(header).u8(0xfd).u8(1).u8(0).finish();
    expect(() => decodeBlock(padded)).toThrow(/non-canonical/);
  });

  it('fuzz: arbitrary bytes raise only InvalidValueError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (bytes) => {
        expectOnlyInvalidValue(() => decodeBlock(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: mutated valid blocks raise only InvalidValueError or decode to a block', () => {
    const valid = encodeBlock(sampleBlock([spendTx, spendTx]));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat(valid.length),
        (edits, cut) => {
          const bytes = valid.slice(0, Math.max(cut, 81));
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          try {
            const block = decodeBlock(bytes);
            expect(encodeBlock(block)).toEqual(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidValueError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fuzz: huge declared counts and lengths never allocate beyond the input', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0xfd, max: 0xffffffff }), (count) => {
        const header = encodeHeader(sampleBlock().header);
        const bytes = new ByteWriter().bytes(header).varint(1).u32(1).varint(count).finish();
        expect(() => decodeBlock(bytes)).toThrow(InvalidValueError);
      }),
      { numRuns: 200 },
    );
  });
});
