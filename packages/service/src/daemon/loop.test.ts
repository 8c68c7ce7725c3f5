import { describe, expect, it } from 'vitest';
import { startLoop } from './loop.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startLoop', () => {
  it('runs at once, then periodically, and stop waits for the run in flight', async () => {
    let calls = 0;
    let inFlight = false;
    const loop = startLoop({
      name: 'tick',
      periodMs: 10,
      work: async () => {
        inFlight = true;
        calls++;
        await sleep(5);
        inFlight = false;
      },
      onFailure: () => {
        throw new Error('not expected');
      },
    });
    await sleep(60);
    await loop.stop();
    expect(inFlight).toBe(false);
    expect(calls).toBeGreaterThanOrEqual(2);
    const after = calls;
    await sleep(30);
    expect(calls).toBe(after);
    expect(loop.lastRunAt).toBeInstanceOf(Date);
  });

  it('reports a run that rejects and ends', async () => {
    const failures: string[] = [];
    let calls = 0;
    const loop = startLoop({
      name: 'dies',
      periodMs: 5,
      work: async () => {
        calls++;
        throw new Error('boom');
      },
      onFailure: (name, error) => failures.push(`${name}: ${(error as Error).message}`),
    });
    await sleep(40);
    expect(failures).toEqual(['dies: boom']);
    expect(calls).toBe(1);
    await loop.stop();
  });
});
