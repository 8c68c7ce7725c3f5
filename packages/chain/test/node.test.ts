// One node's HTTP API: the tutorial's /blockchain.json and /mined, chaindata files, and the P2P
// read endpoints a peer syncs from.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  blockHash,
  blocksFromJson,
  blockToJson,
  type DevnetNode,
  defaultP2pLimits,
  headersFromJson,
  helloFromJson,
  nodeHeaderName,
} from '@cryptoassets/chain';
import { mineSync, startTestNetwork, type TestNetwork, waitFor } from '@cryptoassets/chain/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let network: TestNetwork;
let node: DevnetNode;
const peer = { [nodeHeaderName]: 'http://127.0.0.1:1' };

beforeAll(async () => {
  network = await startTestNetwork({ count: 1, regtest: true });
  node = network.nodes[0] as DevnetNode;
  await node.mineBlocks(5, node.payoutAddress());
});
afterAll(() => network.stop());

async function findChaindata(root: string): Promise<string | undefined> {
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory() && entry.name === 'chaindata')
      return join(entry.parentPath, entry.name);
  }
  return undefined;
}

describe('the tutorial API', () => {
  it('serves the chain in the tutorial fields, by pages', async () => {
    const response = await fetch(`${node.url}/blockchain.json?from=1&limit=3`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as {
      length: number;
      next: number | null;
      blocks: { index: number; hash: string; prevhash: string; nonce: number; data: string }[];
    };
    expect(page.length).toBe(6);
    expect(page.next).toBe(4);
    expect(page.blocks.map((block) => block.index)).toEqual([1, 2, 3]);
    expect(page.blocks[0]?.prevhash).toBe(node.chain.hashAtHeight(0));
    expect(page.blocks[1]?.prevhash).toBe(page.blocks[0]?.hash);
    expect(page.blocks[0]?.data).toBe(node.minerTag);
    const all = (await (await fetch(`${node.url}/blockchain.json`)).json()) as {
      blocks: unknown[];
      next: null;
    };
    expect(all.blocks).toHaveLength(6);
    expect(all.next).toBeNull();
    expect((await fetch(`${node.url}/blockchain.json?limit=100000`)).status).toBe(400);
    expect((await fetch(`${node.url}/blockchain.json?from=x`)).status).toBe(400);
  });

  it('writes one human-readable JSON file per block, named by zero-padded index', async () => {
    const dir = await waitFor('chaindata files', async () => {
      const found = await findChaindata(network.dirs[0] as string);
      return found !== undefined && (await readdir(found)).length >= 6 ? found : undefined;
    });
    const files = (await readdir(dir)).sort();
    expect(files[0]).toMatch(/^0+\.json$/);
    expect(files[5]).toMatch(/^0+5\.json$/);
    const text = await readFile(join(dir, files[3] as string), 'utf8');
    expect(text).toContain('\n');
    const block = JSON.parse(text) as { index: number; hash: string };
    expect(block.index).toBe(3);
    expect(block.hash).toBe(node.chain.hashAtHeight(3));
  });

  it('takes a block announced on /mined: answers at once, validates off the request path', async () => {
    const template = node.chain.blockTemplate({
      payoutAddress: node.payoutAddress(),
      minerTag: 'announced',
    });
    const block = mineSync(template);
    const response = await fetch(`${node.url}/mined`, {
      method: 'POST',
      headers: { ...peer, 'content-type': 'application/json' },
      body: JSON.stringify(blockToJson(block)),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'queued', hash: blockHash(block) });
    await waitFor('the announced block', () => node.chain.tip().hash === blockHash(block));
    expect(node.chain.tip().height).toBe(6);
  });
});

describe('P2P read endpoints', () => {
  it('says hello with the genesis and the tip', async () => {
    const hello = helloFromJson(
      await (await fetch(`${node.url}/p2p/hello`, { headers: peer })).json(),
    );
    expect(hello.genesisHash).toBe(node.chain.genesisHash);
    expect(hello.tip.hash).toBe(node.chain.tip().hash);
    expect(hello.tip.chainWork).toBe(node.chain.tip().chainWork);
    expect(hello.url).toBe(node.url);
  });

  it('serves headers after a locator and blocks by hash, bounded', async () => {
    const genesis = node.chain.genesisHash;
    const response = await fetch(`${node.url}/p2p/headers?locator=${genesis}&limit=3`, {
      headers: peer,
    });
    const headers = headersFromJson(await response.json(), defaultP2pLimits);
    expect(headers.map((header) => header.prevHash)).toEqual([
      genesis,
      node.chain.hashAtHeight(1),
      node.chain.hashAtHeight(2),
    ]);
    const hashes = [1, 2].map((height) => node.chain.hashAtHeight(height));
    const blocks = blocksFromJson(
      await (
        await fetch(`${node.url}/p2p/blocks?hashes=${hashes.join(',')}`, { headers: peer })
      ).json(),
      defaultP2pLimits,
    );
    expect(blocks.map(blockHash)).toEqual(hashes);
    const tooMany = Array.from({ length: defaultP2pLimits.blocksPerRequestMax + 1 }, () => genesis);
    expect(
      (
        await fetch(`${node.url}/p2p/blocks?hashes=${tooMany.join(',')}`, {
          headers: { [nodeHeaderName]: 'http://127.0.0.1:2' },
        })
      ).status,
    ).toBe(400);
  });

  it('lists its peers, learns peers that name themselves, and answers 404 elsewhere', async () => {
    const body = (await (await fetch(`${node.url}/p2p/peers`, { headers: peer })).json()) as {
      peers: string[];
    };
    expect(body.peers).toContain('http://127.0.0.1:1');
    expect((await fetch(`${node.url}/p2p/nothing`, { headers: peer })).status).toBe(404);
    expect((await fetch(`${node.url}/nothing`)).status).toBe(404);
  });
});

describe('the JSON-RPC mount', () => {
  it('answers bitcoind calls with basic auth on / and refuses without it', async () => {
    const rpc = { user: 'u', password: 'p' };
    const other = await startTestNetwork({ count: 1, regtest: true, node: { rpc } });
    try {
      const target = other.nodes[0] as DevnetNode;
      await target.mineBlocks(2, target.payoutAddress());
      const call = (auth: string) =>
        fetch(`${target.url}/`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
          body: JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'getblockcount', params: [] }),
        });
      const answer = await call('u:p');
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { result: number }).result).toBe(2);
      expect((await call('u:wrong')).status).toBe(401);
      // The miner is paid to the node's own wallet.
      expect(target.wallet.isMine(target.payoutAddress())).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('has no RPC unless asked', async () => {
    const response = await fetch(`${node.url}/`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });
});
