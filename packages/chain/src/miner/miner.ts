// The background miner: mines the chain's block template on worker threads, drops the work as soon
// as the tip changes (a peer's block arrived) and starts on the next height; rolls the header time
// when a template's nonce space is exhausted. Also `mineBlocks`, the regtest-style instant mining.
import { CryptoassetsError, InvalidValueError } from '@cryptoassets/core';
import type { Block } from '../block/types.js';
import type { BlockTemplate, Chain, ChainTip, SubmitBlockResult } from '../chain.js';
import { createPowKernel } from './kernel.js';
import { MinerPool, nonceSpaceSize } from './pool.js';

/** A template is rebuilt at least this often, to pick up new transactions and a fresh time. */
export const templateAgeMsMax = 10_000;
/** Time rolls (one second each) tried on one template before a new one is taken. */
export const timeRollsMax = 60;
/** Nonces tried between yields to the event loop by `mineBlocks` on the main thread. */
export const inlineScanNonces = 1 << 14;
/** Largest `count` of one `mineBlocks` call. */
export const mineBlocksCountMax = 10_000;
/** Pause after a failed round (template error or rejected block) before trying again. */
export const minerRetryDelayMs = 250;

const headerTimeOffset = 68;

/** What the miner needs of a chain (a `Chain` has it). */
export type MinerChain = Pick<Chain, 'blockTemplate' | 'assembleBlock' | 'submitBlock'> & {
  on(event: 'tip', listener: (tip: ChainTip) => void): unknown;
  off(event: 'tip', listener: (tip: ChainTip) => void): unknown;
};

export type MinerOptions = {
  readonly chain: MinerChain;
  /** The address paid by the coinbase; asked again for every template. */
  readonly payoutAddress: () => string;
  /** Recorded in each coinbase: which node mined the block. */
  readonly minerTag: string;
  readonly threads?: number;
  /**
   * Pause after each block this miner finds before it starts on the next (0 = none). Keeps a
   * devnet at minimum difficulty from flooding itself; `stop()` ends the pause early.
   */
  readonly blockIntervalMsMin?: number;
  /** Called with every block this miner found, after it was submitted. */
  readonly onBlock?: (block: Block, result: SubmitBlockResult) => void;
  /** Called when a round fails unexpectedly (the miner retries after a pause). */
  readonly onError?: (error: unknown) => void;
};

export type MinerStats = {
  readonly hashes: number;
  readonly blocksFound: number;
  readonly templates: number;
};

/** A block this node mined was refused, or no nonce was found. */
export class MinerError extends CryptoassetsError {
  override name = 'MinerError';
  constructor(problem: string) {
    super('MINER', `miner: ${problem}`);
  }
}

/** Copies the template header with `timeS` written into the time field. */
export function headerWithTime(header: Uint8Array, timeS: number): Uint8Array {
  const copy = header.slice();
  new DataView(copy.buffer, copy.byteOffset, copy.byteLength).setUint32(
    headerTimeOffset,
    timeS,
    true,
  );
  return copy;
}

/** Mines in the background until `stop()`. */
export class Miner {
  readonly #options: MinerOptions;
  readonly #pool: MinerPool;
  #running = false;
  #loop: Promise<void> | undefined;
  #current: AbortController | undefined;
  #endPause: (() => void) | undefined;
  #stats = { hashes: 0, blocksFound: 0, templates: 0 };

  constructor(options: MinerOptions) {
    this.#options = options;
    this.#pool = new MinerPool(options.threads ?? 1);
  }

  get stats(): MinerStats {
    return { ...this.#stats };
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#options.chain.on('tip', this.#onTip);
    this.#loop = this.#run();
  }

  /** Stops mining; resolves when the current search has ended. Idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#options.chain.off('tip', this.#onTip);
    this.#current?.abort();
    this.#endPause?.();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Stops mining and ends the worker threads. */
  async close(): Promise<void> {
    await this.stop();
    await this.#pool.close();
  }

  readonly #onTip = (): void => {
    this.#current?.abort();
  };

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        await this.#mineOneTemplate();
      } catch (error) {
        this.#options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, minerRetryDelayMs));
      }
    }
  }

  async #mineOneTemplate(): Promise<void> {
    const { chain } = this.#options;
    const controller = new AbortController();
    this.#current = controller;
    const timer = setTimeout(() => controller.abort(), templateAgeMsMax);
    try {
      const template = chain.blockTemplate({
        payoutAddress: this.#options.payoutAddress(),
        minerTag: this.#options.minerTag,
      });
      this.#stats.templates += 1;
      const found = await this.#search(template, controller.signal);
      if (found === undefined || !this.#running) return;
      const block = chain.assembleBlock(template, found.nonce, found.timeS);
      const result = chain.submitBlock(block, 'miner');
      if (result.status === 'connected') this.#stats.blocksFound += 1;
      this.#options.onBlock?.(block, result);
      if (result.status === 'invalid')
        throw new MinerError(`own block refused: ${result.reason ?? ''}`);
      await this.#pause();
    } finally {
      clearTimeout(timer);
      this.#current = undefined;
    }
  }

  /** Waits `blockIntervalMsMin`, or less when the miner stops. */
  async #pause(): Promise<void> {
    const pauseMs = this.#options.blockIntervalMsMin ?? 0;
    if (pauseMs <= 0 || !this.#running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#endPause = undefined;
        resolve();
      }, pauseMs);
      this.#endPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #search(
    template: BlockTemplate,
    signal: AbortSignal,
  ): Promise<{ nonce: number; timeS: number } | undefined> {
    for (let roll = 0; roll < timeRollsMax; roll++) {
      const timeS = template.time + roll;
      const header = headerWithTime(template.header, timeS);
      const result = await this.#pool.search({ header, target: template.target, signal });
      this.#stats.hashes += result.hashes;
      if (result.status === 'found') return { nonce: result.nonce, timeS };
      if (result.status === 'aborted') return undefined;
    }
    return undefined;
  }
}

export type MineBlocksOptions = {
  readonly chain: MinerChain;
  readonly count: number;
  readonly payoutAddress: string;
  readonly minerTag: string;
  /** Search time allowed (default `mineBlocksTimeMsMax`). */
  readonly timeMsMax?: number;
};

/**
 * Mines `count` blocks now on the main thread (regtest's `generatetoaddress`): meant for minimum
 * difficulty, where a block takes a couple of hashes. Returns the hashes of the connected blocks.
 */
/** Blocks `mineBlocks` may lose to peers' blocks for the same height before it gives up. */
export const mineBlocksRacesLostMax = 64;
/**
 * How long `mineBlocks` may search on the caller's thread. Instant blocks need minimum
 * difficulty (a regtest devnet); at real difficulty it gives up with a clear error instead of
 * holding the node's event loop.
 */
export const mineBlocksTimeMsMax = 15_000;

export async function mineBlocks(options: MineBlocksOptions): Promise<string[]> {
  if (!Number.isInteger(options.count) || options.count < 0 || options.count > mineBlocksCountMax)
    throw new InvalidValueError('count', `expected a whole number in 0..${mineBlocksCountMax}`);
  const kernel = createPowKernel();
  const hashes: string[] = [];
  const timeMsMax = options.timeMsMax ?? mineBlocksTimeMsMax;
  const deadlineMs = Date.now() + timeMsMax;
  let racesLost = 0;
  while (hashes.length < options.count) {
    const template = options.chain.blockTemplate({
      payoutAddress: options.payoutAddress,
      minerTag: options.minerTag,
    });
    const found = await searchInline(kernel, template, deadlineMs);
    if (found === undefined)
      throw new MinerError(
        `mined ${hashes.length} of ${options.count} blocks in ${timeMsMax / 1_000} s: ` +
          'the difficulty is too high for blocks on demand (run the devnet with --regtest)',
      );
    const block = options.chain.assembleBlock(template, found.nonce, found.timeS);
    const result = options.chain.submitBlock(block, 'miner');
    if (result.status === 'connected') {
      hashes.push(result.hash);
      continue;
    }
    // A peer's block for this height arrived first (the devnet keeps mining): mine the next.
    if (result.status === 'side-chain' && ++racesLost <= mineBlocksRacesLostMax) continue;
    throw new MinerError(`mined block was not connected: ${result.status} ${result.reason ?? ''}`);
  }
  return hashes;
}

async function searchInline(
  kernel: ReturnType<typeof createPowKernel>,
  template: BlockTemplate,
  deadlineMs: number,
): Promise<{ nonce: number; timeS: number } | undefined> {
  const target = kernel.targetWords(template.target);
  for (let roll = 0; roll < timeRollsMax; roll++) {
    const timeS = template.time + roll;
    const header = headerWithTime(template.header, timeS);
    const mid = kernel.midstate(header);
    const tail = kernel.tailWords(header);
    for (let start = 0; start < nonceSpaceSize; start += inlineScanNonces) {
      const result = kernel.scan(mid, tail, target, start, inlineScanNonces);
      if (result.nonce >= 0) return { nonce: result.nonce, timeS };
      if (Date.now() > deadlineMs) return undefined;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  throw new MinerError('no nonce found within the time rolls');
}
