// Benchmark: deposits per second through the whole service. The service runs as it does in
// production, as its own `cryptoassets service` process. N payments from a regtest litecoind to
// ledger addresses are made and mined; then each txid is notified to the service over HTTP
// walletnotify, as `curl --data txid=%s` would, and the clock runs until the signed `txupdate`
// event of every credited deposit reached a local webhook receiver. The baseline, from the same
// run: the raw `gettransaction` rate for the same txids on the same node.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatAmount, validateConfig } from '@cryptoassets/core';
import { openDatabase, openLedger } from '@cryptoassets/ledger';
import { createBitcoindBackend, createEventListener, RpcClient } from '@cryptoassets/service';
import {
  coinbaseMaturityBlocks,
  litecoindAvailable,
  startLitecoind,
} from '@cryptoassets/service/testing';

const depositsDefault = 2_000;
const depositsMin = 10;
const depositsMax = 20_000;
const accountCount = 20;
const depositMinor = 100_000n;
/** Unconfirmed payments in a row before a block is mined (the mempool's ancestor limit is 25). */
const sendsPerBlock = 20;
/** Notifications in flight at once, like several curl processes started by the node. */
const notifyConcurrency = 8;
const waitMsMax = 600_000;
const serviceStartMsMax = 60_000;
const cliPath = fileURLToPath(new URL('../../packages/cli/bin/cryptoassets.js', import.meta.url));
const progressIntervalMs = 250;
const ratioTarget = 0.5;
const secret = 'bench-webhook-secret';

const usage = `usage: npm run bench -- deposits [--deposits N] [--database URL] [--json]

Deposits per second processed end to end by the service (walletnotify over HTTP -> gettransaction
-> ledger -> signed webhook), next to the raw gettransaction rate for the same txids on the same
regtest litecoind. Needs litecoind.

  --deposits N    payments to make, ${depositsMin}..${depositsMax} (default ${depositsDefault})
  --database URL  books (default: a SQLite file in a temporary folder)
  --json          machine-readable result on stdout
  --help          this text
`;

export async function main(args) {
  let options;
  try {
    ({ values: options } = parseArgs({
      args,
      options: {
        deposits: { type: 'string' },
        database: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    process.stderr.write(`bench deposits: ${error.message}\n\n${usage}`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  const deposits = Number(options.deposits ?? depositsDefault);
  if (!Number.isInteger(deposits) || deposits < depositsMin || deposits > depositsMax) {
    process.stderr.write(`bench deposits: --deposits must be ${depositsMin}..${depositsMax}\n`);
    return 1;
  }
  if (!litecoindAvailable()) {
    process.stderr.write(
      'bench deposits: litecoind is not installed (apt-get install litecoind)\n',
    );
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cryptoassets-bench-deposits-'));
  const node = await startLitecoind();
  try {
    const result = await measure({ node, dir, deposits, database: options.database });
    report(result, options.json ?? false);
    return 0;
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure({ node, dir, deposits, database }) {
  const notifyPort = await freePort();
  const statusPort = await freePort();
  const receiver = await startReceiver();
  const books = await node.createWallet('books');
  const raw = {
    database: { url: database ?? `sqlite:${join(dir, 'books.sqlite')}` },
    coins: {
      ltc: {
        network: 'regtest',
        confirmations: 1,
        max_confirmation_count: 1,
        backend: {
          type: 'bitcoind',
          url: books.url,
          walletnotify: { type: 'http', host: '127.0.0.1', port: notifyPort },
        },
      },
    },
    events: { app: { type: 'http', url: receiver.url, secret } },
    status_server: { host: '127.0.0.1', port: statusPort },
    service: { broadcast_period_s: 3_600, confirmation_poll_s: 3_600, logging: { level: 'warn' } },
  };
  const config = validateConfig(raw);
  const coin = config.coins.ltc;
  const configPath = join(dir, 'cryptoassets.json');
  writeFileSync(configPath, JSON.stringify(raw));

  progress('making addresses');
  const addresses = await makeAddresses(config, coin, deposits);
  // The service starts before the payments, so its start-up rescan finds nothing and the clock
  // below measures the notification path alone (the node has no -walletnotify of its own here).
  const service = await startServiceProcess(configPath, statusPort);
  try {
    progress('paying them');
    await node.mine(coinbaseMaturityBlocks + Math.ceil(deposits / 500));
    const txids = await pay(node, addresses, coin.profile.decimals);
    await node.mine(1);

    progress('baseline: gettransaction');
    const client = new RpcClient({ url: books.url, timeoutMs: 30_000 });
    const baselineStart = performance.now();
    for (const txid of txids) await client.call('gettransaction', [txid]);
    const baselineS = (performance.now() - baselineStart) / 1_000;

    progress('service: notify, credit, deliver');
    const serviceStart = performance.now();
    const notified = notifyAll(notifyPort, txids);
    await receiver.waitForCredited(txids, deposits);
    await notified;
    const serviceS = (performance.now() - serviceStart) / 1_000;
    return {
      deposits,
      baselinePerS: deposits / baselineS,
      servicePerS: deposits / serviceS,
      events: receiver.credited.size,
    };
  } finally {
    await service.stop();
    receiver.close();
  }
}

/** Runs `cryptoassets service` and waits until its status server answers. */
async function startServiceProcess(configPath, statusPort) {
  const child = spawn(process.execPath, [cliPath, '--config', configPath, 'service'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_096);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + serviceStartMsMax;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`the service did not start: ${stderr}`);
    const up = await fetch(`http://127.0.0.1:${statusPort}/status.json`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) process.stderr.write(`the service exited with ${code}: ${stderr}\n`);
    },
  };
}

async function makeAddresses(config, coin, count) {
  const database = openDatabase(config.database.url);
  try {
    const ledger = openLedger({ database, coin, backend: createBitcoindBackend(coin) });
    await ledger.migrate();
    const wallet = await ledger.getOrCreateWallet('default');
    const accounts = [];
    for (let i = 0; i < accountCount; i++)
      accounts.push(await ledger.createAccount(wallet, `customer-${i}`));
    const addresses = [];
    for (let i = 0; i < count; i++) {
      const account = accounts[i % accountCount];
      addresses.push((await ledger.createReceivingAddress(account)).address);
      if (i % 100 === 0) progress(`making addresses ${i}/${count}`);
    }
    return addresses;
  } finally {
    await database.close();
  }
}

async function pay(node, addresses, decimals) {
  const txids = [];
  for (const [i, address] of addresses.entries()) {
    txids.push(
      String(await node.rpc('sendtoaddress', address, formatAmount(depositMinor, decimals))),
    );
    if ((i + 1) % sendsPerBlock === 0) await node.mine(1);
    if (i % 100 === 0) progress(`paying ${i}/${addresses.length}`);
  }
  return txids;
}

/** Posts `txid=...` for every txid, `notifyConcurrency` at a time, on kept-alive connections. */
async function notifyAll(port, txids) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: notifyConcurrency });
  let next = 0;
  const worker = async () => {
    while (next < txids.length) {
      const status = await post(agent, port, `txid=${txids[next++]}`);
      if (status !== 200) throw new Error(`walletnotify answered ${status}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: notifyConcurrency }, worker));
  } finally {
    agent.destroy();
  }
}

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function startReceiver() {
  const credited = new Set();
  let wake = () => {};
  const server = createServer(
    createEventListener({
      secret,
      onEvent: (event) => {
        if (event.data.direction === 'deposit' && event.data.credited) {
          credited.add(event.data.txid);
          wake();
        }
      },
    }),
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/events`,
    credited,
    waitForCredited: async (txids, count) => {
      const deadline = Date.now() + waitMsMax;
      while (txids.some((txid) => !credited.has(txid))) {
        if (Date.now() > deadline) throw new Error('timed out waiting for the events');
        progress(`credited events ${credited.size}/${count}`);
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, progressIntervalMs);
        });
      }
    },
    close: () => server.close(),
  };
}

async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let lastProgressMs = 0;
function progress(text) {
  if (!process.stderr.isTTY) return;
  const now = Date.now();
  if (now - lastProgressMs < 100) return;
  lastProgressMs = now;
  process.stderr.write(`\r\x1b[K${text}`);
}

function report(result, json) {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const ratio = result.servicePerS / result.baselinePerS;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...result, ratio, ratioTarget })}\n`);
    return;
  }
  process.stdout.write(
    [
      `deposits  gettransaction/s  service deposits/s  ratio  (target >= ${ratioTarget})`,
      `${String(result.deposits).padStart(8)}  ${result.baselinePerS.toFixed(0).padStart(16)}  ${result.servicePerS.toFixed(0).padStart(18)}  ${ratio.toFixed(2).padStart(5)}`,
      '',
    ].join('\n'),
  );
}
