// `cryptoassets service`, `scan-received` and `broadcasts` end to end: the built binary over a
// regtest litecoind that notifies over HTTP, SQLite books, and a webhook receiver.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CryptoassetsEvent } from '@cryptoassets/ledger';
import { createEventListener } from '@cryptoassets/service';
import {
  coinbaseMaturityBlocks,
  type Litecoind,
  type LitecoindWallet,
  requireLitecoind,
  startLitecoind,
} from '@cryptoassets/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  run,
  type ServiceProcess,
  sleep,
  startServiceProcess as startService,
  waitFor,
} from './support.js';

const secret = 'webhook-secret-of-some-length';
const serviceStopMsMax = 45_000;

type StatusJson = {
  coins: {
    node: { reachable: boolean; blockHeight: number };
    walletnotify: { received: number } | null;
    ledgerTotal: string;
    hotWalletBalance: string;
    events: unknown[];
  }[];
};

describe.runIf(requireLitecoind())('cryptoassets service on litecoind regtest', () => {
  let node: Litecoind;
  let books: LitecoindWallet;
  let dir: string;
  let config: string;
  let hook: Server;
  const events: CryptoassetsEvent[] = [];
  let service: ServiceProcess | undefined;
  const cli = (...args: string[]) => run(dir, ['--config', config, '--json', ...args]);
  const json = (...args: string[]) => {
    const result = cli(...args);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };
  const writeConfig = (name: string, statusServer: string): string => {
    const path = join(dir, name);
    writeFileSync(
      path,
      [
        'database:',
        '  url: sqlite:./books.sqlite',
        'coins:',
        '  ltc:',
        '    network: regtest',
        '    confirmations: 1',
        '    backend:',
        '      type: bitcoind',
        `      url: '${books.url}'`,
        `      walletnotify: { type: http, host: 127.0.0.1, port: ${notifyPort} }`,
        'events:',
        `  shop: { type: http, url: 'http://127.0.0.1:${hookPort}/events', secret: ${secret}, timeout_ms: 2000 }`,
        `status_server: ${statusServer}`,
        'service: { broadcast_period_s: 1, confirmation_poll_s: 1, logging: { level: info } }',
        '',
      ].join('\n'),
    );
    return path;
  };
  let notifyPort = 0;
  let hookPort = 0;

  beforeAll(async () => {
    notifyPort = await freePort();
    const curl = spawnSync('curl', ['--version'], { stdio: 'ignore' });
    const notify =
      curl.status === 0
        ? `curl -s --max-time 5 --data "txid=%s" http://127.0.0.1:${notifyPort}/`
        : `${process.execPath} -e "fetch('http://127.0.0.1:${notifyPort}/',{method:'POST',body:'txid=%s'}).catch(()=>{})"`;
    node = await startLitecoind({ extraArgs: [`-walletnotify=${notify}`] });
    await node.mine(coinbaseMaturityBlocks + 5);
    books = await node.createWallet();
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-service-'));
    hook = createServer(
      createEventListener({
        secret,
        onEvent: (event) => {
          events.push(event);
        },
      }),
    );
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const address = hook.address();
    hookPort = typeof address === 'object' && address !== null ? address.port : 0;
    const statusPort = await freePort();
    config = writeConfig('cryptoassets.yaml', `{ host: 127.0.0.1, port: ${statusPort} }`);
    expect(cli('init-db').code).toBe(0);
    expect(cli('account', 'create', 'alice').code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
    await new Promise((resolve) => hook?.close(resolve));
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scan-received finds a deposit made while the service was down', async () => {
    const address = json('address', 'new', '--account', 'alice').address as string;
    const txid = String(await node.rpc('sendtoaddress', address, '0.5'));
    await node.mine(1);
    const result = json('scan-received');
    expect(result.coins.ltc.credited_now).toBe(1);
    expect(result.coins.ltc.updates.map((u: { txid: string }) => u.txid)).toContain(txid);
    expect(json('balance', '--account', 'alice').balance).toBe('0.50000000');
    // Nothing left to credit the second time.
    expect(json('scan-received').coins.ltc.credited_now).toBe(0);
  });

  it('credits a notified deposit, signs its events and answers status', async () => {
    service = await startService(dir, config);
    const address = json('address', 'new', '--account', 'alice').address as string;
    const txid = String(await node.rpc('sendtoaddress', address, '1'));
    await node.mine(1);
    await waitFor('the deposit credited', () => {
      const balance = json('balance', '--account', 'alice').balance;
      return balance === '1.50000000' ? balance : undefined;
    });
    const credited = await waitFor('a credited txupdate', () =>
      events.find(
        (event) => event.name === 'txupdate' && event.data.txid === txid && event.data.credited,
      ),
    );
    expect(credited.name).toBe('txupdate');
    expect(credited.data.amount).toBe('1.00000000');
    expect(credited.data.account).toBe('alice');

    const status = await waitFor('walletnotify counted', async () => {
      const body = (await (await fetch(`${service!.url}status.json`)).json()) as StatusJson;
      return (body.coins[0]?.walletnotify?.received ?? 0) > 0 ? body : undefined;
    });
    const ltc = status.coins[0]!;
    expect(ltc.node.reachable).toBe(true);
    expect(ltc.node.blockHeight).toBeGreaterThan(coinbaseMaturityBlocks);
    expect(ltc.ledgerTotal).toBe('1.50000000');
    expect(ltc.hotWalletBalance).toBe('1.50000000');
    expect(ltc.events).toEqual([expect.objectContaining({ handler: 'shop', dead: 0 })]);
    const detail = (await (await fetch(`${service.url}coins/ltc.json`)).json()) as {
      accounts: { name: string }[];
      addresses: unknown[];
    };
    expect(detail.accounts.map((a) => a.name)).toContain('alice');
    expect(detail.addresses.length).toBe(2);
    const page = await fetch(service.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('alice');
  });

  it('broadcasts a send once and charges the fee', async () => {
    const payee = String(await node.rpc('getnewaddress'));
    const sent = json('send', '--from', 'alice', '--to', payee, '--amount', '0.2');
    expect(sent.state).toBe('pending');
    await waitFor('the broadcast', () => {
      const pending = json('transactions', '--state', 'pending');
      return pending.length === 0 ? true : undefined;
    });
    const fees = await waitFor('the fee charged', () => {
      const accounts = json('account', 'list') as { name: string; balance: string }[];
      const fee = accounts.find((a) => a.name === 'Network fees');
      return fee && fee.balance !== '0.00000000' ? fee : undefined;
    });
    expect(fees.balance.startsWith('-')).toBe(true);
    // Two more broadcaster periods send nothing again.
    await sleep(2_500);
    await node.mine(1);
    expect(String(await node.rpc('getreceivedbyaddress', payee, 1))).toBe('0.20000000');
    expect(json('broadcasts', 'list')).toEqual([]);
    expect(json('audit').clean).toBe(true);
  });

  it('stops on SIGTERM with exit 0 within the bound', async () => {
    const started = Date.now();
    service!.child.kill('SIGTERM');
    const code = await service!.exit;
    expect(code, service!.stderr()).toBe(0);
    expect(Date.now() - started).toBeLessThan(serviceStopMsMax);
  });

  it('refuses a non-loopback status address without a token', () => {
    const exposed = writeConfig('exposed.yaml', '{ host: 0.0.0.0, port: 18899 }');
    const result = run(dir, ['--config', exposed, 'service']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/status_server\.token/);
  });
});
