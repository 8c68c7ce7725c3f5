// The encrypted key store end to end on real files: passphrase, tampering, swapped entries,
// key references, and private keys absent from every output and error.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { InvalidValueError } from '@cryptoassets/core';
import {
  createKeystore,
  KeystoreError,
  KeystoreTamperedError,
  openKeystore,
  parseWif,
  publicKeyOf,
  resolveKeyReference,
  toHex,
  WrongPassphraseError,
} from '@cryptoassets/witness';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

const passphrase = 'a long and boring passphrase';
const wifA = '5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3';
const wifB = '5JdeC9P7Pbd1uGdFVEsJ41EkEnADbbHGq6p1BwFxm6txNBsQnsw';
const secretHexes = [wifA, wifB].map((wif) => toHex(parseWif(wif)));
const dirs: string[] = [];
let path: string;

/** Every form in which a private key could leak. */
function expectNoKeys(text: string): void {
  for (const wif of [wifA, wifB]) expect(text).not.toContain(wif.slice(8, 30));
  for (const hex of secretHexes) expect(text).not.toContain(hex.slice(0, 16));
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

const describeError = (error: Error): string =>
  `${String(error)}\n${error.stack ?? ''}\n${inspect(error, { depth: 5 })}\n${JSON.stringify(error)}`;

beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'keystore-'));
  dirs.push(dir);
  path = join(dir, 'data', 'keys.json');
  const store = await createKeystore(path, passphrase);
  await store.add('primary', wifA, 'STM');
  await store.add('backup', wifB, 'STM');
});

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('key store', () => {
  it('stores keys encrypted and gives them back with the passphrase', async () => {
    const store = await openKeystore(path, passphrase);
    expect(store.list()).toEqual([
      { name: 'backup', publicKey: publicKeyOf(parseWif(wifB), 'STM'), prefix: 'STM' },
      { name: 'primary', publicKey: publicKeyOf(parseWif(wifA), 'STM'), prefix: 'STM' },
    ]);
    expect(toHex(store.secret('primary'))).toBe(secretHexes[0]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expectNoKeys(await readFile(path, 'utf8'));
  });

  it('removes keys and refuses duplicates, unknown names and an existing file', async () => {
    const store = await openKeystore(path, passphrase);
    await expect(store.add('primary', wifB, 'STM')).rejects.toThrow(KeystoreError);
    await store.remove('backup');
    expect((await openKeystore(path, passphrase)).list().map((entry) => entry.name)).toEqual([
      'primary',
    ]);
    await expect(store.remove('backup')).rejects.toThrow(/no key named backup/);
    expect(() => store.secret('nobody')).toThrow(KeystoreError);
    await expect(createKeystore(path, passphrase)).rejects.toThrow(/already exists/);
  });

  it('refuses a wrong passphrase with a one-line error naming the file', async () => {
    const error = await failure(openKeystore(path, 'not the passphrase'));
    expect(error).toBeInstanceOf(WrongPassphraseError);
    expect(error.message).toBe(`wrong passphrase for key store ${path}`);
  });

  it('refuses a short passphrase at creation', async () => {
    await expect(createKeystore(join(dirs[0]!, 'other.json'), 'short')).rejects.toThrow(
      InvalidValueError,
    );
  });

  it('detects a flipped byte anywhere in the file', async () => {
    const original = await readFile(path);
    const step = Math.max(1, Math.floor(original.length / 60));
    for (let i = 0; i < original.length; i += step) {
      const flipped = Buffer.from(original);
      flipped[i] = (flipped[i] ?? 0) ^ 0x04;
      await writeFile(path, flipped);
      const error = await failure(openKeystore(path, passphrase));
      expect(error, `byte ${i}`).toBeInstanceOf(KeystoreTamperedError);
    }
    await writeFile(path, original);
    await expect(openKeystore(path, passphrase)).resolves.toBeDefined();
  }, 60_000);

  it('detects entries swapped in the file', async () => {
    const doc = JSON.parse(await readFile(path, 'utf8')) as {
      entries: Record<string, Record<string, string>>;
    };
    const { primary, backup } = doc.entries;
    doc.entries = { backup: primary!, primary: backup! };
    await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`);
    await expect(openKeystore(path, passphrase)).rejects.toThrow(KeystoreTamperedError);
  });

  it('keeps private keys out of every output and error', async () => {
    const store = await openKeystore(path, passphrase);
    const secret = store.secret('primary');
    const shown = [
      inspect(store, { depth: 10, showHidden: true }),
      JSON.stringify(store),
      String(store),
      inspect(secret),
      JSON.stringify({ secret }),
      String(secret),
      JSON.stringify(store.list()),
    ];
    const errors = [
      await failure(openKeystore(path, 'not the passphrase')),
      await failure(store.add('third', `${wifA.slice(0, -1)}x`, 'STM')),
      await failure(store.add('bad name!', wifA, 'STM')),
      await failure(store.add('fourth', wifA, 'stm')),
    ];
    const tampered = Buffer.from(await readFile(path));
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 1;
    await writeFile(path, tampered);
    errors.push(await failure(openKeystore(path, passphrase)));
    for (const text of [...shown, ...errors.map(describeError)]) expectNoKeys(text);
  });
});

describe('resolveKeyReference', () => {
  it('reads keystore:NAME, env:VAR and a literal WIF', async () => {
    const keystore = await openKeystore(path, passphrase);
    const env = { ACTIVE_WIF: wifB };
    expect(toHex(resolveKeyReference('keystore:primary', { keystore }))).toBe(secretHexes[0]);
    expect(toHex(resolveKeyReference('env:ACTIVE_WIF', { env }))).toBe(secretHexes[1]);
    expect(toHex(resolveKeyReference(wifA))).toBe(secretHexes[0]);
    expect(inspect(resolveKeyReference(wifA))).toBe('[redacted]');
  });

  it('gives clear errors without echoing the reference', async () => {
    expect(() => resolveKeyReference('keystore:primary', {})).toThrow(/needs the key store/);
    expect(() => resolveKeyReference('env:MISSING', { env: {} })).toThrow(/MISSING is not set/);
    const almost = `${wifA.slice(0, -2)}zz`;
    try {
      resolveKeyReference(almost);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidValueError);
      expectNoKeys(describeError(error as Error));
      expect(describeError(error as Error)).not.toContain(almost);
    }
  });
});
