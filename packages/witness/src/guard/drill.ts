// The drill: a rehearsal on a local simnet. A guarded witness runs a primary and a backup server;
// the primary stops, the guard switches to the backup's key, the backup's blocks are accepted;
// then the backup stops too and the guard fires the kill switch. Every step is narrated.
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger, validateConfig } from '@cryptoassets/core';
import { type ChainProfile, chainProfiles, publicKeyOf, toWif } from '../graphene/index.js';
import { describeEvent, type WitnessEvent } from '../notify/events.js';
import { type Simnet, type SimnetEvent, startSimnet } from '../simnet/index.js';
import { startOneGuard } from './start.js';

/** Each stage of the drill must finish within this many block intervals. */
export const drillStageIntervalsMax = 60;
/** The guarded account in the drill. */
export const drillAccount = 'alice';

export type DrillOptions = {
  readonly chain: 'hive' | 'bitshares';
  readonly blockIntervalMs: number;
  readonly narrate: (line: string) => void;
  readonly logger?: Logger;
};

export type DrillReport = {
  readonly chain: string;
  readonly ok: boolean;
  readonly switch_txid: string | null;
  readonly switch_block: number | null;
  readonly kill_txid: string | null;
  /** Blocks the guarded witness missed between the primary stopping and the backup's first block. */
  readonly misses_during_failover: number;
  readonly backup_blocks: number;
  readonly events: readonly WitnessEvent[];
};

function secret(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

function narrateSimnet(event: SimnetEvent, narrate: (line: string) => void): void {
  if (event.type === 'block' && event.witness === drillAccount)
    narrate(`block ${event.blockNum} produced by ${event.witness} (server ${event.server})`);
  else if (event.type === 'slotMissed' && event.witness === drillAccount)
    narrate(`slot ${event.aslot} missed by ${event.witness} (${event.reason})`);
  else if (event.type === 'blockRejected' && event.witness === drillAccount)
    narrate(`block of server ${event.server} refused: ${event.reason}`);
  else if (event.type === 'txApplied')
    narrate(
      `transaction ${event.id} (${event.operations.join(', ')}) applied in block ${event.blockNum}`,
    );
}

/** Resolves when `test` accepts an event, or rejects after `timeoutMs`. */
function waitFor<T>(
  subscribe: (listener: (value: T) => void) => () => void,
  test: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe: () => void = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`drill: ${what} did not happen within ${timeoutMs} ms`));
    }, timeoutMs);
    unsubscribe = subscribe((value) => {
      if (!test(value)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

type Listeners<T> = Set<(value: T) => void>;
const subscriber =
  <T>(listeners: Listeners<T>) =>
  (listener: (value: T) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const profile: ChainProfile = chainProfiles[options.chain];
  const { narrate } = options;
  const primary = secret();
  const backup = secret();
  const active = secret();
  const others = ['bob', 'carol', 'dave', 'erin'].map((account) => ({
    account,
    signingSecret: secret(),
    activeSecret: secret(),
  }));
  const sim: Simnet = await startSimnet({
    profile,
    witnesses: [{ account: drillAccount, signingSecret: primary, activeSecret: active }, ...others],
    blockIntervalMs: options.blockIntervalMs,
    shuffle: false,
  });
  const primaryServer = drillAccount;
  const backupServer = `${drillAccount}-backup`;
  sim.addServer({ name: backupServer, account: drillAccount, signingSecret: backup });
  const simEvents: Listeners<SimnetEvent> = new Set();
  const guardEvents: Listeners<WitnessEvent> = new Set();
  const events: WitnessEvent[] = [];
  let backupBlocks = 0;
  const stopListening = sim.onEvent((event) => {
    if (event.type === 'block' && event.server === backupServer) backupBlocks += 1;
    narrateSimnet(event, narrate);
    for (const listener of [...simEvents]) listener(event);
  });
  const config = validateConfig({
    witnesses: {
      drill: {
        chain: options.chain,
        account: drillAccount,
        nodes: [sim.url],
        signing_keys: [
          { public: publicKeyOf(primary, profile.prefix), private: toWif(primary) },
          { public: publicKeyOf(backup, profile.prefix) },
        ],
        active_key: toWif(active),
        kill_switch_after_misses: 1,
        verify_after_blocks: 2,
        reset_after_clean_checks: 1_000,
      },
    },
  }).witnesses.drill!;
  const stageMs = drillStageIntervalsMax * options.blockIntervalMs;
  const logger = options.logger ?? createLogger({ level: 'error' });
  let started: Awaited<ReturnType<typeof startOneGuard>> | undefined;
  try {
    narrate(
      `simnet up: ${profile.name}-like chain, ${options.blockIntervalMs} ms blocks, witnesses alice, bob, carol, dave and erin`,
    );
    narrate(
      `alice runs two servers: ${primaryServer} (primary key) and ${backupServer} (backup key)`,
    );
    started = await startOneGuard('drill', config, {
      logger,
      blockIntervalMs: options.blockIntervalMs,
      onEvent: (event) => {
        events.push(event);
        narrate(`guard: ${describeEvent(event)}`);
        for (const listener of [...guardEvents]) listener(event);
      },
    });
    const onSim = subscriber(simEvents);
    const onGuard = subscriber(guardEvents);
    await waitFor(
      onSim,
      (e) => e.type === 'block' && e.witness === drillAccount,
      stageMs,
      'a block of alice',
    );
    narrate(`stopping ${primaryServer}`);
    const missedBefore = sim.witness(drillAccount)?.totalMissed ?? 0;
    sim.stopServer(primaryServer);
    const switched = await waitFor(
      onGuard,
      (e) => e.name === 'key_switched' || e.name === 'switch_failed',
      stageMs,
      'the key switch',
    );
    if (switched.name !== 'key_switched') throw new Error(`drill: ${describeEvent(switched)}`);
    if (backupBlocks === 0)
      await waitFor(
        onSim,
        (e) => e.type === 'block' && e.server === backupServer,
        stageMs,
        'a block of the backup',
      );
    const missesDuringFailover = (sim.witness(drillAccount)?.totalMissed ?? 0) - missedBefore;
    narrate(
      `the backup's blocks are accepted; alice missed ${missesDuringFailover} block(s) during the failover`,
    );
    narrate(`stopping ${backupServer}`);
    sim.stopServer(backupServer);
    const killed = await waitFor(
      onGuard,
      (e) => e.name === 'kill_switch_fired' || e.name === 'switch_failed',
      stageMs,
      'the kill switch',
    );
    if (killed.name !== 'kill_switch_fired') throw new Error(`drill: ${describeEvent(killed)}`);
    narrate(
      `the witness is disabled; re-enable it with: cryptoassets witness enable --key <key> (needs the active key)`,
    );
    return {
      chain: profile.name,
      ok: true,
      switch_txid: switched.txid ?? null,
      switch_block: switched.block ?? null,
      kill_txid: killed.txid ?? null,
      misses_during_failover: missesDuringFailover,
      backup_blocks: backupBlocks,
      events,
    };
  } finally {
    stopListening();
    if (started !== undefined) {
      await started.guard.stop();
      started.client.close();
    }
    await sim.close();
  }
}
