// kill -9 during block imports, repeatedly: every reopen finds a consistent chain (linked main chain,
// UTXO set equal to a replay of the blocks, chaindata file of the tip) that keeps importing.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Block,
  blockHash,
  type Chain,
  chaindataFileName,
  coinbaseMaturityBlocks,
  encodeBlock,
  isCoinbase,
  txid,
  Wallet,
} from '@cryptoassets/chain';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mine, TempChains } from './chainstate-helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const distIndex = join(packageDir, 'dist', 'index.js');
const childScript = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));
const sourceBlocks = 300;
const kills = 5;
const childTimeoutMs = 60_000;

const temp = new TempChains();
let blocksFile = '';
let source: Block[] = [];

beforeAll(async () => {
  // The child runs the compiled package; build it (incremental, quick when up to date).
  const tsc = join(packageDir, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  spawnSync(process.execPath, [tsc, '-b', packageDir], { stdio: 'ignore', timeout: 120_000 });
  expect(existsSync(distIndex)).toBe(true);
  source = await buildSourceChain();
  blocksFile = join(temp.dir(), 'blocks.hex');
  writeFileSync(
    blocksFile,
    `${source.map((block) => bytesToHex(encodeBlock(block))).join('\n')}\n`,
  );
}, 120_000);
afterAll(() => temp.cleanup());

/** Blocks with spends in most of them, so imports move the UTXO set and write undo data. */
async function buildSourceChain(): Promise<Block[]> {
  const chain = await temp.open();
  const wallet = await Wallet.open({ dataDir: temp.dir(), chain });
  const miner = wallet.newAddress('miner');
  const blocks: Block[] = [];
  for (let h = 1; h <= sourceBlocks; h++) {
    if (h > coinbaseMaturityBlocks + 1) {
      for (let i = 0; i < 2; i++) {
        wallet.send([{ address: wallet.newAddress(), amountMinor: 1_0000_0000n + BigInt(h) }]);
      }
    }
    blocks.push(mine(chain, miner, 'source'));
  }
  return blocks;
}

type Child = { process: ChildProcess; output: string; exit: Promise<number | null> };

function startChild(dataDir: string, seed: number): Child {
  const child = spawn(
    process.execPath,
    [childScript, distIndex, dataDir, blocksFile, String(seed)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const state: Child = {
    process: child,
    output: '',
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    state.output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    state.output += chunk.toString();
  });
  return state;
}

async function waitForOutput(child: Child, text: string): Promise<void> {
  const deadline = Date.now() + childTimeoutMs;
  while (!child.output.includes(text)) {
    if (Date.now() > deadline || child.process.exitCode !== null) {
      throw new Error(`child did not print ${text}: ${child.output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Replays the main chain's blocks and compares the resulting UTXO set with the stored one. */
function checkConsistent(chain: Chain): void {
  const tip = chain.tip();
  const replay = new Map<string, bigint>();
  let prevHash = chain.hashAtHeight(0);
  for (let height = 1; height <= tip.height; height++) {
    const block = chain.blockByHeight(height);
    if (block === undefined) throw new Error(`no block at ${height}`);
    expect(block.header.prevHash).toBe(prevHash);
    prevHash = chain.hashAtHeight(height);
    for (const tx of block.transactions) {
      if (!isCoinbase(tx))
        for (const input of tx.inputs) replay.delete(`${input.prevTxid}:${input.vout}`);
      const id = txid(tx);
      tx.outputs.forEach((output, vout) => {
        replay.set(`${id}:${vout}`, output.amountMinor);
      });
    }
  }
  expect(prevHash).toBe(tip.hash);
  const stored = new Map<string, bigint>();
  for (const utxo of chain.allUtxos()) stored.set(`${utxo.txid}:${utxo.vout}`, utxo.amountMinor);
  expect(stored).toEqual(replay);
}

describe('crash safety', () => {
  it(`survives ${kills} kill -9 during imports and then finishes the import`, async () => {
    const dataDir = temp.dir();
    let lastHeight = 0;
    const killedAt: number[] = [];
    for (let round = 0; round < kills; round++) {
      const child = startChild(dataDir, round + 1);
      await waitForOutput(child, 'ready');
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 250));
      child.process.kill('SIGKILL');
      await child.exit;
      const chain = await temp.open(undefined, dataDir);
      const tip = chain.tip();
      expect(tip.height).toBeGreaterThanOrEqual(lastHeight);
      expect(tip.hash).toBe(sourceHash(chain, tip.height));
      checkConsistent(chain);
      chain.close();
      lastHeight = tip.height;
      killedAt.push(tip.height);
    }
    // At least one kill landed in the middle of the import.
    expect(killedAt.some((height) => height < sourceBlocks)).toBe(true);
    console.info(`killed at heights ${killedAt.join(', ')} of ${sourceBlocks}`);
    const last = startChild(dataDir, 99);
    await waitForOutput(last, 'done');
    expect(await last.exit).toBe(0);
    const chain = await temp.open({ regtest: true, chaindata: true }, dataDir);
    expect(chain.tip().height).toBe(sourceBlocks);
    checkConsistent(chain);
    const tipFile = join(dataDir, 'chaindata', chaindataFileName(sourceBlocks));
    expect(existsSync(tipFile)).toBe(true);
  });
});

/** Hash of the source chain's block at `height` (genesis: the chain's own). */
function sourceHash(chain: Chain, height: number): string | undefined {
  const block = source[height - 1];
  return block === undefined ? chain.hashAtHeight(0) : blockHash(block);
}
