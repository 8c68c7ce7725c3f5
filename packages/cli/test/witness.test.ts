// The witness commands through runCli: drill, status, disable and enable against a simnet.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainProfiles, isNullKey, parseEventLog, publicKeyOf, toWif } from '@cryptoassets/witness';
import { type Simnet, startSimnet, testSecret, testWitnesses } from '@cryptoassets/witness/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, runInProcess } from './support.js';

const cli = (args: readonly string[]) => runInProcess(args);

describe('cryptoassets witness drill', () => {
  it('narrates a failover and the kill switch, and exits 0', async () => {
    const ran = await cli(['witness', 'drill', '--chain', 'hive', '--interval-ms', '200']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/slot \d+ missed by alice/);
    expect(ran.stdout).toMatch(/signing key switched from STM\w+ to STM\w+ tx [0-9a-f]{40}/);
    expect(ran.stdout).toContain('(server alice-backup)');
    expect(ran.stdout).toContain('kill switch fired');
  });

  it('prints a JSON report with --json', async () => {
    const ran = await cli([
      '--json',
      'witness',
      'drill',
      '--chain',
      'bitshares',
      '--interval-ms',
      '200',
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    const report = JSON.parse(ran.stdout);
    expect(report).toMatchObject({ chain: 'bitshares', ok: true });
    expect(report.misses_during_failover).toBeLessThanOrEqual(1);
  });
});

describe('cryptoassets witness status, disable and enable', () => {
  const profile = chainProfiles.hive;
  const witnesses = testWitnesses(['alice', 'bob', 'carol']);
  const backup = testSecret('alice-cli-backup');
  let sim: Simnet;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    sim = await startSimnet({ profile, witnesses, blockIntervalMs: 200, shuffle: false });
    dir = mkdtempSync(join(tmpdir(), 'witness-cli-'));
    config = join(dir, 'cryptoassets.yaml');
    writeFileSync(
      config,
      [
        'witnesses:',
        '  alice-hive:',
        '    chain: hive',
        '    account: alice',
        `    nodes: [${sim.url}]`,
        '    signing_keys:',
        `      - public: ${publicKeyOf(witnesses[0]!.signingSecret, 'STM')}`,
        `      - public: ${publicKeyOf(backup, 'STM')}`,
        `    active_key: \${ALICE_ACTIVE_WIF}`,
        '    verify_after_blocks: 1',
        `    log_file: ${join(dir, 'guard.jsonl')}`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, '.env'), `ALICE_ACTIVE_WIF=${toWif(witnesses[0]!.activeSecret)}\n`);
    await sim.waitForBlocks(2);
  });

  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the key, the misses, the nodes and what the guard would do', async () => {
    const ran = await cli(['--config', config, '--json', 'witness', 'status']);
    expect(ran.code, ran.stderr).toBe(0);
    const [status] = JSON.parse(ran.stdout);
    expect(status).toMatchObject({
      name: 'alice-hive',
      account: 'alice',
      current_key: publicKeyOf(witnesses[0]!.signingSecret, 'STM'),
      total_missed: 0,
    });
    expect(status.nodes[0]).toMatchObject({ url: expect.stringContaining('127.0.0.1'), ok: true });
    expect(status.next).toContain('operational');
    const text = await cli(['--config', config, 'witness', 'status']);
    expect(text.stdout).toContain('alice-hive: alice on hive');
    expect(text.stdout).not.toContain(toWif(witnesses[0]!.activeSecret));
  });

  it('runs inside `cryptoassets service`, on its status page', async () => {
    const port = await freePort();
    const serviceConfig = join(dir, 'service.yaml');
    writeFileSync(
      serviceConfig,
      [
        readFileSync(config, 'utf8').replace(/ {4}log_file: .*\n/, ''),
        `database: { url: 'sqlite:./service.sqlite' }`,
        `status_server: { host: 127.0.0.1, port: ${port} }`,
        '',
      ].join('\n'),
    );
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const running = cli(['--config', serviceConfig, 'service']);
      let status: { witnesses: { name: string; current_key: string }[] } | undefined;
      for (let i = 0; i < 100 && status?.witnesses.length !== 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = await fetch(`http://127.0.0.1:${port}/status.json`)
          .then((response) => response.json() as Promise<typeof status>)
          .catch(() => undefined);
      }
      expect(status?.witnesses[0]).toMatchObject({
        name: 'alice-hive',
        current_key: publicKeyOf(witnesses[0]!.signingSecret, 'STM'),
      });
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(page).toContain('Witness guards');
      process.emit('SIGTERM', 'SIGTERM');
      const ran = await running;
      expect(ran.code, ran.stderr).toBe(0);
    } finally {
      stderr.mockRestore();
    }
  });

  it('watches until SIGTERM, then exits 0 and logs start and stop', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const running = cli(['--config', config, 'witness', 'watch']);
      await sim.waitForBlocks(3);
      process.emit('SIGTERM', 'SIGTERM');
      const ran = await running;
      expect(ran.code, ran.stderr).toBe(0);
    } finally {
      stderr.mockRestore();
    }
    const names = parseEventLog(readFileSync(join(dir, 'guard.jsonl'), 'utf8')).map((e) => e.name);
    expect(names).toEqual(['guard_started', 'guard_stopped']);
  });

  it('names an unknown guard', async () => {
    const ran = await cli(['--config', config, 'witness', 'status', '--name', 'bob']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe('error: guard bob is not configured (configured: alice-hive)\n');
  });

  it('disables the witness with the null key, then enables it with the active key', async () => {
    const off = await cli(['--config', config, 'witness', 'disable']);
    expect(off.code, off.stderr).toBe(0);
    expect(isNullKey(sim.witness('alice')!.signingKey)).toBe(true);
    const key = publicKeyOf(backup, 'STM');
    const on = await cli(['--config', config, 'witness', 'enable', '--key', key]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain(`signing key set to ${key}`);
    expect(sim.witness('alice')!.signingKey).toBe(key);
  });
});

describe('without witnesses', () => {
  it('says none are configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witness-cli-'));
    try {
      const config = join(dir, 'c.yaml');
      writeFileSync(config, 'events: {}\n');
      const ran = await cli(['--config', config, 'witness', 'status']);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain('no witness guards are configured');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
