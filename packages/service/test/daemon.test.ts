// The daemon in-process over a regtest litecoind and SQLite books: it starts every part, its
// status answers, it stops cleanly, it refuses an exposed status address without a token, and a
// part that cannot start undoes the rest.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, validateConfig } from '@cryptoassets/core';
import { openDatabase, openLedger } from '@cryptoassets/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../src/daemon/service.js';
import { StatusServerRefused } from '../src/status/errors.js';
import {
  type Litecoind,
  type LitecoindWallet,
  requireLitecoind,
  startLitecoind,
} from '../src/testing/litecoind.js';

const quietLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe.runIf(requireLitecoind())('startService on litecoind regtest', () => {
  let node: Litecoind;
  let wallet: LitecoindWallet;
  let dir: string;

  const configFor = (statusServer: Record<string, unknown>, notifyPort: number): Config =>
    validateConfig({
      database: { url: `sqlite:${join(dir, 'books.sqlite')}` },
      coins: {
        ltc: {
          network: 'regtest',
          confirmations: 1,
          backend: {
            type: 'bitcoind',
            url: wallet.url,
            walletnotify: { type: 'http', port: notifyPort },
          },
        },
      },
      status_server: statusServer,
      service: { broadcast_period_s: 1, confirmation_poll_s: 1 },
    });

  beforeAll(async () => {
    node = await startLitecoind();
    await node.mine(1);
    wallet = await node.createWallet();
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-daemon-'));
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a non-loopback status address without a token, touching nothing', async () => {
    const config = configFor({ host: '0.0.0.0', port: await freePort() }, await freePort());
    await expect(startService({ config, logger: quietLogger })).rejects.toBeInstanceOf(
      StatusServerRefused,
    );
    expect(existsSync(join(dir, 'books.sqlite'))).toBe(false);
  });

  it('starts every part, answers status and stops cleanly', async () => {
    const config = configFor({ port: await freePort() }, await freePort());
    const database = openDatabase(config.database.url);
    await openLedger({ database, coin: config.coins.ltc! }).migrate();
    await database.close();

    let announced = '';
    const service = await startService({
      config,
      logger: quietLogger,
      onListening: (url) => {
        announced = url;
      },
    });
    expect(announced).toBe(service.statusUrl);
    expect(service.statusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const status = (await (await fetch(`${service.statusUrl}status.json`)).json()) as {
      coins: { coin: string; node: { reachable: boolean }; walletnotify: { state: string } }[];
    };
    expect(status.coins.map((coin) => coin.coin)).toEqual(['ltc']);
    expect(status.coins[0]?.node.reachable).toBe(true);
    expect(status.coins[0]?.walletnotify.state).toBe('listening');
    const started = Date.now();
    await service.stop();
    await service.stop();
    await expect(service.done).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(45_000);
    await expect(fetch(`${service.statusUrl}status.json`)).rejects.toThrow();
  });

  it('releases a hold at its expiry, with a holdupdate event', async () => {
    const raw = validateConfig({
      database: { url: `sqlite:${join(dir, 'holds.sqlite')}` },
      coins: {
        ltc: {
          network: 'regtest',
          confirmations: 1,
          backend: { type: 'bitcoind', url: wallet.url },
        },
      },
      status_server: { port: await freePort() },
      service: { broadcast_period_s: 1, confirmation_poll_s: 1, hold_expiry_s: 1 },
    });
    const database = openDatabase(raw.database.url);
    const ledger = openLedger({ database, coin: raw.coins.ltc! });
    await ledger.migrate();
    const books = await ledger.getOrCreateWallet('default');
    const alice = await ledger.createAccount(books, 'alice');
    const bank = await ledger.createAccount(books, 'bank');
    await ledger.transfer({ from: bank, to: alice, amount: 500n, allowNegativeBalance: true });
    const hold = await ledger.hold({ account: alice, amount: 200n, expiresInS: 1 });
    const kept = await ledger.hold({ account: alice, amount: 100n, expiresInS: 3_600 });
    const service = await startService({ config: raw, logger: quietLogger });
    try {
      const deadline = Date.now() + 20_000;
      while ((await ledger.getHold(hold.id))?.state === 'active' && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await ledger.getHold(hold.id))?.state).toBe('expired');
      expect((await ledger.getHold(kept.id))?.state).toBe('active');
      expect((await ledger.getAccountById(alice.id))?.held).toBe(100n);
      const events = (await ledger.events.readAfter(0)).map((entry) => entry.event);
      expect(events).toContainEqual(
        expect.objectContaining({
          name: 'holdupdate',
          data: expect.objectContaining({ hold_id: hold.id, state: 'expired', account: 'alice' }),
        }),
      );
      expect((await ledger.audit()).mismatches).toEqual([]);
    } finally {
      await service.stop();
      await database.close();
    }
  }, 40_000);

  it('undoes what started when a part cannot start', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const notifyPort = await freePort();
      const config = configFor({ port }, notifyPort);
      await expect(startService({ config, logger: quietLogger })).rejects.toThrow(/listen/);
      // The walletnotify port was given back.
      const again = createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(notifyPort, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => again.close(resolve));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
