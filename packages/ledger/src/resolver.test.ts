import { describe, expect, it } from 'vitest';
import { isRetryableConflict } from './resolver.js';

describe('isRetryableConflict', () => {
  it('retries serialization failures and deadlocks of PostgreSQL and busy SQLite', () => {
    for (const code of ['40001', '40P01', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
      expect(isRetryableConflict(Object.assign(new Error('conflict'), { code }))).toBe(true);
    }
  });

  it('does not retry other database errors or plain errors', () => {
    for (const code of ['23505', '42P01', 'SQLITE_CONSTRAINT', 'ECONNREFUSED', 40001]) {
      expect(isRetryableConflict(Object.assign(new Error('other'), { code }))).toBe(false);
    }
    expect(isRetryableConflict(new Error('x'))).toBe(false);
    expect(isRetryableConflict(null)).toBe(false);
    expect(isRetryableConflict('40001')).toBe(false);
  });
});
