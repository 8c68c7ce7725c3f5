// A bounded notification queue: the guard hands events over and never waits for delivery.
// Each sink gets the events in order; a slow or failing sink loses the oldest events first.
import type { Logger } from '@cryptoassets/core';
import type { Notify, WitnessEvent } from './events.js';

/** Events waiting per sink; beyond this the oldest is dropped. */
export const notifyQueueEventsMax = 256;
/** Tries per event and sink before it is given up. */
export const notifyAttemptsMax = 3;
/** Pause between two tries of the same event. */
export const notifyRetryDelayMs = 1_000;

export type EventSink = {
  readonly name: string;
  readonly deliver: (event: WitnessEvent) => Promise<void>;
};

export type NotificationQueue = {
  readonly notify: Notify;
  /** Waits until every queued event was delivered or given up, at most `timeoutMs`. */
  readonly drain: (timeoutMs: number) => Promise<void>;
  readonly dropped: () => number;
};

export type NotificationQueueOptions = {
  readonly sinks: readonly EventSink[];
  readonly logger?: Logger;
  readonly eventsMax?: number;
  readonly retryDelayMs?: number;
};

export function createNotificationQueue(options: NotificationQueueOptions): NotificationQueue {
  const workers = options.sinks.map((sink) => sinkWorker(sink, options));
  return {
    notify: (event) => {
      for (const worker of workers) worker.push(event);
    },
    drain: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.all(workers.map((worker) => worker.idle())), timeout]);
      clearTimeout(timer);
    },
    dropped: () => workers.reduce((sum, worker) => sum + worker.dropped(), 0),
  };
}

function sinkWorker(sink: EventSink, options: NotificationQueueOptions) {
  const eventsMax = options.eventsMax ?? notifyQueueEventsMax;
  const retryDelayMs = options.retryDelayMs ?? notifyRetryDelayMs;
  const waiting: WitnessEvent[] = [];
  let dropped = 0;
  let running: Promise<void> | undefined;
  const deliverOne = async (event: WitnessEvent): Promise<void> => {
    for (let attempt = 1; attempt <= notifyAttemptsMax; attempt += 1) {
      try {
        await sink.deliver(event);
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        options.logger?.warn('witness notification failed', {
          sink: sink.name,
          event: event.name,
          attempt,
          reason,
        });
        if (attempt < notifyAttemptsMax) await new Promise((r) => setTimeout(r, retryDelayMs));
      }
    }
  };
  const run = async (): Promise<void> => {
    for (let event = waiting.shift(); event !== undefined; event = waiting.shift()) {
      await deliverOne(event);
    }
    running = undefined;
  };
  return {
    push: (event: WitnessEvent) => {
      if (waiting.length >= eventsMax) {
        waiting.shift();
        dropped += 1;
      }
      waiting.push(event);
      running ??= run();
    },
    idle: async () => {
      while (running !== undefined) await running;
    },
    dropped: () => dropped,
  };
}
