// The peer book: known peers (bounded), ban scores and bans, a token bucket per peer, and the
// partition control (`block`/`unblock`) that tests use to cut a node off from some peers.
import { InvalidValueError } from '@cryptoassets/core';
import type { P2pLimits } from './limits.js';

/** Longest peer URL accepted. */
export const peerUrlCharsMax = 200;

export type PeerRecord = {
  readonly url: string;
  /** Milliseconds since the epoch of the last successful exchange, 0 when never. */
  lastSeenMs: number;
  /** Failed requests in a row; the peer is dropped after `peerFailuresMax`. */
  failures: number;
};

/** A peer that fails this many requests in a row is dropped from the book (it may come back). */
export const peerFailuresMax = 20;

type Bucket = { tokens: number; updatedMs: number };
type Score = { points: number; reasons: string[] };
/** Reasons remembered per peer, for inspection. */
const reasonsMax = 8;

/**
 * Normalises a peer URL to `http://host:port` (no path, no credentials); throws InvalidValueError
 * on anything else.
 */
export function normalizePeerUrl(text: string): string {
  if (typeof text !== 'string' || text.length === 0 || text.length > peerUrlCharsMax)
    throw new InvalidValueError('peer', `expected a URL of at most ${peerUrlCharsMax} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new InvalidValueError('peer', 'not a URL', { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidValueError('peer', 'expected an http or https URL');
  if (url.username !== '' || url.password !== '')
    throw new InvalidValueError('peer', 'credentials are not allowed in a peer URL');
  if (url.port === '') throw new InvalidValueError('peer', 'the URL needs a port');
  return `${url.protocol}//${url.host}`;
}

/** Remembers at most `max` keys, forgetting the oldest inserted first. */
function boundedSet<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

export class PeerBook {
  readonly #limits: P2pLimits;
  readonly #now: () => number;
  readonly #self: string;
  readonly #peers = new Map<string, PeerRecord>();
  readonly #scores = new Map<string, Score>();
  readonly #bans = new Map<string, number>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #blocked = new Set<string>();

  constructor(options: { limits: P2pLimits; selfUrl: string; now?: () => number }) {
    this.#limits = options.limits;
    this.#self = options.selfUrl;
    this.#now = options.now ?? Date.now;
  }

  /** Adds a peer unless it is us, banned, blocked, already known or the book is full. */
  add(text: string): boolean {
    let url: string;
    try {
      url = normalizePeerUrl(text);
    } catch {
      return false;
    }
    if (url === this.#self || this.#peers.has(url)) return false;
    if (this.isBanned(url) || this.#blocked.has(url)) return false;
    if (this.#peers.size >= this.#limits.peersMax) return false;
    this.#peers.set(url, { url, lastSeenMs: 0, failures: 0 });
    return true;
  }

  remove(url: string): void {
    this.#peers.delete(url);
  }

  /** Peers we may talk to now (not banned, not blocked). */
  list(): PeerRecord[] {
    return [...this.#peers.values()].filter(
      (peer) => !this.isBanned(peer.url) && !this.#blocked.has(peer.url),
    );
  }

  /** Every peer in the book, including blocked ones. */
  all(): PeerRecord[] {
    return [...this.#peers.values()];
  }

  seen(url: string): void {
    const peer = this.#peers.get(url);
    if (peer === undefined) return;
    peer.lastSeenMs = this.#now();
    peer.failures = 0;
  }

  failed(url: string): void {
    const peer = this.#peers.get(url);
    if (peer === undefined) return;
    peer.failures += 1;
    if (peer.failures >= peerFailuresMax) this.#peers.delete(url);
  }

  /** Adds to a peer's ban score; at `banScoreMax` the peer is banned and dropped. */
  penalize(id: string, points: number, reason: string): boolean {
    const score = this.#scores.get(id) ?? { points: 0, reasons: [] };
    score.points += points;
    score.reasons = [...score.reasons, reason].slice(-reasonsMax);
    boundedSet(this.#scores, id, score, this.#limits.trackedPeersMax);
    if (score.points < this.#limits.banScoreMax) return false;
    boundedSet(
      this.#bans,
      id,
      this.#now() + this.#limits.banDurationMs,
      this.#limits.trackedPeersMax,
    );
    this.#scores.delete(id);
    this.#peers.delete(id);
    return true;
  }

  score(id: string): number {
    return this.#scores.get(id)?.points ?? 0;
  }

  isBanned(id: string): boolean {
    const until = this.#bans.get(id);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#bans.delete(id);
    return false;
  }

  bans(): { id: string; untilMs: number }[] {
    return [...this.#bans.entries()]
      .filter(([, until]) => until > this.#now())
      .map(([id, untilMs]) => ({ id, untilMs }));
  }

  unban(id: string): void {
    this.#bans.delete(id);
    this.#scores.delete(id);
  }

  /** Takes one request token from the peer's bucket; false when it is empty. */
  take(id: string): boolean {
    const now = this.#now();
    const { requestsPerSecond, requestBurst } = this.#limits;
    const bucket = this.#buckets.get(id) ?? { tokens: requestBurst, updatedMs: now };
    const refill = ((now - bucket.updatedMs) / 1000) * requestsPerSecond;
    bucket.tokens = Math.min(requestBurst, bucket.tokens + refill);
    bucket.updatedMs = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    boundedSet(this.#buckets, id, bucket, this.#limits.trackedPeersMax);
    return allowed;
  }

  /** Cuts this node off from the given peers, both ways (a network partition). */
  block(urls: readonly string[]): void {
    for (const url of urls) this.#blocked.add(normalizePeerUrl(url));
  }

  /** Heals a partition: every peer, or the given ones. */
  unblock(urls?: readonly string[]): void {
    if (urls === undefined) this.#blocked.clear();
    else for (const url of urls) this.#blocked.delete(normalizePeerUrl(url));
  }

  isBlocked(id: string): boolean {
    return this.#blocked.has(id);
  }
}
