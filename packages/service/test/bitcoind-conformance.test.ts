// The ledger conformance suite through the bitcoind backend, against a real regtest litecoind,
// on every dialect under test.
import { formatAmount, parseAmount } from '@cryptoassets/core';
import { Ledger } from '@cryptoassets/ledger';
import {
  createTestDatabase,
  describeLedgerConformance,
  dialectsUnderTest,
  testCoin,
} from '@cryptoassets/ledger/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { BitcoindBackend } from '../src/bitcoind/backend.js';
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
    describeLedgerConformance({
      name: `bitcoind backend on litecoind regtest, ${dialect}`,
      open: async () => {
        const wallet = await node.createWallet();
        const coin = testCoin({
          backend: { type: 'bitcoind', url: wallet.url, timeout_ms: 30_000 },
        });
        const backend = new BitcoindBackend({ coin });
        const testDatabase = await createTestDatabase(dialect);
        const ledger = new Ledger({ database: testDatabase.database, coin, backend });
        await ledger.migrate();
        return {
          ledger,
          // Pays the wallet from the miner and buries the payment at the depth getBalance counts.
          fundBackend: async (amount) => {
            const address = await backend.createAddress({ label: 'funding' });
            await node.rpc('sendtoaddress', address, formatAmount(amount, coin.profile.decimals));
            await node.mine(backend.balanceConfirmations);
          },
          close: async () => {
            await testDatabase.drop();
            await node.unloadWallet(wallet.name);
          },
        };
      },
    });

    describeNetworkConformance({
      name: `bitcoind backend on litecoind regtest, ${dialect}`,
      open: async () => {
        const wallet = await node.createWallet();
        const coin = testCoin({
          confirmations: 2,
          maxConfirmationCount: 6,
          backend: { type: 'bitcoind', url: wallet.url, timeout_ms: 30_000 },
        });
        const backend = new BitcoindBackend({ coin });
        const testDatabase = await createTestDatabase(dialect);
        const ledger = new Ledger({ database: testDatabase.database, coin, backend });
        await ledger.migrate();
        const decimals = coin.profile.decimals;
        return {
          ledger,
          backend,
          mine: async (blocks) => {
            await node.mine(blocks);
          },
          pay: async (address, amount) =>
            String(await node.rpc('sendtoaddress', address, formatAmount(amount, decimals))),
          externalAddress: async () => String(await node.rpc('getnewaddress')),
          receivedBy: async (address, minConf) =>
            parseAmount(String(await node.rpc('getreceivedbyaddress', address, minConf)), {
              decimals,
              field: 'received',
              sign: 'non-negative',
            }),
          close: async () => {
            await testDatabase.drop();
            await node.unloadWallet(wallet.name);
          },
        };
      },
    });
  }
});
