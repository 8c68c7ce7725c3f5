// What an event handler is: something that takes one event and either has it or throws.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';
import type { CryptoassetsEvent } from '@cryptoassets/ledger';

export type EventHandler = {
  /** The handler's name: its key under `events` in the configuration. */
  readonly name: string;
  /** Delivers one event; resolves once the receiver has it, throws to have it tried again. */
  readonly deliver: (event: CryptoassetsEvent) => Promise<void>;
};

/** A delivery that did not succeed; the dispatcher tries it again later. */
export class EventDeliveryFailed extends CryptoassetsError {
  override name = 'EventDeliveryFailed';
  readonly handler: string;

  constructor(handler: string, problem: string, options: ErrorOptions = {}) {
    super('EVENT_DELIVERY_FAILED', `event handler ${handler}: ${problem}`, options);
    this.handler = handler;
  }
}

/** The JSON text of an event: a webhook's body. Amounts in it are already decimal strings. */
export function serializeEvent(event: CryptoassetsEvent): string {
  return JSON.stringify(event);
}

/** A short description of an error for logs and the failure record. */
export function describeError(error: unknown): string {
  if (error instanceof CryptoassetsError) return error.shortMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}
