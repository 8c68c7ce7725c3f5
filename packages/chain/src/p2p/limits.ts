// Limits of the P2P layer: peers, message sizes, request rates, timeouts, queues and bans.
import { blockBytesMax, txBytesMax } from '../consensus/params.js';

export type P2pLimits = {
  /** Peers a node keeps in its book (peer exchange never grows it beyond this). */
  readonly peersMax: number;
  /** Largest binary body of `POST /p2p/block`. */
  readonly blockBodyBytesMax: number;
  /** Largest binary body of `POST /p2p/tx`. */
  readonly txBodyBytesMax: number;
  /** Largest JSON body (`POST /mined`). */
  readonly jsonBodyBytesMax: number;
  /** Largest response body a node reads from a peer. */
  readonly responseBytesMax: number;
  /** Headers per `GET /p2p/headers` answer. */
  readonly headersPerRequestMax: number;
  /** Blocks per `GET /p2p/blocks` request. */
  readonly blocksPerRequestMax: number;
  /** A `GET /p2p/blocks` answer stops adding blocks past this many bytes. */
  readonly blocksResponseBytesMax: number;
  /** Hashes in a block locator. */
  readonly locatorHashesMax: number;
  /** Token bucket per peer: sustained requests per second and burst size. */
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
  /** Peers (or addresses) whose buckets and scores are remembered. */
  readonly trackedPeersMax: number;
  /** A peer at or above this score is banned. */
  readonly banScoreMax: number;
  /** How long a ban lasts. */
  readonly banDurationMs: number;
  /** Time allowed for one request to a peer (connect to last byte). */
  readonly requestTimeoutMs: number;
  /** Time a peer has to send a request body to us. */
  readonly serverRequestTimeoutMs: number;
  /** Blocks waiting for validation off the request path. */
  readonly inboundQueueMax: number;
  /** How often a node compares tips with its peers and exchanges peer lists. */
  readonly resyncIntervalMs: number;
  /** Header rounds (of `headersPerRequestMax`) in one sync with one peer. */
  readonly syncRoundsMax: number;
  /** Block and transaction hashes remembered for relay dedupe. */
  readonly seenHashesMax: number;
};

export const defaultP2pLimits: P2pLimits = {
  peersMax: 16,
  blockBodyBytesMax: blockBytesMax,
  txBodyBytesMax: txBytesMax,
  jsonBodyBytesMax: 4 * blockBytesMax,
  responseBytesMax: 24 * blockBytesMax,
  headersPerRequestMax: 2_000,
  blocksPerRequestMax: 100,
  blocksResponseBytesMax: 8 * blockBytesMax,
  locatorHashesMax: 64,
  requestsPerSecond: 200,
  requestBurst: 400,
  trackedPeersMax: 1_024,
  banScoreMax: 100,
  banDurationMs: 10 * 60_000,
  requestTimeoutMs: 10_000,
  serverRequestTimeoutMs: 15_000,
  inboundQueueMax: 256,
  resyncIntervalMs: 5_000,
  syncRoundsMax: 1_000,
  seenHashesMax: 10_000,
};

/** Ban score added for each kind of misbehaviour. */
export const penaltyPoints = {
  /** Bytes or JSON that do not decode, or a body over its limit. */
  malformed: 100,
  /** A block that fails proof of work or consensus rules. */
  invalidBlock: 100,
  /** Headers that do not link or miss their target. */
  invalidHeaders: 100,
  /** A transaction the mempool refuses (may be an honest race, so only a little). */
  invalidTx: 10,
  /** Requests over the rate limit. */
  rateLimited: 1,
} as const;
