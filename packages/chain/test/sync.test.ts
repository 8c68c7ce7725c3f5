// A fresh node syncs a long chain from a peer: headers first, then blocks in batches.
import type { DevnetNode } from '@cryptoassets/chain';
import {
  startTestNetwork,
  type TestNetwork,
  waitForConvergence,
} from '@cryptoassets/chain/testing';
import { afterAll, describe, expect, it } from 'vitest';

const blocksWanted = 10_000;
let network: TestNetwork | undefined;
afterAll(() => network?.stop());

describe('sync', () => {
  it(`a fresh node syncs ${blocksWanted} blocks from a peer`, async () => {
    network = await startTestNetwork({
      count: 1,
      regtest: true,
      node: { chainParams: { chaindata: false } },
    });
    const source = network.nodes[0] as DevnetNode;
    const started = Date.now();
    await source.mineBlocks(blocksWanted, source.payoutAddress());
    const minedMs = Date.now() - started;
    expect(source.chain.tip().height).toBe(blocksWanted);
    const syncStarted = Date.now();
    const fresh = await network.add({ peers: [source.url] });
    const syncMs = Date.now() - syncStarted;
    // startNode syncs before it resolves.
    expect(fresh.chain.tip().hash).toBe(source.chain.tip().hash);
    expect(fresh.chain.tip().chainWork).toBe(source.chain.tip().chainWork);
    await waitForConvergence([source, fresh]);
    process.stderr.write(
      `mined ${blocksWanted} blocks in ${minedMs} ms; synced them in ${syncMs} ms\n`,
    );
  });
});
