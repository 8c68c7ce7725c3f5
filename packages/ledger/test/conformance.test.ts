// The conformance suite over the offline backend, on every dialect.
import {
  describeLedgerConformance,
  dialectsUnderTest,
  openOfflineBooks,
} from '@cryptoassets/ledger/testing';

for (const dialect of await dialectsUnderTest()) {
  describeLedgerConformance({
    name: `offline backend on ${dialect}`,
    open: async () => {
      const books = await openOfflineBooks(dialect);
      return {
        ledger: books.ledger,
        fundBackend: async (amount) =>
          books.backend.setBalance((await books.backend.getBalance()) + amount),
        close: books.close,
      };
    },
  });
}
