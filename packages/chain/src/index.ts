// Public face of @cryptoassets/chain: the devnet node.
export const chainPackage = 'chain';
