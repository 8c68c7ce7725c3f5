// Benchmark of the devnet chain, from the compiled packages (run `npm run build` first):
// (a) mining hashes per second per worker thread, next to a naive baseline that hashes the
//     80-byte header with node:crypto double SHA-256 for every nonce;
// (b) block import speed of a fresh node syncing from a peer, with coinbase-only blocks and with
//     blocks of 100 transactions;
// (c) the memory (RSS, heap) of a node process that holds 100,000 blocks.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { parseArgs } from 'node:util';

const secondsDefault = 3;
const secondsMax = 60;
const emptyBlocksDefault = 10_000;
const fullBlocksDefault = 30;
const txsPerFullBlock = 100;
const memoryBlocksDefault = 100_000;
const blocksMax = 1_000_000;
/** Blocks mined between clock adjustments of the memory figure (1,000 blocks ≈ 170 s ahead). */
const memoryBatchBlocks = 1_000;
const hashRatioTarget = 3;
const importTargetBlocksPerS = 2_000;
const baselineCheckNonces = 4_096;
const feeMinor = 1_000n;
const fanOutFeeMinor = 100_000n;
const childTimeoutMs = 300_000;

const usage = `usage: npm run bench -- chain [--json] [--seconds N] [--blocks N] [--full-blocks N]
                              [--memory-blocks N] [--threads N] [--skip-memory]

The devnet chain, from the compiled packages (npm run build first):
  mining hashes/s per worker thread vs node:crypto double SHA-256 per nonce (target ${hashRatioTarget}x),
  block import speed syncing from a peer (target ${importTargetBlocksPerS} blocks/s),
  memory of a node process holding ${memoryBlocksDefault} blocks.

  --json              machine-readable result on stdout
  --seconds N         timed window of each hashing figure, 1..${secondsMax} (default ${secondsDefault})
  --blocks N          coinbase-only blocks to sync (default ${emptyBlocksDefault})
  --full-blocks N     blocks of ${txsPerFullBlock} transactions to sync (default ${fullBlocksDefault})
  --memory-blocks N   blocks the memory figure holds (default ${memoryBlocksDefault})
  --threads N         worker threads for the all-threads figure (default: available cores)
  --skip-memory       leave out the memory figure (building ${memoryBlocksDefault} blocks takes a while)
  --help              this text
`;

export async function main(args) {
  let options;
  try {
    options = parseOptions(args);
  } catch (error) {
    process.stderr.write(`bench chain: ${error.message}\n\n${usage}`);
    return 1;
  }
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  const chain = await import('@cryptoassets/chain');
  const result = {
    mining: await benchMining(chain, options),
    import: await benchImport(chain, options),
    memory: options.skipMemory ? undefined : await benchMemory(chain, options),
  };
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : render(result));
  return 0;
}

function parseOptions(args) {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      'skip-memory': { type: 'boolean', default: false },
      seconds: { type: 'string' },
      blocks: { type: 'string' },
      'full-blocks': { type: 'string' },
      'memory-blocks': { type: 'string' },
      threads: { type: 'string' },
    },
    strict: true,
  });
  const whole = (text, name, fallback, min, max) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max)
      throw new Error(`--${name} must be a whole number in ${min}..${max}`);
    return value;
  };
  return {
    json: values.json,
    help: values.help,
    skipMemory: values['skip-memory'],
    seconds: whole(values.seconds, 'seconds', secondsDefault, 1, secondsMax),
    blocks: whole(values.blocks, 'blocks', emptyBlocksDefault, 1, blocksMax),
    fullBlocks: whole(values['full-blocks'], 'full-blocks', fullBlocksDefault, 0, 10_000),
    memoryBlocks: whole(
      values['memory-blocks'],
      'memory-blocks',
      memoryBlocksDefault,
      1,
      blocksMax,
    ),
    threads: whole(values.threads, 'threads', availableParallelism(), 1, 64),
  };
}

const progress = (text) => process.stderr.write(`bench chain: ${text}\n`);

// (a) mining -------------------------------------------------------------------------------

function sampleHeader() {
  const header = new Uint8Array(80);
  for (let i = 0; i < 76; i++) header[i] = (i * 37 + 11) & 0xff;
  return header;
}

/** node:crypto double SHA-256 of the whole 80-byte header for every nonce. */
function baselineHashesPerS(seconds) {
  const header = Buffer.from(sampleHeader());
  const endMs = performance.now() + seconds * 1000;
  let hashes = 0;
  const started = performance.now();
  while (performance.now() < endMs) {
    for (let i = 0; i < baselineCheckNonces; i++) {
      header.writeUInt32LE((hashes + i) >>> 0, 76);
      createHash('sha256').update(createHash('sha256').update(header).digest()).digest();
    }
    hashes += baselineCheckNonces;
  }
  return hashes / ((performance.now() - started) / 1000);
}

/** The kernel on the main thread: midstate once, two compressions per nonce. */
function kernelHashesPerS(chain, seconds) {
  const kernel = chain.createPowKernel();
  const header = sampleHeader();
  const mid = kernel.midstate(header);
  const tail = kernel.tailWords(header);
  const target = kernel.targetWords(0n);
  const endMs = performance.now() + seconds * 1000;
  const started = performance.now();
  let hashes = 0;
  while (performance.now() < endMs) hashes += kernel.scan(mid, tail, target, hashes, 65_536).hashes;
  return hashes / ((performance.now() - started) / 1000);
}

async function poolHashesPerS(chain, threads, seconds) {
  const pool = new chain.MinerPool(threads);
  try {
    const started = performance.now();
    const result = await pool.search({
      header: sampleHeader(),
      target: 0n,
      signal: AbortSignal.timeout(seconds * 1000),
    });
    return result.hashes / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
  }
}

async function benchMining(chain, options) {
  progress('mining: naive baseline');
  const baseline = baselineHashesPerS(options.seconds);
  progress('mining: kernel on the main thread');
  const kernel = kernelHashesPerS(chain, options.seconds);
  progress('mining: one worker thread');
  const oneThread = await poolHashesPerS(chain, 1, options.seconds);
  progress(`mining: ${options.threads} worker threads`);
  const allThreads = await poolHashesPerS(chain, options.threads, options.seconds);
  return {
    baselineHashesPerS: baseline,
    kernelHashesPerS: kernel,
    oneThreadHashesPerS: oneThread,
    threads: options.threads,
    perThreadHashesPerS: allThreads / options.threads,
    ratio: oneThread / baseline,
  };
}

// (b) block import ---------------------------------------------------------------------------

async function withDir(run) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-chain-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const quiet = { chainParams: { chaindata: false }, regtest: true, syncOnStart: false };

/** Starts a fresh node, points it at `source`, and times one full sync. */
async function timeSync(chain, source, dir) {
  const fresh = await chain.startNode({ port: 0, dataDir: dir, ...quiet });
  try {
    fresh.network.book.add(source.url);
    const started = performance.now();
    const blocks = await fresh.syncNow();
    const seconds = (performance.now() - started) / 1000;
    if (fresh.chain.tip().hash !== source.chain.tip().hash)
      throw new Error('the synced node did not reach the source tip');
    return { blocks, seconds, blocksPerS: blocks / seconds };
  } finally {
    await fresh.stop();
  }
}

/** Signs a 1-in, n-out spend of `coin` by `key`. */
function spendOf(chain, key, coin, outputs) {
  const publicKey = chain.publicKeyOf(key);
  const tx = {
    version: 1,
    inputs: [{ prevTxid: coin.txid, vout: coin.vout, publicKey, signature: new Uint8Array(64) }],
    outputs,
  };
  return chain.signTransaction(tx, () => key);
}

/** Mines `count` blocks of `txsPerFullBlock` transactions: 100 lanes of 1-in-1-out spends. */
async function mineFullBlocks(chain, node, count) {
  const key = chain.newPrivateKey();
  const address = chain.addressFromPublicKey(chain.publicKeyOf(key));
  await node.mineBlocks(chain.coinbaseMaturityBlocks + 1, address);
  const [coinbase] = node.chain.utxosFor([address]).sort((a, b) => a.height - b.height);
  const share = (coinbase.amountMinor - fanOutFeeMinor) / BigInt(txsPerFullBlock);
  const fanOut = spendOf(
    chain,
    key,
    coinbase,
    Array.from({ length: txsPerFullBlock }, () => ({ amountMinor: share, address })),
  );
  const accepted = node.chain.submitTransaction(fanOut);
  if (accepted.status !== 'accepted') throw new Error(`fan-out refused: ${accepted.reason}`);
  const fanOutId = accepted.txid;
  await node.mineBlocks(1, address);
  let lanes = fanOut.outputs.map((output, vout) => ({
    txid: fanOutId,
    vout,
    amountMinor: output.amountMinor,
  }));
  for (let block = 0; block < count; block++) {
    lanes = lanes.map((coin) => {
      const amountMinor = coin.amountMinor - feeMinor;
      const tx = spendOf(chain, key, coin, [{ amountMinor, address }]);
      const result = node.chain.submitTransaction(tx);
      if (result.status !== 'accepted') throw new Error(`transaction refused: ${result.reason}`);
      return { txid: result.txid, vout: 0, amountMinor };
    });
    await node.mineBlocks(1, address);
  }
}

async function benchImport(chain, options) {
  return withDir(async (dir) => {
    const source = await chain.startNode({ port: 0, dataDir: join(dir, 'source'), ...quiet });
    try {
      progress(`import: mining ${options.blocks} coinbase-only blocks`);
      await source.mineBlocks(options.blocks, source.payoutAddress());
      progress('import: syncing them');
      const empty = await timeSync(chain, source, join(dir, 'empty'));
      let full;
      if (options.fullBlocks > 0) {
        progress(`import: mining ${options.fullBlocks} blocks of ${txsPerFullBlock} transactions`);
        const fullSource = await chain.startNode({ port: 0, dataDir: join(dir, 'full'), ...quiet });
        try {
          await mineFullBlocks(chain, fullSource, options.fullBlocks);
          progress('import: syncing them');
          const timed = await timeSync(chain, fullSource, join(dir, 'full-sync'));
          const transactions = options.fullBlocks * txsPerFullBlock;
          full = {
            ...timed,
            fullBlocks: options.fullBlocks,
            txsPerS: transactions / timed.seconds,
          };
        } finally {
          await fullSource.stop();
        }
      }
      return { empty, full };
    } finally {
      await source.stop();
    }
  });
}

// (c) memory -------------------------------------------------------------------------------

const memoryProbe = `
const { startNode } = await import('@cryptoassets/chain');
const node = await startNode({ port: 0, dataDir: process.argv[1], regtest: true,
  chainParams: { chaindata: false }, syncOnStart: false });
for (let i = 0; i < 3; i++) { globalThis.gc?.(); await new Promise((r) => setTimeout(r, 50)); }
const usage = process.memoryUsage();
const tip = node.chain.tip();
process.stdout.write(JSON.stringify({ height: tip.height, rss: usage.rss, heapUsed: usage.heapUsed }));
await node.stop();
`;

function probeMemory(dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', memoryProbe, dir],
      { stdio: ['ignore', 'pipe', 'inherit'], timeout: childTimeoutMs },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`memory probe exited with ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}

async function benchMemory(chain, options) {
  return withDir(async (dir) => {
    // Instant blocks need times above the median of the last 11, so their times run ahead of
    // the clock (about one second per six blocks); this clock keeps up with them.
    let skewMs = 0;
    const now = () => Date.now() + skewMs;
    const node = await chain.startNode({ port: 0, dataDir: dir, ...quiet, now });
    try {
      progress(`memory: mining ${options.memoryBlocks} blocks`);
      for (let done = 0; done < options.memoryBlocks; ) {
        const count = Math.min(memoryBatchBlocks, options.memoryBlocks - done);
        await node.mineBlocks(count, node.payoutAddress());
        done += count;
        skewMs = Math.max(skewMs, node.chain.tip().time * 1000 - Date.now());
      }
    } finally {
      await node.stop();
    }
    progress('memory: a fresh node process opens them');
    const empty = await probeMemory(join(dir, 'none'));
    const full = await probeMemory(dir);
    return { blocks: full.height, emptyNode: empty, node: full };
  });
}

// output -------------------------------------------------------------------------------------

const number = (value) => Math.round(value).toLocaleString('en-US');
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function render({ mining, import: sync, memory }) {
  const rows = [
    ['figure', 'baseline', 'ours', 'ratio / target'],
    [
      'hashes/s, one thread',
      `${number(mining.baselineHashesPerS)} (node:crypto)`,
      `${number(mining.oneThreadHashesPerS)} (worker)`,
      `${mining.ratio.toFixed(2)}x (target ${hashRatioTarget}x)`,
    ],
    [
      'hashes/s, kernel on main thread',
      '',
      number(mining.kernelHashesPerS),
      `${(mining.kernelHashesPerS / mining.baselineHashesPerS).toFixed(2)}x`,
    ],
    [
      `hashes/s per thread, ${mining.threads} threads`,
      '',
      number(mining.perThreadHashesPerS),
      `${(mining.perThreadHashesPerS / mining.baselineHashesPerS).toFixed(2)}x`,
    ],
    [
      `sync, ${number(sync.empty.blocks)} coinbase-only blocks`,
      '',
      `${number(sync.empty.blocksPerS)} blocks/s`,
      `target ${number(importTargetBlocksPerS)} blocks/s`,
    ],
  ];
  if (sync.full !== undefined)
    rows.push([
      `sync, ${number(sync.full.blocks)} blocks, ${number(sync.full.fullBlocks)} of ${txsPerFullBlock} txs`,
      '',
      `${number(sync.full.blocksPerS)} blocks/s`,
      `${number(sync.full.txsPerS)} signed txs/s`,
    ]);
  if (memory !== undefined)
    rows.push([
      `node process, ${number(memory.blocks)} blocks`,
      `${mib(memory.emptyNode.rss)} RSS (empty node)`,
      `${mib(memory.node.rss)} RSS`,
      `heap ${mib(memory.node.heapUsed)} (empty ${mib(memory.emptyNode.heapUsed)})`,
    ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return `${rows.map(line).join('\n')}\n`;
}
