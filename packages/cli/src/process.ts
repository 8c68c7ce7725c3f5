// What long-running commands share: the logger the configuration asks for, and waiting for
// SIGTERM or SIGINT to stop.
import { type Config, createLogger, type Logger } from '@cryptoassets/core';

/** JSON lines (pino) when stderr is not a terminal, text otherwise; level from `service`. */
export function loggerFor(config: Config): Logger {
  return createLogger({
    level: config.service?.logging.level ?? 'info',
    json: !process.stderr.isTTY,
  });
}

export type SignalWatch = {
  /** Resolves on the first SIGTERM or SIGINT. */
  readonly signalled: Promise<void>;
  /** Stops listening (call it when the command ends for another reason). */
  readonly dispose: () => void;
};

export function watchSignals(): SignalWatch {
  let onSignal: () => void = () => {};
  const dispose = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  const signalled = new Promise<void>((resolve) => {
    onSignal = () => {
      dispose();
      resolve();
    };
  });
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return { signalled, dispose };
}

/** Resolves on the first SIGTERM or SIGINT. */
export function untilSignal(): Promise<void> {
  return watchSignals().signalled;
}
