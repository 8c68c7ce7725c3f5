// The encrypted local key store: create, open, add, list, remove and read private keys.
// The file is useless without the passphrase; every change is written atomically (mode 0600).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { inspect } from 'node:util';
import { InvalidValueError } from '@cryptoassets/core';
import { parseWif, publicKeyOf } from '../graphene/keys.js';
import { KeystoreError, KeystoreTamperedError, WrongPassphraseError } from './errors.js';
import {
  type DerivedKeys,
  decryptEntry,
  deriveKeys,
  type EntryRecord,
  encryptEntry,
  entriesCountMax,
  equalHex,
  headerDigestOf,
  isEntryName,
  type KeystoreDocument,
  keystoreBytesMax,
  keystoreFormat,
  keystoreVersion,
  macOf,
  newKdfParams,
  parseDocument,
  passphraseCheck,
  serializeDocument,
} from './format.js';
import { Secret } from './secret.js';

export const defaultKeystorePath = './data/keys.json';
export const passphraseLengthMin = 8;
export const passphraseLengthMax = 1024;
const fileMode = 0o600;
const dirMode = 0o700;

export type KeystoreEntry = {
  readonly name: string;
  readonly publicKey: string;
  readonly prefix: string;
};

export class Keystore {
  readonly path: string;
  #keys: DerivedKeys;
  #doc: KeystoreDocument;

  /** Use createKeystore or openKeystore. */
  constructor(path: string, keys: DerivedKeys, doc: KeystoreDocument) {
    this.path = path;
    this.#keys = keys;
    this.#doc = doc;
  }

  /** Names and public keys; never a secret. */
  list(): KeystoreEntry[] {
    return Object.entries(this.#doc.entries).map(([name, entry]) => ({
      name,
      publicKey: entry.publicKey,
      prefix: entry.prefix,
    }));
  }

  has(name: string): boolean {
    return Object.hasOwn(this.#doc.entries, name);
  }

  /** Encrypts and stores a WIF under `name`; the public key is derived with `prefix`. */
  async add(name: string, wif: string, prefix: string): Promise<KeystoreEntry> {
    if (!isEntryName(name)) {
      throw new InvalidValueError(
        'key name',
        'expected 1 to 64 letters, digits, ., _ or -, starting with a letter or digit',
      );
    }
    if (this.has(name))
      throw new KeystoreError(`key store ${this.path} already has a key named ${name}`);
    if (Object.keys(this.#doc.entries).length >= entriesCountMax) {
      throw new KeystoreError(`key store ${this.path} is full (${entriesCountMax} keys)`);
    }
    const secret = parseWif(wif);
    const publicKey = publicKeyOf(secret, prefix);
    const entry = encryptEntry(this.#keys, name, secret, { publicKey, prefix });
    secret.fill(0);
    await this.#save({ ...this.#doc.entries, [name]: entry });
    return { name, publicKey, prefix };
  }

  async remove(name: string): Promise<void> {
    this.#entry(name);
    const entries = { ...this.#doc.entries };
    delete entries[name];
    await this.#save(entries);
  }

  /** The 32-byte private key stored under `name`, as a redacting Secret. */
  secret(name: string): Secret {
    const entry = this.#entry(name);
    const secret = decryptOrTampered(this.path, this.#keys, name, entry);
    return secret;
  }

  /** Finds the entry whose public key is `publicKey`, if any. */
  findByPublicKey(publicKey: string): KeystoreEntry | undefined {
    return this.list().find((entry) => entry.publicKey === publicKey);
  }

  toJSON(): Record<string, unknown> {
    return { path: this.path, keys: this.list() };
  }

  [inspect.custom](): string {
    return `Keystore { path: ${JSON.stringify(this.path)}, keys: ${this.list().length} }`;
  }

  #entry(name: string): EntryRecord {
    const entry = Object.hasOwn(this.#doc.entries, name) ? this.#doc.entries[name] : undefined;
    if (!entry) throw new KeystoreError(`key store ${this.path} has no key named ${name}`);
    return entry;
  }

  async #save(entries: Record<string, EntryRecord>): Promise<void> {
    const body = { ...this.#doc, entries };
    const doc = { ...body, mac: macOf(body, this.#keys) };
    await writeAtomically(this.path, serializeDocument(doc));
    this.#doc = doc;
  }
}

/** Creates a new, empty key store at `path`; refuses to overwrite an existing file. */
export async function createKeystore(path: string, passphrase: string): Promise<Keystore> {
  checkPassphrase(passphrase, passphraseLengthMin);
  if (await exists(path)) throw new KeystoreError(`key store ${path} already exists`);
  const kdf = newKdfParams();
  const keys = await deriveKeys(passphrase, kdf);
  const check = passphraseCheck(keys);
  const header = { format: keystoreFormat, version: keystoreVersion, kdf, check } as const;
  const body = { ...header, headerDigest: headerDigestOf(header), entries: {} };
  const doc: KeystoreDocument = { ...body, mac: macOf(body, keys) };
  await mkdir(dirname(path), { recursive: true, mode: dirMode });
  await writeAtomically(path, serializeDocument(doc), { exclusive: true });
  return new Keystore(path, keys, doc);
}

/** Opens a key store; WrongPassphraseError or KeystoreTamperedError when it cannot be trusted. */
export async function openKeystore(path: string, passphrase: string): Promise<Keystore> {
  checkPassphrase(passphrase, 1);
  return openKeystoreText(path, await readKeystoreText(path), passphrase);
}

/** Opens a key store from its file text; `derive` is the key derivation (scrypt). */
export async function openKeystoreText(
  path: string,
  text: string,
  passphrase: string,
  derive: typeof deriveKeys = deriveKeys,
): Promise<Keystore> {
  const parsed = parseDocument(text);
  if (typeof parsed === 'string') throw new KeystoreTamperedError(path, parsed);
  if (!equalHex(headerDigestOf(parsed), parsed.headerDigest)) {
    throw new KeystoreTamperedError(path, 'header digest mismatch');
  }
  const keys = await derive(passphrase, parsed.kdf);
  if (!equalHex(passphraseCheck(keys), parsed.check)) throw new WrongPassphraseError(path);
  const { mac, ...body } = parsed;
  if (!equalHex(macOf(body, keys), mac)) throw new KeystoreTamperedError(path, 'MAC mismatch');
  for (const [name, entry] of Object.entries(parsed.entries)) {
    decryptOrTampered(path, keys, name, entry).fill(0);
  }
  return new Keystore(path, keys, parsed);
}

function decryptOrTampered(
  path: string,
  keys: DerivedKeys,
  name: string,
  entry: EntryRecord,
): Secret {
  let plain: Buffer;
  try {
    plain = decryptEntry(keys, name, entry);
  } catch {
    throw new KeystoreTamperedError(path, `entry ${name} does not decrypt`);
  }
  const secret = Secret.copyOf(plain);
  plain.fill(0);
  let derived: string | undefined;
  try {
    derived = publicKeyOf(secret, entry.prefix);
  } catch {
    derived = undefined;
  }
  if (derived !== entry.publicKey) {
    secret.fill(0);
    throw new KeystoreTamperedError(path, `entry ${name} does not match its public key`);
  }
  return secret;
}

function checkPassphrase(passphrase: string, lengthMin: number): void {
  if (
    typeof passphrase !== 'string' ||
    passphrase.length < lengthMin ||
    passphrase.length > passphraseLengthMax
  ) {
    throw new InvalidValueError(
      'passphrase',
      `expected ${lengthMin} to ${passphraseLengthMax} characters`,
    );
  }
}

async function readKeystoreText(path: string): Promise<string> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new KeystoreError(`cannot read key store ${path}`, { cause });
  }
  if (!info.isFile() || info.size > keystoreBytesMax) {
    throw new KeystoreTamperedError(path, 'not a regular file of the expected size');
  }
  const bytes = await readFile(path);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (Buffer.from(text, 'utf8').length !== bytes.length) {
    throw new KeystoreTamperedError(path, 'not UTF-8');
  }
  return text;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes a temp file beside `path` (0600), flushes it, then renames it over `path`. */
async function writeAtomically(
  path: string,
  text: string,
  options: { exclusive?: boolean } = {},
): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', fileMode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.exclusive && (await exists(path))) {
      throw new KeystoreError(`key store ${path} already exists`);
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
