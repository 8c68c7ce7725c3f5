// The ledger conformance suite through the bitcoind backend, against a real regtest litecoind,
// on every dialect under test.
import { describeLedgerConformance, dialectsUnderTest } from '@cryptoassets/ledger/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { bitcoindLedgerBooks, bitcoindNetworkBooks } from '../src/testing/bitcoind-books.js';
import {
  coinbaseMaturityBlocks,
  type Litecoind,
  requireLitecoind,
  startLitecoind,
} from '../src/testing/litecoind.js';
import { describeNetworkConformance } from '../src/testing/network-conformance.js';

const dialects = await dialectsUnderTest();

describe.runIf(requireLitecoind())('bitcoind backend conformance', () => {
  let node: Litecoind;

  beforeAll(async () => {
    node = await startLitecoind();
    await node.mine(coinbaseMaturityBlocks + 9);
  });
  afterAll(async () => {
    await node?.stop();
  });

  for (const dialect of dialects) {
    const name = `bitcoind backend on litecoind regtest, ${dialect}`;
    describeLedgerConformance({ name, open: () => bitcoindLedgerBooks({ node, dialect }) });
    describeNetworkConformance({
      name,
      open: () =>
        bitcoindNetworkBooks({
          node,
          dialect,
          coin: { confirmations: 2, maxConfirmationCount: 6 },
        }),
    });
  }
});
