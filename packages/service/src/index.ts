// Public face of @cryptoassets/service: the bitcoind backend, walletnotify listeners and events.
export {};
