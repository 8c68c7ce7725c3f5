// Operation builders and serializers: witness_update for both families, set_properties,
// authorities, and fuzzing of operation JSON.
import { InvalidValueError } from '@cryptoassets/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainProfiles } from '../profiles.js';
import { ByteWriter, toHex } from './bytes.js';
import { nullPublicKey, parsePublicKey } from './keys.js';
import {
  type Operation,
  requiredSigners,
  type SteemWitness,
  serializeOperation,
  setPropertiesOp,
  witnessUpdateOp,
} from './operations.js';

const keyA = 'STM6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV';
const keyB = 'STM6zLNtyFVToBsBZDsgMhgjpwysYVbsQD6YhP3kRkQhANUB4w7Qp';
const hiveWitness: SteemWitness = {
  owner: 'alice',
  url: 'https://alice.example',
  signing_key: keyA,
  props: {
    account_creation_fee: '3.000 HIVE',
    maximum_block_size: 65536,
    hbd_interest_rate: 1500,
    account_subsidy_budget: 797,
    account_subsidy_decay: 347321,
  },
};

const bytesOf = (profile: (typeof chainProfiles)[keyof typeof chainProfiles], op: unknown) => {
  const writer = new ByteWriter();
  serializeOperation(profile, op, writer);
  return toHex(writer.finish());
};

describe('witnessUpdateOp', () => {
  it('re-sends url and the legacy props read from chain, with a zero fee (Hive)', () => {
    const op = witnessUpdateOp(chainProfiles.hive, hiveWitness, keyB);
    expect(op).toEqual([
      'witness_update',
      {
        owner: 'alice',
        url: 'https://alice.example',
        block_signing_key: keyB,
        props: {
          account_creation_fee: '3.000 HIVE',
          maximum_block_size: 65536,
          hbd_interest_rate: 1500,
        },
        fee: '0.000 HIVE',
      },
    ]);
  });

  it('drops the interest rate for Blurt and VIT and uses their op ids', () => {
    const blurtWitness = {
      ...hiveWitness,
      props: { ...hiveWitness.props, account_creation_fee: '1.000 BLURT' },
    };
    const blurtKey = `BLT${keyB.slice(3)}`;
    const op = witnessUpdateOp(chainProfiles.blurt, blurtWitness, blurtKey);
    expect(op[1].props).toEqual({ account_creation_fee: '1.000 BLURT', maximum_block_size: 65536 });
    expect(op[1].fee).toBe('0.000 BLURT');
    expect(bytesOf(chainProfiles.blurt, op).slice(0, 2)).toBe('07');
    const vitOp = witnessUpdateOp(
      chainProfiles.vit,
      { ...blurtWitness, props: { account_creation_fee: '0.100 VIT', maximum_block_size: 131072 } },
      `VIT${keyB.slice(3)}`,
    );
    expect(bytesOf(chainProfiles.vit, vitOp).slice(0, 2)).toBe('0b');
  });

  it('accepts the null key to disable the witness', () => {
    const op = witnessUpdateOp(chainProfiles.hive, hiveWitness, nullPublicKey('STM'));
    expect(bytesOf(chainProfiles.hive, op)).toContain('00'.repeat(33));
  });

  it('refuses a key with another chain prefix', () => {
    expect(() => witnessUpdateOp(chainProfiles.hive, hiveWitness, `BTS${keyB.slice(3)}`)).toThrow(
      InvalidValueError,
    );
  });

  it('BitShares sends only the new key with the given fee', () => {
    const witness = { id: '1.6.63', witness_account: '1.2.212', url: 'u', signing_key: 'BTS1' };
    const op = witnessUpdateOp(chainProfiles.bitshares, witness, `BTS${keyB.slice(3)}`, {
      amount: 2_000_000n,
      asset_id: '1.3.0',
    });
    expect(op).toEqual([
      'witness_update',
      {
        fee: { amount: 2000000, asset_id: '1.3.0' },
        witness: '1.6.63',
        witness_account: '1.2.212',
        new_signing_key: `BTS${keyB.slice(3)}`,
      },
    ]);
    expect(bytesOf(chainProfiles.bitshares, op)).toMatch(/^15.{16}00.{2}d40100/);
    expect(requiredSigners(chainProfiles.bitshares, op)).toBe('active');
  });

  it('refuses a negative fee and an empty url', () => {
    const witness = { id: '1.6.63', witness_account: '1.2.212', url: 'u', signing_key: 'BTS1' };
    expect(() =>
      witnessUpdateOp(chainProfiles.bitshares, witness, `BTS${keyB.slice(3)}`, {
        amount: -1,
        asset_id: '1.3.0',
      }),
    ).toThrow(/fee.amount/);
    expect(() => witnessUpdateOp(chainProfiles.hive, { ...hiveWitness, url: '' }, keyB)).toThrow(
      /^url/,
    );
  });
});

describe('setPropertiesOp', () => {
  it('packs key and new_signing_key in byte order and needs the current key', () => {
    const op = setPropertiesOp(chainProfiles.hive, {
      owner: 'alice',
      currentKey: keyA,
      newKey: keyB,
    });
    expect(op).toEqual([
      'witness_set_properties',
      {
        owner: 'alice',
        props: [
          ['key', toHex(parsePublicKey(keyA, 'STM'))],
          ['new_signing_key', toHex(parsePublicKey(keyB, 'STM'))],
        ],
        extensions: [],
      },
    ]);
    expect(requiredSigners(chainProfiles.hive, op)).toEqual({ key: keyA });
    expect(bytesOf(chainProfiles.hive, op).slice(0, 2)).toBe('2a');
    expect(
      bytesOf(
        chainProfiles.blurt,
        setPropertiesOp(chainProfiles.blurt, {
          owner: 'alice',
          currentKey: `BLT${keyA.slice(3)}`,
          newKey: `BLT${keyB.slice(3)}`,
        }),
      ).slice(0, 2),
    ).toBe('21');
  });

  it('is refused once the witness is disabled with the null key', () => {
    expect(() =>
      setPropertiesOp(chainProfiles.hive, {
        owner: 'alice',
        currentKey: nullPublicKey('STM'),
        newKey: keyB,
      }),
    ).toThrow(/active key/);
  });

  it('is refused on chains without witness_set_properties', () => {
    expect(() =>
      setPropertiesOp(chainProfiles.vit, {
        owner: 'alice',
        currentKey: `VIT${keyA.slice(3)}`,
        newKey: `VIT${keyB.slice(3)}`,
      }),
    ).toThrow(/witness_set_properties/);
  });

  it('refuses unsorted or duplicate props when serializing', () => {
    const [name, body] = setPropertiesOp(chainProfiles.hive, {
      owner: 'alice',
      currentKey: keyA,
      newKey: keyB,
    });
    const props = body.props as Array<[string, string]>;
    const reversed: Operation = [name, { ...body, props: [...props].reverse() }];
    expect(() => bytesOf(chainProfiles.hive, reversed)).toThrow(/byte order/);
    const duplicated: Operation = [name, { ...body, props: [props[0], props[0]] }];
    expect(() => bytesOf(chainProfiles.hive, duplicated)).toThrow(/unique/);
  });
});

describe('operation JSON fuzzing', () => {
  const jsonArb = fc.jsonValue({ maxDepth: 3 });
  const opArb = fc.oneof(
    fc.tuple(
      fc.constantFrom('witness_update', 'witness_set_properties', 'vote', 'x', 21, 42),
      jsonArb,
    ),
    jsonArb,
  );
  const mutatedArb = fc.record(
    {
      owner: fc.oneof(fc.string({ maxLength: 20 }), jsonArb),
      url: fc.oneof(fc.string({ maxLength: 20 }), jsonArb),
      block_signing_key: fc.oneof(fc.constant(keyB), fc.string()),
      props: fc.oneof(fc.constant(hiveWitness.props), jsonArb),
      fee: fc.oneof(fc.constant('0.000 HIVE'), fc.string()),
    },
    { requiredKeys: [] },
  );

  for (const profile of Object.values(chainProfiles)) {
    it(`${profile.name}: random operations throw only InvalidValueError`, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            opArb,
            mutatedArb.map((body) => ['witness_update', body]),
          ),
          (op) => {
            try {
              bytesOf(profile, op);
            } catch (error) {
              expect(error).toBeInstanceOf(InvalidValueError);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});
