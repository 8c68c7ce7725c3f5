// Query templates: real values land in their markers' places, on both dialects' placeholders.
import { AssertionFailed } from '@cryptoassets/core';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { QueryTemplate } from './query-template.js';
import type { LedgerTables } from './schema.js';
import { TablePrefixPlugin } from './table-prefix.js';

/** A Kysely that compiles queries but never connects. */
function compileOnly(dialect: 'sqlite' | 'postgres'): Kysely<LedgerTables> {
  const postgres = dialect === 'postgres';
  return new Kysely<LedgerTables>({
    dialect: {
      createAdapter: () => (postgres ? new PostgresAdapter() : new SqliteAdapter()),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) =>
        postgres ? new PostgresIntrospector(db) : new SqliteIntrospector(db),
      createQueryCompiler: () =>
        postgres ? new PostgresQueryCompiler() : new SqliteQueryCompiler(),
    },
  }).withPlugin(new TablePrefixPlugin('ltc_'));
}

describe('QueryTemplate', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`binds values in the markers' places, repeated or not (${dialect})`, () => {
      const db = compileOnly(dialect);
      const query = db
        .updateTable('account')
        .set({ balance: sql`balance - ${-1n}` })
        .where('id', '=', -1)
        .where('kind', '=', 'user')
        .where('balance', '>=', -1n);
      const template = new QueryTemplate(query, { amount: -1n, account: -1 });
      const bound = template.bind({ amount: 5n, account: 42 });
      expect(bound.sql).toBe(query.compile().sql);
      expect(bound.sql).toContain('ltc_account');
      expect(bound.parameters).toEqual([5n, 42, 'user', 5n]);
      expect(template.bind({ account: 9, amount: 7n }).parameters).toEqual([7n, 9, 'user', 7n]);
    });
  }

  it('refuses a marker the query does not hold, and markers that repeat', () => {
    const db = compileOnly('sqlite');
    const query = db.selectFrom('account').select('id').where('id', '=', -1);
    expect(() => new QueryTemplate(query, { id: -1, other: -2 })).toThrow(AssertionFailed);
    expect(() => new QueryTemplate(query, { id: -1, same: -1 })).toThrow(AssertionFailed);
  });
});
