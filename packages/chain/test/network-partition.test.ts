// A partition mines two forks; after healing every node reorganises to the chain with most work
// and no transaction of the losing fork is lost.
import {
  addressFromPublicKey,
  coinbaseMaturityBlocks,
  type DevnetNode,
  newPrivateKey,
  publicKeyOf,
  signTransaction,
  type Transaction,
} from '@cryptoassets/chain';
import {
  heal,
  partition,
  startTestNetwork,
  type TestNetwork,
  waitFor,
  waitForConvergence,
} from '@cryptoassets/chain/testing';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, describe, expect, it } from 'vitest';

let network: TestNetwork | undefined;
afterAll(() => network?.stop());

const key = newPrivateKey();
const publicKey = publicKeyOf(key);
const address = addressFromPublicKey(publicKey);
const feeMinor = 10_000n;

/** Spends one of `address`'s mature coinbase outputs back to `address`, signed. */
function spend(node: DevnetNode, skip: number): Transaction {
  const utxo = node.chain
    .utxosFor([address])
    .filter((entry) => entry.confirmations > coinbaseMaturityBlocks)
    .sort((a, b) => a.height - b.height)[skip];
  if (utxo === undefined) throw new Error('no mature output to spend');
  const unsigned: Transaction = {
    version: 1,
    inputs: [{ prevTxid: utxo.txid, vout: utxo.vout, publicKey, signature: new Uint8Array(64) }],
    outputs: [{ amountMinor: utxo.amountMinor - feeMinor, address }],
  };
  return signTransaction(unsigned, (hex) => (hex === bytesToHex(publicKey) ? key : undefined));
}

describe('partition and heal', () => {
  it('reorganises every node to the most-work fork and keeps the losing fork transactions', async () => {
    network = await startTestNetwork({ count: 3, regtest: true });
    const [a, b, c] = network.nodes as [DevnetNode, DevnetNode, DevnetNode];
    await a.mineBlocks(coinbaseMaturityBlocks + 3, address);
    await waitForConvergence([a, b, c], { heightMin: coinbaseMaturityBlocks + 3 });

    // Before the partition, a transaction gossips from a to every mempool.
    const gossiped = a.chain.submitTransaction(spend(a, 2));
    expect(gossiped.status).toBe('accepted');
    await waitFor('the transaction in every mempool', () =>
      [b, c].every((node) => node.chain.transactionById(gossiped.txid) !== undefined),
    );
    await a.mineBlocks(1, address);
    const common = await waitForConvergence([a, b, c], { heightMin: coinbaseMaturityBlocks + 4 });
    expect(c.chain.transactionById(gossiped.txid)?.confirmations).toBe(1);

    partition([[a], [b, c]]);
    // The minority fork: a transaction, mined into two blocks.
    const lost = spend(a, 0);
    const accepted = a.chain.submitTransaction(lost);
    expect(accepted.status).toBe('accepted');
    await a.mineBlocks(2, a.payoutAddress());
    expect(a.chain.transactionById(accepted.txid)?.confirmations).toBe(2);
    // The majority fork: a transaction of its own, mined into four blocks (more work).
    const kept = spend(b, 1);
    const keptResult = b.chain.submitTransaction(kept);
    expect(keptResult.status).toBe('accepted');
    await b.mineBlocks(4, b.payoutAddress());
    await waitForConvergence([b, c], { heightMin: coinbaseMaturityBlocks + 8 });
    expect(a.chain.tip().hash).not.toBe(b.chain.tip().hash);
    expect(a.chain.headerByHash(b.chain.tip().hash)).toBeUndefined();
    expect(a.chain.hashAtHeight(coinbaseMaturityBlocks + 4)).toBe(common);
    expect(a.chain.tip().height).toBe(coinbaseMaturityBlocks + 6);

    await heal([a, b, c]);
    const tip = await waitForConvergence([a, b, c], { heightMin: coinbaseMaturityBlocks + 8 });
    expect(tip).toBe(b.chain.tip().hash);
    expect(a.chain.tip().chainWork).toBe(b.chain.tip().chainWork);
    expect(a.chain.transactionById(keptResult.txid)?.confirmations).toBeGreaterThan(0);
    // The losing fork's transaction is back in a mempool, then mined again on the winning chain.
    const back = a.chain.transactionById(accepted.txid);
    expect(back).toBeDefined();
    expect(back?.confirmations).toBe(0);
    await a.mineBlocks(1, a.payoutAddress());
    await waitForConvergence([a, b, c], { heightMin: coinbaseMaturityBlocks + 9 });
    for (const node of [a, b, c])
      await waitFor('the transaction mined again', () =>
        (node.chain.transactionById(accepted.txid)?.confirmations ?? 0) >= 1 ? true : undefined,
      );
  });
});
