// The tutorial's JSON view: round trips, checks of hash/index/txid, and fuzzing of the parser.
import { InvalidValueError } from '@cryptoassets/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { genesisBlock, genesisHashHex } from '../consensus/genesis.js';
import { transactionFromJson, transactionToJson } from '../tx/json.js';
import { blockFromJson, blockToJson, headerFromJson, headerToJson } from './json.js';

const genesisJson = (): Record<string, unknown> =>
  JSON.parse(JSON.stringify(blockToJson(genesisBlock)));

function expectOnlyInvalidValue(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidValueError);
  }
}

describe('block JSON', () => {
  it("has the tutorial's fields and round-trips through JSON text", () => {
    const json = blockToJson(genesisBlock);
    expect(json).toMatchObject({
      index: 0,
      data: 'devnet genesis',
      hash: genesisHashHex,
      prevhash: '0'.repeat(64),
      nonce: genesisBlock.header.nonce,
      timestamp: genesisBlock.header.time,
    });
    expect(json.transactions[0]?.outputs[0]?.amount).toBe('50.00000000');
    expect(blockFromJson(JSON.parse(JSON.stringify(json)))).toEqual(genesisBlock);
    expect(headerFromJson(headerToJson(genesisBlock.header))).toEqual(genesisBlock.header);
  });

  it('refuses a wrong hash, index or txid', () => {
    expect(() => blockFromJson({ ...genesisJson(), hash: 'ff'.repeat(32) })).toThrow(/hash/);
    expect(() => blockFromJson({ ...genesisJson(), index: 3 })).toThrow(/index/);
    const tx = transactionToJson(genesisBlock.transactions[0] ?? ({} as never));
    expect(() => transactionFromJson({ ...tx, txid: '00'.repeat(32) })).toThrow(/txid/);
    expect(() =>
      transactionFromJson({ ...tx, outputs: [{ amount: '1e3', address: 'x' }] }),
    ).toThrow(InvalidValueError);
  });

  it('fuzz: arbitrary JSON raises only InvalidValueError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expectOnlyInvalidValue(() => blockFromJson(value));
        expectOnlyInvalidValue(() => transactionFromJson(value));
        expectOnlyInvalidValue(() => headerFromJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: the genesis view with one field replaced raises only InvalidValueError', () => {
    const keys = Object.keys(genesisJson());
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), (key, value) => {
        expectOnlyInvalidValue(() => blockFromJson({ ...genesisJson(), [key]: value }));
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: transaction views with replaced input and output fields', () => {
    const base = transactionToJson(genesisBlock.transactions[0] ?? ({} as never));
    fc.assert(
      fc.property(
        fc.constantFrom('prevTxid', 'vout', 'publicKey', 'signature', 'amount', 'address'),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 200 })),
        (key, value) => {
          const json = JSON.parse(JSON.stringify(base));
          if (key === 'amount' || key === 'address') json.outputs[0][key] = value;
          else json.inputs[0][key] = value;
          delete json.txid;
          expectOnlyInvalidValue(() => transactionFromJson(json));
        },
      ),
      { numRuns: 500 },
    );
  });
});
