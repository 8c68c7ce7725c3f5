// The guard's keys: WIFs and key store names, checked against their public keys, never echoed.
import type { WitnessConfig } from '@cryptoassets/core';
import { validateConfig } from '@cryptoassets/core';
import { describe, expect, it } from 'vitest';
import { publicKeyOf, toWif } from '../graphene/index.js';
import { WitnessKeyError } from './errors.js';
import { resolveGuardKeys } from './keys.js';

const primary = new Uint8Array(32).fill(7);
const other = new Uint8Array(32).fill(8);

function config(
  signing: Array<{ public: string; private?: string }>,
  active?: string,
): WitnessConfig {
  return validateConfig({
    witnesses: {
      g: {
        chain: 'hive',
        account: 'alice',
        nodes: ['http://127.0.0.1:1'],
        signing_keys: signing,
        ...(active === undefined ? {} : { active_key: active }),
      },
    },
  }).witnesses.g!;
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('resolveGuardKeys', () => {
  it('reads WIFs and key store entries', async () => {
    const keys = await resolveGuardKeys({
      guard: 'g',
      config: config(
        [{ public: publicKeyOf(primary, 'STM'), private: toWif(primary) }],
        'keystore:act',
      ),
      prefix: 'STM',
      keystore: async (name) => (name === 'act' ? other : new Uint8Array(32)),
    });
    expect([...keys.signing.keys()]).toEqual([publicKeyOf(primary, 'STM')]);
    expect(Array.from(keys.active ?? [])).toEqual(Array.from(other));
    expect(String(keys.active)).toBe('[redacted]');
  });

  it('refuses a WIF that is not the configured public key, without echoing it', async () => {
    const wif = toWif(other);
    const error = await errorOf(
      resolveGuardKeys({
        guard: 'g',
        config: config([{ public: publicKeyOf(primary, 'STM'), private: wif }]),
        prefix: 'STM',
      }),
    );
    expect(error).toBeInstanceOf(WitnessKeyError);
    expect((error as Error).message).not.toContain(wif);
  });

  it('refuses a malformed WIF and a key store that is not there', async () => {
    const bad = await errorOf(
      resolveGuardKeys({
        guard: 'g',
        config: config([{ public: 'STM5xxxxxxxx', private: 'not-a-wif-at-all' }]),
        prefix: 'STM',
      }),
    );
    expect((bad as Error).message).toBe('g: signing_keys.0.private: not a valid WIF private key');
    const none = await errorOf(
      resolveGuardKeys({
        guard: 'g',
        config: config([{ public: 'STM5xxxxxxxx' }], 'keystore:act'),
        prefix: 'STM',
      }),
    );
    expect((none as Error).message).toContain('active_key: the key store is not available');
  });
});
