// The dispatcher and its handlers against real receivers: the app-side HTTP listener, shell
// scripts and in-process callbacks. Retry delays are milliseconds here instead of minutes.
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@cryptoassets/core';
import type { Account, CryptoassetsEvent, Ledger } from '@cryptoassets/ledger';
import { type OfflineBooks, openOfflineBooks, randomTxid } from '@cryptoassets/ledger/testing';
import {
  createEventHandlers,
  createEventListener,
  createScriptHandler,
  createWebhookHandler,
  EventDispatcher,
  type EventDispatcherOptions,
  type EventHandler,
} from '@cryptoassets/service';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const secret = 'a-webhook-secret-of-some-length';
const fast = { pollIntervalMs: 10, retryDelaysMs: [10, 30, 60], stopWaitMs: 5_000 } as const;

describe('event delivery', () => {
  let books: OfflineBooks;
  let ledger: Ledger;
  let alice: Account;
  let dir: string;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeEach(async () => {
    books = await openOfflineBooks('sqlite');
    ledger = books.ledger;
    alice = await ledger.createAccount(await ledger.getOrCreateWallet('default'), 'alice');
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-events-'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await books.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Records `count` new unconfirmed deposits to alice: one event each. */
  async function deposits(count: number, account: Account = alice): Promise<void> {
    const address = await ledger.createReceivingAddress(account);
    for (let i = 0; i < count; i++)
      await ledger.recordDeposit({
        txid: randomTxid(),
        address: address.address,
        amount: 5_000n,
        confirmations: 0,
      });
  }

  async function outboxIds(): Promise<string[]> {
    return (await ledger.events.readAfter(0)).map((e) => e.event.id);
  }

  function dispatcher(
    handlers: EventHandler[],
    options: Partial<EventDispatcherOptions> = {},
  ): EventDispatcher {
    const logs: string[] = [];
    const started = new EventDispatcher({
      outboxes: [ledger.events],
      handlers,
      logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
      ...fast,
      ...options,
    });
    started.start();
    cleanups.push(() => started.stop());
    return started;
  }

  async function listen(server: Server, port = 0): Promise<number> {
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return (server.address() as AddressInfo).port;
  }

  /** An app that receives webhooks with the listener and counts what it handles per id. */
  function app() {
    const handled: CryptoassetsEvent[] = [];
    const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
    const listener = createEventListener({ secret, onEvent: (event) => void handled.push(event) });
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () =>
        requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      listener(request, response);
    });
    return { handled, requests, server };
  }

  it('delivers signed webhooks that the app listener accepts', async () => {
    await deposits(2);
    const receiver = app();
    const port = await listen(receiver.server);
    const webhook = createWebhookHandler({
      name: 'shop',
      url: `http://127.0.0.1:${port}/events`,
      secret,
      timeoutMs: 2_000,
    });
    const running = dispatcher([webhook]);
    await waitFor(() => receiver.handled.length === 2);
    expect(receiver.handled).toEqual((await ledger.events.readAfter(0)).map((e) => e.event));
    const first = receiver.requests[0]!;
    const expected = createHmac('sha256', secret).update(first.body).digest('hex');
    expect(first.headers['x-cryptoassets-signature']).toBe(`sha256=${expected}`);
    expect(first.headers['x-cryptoassets-event-id']).toBe('ltc:1');
    expect(first.headers['content-type']).toBe('application/json');
    await waitFor(async () => (await running.status())[0]?.waiting === 0);
    expect(await running.status()).toEqual([{ coin: 'ltc', handler: 'shop', waiting: 0, dead: 0 }]);
  });

  it('loses nothing while the receiver is down: each event arrives once, in order', async () => {
    const port = await freePort();
    await deposits(4);
    const webhook = createWebhookHandler({
      name: 'shop',
      url: `http://127.0.0.1:${port}/events`,
      secret,
      timeoutMs: 1_000,
    });
    const running = dispatcher([webhook]);
    await waitFor(async () => ((await ledger.events.nextDelivery('shop'))?.attempts ?? 0) >= 2);
    expect(await running.status()).toEqual([{ coin: 'ltc', handler: 'shop', waiting: 4, dead: 0 }]);

    const receiver = app();
    await listen(receiver.server, port);
    await deposits(3);
    running.wake();
    const all = await outboxIds();
    expect(all.length).toBe(7);
    await waitFor(() => receiver.handled.length === 7);
    await waitFor(async () => (await running.status())[0]?.waiting === 0);
    expect(receiver.handled.map((e) => e.id)).toEqual(all);
    const posts = new Map<string, number>();
    for (const request of receiver.requests) {
      const id = String(request.headers['x-cryptoassets-event-id']);
      posts.set(id, (posts.get(id) ?? 0) + 1);
    }
    expect([...posts.keys()].sort()).toEqual([...all].sort());
  });

  it('retries a failing script until it succeeds, with the event in its environment', async () => {
    const script = join(dir, 'on-event.sh');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        'dir=$(dirname "$0")',
        'n=$(cat "$dir/attempts" 2>/dev/null || echo 0)',
        'n=$((n + 1))',
        'echo "$n" > "$dir/attempts"',
        'if [ "$n" -le 2 ]; then echo "not ready yet" >&2; exit 3; fi',
        'printf "%s\\n%s\\n%s\\n" "$CRYPTOASSETS_EVENT_NAME" "$CRYPTOASSETS_EVENT_ID" "$CRYPTOASSETS_EVENT_DATA" >> "$dir/events.log"',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    // An account name that a shell would run: it must arrive as plain text.
    const sneaky = await ledger.createAccount(
      await ledger.getOrCreateWallet('default'),
      `eve $(touch ${join(dir, 'pwned')}) \`touch ${join(dir, 'pwned2')}\``,
    );
    await deposits(1, sneaky);
    const logs: string[] = [];
    const running = dispatcher([createScriptHandler({ name: 'audit', script, timeoutMs: 5_000 })], {
      logger: createLogger({ write: (line) => logs.push(line) }),
    });
    await waitFor(() => existsSync(join(dir, 'events.log')));
    await waitFor(async () => (await running.status())[0]?.waiting === 0);
    expect(readFileSync(join(dir, 'attempts'), 'utf8').trim()).toBe('3');
    const [name, id, json] = readFileSync(join(dir, 'events.log'), 'utf8').trimEnd().split('\n');
    expect(name).toBe('txupdate');
    expect(id).toBe('ltc:1');
    const data = JSON.parse(json!) as Record<string, unknown>;
    expect(data).toMatchObject({ coin: 'ltc', amount: '0.00005000', account: sneaky.name });
    expect(typeof data.amount).toBe('string');
    expect(existsSync(join(dir, 'pwned')) || existsSync(join(dir, 'pwned2'))).toBe(false);
    expect(logs.filter((line) => line.includes('exited with code 3: not ready yet')).length).toBe(
      2,
    );
  });

  it('gives up on a script that times out, and records why', async () => {
    const script = join(dir, 'slow.sh');
    writeFileSync(script, '#!/bin/sh\nsleep 5\n');
    chmodSync(script, 0o755);
    await deposits(1);
    const running = dispatcher([createScriptHandler({ name: 'slow', script, timeoutMs: 150 })], {
      attemptsMax: 1,
    });
    await waitFor(async () => (await running.status())[0]?.dead === 1);
    const [dead] = await ledger.events.listDead({ handler: 'slow' });
    expect(dead?.lastError).toMatch(/timed out after 150 ms/);
  });

  it('calls an in-process callback from the configuration, retrying when it throws', async () => {
    const key = `cryptoassets-test-${Math.random()}`;
    writeFileSync(
      join(dir, 'hook.mjs'),
      `const state = (globalThis[Symbol.for(${JSON.stringify(key)})] = { failures: 1, events: [] });
export async function onEvent(event) {
  if (state.failures-- > 0) throw new Error('app not ready');
  state.events.push(event);
}
`,
    );
    await deposits(2);
    const handlers = createEventHandlers({
      source: join(dir, 'cryptoassets.yaml'),
      events: { app: { type: 'callback', module: './hook.mjs', export: 'onEvent' } },
    });
    const running = dispatcher(handlers);
    const state = () =>
      (globalThis as Record<symbol, { events: CryptoassetsEvent[] } | undefined>)[Symbol.for(key)];
    await waitFor(() => state()?.events.length === 2);
    expect(state()?.events).toEqual((await ledger.events.readAfter(0)).map((e) => e.event));
    await waitFor(async () => (await running.status())[0]?.waiting === 0);
  });

  it('dead-letters an event after the last attempt, moves on, and redelivers on request', async () => {
    await deposits(3);
    const [first, second, third] = await outboxIds();
    const delivered: string[] = [];
    let broken = true;
    const handler: EventHandler = {
      name: 'picky',
      deliver: async (event) => {
        if (broken && event.id === first) throw new Error('receiver rejects this one');
        delivered.push(event.id);
      },
    };
    const running = dispatcher([handler], { attemptsMax: 3 });
    await waitFor(() => delivered.length === 2);
    expect(delivered).toEqual([second, third]);
    expect(await running.status()).toEqual([
      { coin: 'ltc', handler: 'picky', waiting: 0, dead: 1 },
    ]);
    const dead = await ledger.events.listDead({ handler: 'picky' });
    expect(dead.map((d) => [d.event.event.id, d.attempts, d.lastError])).toEqual([
      [first, 3, 'receiver rejects this one'],
    ]);

    broken = false;
    expect(await ledger.events.redeliver('picky', dead[0]!.event.sequence)).toBe(true);
    running.wake();
    await waitFor(() => delivered.length === 3);
    expect(delivered).toEqual([second, third, first]);
    await waitFor(async () => (await running.status())[0]?.dead === 0);
    expect(await running.status()).toEqual([
      { coin: 'ltc', handler: 'picky', waiting: 0, dead: 0 },
    ]);
  });

  it('waits in stop() for the delivery in flight and records it', async () => {
    await deposits(1);
    let finished = false;
    let started!: () => void;
    const begun = new Promise<void>((resolve) => {
      started = resolve;
    });
    const handler: EventHandler = {
      name: 'slow',
      deliver: async () => {
        started();
        await sleep(200);
        finished = true;
      },
    };
    const running = dispatcher([handler]);
    await begun;
    await running.stop();
    expect(finished).toBe(true);
    expect(await ledger.events.cursor('slow')).toBe(1);
  });
});

describe('event listener for apps', () => {
  const event = {
    id: 'ltc:7',
    name: 'txupdate',
    created_at: '2024-01-01T00:00:00.000Z',
    data: { coin: 'ltc', amount: '1.00000000' },
  };
  const body = JSON.stringify(event);
  const sign = (text: string, key = secret) =>
    `sha256=${createHmac('sha256', key).update(text).digest('hex')}`;
  let server: Server;
  let url: string;
  let handled: string[];
  let gate: Promise<void> | undefined;
  let failNext = false;
  let entered = 0;

  beforeEach(async () => {
    handled = [];
    gate = undefined;
    failNext = false;
    entered = 0;
    const listener = createEventListener({
      secret,
      bodyBytesMax: 1_024,
      onEvent: async (received) => {
        if (failNext) {
          failNext = false;
          throw new Error('app failed');
        }
        entered++;
        await gate;
        handled.push(received.id);
      },
    });
    server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (text: string, signature: string | undefined) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature === undefined ? {} : { 'x-cryptoassets-signature': signature }),
      },
      body: text,
    });

  it('refuses a bad or missing signature with 401', async () => {
    expect((await post(body, sign(body, 'another-secret-entirely'))).status).toBe(401);
    expect((await post(body, sign(`${body} `))).status).toBe(401);
    expect((await post(body, undefined)).status).toBe(401);
    expect((await post(body, 'sha256=zz')).status).toBe(401);
    expect(handled).toEqual([]);
  });

  it('handles an event once and answers a replay without handling it again', async () => {
    const first = await post(body, sign(body));
    expect(first.status).toBe(200);
    const replay = await post(body, sign(body));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ duplicate: true });
    expect(handled).toEqual(['ltc:7']);
  });

  it('answers 409 to the same event while it is being handled', async () => {
    let open!: () => void;
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = post(body, sign(body));
    await waitFor(() => entered === 1);
    expect((await post(body, sign(body))).status).toBe(409);
    open();
    expect((await first).status).toBe(200);
    expect(handled).toEqual(['ltc:7']);
  });

  it('answers 500 when the app fails, and handles the retry', async () => {
    failNext = true;
    expect((await post(body, sign(body))).status).toBe(500);
    expect((await post(body, sign(body))).status).toBe(200);
    expect(handled).toEqual(['ltc:7']);
  });

  it('refuses a body over the limit with 413, and what is not an event with 400 or 405', async () => {
    const big = JSON.stringify({ ...event, data: { padding: 'x'.repeat(2_000) } });
    expect((await post(big, sign(big))).status).toBe(413);
    const notJson = 'hello';
    expect((await post(notJson, sign(notJson))).status).toBe(400);
    expect((await fetch(url)).status).toBe(405);
    expect(handled).toEqual([]);
  });
});

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
