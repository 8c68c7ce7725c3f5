// Starting every configured guard from the configuration file: profiles, API clients, keys and
// notification sinks (log file, e-mail, and the toolkit's event handlers given by the caller).
import type { Config, Logger, WitnessConfig } from '@cryptoassets/core';
import { ConfigError } from '@cryptoassets/core';
import { createChainClient } from '../api/client.js';
import type { ChainClient, ChainClientOptions } from '../api/types.js';
import { type ChainProfile, chainProfiles, customProfile } from '../graphene/index.js';
import { createEmailSink } from '../notify/email.js';
import type { WitnessEvent } from '../notify/events.js';
import { createFileSink } from '../notify/file.js';
import {
  createNotificationQueue,
  type EventSink,
  type NotificationQueue,
} from '../notify/queue.js';
import { ChainIdMismatchError } from './errors.js';
import { type GuardOptions, type GuardStatus, type RunningGuard, startGuard } from './guard.js';
import { type KeystoreReader, resolveGuardKeys } from './keys.js';

/** Notifications still queued at stop are given this long to go out. */
export const notifyDrainMs = 5_000;

export type WitnessGuardDeps = {
  readonly logger: Logger;
  /** Only these guards (by name); all when undefined. */
  readonly names?: readonly string[];
  /** The toolkit's event handlers named in a guard's `notify`, as sinks. */
  readonly sinksFor?: (handlerNames: readonly string[]) => EventSink[];
  readonly keystore?: KeystoreReader;
  readonly createClient?: (options: ChainClientOptions) => ChainClient;
  readonly print?: (line: string) => void;
  /** Overrides the profile's block interval (tests, the drill). */
  readonly blockIntervalMs?: number;
  readonly onStep?: GuardOptions['onStep'];
  /** Sees every event as it is emitted (synchronously; must not throw or block). */
  readonly onEvent?: (event: WitnessEvent) => void;
};

export type WitnessGuards = {
  readonly status: () => GuardStatus[];
  readonly stop: () => Promise<void>;
  /** Rejects when any guard dies of an unexpected error. */
  readonly failed: Promise<never>;
  /** Resolves when every guard has ended by itself (failover mode, after the kill switch). */
  readonly done: Promise<void>;
};

/** The chain profile a guard's configuration names (built in, or its custom profile). */
export function profileFor(name: string, config: WitnessConfig): ChainProfile {
  if (config.chain !== 'custom') return chainProfiles[config.chain];
  const fields = config.profile;
  if (fields === undefined) throw new ConfigError(`witnesses.${name}.profile: missing`);
  try {
    return customProfile({
      name,
      family: fields.family,
      prefix: fields.prefix,
      chainId: fields.chain_id,
      coreSymbol: fields.core_symbol,
      ...(fields.wire_symbol === undefined ? {} : { wireSymbol: fields.wire_symbol }),
      precision: fields.precision,
      opIds: {
        witnessUpdate: fields.witness_update_op_id,
        witnessSetProperties: fields.witness_set_properties_op_id,
      },
      legacyProps: fields.legacy_props,
      blockIntervalS: fields.block_interval_s,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(`witnesses.${name}.profile: ${reason}`, { cause: error });
  }
}

function sinksOf(config: WitnessConfig, deps: WitnessGuardDeps): EventSink[] {
  const sinks: EventSink[] = [];
  if (config.log_file !== undefined) sinks.push(createFileSink(config.log_file));
  if (config.email !== undefined) sinks.push(createEmailSink(config.email));
  if (config.notify.length > 0 && deps.sinksFor) sinks.push(...deps.sinksFor(config.notify));
  return sinks;
}

/**
 * Asks every configured node for its chain id: one serving another chain is refused (the guard
 * would otherwise fail over to it later); an unreachable node is only logged.
 */
export async function checkNodesChainId(
  name: string,
  profile: ChainProfile,
  config: WitnessConfig,
  deps: Pick<WitnessGuardDeps, 'createClient' | 'logger'>,
): Promise<void> {
  let reached = 0;
  for (const url of config.nodes) {
    const client = (deps.createClient ?? createChainClient)({ profile, nodes: [url] });
    try {
      const chainId = await client.chainId();
      if (chainId !== profile.chainId)
        throw new ChainIdMismatchError(`${name} (${url})`, profile.chainId, chainId);
      reached += 1;
    } catch (error) {
      if (error instanceof ChainIdMismatchError) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      deps.logger.warn('cannot ask an API node for its chain id', { guard: name, url, reason });
    } finally {
      client.close();
    }
  }
  if (reached === 0) deps.logger.warn('no API node answered yet', { guard: name });
}

/** Starts one guard; its client is closed if it cannot start. */
export async function startOneGuard(
  name: string,
  config: WitnessConfig,
  deps: WitnessGuardDeps,
): Promise<{ guard: RunningGuard; queue: NotificationQueue; client: ChainClient }> {
  const profile = profileFor(name, config);
  await checkNodesChainId(name, profile, config, deps);
  const keys = await resolveGuardKeys({
    guard: name,
    config,
    prefix: profile.prefix,
    keystore: deps.keystore,
  });
  const client = (deps.createClient ?? createChainClient)({
    profile,
    nodes: config.nodes,
    ...(config.stale_after_s === undefined ? {} : { staleAfterMs: config.stale_after_s * 1000 }),
  });
  const queue = createNotificationQueue({ sinks: sinksOf(config, deps), logger: deps.logger });
  try {
    const guard = await startGuard({
      name,
      config,
      profile,
      client,
      keys,
      notify: (event) => {
        queue.notify(event);
        deps.onEvent?.(event);
      },
      logger: deps.logger,
      ...(deps.blockIntervalMs === undefined ? {} : { blockIntervalMs: deps.blockIntervalMs }),
      ...(deps.print === undefined ? {} : { print: deps.print }),
      ...(deps.onStep === undefined ? {} : { onStep: deps.onStep }),
    });
    return { guard, queue, client };
  } catch (error) {
    client.close();
    throw error;
  }
}

/** Starts the configured guards (or those named); stops those started if one cannot start. */
export async function startWitnessGuards(
  config: Pick<Config, 'witnesses'>,
  deps: WitnessGuardDeps,
): Promise<WitnessGuards> {
  const names = deps.names ?? Object.keys(config.witnesses);
  const started: Awaited<ReturnType<typeof startOneGuard>>[] = [];
  const stopAll = async () => {
    await Promise.all(started.map(({ guard }) => guard.stop()));
    await Promise.all(started.map(({ queue }) => queue.drain(notifyDrainMs)));
    for (const { client } of started) client.close();
  };
  try {
    for (const name of names) {
      const guardConfig = config.witnesses[name];
      if (guardConfig === undefined)
        throw new ConfigError(
          `witnesses.${name}: no such guard (configured: ${Object.keys(config.witnesses).join(', ') || 'none'})`,
        );
      started.push(await startOneGuard(name, guardConfig, deps));
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const failed = Promise.race(started.map(({ guard }) => guard.failed));
  failed.catch(() => {});
  let stopping: Promise<void> | undefined;
  return {
    status: () => started.map(({ guard }) => guard.status()),
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
    failed,
    done:
      started.length === 0
        ? new Promise<void>(() => {})
        : Promise.all(started.map(({ guard }) => guard.done)).then(() => {}),
  };
}
