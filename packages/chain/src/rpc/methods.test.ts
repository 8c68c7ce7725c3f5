import { describe, expect, it } from 'vitest';
import { RpcError, rpcErrorCodes } from './errors.js';
import { JsonDecimal, type JsonIn, writeJson } from './json.js';
import { runMethod } from './methods.js';
import type {
  RpcBackend,
  RpcBlock,
  RpcSendOutput,
  RpcWalletEntry,
  RpcWalletTransaction,
} from './types.js';

const hashOf = (n: number): string => n.toString(16).padStart(64, '0');
const goodAddress = (n: number): string => `dvt1good${n}`;

class FakeBackend implements RpcBackend {
  readonly chainName = 'devnet';
  warming = false;
  heights: string[] = [hashOf(100), hashOf(101), hashOf(102)];
  entries: RpcWalletEntry[] = [];
  mine = new Map<string, string>();
  sent: RpcSendOutput[][] = [];
  spendable = 1_000_000_000n;
  counter = 0;

  warmingUp(): boolean {
    return this.warming;
  }
  tip() {
    const height = this.heights.length - 1;
    return { height, hash: this.heights[height] ?? '', chainWork: BigInt(height + 1) * 2n };
  }
  blockHashAt(height: number): string | undefined {
    return this.heights[height];
  }
  block(hash: string): RpcBlock | undefined {
    const height = this.heights.indexOf(hash);
    if (height < 0) return undefined;
    return {
      hash,
      height,
      confirmations: this.heights.length - height,
      version: 1,
      merkleRoot: hashOf(7),
      timeS: 1_700_000_000 + height,
      nonce: 5,
      bits: 0x207fffff,
      target: 0x7fffffn << 232n,
      previousHash: this.heights[height - 1],
      nextHash: this.heights[height + 1],
      txids: [hashOf(900 + height)],
      sizeBytes: 200,
      hex: 'ab'.repeat(100),
      chainWork: BigInt(height + 1) * 2n,
      minerTag: 'node-a',
    };
  }
  forkHeight(hash: string): number | undefined {
    const height = this.heights.indexOf(hash);
    return height < 0 ? undefined : height;
  }
  mempoolTxids(): readonly string[] {
    return [hashOf(555)];
  }
  validAddress(address: string): boolean {
    return address.startsWith('dvt1');
  }
  isMine(address: string): boolean {
    return this.mine.has(address);
  }
  labelOf(address: string): string | undefined {
    return this.mine.get(address);
  }
  newAddress(label: string): string {
    this.counter += 1;
    const address = goodAddress(this.counter);
    this.mine.set(address, label);
    return address;
  }
  balance(minConfirmations: number): bigint {
    return this.entries
      .filter((e) => e.confirmations >= minConfirmations && e.category !== 'immature')
      .reduce((sum, e) => sum + e.amountMinor + (e.feeMinor ?? 0n), 0n);
  }
  receivedByAddress(address: string, minConfirmations: number): bigint {
    return this.entries
      .filter((e) => e.address === address && e.category === 'receive')
      .filter((e) => e.confirmations >= minConfirmations)
      .reduce((sum, e) => sum + e.amountMinor, 0n);
  }
  send(outputs: readonly RpcSendOutput[]): string {
    const total = outputs.reduce((sum, o) => sum + o.amountMinor, 0n);
    if (total > this.spendable) {
      throw new RpcError(rpcErrorCodes.walletInsufficientFunds, 'Insufficient funds');
    }
    this.sent.push([...outputs]);
    return hashOf(700 + this.sent.length);
  }
  walletTransaction(txid: string): RpcWalletTransaction | undefined {
    const details = this.entries.filter((e) => e.txid === txid);
    const first = details[0];
    if (!first) return undefined;
    const fee = details.find((d) => d.feeMinor !== undefined)?.feeMinor;
    return {
      txid,
      amountMinor: details.reduce((sum, d) => sum + d.amountMinor, 0n),
      feeMinor: fee,
      confirmations: first.confirmations,
      blockHash: first.blockHash,
      blockHeight: first.blockHeight,
      blockTimeS: first.blockTimeS,
      timeS: first.timeS,
      details,
      hex: '00',
    };
  }
  walletEntries(): readonly RpcWalletEntry[] {
    return this.entries;
  }
  async mineBlocks(count: number, _address: string): Promise<readonly string[]> {
    const hashes: string[] = [];
    for (let i = 0; i < count; i++) {
      const hash = hashOf(1_000 + this.heights.length);
      this.heights.push(hash);
      hashes.push(hash);
    }
    return hashes;
  }
}

const call = async (backend: RpcBackend, method: string, params: JsonIn | undefined = []) =>
  JSON.parse(writeJson(await runMethod(backend, method, params))) as unknown;

const failure = async (work: Promise<unknown>): Promise<number> => {
  try {
    await work;
  } catch (error) {
    if (error instanceof RpcError) return error.rpcCode;
    throw error;
  }
  throw new Error('expected an RpcError');
};

function walletWithHistory(): FakeBackend {
  const backend = new FakeBackend();
  const address = backend.newAddress('shop');
  backend.entries.push(
    {
      txid: hashOf(1),
      vout: 0,
      address,
      category: 'receive',
      amountMinor: 150_000_000n,
      label: 'shop',
      confirmations: 2,
      blockHash: hashOf(101),
      blockHeight: 1,
      blockTimeS: 1_700_000_001,
      timeS: 1_700_000_001,
    },
    {
      txid: hashOf(2),
      vout: 1,
      address: 'dvt1outside',
      category: 'send',
      amountMinor: -20_000_000n,
      feeMinor: -1_000n,
      confirmations: 0,
      timeS: 1_700_000_005,
    },
  );
  return backend;
}

describe('rpc methods', () => {
  it('answers the chain calls with bitcoind field names', async () => {
    const backend = new FakeBackend();
    expect(await call(backend, 'getblockcount')).toBe(2);
    expect(await call(backend, 'getbestblockhash')).toBe(hashOf(102));
    expect(await call(backend, 'getblockhash', [1])).toBe(hashOf(101));
    expect(await failure(runMethod(backend, 'getblockhash', [3]))).toBe(-8);
    expect(await failure(runMethod(backend, 'getblockhash', ['1']))).toBe(-3);
    const block = (await call(backend, 'getblock', [hashOf(101)])) as Record<string, unknown>;
    expect(block).toMatchObject({
      hash: hashOf(101),
      height: 1,
      confirmations: 2,
      previousblockhash: hashOf(100),
      nextblockhash: hashOf(102),
      tx: [hashOf(901)],
      bits: '207fffff',
      miner: 'node-a',
    });
    expect(await call(backend, 'getblock', [hashOf(101), 0])).toBe('ab'.repeat(100));
    expect(await failure(runMethod(backend, 'getblock', [hashOf(9)]))).toBe(-5);
    expect(await failure(runMethod(backend, 'getblock', ['xyz']))).toBe(-8);
    const info = (await call(backend, 'getblockchaininfo')) as Record<string, unknown>;
    expect(info).toMatchObject({ chain: 'devnet', blocks: 2, bestblockhash: hashOf(102) });
  });

  it('maps wallet entries to listtransactions, newest page first', async () => {
    const backend = walletWithHistory();
    const all = (await call(backend, 'listtransactions', ['*', 10, 0, true])) as Record<
      string,
      unknown
    >[];
    expect(all.map((e) => e.txid)).toEqual([hashOf(1), hashOf(2)]);
    expect(all[0]).toMatchObject({
      address: 'dvt1good1',
      category: 'receive',
      amount: 1.5,
      label: 'shop',
      vout: 0,
      confirmations: 2,
      blockhash: hashOf(101),
      blockheight: 1,
      time: 1_700_000_001,
    });
    expect(all[1]).toMatchObject({ category: 'send', amount: -0.2, fee: -0.00001, trusted: true });
    expect(all[1]).not.toHaveProperty('blockhash');
    const newest = (await call(backend, 'listtransactions', ['*', 1, 0])) as { txid: string }[];
    expect(newest.map((e) => e.txid)).toEqual([hashOf(2)]);
    const older = (await call(backend, 'listtransactions', ['*', 1, 1])) as { txid: string }[];
    expect(older.map((e) => e.txid)).toEqual([hashOf(1)]);
    expect(await call(backend, 'listtransactions', ['*', 5, 9])).toEqual([]);
    expect(await failure(runMethod(backend, 'listtransactions', ['*', -1]))).toBe(-8);
  });

  it('lists since a block, with the last block at the target depth', async () => {
    const backend = walletWithHistory();
    const since = (await call(backend, 'listsinceblock', [hashOf(101), 1, true, true])) as {
      transactions: { txid: string }[];
      removed: unknown[];
      lastblock: string;
    };
    expect(since.transactions.map((e) => e.txid)).toEqual([hashOf(2)]);
    expect(since.removed).toEqual([]);
    expect(since.lastblock).toBe(hashOf(102));
    const whole = (await call(backend, 'listsinceblock', [null, 2])) as typeof since;
    expect(whole.transactions).toHaveLength(2);
    expect(whole.lastblock).toBe(hashOf(101));
    expect(await failure(runMethod(backend, 'listsinceblock', [hashOf(5)]))).toBe(-5);
    expect(await failure(runMethod(backend, 'listsinceblock', [null, 0]))).toBe(-8);
  });

  it('reports a wallet transaction with details and the top-level fee once', async () => {
    const backend = walletWithHistory();
    const tx = (await call(backend, 'gettransaction', [hashOf(2), true])) as Record<
      string,
      unknown
    >;
    expect(tx).toMatchObject({ txid: hashOf(2), amount: -0.2, fee: -0.00001, confirmations: 0 });
    expect(tx.details).toEqual([
      {
        address: 'dvt1outside',
        category: 'send',
        amount: -0.2,
        vout: 1,
        fee: -0.00001,
        abandoned: false,
      },
    ]);
    const received = (await call(backend, 'gettransaction', [hashOf(1)])) as Record<
      string,
      unknown
    >;
    expect(received).toMatchObject({ blockhash: hashOf(101), blockheight: 1 });
    expect(received).not.toHaveProperty('fee');
    expect(await failure(runMethod(backend, 'gettransaction', [hashOf(3)]))).toBe(-5);
  });

  it('sends exact amounts and refuses bad ones with bitcoind codes', async () => {
    const backend = walletWithHistory();
    await call(backend, 'sendtoaddress', ['dvt1x', new JsonDecimal('0.1')]);
    await call(backend, 'sendmany', ['', { dvt1a: '0.00000001', dvt1b: new JsonDecimal('2.5') }]);
    expect(backend.sent).toEqual([
      [{ address: 'dvt1x', amountMinor: 10_000_000n }],
      [
        { address: 'dvt1a', amountMinor: 1n },
        { address: 'dvt1b', amountMinor: 250_000_000n },
      ],
    ]);
    expect(await failure(runMethod(backend, 'sendtoaddress', ['bad', '1']))).toBe(-5);
    expect(await failure(runMethod(backend, 'sendtoaddress', ['dvt1x', '0']))).toBe(-3);
    expect(await failure(runMethod(backend, 'sendtoaddress', ['dvt1x', '99']))).toBe(-6);
    expect(await failure(runMethod(backend, 'sendmany', ['', { bad: '1' }]))).toBe(-5);
    expect(await failure(runMethod(backend, 'sendmany', ['x', { dvt1a: '1' }]))).toBe(-8);
    expect(await failure(runMethod(backend, 'sendmany', ['', {}]))).toBe(-8);
  });

  it('answers addresses, balances and generatetoaddress', async () => {
    const backend = walletWithHistory();
    const address = (await call(backend, 'getnewaddress', ['alice'])) as string;
    expect(backend.labelOf(address)).toBe('alice');
    expect(await call(backend, 'validateaddress', [address])).toMatchObject({ isvalid: true });
    expect(await call(backend, 'validateaddress', ['nope'])).toEqual({ isvalid: false });
    expect(await call(backend, 'getaddressinfo', [address])).toMatchObject({
      ismine: true,
      labels: ['alice'],
    });
    expect(await call(backend, 'getbalance', ['*', 1, true])).toBe(1.5);
    expect(await call(backend, 'getbalance')).toBe(1.29999);
    expect(await failure(runMethod(backend, 'getbalance', ['x']))).toBe(-32);
    expect(await call(backend, 'getreceivedbyaddress', ['dvt1good1', 1])).toBe(1.5);
    expect(await failure(runMethod(backend, 'getreceivedbyaddress', ['dvt1zz']))).toBe(-4);
    const hashes = (await call(backend, 'generatetoaddress', [2, address])) as string[];
    expect(hashes).toHaveLength(2);
    expect(await call(backend, 'getblockcount')).toBe(4);
    expect(await failure(runMethod(backend, 'generatetoaddress', [1, 'bad']))).toBe(-5);
    expect(await call(backend, 'getwalletinfo')).toMatchObject({ balance: 1.5, txcount: 2 });
  });

  it('refuses unknown methods, and everything but validateaddress while warming up', async () => {
    const backend = new FakeBackend();
    expect(await failure(runMethod(backend, 'nosuch', []))).toBe(-32601);
    expect(await failure(runMethod(backend, 'hasOwnProperty', []))).toBe(-32601);
    backend.warming = true;
    expect(await failure(runMethod(backend, 'getblockcount', []))).toBe(-28);
    expect(await call(backend, 'validateaddress', ['dvt1a'])).toMatchObject({ isvalid: true });
  });

  it('accepts named parameters', async () => {
    const backend = new FakeBackend();
    expect(await call(backend, 'getblockhash', { height: 0 })).toBe(hashOf(100));
  });
});
