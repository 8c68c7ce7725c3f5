// Test projects: `unit` (pure, next to the code) and `integration` (real databases, in test/).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string): string =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

const alias = {
  '@cryptoassets/core': src('core'),
  '@cryptoassets/ledger/testing': fileURLToPath(
    new URL('./packages/ledger/src/testing/index.ts', import.meta.url),
  ),
  '@cryptoassets/ledger': src('ledger'),
  '@cryptoassets/chain/testing': fileURLToPath(
    new URL('./packages/chain/src/testing/index.ts', import.meta.url),
  ),
  '@cryptoassets/chain': src('chain'),
  '@cryptoassets/witness/testing': fileURLToPath(
    new URL('./packages/witness/src/testing/index.ts', import.meta.url),
  ),
  '@cryptoassets/witness': src('witness'),
  '@cryptoassets/service/testing': fileURLToPath(
    new URL('./packages/service/src/testing/index.ts', import.meta.url),
  ),
  '@cryptoassets/service': src('service'),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
