// The ledger conformance suite through the bitcoind backend, against a regtest devnet node, on
// every dialect under test: the same harnesses as against litecoind, one wallet per run.

import { JsonDecimal } from '@cryptoassets/chain';
import { startTestDevnet, type TestDevnet } from '@cryptoassets/chain/testing';
import { formatAmount, getCoinProfile, parseAmount } from '@cryptoassets/core';
import { Ledger } from '@cryptoassets/ledger';
import {
  createTestDatabase,
  describeLedgerConformance,
  dialectsUnderTest,
  testCoin,
} from '@cryptoassets/ledger/testing';
import { BitcoindBackend } from '@cryptoassets/service';
import { describeNetworkConformance } from '@cryptoassets/service/testing';
import { afterAll, beforeAll } from 'vitest';

const dialects = await dialectsUnderTest();
/** An amount from the node's JSON: an exact decimal (kept as text) or a plain number. */
const decimalText = (value: unknown): string =>
  value instanceof JsonDecimal ? value.text : String(value);
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
  describeLedgerConformance({
    name: `bitcoind backend on a devnet node, ${dialect}`,
    open: async () => {
      const wallet = await node.createWallet();
      const coin = testCoin({
        symbol: 'dev',
        profile: dev,
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
    name: `bitcoind backend on a devnet node, ${dialect}`,
    open: async () => {
      const wallet = await node.createWallet();
      const coin = testCoin({
        symbol: 'dev',
        profile: dev,
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
          parseAmount(decimalText(await node.rpc('getreceivedbyaddress', address, minConf)), {
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
