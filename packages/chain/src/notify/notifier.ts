// -walletnotify / -blocknotify: per new wallet transaction or block, run a shell command with `%s`
// replaced by the txid or block hash, or POST `txid=...` (a form body, like `curl --data`) to a
// URL. Bounded: a queue, a few at a time, a timeout each; failures are logged, never fatal.
import { spawn } from 'node:child_process';
import { assert, InvalidValueError, type Logger } from '@cryptoassets/core';

/** Notifications running at once. */
export const notifyConcurrencyMax = 4;
/** Notifications waiting; newer ones are dropped (and logged) beyond this. */
export const notifyQueueMax = 1_000;
/** How long one command or request may take before it is killed or aborted. */
export const notifyTimeoutMs = 10_000;
/** Longest target (command line or URL). */
export const notifyTargetCharsMax = 2_000;

const idPattern = /^[0-9a-f]{64}$/;

export type NotifierOptions = {
  /** A shell command containing `%s`, or an http(s) URL. */
  readonly target: string;
  /** Form field a URL receives: `txid` (walletnotify) or `blockhash` (blocknotify). */
  readonly field: 'txid' | 'blockhash';
  readonly logger?: Logger;
  readonly timeoutMs?: number;
  readonly concurrencyMax?: number;
  readonly queueMax?: number;
};

export type NotifierStats = {
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
};

/** True when a target is a URL (else it is a shell command). */
export function isUrlTarget(target: string): boolean {
  return /^https?:\/\//i.test(target);
}

/** Checks a target at configuration time; throws InvalidValueError naming the field. */
export function checkNotifyTarget(target: string, field: string): string {
  if (target.length === 0 || target.length > notifyTargetCharsMax) {
    throw new InvalidValueError(field, `expected 1 to ${notifyTargetCharsMax} characters`);
  }
  if (isUrlTarget(target)) {
    try {
      new URL(target);
    } catch {
      throw new InvalidValueError(field, 'not a valid URL');
    }
  }
  return target;
}

export class Notifier {
  readonly #options: NotifierOptions;
  readonly #queue: string[] = [];
  readonly #running = new Set<Promise<void>>();
  #sent = 0;
  #failed = 0;
  #dropped = 0;
  #stopped = false;

  constructor(options: NotifierOptions) {
    checkNotifyTarget(options.target, options.field);
    this.#options = options;
  }

  get stats(): NotifierStats {
    return { sent: this.#sent, failed: this.#failed, dropped: this.#dropped };
  }

  /** Queues one notification for a txid or block hash (64 lower-case hex digits). */
  notify(id: string): void {
    assert(idPattern.test(id), 'notify takes a 64-digit lower-case hex id');
    if (this.#stopped) return;
    if (this.#queue.length >= (this.#options.queueMax ?? notifyQueueMax)) {
      this.#dropped += 1;
      this.#options.logger?.warn('notification dropped: queue full', { id });
      return;
    }
    this.#queue.push(id);
    this.#pump();
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    for (let round = 0; round < notifyQueueMax + 1; round++) {
      if (this.#running.size === 0 && this.#queue.length === 0) return;
      await Promise.allSettled([...this.#running]);
    }
  }

  /** Drops what waits and lets what runs finish (each is bounded by its timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.length = 0;
    await Promise.allSettled([...this.#running]);
  }

  #pump(): void {
    const concurrencyMax = this.#options.concurrencyMax ?? notifyConcurrencyMax;
    while (this.#running.size < concurrencyMax && this.#queue.length > 0) {
      const id = this.#queue.shift() as string;
      const run: Promise<void> = this.#deliver(id).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  async #deliver(id: string): Promise<void> {
    const { target, field } = this.#options;
    const timeoutMs = this.#options.timeoutMs ?? notifyTimeoutMs;
    try {
      if (isUrlTarget(target)) await postForm(target, `${field}=${id}`, timeoutMs);
      else await runCommand(target.replaceAll('%s', id), timeoutMs);
      this.#sent += 1;
    } catch (error) {
      this.#failed += 1;
      this.#options.logger?.warn('notification failed', {
        field,
        id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

async function postForm(url: string, body: string, timeoutMs: number): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${new URL(url).origin}`);
}

function runCommand(command: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', timeout: timeoutMs });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(signal ? `command killed by ${signal}` : `command exited ${code}`));
    });
  });
}
