// The bitcoind backend against a real regtest litecoind: addresses, payments, batched sends with
// one fee, batched lookups, reconciliation, exact amounts and typed errors.
import { type CoinConfig, formatAmount, InvalidValueError, parseAmount } from '@cryptoassets/core';
import { BadAddress, createBackend } from '@cryptoassets/ledger';
import { testCoin } from '@cryptoassets/ledger/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AddressAmount } from '../src/backend.js';
import {
  BitcoindBackend,
  createBitcoindBackend,
  transactionLookupsMax,
} from '../src/bitcoind/backend.js';
import {
  BitcoindConnectionError,
  BitcoindRpcError,
  bitcoindErrorCodes,
} from '../src/bitcoind/errors.js';
import { batchCallsMax, RpcClient } from '../src/bitcoind/rpc-client.js';
import {
  coinbaseMaturityBlocks,
  type Litecoind,
  requireLitecoind,
  startLitecoind,
} from '../src/testing/litecoind.js';

const decimals = 8;
const ltc = (text: string): bigint => parseAmount(text, { field: 'test', decimals });
const byAddress = (list: readonly AddressAmount[]) =>
  [...list].sort((a, b) => a.address.localeCompare(b.address));

describe.runIf(requireLitecoind())('bitcoind backend on litecoind regtest', () => {
  let node: Litecoind;

  beforeAll(async () => {
    node = await startLitecoind();
    await node.mine(coinbaseMaturityBlocks + 9);
  });
  afterAll(async () => {
    await node?.stop();
  });

  function coinFor(url: string, overrides: Partial<CoinConfig> = {}): CoinConfig {
    return testCoin({
      confirmations: 1,
      backend: { type: 'bitcoind', url, timeout_ms: 10_000 },
      ...overrides,
    });
  }

  /** A backend over a fresh wallet of the node. */
  async function freshBackend(): Promise<BitcoindBackend> {
    const wallet = await node.createWallet();
    return new BitcoindBackend({ coin: coinFor(wallet.url) });
  }

  /** Pays `amount` from the miner's wallet to a new address of `backend` and confirms it. */
  async function fund(backend: BitcoindBackend, amount: bigint): Promise<string> {
    const address = await backend.createAddress({ label: 'funding' });
    const txid = (await node.rpc(
      'sendtoaddress',
      address,
      formatAmount(amount, decimals),
    )) as string;
    await node.mine(1);
    return txid;
  }

  it('is built by the ledger from a bitcoind configuration', async () => {
    const wallet = await node.createWallet();
    const backend = createBackend(coinFor(wallet.url), { bitcoind: createBitcoindBackend });
    expect(backend).toBeInstanceOf(BitcoindBackend);
    expect(backend?.type).toBe('bitcoind');
    expect(await backend?.getBalance()).toBe(0n);
  });

  it('creates valid regtest addresses under a label', async () => {
    const backend = await freshBackend();
    const address = await backend.createAddress({ label: 'invoice 7' });
    expect(address).toMatch(/^rltc1/);
    expect(backend.validateAddress(address)).toBe(true);
    expect(await backend.checkAddressWithNode(address)).toBe(true);
    const info = (await backend.client.call('getaddressinfo', [address])) as { labels: string[] };
    expect(info.labels).toEqual(['invoice 7']);
    expect(backend.validateAddress('1BoatSLRHtKNngkdXEeobR76b53LETtpyX')).toBe(false);
    expect(await backend.checkAddressWithNode('rltc1qnotanaddress')).toBe(false);
  });

  it('sees a payment per address, with confirmations that grow as blocks are mined', async () => {
    const backend = await freshBackend();
    const first = await backend.createAddress({ label: 'a' });
    const second = await backend.createAddress({ label: 'b' });
    const mark = await backend.getBestBlockHash();
    const txid = (await node.rpc('sendmany', '', {
      [first]: '0.12345678',
      [second]: '1.5',
    })) as string;

    const seen = await backend.getTransaction(txid);
    expect(seen?.txid).toBe(txid);
    expect(seen?.confirmations).toBe(0);
    expect(seen?.blockHash).toBeUndefined();
    expect(seen?.fee).toBeUndefined();
    expect(seen?.sent).toEqual([]);
    expect(byAddress(seen?.received ?? [])).toEqual(
      byAddress([
        { address: first, amount: 12_345_678n },
        { address: second, amount: 150_000_000n },
      ]),
    );
    expect(seen?.time).toBeGreaterThan(1_500_000_000);

    const since = await backend.listSinceBlock(mark);
    const entries = since.transactions.filter((entry) => entry.txid === txid);
    expect(entries.map((e) => [e.address, e.category, e.amount, e.confirmations]).sort()).toEqual(
      [
        [first, 'receive', 12_345_678n, 0],
        [second, 'receive', 150_000_000n, 0],
      ].sort(),
    );

    const [block] = await node.mine(1);
    const once = await backend.getTransaction(txid);
    expect(once?.confirmations).toBe(1);
    expect(once?.blockHash).toBe(block);
    expect(await backend.getBestBlockHash()).toBe(block);
    const height = await backend.getBlockCount();
    await node.mine(2);
    expect(await backend.getBlockCount()).toBe(height + 2);
    expect((await backend.getTransaction(txid))?.confirmations).toBe(3);
    expect(await backend.getBalance()).toBe(162_345_678n);

    const later = await backend.listSinceBlock(since.lastBlock);
    expect(later.transactions.find((entry) => entry.txid === txid)?.confirmations).toBe(3);
    const all = await backend.listSinceBlock(undefined);
    expect(all.transactions.filter((entry) => entry.txid === txid)).toHaveLength(2);
    expect(all.lastBlock).toBe(await backend.getBestBlockHash());
  });

  it('does not know a transaction of another wallet', async () => {
    const backend = await freshBackend();
    const txid = (await node.rpc(
      'sendtoaddress',
      (await node.rpc('getnewaddress')) as string,
      '0.1',
    )) as string;
    expect(await backend.getTransaction(txid)).toBeUndefined();
  });

  it('looks up several txids in one batch: known, unknown and repeated, in order', async () => {
    const backend = await freshBackend();
    const txid = await fund(backend, ltc('0.12345678'));
    const unknown = 'ab'.repeat(32);
    const batches = vi.spyOn(backend.client, 'callBatch');

    const lookups = await backend.getTransactions([txid, unknown, txid]);
    expect(batches).toHaveBeenCalledTimes(1);
    expect(lookups.map((lookup) => lookup.txid)).toEqual([txid, unknown, txid]);
    expect(lookups.map((lookup) => lookup.error)).toEqual([undefined, undefined, undefined]);
    expect(lookups[1]?.transaction).toBeUndefined();
    for (const index of [0, 2]) {
      const found = lookups[index]?.transaction;
      expect(found?.txid).toBe(txid);
      expect(found?.confirmations).toBe(1);
      expect(found?.received.map((output) => output.amount)).toEqual([12_345_678n]);
      expect(found?.sent).toEqual([]);
    }
    expect(lookups[0]?.transaction).toEqual(await backend.getTransaction(txid));
    expect(await backend.getTransactions([])).toEqual([]);
  });

  it('splits more than batchCallsMax lookups into batches and keeps their order', async () => {
    const backend = await freshBackend();
    const first = await fund(backend, ltc('1'));
    const second = await fund(backend, ltc('2'));
    const unknown = 'cd'.repeat(32);
    const count = batchCallsMax + 30;
    const cycle = [first, unknown, second];
    const txids = Array.from({ length: count }, (_, index) => cycle[index % 3] as string);
    const batches = vi.spyOn(backend.client, 'callBatch');

    const lookups = await backend.getTransactions(txids);
    expect(batches.mock.calls.map(([, paramsList]) => paramsList.length)).toEqual([
      batchCallsMax,
      count - batchCallsMax,
    ]);
    expect(lookups.map((lookup) => lookup.txid)).toEqual(txids);
    const amounts = new Map([
      [first, [ltc('1')]],
      [second, [ltc('2')]],
    ]);
    for (const lookup of lookups) {
      expect(lookup.error).toBeUndefined();
      expect(lookup.transaction?.txid).toBe(lookup.txid === unknown ? undefined : lookup.txid);
      expect(lookup.transaction?.received.map((output) => output.amount)).toEqual(
        amounts.get(lookup.txid),
      );
    }
  });

  it('refuses malformed txids and too many at once before calling the node', async () => {
    const backend = await freshBackend();
    const txid = await fund(backend, ltc('0.5'));
    const batches = vi.spyOn(backend.client, 'callBatch');
    for (const bad of [txid.toUpperCase(), txid.slice(1), `${txid}00`, 'not-a-txid', '']) {
      await expect(backend.getTransactions([txid, bad])).rejects.toThrow(InvalidValueError);
    }
    const tooMany = Array.from({ length: transactionLookupsMax + 1 }, () => txid);
    await expect(backend.getTransactions(tooMany)).rejects.toThrow(InvalidValueError);
    expect(batches).not.toHaveBeenCalled();
  });

  it('reports an error of the node per lookup, not as an unknown transaction', async () => {
    const missingUrl = new URL('wallet/no-such-wallet', node.nodeUrl).href;
    const missing = new BitcoindBackend({ coin: coinFor(missingUrl) });
    const txids = ['ef'.repeat(32), '01'.repeat(32)];
    const lookups = await missing.getTransactions(txids);
    expect(lookups.map((lookup) => lookup.txid)).toEqual(txids);
    for (const lookup of lookups) {
      expect(lookup.transaction).toBeUndefined();
      expect(lookup.error).toBeInstanceOf(BitcoindRpcError);
      expect((lookup.error as BitcoindRpcError).rpcCode).toBe(bitcoindErrorCodes.walletNotFound);
    }
  });

  it('sends several outputs in one transaction, charged one fee, and finds it again', async () => {
    const payer = await freshBackend();
    const payee = await freshBackend();
    await fund(payer, ltc('10'));
    const outputs: AddressAmount[] = [
      { address: await payee.createAddress({ label: 'x' }), amount: ltc('0.12345678') },
      { address: await payee.createAddress({ label: 'y' }), amount: ltc('2.5') },
      { address: await payee.createAddress({ label: 'z' }), amount: ltc('0.001') },
    ];
    const before = await payer.getBalance();
    const sentAtS = Math.floor(Date.now() / 1000) - 60;
    const txid = await payer.send(outputs);
    await node.mine(1);

    const sent = await payer.getTransaction(txid);
    expect(byAddress(sent?.sent ?? [])).toEqual(byAddress(outputs));
    expect(sent?.received).toEqual([]);
    const fee = sent?.fee ?? 0n;
    expect(fee).toBeGreaterThan(0n);
    expect(fee).toBeLessThan(ltc('0.01'));
    const total = outputs.reduce((sum, output) => sum + output.amount, 0n);
    expect(before - (await payer.getBalance())).toBe(total + fee);

    const received = await payee.getTransaction(txid);
    expect(byAddress(received?.received ?? [])).toEqual(byAddress(outputs));
    expect(await payee.getBalance()).toBe(total);

    expect(await payer.findWalletTransactionPaying(outputs)).toBe(txid);
    expect(await payer.findWalletTransactionPaying([...outputs].reverse())).toBe(txid);
    expect(await payer.findWalletTransactionPaying(outputs, { sinceTimeS: sentAtS })).toBe(txid);
    expect(
      await payer.findWalletTransactionPaying(outputs, { sinceTimeS: sentAtS + 3_600 }),
    ).toBeUndefined();
    expect(await payer.findWalletTransactionPaying(outputs.slice(1))).toBeUndefined();
    const [head, ...rest] = outputs;
    expect(
      await payer.findWalletTransactionPaying([{ ...head!, amount: head!.amount + 1n }, ...rest]),
    ).toBeUndefined();
    expect(await payee.findWalletTransactionPaying(outputs)).toBeUndefined();
  });

  it('keeps 8-decimal precision exactly, small and 21-million-sized', async () => {
    const backend = await freshBackend();
    await fund(backend, ltc('1.23456789'));
    expect(await backend.getBalance()).toBe(123_456_789n);

    // The node writes these amounts as JSON numbers; read back they must be the same digits.
    const address = await backend.createAddress({ label: 'echo' });
    for (const text of ['20999999.99999999', '0.00000001', '83999999.12345678', '0.12345678']) {
      const raw = (await node.rpc('createrawtransaction', [], { [address]: text })) as string;
      const decoded = (await node.rpc('decoderawtransaction', raw)) as {
        vout: { value: unknown }[];
      };
      const value = decoded.vout[0]?.value;
      expect(value).toBe(text);
      expect(parseAmount(value, { field: 'value', decimals })).toBe(ltc(text));
    }
  });

  it('refuses bad sends before they reach the node', async () => {
    const backend = await freshBackend();
    const address = await backend.createAddress({ label: 'self' });
    await expect(backend.send([{ address: 'not-an-address', amount: 1n }])).rejects.toThrow(
      BadAddress,
    );
    await expect(backend.send([])).rejects.toThrow(/nothing to send/);
    await expect(backend.send([{ address, amount: 0n }])).rejects.toThrow(/greater than zero/);
    await expect(
      backend.send([
        { address, amount: 1_000n },
        { address, amount: 2_000n },
      ]),
    ).rejects.toThrow(/appears twice/);
  });

  it('reports node errors as typed errors naming the node and the method', async () => {
    const backend = await freshBackend();
    const address = await node.rpc('getnewaddress');
    const poor = await rejection(
      backend.send([{ address: address as string, amount: 1_000n }]),
      BitcoindRpcError,
    );
    expect(poor.rpcCode).toBe(bitcoindErrorCodes.insufficientFunds);
    expect(poor.message).toContain('sendmany');
    expect(poor.message).toContain(`127.0.0.1:${node.rpcPort}`);

    const invalid = await rejection(
      backend.client.call('sendmany', ['', { rltc1qnotanaddress: '0.1' }]),
      BitcoindRpcError,
    );
    expect(invalid.rpcCode).toBe(bitcoindErrorCodes.invalidAddressOrKey);

    const missingUrl = new URL('wallet/no-such-wallet', node.nodeUrl).href;
    const missing = new BitcoindBackend({ coin: coinFor(missingUrl) });
    const notFound = await rejection(missing.getBalance(), BitcoindRpcError);
    expect(notFound.rpcCode).toBe(bitcoindErrorCodes.walletNotFound);
    expect(notFound.message).toContain('getbalance');
    expect(notFound.message).toContain('/wallet/no-such-wallet');
    expect(notFound.message).not.toContain(new URL(node.nodeUrl).password);
  });

  it('reports a node that is down as a connection error, after bounded retries', async () => {
    const url = new URL(node.nodeUrl);
    const down = new BitcoindBackend({
      coin: coinFor(url.href),
      client: new RpcClient({
        url: `http://test:pw@127.0.0.1:1/wallet/x`,
        retriesMax: 2,
        retryDelayMs: 10,
      }),
    });
    const error = await rejection(down.getBlockCount(), BitcoindConnectionError);
    expect(error.attempts).toBe(3);
    expect(error.message).toContain('getblockcount');
    expect(error.message).toContain('http://test:***@127.0.0.1:1/wallet/x');
    const send = await rejection(
      down.send([{ address: (await node.rpc('getnewaddress')) as string, amount: 1n }]),
      BitcoindConnectionError,
    );
    expect(send.attempts).toBe(1);
    expect(send.requestMayHaveArrived).toBe(false);
  });
});

/** The error `promise` rejects with, checked to be an instance of `type`. */
async function rejection<E>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}
