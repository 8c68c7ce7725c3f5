// A pool of worker threads that search the nonce space of one header at a time, in bounded work
// units, and stop within one abort check as soon as a nonce is found or the search is aborted.
import { Worker } from 'node:worker_threads';
import { CryptoassetsError } from '@cryptoassets/core';
import { createPowKernel } from './kernel.js';

/** Nonces handed to a worker at once. */
export const workUnitNonces = 1 << 20;
/** A worker checks the abort flag after this many nonces. */
export const abortCheckNonces = 1 << 13;
/** The number of nonces in a header (u32). */
export const nonceSpaceSize = 2 ** 32;
/** Upper bound on worker threads per pool. */
export const minerThreadsMax = 64;

export type SearchResult =
  | { readonly status: 'found'; readonly nonce: number; readonly hashes: number }
  | { readonly status: 'exhausted'; readonly hashes: number }
  | { readonly status: 'aborted'; readonly hashes: number };

export type SearchOptions = {
  /** The 80-byte header; its nonce field is ignored. */
  readonly header: Uint8Array;
  readonly target: bigint;
  readonly signal?: AbortSignal;
  /** First nonce to try (default 0); the search ends at 2^32. */
  readonly nonceStart?: number;
};

type Job = {
  readonly generation: number;
  readonly midstate: Uint32Array;
  readonly tail: Uint32Array;
  readonly target: Uint32Array;
  readonly start: number;
  readonly count: number;
};

type Reply = { readonly generation: number; readonly nonce: number; readonly hashes: number };

/** The pool was closed or a worker died. */
export class MinerPoolError extends CryptoassetsError {
  override name = 'MinerPoolError';
  constructor(problem: string, options: { readonly cause?: unknown } = {}) {
    super('MINER_POOL', `miner pool: ${problem}`, options);
  }
}

/** The worker body. It is run with `eval: true`, so it is plain JavaScript text. */
function workerSource(): string {
  return `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const kernel = (${createPowKernel.toString()})();
const flag = new Int32Array(workerData.flag);
const step = ${abortCheckNonces};
parentPort.on('message', (job) => {
  let hashes = 0;
  let nonce = -1;
  for (let done = 0; done < job.count && nonce < 0; done += step) {
    if (Atomics.load(flag, 0) !== job.generation) break;
    const result = kernel.scan(job.midstate, job.tail, job.target, job.start + done, Math.min(step, job.count - done));
    hashes += result.hashes;
    nonce = result.nonce;
  }
  parentPort.postMessage({ generation: job.generation, nonce, hashes });
});
`;
}

/** Runs nonce searches on `threads` worker threads. One search at a time. */
export class MinerPool {
  readonly threads: number;
  readonly #workers: Worker[] = [];
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  readonly #kernel = createPowKernel();
  #searching = false;
  #closed = false;

  constructor(threads: number) {
    if (!Number.isInteger(threads) || threads < 1 || threads > minerThreadsMax)
      throw new MinerPoolError(`threads must be a whole number in 1..${minerThreadsMax}`);
    this.threads = threads;
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(workerSource(), {
        eval: true,
        workerData: { flag: this.#flag.buffer },
      });
      worker.unref();
      worker.on('error', () => {});
      this.#workers.push(worker);
    }
  }

  /** Searches one header's nonces; resolves when found, exhausted or aborted. */
  async search(options: SearchOptions): Promise<SearchResult> {
    if (this.#closed) throw new MinerPoolError('closed');
    if (this.#searching) throw new MinerPoolError('a search is already running');
    this.#searching = true;
    // Workers keep the process alive only while they search.
    for (const worker of this.#workers) worker.ref();
    try {
      return await this.#run(options);
    } finally {
      this.#searching = false;
      for (const worker of this.#workers) worker.unref();
    }
  }

  #run(options: SearchOptions): Promise<SearchResult> {
    const generation = Atomics.add(this.#flag, 0, 1) + 1;
    const base = {
      generation,
      midstate: this.#kernel.midstate(options.header),
      tail: this.#kernel.tailWords(options.header),
      target: this.#kernel.targetWords(options.target),
    };
    const state = { next: options.nonceStart ?? 0, busy: 0, hashes: 0, found: -1, aborted: false };
    state.aborted = options.signal?.aborted ?? false;
    return new Promise<SearchResult>((resolve, reject) => {
      const listeners: [Worker, (reply: Reply) => void][] = [];
      const stop = (): void => {
        if (Atomics.load(this.#flag, 0) === generation) Atomics.add(this.#flag, 0, 1);
      };
      const onAbort = (): void => {
        state.aborted = true;
        stop();
      };
      const onFailure = (error: unknown): void => {
        cleanUp();
        reject(new MinerPoolError('a worker failed', { cause: error }));
      };
      const cleanUp = (): void => {
        options.signal?.removeEventListener('abort', onAbort);
        for (const [worker, listener] of listeners) {
          worker.off('message', listener);
          worker.off('error', onFailure);
          worker.off('exit', onFailure);
        }
      };
      const finish = (): void => {
        cleanUp();
        if (state.found >= 0)
          resolve({ status: 'found', nonce: state.found, hashes: state.hashes });
        else resolve({ status: state.aborted ? 'aborted' : 'exhausted', hashes: state.hashes });
      };
      const dispatch = (worker: Worker): void => {
        if (state.found >= 0 || state.aborted || this.#closed) return;
        if (state.next >= nonceSpaceSize) return;
        const count = Math.min(workUnitNonces, nonceSpaceSize - state.next);
        const job: Job = { ...base, start: state.next, count };
        state.next += count;
        state.busy += 1;
        worker.postMessage(job);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      for (const worker of this.#workers) {
        const listener = (reply: Reply): void => {
          if (reply.generation !== generation) return;
          state.busy -= 1;
          state.hashes += reply.hashes;
          if (reply.nonce >= 0 && state.found < 0) {
            state.found = reply.nonce;
            stop();
          }
          dispatch(worker);
          if (state.busy === 0) finish();
        };
        listeners.push([worker, listener]);
        worker.on('message', listener);
        worker.once('error', onFailure);
        worker.once('exit', onFailure);
      }
      for (const worker of this.#workers) dispatch(worker);
      if (state.busy === 0) finish();
    });
  }

  /** Stops every worker thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.add(this.#flag, 0, 1);
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
