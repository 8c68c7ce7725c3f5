// Builds a coin's backend from its configuration.
import { type CoinConfig, ConfigError, parseAmount } from '@cryptoassets/core';
import { type Backend, OfflineBackend } from './backend.js';

export type BackendFactory = (coin: CoinConfig) => Backend;

/**
 * Returns the backend configured for the coin, or undefined for a bookkeeping-only coin.
 * Network backends (bitcoind, devnet) live in other packages and are passed in by type.
 */
export function createBackend(
  coin: CoinConfig,
  networkBackends: Readonly<Record<string, BackendFactory>> = {},
): Backend | undefined {
  const config = coin.backend;
  if (config === undefined) return undefined;
  if (config.type === 'offline') {
    const backend = new OfflineBackend({ coin: coin.profile, network: coin.network });
    if (config.balance !== undefined) {
      const field = `coins.${coin.symbol}.backend.balance`;
      const decimals = coin.profile.decimals;
      backend.setBalance(parseAmount(config.balance, { field, decimals, sign: 'non-negative' }));
    }
    return backend;
  }
  const make = networkBackends[config.type];
  if (!make) {
    throw new ConfigError(`coins.${coin.symbol}.backend: type ${config.type} is not available yet`);
  }
  return make(coin);
}
