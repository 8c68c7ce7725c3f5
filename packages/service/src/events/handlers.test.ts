import { describe, expect, it } from 'vitest';
import { createEventHandlers, moduleSpecifier } from './handlers.js';
import { scriptEnvironment } from './script.js';

describe('event handlers from the configuration', () => {
  it('takes relative module paths from the configuration folder', () => {
    expect(moduleSpecifier('./hooks/app.mjs', '/srv/app')).toBe('file:///srv/app/hooks/app.mjs');
    expect(moduleSpecifier('../app.mjs', '/srv/app')).toBe('file:///srv/app.mjs');
    expect(moduleSpecifier('/opt/app.mjs', '/srv/app')).toBe('file:///opt/app.mjs');
    expect(moduleSpecifier('my-app/events', '/srv/app')).toBe('my-app/events');
    expect(moduleSpecifier('file:///x.mjs', '/srv/app')).toBe('file:///x.mjs');
  });

  it('makes one handler per entry, named after its key', () => {
    const handlers = createEventHandlers({
      source: '/srv/app/cryptoassets.yaml',
      events: {
        shop: { type: 'http', url: 'http://127.0.0.1:1/events', timeout_ms: 1_000 },
        audit: { type: 'script', script: './on-event.sh', timeout_ms: 1_000 },
        app: { type: 'callback', module: './app.mjs', export: 'onEvent' },
      },
    });
    expect(handlers.map((handler) => handler.name)).toEqual(['shop', 'audit', 'app']);
  });

  it('gives scripts the event name, id and data with decimal amounts', () => {
    const env = scriptEnvironment({
      id: 'ltc:3',
      name: 'txupdate',
      created_at: '2024-01-01T00:00:00.000Z',
      data: {
        coin: 'ltc',
        transaction_id: 1,
        network_transaction_id: 2,
        direction: 'deposit',
        txid: 'ab',
        account: 'alice',
        address: 'addr',
        amount: '0.10000000',
        confirmations: 1,
        credited: false,
        state: 'incoming',
      },
    });
    expect(env.CRYPTOASSETS_EVENT_NAME).toBe('txupdate');
    expect(env.CRYPTOASSETS_EVENT_ID).toBe('ltc:3');
    expect(JSON.parse(env.CRYPTOASSETS_EVENT_DATA ?? '{}').amount).toBe('0.10000000');
  });
});
