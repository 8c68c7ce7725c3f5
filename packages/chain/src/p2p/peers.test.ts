import { InvalidValueError } from '@cryptoassets/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultP2pLimits } from './limits.js';
import { normalizePeerUrl, PeerBook } from './peers.js';

const self = 'http://127.0.0.1:5000';

function bookAt(clock: { ms: number }, overrides: Partial<typeof defaultP2pLimits> = {}) {
  return new PeerBook({
    limits: { ...defaultP2pLimits, ...overrides },
    selfUrl: self,
    now: () => clock.ms,
  });
}

describe('peer book', () => {
  it('normalises peer URLs and refuses others', () => {
    expect(normalizePeerUrl('http://127.0.0.1:5001/some/path?x')).toBe('http://127.0.0.1:5001');
    for (const bad of [
      '',
      'ftp://127.0.0.1:1',
      'http://u:p@127.0.0.1:1',
      'http://127.0.0.1',
      'nope',
    ])
      expect(() => normalizePeerUrl(bad)).toThrow(InvalidValueError);
    fc.assert(
      fc.property(fc.string({ maxLength: 250 }), (text) => {
        try {
          expect(normalizePeerUrl(text)).toMatch(/^https?:\/\/[^/]+:\d+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidValueError);
        }
      }),
    );
  });

  it('keeps at most peersMax peers, never itself', () => {
    const book = bookAt({ ms: 0 }, { peersMax: 2 });
    expect(book.add(self)).toBe(false);
    expect(book.add('http://127.0.0.1:5001')).toBe(true);
    expect(book.add('http://127.0.0.1:5001/')).toBe(false);
    expect(book.add('http://127.0.0.1:5002')).toBe(true);
    expect(book.add('http://127.0.0.1:5003')).toBe(false);
    expect(book.list().map((peer) => peer.url)).toEqual([
      'http://127.0.0.1:5001',
      'http://127.0.0.1:5002',
    ]);
  });

  it('bans a peer at the ban score for banDurationMs, then lets it back', () => {
    const clock = { ms: 1_000 };
    const book = bookAt(clock, { banScoreMax: 100, banDurationMs: 60_000 });
    const peer = 'http://127.0.0.1:5001';
    book.add(peer);
    expect(book.penalize(peer, 60, 'one')).toBe(false);
    expect(book.score(peer)).toBe(60);
    expect(book.penalize(peer, 40, 'two')).toBe(true);
    expect(book.isBanned(peer)).toBe(true);
    expect(book.list()).toEqual([]);
    expect(book.add(peer)).toBe(false);
    clock.ms += 60_001;
    expect(book.isBanned(peer)).toBe(false);
    expect(book.add(peer)).toBe(true);
  });

  it('limits the request rate per peer with a token bucket', () => {
    const clock = { ms: 0 };
    const book = bookAt(clock, { requestsPerSecond: 10, requestBurst: 5 });
    const granted = Array.from({ length: 8 }, () => book.take('a')).filter(Boolean).length;
    expect(granted).toBe(5);
    expect(book.take('b')).toBe(true);
    clock.ms += 100;
    expect(book.take('a')).toBe(true);
    expect(book.take('a')).toBe(false);
  });

  it('partitions: blocked peers are left out until unblocked', () => {
    const book = bookAt({ ms: 0 });
    book.add('http://127.0.0.1:5001');
    book.add('http://127.0.0.1:5002');
    book.block(['http://127.0.0.1:5001']);
    expect(book.isBlocked('http://127.0.0.1:5001')).toBe(true);
    expect(book.list().map((peer) => peer.url)).toEqual(['http://127.0.0.1:5002']);
    book.unblock();
    expect(book.list()).toHaveLength(2);
  });

  it('remembers at most trackedPeersMax buckets', () => {
    const book = bookAt({ ms: 0 }, { trackedPeersMax: 3, requestBurst: 1 });
    for (const id of ['a', 'b', 'c', 'd']) book.take(id);
    // 'a' was forgotten, so it starts with a full bucket again.
    expect(book.take('a')).toBe(true);
    expect(book.take('d')).toBe(false);
  });
});
