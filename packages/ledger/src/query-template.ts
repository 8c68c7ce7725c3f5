// Queries compiled once and run many times with new values: for the hot paths, where building
// and compiling a Kysely query (and its table prefix) costs more than the database takes to run it.
import { assert } from '@cryptoassets/core';
import type { Compilable, CompiledQuery } from 'kysely';

/**
 * A query compiled once with marker values where its parameters go; `bind` returns it with the
 * real values in the markers' places, by name. Markers must be distinct from each other and from
 * every constant the query holds (negative ids and amounts, strings no caller uses).
 */
export class QueryTemplate<R, P extends Record<string, unknown>> {
  readonly #compiled: CompiledQuery<R>;
  /** For each parameter of the compiled query: the name of its marker, or undefined. */
  readonly #slots: readonly (keyof P | undefined)[];

  constructor(query: Compilable<R>, markers: P) {
    const entries = Object.entries(markers);
    const values = entries.map(([, value]) => value);
    assert(new Set(values).size === values.length, 'query template: markers must be distinct');
    this.#compiled = query.compile();
    this.#slots = this.#compiled.parameters.map(
      (value) => entries.find(([, marker]) => marker === value)?.[0],
    );
    for (const [name] of entries)
      assert(this.#slots.includes(name), `query template: marker ${name} is not a parameter`);
  }

  /** The compiled query with these values in the places of the markers of the same names. */
  bind(values: { readonly [K in keyof P]: P[K] }): CompiledQuery<R> {
    const constants = this.#compiled.parameters;
    return {
      ...this.#compiled,
      parameters: this.#slots.map((slot, index) =>
        slot === undefined ? constants[index] : values[slot],
      ),
    };
  }
}
