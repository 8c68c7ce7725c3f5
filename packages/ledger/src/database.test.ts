import { describe, expect, it } from 'vitest';
import { openDatabase, redact } from './database.js';
import { DatabaseError } from './errors.js';

describe('openDatabase', () => {
  it('refuses a URL of an unknown kind, naming the field and hiding the password', () => {
    expect(() => openDatabase('mysql://me:secret@host/db')).toThrow(DatabaseError);
    expect(() => openDatabase('mysql://me:secret@host/db')).toThrow(
      /database\.url.*me:\*\*\*@host/,
    );
    expect(() => openDatabase('sqlite:')).toThrow(/needs a file path/);
  });

  it('opens an in-memory SQLite database', async () => {
    const db = openDatabase('sqlite::memory:');
    expect(db.dialect).toBe('sqlite');
    await db.close();
  });
});

describe('redact', () => {
  it('removes the password of a URL', () => {
    expect(redact('postgresql://alice:pw@db:5432/x')).toBe('postgresql://alice:***@db:5432/x');
    expect(redact('postgresql://alice@db/x')).toBe('postgresql://alice@db/x');
  });
});
