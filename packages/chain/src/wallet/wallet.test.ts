// Wallet: key file, balances by confirmations and maturity, sending with fee and change, history.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Chain } from '../chain.js';
import { coinbaseMaturityBlocks } from '../consensus/params.js';
import { mineSync } from '../testing/mine-sync.js';
import { addressFromHash } from '../tx/address.js';
import { walletFileName } from './keystore.js';
import { Wallet, WalletError } from './wallet.js';

let dir: string;
let chain: Chain;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wallet-test-'));
  chain = await Chain.open({ dataDir: dir, params: { regtest: true } });
});
afterEach(() => {
  chain.close();
  rmSync(dir, { recursive: true, force: true });
});

function mine(address: string, count = 1): void {
  for (let i = 0; i < count; i++) {
    const block = mineSync(chain.blockTemplate({ payoutAddress: address, minerTag: 'w' }));
    expect(chain.submitBlock(block).status).toBe('connected');
  }
}

const outsider = addressFromHash(new Uint8Array(20).fill(7));

describe('Wallet', () => {
  it('keeps keys and labels in a 0600 file that survives reopening', async () => {
    const wallet = await Wallet.open({ dataDir: dir, chain });
    const address = wallet.newAddress('shop');
    expect(address).toMatch(/^dvt1/);
    expect(statSync(join(dir, walletFileName)).mode & 0o777).toBe(0o600);
    const again = await Wallet.open({ dataDir: dir, chain });
    expect(again.addresses()).toEqual([{ address, label: 'shop' }]);
    expect(again.isMine(address)).toBe(true);
  });

  it('counts coinbase outputs only once mature, as immature then generate', async () => {
    const wallet = await Wallet.open({ dataDir: dir, chain });
    const address = wallet.newAddress('miner');
    mine(address, 1);
    expect(wallet.balance(1)).toBe(0n);
    expect(wallet.transactions().map((entry) => entry.category)).toEqual(['immature']);
    mine(outsider, coinbaseMaturityBlocks - 1);
    expect(wallet.balance(1)).toBe(50_0000_0000n);
    expect(wallet.transactions().map((entry) => entry.category)).toEqual(['generate']);
  });

  it('sends with fee and change, and reports send/receive like bitcoind', async () => {
    const sender = await Wallet.open({ dataDir: dir, chain });
    const from = sender.newAddress('miner');
    mine(from, 1);
    mine(outsider, coinbaseMaturityBlocks);
    const txid = sender.send([{ address: outsider, amountMinor: 12_0000_0000n }], {
      feeRateMinorPerByte: 20n,
    });
    const pending = sender.transaction(txid);
    expect(pending?.confirmations).toBe(0);
    const fee = pending?.feeMinor ?? 0n;
    expect(fee).toBeLessThan(0n);
    expect(pending?.amountMinor).toBe(-12_0000_0000n);
    expect(pending?.details).toMatchObject([
      { category: 'send', address: outsider, amountMinor: -12_0000_0000n, feeMinor: fee },
    ]);
    // Unconfirmed change is spendable at minConf 0 only.
    expect(sender.balance(0)).toBe(38_0000_0000n + fee);
    expect(sender.balance(1)).toBe(0n);
    mine(outsider, 1);
    expect(sender.transaction(txid)?.confirmations).toBe(1);
    expect(sender.balance(1)).toBe(38_0000_0000n + fee);
    expect(sender.addresses().map((entry) => entry.address)).toEqual([from]);
  });

  it('receives into a labelled address and sends to itself with net amount zero', async () => {
    const wallet = await Wallet.open({ dataDir: dir, chain });
    const mining = wallet.newAddress('miner');
    const savings = wallet.newAddress('savings');
    mine(mining, 1);
    mine(outsider, coinbaseMaturityBlocks);
    const txid = wallet.send([{ address: savings, amountMinor: 5_0000_0000n }]);
    mine(outsider, 1);
    const tx = wallet.transaction(txid);
    expect(tx?.amountMinor).toBe(0n);
    expect(tx?.details.map((entry) => [entry.category, entry.label])).toEqual([
      ['send', 'savings'],
      ['receive', 'savings'],
    ]);
    expect(wallet.receivedByAddress(savings)).toBe(5_0000_0000n);
  });

  it('refuses to overspend and bad outputs', async () => {
    const wallet = await Wallet.open({ dataDir: dir, chain });
    wallet.newAddress();
    expect(() => wallet.send([{ address: outsider, amountMinor: 1n }])).toThrow(WalletError);
    expect(() => wallet.send([{ address: 'bc1qnotours', amountMinor: 1n }])).toThrow(/address/);
    expect(() => wallet.send([{ address: outsider, amountMinor: 0n }])).toThrow(/positive/);
    expect(() => wallet.send([])).toThrow(/outputs/);
  });
});
