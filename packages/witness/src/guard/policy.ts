// The guard's decisions as pure functions: given the witness on chain, the configuration and the
// miss counters, what to do next. No I/O here, so every rule is unit-tested on hand-made states.

/** The 33 zero bytes key, whatever the prefix: `<PREFIX>1111111111111111111111111111111114T1Anm`. */
const nullKeySuffix = '1111111111111111111111111111111114T1Anm';

export function isNullSigningKey(key: string): boolean {
  return key.endsWith(nullKeySuffix) && key.length <= nullKeySuffix.length + 8;
}

export type PolicySettings = {
  /** Public signing keys in rotation order; the first is the primary. */
  readonly signingKeys: readonly string[];
  readonly switchAfterMisses: number;
  /** Misses with no backup left before the null key is set; undefined = never. */
  readonly killSwitchAfterMisses: number | undefined;
  readonly mode: 'rotate' | 'failover';
  /** Failover mode: absolute `total_missed` thresholds, as the VIT failover script reads them. */
  readonly failover?: { readonly primaryThreshold: number; readonly backupThreshold: number };
};

export type MissCounters = {
  /** Misses since the last key change or reset. */
  readonly streak: number;
  /** Key changes seen since the incident began (reset after enough clean blocks). */
  readonly switchesInIncident: number;
};

export type Decision =
  | { readonly kind: 'nothing'; readonly reason: string }
  | { readonly kind: 'disabled'; readonly reason: string }
  | { readonly kind: 'switch'; readonly from: string; readonly to: string; readonly reason: string }
  | { readonly kind: 'kill'; readonly from: string; readonly reason: string };

export type PolicyInput = {
  /** The signing key on chain right now. */
  readonly chainKey: string;
  /** The witness's `total_missed` on chain. */
  readonly totalMissed: number;
  readonly counters: MissCounters;
  readonly settings: PolicySettings;
};

export const enableHint =
  'the witness is disabled (null key); re-enabling needs the active key: `cryptoassets witness enable --key K`';

/**
 * The key after `current` in `keys`, round robin, never `current` itself; undefined when there is
 * no other key. A key not in the list starts the rotation at the first key that differs from it.
 * Two guards reading the same chain key choose the same next key.
 */
export function nextKey(keys: readonly string[], current: string): string | undefined {
  const at = keys.indexOf(current);
  for (let step = 1; step <= keys.length; step += 1) {
    const candidate = keys[(at + step) % keys.length];
    if (candidate !== undefined && candidate !== current) return candidate;
  }
  return undefined;
}

/** What to do next. */
export function decide(input: PolicyInput): Decision {
  if (isNullSigningKey(input.chainKey)) return { kind: 'disabled', reason: enableHint };
  return input.settings.mode === 'failover' ? decideFailover(input) : decideRotate(input);
}

function decideRotate(input: PolicyInput): Decision {
  const { chainKey, counters, settings } = input;
  const keys = settings.signingKeys;
  if (counters.streak < settings.switchAfterMisses)
    return {
      kind: 'nothing',
      reason: `operational: ${counters.streak} of ${settings.switchAfterMisses} misses before a switch`,
    };
  const next = nextKey(keys, chainKey);
  const exhausted = next === undefined || counters.switchesInIncident >= keys.length - 1;
  const kill = settings.killSwitchAfterMisses;
  if (exhausted && kill !== undefined) {
    if (counters.streak >= kill)
      return {
        kind: 'kill',
        from: chainKey,
        reason: `${counters.streak} misses with no backup key left`,
      };
    return {
      kind: 'nothing',
      reason: `no backup key left: ${counters.streak} of ${kill} misses before the kill switch`,
    };
  }
  if (next === undefined)
    return { kind: 'nothing', reason: 'missing blocks, but no backup key and no kill switch' };
  return {
    kind: 'switch',
    from: chainKey,
    to: next,
    reason: `${counters.streak} misses on ${keys.includes(chainKey) ? 'key' : 'an unknown key'}`,
  };
}

function decideFailover(input: PolicyInput): Decision {
  const { chainKey, totalMissed, settings } = input;
  const thresholds = settings.failover ?? { primaryThreshold: 0, backupThreshold: 0 };
  if (totalMissed >= thresholds.backupThreshold)
    return {
      kind: 'kill',
      from: chainKey,
      reason: `total_missed ${totalMissed} reached the backup threshold ${thresholds.backupThreshold}`,
    };
  const [primary, backup] = settings.signingKeys;
  if (totalMissed >= thresholds.primaryThreshold && chainKey === primary && backup !== undefined)
    return {
      kind: 'switch',
      from: chainKey,
      to: backup,
      reason: `total_missed ${totalMissed} reached the primary threshold ${thresholds.primaryThreshold}`,
    };
  return {
    kind: 'nothing',
    reason: `operational: total_missed ${totalMissed} below the thresholds`,
  };
}

/** A one-line description of a decision for logs, the status page and dry runs. */
export function describeDecision(decision: Decision): string {
  switch (decision.kind) {
    case 'switch':
      return `switch the signing key from ${decision.from} to ${decision.to} (${decision.reason})`;
    case 'kill':
      return `kill switch: set the null signing key (${decision.reason})`;
    default:
      return decision.reason;
  }
}
