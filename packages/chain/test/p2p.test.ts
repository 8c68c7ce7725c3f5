// Peers that send invalid data are refused and penalised: bad proof of work, wrong difficulty,
// bad merkle root, oversized coinbase, future timestamps, bad signatures, double spends, headers
// that do not link, malformed or oversized messages; banned peers get 403; rates are limited.
// Every peer-facing route is fuzzed with random bodies: it answers 4xx, never 5xx.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  addressFromPublicKey,
  type Block,
  type BlockHeader,
  bitsToTarget,
  blockToJson,
  coinbaseMaturityBlocks,
  type DevnetNode,
  encodeBlock,
  encodeHeader,
  encodeTransaction,
  futureBlockTimeSMax,
  hashToNumber,
  headerFor,
  headerHash,
  makeCoinbase,
  newPrivateKey,
  nodeHeaderName,
  publicKeyOf,
  signTransaction,
  type Transaction,
} from '@cryptoassets/chain';
import { startTestNetwork, type TestNetwork, waitFor } from '@cryptoassets/chain/testing';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const limits = { blockBodyBytesMax: 20_000, jsonBodyBytesMax: 50_000, txBodyBytesMax: 5_000 };
let network: TestNetwork;
let node: DevnetNode;
let nextPeerPort = 20_000;
const key = newPrivateKey();
const publicKey = publicKeyOf(key);
const address = addressFromPublicKey(publicKey);

/** A fresh peer identity, so each case is scored on its own. */
function newPeer(): Record<string, string> {
  nextPeerPort += 1;
  return { [nodeHeaderName]: `http://127.0.0.1:${nextPeerPort}` };
}
const peerId = (peer: Record<string, string>): string => peer[nodeHeaderName] as string;

beforeAll(async () => {
  network = await startTestNetwork({ count: 1, regtest: true, limits });
  node = network.nodes[0] as DevnetNode;
  await node.mineBlocks(coinbaseMaturityBlocks + 2, address);
});
afterAll(() => network.stop());

/** Finds a nonce so that the header meets its own bits. */
function solve(fields: Omit<BlockHeader, 'merkleRoot' | 'nonce'>, txs: Transaction[]): Block {
  const target = bitsToTarget(fields.bits);
  for (let nonce = 0; nonce < 1_000_000; nonce++) {
    const header = headerFor({ ...fields, nonce }, txs);
    if (hashToNumber(headerHash(header)) <= target) return { header, transactions: txs };
  }
  throw new Error('no nonce');
}

/** A valid next block, with optional changes before solving. */
function nextBlock(change: { bits?: number; time?: number; rewardExtra?: bigint } = {}): Block {
  const tip = node.chain.tip();
  const coinbase = makeCoinbase({
    height: tip.height + 1,
    minerTag: 'p2p-test',
    outputs: [{ amountMinor: 50n * 100_000_000n + (change.rewardExtra ?? 0n), address }],
  });
  return solve(
    {
      version: 1,
      prevHash: tip.hash,
      time: change.time ?? Math.max(tip.time + 1, Math.floor(Date.now() / 1000)),
      bits: change.bits ?? tip.bits,
    },
    [coinbase],
  );
}

async function post(path: string, peer: Record<string, string>, body: Uint8Array | string) {
  return fetch(`${node.url}${path}`, { method: 'POST', headers: peer, body });
}

async function expectBanned(peer: Record<string, string>): Promise<void> {
  await waitFor('the ban', () => node.network.book.isBanned(peerId(peer)));
  const response = await fetch(`${node.url}/p2p/hello`, { headers: peer });
  expect(response.status).toBe(403);
}

/** Spends a mature coinbase output of `address` (the `index`-th oldest). */
function spend(index: number, sign = true): Transaction {
  const utxo = node.chain
    .utxosFor([address])
    .filter((entry) => entry.confirmations > coinbaseMaturityBlocks)
    .sort((x, y) => x.height - y.height)[index];
  if (utxo === undefined) throw new Error('no mature output');
  const tx: Transaction = {
    version: 1,
    inputs: [{ prevTxid: utxo.txid, vout: utxo.vout, publicKey, signature: new Uint8Array(64) }],
    outputs: [{ amountMinor: utxo.amountMinor - 10_000n, address }],
  };
  if (!sign) return tx;
  return signTransaction(tx, (hex) => (hex === bytesToHex(publicKey) ? key : undefined));
}

describe('invalid blocks are refused and their sender banned', () => {
  it('accepts a valid block from a peer (the baseline)', async () => {
    const block = nextBlock();
    const response = await post('/p2p/block', newPeer(), encodeBlock(block));
    expect(response.status).toBe(202);
    await waitFor('the block', () => node.chain.tip().hash === headerHash(block.header));
  });

  it('bad proof of work: refused on the request path', async () => {
    const block = nextBlock();
    let header = block.header;
    for (let nonce = 0; hashToNumber(headerHash(header)) <= bitsToTarget(header.bits); nonce++)
      header = { ...block.header, nonce: block.header.nonce + nonce + 1 };
    const peer = newPeer();
    const response = await post('/p2p/block', peer, encodeBlock({ ...block, header }));
    expect(response.status).toBe(400);
    await expectBanned(peer);
  });

  const invalid: [string, () => Block][] = [
    ['wrong difficulty', () => nextBlock({ bits: 0x2000ffff })],
    [
      'bad merkle root',
      () => {
        const block = nextBlock();
        const other = makeCoinbase({
          height: node.chain.tip().height + 1,
          minerTag: 'swapped',
          outputs: [{ amountMinor: 1n, address }],
        });
        return { header: block.header, transactions: [other] };
      },
    ],
    ['coinbase too large', () => nextBlock({ rewardExtra: 1n })],
    [
      'timestamp too far in the future',
      () => nextBlock({ time: Math.floor(Date.now() / 1000) + futureBlockTimeSMax + 600 }),
    ],
    [
      'timestamp before the median of recent blocks',
      () => nextBlock({ time: node.chain.tip().time - 3_600 }),
    ],
  ];
  for (const [name, build] of invalid) {
    it(`${name}: refused after validation, sender banned`, async () => {
      const before = node.chain.tip().hash;
      const peer = newPeer();
      const response = await post('/p2p/block', peer, encodeBlock(build()));
      expect([202, 400]).toContain(response.status);
      await expectBanned(peer);
      expect(node.chain.tip().hash).toBe(before);
    });
  }

  it('a block on /mined in the tutorial JSON with a bad hash field is refused', async () => {
    const json = { ...blockToJson(nextBlock()), hash: '00'.repeat(32) };
    const peer = newPeer();
    const response = await post('/mined', peer, JSON.stringify(json));
    expect(response.status).toBe(400);
    await expectBanned(peer);
  });
});

describe('malformed and oversized messages', () => {
  it('malformed JSON on /mined', async () => {
    const peer = newPeer();
    expect((await post('/mined', peer, '{"index": 1,')).status).toBe(400);
    await expectBanned(peer);
  });

  it('malformed binary block', async () => {
    const peer = newPeer();
    const bytes = encodeBlock(nextBlock()).slice(0, 100);
    expect((await post('/p2p/block', peer, bytes)).status).toBe(400);
    await expectBanned(peer);
  });

  it('oversized body', async () => {
    const peer = newPeer();
    const response = await post('/p2p/block', peer, new Uint8Array(limits.blockBodyBytesMax + 1));
    expect(response.status).toBe(413);
    await expectBanned(peer);
  });

  it('malformed query', async () => {
    const peer = newPeer();
    const response = await fetch(`${node.url}/p2p/headers?locator=zz&limit=1`, { headers: peer });
    expect(response.status).toBe(400);
    await expectBanned(peer);
  });
});

describe('transactions', () => {
  it('relays a valid transaction and refuses a bad signature and a double spend', async () => {
    const good = spend(0);
    const peer = newPeer();
    const accepted = await post('/p2p/tx', peer, encodeTransaction(good));
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { status: string }).status).toBe('accepted');

    const unsigned = spend(1, false);
    const badSignature = await post('/p2p/tx', peer, encodeTransaction(unsigned));
    expect(badSignature.status).toBe(400);
    expect(node.network.book.score(peerId(peer))).toBeGreaterThan(0);

    const doubleSpend: Transaction = signTransaction(
      { ...good, outputs: [{ amountMinor: 1_000n, address }] },
      (hex) => (hex === bytesToHex(publicKey) ? key : undefined),
    );
    const refused = await post('/p2p/tx', peer, encodeTransaction(doubleSpend));
    expect(refused.status).toBe(400);
    expect(node.network.book.score(peerId(peer))).toBeGreaterThan(10);
  });
});

describe('a peer whose headers do not link', () => {
  let fake: Server;
  afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())));

  it('is penalised and banned by the syncing node', async () => {
    const genesis = node.chain.genesisHash;
    const header = (prevHash: string, nonce: number): BlockHeader => ({
      version: 1,
      prevHash,
      merkleRoot: genesis,
      time: 1_800_000_000,
      bits: 0x207fffff,
      nonce,
    });
    const first = header(genesis, 0);
    const broken = header('11'.repeat(32), 1);
    fake = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/p2p/hello')) {
        const tip = { height: 999, hash: genesis, chainWork: '99999999999' };
        res.end(
          JSON.stringify({ version: 1, network: 'devnet', genesisHash: genesis, url: '', tip }),
        );
      } else if (req.url?.startsWith('/p2p/headers')) {
        res.end(
          JSON.stringify({ headers: [first, broken].map((h) => bytesToHex(encodeHeader(h))) }),
        );
      } else res.end(JSON.stringify({ peers: [] }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    node.network.book.add(url);
    await node.network.syncWith(url);
    expect(node.network.book.isBanned(url)).toBe(true);
    expect(node.network.book.list().map((peer) => peer.url)).not.toContain(url);
  });
});

describe('request rate', () => {
  it('answers 429 beyond the burst and keeps counting', async () => {
    const other = await startTestNetwork({
      count: 1,
      regtest: true,
      limits: { requestBurst: 5, requestsPerSecond: 1 },
    });
    try {
      const target = other.nodes[0] as DevnetNode;
      const peer = newPeer();
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push((await fetch(`${target.url}/p2p/hello`, { headers: peer })).status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(5);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      expect(target.network.book.score(peerId(peer))).toBe(3);
    } finally {
      await other.stop();
    }
  });
});

describe('fuzzing the peer-facing routes', () => {
  it('random bodies get a 4xx answer, never a 5xx', async () => {
    const routes = ['/p2p/block', '/p2p/tx', '/mined'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(
          fc.uint8Array({ maxLength: 2_000 }),
          fc.jsonValue().map((value) => new TextEncoder().encode(JSON.stringify(value))),
        ),
        async (route, body) => {
          const response = await post(route, newPeer(), body);
          await response.arrayBuffer();
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    const response = await fetch(`${node.url}/p2p/hello`, { headers: newPeer() });
    expect(response.status).toBe(200);
  });

  it('random query strings get 200 or 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/p2p/headers', '/p2p/blocks', '/blockchain.json'),
        fc.string({ maxLength: 200 }),
        async (path, query) => {
          const response = await fetch(`${node.url}${path}?${encodeURI(query)}`, {
            headers: newPeer(),
          });
          await response.arrayBuffer();
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});
