import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MinerPool, MinerPoolError } from './pool.js';

const sha256d = (bytes: Uint8Array): Uint8Array =>
  createHash('sha256').update(createHash('sha256').update(bytes).digest()).digest();
const hashNumber = (header: Uint8Array, nonce: number): bigint => {
  const copy = header.slice();
  new DataView(copy.buffer).setUint32(76, nonce, true);
  return BigInt(`0x${Buffer.from(sha256d(copy)).reverse().toString('hex')}`);
};

describe('miner pool', () => {
  const pool = new MinerPool(2);
  afterAll(() => pool.close());

  it('finds a nonce that meets the target in worker threads', async () => {
    const header = new Uint8Array(80).fill(7);
    const target = (1n << 240n) - 1n;
    const result = await pool.search({ header, target });
    expect(result.status).toBe('found');
    if (result.status !== 'found') return;
    expect(hashNumber(header, result.nonce)).toBeLessThanOrEqual(target);
    expect(result.hashes).toBeGreaterThan(0);
  });

  it('stops soon after an abort', async () => {
    const header = new Uint8Array(80).fill(9);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const result = await pool.search({ header, target: 0n, signal: controller.signal });
    expect(result.status).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports an exhausted nonce space', async () => {
    const header = new Uint8Array(80).fill(1);
    const result = await pool.search({ header, target: 0n, nonceStart: 2 ** 32 - 5000 });
    expect(result).toEqual({ status: 'exhausted', hashes: 5000 });
  });

  it('refuses a bad thread count and a second concurrent search', async () => {
    expect(() => new MinerPool(0)).toThrow(MinerPoolError);
    const controller = new AbortController();
    const running = pool.search({
      header: new Uint8Array(80),
      target: 0n,
      signal: controller.signal,
    });
    await expect(pool.search({ header: new Uint8Array(80), target: 0n })).rejects.toThrow(
      MinerPoolError,
    );
    controller.abort();
    await running;
  });
});
