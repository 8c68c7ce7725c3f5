// The webhook handler against a local HTTP receiver: signed bodies, kept-alive connections (and a
// connection the receiver closed while idle), bounded quotes of failed answers, the timeout and
// redirects treated as failures.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { CryptoassetsEvent } from '@cryptoassets/ledger';
import { afterEach, describe, expect, it } from 'vitest';
import { EventDeliveryFailed, serializeEvent } from './handler.js';
import { eventIdHeader, signatureHeader, signBody, verifySignature } from './signature.js';
import { createWebhookHandler, webhookResponseBytesMax } from './webhook.js';

const secret = 'a-webhook-secret-of-some-length';
const waitMsMax = 5_000;

type Received = {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly path: string;
};
type Answer = (request: IncomingMessage, response: ServerResponse, socket: Socket) => void;

type Receiver = {
  readonly url: string;
  readonly server: Server;
  readonly received: Received[];
  /** Server-side sockets, one per TCP connection the handler opened. */
  readonly sockets: Socket[];
};

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A local receiver that records each request and answers it with `answer` (200 by default). */
async function receiver(answer: Answer = ok): Promise<Receiver> {
  const received: Received[] = [];
  const sockets: Socket[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        headers: request.headers,
        body: Buffer.concat(chunks),
        path: request.url ?? '',
      });
      answer(request, response, request.socket);
    });
  });
  server.on('connection', (socket: Socket) => sockets.push(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/shop`, server, received, sockets };
}

function ok(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end('{"ok":true}');
}

function event(sequence: number): CryptoassetsEvent {
  return {
    id: `ltc:${sequence}`,
    name: 'txupdate',
    created_at: '2024-01-01T00:00:00.000Z',
    data: {
      coin: 'ltc',
      transaction_id: sequence,
      network_transaction_id: sequence,
      direction: 'deposit',
      txid: sequence.toString(16).padStart(64, '0'),
      account: 'alice',
      address: 'rltc1qexampleaddress',
      amount: '0.00005000',
      confirmations: 0,
      credited: false,
      state: 'incoming',
    },
  };
}

/** The error `promise` rejects with, checked to be an EventDeliveryFailed. */
async function failure(promise: Promise<unknown>): Promise<EventDeliveryFailed> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(EventDeliveryFailed);
  return error as EventDeliveryFailed;
}

describe('webhook handler', () => {
  it('posts the event as JSON with a signature the receiver can verify', async () => {
    const target = await receiver();
    const webhook = createWebhookHandler({
      name: 'shop',
      url: target.url,
      secret,
      timeoutMs: 2_000,
    });
    await webhook.deliver(event(7));
    expect(target.received).toHaveLength(1);
    const [request] = target.received;
    expect(request?.path).toBe('/hooks/shop');
    expect(request?.body.toString('utf8')).toBe(serializeEvent(event(7)));
    expect(JSON.parse(request?.body.toString('utf8') ?? '')).toEqual(event(7));
    const signature = request?.headers[signatureHeader.toLowerCase()];
    expect(typeof signature).toBe('string');
    expect(signature).toBe(signBody(request?.body ?? Buffer.alloc(0), secret));
    expect(verifySignature(request?.body ?? Buffer.alloc(0), String(signature), secret)).toBe(true);
    expect(verifySignature(request?.body ?? Buffer.alloc(0), String(signature), 'other')).toBe(
      false,
    );
    expect(request?.headers[eventIdHeader.toLowerCase()]).toBe('ltc:7');
    expect(request?.headers['content-type']).toBe('application/json');
  });

  it('sends no signature without a secret and takes any 2xx as delivered', async () => {
    const target = await receiver((_request, response) => {
      response.writeHead(204);
      response.end();
    });
    const webhook = createWebhookHandler({ name: 'shop', url: target.url, timeoutMs: 2_000 });
    await webhook.deliver(event(1));
    expect(target.received[0]?.headers[signatureHeader.toLowerCase()]).toBeUndefined();
  });

  it('reuses one kept-alive connection for sequential deliveries', async () => {
    const target = await receiver();
    const webhook = createWebhookHandler({
      name: 'shop',
      url: target.url,
      secret,
      timeoutMs: 2_000,
    });
    for (let sequence = 1; sequence <= 5; sequence++) await webhook.deliver(event(sequence));
    expect(target.received.map((r) => r.headers[eventIdHeader.toLowerCase()])).toEqual([
      'ltc:1',
      'ltc:2',
      'ltc:3',
      'ltc:4',
      'ltc:5',
    ]);
    expect(target.sockets).toHaveLength(1);
  });

  it('delivers on a new connection after the receiver closed the idle one', async () => {
    const target = await receiver();
    target.server.keepAliveTimeout = 50;
    const webhook = createWebhookHandler({ name: 'shop', url: target.url, timeoutMs: 2_000 });
    await webhook.deliver(event(1));
    const [first] = target.sockets;
    await waitFor(() => first?.destroyed === true);
    await webhook.deliver(event(2));
    expect(target.received).toHaveLength(2);
    expect(target.sockets).toHaveLength(2);
  });

  it('posts once more on a new connection when a reused one turns out closed, only once', async () => {
    const dropReused = true;
    let dropAll = false;
    const served = new Set<Socket>();
    const target = await receiver((request, response, socket) => {
      // A receiver that closed the kept-alive connection just as the next request went out.
      if (dropAll || (dropReused && served.has(socket))) {
        socket.destroy();
        return;
      }
      served.add(socket);
      ok(request, response);
    });
    const webhook = createWebhookHandler({ name: 'shop', url: target.url, timeoutMs: 2_000 });
    await webhook.deliver(event(1));
    await webhook.deliver(event(2));
    expect(target.received.map((r) => r.headers[eventIdHeader.toLowerCase()])).toEqual([
      'ltc:1',
      'ltc:2',
      'ltc:2',
    ]);
    expect(target.sockets).toHaveLength(2);

    // The retry on the new connection fails too: the delivery fails, after two requests.
    dropAll = true;
    const error = await failure(webhook.deliver(event(3)));
    expect(error.message).toContain(`POST ${target.url}`);
    expect(
      target.received.filter((r) => r.headers[eventIdHeader.toLowerCase()] === 'ltc:3'),
    ).toHaveLength(2);
  });

  it('fails on a 500 and quotes at most webhookResponseBytesMax bytes of the answer', async () => {
    const answerBytes = 10 * 1_024;
    const target = await receiver((_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('x'.repeat(answerBytes));
    });
    const webhook = createWebhookHandler({ name: 'shop', url: target.url, timeoutMs: 2_000 });
    const error = await failure(webhook.deliver(event(1)));
    expect(error.handler).toBe('shop');
    const quoted = /answered 500: (x*)/.exec(error.message)?.[1] ?? '';
    expect(quoted.length).toBeGreaterThan(0);
    expect(quoted.length).toBeLessThanOrEqual(webhookResponseBytesMax);
    expect(Buffer.byteLength(error.message)).toBeLessThan(webhookResponseBytesMax + 200);
  });

  it('fails within timeoutMs when the receiver never answers', async () => {
    const timeoutMs = 200;
    const target = await receiver(() => undefined);
    const webhook = createWebhookHandler({ name: 'shop', url: target.url, timeoutMs });
    const startedAt = Date.now();
    const error = await failure(webhook.deliver(event(1)));
    const elapsedMs = Date.now() - startedAt;
    expect(error.message).toMatch(/no complete answer within 200 ms/);
    expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 10);
    expect(elapsedMs).toBeLessThan(timeoutMs + 1_000);
    expect(target.received).toHaveLength(1);
  });

  it('fails within timeoutMs when the answer starts but never ends', async () => {
    const timeoutMs = 200;
    const target = await receiver((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    });
    const webhook = createWebhookHandler({ name: 'shop', url: target.url, timeoutMs });
    const startedAt = Date.now();
    const error = await failure(webhook.deliver(event(1)));
    expect(error.message).toMatch(/no complete answer within 200 ms/);
    expect(Date.now() - startedAt).toBeLessThan(timeoutMs + 1_000);
  });

  it('fails on a redirect instead of following it', async () => {
    const target = await receiver((request, response) => {
      if (request.url === '/elsewhere') return ok(request, response);
      response.writeHead(302, { location: '/elsewhere' });
      response.end();
    });
    const webhook = createWebhookHandler({ name: 'shop', url: target.url, timeoutMs: 2_000 });
    const error = await failure(webhook.deliver(event(1)));
    expect(error.message).toMatch(/answered 302/);
    expect(target.received.map((r) => r.path)).toEqual(['/hooks/shop']);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = waitMsMax): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
