// The in-process callback handler: imports a module once and calls one of its exports per
// event. A throw, a rejection or a timeout means try again.
import type { CryptoassetsEvent } from '@cryptoassets/ledger';
import { describeError, EventDeliveryFailed, type EventHandler } from './handler.js';

/** How long one call may take before it counts as failed (it cannot be cancelled). */
export const callbackTimeoutMsDefault = 30_000;

export type EventCallback = (event: CryptoassetsEvent) => unknown;

export type CallbackHandlerOptions = {
  readonly name: string;
  /** What `import()` takes: a `file:` URL or a package name. */
  readonly module: string;
  readonly exportName: string;
  readonly timeoutMs?: number;
};

export function createCallbackHandler(options: CallbackHandlerOptions): EventHandler {
  const { name, module, exportName } = options;
  const timeoutMs = options.timeoutMs ?? callbackTimeoutMsDefault;
  let loading: Promise<EventCallback> | undefined;
  const load = async (): Promise<EventCallback> => {
    const loaded = (await import(module)) as Record<string, unknown>;
    const callback = loaded[exportName];
    if (typeof callback !== 'function')
      throw new EventDeliveryFailed(name, `${module} has no function export ${exportName}`);
    return callback as EventCallback;
  };
  return {
    name,
    deliver: async (event) => {
      loading ??= load();
      let callback: EventCallback;
      try {
        callback = await loading;
      } catch (error) {
        loading = undefined;
        if (error instanceof EventDeliveryFailed) throw error;
        throw new EventDeliveryFailed(name, `cannot import ${module}: ${describeError(error)}`, {
          cause: error,
        });
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new EventDeliveryFailed(name, `callback timed out after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([Promise.resolve().then(() => callback(event)), timeout]);
      } catch (error) {
        if (error instanceof EventDeliveryFailed) throw error;
        throw new EventDeliveryFailed(name, `callback threw: ${describeError(error)}`, {
          cause: error,
        });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
