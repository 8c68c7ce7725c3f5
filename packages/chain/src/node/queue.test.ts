import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './queue.js';

describe('bounded queue', () => {
  it('handles items in order, off the caller, and refuses beyond its capacity', async () => {
    const handled: number[] = [];
    const queue = new BoundedQueue<number>({
      capacity: 2,
      handle: (item) => void handled.push(item),
    });
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(true);
    expect(queue.push(3)).toBe(false);
    expect(handled).toEqual([]);
    await queue.idle();
    expect(handled).toEqual([1, 2]);
    expect(queue.push(4)).toBe(true);
    await queue.idle();
    expect(handled).toEqual([1, 2, 4]);
  });

  it('keeps going after a failing item and reports it', async () => {
    const errors: unknown[] = [];
    const handled: number[] = [];
    const queue = new BoundedQueue<number>({
      capacity: 5,
      handle: (item) => {
        if (item === 1) throw new Error('bad item');
        handled.push(item);
      },
      onError: (error) => errors.push(error),
    });
    queue.push(1);
    queue.push(2);
    await queue.idle();
    expect(handled).toEqual([2]);
    expect(errors).toHaveLength(1);
  });

  it('refuses new items once closed', async () => {
    const queue = new BoundedQueue<number>({ capacity: 5, handle: () => {} });
    await queue.close();
    expect(queue.push(1)).toBe(false);
  });
});
