// Test helpers for the devnet node.
export const chainTesting = 'chain';
