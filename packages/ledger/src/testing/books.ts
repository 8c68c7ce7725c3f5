// Fresh books over the offline backend on a test database, for this package's own suites.
import { type CoinConfig, getCoinProfile } from '@cryptoassets/core';
import { OfflineBackend } from '../backend.js';
import type { DialectName } from '../database.js';
import { Ledger } from '../ledger.js';
import type { ResolverOptions } from '../resolver.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

export type OfflineBooks = {
  readonly ledger: Ledger;
  readonly backend: OfflineBackend;
  readonly testDatabase: TestDatabase;
  readonly close: () => Promise<void>;
};

export function testCoin(overrides: Partial<CoinConfig> = {}): CoinConfig {
  const profile = getCoinProfile('ltc')!;
  return {
    symbol: 'ltc',
    profile,
    network: 'regtest',
    confirmations: 3,
    maxConfirmationCount: 15,
    backend: { type: 'offline' },
    ...overrides,
  };
}

/** Migrated LTC regtest books with an offline backend on a fresh database of the dialect. */
export async function openOfflineBooks(
  dialect: DialectName,
  options: {
    readonly poolSize?: number;
    readonly resolver?: ResolverOptions;
    readonly coin?: Partial<CoinConfig>;
  } = {},
): Promise<OfflineBooks> {
  const testDatabase = await createTestDatabase(
    dialect,
    options.poolSize === undefined ? {} : { poolSize: options.poolSize },
  );
  const coin = testCoin(options.coin);
  const backend = new OfflineBackend({ coin: coin.profile, network: coin.network });
  const ledger = new Ledger({
    database: testDatabase.database,
    coin,
    backend,
    ...(options.resolver ? { resolver: options.resolver } : {}),
  });
  try {
    await ledger.migrate();
  } catch (error) {
    await testDatabase.drop();
    throw error;
  }
  return { ledger, backend, testDatabase, close: testDatabase.drop };
}
