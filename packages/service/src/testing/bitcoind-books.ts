// Books on a bitcoind-compatible regtest node (litecoind, a devnet node) for the conformance
// suites: a fresh node wallet and a fresh database per run, and the harness callbacks both
// suites need, so that every such node is tested through exactly the same code.
import { type CoinConfig, formatAmount, parseAmount } from '@cryptoassets/core';
import { type DialectName, Ledger } from '@cryptoassets/ledger';
import { type ConformanceBooks, createTestDatabase, testCoin } from '@cryptoassets/ledger/testing';
import { BitcoindBackend } from '../bitcoind/backend.js';
import type { NetworkConformanceBooks } from './network-conformance.js';

/** What the harness needs of a regtest node: named wallets, RPC and mining. */
export type RegtestNode = {
  readonly createWallet: () => Promise<{ readonly name: string; readonly url: string }>;
  readonly unloadWallet: (name: string) => Promise<void>;
  readonly rpc: (method: string, ...params: (string | number)[]) => Promise<unknown>;
  readonly mine: (blocks: number) => Promise<unknown>;
};

export type BitcoindBooksOptions = {
  readonly node: RegtestNode;
  readonly dialect: DialectName;
  /** Overrides of the test coin (symbol, profile, confirmations, ...). */
  readonly coin?: Partial<CoinConfig>;
};

/** An amount in a node's JSON reply: an exact decimal kept as `text`, or a value as written. */
function decimalText(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'text' in value) return String(value.text);
  return String(value);
}

async function openBooks(options: BitcoindBooksOptions) {
  const { node } = options;
  const wallet = await node.createWallet();
  const coin = testCoin({
    ...options.coin,
    backend: { type: 'bitcoind', url: wallet.url, timeout_ms: 30_000 },
  });
  const backend = new BitcoindBackend({ coin });
  const testDatabase = await createTestDatabase(options.dialect);
  const ledger = new Ledger({ database: testDatabase.database, coin, backend });
  await ledger.migrate();
  const close = async () => {
    await testDatabase.drop();
    await node.unloadWallet(wallet.name);
  };
  return { ledger, backend, coin, close };
}

/** Books for `describeLedgerConformance`. */
export async function bitcoindLedgerBooks(
  options: BitcoindBooksOptions,
): Promise<ConformanceBooks> {
  const { ledger, backend, coin, close } = await openBooks(options);
  return {
    ledger,
    // Pays the wallet from the miner and buries the payment at the depth getBalance counts.
    fundBackend: async (amount) => {
      const address = await backend.createAddress({ label: 'funding' });
      await options.node.rpc('sendtoaddress', address, formatAmount(amount, coin.profile.decimals));
      await options.node.mine(backend.balanceConfirmations);
    },
    close,
  };
}

/** Books for `describeNetworkConformance`. */
export async function bitcoindNetworkBooks(
  options: BitcoindBooksOptions,
): Promise<NetworkConformanceBooks> {
  const { node } = options;
  const { ledger, backend, coin, close } = await openBooks(options);
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
    close,
  };
}
