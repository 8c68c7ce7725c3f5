// `npm start` on embedded defaults, end to end: the built binary in an empty folder with no
// configuration runs the service on a local devnet; a newcomer makes an account and an address,
// takes coins from the faucet, sees them credited, and SIGTERM stops everything cleanly.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, run, type ServiceProcess, startServiceProcess, waitFor } from './support.js';

const creditWaitMs = 45_000;

type StatusJson = {
  coins: {
    symbol?: string;
    node: { reachable: boolean; blockHeight: number };
    ledgerTotal: string;
  }[];
};

describe('npm start with no configuration', () => {
  let dir: string;
  let service: ServiceProcess | undefined;
  const json = (...args: string[]) => {
    const result = run(dir, ['--json', ...args]);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-start-'));
    const port = await freePort();
    service = await startServiceProcess(dir, undefined, {
      CRYPTOASSETS_STATUS_PORT: String(port),
    });
  });
  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('comes up on the devnet, answers its status page, and says what to do next', async () => {
    const started = service!;
    expect(started.stdout()).toMatch(/npx cryptoassets address new --coin dev --account/);
    expect(started.stdout()).toMatch(/npx cryptoassets devnet faucet ADDRESS 10/);
    const page = await fetch(started.url);
    expect(page.status).toBe(200);
    const status = await waitFor('the devnet node on the status page', async () => {
      const body = (await (await fetch(`${started.url}status.json`)).json()) as StatusJson;
      return body.coins[0]?.node.reachable ? body : undefined;
    });
    expect(status.coins[0]?.node.blockHeight).toBeGreaterThan(10);
    expect(existsSync(join(dir, 'data', 'cryptoassets.sqlite'))).toBe(true);
  });

  it('credits faucet coins to a ledger account', async () => {
    json('account', 'create', 'alice');
    const address = String(json('address', 'new', '--account', 'alice').address);
    expect(address).toMatch(/^dvt1/);
    const paid = json('devnet', 'faucet', address, '10');
    expect(paid.txid).toMatch(/^[0-9a-f]{64}$/);
    await waitFor(
      'the deposit to be credited',
      () => (json('balance', '--account', 'alice').balance === '10.00000000' ? true : undefined),
      creditWaitMs,
    );
    const status = (await (await fetch(`${service!.url}status.json`)).json()) as StatusJson;
    expect(status.coins[0]?.ledgerTotal).toBe('10.00000000');
    const rescan = json('scan-received') as { coins: Record<string, { credited_now: number }> };
    expect(rescan.coins.dev?.credited_now).toBe(0);
  });

  it('stops on SIGTERM with exit 0 and leaves no devnet behind', async () => {
    const started = service!;
    started.child.kill('SIGTERM');
    expect(await started.exit).toBe(0);
    expect(existsSync(join(dir, 'data', 'devnet', 'dev', 'devnet.json'))).toBe(false);
    const after = run(dir, ['devnet', 'faucet', 'dvt1qqqq', '1']);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/no devnet runs/);
  });
});
