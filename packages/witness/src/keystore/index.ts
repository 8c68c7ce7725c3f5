// Public face of the key store: encrypted private keys on disk and key references.
export { KeystoreError, KeystoreTamperedError, WrongPassphraseError } from './errors.js';
export {
  isKeystoreReference,
  type KeyReferenceSources,
  resolveKeyReference,
} from './reference.js';
export { Secret } from './secret.js';
export {
  createKeystore,
  defaultKeystorePath,
  Keystore,
  type KeystoreEntry,
  openKeystore,
  passphraseLengthMin,
} from './store.js';
