// The running devnet's address book: `devnet.json` in its data directory tells other commands
// (`cryptoassets address new`, `devnet faucet`) where the RPC of the funded node listens.
// It holds the RPC password, so it is written readable by the owner only.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidValueError } from '@cryptoassets/core';

export const devnetInfoFileName = 'devnet.json';
/** Largest devnet.json read. */
export const devnetInfoBytesMax = 65_536;

export type DevnetInfo = {
  /** RPC URL of the funded node, with user and password. */
  readonly rpcUrl: string;
  /** Base URLs of every node (P2P and the tutorial's endpoints). */
  readonly nodeUrls: readonly string[];
  /** Process that runs the nodes. */
  readonly pid: number;
};

export function devnetInfoPath(dataDir: string): string {
  return join(dataDir, devnetInfoFileName);
}

export function writeDevnetInfo(dataDir: string, info: DevnetInfo): void {
  const path = devnetInfoPath(dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function removeDevnetInfo(dataDir: string): void {
  rmSync(devnetInfoPath(dataDir), { force: true });
}

/** The devnet described in `dataDir`, or undefined when none is running there. */
export function readDevnetInfo(dataDir: string): DevnetInfo | undefined {
  const path = devnetInfoPath(dataDir);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  if (text.length > devnetInfoBytesMax) throw new InvalidValueError(path, 'file too large');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidValueError(path, 'not JSON', { cause });
  }
  const record = (value ?? {}) as Record<string, unknown>;
  const { rpcUrl, nodeUrls, pid } = record;
  if (typeof rpcUrl !== 'string' || !Array.isArray(nodeUrls) || typeof pid !== 'number') {
    throw new InvalidValueError(path, 'expected rpcUrl, nodeUrls and pid');
  }
  if (!processAlive(pid)) return undefined;
  return { rpcUrl, nodeUrls: nodeUrls.filter((url) => typeof url === 'string'), pid };
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
