// The bounds every walletnotify listener runs under; each can be lowered (e.g. in tests).

export type WalletnotifyLimits = {
  /** Txids waiting for the callback; more are dropped and logged. */
  readonly queueLengthMax: number;
  /** Bytes of one named-pipe line (without the newline); a longer line is dropped. */
  readonly lineBytesMax: number;
  /** HTTP: time a client has to send its request headers. */
  readonly headersTimeoutMs: number;
  /** HTTP: time a client has to send its whole request. */
  readonly requestTimeoutMs: number;
  /** HTTP: open connections at once; more are refused by the server. */
  readonly connectionCountMax: number;
  /** HTTP: time a refused connection may linger before it is cut, so the reply can be read. */
  readonly closeLingerMs: number;
  /** Redis and pipe: first delay before reconnecting or reopening; doubles up to the max. */
  readonly reconnectDelayMsMin: number;
  readonly reconnectDelayMsMax: number;
  /** Redis: time allowed for one connection attempt. */
  readonly connectTimeoutMs: number;
  /** Time `stop()` waits for a connection or pipe to close before giving up on it. */
  readonly stopTimeoutMs: number;
};

export const walletnotifyLimitsDefault: WalletnotifyLimits = {
  queueLengthMax: 10_000,
  lineBytesMax: 1_024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  connectionCountMax: 64,
  closeLingerMs: 1_000,
  reconnectDelayMsMin: 100,
  reconnectDelayMsMax: 5_000,
  connectTimeoutMs: 5_000,
  stopTimeoutMs: 2_000,
};

/** Exponential backoff with jitter (half to full delay), capped at `reconnectDelayMsMax`. */
export function reconnectDelayMs(attempt: number, limits: WalletnotifyLimits): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceilingMs = Math.min(
    limits.reconnectDelayMsMax,
    limits.reconnectDelayMsMin * 2 ** exponent,
  );
  return Math.round(ceilingMs * (0.5 + Math.random() / 2));
}

/** Resolves after `ms`, without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
