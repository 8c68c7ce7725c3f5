// The backend interface: what the ledger needs from a coin's network, and the offline backend.
import { randomBytes } from 'node:crypto';
import {
  type CoinProfile,
  encodeP2pkh,
  encodeP2wpkh,
  isValidAddress,
  type Network,
} from '@cryptoassets/core';

/** What the ledger asks of a coin daemon (bitcoind, litecoind, devnet...). */
export type Backend = {
  /** Short name of the backend type, for messages ("bitcoind", "offline"). */
  readonly type: string;
  /** Creates a new receiving address in the backend's wallet, under the label. */
  readonly createAddress: (options: { readonly label: string }) => Promise<string>;
  /** True when the address is valid for the backend's coin and network. */
  readonly validateAddress: (address: string) => boolean;
  /** Confirmed balance of the backend's wallet, in minor units. */
  readonly getBalance: () => Promise<bigint>;
};

export type OfflineBackendOptions = {
  readonly coin: CoinProfile;
  readonly network: Network;
  /** Address kind to create; segwit needs a coin with bech32. */
  readonly addressType?: 'p2pkh' | 'p2wpkh';
};

/**
 * A backend with no network: it makes syntactically valid addresses for its coin from random
 * 20-byte hashes (nobody holds their keys, so never give them out for real payments), reports the
 * balance it was told (zero unless `setBalance` is called) and cannot send. For bookkeeping
 * experiments and tests.
 */
export class OfflineBackend implements Backend {
  readonly type = 'offline';
  readonly #coin: CoinProfile;
  readonly #network: Network;
  readonly #addressType: 'p2pkh' | 'p2wpkh';
  #balance = 0n;

  constructor(options: OfflineBackendOptions) {
    this.#coin = options.coin;
    this.#network = options.network;
    this.#addressType = options.addressType ?? 'p2pkh';
  }

  createAddress(_options: { readonly label: string }): Promise<string> {
    const hash = randomBytes(20);
    const segwit =
      this.#addressType === 'p2wpkh' ? encodeP2wpkh(this.#coin, this.#network, hash) : undefined;
    return Promise.resolve(segwit ?? encodeP2pkh(this.#coin, this.#network, hash));
  }

  validateAddress(address: string): boolean {
    return isValidAddress(this.#coin, this.#network, address);
  }

  getBalance(): Promise<bigint> {
    return Promise.resolve(this.#balance);
  }

  /** Sets the balance the backend reports (there is no network to ask). */
  setBalance(balance: bigint): void {
    this.#balance = balance;
  }
}
