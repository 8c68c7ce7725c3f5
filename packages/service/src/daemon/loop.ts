// A periodic task: runs at once, then `periodMs` after each run ends, until stopped. A run that
// rejects is a part dying: the loop ends and `onFailure` is told.
import { assert } from '@cryptoassets/core';

export type Loop = {
  readonly name: string;
  /** Ends the loop after the run in flight (if any); resolves when it ended. */
  stop(): Promise<void>;
  /** Runs completed so far. */
  readonly runs: number;
  readonly lastRunAt: Date | undefined;
};

export type LoopOptions = {
  readonly name: string;
  readonly periodMs: number;
  readonly work: () => Promise<void>;
  readonly onFailure: (name: string, error: unknown) => void;
  /** Wait before the first run (0 by default). */
  readonly firstDelayMs?: number;
};

export function startLoop(options: LoopOptions): Loop {
  assert(
    Number.isFinite(options.periodMs) && options.periodMs > 0,
    `loop ${options.name}: periodMs must be positive`,
  );
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let runs = 0;
  let lastRunAt: Date | undefined;

  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    running = options.work().then(
      () => {
        runs++;
        lastRunAt = new Date();
        if (!stopped) timer = setTimeout(tick, options.periodMs);
      },
      (error: unknown) => {
        stopped = true;
        options.onFailure(options.name, error);
      },
    );
  };
  timer = setTimeout(tick, options.firstDelayMs ?? 0);

  return {
    name: options.name,
    get runs() {
      return runs;
    },
    get lastRunAt() {
      return lastRunAt;
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
