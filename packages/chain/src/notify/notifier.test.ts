import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockEvent, TxEvent } from '../chain.js';
import { checkNotifyTarget, Notifier } from './notifier.js';
import { watchForNotifications } from './watch.js';

const id = (n: number) => n.toString(16).padStart(64, '0');

describe('notifier', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const bodies: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-notify-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        bodies.push(`${req.url} ${req.headers['content-type']} ${body}`);
        res.statusCode = req.url === '/fail' ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a shell command with %s replaced, one line per notification', async () => {
    const file = join(dir, 'seen.txt');
    const notifier = new Notifier({ target: `echo %s >> ${file}`, field: 'txid' });
    notifier.notify(id(1));
    notifier.notify(id(2));
    await notifier.idle();
    expect(readFileSync(file, 'utf8').trim().split('\n').sort()).toEqual([id(1), id(2)]);
    expect(notifier.stats).toEqual({ sent: 2, failed: 0, dropped: 0 });
  });

  it('posts a form body to a URL, and counts failures without throwing', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (message: string) => warnings.push(message),
      error: () => {},
    };
    const ok = new Notifier({ target: `${url}/ok`, field: 'txid', logger });
    ok.notify(id(3));
    await ok.idle();
    expect(bodies).toContain(`/ok application/x-www-form-urlencoded txid=${id(3)}`);
    const failing = new Notifier({ target: `${url}/fail`, field: 'blockhash', logger });
    failing.notify(id(4));
    const broken = new Notifier({ target: 'exit 3', field: 'txid', logger });
    broken.notify(id(5));
    await Promise.all([failing.idle(), broken.idle()]);
    expect(failing.stats.failed).toBe(1);
    expect(broken.stats.failed).toBe(1);
    expect(warnings).toEqual(['notification failed', 'notification failed']);
  });

  it('bounds the queue and the run time', async () => {
    const slow = new Notifier({
      target: 'sleep 5',
      field: 'txid',
      queueMax: 2,
      concurrencyMax: 1,
      timeoutMs: 200,
    });
    for (let n = 0; n < 5; n++) slow.notify(id(n));
    const started = Date.now();
    await slow.idle();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(slow.stats).toEqual({ sent: 0, failed: 3, dropped: 2 });
  });

  it('refuses bad ids and targets', () => {
    const notifier = new Notifier({ target: 'true %s', field: 'txid' });
    expect(() => notifier.notify('; rm -rf /')).toThrow();
    expect(() => checkNotifyTarget('', 'walletnotify')).toThrow(/walletnotify/);
    expect(() => checkNotifyTarget('http://', 'walletnotify')).toThrow(/URL/);
  });

  it('follows blocks and wallet transactions of a chain', async () => {
    const source = new EventEmitter<{ block: [BlockEvent]; tx: [TxEvent] }>();
    const seen = join(dir, 'watch.txt');
    const watch = watchForNotifications(source, {
      walletnotify: `echo tx %s >> ${seen}`,
      blocknotify: `echo block %s >> ${seen}`,
      isWalletTransaction: (event) => event.txid === id(7),
    });
    source.emit('tx', { txid: id(7), source: 'mempool' } as TxEvent);
    source.emit('tx', { txid: id(8), source: 'mempool' } as TxEvent);
    source.emit('block', { hash: id(9), height: 1 } as BlockEvent);
    await Promise.all([watch.walletnotify?.idle(), watch.blocknotify?.idle()]);
    await watch.stop();
    source.emit('block', { hash: id(10), height: 2 } as BlockEvent);
    expect(readFileSync(seen, 'utf8').trim().split('\n').sort()).toEqual([
      `block ${id(9)}`,
      `tx ${id(7)}`,
    ]);
  });
});
