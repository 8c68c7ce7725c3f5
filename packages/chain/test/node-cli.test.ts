// `cryptoassets node` as a process: --port, --mine, --peers and --datadir; a node killed with
// SIGKILL while mining or syncing restarts from its data directory and catches up.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Chain, type DevnetNode } from '@cryptoassets/chain';
import { startTestNetwork, type TestNetwork, waitFor } from '@cryptoassets/chain/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'packages/cli/bin/cryptoassets.js');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const startTimeoutMs = 20_000;

type Running = { readonly child: ChildProcess; readonly url: string };
const children = new Set<ChildProcess>();
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'devnet-cli-'));
  dirs.push(dir);
  return dir;
}

/** Starts `cryptoassets node ... --json` and resolves with its URL from the first stdout line. */
function startCli(args: readonly string[]): Promise<Running> {
  const child = spawn(process.execPath, [bin, '--json', 'node', '--port', '0', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL in time; stderr: ${stderr}`)),
      startTimeoutMs,
    );
    const lines = createInterface({ input: child.stdout! });
    let text = '';
    lines.on('line', (line) => {
      text += line;
      try {
        const parsed = JSON.parse(text) as { url: string };
        clearTimeout(timer);
        resolve({ child, url: parsed.url });
      } catch {
        // the JSON spans several lines
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}; stderr: ${stderr}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function kill9(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await exited(child);
  children.delete(child);
}

type Page = { length: number; blocks: { hash: string; index: number; data: string }[] };
async function chainOf(url: string, from = 0): Promise<Page> {
  return (await (await fetch(`${url}/blockchain.json?from=${from}&limit=1000`)).json()) as Page;
}
async function tipOf(url: string): Promise<{ height: number; hash: string }> {
  const { length } = await chainOf(url, 0);
  const page = await chainOf(url, length - 1);
  return { height: length - 1, hash: page.blocks[0]?.hash ?? '' };
}

/** Opens a killed node's data directory: every block links to the one before; the tip height. */
async function checkConsistent(dir: string): Promise<number> {
  const chain = await Chain.open({ dataDir: dir, params: { regtest: true } });
  try {
    const tip = chain.tip();
    for (let height = 1; height <= tip.height; height++) {
      const block = chain.blockByHeight(height);
      expect(block?.header.prevHash).toBe(chain.hashAtHeight(height - 1));
    }
    expect(chain.hashAtHeight(tip.height)).toBe(tip.hash);
    return tip.height;
  } finally {
    chain.close();
  }
}

beforeAll(() => {
  const build = spawnSync(process.execPath, [tsc, '-b', 'packages/cli'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
}, 130_000);

afterEach(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
    await exited(child);
  }
  children.clear();
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('cryptoassets node', () => {
  it('mines with --mine, serves its chain, syncs a --peers node, and exits 0 on SIGTERM', async () => {
    const minerDir = await tempDir();
    const miner = await startCli([
      '--mine',
      '--regtest',
      '--pause-ms',
      '100',
      '--datadir',
      minerDir,
      '--miner-tag',
      'cli-miner',
    ]);
    expect(miner.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await waitFor('five mined blocks', async () => (await tipOf(miner.url)).height >= 5);
    const follower = await startCli([
      '--regtest',
      '--peers',
      miner.url,
      '--datadir',
      await tempDir(),
    ]);
    await waitFor('the follower to catch up', async () => {
      const [a, b] = await Promise.all([tipOf(miner.url), tipOf(follower.url)]);
      return b.height >= 8 && b.height >= a.height - 1;
    });
    const chain = await chainOf(follower.url, 1);
    expect(new Set(chain.blocks.map((block) => block.data))).toEqual(new Set(['cli-miner']));
    follower.child.kill('SIGTERM');
    expect(await exited(follower.child)).toBe(0);
    miner.child.kill('SIGTERM');
    expect(await exited(miner.child)).toBe(0);
  });

  it('a miner killed with SIGKILL restarts from its data directory and goes on', async () => {
    const dir = await tempDir();
    const args = ['--mine', '--regtest', '--pause-ms', '50', '--datadir', dir];
    let heightBefore = 0;
    for (let round = 0; round < 3; round++) {
      const running = await startCli(args);
      const tip = await tipOf(running.url);
      expect(tip.height).toBeGreaterThanOrEqual(heightBefore);
      await waitFor('more blocks', async () => (await tipOf(running.url)).height >= tip.height + 3);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 100)));
      heightBefore = (await tipOf(running.url)).height - 1;
      await kill9(running.child);
    }
    const last = await startCli(['--regtest', '--datadir', dir]);
    const chain = await chainOf(last.url);
    expect(chain.length).toBeGreaterThanOrEqual(heightBefore);
    expect(chain.blocks.map((block) => block.index)).toEqual(chain.blocks.map((_, index) => index));
  });
});

describe('cryptoassets node --rpc-user', () => {
  it('serves the bitcoind-compatible JSON-RPC with basic auth', async () => {
    const running = await startCli([
      '--regtest',
      '--rpc-user',
      'alice',
      '--rpc-password',
      'secret',
      '--datadir',
      await tempDir(),
    ]);
    const call = async (method: string, params: unknown[]) => {
      const response = await fetch(`${running.url}/`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}` },
        body: JSON.stringify({ jsonrpc: '1.0', id: method, method, params }),
      });
      return ((await response.json()) as { result: unknown }).result;
    };
    const address = await call('getnewaddress', ['mined']);
    expect(address).toMatch(/^dvt1/);
    expect(await call('generatetoaddress', [3, address])).toHaveLength(3);
    expect(await call('getblockcount', [])).toBe(3);
    const refused = await fetch(`${running.url}/`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(401);
  });

  it('refuses --rpc-user without a password', () => {
    const result = spawnSync(
      process.execPath,
      [bin, 'node', '--rpc-user', 'alice', '--port', '0'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CRYPTOASSETS_RPC_PASSWORD: '' },
        timeout: 30_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--rpc-password/);
  });
});

describe('a node killed during sync', () => {
  let network: TestNetwork | undefined;
  afterAll(() => network?.stop());

  it('restarts, stays consistent and catches up', async () => {
    network = await startTestNetwork({
      count: 1,
      regtest: true,
      node: { chainParams: { chaindata: false } },
    });
    const source = network.nodes[0] as DevnetNode;
    await source.mineBlocks(4_000, source.payoutAddress());
    // Count the blocks the source serves, to kill the syncing process in the middle of its sync.
    let served = 0;
    const blockByHash = source.chain.blockByHash.bind(source.chain);
    source.chain.blockByHash = (hash) => {
      served += 1;
      return blockByHash(hash);
    };
    const dir = await tempDir();
    const heights: number[] = [];
    for (let round = 0; round < 3; round++) {
      const child = spawn(
        process.execPath,
        [bin, 'node', '--regtest', '--port', '0', '--peers', source.url, '--datadir', dir],
        { cwd: root, stdio: 'ignore' },
      );
      children.add(child);
      const servedBefore = served;
      await waitFor('the sync to be under way', () => served >= servedBefore + 300 + round * 500, {
        intervalMs: 5,
      });
      await kill9(child);
      heights.push(await checkConsistent(dir));
    }
    // At least one kill landed in the middle of the sync.
    expect(heights.some((height) => height > 0 && height < 4_000)).toBe(true);
    const restarted = await startCli(['--regtest', '--peers', source.url, '--datadir', dir]);
    const tip = await tipOf(restarted.url);
    expect(tip.height).toBe(4_000);
    expect(tip.hash).toBe(source.chain.tip().hash);
  });
});
