// Runs one benchmark by name: `npm run bench -- NAME [OPTIONS]`. `--help` lists the benchmarks.
// A benchmark module exports `main(args)`, which resolves to the process exit code.
import process from 'node:process';

const benchmarks = {
  ledger: {
    summary: 'ledger transfers/s and lone-transfer latency vs raw SQL, on SQLite and PostgreSQL',
    load: () => import('./bench/ledger.mjs'),
  },
  concurrency: {
    summary:
      'ledger transfers/s with several processes on one PostgreSQL: row locks vs serializable',
    load: () => import('./bench/write-concurrency.mjs'),
  },
  deposits: {
    summary:
      'deposits/s through the service (walletnotify -> ledger -> webhook) vs raw gettransaction',
    load: () => import('./bench/deposits.mjs'),
  },
  witness: {
    summary:
      'witness key failover on simnet: time from first missed slot to the switch, vs a 30 s poller',
    load: () => import('./bench-witness.mjs'),
  },
  chain: {
    summary: 'devnet mining hashes/s vs node:crypto, block import speed, memory of 100k blocks',
    load: () => import('./bench-chain.mjs'),
  },
};

function listing() {
  const width = Math.max(...Object.keys(benchmarks).map((name) => name.length));
  const lines = Object.entries(benchmarks).map(
    ([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`,
  );
  return [
    'usage: npm run bench -- NAME [OPTIONS]   (NAME --help for its options)',
    '',
    'benchmarks:',
    ...lines,
    '',
  ].join('\n');
}

async function run(argv) {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(listing());
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(`bench: name a benchmark\n\n${listing()}`);
    return 1;
  }
  if (!Object.hasOwn(benchmarks, name)) {
    process.stderr.write(`bench: unknown benchmark ${JSON.stringify(name)}\n\n${listing()}`);
    return 1;
  }
  const benchmark = await benchmarks[name].load();
  return benchmark.main(args);
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
}
