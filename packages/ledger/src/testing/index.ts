// Test helpers shipped with the ledger: test databases and the backend conformance suite.

export { type OfflineBooks, openOfflineBooks, testCoin } from './books.js';
export {
  type ConformanceBooks,
  type ConformanceHarness,
  describeLedgerConformance,
  randomTxid,
} from './conformance.js';
export {
  createTestDatabase,
  dialectsUnderTest,
  isPostgresReachable,
  postgresTestUrl,
  requirePostgres,
  type TestDatabase,
} from './databases.js';
