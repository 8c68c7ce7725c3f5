// The log file sink: one JSON line per event, appended.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WitnessEvent } from './events.js';
import type { EventSink } from './queue.js';

export function createFileSink(path: string): EventSink {
  let ready: Promise<unknown> | undefined;
  return {
    name: `file:${path}`,
    deliver: async (event) => {
      ready ??= mkdir(dirname(path), { recursive: true });
      await ready;
      await appendFile(path, `${JSON.stringify(event)}\n`, { encoding: 'utf8', mode: 0o600 });
    },
  };
}

/** Reads back a log file's events (for tests and the status command). */
export function parseEventLog(text: string): WitnessEvent[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as WitnessEvent);
}
