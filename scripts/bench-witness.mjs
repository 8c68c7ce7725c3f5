// Benchmark: how fast the witness guard moves the signing key after a server stops, on the
// simnet. Per incident the server holding the key on chain stops; we measure the time from the
// first missed slot to the block that includes the key change, and the slots missed until the
// other server's first block. The guard (per-block monitor, switch on the first miss) runs beside
// a baseline shaped like the original switcher: it polls total_missed every 30 s (scaled by
// interval / 3 s) and switches after 3 misses. Both use the same signed key change, so only the
// detection differs. Run `npm run build` first: this imports the compiled packages.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, validateConfig } from '../packages/core/dist/index.js';
import {
  chainProfiles,
  changeKey,
  createChainClient,
  publicKeyOf,
  resolveGuardKeys,
  startOneGuard,
  toWif,
} from '../packages/witness/dist/index.js';
import { startSimnet, testSecret, testWitnesses } from '../packages/witness/dist/testing/index.js';

const intervalMsDefault = 3_000;
const intervalMsMin = 100;
const incidentsDefault = 20;
const incidentsMax = 200;
const witnessesDefault = 21;
const baselinePollS = 30;
const baselineMisses = 3;
const baselineVerifyS = 9;
const realIntervalS = 3;
/** An incident gives up after this many block intervals. */
const incidentIntervalsMax = 400;

const usage = `usage: npm run bench -- witness [--interval-ms N] [--incidents N] [--witnesses N] [--json]

Time from the first missed slot to the block that includes the key change, and slots missed per
incident, on a simnet: the guard beside a baseline that polls total_missed every ${baselinePollS} s (scaled
by interval / ${realIntervalS} s) and switches after ${baselineMisses} misses.

  --interval-ms N   block interval, >= ${intervalMsMin} (default ${intervalMsDefault}; 300 for a quick run)
  --incidents N     incidents per side, 1..${incidentsMax} (default ${incidentsDefault})
  --witnesses N     scheduled witnesses, 3..21 (default ${witnessesDefault})
  --json            machine-readable result on stdout
  --help            this text
`;

function parseOptions(args) {
  const { values } = parseArgs({
    args,
    options: {
      'interval-ms': { type: 'string' },
      incidents: { type: 'string' },
      witnesses: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const int = (name, text, fallback, min, max) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`--${name}: expected a whole number in ${min}..${max}`);
    return value;
  };
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    intervalMs: int('interval-ms', values['interval-ms'], intervalMsDefault, intervalMsMin, 60_000),
    incidents: int('incidents', values.incidents, incidentsDefault, 1, incidentsMax),
    witnesses: int('witnesses', values.witnesses, witnessesDefault, 3, 21),
  };
}

const logger = createLogger({ level: 'error' });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A simnet where alice has two servers, `a` (the key on chain) and `b` (the other key). */
async function setUp(options) {
  const profile = chainProfiles.hive;
  const names = ['alice', ...Array.from({ length: options.witnesses - 1 }, (_, i) => `w${i + 1}`)];
  const witnesses = testWitnesses(names);
  const sim = await startSimnet({
    profile,
    witnesses,
    blockIntervalMs: options.intervalMs,
    shuffle: false,
    defaultServers: true,
  });
  const secrets = [witnesses[0].signingSecret, testSecret('alice-bench-backup')];
  sim.addServer({ name: 'alice-b', account: 'alice', signingSecret: secrets[1] });
  const publics = secrets.map((secret) => publicKeyOf(secret, profile.prefix));
  const config = validateConfig({
    witnesses: {
      bench: {
        chain: 'hive',
        account: 'alice',
        nodes: [sim.url],
        signing_keys: publics.map((key, i) => ({ public: key, private: toWif(secrets[i]) })),
        verify_after_blocks: 1,
        reset_after_clean_checks: 1_000_000,
      },
    },
  }).witnesses.bench;
  return {
    sim,
    profile,
    publics,
    config,
    serverOf: { [publics[0]]: 'alice', [publics[1]]: 'alice-b' },
  };
}

/** The original switcher's loop: poll total_missed, switch after 3 new misses, wait, verify. */
function startBaseline(setup, options) {
  const { sim, profile, publics, config } = setup;
  const client = createChainClient({ profile, nodes: config.nodes });
  const scale = options.intervalMs / (realIntervalS * 1000);
  let stopped = false;
  const loop = (async () => {
    const keys = await resolveGuardKeys({ guard: 'baseline', config, prefix: profile.prefix });
    let counted = (await client.witness('alice')).totalMissed;
    while (!stopped) {
      await sleep(baselinePollS * 1000 * scale);
      if (stopped) break;
      const witness = await client.witness('alice').catch(() => undefined);
      if (witness === undefined) continue;
      if (witness.totalMissed - counted < baselineMisses) continue;
      const to = publics.find((key) => key !== witness.signingKey);
      await changeKey(
        {
          guard: 'baseline',
          client,
          profile,
          account: 'alice',
          keys,
          dryRun: false,
          verifyAfterBlocks: Math.max(
            1,
            Math.round((baselineVerifyS * 1000 * scale) / options.intervalMs),
          ),
          verifyRetriesMax: 3,
          waitForBlocks: (blocks) =>
            sim.waitForBlocks(blocks, (blocks + 10) * options.intervalMs).then(() => {}),
        },
        { from: witness.signingKey, to },
      );
      counted = (await client.witness('alice')).totalMissed;
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop.catch(() => {});
      client.close();
    },
  };
}

/** One incident: stop the server holding the key on chain, wait for the other's first block. */
async function incident(setup, options) {
  const { sim, serverOf } = setup;
  const key = sim.witness('alice').signingKey;
  const stopped = serverOf[key];
  const other = Object.values(serverOf).find((name) => name !== stopped);
  let firstMissMs;
  let switchMs;
  let missed = 0;
  let switchBlock;
  const txs = new Set();
  const done = new Promise((resolve) => {
    const off = sim.onEvent((event) => {
      const now = performance.now();
      if (event.type === 'slotMissed' && event.witness === 'alice') {
        missed += 1;
        firstMissMs ??= now;
      } else if (event.type === 'txApplied') {
        txs.add(event.id);
        switchMs ??= now;
        switchBlock ??= event.blockNum;
      } else if (event.type === 'block' && event.server === other && switchMs !== undefined) {
        off();
        resolve();
      }
    });
  });
  sim.stopServer(stopped);
  const timeoutMs = incidentIntervalsMax * options.intervalMs;
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([done.then(() => 'ok'), timeout]);
  clearTimeout(timer);
  sim.startServer(stopped);
  if (outcome !== 'ok') return { ok: false, missed };
  return { ok: true, missed, switchMs: switchMs - firstMissMs, switchBlock };
}

async function runSide(name, options) {
  const setup = await setUp(options);
  const running =
    name === 'guard'
      ? await startOneGuard('bench', setup.config, { logger, blockIntervalMs: options.intervalMs })
      : startBaseline(setup, options);
  const results = [];
  try {
    await setup.sim.waitForBlocks(
      options.witnesses + 1,
      10 * options.witnesses * options.intervalMs,
    );
    for (let i = 0; i < options.incidents; i += 1) {
      const result = await incident(setup, options);
      results.push(result);
      if (!options.json)
        process.stderr.write(
          `${name} incident ${i + 1}/${options.incidents}: ${result.ok ? `${Math.round(result.switchMs)} ms, ${result.missed} missed` : 'no switch (timeout)'}\n`,
        );
      await setup.sim.waitForBlocks(2, 20 * options.intervalMs).catch(() => {});
    }
  } finally {
    if (name === 'guard') {
      await running.guard.stop();
      running.client.close();
    } else await running.stop();
    await setup.sim.close();
  }
  return summarize(name, results, options);
}

function summarize(name, results, options) {
  const ok = results.filter((result) => result.ok);
  const times = ok.map((result) => result.switchMs).sort((a, b) => a - b);
  const median = times.length === 0 ? null : times[Math.floor((times.length - 1) / 2)];
  const worst = times.length === 0 ? null : times.at(-1);
  const misses = results.map((result) => result.missed);
  return {
    side: name,
    incidents: results.length,
    switched: ok.length,
    median_ms: median === null ? null : Math.round(median),
    worst_ms: worst === null ? null : Math.round(worst),
    median_intervals: median === null ? null : +(median / options.intervalMs).toFixed(2),
    worst_intervals: worst === null ? null : +(worst / options.intervalMs).toFixed(2),
    misses_max: Math.max(...misses),
    misses_mean: +(misses.reduce((a, b) => a + b, 0) / Math.max(1, misses.length)).toFixed(2),
  };
}

function table(rows) {
  const header = [
    'side',
    'switched',
    'median ms',
    'worst ms',
    'median blocks',
    'worst blocks',
    'misses max',
    'misses mean',
  ];
  const cells = rows.map((r) => [
    r.side,
    `${r.switched}/${r.incidents}`,
    String(r.median_ms ?? '-'),
    String(r.worst_ms ?? '-'),
    String(r.median_intervals ?? '-'),
    String(r.worst_intervals ?? '-'),
    String(r.misses_max),
    String(r.misses_mean),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

export async function main(args) {
  let options;
  try {
    options = parseOptions(args);
  } catch (error) {
    process.stderr.write(`bench witness: ${error.message}\n\n${usage}`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  const rows = [];
  for (const side of ['guard', 'baseline']) rows.push(await runSide(side, options));
  const result = {
    interval_ms: options.intervalMs,
    witnesses: options.witnesses,
    target: 'median within 2 block intervals, at most 1 missed block per incident',
    rows,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    process.stdout.write(
      `witness failover on simnet: ${options.witnesses} witnesses, ${options.intervalMs} ms blocks, ${options.incidents} incidents per side\n` +
        'time = first missed slot of the stopped server -> block that includes the key change\n\n' +
        `${table(rows)}\n`,
    );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
