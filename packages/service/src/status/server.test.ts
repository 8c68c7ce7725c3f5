import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusServerRefused } from './errors.js';
import { escapeHtml, renderStatusHtml } from './html.js';
import { checkStatusBind, createStatusServer, type StatusServer } from './server.js';
import type { CoinDetail, ServiceStatus, StatusSource } from './types.js';

const quietLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const token = 'a-token-of-sixteen-chars';

const evil = '<script>alert("x")</script>';
const detail: CoinDetail = {
  coin: 'ltc',
  node: { reachable: true, blockHeight: 120, error: null },
  hotWalletBalance: '1.50000000',
  ledgerTotal: '1.25000000',
  wallets: [{ wallet: 'default', total: '1.25000000' }],
  walletnotify: null,
  lastRescanAt: null,
  lastConfirmationPollAt: null,
  broadcasters: [],
  openBroadcasts: 0,
  heldBroadcasts: 0,
  events: [{ handler: 'shop', waiting: 2, dead: 0 }],
  broadcasts: [],
  accounts: [{ wallet: 'default', id: 1, name: evil, kind: 'user', balance: '1.25000000' }],
  addresses: [],
  transactions: [],
  truncated: false,
};
const summary: ServiceStatus = {
  service: 'cryptoassets',
  startedAt: '2026-01-01T00:00:00.000Z',
  time: '2026-01-01T00:00:01.000Z',
  coins: [detail],
  witnesses: [
    {
      name: 'alice-hive',
      chain: 'hive',
      account: evil,
      current_key: 'STM6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV',
      total_missed: 7,
      streak: 0,
      last_produced_block: 1234,
      blind: false,
      nodes: [{ url: 'http://127.0.0.1:8090/', ok: true }],
      next: 'nothing: the witness is producing',
    },
  ],
};
const source: StatusSource = {
  coins: () => ['ltc'],
  summary: async () => summary,
  detail: async (coin) => (coin === 'ltc' ? detail : undefined),
};

function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          type: String(res.headers['content-type'] ?? ''),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('status server', () => {
  let server: StatusServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('refuses a non-loopback host without a token', () => {
    expect(() => checkStatusBind('0.0.0.0', undefined)).toThrow(StatusServerRefused);
    expect(() => checkStatusBind('192.168.1.5', undefined)).toThrow(/status_server\.token/);
    expect(() => checkStatusBind('0.0.0.0', token)).not.toThrow();
    expect(() => checkStatusBind('127.0.0.1', undefined)).not.toThrow();
    expect(() => checkStatusBind('::1', undefined)).not.toThrow();
    expect(() =>
      createStatusServer({ host: '0.0.0.0', port: 0, source, logger: quietLogger }),
    ).toThrow(StatusServerRefused);
  });

  it('answers JSON and an escaped HTML page on loopback', async () => {
    server = createStatusServer({ host: '127.0.0.1', port: 0, source, logger: quietLogger });
    await server.start();
    const base = server.url!;
    const status = await get(`${base}status.json`);
    expect(status.status).toBe(200);
    expect(status.type).toBe('application/json');
    expect(JSON.parse(status.body).coins[0].ledgerTotal).toBe('1.25000000');
    expect(JSON.parse((await get(`${base}coins/ltc.json`)).body).accounts[0].name).toBe(evil);
    expect((await get(`${base}coins/btc.json`)).status).toBe(404);
    expect((await get(`${base}nothing`)).status).toBe(404);
    expect((await get(`${base}status.json`, {}, 'POST')).status).toBe(405);
    const page = await get(base);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    expect(page.body).not.toContain(evil);
    expect(page.body).toContain(escapeHtml(evil));
    expect(page.body).toContain('Witness guards');
    expect(page.body).toContain('alice-hive');
    expect(page.body).toContain('http://127.0.0.1:8090/ ok');
    expect(JSON.parse(status.body).witnesses[0].last_produced_block).toBe(1234);
  });

  it('requires the bearer token when one is set', async () => {
    server = createStatusServer({ host: '127.0.0.1', port: 0, token, source, logger: quietLogger });
    await server.start();
    const base = server.url!;
    expect((await get(`${base}status.json`)).status).toBe(401);
    expect((await get(`${base}status.json`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(`${base}`, { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('answers 503 when the status cannot be collected', async () => {
    server = createStatusServer({
      host: '127.0.0.1',
      port: 0,
      source: { ...source, summary: async () => Promise.reject(new Error('db down')) },
      logger: quietLogger,
    });
    await server.start();
    expect((await get(`${server.url}status.json`)).status).toBe(503);
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters and renders empty values as nothing', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
    expect(escapeHtml(null)).toBe('');
    expect(renderStatusHtml(summary, [detail])).toContain('&lt;script&gt;');
  });
});
