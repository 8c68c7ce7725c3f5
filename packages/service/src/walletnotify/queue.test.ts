import { createLogger, type Logger } from '@cryptoassets/core';
import { describe, expect, it } from 'vitest';
import { createTxidQueue } from './queue.js';

function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    logger: createLogger({ level: 'debug', json: true, write: (line) => lines.push(line) }),
    lines,
  };
}

describe('createTxidQueue', () => {
  it('with concurrency 1, runs callbacks one at a time in arrival order', async () => {
    const seen: string[] = [];
    let running = 0;
    let runningMax = 0;
    const { logger } = memoryLogger();
    const queue = createTxidQueue({
      logger,
      queueLengthMax: 10,
      source: 'test',
      concurrency: 1,
      onTxid: async (txid) => {
        running++;
        runningMax = Math.max(runningMax, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        seen.push(txid);
        running--;
      },
    });
    for (const txid of ['a', 'b', 'c', 'd']) expect(queue.push(txid)).toBe(true);
    await queue.idle();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(runningMax).toBe(1);
  });

  it('runs up to `concurrency` callbacks at once, starting them in arrival order', async () => {
    const started: string[] = [];
    let running = 0;
    let runningMax = 0;
    const { logger } = memoryLogger();
    const queue = createTxidQueue({
      logger,
      queueLengthMax: 20,
      source: 'test',
      concurrency: 3,
      onTxid: async (txid) => {
        started.push(txid);
        running++;
        runningMax = Math.max(runningMax, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      },
    });
    const txids = 'abcdefghij'.split('');
    for (const txid of txids) expect(queue.push(txid)).toBe(true);
    await queue.idle();
    expect(started).toEqual(txids);
    expect(runningMax).toBe(3);
    // Pushed one by one after going idle, each still runs.
    expect(queue.push('k')).toBe(true);
    await queue.idle();
    expect(started.at(-1)).toBe('k');
  });

  it('drops and logs when full', async () => {
    const { logger, lines } = memoryLogger();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: string[] = [];
    const queue = createTxidQueue({
      logger,
      queueLengthMax: 2,
      source: 'test',
      concurrency: 1,
      onTxid: async (txid) => {
        await gate;
        seen.push(txid);
      },
    });
    // The first is taken by the running callback; two wait; the fourth does not fit.
    expect([queue.push('a'), queue.push('b'), queue.push('c'), queue.push('d')]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(queue.dropped).toBe(1);
    expect(lines.some((line) => line.includes('queue full'))).toBe(true);
    release();
    await queue.idle();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('logs a failing callback and goes on with the next txid', async () => {
    const { logger, lines } = memoryLogger();
    const seen: string[] = [];
    const queue = createTxidQueue({
      logger,
      queueLengthMax: 10,
      source: 'test',
      onTxid: (txid) => {
        if (txid === 'bad') throw new Error('boom');
        seen.push(txid);
      },
    });
    queue.push('bad');
    queue.push('good');
    await queue.idle();
    expect(seen).toEqual(['good']);
    expect(lines.some((line) => line.includes('boom'))).toBe(true);
  });

  it('close drops what waits, waits for what runs, and refuses more', async () => {
    const { logger } = memoryLogger();
    const seen: string[] = [];
    const queue = createTxidQueue({
      logger,
      queueLengthMax: 10,
      source: 'test',
      onTxid: async (txid) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push(txid);
      },
    });
    queue.push('a');
    queue.push('b');
    await queue.close();
    expect(seen).toEqual(['a']);
    expect(queue.push('c')).toBe(false);
  });
});
