// Holds, idempotency keys, references and metadata from the command line, on SQLite and
// PostgreSQL books with an offline backend: what the commands print, how they exit, and that a
// refused command writes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeP2pkh, getCoinProfile } from '@cryptoassets/core';
import {
  createTestDatabase,
  dialectsUnderTest,
  type TestDatabase,
} from '@cryptoassets/ledger/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, runInProcess } from './support.js';

type Json = Record<string, unknown>;

function expectOneLineError(result: Run, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

function writeConfig(dir: string, url: string): string {
  const path = join(dir, 'cryptoassets.yaml');
  writeFileSync(
    path,
    `database:\n  url: ${url}\ncoins:\n  ltc:\n    network: regtest\n    confirmations: 2\n    backend: { type: offline, balance: '2.5' }\n`,
  );
  return path;
}

/** An ltc regtest address nobody in the books owns: a send to it is external. */
const externalAddress = (): string =>
  encodeP2pkh(
    getCoinProfile('ltc')!,
    'regtest',
    Uint8Array.from({ length: 20 }, (_, i) => i + 7),
  );

const tables = ['ltc_transaction', 'ltc_hold', 'ltc_idempotency', 'ltc_account'] as const;

for (const dialect of await dialectsUnderTest()) {
  describe(`holds and retry-safe movements on ${dialect}`, () => {
    let dir: string;
    let db: TestDatabase;
    let config: string;
    const cli = (...args: string[]) => runInProcess(['--config', config, ...args]);
    const json = async (...args: string[]) => {
      const result = await cli('--json', ...args);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as Json;
    };
    const jsonList = async (...args: string[]) => (await json(...args)) as unknown as Json[];
    /** Rows of each book table, and alice's balance and held amount as stored. */
    const snapshot = async () => {
      const counts: Record<string, number> = {};
      for (const table of tables) {
        const { rows } = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(
          table,
        )}`.execute(db.database.kysely);
        counts[table] = Number(rows[0]?.n);
      }
      const { rows } = await sql<{
        balance: unknown;
        held: unknown;
      }>`select balance, held from ${sql.table('ltc_account')} where name = 'alice'`.execute(
        db.database.kysely,
      );
      return { counts, alice: { balance: String(rows[0]?.balance), held: String(rows[0]?.held) } };
    };
    const balanceOf = async (account: string) => {
      const found = await json('balance', '--account', account);
      return { balance: found.balance, held: found.held, available: found.available };
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cryptoassets-holds-'));
      db = await createTestDatabase(dialect);
      config = writeConfig(dir, db.url);
      await json('init-db');
      await json('account', 'create', 'alice');
      await json('account', 'create', 'bob');
      await json('account', 'create', 'carol');
      expect((await json('import-balance', '--account', 'alice')).amount).toBe('2.50000000');
    });
    afterAll(async () => {
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    let captured: number;

    it('a hold reserves part of the balance: balance shows held and available', async () => {
      const before = Date.now();
      const hold = await json(
        'hold',
        'create',
        '--account',
        'alice',
        '--amount',
        '1',
        '--expires-in',
        '10m',
        '--reference',
        'order-1',
        '--meta',
        'order=1',
      );
      captured = Number(hold.id);
      expect(hold).toMatchObject({
        state: 'active',
        amount: '1.00000000',
        captured: '0.00000000',
        reference: 'order-1',
        metadata: { order: '1' },
        settled_at: null,
        replayed: false,
      });
      const expiresAt = Date.parse(String(hold.expires_at));
      expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000 - 1_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000 + 1_000);

      expect(await balanceOf('alice')).toEqual({
        balance: '2.50000000',
        held: '1.00000000',
        available: '1.50000000',
      });
      const all = await json('balance');
      expect(all).toMatchObject({
        total: '2.50000000',
        held: '1.00000000',
        available: '1.50000000',
      });
      const alice = (all.accounts as Json[]).find((a) => a.name === 'alice');
      expect(alice).toMatchObject({
        balance: '2.50000000',
        held: '1.00000000',
        available: '1.50000000',
      });

      const text = await cli('balance');
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^account\s+balance \(ltc\)\s+held\s+available$/m);
      expect(text.stdout).toMatch(/^alice\s+2\.50000000\s+1\.00000000\s+1\.50000000$/m);
      const one = await cli('balance', '--account', 'alice');
      expect(one.stdout).toMatch(/held 1\.00000000, available 1\.50000000/);
    });

    it('refuses a transfer of more than the available balance, in one line, writing nothing', async () => {
      const before = await snapshot();
      expectOneLineError(
        await cli('transfer', '--from', 'alice', '--to', 'bob', '--amount', '2'),
        /account alice does not have enough balance/,
      );
      expectOneLineError(
        await cli('hold', 'create', '--account', 'alice', '--amount', '1.6'),
        /account alice does not have enough balance/,
      );
      expect(await snapshot()).toEqual(before);
    });

    it('captures part of a hold: the rest is released, the hold ends', async () => {
      const text = await cli(
        'hold',
        'capture',
        String(captured),
        '--to',
        'bob',
        '--amount',
        '0.4',
        '--idempotency-key',
        'capture-1',
      );
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(
          `^captured 0\\.40000000 ltc of hold ${captured} to bob \\(transaction \\d+\\); 0\\.60000000 ltc released\\n$`,
        ),
      );
      expect(await balanceOf('alice')).toEqual({
        balance: '2.10000000',
        held: '0.00000000',
        available: '2.10000000',
      });
      expect(await balanceOf('bob')).toEqual({
        balance: '0.40000000',
        held: '0.00000000',
        available: '0.40000000',
      });
      const shown = await json('hold', 'show', String(captured));
      expect(shown).toMatchObject({ id: captured, state: 'captured', captured: '0.40000000' });
      expect(shown.settled_at).not.toBeNull();

      // The same capture again with its key: the first result, nothing moved.
      const replay = await json(
        'hold',
        'capture',
        String(captured),
        '--to',
        'bob',
        '--amount',
        '0.4',
        '--idempotency-key',
        'capture-1',
      );
      expect(replay.replayed).toBe(true);
      const transaction = replay.transaction as Json;
      expect(transaction).toMatchObject({ amount: '0.40000000', hold_id: captured });
      expect((replay.hold as Json).state).toBe('captured');
      expect((await balanceOf('bob')).balance).toBe('0.40000000');
      const listed = await jsonList('transactions', '--account', 'bob');
      expect(listed.filter((t) => t.hold_id === captured).map((t) => t.id)).toEqual([
        transaction.id,
      ]);
    });

    it('refuses to end a hold twice (HOLD_NOT_ACTIVE)', async () => {
      const before = await snapshot();
      expectOneLineError(
        await cli('hold', 'capture', String(captured), '--to', 'bob'),
        new RegExp(`hold ${captured} is captured, not active`),
      );
      expectOneLineError(
        await cli('hold', 'release', String(captured)),
        new RegExp(`hold ${captured} is captured, not active`),
      );
      expect(await snapshot()).toEqual(before);
    });

    it('releases another hold: its amount is available again', async () => {
      const hold = await json('hold', 'create', '--account', 'alice', '--amount', '0.5');
      expect(hold.expires_at).toBeNull();
      expect((await balanceOf('alice')).available).toBe('1.60000000');
      const text = await cli('hold', 'release', String(hold.id));
      expect(text.code).toBe(0);
      expect(text.stdout).toBe(
        `released hold ${hold.id}: 0.50000000 ltc of alice is available again\n`,
      );
      expect(await balanceOf('alice')).toEqual({
        balance: '2.10000000',
        held: '0.00000000',
        available: '2.10000000',
      });
      const released = await jsonList('hold', 'list', '--state', 'released');
      expect(released.map((h) => h.id)).toEqual([hold.id]);
      expect(released[0]).toMatchObject({ state: 'released', amount: '0.50000000' });
      const all = await jsonList('hold', 'list', '--account', 'alice');
      expect(all.map((h) => h.id)).toEqual([hold.id, captured]);
      expect((await jsonList('hold', 'list', '--limit', '1')).length).toBe(1);
      expect(await jsonList('hold', 'list', '--account', 'bob')).toEqual([]);
      const table = await cli('hold', 'list');
      expect(table.stdout).toMatch(
        /^id\s+account\s+state\s+amount\s+captured\s+expires\s+reference$/m,
      );
      expect(table.stdout).toMatch(
        new RegExp(
          `^${captured}\\s+alice\\s+captured\\s+1\\.00000000\\s+0\\.40000000\\s+\\S+\\s+order-1$`,
          'm',
        ),
      );
      expectOneLineError(await cli('hold', 'show', '999999'), /hold 999999 not found/);
      expectOneLineError(await cli('hold', 'show', 'x'), /hold id/);
    });

    it('replays a transfer with the same idempotency key and refuses a changed one', async () => {
      const args = ['transfer', '--from', 'alice', '--to', 'bob', '--amount', '0.1'];
      const first = await json(...args, '--idempotency-key', 'pay-1');
      expect(first.replayed).toBe(false);
      const before = await snapshot();

      const again = await cli(...args, '--idempotency-key', 'pay-1');
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(new RegExp(`^replay of transaction ${first.id}\\b`));
      const replay = await json(...args, '--idempotency-key', 'pay-1');
      expect(replay).toEqual({ ...first, replayed: true });
      expect(await snapshot()).toEqual(before);

      expectOneLineError(
        await cli(
          'transfer',
          '--from',
          'alice',
          '--to',
          'bob',
          '--amount',
          '0.2',
          '--idempotency-key',
          'pay-1',
        ),
        /idempotency key "pay-1" was used for another request \(differs in amount\)/,
      );
      expect(await snapshot()).toEqual(before);
      expect((await balanceOf('bob')).balance).toBe('0.50000000');
    });

    it('refuses a reference the wallet has used, and finds a transaction by reference', async () => {
      const first = await json(
        'transfer',
        '--from',
        'alice',
        '--to',
        'bob',
        '--amount',
        '0.05',
        '--reference',
        'inv-7',
      );
      expect(first.reference).toBe('inv-7');
      const before = await snapshot();
      expectOneLineError(
        await cli(
          'transfer',
          '--from',
          'alice',
          '--to',
          'carol',
          '--amount',
          '0.05',
          '--reference',
          'inv-7',
        ),
        /already has reference "inv-7"/,
      );
      expect(await snapshot()).toEqual(before);
      const found = await jsonList('transactions', '--reference', 'inv-7');
      expect(found.map((t) => t.id)).toEqual([first.id]);
      expect(await jsonList('transactions', '--reference', 'nothing-here')).toEqual([]);
    });

    it('stores --meta and prints it back with the transaction', async () => {
      const sent = await json(
        'transfer',
        '--from',
        'alice',
        '--to',
        'carol',
        '--amount',
        '0.01',
        '--reference',
        'meta-1',
        '--meta',
        'order=17',
        '--meta',
        'note=a=b',
        '--meta',
        'empty=',
      );
      const metadata = { order: '17', note: 'a=b', empty: '' };
      expect(sent.metadata).toEqual(metadata);
      const [found] = await jsonList('transactions', '--reference', 'meta-1');
      expect(found).toMatchObject({
        id: sent.id,
        reference: 'meta-1',
        metadata,
        hold_id: null,
        amount: '0.01000000',
      });
      // A transfer without any has null reference and metadata.
      const plain = await json('transfer', '--from', 'alice', '--to', 'carol', '--amount', '0.01');
      expect(plain).toMatchObject({
        reference: null,
        metadata: null,
        hold_id: null,
        replayed: false,
      });
    });

    it('replays a send with the same idempotency key: nothing is queued twice', async () => {
      const args = [
        'send',
        '--from',
        'alice',
        '--to',
        externalAddress(),
        '--amount',
        '0.02',
        '--idempotency-key',
        'send-1',
        '--reference',
        'payout-1',
        '--meta',
        'user=42',
      ];
      const first = await json(...args);
      expect(first).toMatchObject({
        state: 'pending',
        reference: 'payout-1',
        metadata: { user: '42' },
        replayed: false,
      });
      const before = await snapshot();
      const again = await cli(...args);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(
        new RegExp(`^replay of transaction ${first.id} .*nothing was sent again\\n$`),
      );
      expect(await json(...args)).toEqual({ ...first, replayed: true });
      expect(await snapshot()).toEqual(before);
      const pending = await jsonList('transactions', '--state', 'pending');
      expect(pending.map((t) => t.id)).toEqual([first.id]);
    });

    it('refuses bad --meta, --expires-in, --idempotency-key and --reference before writing anything', async () => {
      const before = await snapshot();
      const transfer = ['transfer', '--from', 'alice', '--to', 'bob', '--amount', '0.01'];
      const hold = ['hold', 'create', '--account', 'alice', '--amount', '0.01'];
      const refused: [string[], RegExp][] = [
        [[...transfer, '--meta', 'novalue'], /^error: --meta: expected key=value, got "novalue"/],
        [[...transfer, '--meta', '=x'], /^error: --meta: the key of "=x" is empty/],
        [[...transfer, '--meta', 'a=1', '--meta', 'a=2'], /--meta: the key "a" is given twice/],
        [[...transfer, '--meta', `big=${'x'.repeat(5_000)}`], /--meta: at most 4096 bytes/],
        [[...hold, '--meta', 'novalue'], /--meta: expected key=value/],
        [[...transfer, '--idempotency-key', 'has space'], /--idempotency-key: expected 1\.\.128/],
        [[...transfer, '--idempotency-key', ''], /--idempotency-key/],
        [[...transfer, '--reference', ''], /--reference: expected 1\.\.128/],
        [[...transfer, '--reference', 'r'.repeat(129)], /--reference/],
        [['transactions', '--reference', ''], /--reference/],
        ...['10', '0s', '366d', '1w', '1.5h', '-5m', 'm', '10 m', '010m', ''].map(
          (duration): [string[], RegExp] => [
            [...hold, '--expires-in', duration],
            /^error: --expires-in: expected a duration from 1s to 365d .*such as 90s, 10m, 2h or 7d/,
          ],
        ),
        [['hold', 'capture', '0', '--to', 'bob'], /hold id/],
        [['hold', 'capture', String(captured), '--to', 'bob', '--amount', '-1'], /--amount/],
        [['hold', 'release', String(captured), '--idempotency-key', 'a\tb'], /--idempotency-key/],
      ];
      for (const [args, pattern] of refused) expectOneLineError(await cli(...args), pattern);
      // The wallet named does not exist: refused, and not created.
      expectOneLineError(
        await cli('--wallet', 'nope', 'hold', 'create', '--account', 'alice', '--amount', '0.1'),
        /wallet "nope" not found/,
      );
      expectOneLineError(await cli('--wallet', 'nope', 'hold', 'list'), /wallet "nope" not found/);
      expect(await snapshot()).toEqual(before);
    });

    it('accepts the longest durations and replays a hold with its key', async () => {
      const year = await json(
        'hold',
        'create',
        '--account',
        'alice',
        '--amount',
        '0.01',
        '--expires-in',
        '365d',
        '--idempotency-key',
        'hold-1',
      );
      const expiresInMs = Date.parse(String(year.expires_at)) - Date.parse(String(year.created_at));
      expect(Math.abs(expiresInMs - 365 * 86_400_000)).toBeLessThan(5_000);
      const again = await json(
        'hold',
        'create',
        '--account',
        'alice',
        '--amount',
        '0.01',
        '--expires-in',
        '365d',
        '--idempotency-key',
        'hold-1',
      );
      expect(again).toMatchObject({ id: year.id, replayed: true });
      const text = await cli(
        'hold',
        'create',
        '--account',
        'alice',
        '--amount',
        '0.01',
        '--expires-in',
        '365d',
        '--idempotency-key',
        'hold-1',
      );
      expect(text.stdout).toMatch(new RegExp(`^replay of hold ${year.id}\\b`));
      expect((await jsonList('hold', 'list', '--state', 'active')).map((h) => h.id)).toEqual([
        year.id,
      ]);
      const released = await json('hold', 'release', String(year.id), '--idempotency-key', 'rel-1');
      expect(released).toMatchObject({ state: 'released', replayed: false });
      expect(
        await json('hold', 'release', String(year.id), '--idempotency-key', 'rel-1'),
      ).toMatchObject({ id: year.id, state: 'released', replayed: true });
      expect((await json('audit')).clean).toBe(true);
    });
  });
}

describe('hold --help', () => {
  it('teaches the commands with examples and exits 0', async () => {
    const result = await runInProcess(['hold', '--help']);
    expect(result.code).toBe(0);
    for (const command of ['create', 'capture', 'release', 'list', 'show'])
      expect(result.stdout).toContain(command);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toMatch(/--expires-in 10m/);
  });
});
