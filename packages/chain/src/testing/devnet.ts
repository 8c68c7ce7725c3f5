// A throw-away devnet for integration tests: regtest-like nodes in a temporary directory, the
// funded node's RPC, named wallets (like litecoind's createwallet), mining, and a clean stop.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Devnet, mineOn, type StartDevnetOptions, startDevnet } from '../devnet/devnet.js';
import { callDevnetRpc } from '../devnet/rpc-call.js';
import type { JsonIn, JsonOut } from '../rpc/json.js';

export type TestDevnetWallet = {
  readonly name: string;
  /** RPC URL with user, password and the wallet path. */
  readonly url: string;
  readonly rpc: (method: string, ...params: JsonOut[]) => Promise<JsonIn>;
};

export type TestDevnet = {
  readonly devnet: Devnet;
  readonly dataDir: string;
  /** Node-level RPC URL of node 0 (its default wallet). */
  readonly nodeUrl: string;
  readonly rpc: (method: string, ...params: JsonOut[]) => Promise<JsonIn>;
  /** Mines `blocks` on node 0 to its default wallet. */
  readonly mine: (blocks: number) => Promise<string[]>;
  readonly createWallet: (name?: string) => Promise<TestDevnetWallet>;
  readonly unloadWallet: (name: string) => Promise<void>;
  /** Stops every node and removes the data directory. */
  readonly stop: () => Promise<void>;
};

export function randomDevnetWalletName(): string {
  return `w${randomBytes(6).toString('hex')}`;
}

/** Starts a regtest devnet (1 node unless told) in a temporary directory. */
export async function startTestDevnet(
  options: Partial<Omit<StartDevnetOptions, 'dataDir'>> = {},
): Promise<TestDevnet> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cryptoassets-devnet-'));
  let devnet: Devnet;
  try {
    devnet = await startDevnet({ nodes: 1, regtest: true, ...options, dataDir });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const nodeUrl = devnet.rpcUrl;
  const rpc = (method: string, ...params: JsonOut[]) => callDevnetRpc(nodeUrl, method, params);
  return {
    devnet,
    dataDir,
    nodeUrl,
    rpc,
    mine: (blocks) => mineOn(nodeUrl, blocks),
    createWallet: async (name = randomDevnetWalletName()) => {
      await rpc('createwallet', name);
      const url = new URL(`wallet/${encodeURIComponent(name)}`, nodeUrl).href;
      return { name, url, rpc: (method, ...params) => callDevnetRpc(url, method, params) };
    },
    unloadWallet: async (name) => {
      await rpc('unloadwallet', name);
    },
    stop: async () => {
      try {
        await devnet.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
