// Crash drills for the send path: `cryptoassets service` is killed with SIGKILL at each point of
// a broadcast (grouped, opened, sent, closed), restarted, and must leave exactly one transaction
// on the node (none when it died before sending), the fee charged once and clean books. Also: a
// part of the service dying makes it exit 2.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  coinbaseMaturityBlocks,
  type Litecoind,
  type LitecoindWallet,
  requireLitecoind,
  startLitecoind,
} from '@cryptoassets/service/testing';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  killHard,
  run,
  type ServiceProcess,
  startServiceProcess,
  waitFor,
} from './support.js';

type BroadcastJson = { id: number; status: string; txid: string | null };
type TransactionJson = { kind: string; state: string; amount: string };

describe.runIf(requireLitecoind())('service crash drills on litecoind regtest', () => {
  let node: Litecoind;
  let books: LitecoindWallet;
  let dir: string;
  let config: string;
  const running: ServiceProcess[] = [];
  const cli = (...args: string[]) => run(dir, ['--config', config, '--json', ...args]);
  const json = (...args: string[]) => {
    const result = cli(...args);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };
  const start = async (env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> => {
    const service = await startServiceProcess(dir, config, env);
    running.push(service);
    return service;
  };
  const stop = async (service: ServiceProcess): Promise<void> => {
    service.child.kill('SIGTERM');
    expect(await service.exit, service.stderr()).toBe(0);
  };
  /** Transactions on the node that pay `address` (the miner's wallet sees them as receives). */
  const paymentsTo = async (address: string): Promise<string[]> => {
    const entries = (await node.rpc('listtransactions', '*', 1000, 0, true)) as {
      address?: string;
      category: string;
      txid: string;
    }[];
    const txids = entries
      .filter((entry) => entry.address === address && entry.category === 'receive')
      .map((entry) => entry.txid);
    return [...new Set(txids)];
  };
  const feeCharges = (): TransactionJson[] =>
    (json('transactions') as TransactionJson[]).filter((t) => t.kind === 'network_fee');
  const balanceOf = (account: string): string => json('balance', '--account', account).balance;

  beforeAll(async () => {
    node = await startLitecoind();
    await node.mine(coinbaseMaturityBlocks + 5);
    books = await node.createWallet();
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-crash-'));
    config = join(dir, 'cryptoassets.yaml');
    const statusPort = await freePort();
    writeFileSync(
      config,
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
        `status_server: { host: 127.0.0.1, port: ${statusPort} }`,
        'service: { broadcast_period_s: 1, confirmation_poll_s: 1 }',
        '',
      ].join('\n'),
    );
    expect(cli('init-db').code).toBe(0);
    expect(cli('account', 'create', 'alice').code).toBe(0);
    const address = json('address', 'new', '--account', 'alice').address as string;
    await node.rpc('sendtoaddress', address, '5');
    await node.mine(1);
    expect(json('scan-received').coins.ltc.credited_now).toBe(1);
  }, 120_000);

  afterEach(async () => {
    await Promise.all(running.splice(0).map((service) => killHard(service)));
  });
  afterAll(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const point of ['prepared', 'opened', 'sent', 'closed'] as const) {
    it(`recovers from kill -9 with the broadcast ${point}`, async () => {
      const payee = String(await node.rpc('getnewaddress'));
      const before = balanceOf('alice');
      const feesBefore = feeCharges().length;
      expect(json('send', '--from', 'alice', '--to', payee, '--amount', '0.1').state).toBe(
        'pending',
      );

      const first = await start({ CRYPTOASSETS_PAUSE_BROADCAST_AT: point });
      await waitFor(`the pause at ${point}`, () => {
        if (first.child.exitCode !== null) throw new Error(`service exited: ${first.stderr()}`);
        return first.stderr().includes('broadcast paused') ? true : undefined;
      }).catch((error: Error) => {
        throw new Error(`${error.message}; service said: ${first.stderr().slice(-2_000)}`);
      });
      await killHard(first);
      const sentBeforeCrash = point === 'sent' || point === 'closed';
      expect(await paymentsTo(payee)).toHaveLength(sentBeforeCrash ? 1 : 0);

      const second = await start();
      if (point === 'opened') {
        // Opened but never sent: the node has nothing paying these outputs, so an operator
        // decides. Voiding gives the money back with compensating entries.
        const held = await waitFor('the broadcast held', () =>
          (json('broadcasts', 'list') as BroadcastJson[]).find((b) => b.status === 'held'),
        );
        expect(json('broadcasts', 'void', String(held.id))).toBeTruthy();
        expect(balanceOf('alice')).toBe(before);
      } else {
        await waitFor('the broadcast closed', () =>
          (json('transactions', '--state', 'pending') as unknown[]).length === 0 &&
          (json('broadcasts', 'list') as unknown[]).length === 0 &&
          feeCharges().length === feesBefore + 1
            ? true
            : undefined,
        );
      }
      await stop(second);

      await node.mine(1);
      expect(await paymentsTo(payee)).toHaveLength(point === 'opened' ? 0 : 1);
      expect(String(await node.rpc('getreceivedbyaddress', payee, 1))).toBe(
        point === 'opened' ? '0.00000000' : '0.10000000',
      );
      expect(feeCharges()).toHaveLength(point === 'opened' ? feesBefore : feesBefore + 1);
      expect(json('audit').clean).toBe(true);
    });
  }

  it('exits 2 when a part dies under it', async () => {
    const service = await start();
    await waitFor('a confirmation poll', async () => {
      const status = (await (await fetch(`${service.url}status.json`)).json()) as {
        coins: { lastConfirmationPollAt: string | null }[];
      };
      return status.coins[0]?.lastConfirmationPollAt ? true : undefined;
    });
    // Someone renames a table the confirmation poller reads: that part cannot go on.
    const database = new BetterSqlite3(join(dir, 'books.sqlite'), { timeout: 5_000 });
    try {
      database.exec('ALTER TABLE ltc_network_transaction RENAME TO ltc_moved_away');
    } finally {
      database.close();
    }
    expect(await service.exit).toBe(2);
    expect(service.stderr()).toMatch(/internal error: .*confirmations/);
  });
});
