// The guard's private keys: read from the configuration (a WIF from the environment) or from the
// encrypted key store, checked against their public keys, and kept only as bytes in memory.
import type { WitnessConfig } from '@cryptoassets/core';
import { parseWif, publicKeyOf } from '../graphene/index.js';
import { Secret } from '../keystore/secret.js';
import { WitnessKeyError } from './errors.js';

/** Reads a secret from the key store by name; throws when it is locked or absent. */
export type KeystoreReader = (name: string) => Promise<Uint8Array>;

export type GuardKeys = {
  /** Private signing keys by public key (only those configured with `private`). */
  readonly signing: ReadonlyMap<string, Uint8Array>;
  /** The account's active key, for witness_update; undefined when not configured. */
  readonly active: Uint8Array | undefined;
};

const keystorePrefix = 'keystore:';

async function readSecret(options: {
  readonly guard: string;
  readonly field: string;
  readonly reference: string;
  readonly keystore: KeystoreReader | undefined;
}): Promise<Uint8Array> {
  const { guard, field, reference, keystore } = options;
  if (reference.startsWith(keystorePrefix)) {
    const name = reference.slice(keystorePrefix.length);
    if (keystore === undefined)
      throw new WitnessKeyError(guard, `${field}: the key store is not available to read ${name}`);
    try {
      return Secret.copyOf(await keystore(name));
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : 'unreadable';
      throw new WitnessKeyError(
        guard,
        `${field}: cannot read ${name} from the key store: ${reason}`,
        {
          cause: error,
        },
      );
    }
  }
  try {
    return Secret.copyOf(parseWif(reference));
  } catch (error) {
    throw new WitnessKeyError(guard, `${field}: not a valid WIF private key`, { cause: error });
  }
}

/** Reads every configured key; a private signing key must match its public key. */
export async function resolveGuardKeys(options: {
  readonly guard: string;
  readonly config: WitnessConfig;
  readonly prefix: string;
  readonly keystore?: KeystoreReader | undefined;
}): Promise<GuardKeys> {
  const { guard, config, prefix, keystore } = options;
  const signing = new Map<string, Uint8Array>();
  for (const [index, key] of config.signing_keys.entries()) {
    if (key.private === undefined) continue;
    const field = `signing_keys.${index}.private`;
    const secret = await readSecret({ guard, field, reference: key.private, keystore });
    if (publicKeyOf(secret, prefix) !== key.public)
      throw new WitnessKeyError(
        guard,
        `${field} does not belong to ${key.public} (wrong key, or a key of another chain)`,
      );
    signing.set(key.public, secret);
  }
  const active =
    config.active_key === undefined
      ? undefined
      : await readSecret({ guard, field: 'active_key', reference: config.active_key, keystore });
  return { signing, active };
}
