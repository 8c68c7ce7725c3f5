import { createLogger } from '@cryptoassets/core';
import { describe, expect, it } from 'vitest';
import { deliveryAttemptsMax, EventDispatcher, retryDelaysMsDefault } from './dispatcher.js';

const quiet = createLogger({ write: () => undefined });

describe('EventDispatcher retry schedule', () => {
  it('waits 10 s, then 60 s, then every 10 min by default', () => {
    const dispatcher = new EventDispatcher({ outboxes: [], handlers: [], logger: quiet });
    expect([1, 2, 3, 4, 19].map((attempts) => dispatcher.retryDelayMs(attempts))).toEqual([
      10_000, 60_000, 600_000, 600_000, 600_000,
    ]);
    expect(retryDelaysMsDefault).toEqual([10_000, 60_000, 600_000]);
    expect(deliveryAttemptsMax).toBeGreaterThan(3);
  });

  it('takes an injected schedule', () => {
    const dispatcher = new EventDispatcher({
      outboxes: [],
      handlers: [],
      retryDelaysMs: [1, 2],
      logger: quiet,
    });
    expect([1, 2, 3].map((attempts) => dispatcher.retryDelayMs(attempts))).toEqual([1, 2, 2]);
  });

  it('refuses bad limits and duplicate handler names', () => {
    const handler = { name: 'shop', deliver: async () => undefined };
    expect(() => new EventDispatcher({ outboxes: [], handlers: [], retryDelaysMs: [] })).toThrow();
    expect(() => new EventDispatcher({ outboxes: [], handlers: [], attemptsMax: 0 })).toThrow();
    expect(() => new EventDispatcher({ outboxes: [], handlers: [], pollIntervalMs: 0 })).toThrow();
    expect(
      () => new EventDispatcher({ outboxes: [], handlers: [], pollIntervalMs: 3_600_000 }),
    ).toThrow();
    expect(() => new EventDispatcher({ outboxes: [], handlers: [handler, handler] })).toThrow();
  });
});
