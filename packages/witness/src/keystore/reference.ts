// Resolves a private key reference from the configuration: `keystore:NAME`, `env:VAR` or a
// literal WIF. The result is a redacting Secret; errors never contain the key.
import { InvalidValueError } from '@cryptoassets/core';
import { parseWif } from '../graphene/keys.js';
import { KeystoreError } from './errors.js';
import { Secret } from './secret.js';
import type { Keystore } from './store.js';

export type KeyReferenceSources = {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly keystore?: Pick<Keystore, 'secret' | 'path'> | undefined;
};

const keystorePrefix = 'keystore:';
const envPrefix = 'env:';

/** True when `ref` names a key store entry rather than holding a key. */
export function isKeystoreReference(ref: string): boolean {
  return typeof ref === 'string' && ref.startsWith(keystorePrefix);
}

export function resolveKeyReference(ref: string, sources: KeyReferenceSources = {}): Secret {
  if (typeof ref !== 'string' || ref.length === 0) {
    throw new InvalidValueError('private key', 'empty key reference');
  }
  if (ref.startsWith(keystorePrefix)) {
    const name = ref.slice(keystorePrefix.length);
    if (!sources.keystore) {
      throw new KeystoreError(`${ref} needs the key store: set CRYPTOASSETS_KEYSTORE_PASSPHRASE`);
    }
    return sources.keystore.secret(name);
  }
  if (ref.startsWith(envPrefix)) {
    const variable = ref.slice(envPrefix.length);
    const value = sources.env?.[variable];
    if (value === undefined || value === '') {
      throw new InvalidValueError('private key', `environment variable ${variable} is not set`);
    }
    return Secret.copyOf(parseWif(value.trim()));
  }
  return Secret.copyOf(parseWif(ref.trim()));
}
