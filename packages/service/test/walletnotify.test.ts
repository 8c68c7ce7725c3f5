// Walletnotify listeners against real transports: HTTP requests (curl among them), a named pipe
// written by other processes, and a Redis server that is killed and restarted mid-run.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger, type Logger } from '@cryptoassets/core';
import {
  createWalletnotifyListener,
  decodeUtf8,
  parseNotificationBody,
  parseTxid,
  type RedisWalletnotifyListener,
  type WalletnotifyConfig,
  type WalletnotifyLimits,
  type WalletnotifyListener,
  WalletnotifyRejected,
  WalletnotifyStartError,
} from '@cryptoassets/service';
import {
  coinbaseMaturityBlocks,
  type Litecoind,
  requireLitecoind,
  startLitecoind,
} from '@cryptoassets/service/testing';
import * as fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const waitMsMax = 10_000;
const pollMs = 20;

const txidA = 'a1'.repeat(32);
const txidB = 'b2'.repeat(32);
const txidC = 'c3'.repeat(32);
const txidD = 'd4'.repeat(32);

type Harness = {
  readonly listener: WalletnotifyListener;
  readonly txids: string[];
  readonly logs: string[];
};

const running: WalletnotifyListener[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((listener) => listener.stop()));
});

function memoryLogger(logs: string[]): Logger {
  return createLogger({ level: 'debug', json: true, write: (line) => logs.push(line) });
}

function harness(config: WalletnotifyConfig, limits: Partial<WalletnotifyLimits> = {}): Harness {
  const txids: string[] = [];
  const logs: string[] = [];
  const listener = createWalletnotifyListener(config, {
    onTxid: (txid) => {
      txids.push(txid);
    },
    logger: memoryLogger(logs),
    limits,
  });
  running.push(listener);
  return { listener, txids, logs };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + waitMsMax;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

type Reply = { readonly status: number; readonly text: string };

/** One HTTP request; `chunks` are written one by one (chunked unless a length is given). */
function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; chunks?: string[] },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'POST', headers: init.headers ?? {} });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }),
      );
    });
    req.on('error', reject);
    for (const chunk of init.chunks ?? []) req.write(chunk);
    req.end();
  });
}

function post(url: string, body: string, contentType = 'text/plain'): Promise<Reply> {
  return send(url, { headers: { 'Content-Type': contentType }, chunks: [body] });
}

describe('HTTP walletnotify', () => {
  it('takes the curl form and a plain body, and answers each mistake without stopping', async () => {
    const port = await freePort();
    const { listener, txids } = harness({
      type: 'http',
      host: '127.0.0.1',
      port,
      body_bytes_max: 256,
    });
    await listener.start();
    const url = `http://127.0.0.1:${port}/`;

    // Exactly what `walletnotify=curl --data "txid=%s" http://...` runs.
    const curl = await execFileAsync('curl', [
      '--silent',
      '--show-error',
      '--data',
      `txid=${txidA}`,
      url,
    ]);
    expect(curl.stdout).toBe('ok');
    expect(await post(url, `${txidB.toUpperCase()}\n`)).toEqual({ status: 200, text: 'ok' });

    expect((await post(`http://127.0.0.1:${port}/other`, `txid=${txidC}`)).status).toBe(404);
    expect((await send(url, { method: 'GET' })).status).toBe(405);
    expect((await post(url, 'txid=not-a-txid', 'application/x-www-form-urlencoded')).status).toBe(
      400,
    );
    expect((await post(url, `txid=${txidC}&more=1`)).status).toBe(400);
    // Declared too large: refused before the body is read.
    expect((await post(url, `txid=${txidC}${' '.repeat(300)}`)).status).toBe(413);
    // Streamed too large (no length given): refused once the limit is passed.
    const streamed = await send(url, { chunks: ['x'.repeat(200), 'y'.repeat(200)] });
    expect(streamed.status).toBe(413);

    expect(await post(url, `txid=${txidD}`)).toEqual({ status: 200, text: 'ok' });
    await waitFor('the callback', () => txids.length === 3);
    expect(txids).toEqual([txidA, txidB, txidD]);
    expect(listener.stats).toMatchObject({ received: 3, rejected: 6, state: 'listening' });
    expect(listener.stats.lastReceivedAt).toBeInstanceOf(Date);

    const began = Date.now();
    await listener.stop();
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(listener.stats.state).toBe('stopped');
  });

  it('serves only the secret path when one is set', async () => {
    const port = await freePort();
    const { listener, txids } = harness({
      type: 'http',
      host: '127.0.0.1',
      port,
      secret_path: 's3cret-path',
      body_bytes_max: 1_024,
    });
    await listener.start();
    expect((await post(`http://127.0.0.1:${port}/`, `txid=${txidA}`)).status).toBe(404);
    expect((await post(`http://127.0.0.1:${port}/s3cret-pat`, `txid=${txidA}`)).status).toBe(404);
    const good = await post(`http://127.0.0.1:${port}/s3cret-path?x=1`, `txid=${txidB}`);
    expect(good).toEqual({ status: 200, text: 'ok' });
    await waitFor('the callback', () => txids.length === 1);
    expect(txids).toEqual([txidB]);
  });

  it('refuses a non-loopback host without a secret path, naming the field', async () => {
    const { listener } = harness({ type: 'http', host: '0.0.0.0', port: 1, body_bytes_max: 1_024 });
    const failure = await listener.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WalletnotifyStartError);
    expect((failure as WalletnotifyStartError).field).toBe('walletnotify.secret_path');
    expect((failure as WalletnotifyStartError).code).toBe('WALLETNOTIFY_START');
  });

  it('names the port when it is taken', async () => {
    const port = await freePort();
    const first = harness({ type: 'http', host: '127.0.0.1', port, body_bytes_max: 1_024 });
    await first.listener.start();
    const second = harness({ type: 'http', host: '127.0.0.1', port, body_bytes_max: 1_024 });
    await expect(second.listener.start()).rejects.toMatchObject({ field: 'walletnotify.port' });
  });

  it('cuts a client that is too slow with its headers, and caps open connections', async () => {
    const port = await freePort();
    const { listener } = harness(
      { type: 'http', host: '127.0.0.1', port, body_bytes_max: 1_024 },
      { headersTimeoutMs: 500, requestTimeoutMs: 1_000, connectionCountMax: 2 },
    );
    await listener.start();
    type Connection = { socket: Socket; closed: Promise<number>; readonly received: string[] };
    const connect = (): Connection => {
      const socket = new Socket();
      const began = Date.now();
      const received: string[] = [];
      const closed = new Promise<number>((resolve) =>
        socket.on('close', () => resolve(Date.now() - began)),
      );
      socket.on('error', () => undefined);
      // Reading lets the socket see the server's end of the connection.
      socket.on('data', (chunk: Buffer) => received.push(chunk.toString()));
      socket.connect(port, '127.0.0.1');
      return { socket, closed, received };
    };
    const slow = connect();
    slow.socket.write('POST / HTTP/1.1\r\nHost: x\r\n');
    const idle = connect();
    await waitFor(
      'two open connections',
      () => slow.socket.readyState === 'open' && idle.socket.readyState === 'open',
    );
    const extra = connect();
    // The third connection is over the cap and is closed at once.
    expect(await extra.closed).toBeLessThan(400);
    // The slow ones are closed within the timeout and its check interval.
    expect(await slow.closed).toBeLessThan(3_000);
    expect(await idle.closed).toBeLessThan(3_000);
    expect(slow.received.join('')).toMatch(/^HTTP\/1\.1 408 /);
    expect((await post(`http://127.0.0.1:${port}/`, txidA)).status).toBe(200);
  });
});

describe('named pipe walletnotify', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'walletnotify-pipe-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Another process opens the pipe, writes, closes: what `walletnotify=sh -c 'echo ...'` does. */
  const writeFromShell = (path: string, text: string): Promise<unknown> =>
    execFileAsync('sh', ['-c', 'printf "%s" "$1" > "$2"', 'sh', text, path], { timeout: 5_000 });

  it('creates the FIFO and reads lines from many writers, dropping garbage and long lines', async () => {
    const path = join(dir, 'notify.pipe');
    const { listener, txids, logs } = harness({ type: 'pipe', path }, { lineBytesMax: 128 });
    await listener.start();
    expect(statSync(path).isFIFO()).toBe(true);

    await writeFromShell(path, `${txidA}\n`);
    await writeFromShell(path, `${txidB.toUpperCase()}\r\n`);
    await writeFromShell(path, 'garbage\n\n');
    await writeFromShell(path, `${'f'.repeat(5_000)}\n`);
    await writeFromShell(path, `${txidC}\n${txidD}\n`);
    await waitFor('four txids', () => txids.length === 4);
    expect(txids).toEqual([txidA, txidB, txidC, txidD]);

    // Several writers at once, then more after they have all closed.
    const many = Array.from({ length: 8 }, (_, index) => index.toString(16).repeat(64));
    await Promise.all(many.map((txid) => writeFromShell(path, `${txid}\n`)));
    await writeFromShell(path, `${txidA}\n`);
    await waitFor('all txids', () => txids.length === 13);
    expect(new Set(txids.slice(4, 12))).toEqual(new Set(many));
    expect(txids.at(-1)).toBe(txidA);
    expect(listener.stats).toMatchObject({ received: 13, rejected: 2, state: 'listening' });
    expect(logs.some((line) => line.includes('input rejected'))).toBe(true);

    const began = Date.now();
    await listener.stop();
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(statSync(path).isFIFO()).toBe(true);
  });

  it('stops promptly when no writer ever came, and reuses an existing FIFO', async () => {
    const path = join(dir, 'existing.pipe');
    await execFileAsync('mkfifo', [path]);
    const { listener } = harness({ type: 'pipe', path });
    await listener.start();
    const began = Date.now();
    await listener.stop();
    expect(Date.now() - began).toBeLessThan(500);
  });

  it('refuses a path that is not a FIFO, naming the field', async () => {
    const path = join(dir, 'plain-file');
    writeFileSync(path, 'not a pipe');
    const { listener } = harness({ type: 'pipe', path });
    await expect(listener.start()).rejects.toMatchObject({
      code: 'WALLETNOTIFY_START',
      field: 'walletnotify.path',
    });
  });
});

function redisServerAvailable(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return true;
  if (process.env.CI === 'true') throw new Error('redis-server is required when CI=true');
  console.warn('redis-server not found: skipping the Redis walletnotify tests');
  return false;
}

/** A throw-away redis-server on `port`, keeping nothing on disk. */
async function startRedisServer(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor('redis-server to be ready', () => output.includes('Ready to accept connections'));
  return child;
}

async function killRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

describe.skipIf(!redisServerAvailable())('Redis walletnotify', () => {
  let dir = '';
  let server: ChildProcess | undefined;

  const startRedis = (port: number) => startRedisServer(dir, port);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'walletnotify-redis-'));
  });
  afterAll(async () => {
    if (server !== undefined) await killRedis(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('receives published txids and resumes after Redis restarts', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const channel = 'walletnotify:ltc';
    server = await startRedis(port);
    const { listener, txids } = harness(
      { type: 'redis', url, channel },
      { reconnectDelayMsMin: 50, reconnectDelayMsMax: 300, connectTimeoutMs: 1_000 },
    );
    const redisListener = listener as RedisWalletnotifyListener;
    await listener.start();
    expect(listener.stats.state).toBe('listening');

    const publisher = new Redis(url, { retryStrategy: () => 100, maxRetriesPerRequest: null });
    try {
      expect(await publisher.publish(channel, txidA)).toBe(1);
      await publisher.publish(channel, 'not a txid');
      await publisher.publish('another-channel', txidD);
      await publisher.publish(channel, txidB.toUpperCase());
      await waitFor('two txids', () => txids.length === 2);
      expect(txids).toEqual([txidA, txidB]);
      expect(listener.stats).toMatchObject({ received: 2, rejected: 1 });

      await killRedis(server);
      await waitFor('the listener to notice', () => listener.stats.state === 'reconnecting');
      server = await startRedis(port);
      // Publish until the renewed subscription counts; then the txid must arrive.
      await waitFor('the subscription to be renewed', async () => {
        return (await publisher.publish(channel, txidC)) >= 1;
      });
      await waitFor('the txid after the restart', () => txids.includes(txidC));
      expect(listener.stats.state).toBe('listening');
      expect(redisListener.reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      publisher.disconnect();
    }
    const began = Date.now();
    await listener.stop();
    expect(Date.now() - began).toBeLessThan(1_000);
  });

  it('fails to start, with a typed error, when Redis is not there', async () => {
    const port = await freePort();
    const { listener } = harness(
      { type: 'redis', url: `redis://127.0.0.1:${port}`, channel: 'walletnotify' },
      { connectTimeoutMs: 500, reconnectDelayMsMax: 100 },
    );
    await expect(listener.start()).rejects.toBeInstanceOf(WalletnotifyStartError);
    expect(listener.stats.state).toBe('stopped');
  });
});

describe('walletnotify parsers under fuzzing', () => {
  const hexChar = fc.constantFrom(...'0123456789abcdefABCDEF');
  const hexTxid = fc.string({ unit: hexChar, minLength: 64, maxLength: 64 });
  const lowerHex64 = /^[0-9a-f]{64}$/;

  /** Runs a parser; returns its result, undefined for the typed rejection, rethrows the rest. */
  const attempt = (parse: () => string): string | undefined => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof WalletnotifyRejected) return undefined;
      throw error;
    }
  };

  it('parseTxid accepts exactly the 64-hex strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), hexTxid, fc.string()), (input) => {
        const out = attempt(() => parseTxid(input));
        const valid = /^[0-9a-fA-F]{64}$/.test(input);
        expect(out).toBe(valid ? input.toLowerCase() : undefined);
      }),
      { numRuns: 2_000 },
    );
  });

  it('parseNotificationBody never accepts anything but a 64-hex txid', () => {
    const body = fc.oneof(
      fc.string({ unit: 'binary' }),
      hexTxid.map((txid) => `txid=${txid}`),
      fc.tuple(fc.string(), hexTxid, fc.string()).map(([a, txid, b]) => `${a}txid=${txid}${b}`),
      fc.tuple(hexTxid, fc.constantFrom('%', '+', '&', '=', ' ', '\n')).map(([t, c]) => `${t}${c}`),
    );
    fc.assert(
      fc.property(body, (input) => {
        const out = attempt(() => parseNotificationBody(input));
        if (out !== undefined) expect(out).toMatch(lowerHex64);
      }),
      { numRuns: 2_000 },
    );
  });

  it('raw bytes through decoding and parsing only ever yield a 64-hex txid', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const out = attempt(() => parseNotificationBody(decodeUtf8(bytes)));
        if (out !== undefined) expect(out).toMatch(lowerHex64);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe.runIf(requireLitecoind() && redisServerAvailable())(
  'walletnotify from a real litecoind, through a pipe and Redis',
  () => {
    let dir = '';
    let redis: ChildProcess | undefined;
    let node: Litecoind | undefined;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'walletnotify-litecoind-'));
    });
    afterAll(async () => {
      await node?.stop();
      if (redis !== undefined) await killRedis(redis);
      rmSync(dir, { recursive: true, force: true });
    });

    it('delivers each wallet transaction to both listeners, and Redis again after a restart', async () => {
      const fifo = join(dir, 'walletnotify.fifo');
      const port = await freePort();
      const channel = 'walletnotify:ltc';
      redis = await startRedisServer(dir, port);
      const pipe = harness({ type: 'pipe', path: fifo });
      const published = harness(
        { type: 'redis', url: `redis://127.0.0.1:${port}`, channel },
        { reconnectDelayMsMin: 50, reconnectDelayMsMax: 300, connectTimeoutMs: 1_000 },
      );
      await pipe.listener.start();
      await published.listener.start();
      // What an operator would put in litecoin.conf: one script feeding both transports.
      const script = join(dir, 'notify.sh');
      writeFileSync(
        script,
        [
          '#!/bin/sh',
          `timeout 5 sh -c 'echo "$1" > "$2"' _ "$1" '${fifo}'`,
          `redis-cli -h 127.0.0.1 -p ${port} publish '${channel}' "$1" > /dev/null`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      node = await startLitecoind({ extraArgs: [`-walletnotify=${script} %s`] });
      await node.mine(coinbaseMaturityBlocks);
      const before = new Set(pipe.txids);
      const payment = String(
        await node.rpc('sendtoaddress', String(await node.rpc('getnewaddress')), '1'),
      );
      await waitFor('the payment through the pipe', () => pipe.txids.includes(payment));
      await waitFor('the payment through Redis', () => published.txids.includes(payment));
      expect(before.has(payment)).toBe(false);

      await killRedis(redis);
      await waitFor(
        'the Redis listener to notice',
        () => published.listener.stats.state === 'reconnecting',
      );
      redis = await startRedisServer(dir, port);
      await waitFor(
        'the Redis listener back',
        () => published.listener.stats.state === 'listening',
      );
      const second = String(
        await node.rpc('sendtoaddress', String(await node.rpc('getnewaddress')), '2'),
      );
      await waitFor('the second payment through Redis', () => published.txids.includes(second));
      await waitFor('the second payment through the pipe', () => pipe.txids.includes(second));
    });
  },
);
