// Shared by the CLI's end-to-end tests: run the built binary or the program in-process, wait for
// a condition, find a free loopback port, and run `cryptoassets service` as a child process.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { runCli } from '../src/program.js';

export const bin = fileURLToPath(new URL('../dist/main.js', import.meta.url));
export const waitMsMax = 30_000;
const waitPollMs = 250;
const runTimeoutMs = 60_000;

export type Run = { readonly code: number; readonly stdout: string; readonly stderr: string };

/** Runs the built `cryptoassets` in `dir` and returns its exit code and output. */
export function run(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: runTimeoutMs,
    env: { ...process.env, ...env },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined, for at most `waitMsMax`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = waitMsMax,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(waitPollMs);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export type ServiceProcess = {
  readonly child: ChildProcess;
  /** The status page's base URL. */
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exit: Promise<number | null>;
};

/** Starts `cryptoassets --config CONFIG service` in `dir` and waits for its status URL. */
export async function startServiceProcess(
  dir: string,
  config: string | undefined,
  env: NodeJS.ProcessEnv = {},
): Promise<ServiceProcess> {
  const args = config === undefined ? ['service'] : ['--config', config, 'service'];
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await waitFor('the status URL', () => {
    if (child.exitCode !== null) throw new Error(`service exited early: ${stderr}`);
    return /status: (http\S+)/.exec(stdout)?.[1];
  });
  return { child, url, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Kills a child process with SIGKILL and waits until it is gone. */
export async function killHard(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGKILL');
  await service.exit;
}

/**
 * Runs the program in this process with `env` set for the run, capturing what it writes to
 * stdout and its one-line errors.
 */
export async function runInProcess(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(env);
  let stdout = '';
  let stderr = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const code = await runCli(args, (text) => {
      stderr += text;
    });
    return { code, stdout, stderr };
  } finally {
    spy.mockRestore();
    apply(saved);
  }
}
