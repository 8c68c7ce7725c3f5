// Batched first-try delivery on every dialect: events read after the head are handed over one by
// one in order with one cursor commit per batch, a failure in the middle commits the ones before
// it, and a dispatcher stopped in the middle of a batch loses nothing.
import { createLogger } from '@cryptoassets/core';
import type { Ledger } from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
  randomTxid,
} from '@cryptoassets/ledger/testing';
import {
  EventDispatcher,
  type EventDispatcherOptions,
  type EventHandler,
} from '@cryptoassets/service';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const pollIntervalMs = 10;
const stopWaitMs = 5_000;
const waitMsMax = 20_000;

for (const dialect of await dialectsUnderTest()) {
  describe(`batched event delivery on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    const dispatchers: EventDispatcher[] = [];

    beforeEach(async () => {
      books = await openOfflineBooks(dialect);
      ledger = books.ledger;
    });
    afterEach(async () => {
      for (const dispatcher of dispatchers.splice(0).reverse()) await dispatcher.stop();
      await books.close();
    });

    /** Records `count` new unconfirmed deposits in one commit: one event each, in order. */
    async function events(count: number): Promise<{ ids: string[]; sequences: number[] }> {
      const alice = await ledger.createAccount(await ledger.getOrCreateWallet('default'), 'alice');
      const { address } = await ledger.createReceivingAddress(alice);
      await ledger.recordDepositObservations(
        Array.from({ length: count }, () => ({
          txid: randomTxid(),
          confirmations: 0,
          received: [{ address, amount: 5_000n }],
        })),
      );
      const written = await ledger.events.readAfter(0);
      expect(written).toHaveLength(count);
      return { ids: written.map((e) => e.event.id), sequences: written.map((e) => e.sequence) };
    }

    function dispatcher(
      handler: EventHandler,
      options: Partial<EventDispatcherOptions> = {},
    ): EventDispatcher {
      const started = new EventDispatcher({
        outboxes: [ledger.events],
        handlers: [handler],
        logger: createLogger({ write: () => undefined }),
        pollIntervalMs,
        retryDelaysMs: [10],
        stopWaitMs,
        ...options,
      });
      started.start();
      dispatchers.push(started);
      return started;
    }

    it('delivers 250 events once each, in order, with one cursor commit per batch', async () => {
      const { ids, sequences } = await events(250);
      const commits = vi.spyOn(ledger.events, 'markDelivered');
      const delivered: string[] = [];
      dispatcher(
        { name: 'shop', deliver: async (event) => void delivered.push(event.id) },
        {
          batchSize: 100,
        },
      );
      const last = sequences.at(-1) ?? 0;
      await waitFor(async () => (await ledger.events.cursor('shop')) === last);
      expect(delivered).toEqual(ids);
      expect(commits.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(commits.mock.calls.length).toBeLessThanOrEqual(4);
      const committed = commits.mock.calls.map(([, sequence]) => sequence);
      expect(committed).toEqual([...committed].sort((a, b) => a - b));
      expect(committed.at(-1)).toBe(last);
      expect(commits.mock.calls.every(([handler]) => handler === 'shop')).toBe(true);
      expect(await ledger.events.backlog('shop')).toEqual({ waiting: 0, dead: 0 });
    });

    it('commits the events before a failure in a batch and retries the failing one first', async () => {
      const { ids, sequences } = await events(25);
      const fifth = ids[4];
      const delivered: string[] = [];
      const fifthTriesAtMs: number[] = [];
      let broken = true;
      const retryDelayMs = 300;
      const commits = vi.spyOn(ledger.events, 'markDelivered');
      dispatcher(
        {
          name: 'shop',
          deliver: async (event) => {
            if (event.id === fifth) {
              fifthTriesAtMs.push(Date.now());
              if (broken) throw new Error('receiver down for this one');
            }
            delivered.push(event.id);
          },
        },
        { batchSize: 10, retryDelaysMs: [retryDelayMs] },
      );
      await waitFor(async () => (await ledger.events.nextDelivery('shop'))?.attempts === 1);
      broken = false;
      expect(delivered).toEqual(ids.slice(0, 4));
      expect(await ledger.events.cursor('shop')).toBe(sequences[3]);
      expect(commits.mock.calls.map(([, sequence]) => sequence)).toEqual([sequences[3]]);
      const pending = await ledger.events.nextDelivery('shop');
      expect(pending?.event.sequence).toBe(sequences[4]);
      expect(pending?.redelivery).toBe(false);

      await waitFor(async () => (await ledger.events.cursor('shop')) === sequences.at(-1));
      expect(delivered).toEqual(ids);
      expect(new Set(delivered).size).toBe(ids.length);
      expect(fifthTriesAtMs).toHaveLength(2);
      const [firstTry = 0, secondTry = 0] = fifthTriesAtMs;
      expect(secondTry - firstTry).toBeGreaterThanOrEqual(retryDelayMs - 20);
      expect(await ledger.events.backlog('shop')).toEqual({ waiting: 0, dead: 0 });
    });

    /** A handler whose delivery of `blockedId` waits for `release()` (its first try only). */
    function gatedHandler(blockedId: string | undefined) {
      const arrivals: string[] = [];
      const state = { blockedEntered: false, inFlight: 0 };
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const handler: EventHandler = {
        name: 'shop',
        deliver: async (event) => {
          state.inFlight++;
          try {
            await sleep(2);
            if (event.id === blockedId && !state.blockedEntered) {
              state.blockedEntered = true;
              await gate;
            }
            arrivals.push(event.id);
          } finally {
            state.inFlight--;
          }
        },
      };
      return { handler, arrivals, state, release };
    }

    it('commits the delivered part of a batch when stopped in it; a new dispatcher goes on', async () => {
      const { ids, sequences } = await events(50);
      const gated = gatedHandler(ids[25]);
      const first = dispatcher(gated.handler, { batchSize: 20 });
      await waitFor(() => gated.state.blockedEntered);
      let stopped = false;
      const stopping = first.stop().then(() => {
        stopped = true;
      });
      await sleep(50);
      expect(stopped).toBe(false);
      gated.release();
      await stopping;
      expect(gated.arrivals).toEqual(ids.slice(0, 26));
      expect(await ledger.events.cursor('shop')).toBe(sequences[25]);

      dispatcher(gated.handler, { batchSize: 20 });
      await waitFor(async () => (await ledger.events.cursor('shop')) === sequences.at(-1));
      expect(gated.arrivals).toEqual(ids);
    });

    it('loses nothing when a dispatcher gives up waiting in the middle of a batch', async () => {
      const batchSize = 20;
      const { ids, sequences } = await events(50);
      const gated = gatedHandler(ids[25]);
      const warnings: string[] = [];
      const first = dispatcher(gated.handler, {
        batchSize,
        stopWaitMs: 50,
        logger: createLogger({ level: 'warn', write: (line) => warnings.push(line) }),
      });
      await waitFor(() => gated.state.blockedEntered);
      await first.stop();
      expect(warnings.some((line) => line.includes('still in flight at stop'))).toBe(true);
      const cursorAtRestart = await ledger.events.cursor('shop');
      expect(cursorAtRestart).toBe(sequences[19]);

      // The stopped dispatcher's delivery is still in flight while the next one starts.
      dispatcher(gated.handler, { batchSize });
      await waitFor(async () => (await ledger.events.cursor('shop')) === sequences.at(-1));
      gated.release();
      await waitFor(() => gated.state.inFlight === 0);
      await waitFor(async () => {
        const before = warnings.length;
        await first.stop();
        return warnings.length === before;
      });

      const firstArrivals = [...new Set(gated.arrivals)];
      expect(firstArrivals).toEqual(ids);
      const sequenceOf = new Map(ids.map((id, index) => [id, sequences[index] ?? 0]));
      const counts = new Map<string, number>();
      for (const id of gated.arrivals) counts.set(id, (counts.get(id) ?? 0) + 1);
      const repeated = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
      for (const id of repeated) {
        const sequence = sequenceOf.get(id) ?? 0;
        expect(sequence).toBeGreaterThan(cursorAtRestart);
        expect(sequence).toBeLessThanOrEqual(cursorAtRestart + batchSize);
      }
      expect(await ledger.events.cursor('shop')).toBe(sequences.at(-1));
    });
  });
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = waitMsMax,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
