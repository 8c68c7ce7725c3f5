// Shared set-up of the guard's integration tests: a simnet with alice (guarded) and two other
// witnesses, extra servers holding alice's backup keys, and guards started from a config object.
import { createLogger, validateConfig, type WitnessConfig } from '@cryptoassets/core';
import {
  type ChainProfile,
  chainProfiles,
  publicKeyOf,
  startOneGuard,
  toWif,
  type WitnessEvent,
  type WitnessGuardDeps,
} from '@cryptoassets/witness';
import {
  type Simnet,
  type SimnetEvent,
  startSimnet,
  testSecret,
  testWitnesses,
} from '@cryptoassets/witness/testing';

export const blockIntervalMs = 200;
export const logger = createLogger({ level: 'error' });

export type Harness = {
  readonly sim: Simnet;
  readonly profile: ChainProfile;
  /** alice's signing secrets: index 0 is the primary (held by server `alice`). */
  readonly secrets: Uint8Array[];
  readonly publics: string[];
  readonly active: Uint8Array;
  readonly simEvents: SimnetEvent[];
  readonly close: () => Promise<void>;
};

export async function startHarness(options: {
  readonly chain: 'hive' | 'bitshares' | 'steem';
  /** alice's keys; servers `alice-1`.. hold keys 1.. */
  readonly keys?: number;
}): Promise<Harness> {
  const profile = chainProfiles[options.chain];
  const witnesses = testWitnesses(['alice', 'bob', 'carol', 'dave', 'erin']);
  const sim = await startSimnet({ profile, witnesses, blockIntervalMs, shuffle: false });
  const secrets = [witnesses[0]!.signingSecret];
  for (let index = 1; index < (options.keys ?? 2); index += 1) {
    const secret = testSecret(`alice-backup-${index}`);
    secrets.push(secret);
    sim.addServer({ name: `alice-${index}`, account: 'alice', signingSecret: secret });
  }
  const simEvents: SimnetEvent[] = [];
  const stop = sim.onEvent((event) => simEvents.push(event));
  return {
    sim,
    profile,
    secrets,
    publics: secrets.map((secret) => publicKeyOf(secret, profile.prefix)),
    active: witnesses[0]!.activeSecret,
    simEvents,
    close: async () => {
      stop();
      await sim.close();
    },
  };
}

/** A guard's configuration with the harness's keys; `fields` override. */
export function guardConfig(
  harness: Harness,
  fields: Record<string, unknown> = {},
  privateKeys: 'primary' | 'all' | 'none' = 'primary',
): WitnessConfig {
  const signing_keys = harness.publics.map((key, index) => ({
    public: key,
    ...(privateKeys === 'all' || (privateKeys === 'primary' && index === 0)
      ? { private: toWif(harness.secrets[index]!) }
      : {}),
  }));
  return validateConfig({
    witnesses: {
      g: {
        chain: harness.profile.name,
        account: 'alice',
        nodes: [harness.sim.url],
        signing_keys,
        active_key: toWif(harness.active),
        verify_after_blocks: 2,
        ...fields,
      },
    },
  }).witnesses.g!;
}

export type StartedGuard = Awaited<ReturnType<typeof startOneGuard>> & {
  readonly events: WitnessEvent[];
  readonly printed: string[];
  readonly stop: () => Promise<void>;
};

export async function startTestGuard(
  config: WitnessConfig,
  deps: Partial<WitnessGuardDeps> = {},
  name = 'g',
): Promise<StartedGuard> {
  const events: WitnessEvent[] = [];
  const printed: string[] = [];
  const started = await startOneGuard(name, config, {
    logger,
    blockIntervalMs,
    print: (line) => printed.push(line),
    onEvent: (event) => events.push(event),
    ...deps,
  });
  return {
    ...started,
    events,
    printed,
    stop: async () => {
      await started.guard.stop();
      started.client.close();
    },
  };
}

/** Polls `test` every 20 ms until it holds; throws after `timeoutMs`. */
export async function until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Witness operations applied on chain so far. */
export function appliedKeyChanges(harness: Harness): string[] {
  return harness.simEvents.flatMap((event) => (event.type === 'txApplied' ? [event.id] : []));
}
