// A bounded work queue: items are handled one at a time off the request path; a full queue
// refuses new items instead of growing.
export class BoundedQueue<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  readonly #handle: (item: T) => void | Promise<void>;
  readonly #onError: (error: unknown) => void;
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(options: {
    capacity: number;
    handle: (item: T) => void | Promise<void>;
    onError?: (error: unknown) => void;
  }) {
    this.#capacity = options.capacity;
    this.#handle = options.handle;
    this.#onError = options.onError ?? (() => {});
  }

  get size(): number {
    return this.#items.length;
  }

  /** Queues an item; false when the queue is full or closed. */
  push(item: T): boolean {
    if (this.#closed || this.#items.length >= this.#capacity) return false;
    this.#items.push(item);
    this.#draining ??= this.#drain();
    return true;
  }

  /** Resolves once every queued item has been handled. */
  async idle(): Promise<void> {
    // Each round handles at least one item, so this ends within `capacity` + 1 rounds.
    for (let round = 0; round <= this.#capacity && this.#draining !== undefined; round++)
      await this.#draining;
  }

  /** Refuses new items and drops the waiting ones; resolves when the current item is done. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#items.length = 0;
    await this.#draining;
  }

  async #drain(): Promise<void> {
    // Yield first so the request that queued the item is answered before the work starts.
    await new Promise((resolve) => setImmediate(resolve));
    for (let item = this.#items.shift(); item !== undefined; item = this.#items.shift()) {
      try {
        await this.#handle(item);
      } catch (error) {
        this.#onError(error);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#draining = undefined;
  }
}
