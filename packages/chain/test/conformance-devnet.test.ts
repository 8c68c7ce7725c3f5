// The ledger conformance suite through the bitcoind backend, against a regtest devnet node, on
// every dialect under test: the same harnesses as against litecoind, one wallet per run.

import { startTestDevnet, type TestDevnet } from '@cryptoassets/chain/testing';
import { getCoinProfile } from '@cryptoassets/core';
import { describeLedgerConformance, dialectsUnderTest } from '@cryptoassets/ledger/testing';
import {
  bitcoindLedgerBooks,
  bitcoindNetworkBooks,
  describeNetworkConformance,
} from '@cryptoassets/service/testing';
import { afterAll, beforeAll } from 'vitest';

const dialects = await dialectsUnderTest();
const dev = getCoinProfile('dev');
if (!dev) throw new Error('the dev coin profile is missing');

let node: TestDevnet;

beforeAll(async () => {
  node = await startTestDevnet();
});
afterAll(async () => {
  await node?.stop();
});

for (const dialect of dialects) {
  const name = `bitcoind backend on a devnet node, ${dialect}`;
  const coin = { symbol: 'dev', profile: dev };
  describeLedgerConformance({ name, open: () => bitcoindLedgerBooks({ node, dialect, coin }) });
  describeNetworkConformance({
    name,
    open: () =>
      bitcoindNetworkBooks({
        node,
        dialect,
        coin: { ...coin, confirmations: 2, maxConfirmationCount: 6 },
      }),
  });
}
