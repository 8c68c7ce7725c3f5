// The script handler: runs a program per event with the event in its environment. No shell:
// event data never reaches a command line. A non-zero exit or a timeout means try again.
import { spawn } from 'node:child_process';
import type { CryptoassetsEvent } from '@cryptoassets/ledger';
import { EventDeliveryFailed, type EventHandler } from './handler.js';

/** Most bytes of the script's standard error kept for the failure record. */
export const scriptStderrBytesMax = 2_048;

export type ScriptHandlerOptions = {
  readonly name: string;
  /** Path of an executable file. */
  readonly script: string;
  readonly timeoutMs: number;
};

/**
 * The environment a script gets, on top of the service's own: `CRYPTOASSETS_EVENT_NAME`
 * (`txupdate`), `CRYPTOASSETS_EVENT_ID` (`ltc:42`) and `CRYPTOASSETS_EVENT_DATA` (the event's
 * `data` as JSON, amounts as decimal strings).
 */
export function scriptEnvironment(event: CryptoassetsEvent): Record<string, string> {
  return {
    CRYPTOASSETS_EVENT_NAME: event.name,
    CRYPTOASSETS_EVENT_ID: event.id,
    CRYPTOASSETS_EVENT_DATA: JSON.stringify(event.data),
  };
}

export function createScriptHandler(options: ScriptHandlerOptions): EventHandler {
  const { name, script, timeoutMs } = options;
  return {
    name,
    deliver: (event) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(script, [], {
          env: { ...process.env, ...scriptEnvironment(event) },
          stdio: ['ignore', 'ignore', 'pipe'],
          shell: false,
          // Its own process group, so a timeout ends whatever the script started too.
          detached: true,
        });
        let stderr = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          if (stderr.length < scriptStderrBytesMax) stderr += chunk.slice(0, scriptStderrBytesMax);
        });
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          killGroup(child.pid);
        }, timeoutMs);
        const fail = (problem: string, cause?: unknown) => {
          clearTimeout(timer);
          reject(
            new EventDeliveryFailed(name, problem, cause === undefined ? {} : { cause: cause }),
          );
        };
        child.on('error', (error) => fail(`cannot run ${script}: ${error.message}`, error));
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          const tail = stderr.trim().slice(0, scriptStderrBytesMax);
          if (timedOut) return fail(`script timed out after ${timeoutMs} ms`);
          if (code === 0) return resolve();
          fail(
            `script exited with ${code === null ? `signal ${signal}` : `code ${code}`}${tail ? `: ${tail}` : ''}`,
          );
        });
      }),
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
