// `cryptoassets keys` through runCli: create, add from an environment variable, list, remove,
// a wrong passphrase, no passphrase without a terminal, and no private key in any output.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { lazyKeystoreReader } from '../src/commands/keys.js';
import { type Run, runInProcess } from './support.js';

const wifA = '5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3';
const pubA = 'STM6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV';
const wifB = '5JdeC9P7Pbd1uGdFVEsJ41EkEnADbbHGq6p1BwFxm6txNBsQnsw';
const passphraseEnv = 'CRYPTOASSETS_KEYSTORE_PASSPHRASE';
const passphrase = 'a passphrase for the tests';

let dir: string;
let keystore: string;
const savedTty = process.stdin.isTTY;

const cli = runInProcess;

const withPassphrase = (extra: Record<string, string | undefined> = {}) => ({
  [passphraseEnv]: passphrase,
  ...extra,
});

function expectNoPrivateKeys(run: Run): void {
  for (const wif of [wifA, wifB]) {
    expect(run.stdout).not.toContain(wif.slice(5, 25));
    expect(run.stderr).not.toContain(wif.slice(5, 25));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-keys-'));
  keystore = join(dir, 'data', 'keys.json');
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  Object.defineProperty(process.stdin, 'isTTY', { value: savedTty, configurable: true });
  await rm(dir, { recursive: true, force: true });
});

describe('cryptoassets keys', () => {
  it('without a passphrase and without a terminal fails with one line', async () => {
    const run = await cli(['keys', 'create', '--keystore', keystore], {
      [passphraseEnv]: undefined,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: no passphrase: set ${passphraseEnv} or run in a terminal\n`);
    expect(existsSync(keystore)).toBe(false);
  });

  it('creates a key store and refuses to overwrite it', async () => {
    const run = await cli(['keys', 'create', '--keystore', keystore], withPassphrase());
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`created key store ${keystore}\n`);
    const again = await cli(['keys', 'create', '--keystore', keystore], withPassphrase());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('adds keys from an environment variable and prints only public keys', async () => {
    const run = await cli(
      ['--json', 'keys', 'add', 'primary', '--wif-env', 'PRIMARY_WIF', '--keystore', keystore],
      withPassphrase({ PRIMARY_WIF: wifA }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ name: 'primary', prefix: 'STM', public_key: pubA });
    expectNoPrivateKeys(run);
    const backup = await cli(
      [
        'keys',
        'add',
        'backup',
        '--wif-env',
        'BACKUP_WIF',
        '--prefix',
        'BLT',
        '--keystore',
        keystore,
      ],
      withPassphrase({ BACKUP_WIF: wifB }),
    );
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^added backup: BLT[1-9A-HJ-NP-Za-km-z]{50}\n$/);
    expectNoPrivateKeys(backup);
  });

  it('refuses to add without a WIF source, with an unset variable or a bad WIF', async () => {
    const noSource = await cli(['keys', 'add', 'third', '--keystore', keystore], withPassphrase());
    expect(noSource.code).toBe(1);
    expect(noSource.stderr).toBe(
      'error: no private key: pass --wif-env VARIABLE or run in a terminal\n',
    );
    const unset = await cli(
      ['keys', 'add', 'third', '--wif-env', 'NOT_SET_ANYWHERE', '--keystore', keystore],
      withPassphrase({ NOT_SET_ANYWHERE: undefined }),
    );
    expect(unset.stderr).toBe('error: environment variable NOT_SET_ANYWHERE is not set\n');
    const badWif = `${wifA.slice(0, -3)}abc`;
    const bad = await cli(
      ['keys', 'add', 'third', '--wif-env', 'BAD_WIF', '--keystore', keystore],
      withPassphrase({ BAD_WIF: badWif }),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: private key: /);
    expect(bad.stderr).not.toContain(badWif.slice(5, 25));
  });

  it('lists names and public keys, as a table or JSON', async () => {
    const json = await cli(['keys', 'list', '--json', '--keystore', keystore], withPassphrase());
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.stdout) as Array<{ name: string; public_key: string }>;
    expect(entries.map((entry) => entry.name)).toEqual(['backup', 'primary']);
    expect(entries[1]?.public_key).toBe(pubA);
    const text = await cli(['keys', 'list', '--keystore', keystore], withPassphrase());
    expect(text.stdout.split('\n')[0]).toMatch(/^NAME\s+PREFIX\s+PUBLIC KEY$/);
    expect(text.stdout).toContain(pubA);
    expectNoPrivateKeys(json);
    expectNoPrivateKeys(text);
  });

  it('refuses a wrong passphrase', async () => {
    const run = await cli(['keys', 'list', '--keystore', keystore], {
      [passphraseEnv]: 'not the passphrase',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: wrong passphrase for key store ${keystore}\n`);
  });

  it('removes a key, and says so when it is not there', async () => {
    const run = await cli(['keys', 'remove', 'backup', '--keystore', keystore], withPassphrase());
    expect(run).toMatchObject({ code: 0, stdout: 'removed backup\n' });
    const list = await cli(['--json', 'keys', 'list', '--keystore', keystore], withPassphrase());
    expect(JSON.parse(list.stdout)).toEqual([{ name: 'primary', prefix: 'STM', public_key: pubA }]);
    const again = await cli(['keys', 'remove', 'backup', '--keystore', keystore], withPassphrase());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no key named backup/);
  });

  it('takes the key store path from the environment', async () => {
    const run = await cli(
      ['keys', 'list', '--json'],
      withPassphrase({ CRYPTOASSETS_KEYSTORE: keystore }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(1);
  });
});

describe('lazyKeystoreReader', () => {
  it('opens the key store once, on first use, and reads secrets by name', async () => {
    const missing = lazyKeystoreReader(join(dir, 'missing.json'));
    const present = lazyKeystoreReader(keystore);
    const saved = process.env[passphraseEnv];
    process.env[passphraseEnv] = passphrase;
    try {
      await expect(missing('primary')).rejects.toThrow(/cannot read key store/);
      const secret = await present('primary');
      expect(secret).toHaveLength(32);
      expect(String(secret)).toBe('[redacted]');
      await expect(present('nobody')).rejects.toThrow(/no key named nobody/);
    } finally {
      if (saved === undefined) delete process.env[passphraseEnv];
      else process.env[passphraseEnv] = saved;
    }
  });
});
