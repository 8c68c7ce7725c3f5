// What an operator does by hand: look at a guard's witness once (`witness status`), and set the
// signing key (`witness enable --key K`) or the null key (`witness disable`) with the guard's keys.
import type { WitnessConfig } from '@cryptoassets/core';
import { createChainClient } from '../api/client.js';
import type { ChainClient } from '../api/types.js';
import { isNullKey, nullPublicKey, parsePublicKey } from '../graphene/index.js';
import { type ActionResult, changeKey } from './actions.js';
import { ChainIdMismatchError, WitnessKeyError, WitnessNotFoundError } from './errors.js';
import {
  blockWaitSlackIntervals,
  type GuardStatus,
  policySettings,
  pollMsMin,
  pollsPerBlock,
} from './guard.js';
import { resolveGuardKeys } from './keys.js';
import { decide, describeDecision } from './policy.js';
import { profileFor, type WitnessGuardDeps } from './start.js';

type ManualDeps = Pick<WitnessGuardDeps, 'createClient' | 'keystore' | 'blockIntervalMs'>;

async function openClient(name: string, config: WitnessConfig, deps: ManualDeps) {
  const profile = profileFor(name, config);
  const client: ChainClient = (deps.createClient ?? createChainClient)({
    profile,
    nodes: config.nodes,
    ...(config.stale_after_s === undefined ? {} : { staleAfterMs: config.stale_after_s * 1000 }),
  });
  try {
    const chainId = await client.chainId();
    if (chainId !== profile.chainId) throw new ChainIdMismatchError(name, profile.chainId, chainId);
    return { profile, client };
  } catch (error) {
    client.close();
    throw error;
  }
}

/** Reads the witness once and says what a guard starting now would do. */
export async function readGuardStatus(
  name: string,
  config: WitnessConfig,
  deps: ManualDeps = {},
): Promise<GuardStatus> {
  const { profile, client } = await openClient(name, config, deps);
  try {
    const [head, witness] = await Promise.all([client.head(), client.witness(config.account)]);
    if (witness === undefined) throw new WitnessNotFoundError(name, config.account);
    const decision = decide({
      chainKey: witness.signingKey,
      totalMissed: witness.totalMissed,
      counters: { streak: 0, switchesInIncident: 0 },
      settings: policySettings(config),
    });
    return {
      name,
      chain: profile.name,
      account: config.account,
      mode: config.mode,
      dry_run: config.dry_run,
      running: false,
      blind: false,
      blind_reason: null,
      head_block: head.headBlockNumber,
      current_key: witness.signingKey,
      total_missed: witness.totalMissed,
      misses_seen: 0,
      streak: 0,
      switches_in_incident: 0,
      last_produced_block: witness.lastConfirmedBlockNum || null,
      nodes: client.health(),
      next: describeDecision(decision),
      last_action: null,
    };
  } finally {
    client.close();
  }
}

/** Polls the head until it is `blocks` past where it was; bounded by time. */
async function waitForBlocks(
  client: ChainClient,
  blocks: number,
  intervalMs: number,
): Promise<void> {
  const pollMs = Math.max(pollMsMin, Math.floor(intervalMs / pollsPerBlock));
  const deadline = Date.now() + (blocks + blockWaitSlackIntervals) * intervalMs;
  let start: number | undefined;
  while (Date.now() < deadline) {
    try {
      const head = await client.head();
      start ??= head.headBlockNumber;
      if (head.headBlockNumber >= start + blocks) return;
    } catch {
      // keep waiting until the deadline
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export type SetKeyResult = ActionResult & { readonly from: string; readonly to: string };

/**
 * Sets the witness's signing key to `key` (`enable`), or the null key when `key` is undefined
 * (`disable`). Leaving the null key needs the active key: the guard says so if it has none.
 */
export async function setSigningKey(
  name: string,
  config: WitnessConfig,
  key: string | undefined,
  deps: ManualDeps = {},
): Promise<SetKeyResult> {
  const { profile, client } = await openClient(name, config, deps);
  try {
    const to = key ?? nullPublicKey(profile.prefix);
    parsePublicKey(to, profile.prefix);
    const keys = await resolveGuardKeys({
      guard: name,
      config,
      prefix: profile.prefix,
      keystore: deps.keystore,
    });
    const witness = await client.witness(config.account);
    if (witness === undefined) throw new WitnessNotFoundError(name, config.account);
    if (isNullKey(witness.signingKey) && keys.active === undefined)
      throw new WitnessKeyError(
        name,
        'the witness is disabled (null key); enabling it needs the active key (set active_key)',
      );
    if (witness.signingKey === to)
      return { status: 'superseded', chainKey: to, from: witness.signingKey, to };
    const intervalMs = deps.blockIntervalMs ?? profile.blockIntervalS * 1000;
    const result = await changeKey(
      {
        guard: name,
        client,
        profile,
        account: config.account,
        keys,
        dryRun: config.dry_run,
        verifyAfterBlocks: config.verify_after_blocks,
        verifyRetriesMax: config.verify_retries_max,
        waitForBlocks: (blocks) => waitForBlocks(client, blocks, intervalMs),
      },
      { from: witness.signingKey, to },
    );
    return { ...result, from: witness.signingKey, to };
  } finally {
    client.close();
  }
}
