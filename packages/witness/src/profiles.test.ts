// Chain profiles: built-in constants and validation of custom profiles.
import { InvalidValueError } from '@cryptoassets/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainProfiles, customProfile } from './profiles.js';

describe('built-in profiles', () => {
  it('carry the op ids of each chain', () => {
    expect(chainProfiles.bitshares.opIds).toEqual({
      witnessUpdate: 21,
      witnessSetProperties: null,
    });
    expect(chainProfiles.hive.opIds).toEqual({ witnessUpdate: 11, witnessSetProperties: 42 });
    expect(chainProfiles.steem.opIds).toEqual({ witnessUpdate: 11, witnessSetProperties: 42 });
    expect(chainProfiles.blurt.opIds).toEqual({ witnessUpdate: 7, witnessSetProperties: 33 });
  });

  it('have 64-hex chain ids and the Blurt id is sha256 of the packed name', async () => {
    for (const profile of Object.values(chainProfiles)) {
      expect(profile.chainId).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.isFrozen(profile)).toBe(true);
    }
    const { createHash } = await import('node:crypto');
    const packed = Buffer.concat([Buffer.of(5), Buffer.from('blurt')]);
    expect(createHash('sha256').update(packed).digest('hex')).toBe(chainProfiles.blurt.chainId);
  });

  it('Hive serializes HIVE as STEEM', () => {
    expect(chainProfiles.hive.coreSymbol).toBe('HIVE');
    expect(chainProfiles.hive.wireSymbol).toBe('STEEM');
  });
});

describe('customProfile', () => {
  const testnet = {
    name: 'hive-testnet',
    family: 'steem' as const,
    prefix: 'TST',
    chainId: '18DCF0A285365FC58B71F18B3D3FEC954AA0C141C44E4E5CB4CF777B9EAB274E',
    coreSymbol: 'TESTS',
  };

  it('fills family defaults and normalises the chain id', () => {
    const profile = customProfile(testnet);
    expect(profile).toMatchObject({
      name: 'hive-testnet',
      family: 'steem',
      prefix: 'TST',
      chainId: testnet.chainId.toLowerCase(),
      coreSymbol: 'TESTS',
      wireSymbol: 'TESTS',
      precision: 3,
      opIds: { witnessUpdate: 11, witnessSetProperties: 42 },
      legacyProps: 'steem',
      blockIntervalS: 3,
    });
    expect(
      customProfile({
        family: 'bitshares',
        prefix: 'TEST',
        chainId: '0'.repeat(64),
        coreSymbol: '1.3.0',
      }),
    ).toMatchObject({
      name: 'custom',
      opIds: { witnessUpdate: 21, witnessSetProperties: null },
      legacyProps: 'none',
    });
  });

  it('rejects bad fields, naming them', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ prefix: 'tst' }, 'prefix'],
      [{ chainId: 'abc' }, 'chainId'],
      [{ coreSymbol: 'tests' }, 'coreSymbol'],
      [{ family: 'eos' }, 'family'],
      [{ precision: 19 }, 'precision'],
      [{ opIds: { witnessUpdate: -1, witnessSetProperties: null } }, 'opIds.witnessUpdate'],
      [{ legacyProps: 'none' }, 'legacyProps'],
      [{ blockIntervalS: 0 }, 'blockIntervalS'],
      [{ name: 'Has Space' }, 'name'],
    ];
    for (const [change, field] of cases) {
      try {
        customProfile({ ...testnet, ...change } as Parameters<typeof customProfile>[0]);
        expect.unreachable(field);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidValueError);
        expect((error as InvalidValueError).field).toBe(field);
      }
    }
  });

  it('random field values throw only InvalidValueError', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...Object.keys(testnet), 'precision', 'opIds'),
          fc.jsonValue(),
        ),
        (change) => {
          try {
            customProfile({ ...testnet, ...change } as Parameters<typeof customProfile>[0]);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidValueError);
          }
        },
      ),
    );
  });
});
