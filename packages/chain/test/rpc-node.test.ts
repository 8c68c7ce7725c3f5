// The JSON-RPC of a real devnet node: the ledger's bitcoind backend against it, bitcoind's
// shapes and error codes, named wallets, and walletnotify / blocknotify over HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callDevnetRpc, DevnetRpcError } from '@cryptoassets/chain';
import { startTestDevnet, type TestDevnet } from '@cryptoassets/chain/testing';
import { type CoinConfig, getCoinProfile } from '@cryptoassets/core';
import { testCoin } from '@cryptoassets/ledger/testing';
import { BitcoindBackend, BitcoindRpcError } from '@cryptoassets/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const waitMs = 10_000;

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a devnet node over JSON-RPC', () => {
  let node: TestDevnet;
  let notified: Server;
  const bodies: string[] = [];
  let coin: CoinConfig;
  let backend: BitcoindBackend;

  beforeAll(async () => {
    notified = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        bodies.push(`${req.url} ${body}`);
        res.end();
      });
    });
    await new Promise<void>((resolve) => notified.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(notified.address() as AddressInfo).port}`;
    node = await startTestDevnet({ walletnotify: `${url}/wallet`, blocknotify: `${url}/block` });
    const wallet = await node.createWallet('ledger');
    coin = testCoin({
      symbol: 'dev',
      profile: getCoinProfile('dev')!,
      confirmations: 2,
      backend: { type: 'bitcoind', url: wallet.url, timeout_ms: 10_000 },
    });
    backend = new BitcoindBackend({ coin });
  });
  afterAll(async () => {
    await node?.stop();
    await new Promise((resolve) => notified.close(resolve));
  });

  it('answers the chain calls', async () => {
    const count = await backend.getBlockCount();
    expect(count).toBeGreaterThan(10);
    const best = await backend.getBestBlockHash();
    expect(await node.rpc('getblockhash', count)).toBe(best);
    const block = (await node.rpc('getblock', best)) as Record<string, unknown>;
    expect(block).toMatchObject({ hash: best, height: count, confirmations: 1, miner: 'node0' });
    expect(block.previousblockhash).toBe(await node.rpc('getblockhash', count - 1));
    expect(((block.tx as unknown[]) ?? []).length).toBeGreaterThan(0);
    await expect(node.rpc('getblockhash', count + 5)).rejects.toMatchObject({ rpcCode: -8 });
  });

  it('pays the ledger wallet, and reports it the way the backend expects', async () => {
    const address = await backend.createAddress({ label: 'alice-1' });
    expect(await backend.checkAddressWithNode(address)).toBe(true);
    const txid = (await node.rpc('sendtoaddress', address, '1.25')) as string;
    await waitFor(() => bodies.includes(`/wallet txid=${txid}`));
    const pending = await backend.getTransaction(txid);
    expect(pending).toMatchObject({
      txid,
      confirmations: 0,
      received: [{ address, amount: 125_000_000n }],
    });
    const [blockHash] = await node.mine(2);
    await waitFor(() => bodies.includes(`/block blockhash=${blockHash}`));
    const confirmed = await backend.getTransaction(txid);
    expect(confirmed).toMatchObject({ confirmations: 2, blockHash });
    expect(await backend.getBalance()).toBe(125_000_000n);
    const since = await backend.listSinceBlock(undefined);
    expect(since.transactions).toContainEqual(
      expect.objectContaining({ txid, address, category: 'receive', amount: 125_000_000n }),
    );
    const later = await backend.listSinceBlock(since.lastBlock);
    expect(later.transactions.map((entry) => entry.txid)).not.toContain(txid);
  });

  it('sends with sendmany, fee once at the top, and finds the send again', async () => {
    const outside = (await node.rpc('getnewaddress', 'outside')) as string;
    const other = (await node.rpc('getnewaddress', 'other')) as string;
    const outputs = [
      { address: outside, amount: 10_000_000n },
      { address: other, amount: 20_000_000n },
    ];
    const txid = await backend.send(outputs);
    const sent = await backend.getTransaction(txid);
    expect(sent?.sent).toEqual(outputs);
    expect(sent?.fee).toBeGreaterThan(0n);
    expect(await backend.findWalletTransactionPaying(outputs)).toBe(txid);
    await expect(
      backend.send([{ address: outside, amount: 1_000_000_000_000n }]),
    ).rejects.toSatisfy((error) => error instanceof BitcoindRpcError && error.rpcCode === -6);
  });

  it("answers bitcoind's error codes", async () => {
    expect(await backend.getTransaction('ab'.repeat(32))).toBeUndefined();
    await expect(node.rpc('nosuchmethod')).rejects.toMatchObject({ rpcCode: -32601 });
    await expect(node.rpc('sendtoaddress', 'nope', '1')).rejects.toMatchObject({ rpcCode: -5 });
    const missing = `${node.nodeUrl}wallet/missing`;
    await expect(callDevnetRpc(missing, 'getbalance')).rejects.toMatchObject({ rpcCode: -18 });
    await expect(node.rpc('createwallet', 'ledger')).rejects.toMatchObject({ rpcCode: -4 });
    const wrong = node.nodeUrl.replace(/:[0-9a-f]+@/, ':wrong@');
    await expect(callDevnetRpc(wrong, 'getblockcount')).rejects.toBeInstanceOf(DevnetRpcError);
  });
});

describe('listsinceblock across a reorganisation', () => {
  let net: TestDevnet;

  beforeAll(async () => {
    net = await startTestDevnet({ nodes: 2 });
  });
  afterAll(async () => {
    await net?.stop();
  });

  it('reports the transactions of the abandoned block as removed, back in the mempool', async () => {
    const [first, second] = net.devnet.nodes.map((handle) => handle.node!);
    await waitFor(() => first!.chain.tip().hash === second!.chain.tip().hash);
    const fork = first!.chain.tip().hash;
    const wallet = await net.createWallet('reorg');
    const address = (await wallet.rpc('getnewaddress', 'deposit')) as string;
    first!.blockPeers([second!.url]);
    second!.blockPeers([first!.url]);
    const txid = (await net.rpc('sendtoaddress', address, '2')) as string;
    const [lost] = await net.mine(1);
    const before = (await wallet.rpc('listsinceblock', fork)) as {
      transactions: { txid: string }[];
    };
    expect(before.transactions.map((entry) => entry.txid)).toContain(txid);
    await second!.mineBlocks(3, second!.wallet.newAddress('winner'));
    await first!.unblockPeers();
    await second!.unblockPeers();
    await waitFor(() => first!.chain.tip().hash === second!.chain.tip().hash);
    const after = (await wallet.rpc('listsinceblock', lost)) as {
      transactions: { txid: string; confirmations: number }[];
      removed: { txid: string; category: string }[];
    };
    expect(after.removed).toContainEqual(expect.objectContaining({ txid, category: 'receive' }));
    const block = (await net.rpc('getblock', lost)) as { confirmations: number };
    expect(block.confirmations).toBe(-1);
  });
});
