// The factory: one walletnotify listener for a coin's `walletnotify` configuration.
import { createHttpWalletnotifyListener } from './http.js';
import { createPipeWalletnotifyListener } from './pipe.js';
import { createRedisWalletnotifyListener } from './redis.js';
import type {
  WalletnotifyConfig,
  WalletnotifyListener,
  WalletnotifyListenerOptions,
} from './types.js';

export function createWalletnotifyListener(
  config: WalletnotifyConfig,
  options: WalletnotifyListenerOptions,
): WalletnotifyListener {
  switch (config.type) {
    case 'http':
      return createHttpWalletnotifyListener(config, options);
    case 'pipe':
      return createPipeWalletnotifyListener(config, options);
    case 'redis':
      return createRedisWalletnotifyListener(config, options);
  }
}
