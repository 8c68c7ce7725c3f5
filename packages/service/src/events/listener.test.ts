import { describe, expect, it } from 'vitest';
import { createMemorySeenStore } from './listener.js';

describe('createMemorySeenStore', () => {
  it('remembers ids up to its bound, forgetting the oldest first', () => {
    const store = createMemorySeenStore(2);
    store.add('a');
    store.add('b');
    store.add('a');
    store.add('c');
    expect([store.has('a'), store.has('b'), store.has('c')]).toEqual([true, false, true]);
  });

  it('refuses a bound that is not a positive whole number', () => {
    expect(() => createMemorySeenStore(0)).toThrow();
    expect(() => createMemorySeenStore(1.5)).toThrow();
  });
});
