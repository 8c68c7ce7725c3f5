// Builds a coin's backend from its configuration.
import { type CoinConfig, parseAmount } from '@cryptoassets/core';
import { type Backend, OfflineBackend } from './backend.js';
import { DatabaseError } from './errors.js';

/**
 * Returns the backend configured for the coin, or undefined for a bookkeeping-only coin.
 * Network backends (bitcoind, devnet) are provided by the service package and passed in.
 */
export function createBackend(
  coin: CoinConfig,
  networkBackends: Readonly<Record<string, (coin: CoinConfig) => Backend>> = {},
): Backend | undefined {
  const config = coin.backend;
  if (config === undefined) return undefined;
  if (config.type === 'offline')
    return new OfflineBackend({ coin: coin.profile, network: coin.network });
  const make = networkBackends[config.type];
  if (!make)
    throw new DatabaseError(
      `coins.${coin.symbol}.backend: type ${config.type} is not available in this build`,
    );
  return make(coin);
}
