// Typed refusals of the write path: a reused idempotency key, a taken reference, a hold that is
// not active, a refused atomic batch, a full write queue.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** The idempotency key was used before with other parameters; `differences` names them. */
export class IdempotencyKeyReused extends CryptoassetsError {
  override name = 'IdempotencyKeyReused';
  readonly idempotencyKey: string;
  readonly differences: readonly string[];
  constructor(options: {
    readonly idempotencyKey: string;
    readonly differences: readonly string[];
  }) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      `idempotency key ${JSON.stringify(options.idempotencyKey)} was used for another request (differs in ${options.differences.join(', ')})`,
    );
    this.idempotencyKey = options.idempotencyKey;
    this.differences = options.differences;
  }
}

/** Another transaction (or hold) of the wallet already has this reference. */
export class DuplicateReference extends CryptoassetsError {
  override name = 'DuplicateReference';
  readonly reference: string;
  constructor(options: { readonly reference: string; readonly what: 'transaction' | 'hold' }) {
    super(
      'DUPLICATE_REFERENCE',
      `a ${options.what} of this wallet already has reference ${JSON.stringify(options.reference)}`,
    );
    this.reference = options.reference;
  }
}

/** The hold was captured, released or expired already: a hold ends exactly once. */
export class HoldNotActive extends CryptoassetsError {
  override name = 'HoldNotActive';
  readonly holdId: number;
  readonly state: string;
  constructor(options: { readonly holdId: number; readonly state: string }) {
    super('HOLD_NOT_ACTIVE', `hold ${options.holdId} is ${options.state}, not active`);
    this.holdId = options.holdId;
    this.state = options.state;
  }
}

/** One command of an atomic batch was refused, so none was applied; `cause` says why. */
export class AtomicBatchRefused extends CryptoassetsError {
  override name = 'AtomicBatchRefused';
  readonly index: number;
  constructor(options: { readonly index: number; readonly cause: unknown }) {
    const reason =
      options.cause instanceof CryptoassetsError
        ? options.cause.shortMessage
        : String((options.cause as Error)?.message ?? options.cause);
    const errorOptions: ErrorOptions = { cause: options.cause };
    super(
      'ATOMIC_BATCH_REFUSED',
      `command ${options.index} of the atomic batch was refused, nothing was applied: ${reason}`,
      errorOptions,
    );
    this.index = options.index;
  }
}

/** More commands wait for the writer than it queues; try again shortly. */
export class WriteQueueFull extends CryptoassetsError {
  override name = 'WriteQueueFull';
  constructor(options: { readonly queued: number }) {
    super('WRITE_QUEUE_FULL', `the write queue is full (${options.queued} commands waiting)`);
  }
}
