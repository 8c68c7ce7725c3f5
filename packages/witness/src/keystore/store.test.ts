// Key store internals: every single-byte change of the file is refused, swapped entries are
// detected even with a valid MAC, and secrets never show in output.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../graphene/bytes.js';
import { parseWif } from '../graphene/keys.js';
import { KeystoreTamperedError, WrongPassphraseError } from './errors.js';
import {
  type DerivedKeys,
  deriveKeys,
  type KdfParams,
  macOf,
  parseDocument,
  serializeDocument,
} from './format.js';
import { Secret } from './secret.js';
import { createKeystore, openKeystoreText } from './store.js';

const passphrase = 'correct horse battery staple';
const wifA = '5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3';
const wifB = '5JdeC9P7Pbd1uGdFVEsJ41EkEnADbbHGq6p1BwFxm6txNBsQnsw';
let dir: string;
let path: string;
let text: string;

/** scrypt once per (passphrase, salt): the flip test opens hundreds of variants of one file. */
const cache = new Map<string, Promise<DerivedKeys>>();
const cachedDerive = (secret: string, kdf: KdfParams): Promise<DerivedKeys> => {
  const key = `${secret}\0${kdf.salt}\0${kdf.n}`;
  const hit = cache.get(key) ?? deriveKeys(secret, kdf);
  cache.set(key, hit);
  return hit;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keystore-unit-'));
  path = join(dir, 'sub', 'keys.json');
  const store = await createKeystore(path, passphrase);
  await store.add('primary', wifA, 'STM');
  await store.add('backup', wifB, 'STM');
  text = await readFile(path, 'utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('key store file', () => {
  it('is written with mode 0600 and opens again', async () => {
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const store = await openKeystoreText(path, text, passphrase, cachedDerive);
    expect(store.list().map((entry) => entry.name)).toEqual(['backup', 'primary']);
    expect(toHex(store.secret('primary'))).toBe(toHex(parseWif(wifA)));
  });

  it('refuses every single-byte change of the file', async () => {
    const bytes = Buffer.from(text, 'utf8');
    const outcomes = new Map<string, number>();
    for (let i = 0; i < bytes.length; i++) {
      const flipped = Buffer.from(bytes);
      flipped[i] = (flipped[i] ?? 0) ^ 0x01;
      const error = await openKeystoreText(
        path,
        flipped.toString('utf8'),
        passphrase,
        cachedDerive,
      ).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error, `byte ${i}`).toBeInstanceOf(KeystoreTamperedError);
      const detail = (error as KeystoreTamperedError).details ?? '';
      outcomes.set(detail, (outcomes.get(detail) ?? 0) + 1);
    }
    // Both the cheap structural checks and the keyed MAC did part of the work.
    expect(outcomes.get('MAC mismatch')).toBeGreaterThan(0);
    expect(outcomes.get('not in canonical form') ?? outcomes.get('not valid JSON')).toBeGreaterThan(
      0,
    );
  }, 60_000);

  it('detects swapped entries even when the MAC is recomputed', async () => {
    const doc = parseDocument(text);
    if (typeof doc === 'string') throw new Error(doc);
    const keys = await cachedDerive(passphrase, doc.kdf);
    const { primary, backup } = doc.entries;
    const swap = (into: typeof primary, from: typeof primary) => ({
      ...into!,
      nonce: from!.nonce,
      ciphertext: from!.ciphertext,
      tag: from!.tag,
    });
    const entries = { backup: swap(backup, primary), primary: swap(primary, backup) };
    const { mac: _mac, ...body } = { ...doc, entries };
    const forged = serializeDocument({ ...body, mac: macOf(body, keys) });
    await expect(openKeystoreText(path, forged, passphrase, cachedDerive)).rejects.toThrow(
      KeystoreTamperedError,
    );
    const renamed = { alpha: doc.entries.primary!, backup: doc.entries.backup! };
    const { mac: _mac2, ...body2 } = { ...doc, entries: renamed };
    const forged2 = serializeDocument({ ...body2, mac: macOf(body2, keys) });
    await expect(openKeystoreText(path, forged2, passphrase, cachedDerive)).rejects.toThrow(
      /tampered/,
    );
  });

  it('a wrong passphrase is told apart from tampering', async () => {
    await expect(openKeystoreText(path, text, 'wrong passphrase', cachedDerive)).rejects.toThrow(
      WrongPassphraseError,
    );
    await expect(openKeystoreText(path, text, 'wrong passphrase', cachedDerive)).rejects.toThrow(
      `wrong passphrase for key store ${path}`,
    );
  });
});

describe('Secret', () => {
  it('is a Uint8Array that prints as [redacted]', () => {
    const secret = Secret.copyOf(parseWif(wifA));
    const hex = toHex(secret);
    expect(secret).toBeInstanceOf(Uint8Array);
    expect(secret).toHaveLength(32);
    for (const shown of [
      String(secret),
      `${secret}`,
      JSON.stringify({ secret }),
      inspect(secret),
      inspect({ nested: { secret } }),
      secret.join(),
      secret.toLocaleString(),
      inspect(secret.subarray(0, 4)),
    ]) {
      expect(shown).toContain('[redacted]');
      expect(shown).not.toContain(hex.slice(0, 8));
      expect(shown).not.toContain(String(secret[0]));
    }
  });
});
