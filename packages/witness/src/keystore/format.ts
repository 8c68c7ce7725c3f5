// The key store file: a canonical JSON document with scrypt parameters, a passphrase check,
// AES-256-GCM encrypted entries bound to their name and public key, and an HMAC over it all.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';

export const keystoreFormat = 'cryptoassets-keystore';
export const keystoreVersion = 1;
export const scryptNDefault = 2 ** 15;
export const scryptNMax = 2 ** 20;
export const scryptR = 8;
export const scryptP = 1;
export const saltBytes = 32;
export const nonceBytes = 12;
export const tagBytes = 16;
export const secretBytes = 32;
export const macBytes = 32;
export const entriesCountMax = 256;
export const keystoreBytesMax = 256 * 1024;
const checkLabel = 'cryptoassets keystore passphrase check v1';
const entryNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type KdfParams = { name: 'scrypt'; n: number; r: number; p: number; salt: string };
export type EntryRecord = {
  publicKey: string;
  prefix: string;
  nonce: string;
  ciphertext: string;
  tag: string;
};
export type KeystoreDocument = {
  format: typeof keystoreFormat;
  version: typeof keystoreVersion;
  kdf: KdfParams;
  check: string;
  headerDigest: string;
  entries: Record<string, EntryRecord>;
  mac: string;
};
export type DerivedKeys = { encryptionKey: Buffer; macKey: Buffer };

export function isEntryName(name: unknown): name is string {
  return typeof name === 'string' && entryNamePattern.test(name);
}

export function newKdfParams(): KdfParams {
  return { name: 'scrypt', n: scryptNDefault, r: scryptR, p: scryptP, salt: randomHex(saltBytes) };
}

/** scrypt(passphrase) -> 64 bytes: an encryption key and a MAC key. */
export function deriveKeys(passphrase: string, kdf: KdfParams): Promise<DerivedKeys> {
  const maxmem = 256 * kdf.n * kdf.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      Buffer.from(kdf.salt, 'hex'),
      64,
      { N: kdf.n, r: kdf.r, p: kdf.p, maxmem },
      (error, key) => {
        if (error) reject(error);
        else resolve({ encryptionKey: key.subarray(0, 32), macKey: key.subarray(32) });
      },
    );
  });
}

export function passphraseCheck(keys: DerivedKeys): string {
  return createHmac('sha256', keys.macKey).update(checkLabel).digest('hex');
}

/** Unkeyed digest of the header: tells a changed header apart from a wrong passphrase. */
export function headerDigestOf(
  doc: Pick<KeystoreDocument, 'format' | 'version' | 'kdf' | 'check'>,
): string {
  const header = {
    format: doc.format,
    version: doc.version,
    kdf: canonicalKdf(doc.kdf),
    check: doc.check,
  };
  return createHash('sha256').update(JSON.stringify(header)).digest('hex');
}

export function macOf(doc: Omit<KeystoreDocument, 'mac'>, keys: DerivedKeys): string {
  return createHmac('sha256', keys.macKey).update(serializeBody(doc)).digest('hex');
}

export function equalHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Associated data binding an entry's ciphertext to its name, prefix and public key. */
function associatedData(name: string, entry: Pick<EntryRecord, 'publicKey' | 'prefix'>): Buffer {
  return Buffer.from(
    `${keystoreFormat} v${keystoreVersion}\0${name}\0${entry.prefix}\0${entry.publicKey}`,
  );
}

export function encryptEntry(
  keys: DerivedKeys,
  name: string,
  secret: Uint8Array,
  meta: { publicKey: string; prefix: string },
): EntryRecord {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', keys.encryptionKey, nonce, {
    authTagLength: tagBytes,
  });
  cipher.setAAD(associatedData(name, meta));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    publicKey: meta.publicKey,
    prefix: meta.prefix,
    nonce: nonce.toString('hex'),
    ciphertext: ciphertext.toString('hex'),
    tag: cipher.getAuthTag().toString('hex'),
  };
}

/** Decrypts an entry; throws (any error) when the ciphertext, tag or binding is wrong. */
export function decryptEntry(keys: DerivedKeys, name: string, entry: EntryRecord): Buffer {
  const decipher = createDecipheriv(
    'aes-256-gcm',
    keys.encryptionKey,
    Buffer.from(entry.nonce, 'hex'),
    { authTagLength: tagBytes },
  );
  decipher.setAAD(associatedData(name, entry));
  decipher.setAuthTag(Buffer.from(entry.tag, 'hex'));
  return Buffer.concat([decipher.update(Buffer.from(entry.ciphertext, 'hex')), decipher.final()]);
}

/** The file text: canonical key order, two-space indent, trailing newline. */
export function serializeDocument(doc: KeystoreDocument): string {
  return `${JSON.stringify(canonicalDocument(doc), null, 2)}\n`;
}

function serializeBody(doc: Omit<KeystoreDocument, 'mac'>): string {
  const { mac: _mac, ...body } = canonicalDocument({ ...doc, mac: '' });
  return JSON.stringify(body);
}

function canonicalKdf(kdf: KdfParams): KdfParams {
  return { name: kdf.name, n: kdf.n, r: kdf.r, p: kdf.p, salt: kdf.salt };
}

function canonicalDocument(doc: KeystoreDocument): KeystoreDocument {
  const entries: Record<string, EntryRecord> = {};
  for (const name of Object.keys(doc.entries).sort()) {
    const entry = doc.entries[name]!;
    entries[name] = {
      publicKey: entry.publicKey,
      prefix: entry.prefix,
      nonce: entry.nonce,
      ciphertext: entry.ciphertext,
      tag: entry.tag,
    };
  }
  return {
    format: doc.format,
    version: doc.version,
    kdf: canonicalKdf(doc.kdf),
    check: doc.check,
    headerDigest: doc.headerDigest,
    entries,
    mac: doc.mac,
  };
}

/**
 * Parses and validates the file text. Returns a problem description instead of the document
 * when anything is off, including text that is not exactly the canonical serialization.
 */
export function parseDocument(text: string): KeystoreDocument | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  const problem = documentProblem(value);
  if (problem !== undefined) return problem;
  const doc = value as KeystoreDocument;
  if (serializeDocument(doc) !== text) return 'not in canonical form';
  return doc;
}

function documentProblem(value: unknown): string | undefined {
  if (
    !isRecord(value) ||
    !hasExactKeys(value, ['format', 'version', 'kdf', 'check', 'headerDigest', 'entries', 'mac'])
  ) {
    return 'unexpected top-level fields';
  }
  if (value.format !== keystoreFormat || value.version !== keystoreVersion)
    return 'unknown format or version';
  const kdfProblem = kdfParamsProblem(value.kdf);
  if (kdfProblem !== undefined) return kdfProblem;
  if (
    !isHex(value.check, macBytes) ||
    !isHex(value.headerDigest, 32) ||
    !isHex(value.mac, macBytes)
  ) {
    return 'bad check, digest or MAC field';
  }
  return entriesProblem(value.entries);
}

function kdfParamsProblem(kdf: unknown): string | undefined {
  if (
    !isRecord(kdf) ||
    !hasExactKeys(kdf, ['name', 'n', 'r', 'p', 'salt']) ||
    kdf.name !== 'scrypt'
  ) {
    return 'bad key derivation parameters';
  }
  const n = kdf.n;
  const powerOfTwo = typeof n === 'number' && Number.isInteger(n) && (n & (n - 1)) === 0;
  if (
    !powerOfTwo ||
    n < scryptNDefault ||
    n > scryptNMax ||
    kdf.r !== scryptR ||
    kdf.p !== scryptP
  ) {
    return 'key derivation parameters out of range';
  }
  return isHex(kdf.salt, saltBytes) ? undefined : 'bad salt';
}

function entriesProblem(entries: unknown): string | undefined {
  if (!isRecord(entries) || Object.keys(entries).length > entriesCountMax) return 'bad entries';
  for (const [name, entry] of Object.entries(entries)) {
    if (!isEntryName(name)) return 'bad entry name';
    const ok =
      isRecord(entry) &&
      hasExactKeys(entry, ['publicKey', 'prefix', 'nonce', 'ciphertext', 'tag']) &&
      typeof entry.publicKey === 'string' &&
      entry.publicKey.length <= 70 &&
      typeof entry.prefix === 'string' &&
      /^[A-Z]{1,8}$/.test(entry.prefix) &&
      isHex(entry.nonce, nonceBytes) &&
      isHex(entry.ciphertext, secretBytes) &&
      isHex(entry.tag, tagBytes);
    if (!ok) return `bad entry ${name}`;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactKeys(record: Record<string, unknown>, keys: readonly string[]): boolean {
  const actual = Object.keys(record);
  return actual.length === keys.length && keys.every((key) => Object.hasOwn(record, key));
}

function isHex(value: unknown, bytes: number): value is string {
  return typeof value === 'string' && value.length === bytes * 2 && /^[0-9a-f]*$/.test(value);
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
