// The cryptoassets command end to end: the built binary, real SQLite and PostgreSQL books.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeP2pkh, getCoinProfile } from '@cryptoassets/core';
import {
  createTestDatabase,
  dialectsUnderTest,
  type TestDatabase,
} from '@cryptoassets/ledger/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/main.js', import.meta.url));

type Run = { readonly code: number; readonly stdout: string; readonly stderr: string };

function run(dir: string, args: readonly string[]): Run {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function expectUserError(result: Run, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')[0]).toMatch(pattern);
  expect(
    result.stderr
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('(run with')).length,
  ).toBe(1);
}

const regtestAddress = (): string => {
  const ltc = getCoinProfile('ltc')!;
  return encodeP2pkh(
    ltc,
    'regtest',
    Uint8Array.from({ length: 20 }, (_, i) => i + 7),
  );
};

function writeConfig(
  dir: string,
  url: string,
  backend = "{ type: offline, balance: '2.5' }",
): string {
  const path = join(dir, 'cryptoassets.yaml');
  writeFileSync(
    path,
    `database:\n  url: ${url}\ncoins:\n  ltc:\n    network: regtest\n    confirmations: 2\n    backend: ${backend}\n`,
  );
  return path;
}

describe('cryptoassets --help', () => {
  it('teaches the commands and exits 0', () => {
    const result = run(tmpdir(), ['--help']);
    expect(result.code).toBe(0);
    for (const command of [
      'init-db',
      'account',
      'address',
      'transfer',
      'send',
      'balance',
      'transactions',
      'mark-processed',
      'import-balance',
      'audit',
    ]) {
      expect(result.stdout).toContain(command);
    }
    expect(result.stdout).toContain('Examples:');
  });

  it('refuses an unknown command with exit 1', () => {
    expect(run(tmpdir(), ['frobnicate']).code).toBe(1);
  });
});

describe('cryptoassets with a bad configuration', () => {
  it('names the bad field in one line and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cryptoassets-cli-'));
    const database = join(dir, 'books.sqlite');
    writeFileSync(
      join(dir, 'bad.yaml'),
      `database:\n  url: sqlite:${database}\ncoins:\n  ltc:\n    confirmations: -1\n`,
    );
    expectUserError(run(dir, ['--config', 'bad.yaml', 'init-db']), /coins\.ltc\.confirmations/);
    writeFileSync(
      join(dir, 'unknown.yaml'),
      `database:\n  url: sqlite:${database}\ncoins: {}\nfrobs: 1\n`,
    );
    expectUserError(run(dir, ['--config', 'unknown.yaml', 'init-db']), /frobs/);
    expectUserError(run(dir, ['--config', 'missing.yaml', 'init-db']), /not found/);
    expect(existsSync(database)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

for (const dialect of await dialectsUnderTest()) {
  describe(`cryptoassets on ${dialect}`, () => {
    let dir: string;
    let db: TestDatabase;
    let config: string;
    const cli = (...args: string[]) => run(dir, ['--config', config, ...args]);
    const json = (...args: string[]) => {
      const result = cli('--json', ...args);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown> & Record<string, unknown>[];
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cryptoassets-cli-'));
      db = await createTestDatabase(dialect);
      config = writeConfig(dir, db.url);
    });
    afterAll(async () => {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('asks for init-db before the tables exist', () => {
      expectUserError(cli('account', 'list'), /init-db/);
    });

    it('creates the tables, and running init-db again is safe', () => {
      const first = json('init-db').applied as Record<string, string[]>;
      expect(first.ltc?.[0]).toBe('0001_initial');
      expect(first.ltc?.length).toBeGreaterThan(0);
      expect(json('init-db').applied).toEqual({ ltc: [] });
    });

    it('creates accounts and refuses a duplicate', () => {
      expect(json('account', 'create', 'alice').name).toBe('alice');
      expect(json('account', 'create', 'bob').balance).toBe('0.00000000');
      expectUserError(cli('account', 'create', 'alice'), /already exists/);
      const names = json('account', 'list').map((a) => a.name);
      expect(names).toEqual(['Network fees', 'alice', 'bob']);
    });

    it('imports the backend balance once', () => {
      expect(json('import-balance', '--account', 'alice').amount).toBe('2.50000000');
      expect(cli('import-balance', '--account', 'alice').stdout).toMatch(/nothing to import/);
    });

    it('moves money, refuses bad amounts, and keeps the books balanced', () => {
      expect(json('transfer', '--from', 'alice', '--to', 'bob', '--amount', '0.75').state).toBe(
        'internal',
      );
      for (const amount of ['1e5', '-1', '0', '0.123456789', '', 'abc']) {
        expectUserError(
          cli('transfer', '--from', 'alice', '--to', 'bob', '--amount', amount),
          /--amount/,
        );
      }
      expectUserError(
        cli('transfer', '--from', 'bob', '--to', 'alice', '--amount', '5'),
        /not have enough balance/,
      );
      expectUserError(cli('transfer', '--from', 'bob', '--to', 'bob', '--amount', '0.1'), /itself/);
      expectUserError(
        cli('transfer', '--from', 'carol', '--to', 'bob', '--amount', '0.1'),
        /carol/,
      );
      expect(
        json('transfer', '--from', 'bob', '--to', 'alice', '--amount', '1', '--allow-negative')
          .state,
      ).toBe('internal');
      const balance = json('balance');
      expect(balance.total).toBe('2.50000000');
      expect(json('balance', '--account', 'bob').balance).toBe('-0.25000000');
      expect(json('audit').clean).toBe(true);
    });

    it('creates addresses and sends internally or externally', () => {
      const address = json('address', 'new', '--account', 'bob', '--label', 'shop');
      expect(address.label).toBe('shop');
      const internal = json(
        'send',
        '--from',
        'alice',
        '--to',
        String(address.address),
        '--amount',
        '0.25',
      );
      expect(internal.kind).toBe('internal');
      const external = json(
        'send',
        '--from',
        'alice',
        '--to',
        regtestAddress(),
        '--amount',
        '0.5',
        '--label',
        'payout',
      );
      expect(external.state).toBe('pending');
      expectUserError(
        cli(
          'send',
          '--from',
          'alice',
          '--to',
          '1BoatSLRHtKNngkdXEeobR76b53LETtpyX',
          '--amount',
          '0.1',
        ),
        /not a valid ltc regtest address/,
      );
      const pending = json('transactions', '--state', 'pending');
      expect(pending.map((t) => t.id)).toEqual([external.id]);
      expect(json('transactions', '--account', 'bob').length).toBe(3);
      expect(json('balance').total).toBe('2.00000000');
    });

    it('refuses to mark a transfer processed', () => {
      expectUserError(cli('mark-processed', '1'), /deposit 1 not found/);
      expectUserError(cli('mark-processed', 'x'), /transaction id/);
    });

    it('prints mismatches and exits 1 when the books are tampered with', async () => {
      await db.database.kysely
        .updateTable('ltc_account' as never)
        .set({ balance: 123n } as never)
        .where('name' as never, '=', 'bob' as never)
        .execute();
      const result = cli('audit');
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/bob/);
      expect(result.stdout).toMatch(/audit FAILED: 1 mismatches/);
    });
  });
}

describe('a coin without a backend', () => {
  it('keeps books but says in one line when a network is needed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cryptoassets-cli-'));
    const path = join(dir, 'cryptoassets.yaml');
    writeFileSync(path, `database:\n  url: sqlite:./books.sqlite\ncoins:\n  btc: {}\n`);
    const cli = (...args: string[]) => run(dir, args);
    expect(cli('init-db').code).toBe(0);
    expect(existsSync(join(dir, 'books.sqlite'))).toBe(true);
    expect(cli('account', 'create', 'alice').code).toBe(0);
    expect(cli('account', 'create', 'bob').code).toBe(0);
    expect(
      cli('transfer', '--from', 'alice', '--to', 'bob', '--amount', '0.1', '--allow-negative').code,
    ).toBe(0);
    expectUserError(cli('address', 'new', '--account', 'alice'), /btc has no backend/);
    expectUserError(cli('import-balance', '--account', 'alice'), /btc has no backend/);
    expect(cli('audit').code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a coin on a bitcoind backend (litecoind -regtest)', async () => {
  const { requireLitecoind, startLitecoind, coinbaseMaturityBlocks } = await import(
    '@cryptoassets/service/testing'
  );
  const enabled = requireLitecoind();
  it.skipIf(!enabled)('makes addresses on the node and imports its balance', async () => {
    const node = await startLitecoind();
    const dir = mkdtempSync(join(tmpdir(), 'cryptoassets-cli-'));
    try {
      await node.mine(coinbaseMaturityBlocks + 1);
      const books = await node.createWallet();
      const funding = String(await books.rpc('getnewaddress', 'funding'));
      await node.rpc('sendtoaddress', funding, '1.5');
      // The backend counts coins at the coin's confirmation depth (2 in this config).
      await node.mine(2);
      const config = writeConfig(
        dir,
        'sqlite:./books.sqlite',
        `{ type: bitcoind, url: '${books.url}' }`,
      );
      const cli = (...args: string[]) => run(dir, ['--config', config, '--json', ...args]);
      expect(cli('init-db').code).toBe(0);
      expect(cli('account', 'create', 'alice').code).toBe(0);
      const address = JSON.parse(cli('address', 'new', '--account', 'alice').stdout);
      expect(address.address).toMatch(/^rltc1/);
      const labels = (await books.rpc('getaddressesbylabel', address.label)) as Record<
        string,
        unknown
      >;
      expect(Object.keys(labels)).toContain(address.address);
      expect(JSON.parse(cli('import-balance', '--account', 'alice').stdout).amount).toBe(
        '1.50000000',
      );
      expect(cli('audit').code).toBe(0);
    } finally {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
