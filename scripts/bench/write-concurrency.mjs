// Benchmark: several processes writing to one PostgreSQL through the ledger's write path, under
// each way it keeps batches correct: row locks taken in account-id order (read committed), or
// serializable transactions retried whole on a conflict. Each process runs 64 concurrent callers
// of `transfer` over the same funded accounts; the totals, the retries and the audit are printed.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getCoinProfile } from '@cryptoassets/core';
import { openDatabase, openLedger, redact } from '@cryptoassets/ledger';
import {
  isPostgresReachable,
  openOfflineBooks,
  postgresTestUrl,
} from '@cryptoassets/ledger/testing';
import { sql } from 'kysely';

const modes = ['row-locks', 'serializable'];
const callersPerProcess = 64;
const accountCount = 10_000;
const fundingMinor = 1_000_000n;
const processesDefault = 2;
const processesMax = 8;
const secondsDefault = 5;
const secondsMax = 60;
const childStartMsMax = 30_000;
const walletName = 'bench';

const usage = `usage: npm run bench -- concurrency [--json] [--seconds N] [--processes P]

Transfers/s when P processes (default ${processesDefault}) share one PostgreSQL, each with
${callersPerProcess} concurrent callers of ledger.transfer over ${accountCount} accounts, under
each write concurrency control: ${modes.join(', ')}. Prints transfers/s, batches retried after a
conflict, and whether the audit is clean.

  --json          machine-readable result on stdout
  --seconds N     timed window per mode, 1..${secondsMax} (default ${secondsDefault})
  --processes P   writer processes, 1..${processesMax} (default ${processesDefault})
  --help          this text

PostgreSQL comes from CRYPTOASSETS_TEST_POSTGRES_URL (default ${postgresTestUrl}).
`;

export async function main(args) {
  let options;
  try {
    options = parseOptions(args);
  } catch (error) {
    process.stderr.write(`bench concurrency: ${error.message}\n\n${usage}`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (!(await isPostgresReachable())) {
    process.stderr.write(
      `bench concurrency: PostgreSQL at ${redact(postgresTestUrl)} is not reachable\n`,
    );
    return 1;
  }
  const results = [];
  for (const mode of modes) results.push(await benchMode(mode, options));
  const report = {
    benchmark: 'concurrency',
    processes: options.processes,
    callersPerProcess,
    accounts: accountCount,
    seconds: options.seconds,
    results,
  };
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : table(report));
  return results.every((result) => result.auditClean) ? 0 : 1;
}

function parseOptions(args) {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      seconds: { type: 'string', default: String(secondsDefault) },
      processes: { type: 'string', default: String(processesDefault) },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const seconds = Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > secondsMax)
    throw new Error(`--seconds: expected a whole number 1..${secondsMax}, got ${values.seconds}`);
  const processes = Number(values.processes);
  if (!Number.isInteger(processes) || processes < 1 || processes > processesMax)
    throw new Error(
      `--processes: expected a whole number 1..${processesMax}, got ${values.processes}`,
    );
  return { json: values.json, seconds, processes, help: values.help };
}

/** Fresh books, funded accounts, P child processes for the window, then the audit. */
async function benchMode(mode, options) {
  const books = await openOfflineBooks('postgres');
  try {
    await fundAccounts(books);
    const children = Array.from({ length: options.processes }, () =>
      runChild({ url: books.testDatabase.url, mode, seconds: options.seconds }),
    );
    const outcomes = await Promise.all(children);
    const audit = await books.ledger.audit();
    const transfers = outcomes.reduce((sum, outcome) => sum + outcome.transfers, 0);
    const seconds = Math.max(...outcomes.map((outcome) => outcome.seconds));
    return {
      mode,
      transfers,
      perSecond: Math.round(transfers / seconds),
      batches: outcomes.reduce((sum, outcome) => sum + outcome.batches, 0),
      retries: outcomes.reduce((sum, outcome) => sum + outcome.retries, 0),
      unresolved: outcomes.reduce((sum, outcome) => sum + outcome.unresolved, 0),
      failed: outcomes.reduce((sum, outcome) => sum + outcome.failed, 0),
      auditClean:
        audit.mismatches.length === 0 && audit.total === fundingMinor * BigInt(accountCount),
    };
  } finally {
    await books.close();
  }
}

async function fundAccounts(books) {
  const wallet = await books.ledger.getOrCreateWallet(walletName);
  const db = books.testDatabase.database.kysely;
  const symbol = books.ledger.coin.symbol;
  const account = sql.table(`${symbol}_account`);
  const transaction = sql.table(`${symbol}_transaction`);
  await db.transaction().execute(async (tx) => {
    await sql`
      insert into ${account} (wallet_id, name, kind, balance, created_at)
      select ${wallet.id}, 'bench-' || n, 'user', ${fundingMinor}, now()
      from generate_series(1, ${accountCount}) as n`.execute(tx);
    await sql`
      insert into ${transaction} (wallet_id, kind, state, amount, receiving_account_id, label, created_at)
      select wallet_id, 'balance_import', 'balance_import', balance, id, 'balance import', created_at
      from ${account} where wallet_id = ${wallet.id} and kind = 'user'`.execute(tx);
  });
}

function runChild({ url, mode, seconds }) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', url, mode, String(seconds)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000 + childStartMsMax);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`writer process exited with ${code}`));
      try {
        resolve(JSON.parse(output));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** One writer process: its own Ledger on the shared schema, 64 callers until time is up. */
async function child([url, mode, secondsText]) {
  const profile = getCoinProfile('ltc');
  const coin = {
    symbol: 'ltc',
    profile,
    network: 'regtest',
    confirmations: 3,
    maxConfirmationCount: 15,
    backend: { type: 'offline' },
  };
  const database = openDatabase(url, { poolSize: 4 });
  const ledger = openLedger({ database, coin, writeConcurrency: mode });
  try {
    const wallet = await ledger.getWallet(walletName);
    const accounts = (await ledger.listAccounts(wallet)).filter((a) => a.kind === 'user');
    let transfers = 0;
    let failed = 0;
    const startedMs = performance.now();
    const deadlineMs = startedMs + Number(secondsText) * 1000;
    const caller = async () => {
      while (performance.now() < deadlineMs) {
        const i = Math.floor(Math.random() * accounts.length);
        const j = (i + 1 + Math.floor(Math.random() * (accounts.length - 1))) % accounts.length;
        try {
          await ledger.transfer({ from: accounts[i], to: accounts[j], amount: 1n });
          transfers++;
        } catch (error) {
          // Serializable batches can lose every retry to the other writers: count, go on.
          if (error?.code !== 'CANNOT_RESOLVE_DATABASE_CONFLICT') throw error;
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: callersPerProcess }, caller));
    const { retries, unresolved } = ledger.resolver.counters;
    const outcome = {
      transfers,
      failed,
      seconds: (performance.now() - startedMs) / 1000,
      batches: ledger.writerCounters.batches,
      retries,
      unresolved,
    };
    process.stdout.write(JSON.stringify(outcome));
  } finally {
    await database.close();
  }
}

function table(report) {
  const lines = [
    `${'mode'.padEnd(14)}${'transfers/s'.padStart(13)}${'batches'.padStart(10)}${'retried'.padStart(10)}${'gave up'.padStart(10)}  audit`,
    ...report.results.map(
      (r) =>
        `${r.mode.padEnd(14)}${String(r.perSecond).padStart(13)}${String(r.batches).padStart(10)}${String(r.retries).padStart(10)}${String(r.failed).padStart(10)}  ${r.auditClean ? 'clean' : 'NOT CLEAN'}`,
    ),
    '',
    `${report.processes} processes x ${report.callersPerProcess} callers, ${report.accounts} accounts, ${report.seconds} s per mode`,
  ];
  return `${lines.join('\n')}\n`;
}

if (process.argv[2] === '--child') {
  child(process.argv.slice(3)).catch((error) => {
    const cause = error.cause ?? error;
    process.stderr.write(
      `writer process: ${error.message}: ${cause.message} ${cause.detail ?? ''} ${cause.where ?? ''}\n`,
    );
    process.exitCode = 2;
  });
}
