// kill -9 during batch commits, on every dialect: a child process moves money through the writer
// (single transfers, atomic and non-atomic transferMany, from several concurrent loops) with an
// idempotency key on each transfer and prints each key once its call has returned. After the
// kill every acknowledged key is in the books with its transaction, an atomic batch is there
// whole or not at all, and retrying every key with the same parameters replays what committed
// and moves only what did not, once.
import type { Account, Ledger, TransferOptions, Wallet } from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
} from '@cryptoassets/ledger/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLedger,
  childPrelude,
  countRows,
  expectCleanAudit,
  freshWallet,
  fundedAccounts,
  runChild,
  waitForOutput,
} from './write-support.js';

const rounds = 3;
const loops = 4;
const accountCount = 4;
const legsPerMany = 3;
const opening = 100_000_000n;
/** After the first acknowledgement, the child is killed within this many milliseconds. */
const killWithinMs = 250;

type Shape = 'one' | 'many' | 'atomic';

/** The shape of step `n` of a loop: one transfer, or a list of three, atomic or not. */
const shapeOf = (n: number): Shape => (['one', 'many', 'one', 'atomic'] as const)[n % 4]!;

/** Leg `j` of step `n` of loop `w` in round `r`: the same in the child and here. */
function legOf(r: number, w: number, n: number, j: number) {
  const from = (w + n + j) % accountCount;
  return {
    from,
    to: (from + 1 + (n % (accountCount - 1))) % accountCount,
    amount: BigInt(1 + ((n * 7 + j * 3 + w) % 40)),
    key: `k-${r}-${w}-${n}-${j}`,
  };
}

const childScript = `${childPrelude}
const [walletName, round] = process.argv.slice(2).map((v, i) => (i === 1 ? Number(v) : v));
const wallet = await ledger.getWallet(walletName);
const accounts = [];
for (let i = 0; i < ${accountCount}; i++) accounts.push(await ledger.requireAccount(wallet, 'a' + i));
const shapeOf = (n) => ['one', 'many', 'one', 'atomic'][n % 4];
function legOf(r, w, n, j) {
  const from = (w + n + j) % ${accountCount};
  return {
    from: accounts[from],
    to: accounts[(from + 1 + (n % ${accountCount - 1})) % ${accountCount}],
    amount: BigInt(1 + ((n * 7 + j * 3 + w) % 40)),
    idempotencyKey: 'k-' + r + '-' + w + '-' + n + '-' + j,
  };
}
const ack = (key, id) => process.stdout.write('ack ' + key + ' ' + id + '\\n');
async function loop(w) {
  for (let n = 0; ; n++) {
    const shape = shapeOf(n);
    if (shape === 'one') {
      const leg = legOf(round, w, n, 0);
      ack(leg.idempotencyKey, (await ledger.transfer(leg)).id);
      continue;
    }
    const legs = Array.from({ length: ${legsPerMany} }, (_, j) => legOf(round, w, n, j));
    const results = await ledger.transferMany(legs, { atomic: shape === 'atomic' });
    results.forEach((result, j) => {
      if (!result.ok) throw result.error;
      ack(legs[j].idempotencyKey, result.transaction.id);
    });
  }
}
process.stdout.write('ready\\n');
await Promise.all(Array.from({ length: ${loops} }, (_, w) => loop(w)));
`;

/** The calls of step `n` of loop `w` in round `r`, as the child made them, with their keys. */
function stepCalls(ledger: Ledger, accounts: readonly Account[], r: number, w: number, n: number) {
  const shape = shapeOf(n);
  const legs: (TransferOptions & { idempotencyKey: string })[] = Array.from(
    { length: shape === 'one' ? 1 : legsPerMany },
    (_, j) => {
      const leg = legOf(r, w, n, j);
      return {
        from: accounts[leg.from]!,
        to: accounts[leg.to]!,
        amount: leg.amount,
        idempotencyKey: leg.key,
      };
    },
  );
  const run = async (): Promise<{ key: string; id: number; replayed: boolean }[]> => {
    if (shape === 'one') {
      const t = await ledger.transfer(legs[0]!);
      return [{ key: legs[0]!.idempotencyKey, id: t.id, replayed: t.replayed }];
    }
    const results = await ledger.transferMany(legs, { atomic: shape === 'atomic' });
    return results.map((result, j) => {
      if (!result.ok) throw result.error;
      return {
        key: legs[j]!.idempotencyKey,
        id: result.transaction.id,
        replayed: result.transaction.replayed,
      };
    });
  };
  return { shape, legs, run };
}

for (const dialect of await dialectsUnderTest()) {
  describe(`kill -9 during batch commits on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let accounts: Account[];

    beforeAll(async () => {
      await buildLedger();
      books = await openOfflineBooks(dialect);
      ledger = books.ledger;
      wallet = await freshWallet(ledger);
      accounts = Object.values(
        await fundedAccounts(
          ledger,
          wallet,
          Object.fromEntries(Array.from({ length: accountCount }, (_, i) => [`a${i}`, opening])),
        ),
      );
    });
    afterAll(async () => {
      await books.close();
    });

    /** Idempotency keys of the wallet and the transactions they point at. */
    async function storedKeys(): Promise<Map<string, number>> {
      const { rows } = await sql<{ idempotency_key: string; transaction_id: string | number }>`
        select idempotency_key, transaction_id from ltc_idempotency where wallet_id = ${wallet.id}`.execute(
        books.testDatabase.database.kysely,
      );
      return new Map(rows.map((row) => [row.idempotency_key, Number(row.transaction_id)]));
    }

    it(`keeps every acknowledged transfer, once, across ${rounds} kills`, {
      timeout: 90_000,
    }, async () => {
      for (let round = 0; round < rounds; round++) {
        const child = runChild(childScript, [books.testDatabase.url, wallet.name, String(round)]);
        await waitForOutput(child, 'ready\n');
        await waitForOutput(child, 'ack ');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * killWithinMs));
        child.kill('SIGKILL');
        const exit = await child.exit;
        expect(exit.signal, child.stderr).toBe('SIGKILL');

        const acked = new Map<string, number>();
        for (const line of child.stdout.split('\n')) {
          const match = /^ack (\S+) (\d+)$/.exec(line);
          if (match) acked.set(match[1]!, Number(match[2]));
        }
        expect(acked.size).toBeGreaterThan(0);

        // Every acknowledged key is stored with the transaction its call returned.
        const stored = await storedKeys();
        for (const [key, id] of acked) expect(stored.get(key), key).toBe(id);
        await expectCleanAudit(ledger);

        // Steps of each loop that may have reached the books: up to the last one seen, and one more.
        const steps: ReturnType<typeof stepCalls>[] = [];
        for (let w = 0; w < loops; w++) {
          const prefix = `k-${round}-${w}-`;
          const seen = [...stored.keys()]
            .filter((key) => key.startsWith(prefix))
            .map((key) => Number(key.slice(prefix.length).split('-')[0]));
          const last = Math.max(-1, ...seen);
          for (let n = 0; n <= last + 1; n++) steps.push(stepCalls(ledger, accounts, round, w, n));
        }
        // An atomic list is in the books whole or not at all; a key is never applied twice.
        for (const step of steps) {
          const present = step.legs.map((leg) => stored.has(leg.idempotencyKey));
          if (step.shape === 'atomic')
            expect(new Set(present).size, step.legs[0]!.idempotencyKey).toBe(1);
        }
        const transactions = await countRows(books, 'transaction', wallet);
        expect(new Set(stored.values()).size).toBe(stored.size);

        // Retry everything with the same parameters: what committed replays, the rest moves once.
        const retried = (await Promise.all(steps.map((step) => step.run()))).flat();
        const missing = retried.filter((r) => !stored.has(r.key)).length;
        for (const r of retried) {
          if (stored.has(r.key))
            expect(r, r.key).toEqual({ key: r.key, id: stored.get(r.key), replayed: true });
          else expect(r.replayed, r.key).toBe(false);
        }
        expect(await countRows(books, 'transaction', wallet)).toBe(transactions + missing);

        const again = (await Promise.all(steps.map((step) => step.run()))).flat();
        expect(again.every((r) => r.replayed)).toBe(true);
        expect(again.map((r) => r.id)).toEqual(retried.map((r) => r.id));
        expect(await countRows(books, 'transaction', wallet)).toBe(transactions + missing);
        expect(await countRows(books, 'idempotency', wallet)).toBe((await storedKeys()).size);
        await expectCleanAudit(ledger);
      }
      // Money only moved between the wallet's accounts.
      const total = (await ledger.listAccounts(wallet))
        .filter((a) => a.kind === 'user')
        .reduce((sum, a) => sum + a.balance, 0n);
      expect(total).toBe(opening * BigInt(accountCount));
    });
  });
}
