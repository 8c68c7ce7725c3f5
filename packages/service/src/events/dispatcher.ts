// The event dispatcher: for each coin's outbox and each handler, delivers events one at a time
// in id order, at least once. A failing event blocks the later ones of that handler until it
// succeeds or, after `attemptsMax` tries spaced by the retry delays, goes dead. Nothing here
// runs inside a database transaction. Events read together are delivered one after the other and
// the handler's cursor is committed once after them (or before a failure): a crash in between
// delivers those events again, which at-least-once allows and the event id lets receivers see.
import { assert, createLogger, type Logger } from '@cryptoassets/core';
import {
  type EventOutbox,
  eventBatchSizeMax,
  type OutboxEvent,
  type PendingDelivery,
} from '@cryptoassets/ledger';
import { describeError, type EventHandler } from './handler.js';

/** Tries per event and handler before it goes dead and the handler moves on. */
export const deliveryAttemptsMax = 20;
/** Waits after the first, second... failed try; the last one repeats: 10 s, 60 s, then 10 min. */
export const retryDelaysMsDefault: readonly number[] = [10_000, 60_000, 600_000];
/** Events one read hands to a handler before its cursor is committed. */
export const deliveryBatchSizeDefault = 100;
export const pollIntervalMsDefault = 1_000;
export const pollIntervalMsMax = 60_000;
/** How long `stop()` waits for deliveries in flight. */
export const stopWaitMsDefault = 30_000;
const attemptsMaxLimit = 1_000;
const retryDelayMsMax = 86_400_000;

export type EventDispatcherOptions = {
  /** One per coin. */
  readonly outboxes: readonly EventOutbox[];
  readonly handlers: readonly EventHandler[];
  readonly retryDelaysMs?: readonly number[];
  readonly attemptsMax?: number;
  /** How often an idle handler looks for new events (`wake()` looks at once). */
  readonly pollIntervalMs?: number;
  readonly stopWaitMs?: number;
  /** Events delivered per cursor commit (1..eventBatchSizeMax). */
  readonly batchSize?: number;
  readonly logger?: Logger;
};

export type HandlerStatus = {
  readonly coin: string;
  readonly handler: string;
  /** Events not delivered yet. */
  readonly waiting: number;
  /** Events given up on; see `EventOutbox.listDead` and `redeliver`. */
  readonly dead: number;
};

type Lane = {
  readonly outbox: EventOutbox;
  readonly handler: EventHandler;
  wake: (() => void) | undefined;
};

export class EventDispatcher {
  readonly #lanes: Lane[];
  readonly #retryDelaysMs: readonly number[];
  readonly #attemptsMax: number;
  readonly #pollIntervalMs: number;
  readonly #stopWaitMs: number;
  readonly #batchSize: number;
  readonly #logger: Logger;
  #running: Promise<void>[] = [];
  #stopping = false;

  constructor(options: EventDispatcherOptions) {
    this.#retryDelaysMs = options.retryDelaysMs ?? retryDelaysMsDefault;
    this.#attemptsMax = options.attemptsMax ?? deliveryAttemptsMax;
    this.#pollIntervalMs = options.pollIntervalMs ?? pollIntervalMsDefault;
    this.#stopWaitMs = options.stopWaitMs ?? stopWaitMsDefault;
    this.#batchSize = options.batchSize ?? deliveryBatchSizeDefault;
    assert(
      Number.isInteger(this.#batchSize) &&
        this.#batchSize >= 1 &&
        this.#batchSize <= eventBatchSizeMax,
      `batchSize must be 1..${eventBatchSizeMax}`,
    );
    this.#logger = options.logger ?? createLogger();
    assert(
      this.#retryDelaysMs.length > 0 &&
        this.#retryDelaysMs.every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= retryDelayMsMax),
      `retry delays must be whole milliseconds 0..${retryDelayMsMax}`,
    );
    assert(
      Number.isInteger(this.#attemptsMax) &&
        this.#attemptsMax >= 1 &&
        this.#attemptsMax <= attemptsMaxLimit,
      `attemptsMax must be 1..${attemptsMaxLimit}`,
    );
    assert(
      Number.isInteger(this.#pollIntervalMs) &&
        this.#pollIntervalMs >= 1 &&
        this.#pollIntervalMs <= pollIntervalMsMax,
      `pollIntervalMs must be 1..${pollIntervalMsMax}`,
    );
    const names = options.handlers.map((handler) => handler.name);
    assert(new Set(names).size === names.length, 'event handler names must be unique');
    const coins = options.outboxes.map((outbox) => outbox.coin.symbol);
    assert(new Set(coins).size === coins.length, 'one outbox per coin');
    this.#lanes = options.outboxes.flatMap((outbox) =>
      options.handlers.map((handler) => ({ outbox, handler, wake: undefined })),
    );
  }

  /** Starts one delivery loop per coin and handler. */
  start(): void {
    assert(this.#running.length === 0 && !this.#stopping, 'the dispatcher runs once');
    this.#running = this.#lanes.map((lane) => this.#run(lane));
  }

  /** Looks for new events now, e.g. right after a commit that wrote some. */
  wake(): void {
    for (const lane of this.#lanes) lane.wake?.();
  }

  /** Stops the loops, waiting up to `stopWaitMs` for the deliveries in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#stopWaitMs);
    });
    const finished = Promise.allSettled(this.#running).then(() => false);
    const late = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    if (late)
      this.#logger.warn('event deliveries still in flight at stop', { waitedMs: this.#stopWaitMs });
  }

  /** Per coin and handler: how many events wait and how many went dead. */
  async status(): Promise<HandlerStatus[]> {
    const statuses: HandlerStatus[] = [];
    for (const { outbox, handler } of this.#lanes) {
      const backlog = await outbox.backlog(handler.name);
      statuses.push({ coin: outbox.coin.symbol, handler: handler.name, ...backlog });
    }
    return statuses;
  }

  /** The wait after `attempts` failed tries. */
  retryDelayMs(attempts: number): number {
    const index = Math.min(Math.max(attempts, 1), this.#retryDelaysMs.length) - 1;
    return this.#retryDelaysMs[index] ?? this.#pollIntervalMs;
  }

  async #run(lane: Lane): Promise<void> {
    while (!this.#stopping) {
      let waitMs: number;
      try {
        waitMs = await this.#step(lane);
      } catch (error) {
        this.#logger.error('event dispatch failed', {
          coin: lane.outbox.coin.symbol,
          handler: lane.handler.name,
          error: describeError(error),
        });
        waitMs = this.#pollIntervalMs;
      }
      if (waitMs > 0 && !this.#stopping) await this.#sleep(lane, waitMs);
    }
  }

  /** Delivers the handler's next due events, if any; returns how long to wait before the next. */
  async #step(lane: Lane): Promise<number> {
    const { outbox, handler } = lane;
    const pending = await outbox.nextDelivery(handler.name);
    if (!pending) return this.#pollIntervalMs;
    const dueInMs = (pending.nextAttemptAt?.getTime() ?? 0) - Date.now();
    if (dueInMs > 0) return Math.min(dueInMs, this.#pollIntervalMs);
    if (pending.attempts > 0 || pending.redelivery || this.#batchSize === 1) {
      const failedAfter = await this.#deliver(lane, pending.event);
      if (failedAfter !== undefined) return this.#recordFailure(lane, pending, failedAfter);
      await outbox.markDelivered(handler.name, pending.event.sequence);
      return 0;
    }
    // A first try: the head and the events after it, then one cursor commit.
    const events = await outbox.readAfter(pending.event.sequence - 1, this.#batchSize);
    assert(events[0]?.sequence === pending.event.sequence, 'the batch starts at the head');
    let delivered: number | undefined;
    for (const event of events) {
      if (this.#stopping) break;
      const error = await this.#deliver(lane, event);
      if (error !== undefined) {
        if (delivered !== undefined) await outbox.markDelivered(handler.name, delivered);
        const first = { event, attempts: 0, nextAttemptAt: undefined, redelivery: false };
        return this.#recordFailure(lane, first, error);
      }
      delivered = event.sequence;
    }
    if (delivered !== undefined) await outbox.markDelivered(handler.name, delivered);
    return 0;
  }

  /** Hands one event to the handler; resolves with why it failed, or undefined when delivered. */
  async #deliver(lane: Lane, { event }: OutboxEvent): Promise<{ error: unknown } | undefined> {
    try {
      await lane.handler.deliver(event);
    } catch (error) {
      return { error };
    }
    this.#logger.debug('event delivered', { handler: lane.handler.name, event: event.id });
    return undefined;
  }

  /** Records a failed try; returns how long the handler waits before its next step. */
  async #recordFailure(
    lane: Lane,
    pending: PendingDelivery,
    failure: { error: unknown },
  ): Promise<number> {
    const { outbox, handler } = lane;
    const { sequence, event } = pending.event;
    const attempts = pending.attempts + 1;
    const dead = attempts >= this.#attemptsMax;
    const delayMs = this.retryDelayMs(attempts);
    const fields = {
      handler: handler.name,
      event: event.id,
      attempts,
      error: describeError(failure.error),
    };
    await outbox.recordFailure({
      handler: handler.name,
      sequence,
      attempts,
      nextAttemptAt: new Date(Date.now() + delayMs),
      error: fields.error,
      dead,
    });
    if (dead) {
      this.#logger.error('event delivery gave up; the event is dead', fields);
      return 0;
    }
    this.#logger.warn('event delivery failed; trying again later', { ...fields, delayMs });
    return Math.min(delayMs, this.#pollIntervalMs);
  }

  #sleep(lane: Lane, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        lane.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      lane.wake = done;
    });
  }
}
