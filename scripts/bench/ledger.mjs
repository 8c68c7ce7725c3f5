// Benchmark: internal transfers per second with concurrent clients over many funded accounts.
// The ledger's API (`ledger.transfer`) runs side by side with a baseline that makes the same
// transfer in raw SQL through the same driver, on the same tables, on SQLite and on PostgreSQL.
// Each side gets fresh books and a warm-up; then they take turns in short timed rounds.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { redact } from '@cryptoassets/ledger';
import {
  isPostgresReachable,
  openOfflineBooks,
  postgresTestUrl,
} from '@cryptoassets/ledger/testing';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';

const clientCount = 8;
const accountCount = 10_000;
const fundingMinor = 1_000_000n;
const transferMinor = 1n;
const secondsDefault = 5;
const secondsMax = 60;
const roundCount = 5;
const warmupMs = 1_000;
const attemptsMax = 8;
const retryDelayMsMin = 2;
const retryDelayMsMax = 200;
const sqliteBusyTimeoutMs = 5_000;
const ratioTarget = 0.7;
const progressIntervalMs = 250;
const walletName = 'bench';
const postgresRetryableCodes = new Set(['40001', '40P01']);
const sqliteRetryableCodes = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);

const usage = `usage: npm run bench -- ledger [--json] [--seconds N]

Internal transfers per second with ${clientCount} concurrent clients over ${accountCount} accounts:
the ledger's API beside the same transfer in raw SQL, on SQLite and on PostgreSQL.

  --json        machine-readable result on stdout
  --seconds N   timed window per side, 1..${secondsMax} (default ${secondsDefault})
  --help        this text

PostgreSQL comes from CRYPTOASSETS_TEST_POSTGRES_URL (default ${postgresTestUrl});
when it is unreachable it is skipped, unless CI=true, which makes that an error.
`;

export async function main(args) {
  let options;
  try {
    options = parseOptions(args);
  } catch (error) {
    process.stderr.write(`bench ledger: ${error.message}\n\n${usage}`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  const durationMs = options.seconds * 1000;
  const progress = progressReporter();
  const skipped = [];
  if (!(await isPostgresReachable())) {
    const reason = `PostgreSQL at ${redact(postgresTestUrl)} is not reachable`;
    if (process.env.CI === 'true') {
      process.stderr.write(`bench ledger: ${reason} (required under CI=true)\n`);
      return 1;
    }
    process.stderr.write(`bench ledger: ${reason}: skipped (set CI=true to fail instead)\n`);
    skipped.push({ database: 'postgres', reason });
  }
  const results = [];
  for (const dialect of ['sqlite', 'postgres']) {
    if (skipped.some((skip) => skip.database === dialect)) continue;
    results.push(await benchDatabase(dialect, durationMs, progress));
  }
  const report = {
    benchmark: 'ledger',
    clients: clientCount,
    accounts: accountCount,
    secondsPerSide: options.seconds,
    rounds: roundCount,
    warmupSecondsPerSide: warmupMs / 1000,
    ratioTarget,
    results,
    skipped,
  };
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : table(report));
  return results.every((result) => result.ledger.auditClean && result.baseline.consistent) ? 0 : 1;
}

function parseOptions(args) {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      seconds: { type: 'string', default: String(secondsDefault) },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const seconds = Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > secondsMax)
    throw new Error(`--seconds: expected a whole number 1..${secondsMax}, got ${values.seconds}`);
  return { json: values.json, seconds, help: values.help };
}

// ---- one database: baseline and ledger, round by round --------------------------------------

/**
 * Both sides get fresh funded books and an untimed warm-up, then take turns in `roundCount`
 * timed rounds (baseline first), so a change in the machine's load falls on both sides alike.
 */
async function benchDatabase(dialect, durationMs, progress) {
  progress.note(`${dialect}: creating and funding 2 × ${accountCount} accounts`);
  const baselineBooks = await openFundedBooks(dialect);
  const ledgerBooks = await openFundedBooks(dialect);
  const raw =
    dialect === 'sqlite'
      ? openSqliteBaseline(baselineBooks.books)
      : openPostgresBaseline(baselineBooks.books);
  const { ledger } = ledgerBooks.books;
  const sides = [
    { name: 'baseline', accounts: baselineBooks.accounts, transfer: raw.transfer },
    {
      name: 'ledger',
      accounts: ledgerBooks.accounts,
      transfer: (from, to) => ledger.transfer({ from, to, amount: transferMinor }),
    },
  ];
  try {
    for (const side of sides) {
      side.warmup = await drive({
        ...side,
        durationMs: warmupMs,
        onProgress: (done, elapsedMs) =>
          progress({
            label: `${dialect} ${side.name}, warm-up`,
            done,
            elapsedMs,
            durationMs: warmupMs,
          }),
      });
      side.rounds = [];
    }
    const retriesAfterWarmup = {
      baseline: raw.retries(),
      ledger: ledger.resolver.counters.retries,
    };
    const roundMs = durationMs / roundCount;
    for (let roundIndex = 0; roundIndex < roundCount; roundIndex++) {
      for (const side of sides) {
        const before = totals(side.rounds);
        const run = await drive({
          ...side,
          durationMs: roundMs,
          onProgress: (done, elapsedMs) =>
            progress({
              label: `${dialect} ${side.name}, round ${roundIndex + 1}/${roundCount}`,
              done: before.transfers + done,
              elapsedMs: before.seconds * 1000 + elapsedMs,
              durationMs,
            }),
        });
        side.rounds.push(run);
      }
    }
    progress.clear();
    const [baselineSide, ledgerSide] = sides;
    const internal = await countInternal(baselineBooks.books);
    const audit = await ledger.audit();
    const baseline = {
      ...summary(baselineSide.rounds),
      retries: raw.retries() - retriesAfterWarmup.baseline,
      consistent:
        internal === baselineSide.warmup.transfers + totals(baselineSide.rounds).transfers,
    };
    const ledgerResult = {
      ...summary(ledgerSide.rounds),
      retries: ledger.resolver.counters.retries - retriesAfterWarmup.ledger,
      auditClean:
        audit.mismatches.length === 0 && audit.total === fundingMinor * BigInt(accountCount),
      auditMismatches: audit.mismatches.length,
    };
    return {
      database: dialect,
      baseline,
      ledger: ledgerResult,
      ratio: round(rate(totals(ledgerSide.rounds)) / rate(totals(baselineSide.rounds)), 3),
    };
  } finally {
    progress.clear();
    await raw.close();
    await baselineBooks.books.close();
    await ledgerBooks.books.close();
  }
}

function totals(runs) {
  return {
    transfers: runs.reduce((sum, run) => sum + run.transfers, 0),
    seconds: runs.reduce((sum, run) => sum + run.seconds, 0),
  };
}

function rate({ transfers, seconds }) {
  return transfers / seconds;
}

function summary(runs) {
  const all = totals(runs);
  return {
    transfers: all.transfers,
    seconds: round(all.seconds, 3),
    perSecond: Math.round(rate(all)),
    perSecondByRound: runs.map((run) => Math.round(rate(run))),
  };
}

/** Fresh migrated books of the dialect with `accountCount` funded accounts. */
async function openFundedBooks(dialect) {
  const books = await openOfflineBooks(dialect, { poolSize: clientCount });
  try {
    return { books, accounts: await fundAccounts(books) };
  } catch (error) {
    await books.close();
    throw error;
  }
}

/**
 * Creates the accounts in bulk with SQL, each funded by one `balance_import` transaction, so the
 * books stay consistent for the audit. Returns the account references `transfer` takes.
 */
async function fundAccounts(books) {
  const wallet = await books.ledger.getOrCreateWallet(walletName);
  const db = books.testDatabase.database.kysely;
  const account = sql.table(`${books.ledger.coin.symbol}_account`);
  const transaction = sql.table(`${books.ledger.coin.symbol}_transaction`);
  const walletTable = sql.table(`${books.ledger.coin.symbol}_wallet`);
  await db.transaction().execute(async (tx) => {
    await sql`
      with recursive n(i) as (select 1 union all select i + 1 from n where i < ${accountCount})
      insert into ${account} (wallet_id, name, kind, balance, created_at)
      select w.id, 'bench-' || n.i, 'user', cast(${fundingMinor} as bigint), w.created_at
      from n cross join ${walletTable} w where w.id = ${wallet.id}`.execute(tx);
    await sql`
      insert into ${transaction}
        (wallet_id, kind, state, amount, receiving_account_id, label, created_at)
      select wallet_id, 'balance_import', 'balance_import', balance, id, 'balance import',
        created_at
      from ${account} where wallet_id = ${wallet.id} and kind = 'user'`.execute(tx);
  });
  const { rows } = await sql`
    select id, name from ${account} where wallet_id = ${wallet.id} and kind = 'user'
    order by id`.execute(db);
  if (rows.length !== accountCount)
    throw new Error(`setup created ${rows.length} accounts, expected ${accountCount}`);
  return rows.map((row) => ({ id: Number(row.id), walletId: wallet.id, name: row.name }));
}

async function countInternal(books) {
  const transaction = sql.table(`${books.ledger.coin.symbol}_transaction`);
  const { rows } = await sql`
    select count(*) as n from ${transaction} where kind = 'internal'`.execute(
    books.testDatabase.database.kysely,
  );
  return Number(rows[0].n);
}

// ---- the clients -----------------------------------------------------------------------------

/** Runs `clientCount` clients making transfers between random distinct accounts until time is up. */
async function drive({ accounts, durationMs, transfer, onProgress }) {
  let transfers = 0;
  let reportedAtMs = 0;
  const startedMs = performance.now();
  const deadlineMs = startedMs + durationMs;
  const client = async () => {
    for (let nowMs = startedMs; nowMs < deadlineMs; nowMs = performance.now()) {
      const [from, to] = randomPair(accounts);
      await transfer(from, to);
      transfers++;
      // Reported from the loop: SQLite work is synchronous and would starve a timer.
      if (nowMs - reportedAtMs >= progressIntervalMs) {
        reportedAtMs = nowMs;
        onProgress(transfers, nowMs - startedMs);
      }
    }
  };
  await Promise.all(Array.from({ length: clientCount }, client));
  return { transfers, seconds: (performance.now() - startedMs) / 1000 };
}

function randomPair(accounts) {
  const i = Math.floor(Math.random() * accounts.length);
  const j = (i + 1 + Math.floor(Math.random() * (accounts.length - 1))) % accounts.length;
  return [accounts[i], accounts[j]];
}

// ---- the raw SQL baselines -------------------------------------------------------------------

/**
 * PostgreSQL: a pool of `clientCount` connections; each transfer is one serializable
 * transaction, retried with jittered backoff on serialization failures and deadlocks.
 */
function openPostgresBaseline(books) {
  const prefix = `${books.ledger.coin.symbol}_`;
  const pool = new pg.Pool({ connectionString: books.testDatabase.url, max: clientCount });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on the next checkout.
  });
  const debit = `update ${prefix}account set balance = balance - $1 where id = $2 and balance >= $1`;
  const credit = `update ${prefix}account set balance = balance + $1 where id = $2`;
  const insert = `insert into ${prefix}transaction
    (wallet_id, kind, state, amount, sending_account_id, receiving_account_id, label, created_at)
    values ($1, 'internal', 'internal', $2, $3, $4, null, $5) returning id`;
  let retries = 0;
  const once = async (from, to) => {
    const client = await pool.connect();
    try {
      await client.query('begin isolation level serializable');
      try {
        const debited = await client.query(debit, [transferMinor, from.id]);
        if (debited.rowCount !== 1) throw new Error(`account ${from.name}: not enough balance`);
        await client.query(credit, [transferMinor, to.id]);
        const created = new Date().toISOString();
        await client.query(insert, [from.walletId, transferMinor, from.id, to.id, created]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  };
  return {
    transfer: async (from, to) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(from, to);
        } catch (error) {
          if (!postgresRetryableCodes.has(error?.code) || attempt >= attemptsMax) throw error;
          retries++;
          await sleep(backoffMs(attempt));
        }
      }
    },
    retries: () => retries,
    close: () => pool.end(),
  };
}

/**
 * SQLite: one connection with the pragmas the ledger's driver sets. better-sqlite3 is
 * synchronous, so each transfer runs start to finish on the one connection while the async
 * clients take turns between transfers, as they do behind the ledger's driver.
 */
function openSqliteBaseline(books) {
  const prefix = `${books.ledger.coin.symbol}_`;
  const raw = new SqliteDatabase(books.testDatabase.url.slice('sqlite:'.length));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`busy_timeout = ${sqliteBusyTimeoutMs}`);
  raw.defaultSafeIntegers(true);
  const begin = raw.prepare('begin immediate');
  const commit = raw.prepare('commit');
  const rollback = raw.prepare('rollback');
  const debit = raw.prepare(
    `update ${prefix}account set balance = balance - ? where id = ? and balance >= ?`,
  );
  const credit = raw.prepare(`update ${prefix}account set balance = balance + ? where id = ?`);
  const insert = raw.prepare(`insert into ${prefix}transaction
    (wallet_id, kind, state, amount, sending_account_id, receiving_account_id, label, created_at)
    values (?, 'internal', 'internal', ?, ?, ?, null, ?)`);
  let retries = 0;
  const once = (from, to) => {
    begin.run();
    try {
      const debited = debit.run(transferMinor, from.id, transferMinor);
      if (debited.changes !== 1) throw new Error(`account ${from.name}: not enough balance`);
      credit.run(transferMinor, to.id);
      const created = new Date().toISOString();
      insert.run(from.walletId, transferMinor, from.id, to.id, created);
      commit.run();
    } catch (error) {
      if (raw.inTransaction) rollback.run();
      throw error;
    }
  };
  return {
    transfer: async (from, to) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return once(from, to);
        } catch (error) {
          if (!sqliteRetryableCodes.has(error?.code) || attempt >= attemptsMax) throw error;
          retries++;
          await sleep(backoffMs(attempt));
        }
      }
    },
    retries: () => retries,
    close: async () => raw.close(),
  };
}

function backoffMs(attempt) {
  const ceiling = Math.min(retryDelayMsMax, retryDelayMsMin * 2 ** attempt);
  return retryDelayMsMin + Math.random() * (ceiling - retryDelayMsMin);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- output ----------------------------------------------------------------------------------

/** Progress on stderr when it is a terminal; silent otherwise. */
function progressReporter() {
  const stderr = process.stderr;
  const report = ({ label, done, elapsedMs, durationMs }) => {
    if (!stderr.isTTY) return;
    const seconds = `${(elapsedMs / 1000).toFixed(1)}/${(durationMs / 1000).toFixed(0)} s`;
    stderr.write(`\r\x1b[K${label}: ${seconds}, ${done} transfers`);
  };
  report.note = (text) => {
    if (stderr.isTTY) stderr.write(`\r\x1b[K${text}`);
  };
  report.clear = () => {
    if (stderr.isTTY) stderr.write('\r\x1b[K');
  };
  return report;
}

function table(report) {
  const columns = [
    ['database', 10, (r) => r.database],
    ['baseline/s', 12, (r) => String(r.baseline.perSecond)],
    ['ledger/s', 10, (r) => String(r.ledger.perSecond)],
    ['ratio', 8, (r) => r.ratio.toFixed(2)],
    ['audit', 9, (r) => (r.ledger.auditClean ? 'clean' : 'NOT CLEAN')],
    ['retries b/l', 14, (r) => `${r.baseline.retries}/${r.ledger.retries}`],
  ];
  const cell = (text, width, index) => (index === 0 ? text.padEnd(width) : text.padStart(width));
  const row = (texts) => texts.map((text, index) => cell(text, columns[index][1], index)).join('');
  const lines = [
    row(columns.map(([title]) => title)),
    ...report.results.map((result) => row(columns.map(([, , value]) => value(result)))),
    ...report.skipped.map((skip) => `${skip.database.padEnd(10)}skipped: ${skip.reason}`),
    '',
    `${report.clients} clients, ${report.accounts} accounts, ${report.secondsPerSide} s per side ` +
      `in ${roundCount} alternating rounds after a ${warmupMs / 1000} s warm-up; ` +
      `target ratio >= ${report.ratioTarget}`,
  ];
  for (const result of report.results) {
    if (!result.ledger.auditClean)
      lines.push(
        `${result.database}: the ledger's audit found ${result.ledger.auditMismatches} mismatches`,
      );
    if (!result.baseline.consistent)
      lines.push(`${result.database}: the baseline's transactions do not match its transfer count`);
    if (result.ratio < report.ratioTarget)
      lines.push(`${result.database}: ratio ${result.ratio} is below the target`);
  }
  return `${lines.join('\n')}\n`;
}

function round(value, digits) {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
