// Storage: state survives closing and reopening (tip, UTXO set, invalid marks, side chains), a
// foreign data directory is refused, and a batch import is one transaction.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  blockFromJson,
  Chain,
  ChainError,
  coinbaseMaturityBlocks,
  powLimitBits,
} from '@cryptoassets/chain';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { craftBlock, type Key, mine, mineMany, newKey, TempChains } from './chainstate-helpers.js';

let temp: TempChains;
let miner: Key;
beforeEach(() => {
  temp = new TempChains();
  miner = newKey();
});
afterEach(() => temp.cleanup());

describe('storage', () => {
  it('reopens at the same tip with the same UTXO set and invalid marks', async () => {
    const dataDir = temp.dir();
    const chain = await temp.open(undefined, dataDir);
    mineMany(chain, coinbaseMaturityBlocks, miner.address);
    const tip = chain.tip();
    const bad = craftBlock({
      prevHash: tip.hash,
      height: tip.height + 1,
      bits: powLimitBits,
      time: tip.time + 1,
      payout: miner.address,
      coinbaseMinor: 51_0000_0000n,
    });
    expect(chain.submitBlock(bad).status).toBe('invalid');
    const utxos = [...chain.allUtxos()];
    chain.close();
    expect(() => chain.tip()).toThrow(ChainError);

    const again = await temp.open(undefined, dataDir);
    expect(again.tip()).toEqual(tip);
    expect([...again.allUtxos()]).toEqual(utxos);
    expect(again.submitBlock(bad).status).toBe('invalid');
    mine(again, miner.address);
    expect(again.tip().height).toBe(tip.height + 1);
  });

  it('keeps side-chain blocks and reorganises to them after a restart when they win', async () => {
    const dataDir = temp.dir();
    const chain = await temp.open(undefined, dataDir);
    const other = await temp.open();
    mineMany(chain, 2, miner.address, 'a');
    const forkBlocks = mineMany(other, 3, miner.address, 'b');
    expect(chain.submitBlock(forkBlocks[0] as never).status).toBe('side-chain');
    expect(chain.submitBlock(forkBlocks[1] as never).status).toBe('side-chain');
    chain.close();
    const again = await temp.open(undefined, dataDir);
    const result = again.submitBlock(forkBlocks[2] as never);
    expect(result.status).toBe('connected');
    expect(result.reorg?.disconnected).toHaveLength(2);
    expect(again.tip().hash).toBe(other.tip().hash);
  });

  it('refuses a data directory of another chain', async () => {
    const dataDir = temp.dir();
    (await temp.open(undefined, dataDir)).close();
    const db = new SqliteDatabase(join(dataDir, 'chain.sqlite'));
    db.prepare("UPDATE main SET hash = 'x' WHERE height = 0").run();
    db.close();
    await expect(Chain.open({ dataDir })).rejects.toThrow(/another chain/);
  });

  it('imports a batch in one call and reports each block', async () => {
    const source = await temp.open();
    const blocks = mineMany(source, 30, miner.address);
    const chain = await temp.open();
    const seen: number[] = [];
    chain.on('block', (event) => seen.push(event.height));
    const results = chain.submitBlocks([...blocks.slice(10), ...blocks.slice(0, 10)]);
    expect(results.slice(0, 20).every((r) => r.status === 'orphan')).toBe(true);
    expect(results.slice(20).every((r) => r.status === 'connected')).toBe(true);
    expect(chain.tip().hash).toBe(source.tip().hash);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('writes the tutorial chaindata as blocks connect, follows reorgs, and exports on demand', async () => {
    const dataDir = temp.dir();
    const chain = await temp.open({ regtest: true, chaindata: true }, dataDir);
    const other = await temp.open();
    mineMany(chain, 2, miner.address, 'a');
    const dir = join(dataDir, 'chaindata');
    expect(readdirSync(dir).sort()).toEqual(['000000.json', '000001.json', '000002.json']);
    const heavier = mineMany(other, 3, miner.address, 'b');
    chain.submitBlocks(heavier);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['000000.json', '000001.json', '000002.json', '000003.json']);
    const top = JSON.parse(readFileSync(join(dir, '000003.json'), 'utf8'));
    expect(top).toMatchObject({ index: 3, data: 'b', hash: other.tip().hash });
    expect(blockFromJson(top)).toEqual(heavier[2]);
    const exportDir = temp.dir();
    expect(await chain.exportChaindata(exportDir)).toBe(4);
    expect(readFileSync(join(exportDir, '000002.json'), 'utf8')).toBe(
      readFileSync(join(dir, '000002.json'), 'utf8'),
    );
  });

  it('refuses to open a data directory another chain holds', async () => {
    const dataDir = temp.dir();
    const first = await temp.open(undefined, dataDir);
    await expect(Chain.open({ dataDir })).rejects.toThrow(/cannot open the chain database/);
    first.close();
    const second = await temp.open(undefined, dataDir);
    expect(second.tip().height).toBe(0);
  });
});
