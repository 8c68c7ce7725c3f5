// Test helpers shipped with the service: a throwaway litecoind -regtest node.

export * from './bitcoind-books.js';
export * from './litecoind.js';
export * from './network-conformance.js';
