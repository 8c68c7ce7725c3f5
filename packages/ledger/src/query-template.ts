// Queries compiled once and run many times with new values: for the hot paths, where building
// and compiling a Kysely query (and its table prefix) costs more than the database takes to run it.
import { assert } from '@cryptoassets/core';
import type { Compilable, CompiledQuery } from 'kysely';

/**
 * A query compiled once with marker values where its parameters go; `bind` returns it with the
 * real values in the markers' places. Markers must be distinct from each other and from every
 * constant the query holds (negative ids and amounts, strings no caller uses).
 */
export class QueryTemplate<R, V extends readonly unknown[] | []> {
  readonly #compiled: CompiledQuery<R>;
  /** For each parameter of the compiled query: the index of its marker, or -1 for a constant. */
  readonly #slots: readonly number[];

  constructor(query: Compilable<R>, markers: V) {
    const list: readonly unknown[] = markers;
    assert(new Set(list).size === list.length, 'query template: markers must be distinct');
    this.#compiled = query.compile();
    this.#slots = this.#compiled.parameters.map((value) => list.indexOf(value));
    for (let index = 0; index < list.length; index++)
      assert(this.#slots.includes(index), `query template: marker ${index} is not a parameter`);
  }

  /** The compiled query with these values, in the order of the markers. */
  bind(...values: V): CompiledQuery<R> {
    const constants = this.#compiled.parameters;
    return {
      ...this.#compiled,
      parameters: this.#slots.map((slot, index) => (slot === -1 ? constants[index] : values[slot])),
    };
  }
}
