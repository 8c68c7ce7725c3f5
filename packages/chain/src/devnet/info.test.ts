import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getCoinProfile } from '@cryptoassets/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { devnetDataDir } from './embedded.js';
import { devnetInfoPath, readDevnetInfo, removeDevnetInfo, writeDevnetInfo } from './info.js';

describe('devnet.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-devnet-info-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is written for the owner only, read back, and removed', () => {
    const info = {
      rpcUrl: 'http://u:p@127.0.0.1:1/',
      nodeUrls: ['http://127.0.0.1:1/'],
      pid: process.pid,
    };
    writeDevnetInfo(dir, info);
    expect(statSync(devnetInfoPath(dir)).mode & 0o077).toBe(0);
    expect(readDevnetInfo(dir)).toEqual(info);
    removeDevnetInfo(dir);
    expect(readDevnetInfo(dir)).toBeUndefined();
  });

  it('is ignored when its process is gone, and refused when malformed', () => {
    writeDevnetInfo(dir, { rpcUrl: 'http://127.0.0.1:1/', nodeUrls: [], pid: 2 ** 22 + 12_345 });
    expect(readDevnetInfo(dir)).toBeUndefined();
    writeFileSync(devnetInfoPath(dir), '{"rpcUrl": 5}');
    expect(() => readDevnetInfo(dir)).toThrow(/rpcUrl/);
    writeFileSync(devnetInfoPath(dir), 'not json');
    expect(() => readDevnetInfo(dir)).toThrow(/not JSON/);
  });
});

describe('devnetDataDir', () => {
  const coin = (datadir?: string) => ({
    symbol: 'dev',
    profile: getCoinProfile('dev')!,
    network: 'regtest' as const,
    confirmations: 2,
    maxConfirmationCount: 15,
    backend: {
      type: 'devnet' as const,
      nodes: 1,
      timeout_ms: 30_000,
      ...(datadir === undefined ? {} : { datadir }),
    },
  });

  it('defaults per coin under ./data/devnet, relative to the config file', () => {
    expect(devnetDataDir(coin(), undefined)).toBe(resolve('data/devnet/dev'));
    expect(devnetDataDir(coin(), '/etc/ca/cryptoassets.yaml')).toBe('/etc/ca/data/devnet/dev');
    expect(devnetDataDir(coin('nodes'), '/etc/ca/c.yaml')).toBe('/etc/ca/nodes');
    expect(devnetDataDir(coin('/var/devnet'), '/etc/ca/c.yaml')).toBe('/var/devnet');
  });
});
