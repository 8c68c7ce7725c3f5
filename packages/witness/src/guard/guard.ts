// One running guard: follows the head about twice per block, folds each new head into the miss
// monitor, asks the policy what to do, and acts. It takes no action while it cannot see a fresh
// chain, refuses to start on the wrong chain or with a wrong key, and reports through `notify`.
import { AssertionFailed, type Logger, type WitnessConfig } from '@cryptoassets/core';
import type { ChainClient, HeadState, NodeHealth } from '../api/types.js';
import { type ChainProfile, isNullKey, nullPublicKey } from '../graphene/index.js';
import type { Notify, WitnessEventFields, WitnessEventName } from '../notify/events.js';
import { witnessEvent } from '../notify/events.js';
import { type ActionResult, changeKey, type KeyChange } from './actions.js';
import { ChainIdMismatchError, WitnessKeyError, WitnessNotFoundError } from './errors.js';
import type { GuardKeys } from './keys.js';
import { initialMonitorState, type MonitorState, type MonitorStep, observe } from './monitor.js';
import { type Decision, decide, describeDecision, type PolicySettings } from './policy.js';

/** Polls per block interval. */
export const pollsPerBlock = 2;
/** The guard never polls more often than this. */
export const pollMsMin = 10;
/** Waiting for blocks gives up after this many block intervals more than asked for. */
export const blockWaitSlackIntervals = 10;

export type GuardOptions = {
  readonly name: string;
  readonly config: WitnessConfig;
  readonly profile: ChainProfile;
  readonly client: ChainClient;
  readonly keys: GuardKeys;
  readonly notify: Notify;
  readonly logger: Logger;
  /** The chain's block interval; defaults to the profile's. Tests and the drill use short ones. */
  readonly blockIntervalMs?: number;
  /** Dry runs print the signed transaction here. */
  readonly print?: (line: string) => void;
  /** Called on every new head the guard folds in (the drill narrates from it). */
  readonly onStep?: (step: MonitorStep, head: HeadState) => void;
  readonly now?: () => number;
};

export type GuardStatus = {
  readonly name: string;
  readonly chain: string;
  readonly account: string;
  readonly mode: 'rotate' | 'failover';
  readonly dry_run: boolean;
  readonly running: boolean;
  /** True while no fresh chain is visible; the guard then does nothing. */
  readonly blind: boolean;
  readonly blind_reason: string | null;
  readonly head_block: number | null;
  readonly current_key: string | null;
  readonly total_missed: number | null;
  readonly misses_seen: number;
  readonly streak: number;
  readonly switches_in_incident: number;
  readonly last_produced_block: number | null;
  readonly nodes: NodeHealth[];
  /** What the guard would do next, in words. */
  readonly next: string;
  readonly last_action: string | null;
};

export type RunningGuard = {
  readonly name: string;
  readonly status: () => GuardStatus;
  readonly stop: () => Promise<void>;
  /** Rejects if the guard dies of an unexpected error; never resolves. */
  readonly failed: Promise<never>;
  /** Resolves when the guard ends by itself: in failover mode after the kill switch. */
  readonly done: Promise<void>;
};

/** Bugs crash the guard loudly (its `failed` rejects); everything else is a failed attempt. */
function isProgrammerError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof RangeError ||
    error instanceof AssertionFailed
  );
}

export function policySettings(config: WitnessConfig): PolicySettings {
  return {
    signingKeys: config.signing_keys.map((key) => key.public),
    switchAfterMisses: config.switch_after_misses,
    killSwitchAfterMisses: config.kill_switch_after_misses,
    mode: config.mode,
    ...(config.failover === undefined
      ? {}
      : {
          failover: {
            primaryThreshold: config.failover.primary_threshold,
            backupThreshold: config.failover.backup_threshold,
          },
        }),
  };
}

/** Checks the chain, the keys and the witness, then starts the loop. */
export async function startGuard(options: GuardOptions): Promise<RunningGuard> {
  const { name, client, profile, config } = options;
  const chainId = await client.chainId();
  if (chainId !== profile.chainId) throw new ChainIdMismatchError(name, profile.chainId, chainId);
  const witness = await client.witness(config.account);
  if (witness === undefined) throw new WitnessNotFoundError(name, config.account);
  const known = config.signing_keys.some((key) => key.public === witness.signingKey);
  if (!known && !isNullKey(witness.signingKey))
    options.logger.warn('the signing key on chain is not one of signing_keys', {
      guard: name,
      key: witness.signingKey,
    });
  return new GuardLoop(options).start();
}

class GuardLoop {
  private state: MonitorState = initialMonitorState();
  private head: HeadState | undefined;
  private chainKey: string | undefined;
  private totalMissed: number | undefined;
  private blindReason: string | undefined;
  private next: Decision | undefined;
  private lastAction: string | undefined;
  private printed = new Set<string>();
  private blocked: string | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();
  private readonly pollMs: number;
  private readonly intervalMs: number;
  private readonly settings: PolicySettings;

  constructor(private readonly options: GuardOptions) {
    this.intervalMs = options.blockIntervalMs ?? options.profile.blockIntervalS * 1000;
    this.pollMs = Math.max(pollMsMin, Math.floor(this.intervalMs / pollsPerBlock));
    this.settings = policySettings(options.config);
  }

  start(): RunningGuard {
    this.emit('guard_started', { dry_run: this.options.config.dry_run });
    this.options.logger.info('witness guard started', {
      guard: this.options.name,
      account: this.options.config.account,
      chain: this.options.profile.name,
      dry_run: this.options.config.dry_run,
    });
    this.loop = this.run();
    const failed = this.loop.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => Promise.reject(error),
    );
    failed.catch(() => {});
    return {
      name: this.options.name,
      status: () => this.status(),
      stop: () => this.stop(),
      failed,
      done: this.loop.catch(() => {}),
    };
  }

  private emit(name: WitnessEventName, fields: WitnessEventFields = {}): void {
    const source = {
      guard: this.options.name,
      chain: this.options.profile.name,
      account: this.options.config.account,
    };
    this.options.notify(witnessEvent(source, name, fields, this.options.now));
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        await this.tick();
        if (!this.stopped) await this.sleep(this.pollMs);
      }
    } finally {
      this.stopped = true;
      this.emit('guard_stopped');
      this.options.logger.info('witness guard stopped', { guard: this.options.name });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop.catch(() => {});
  }

  /** One poll: read the head; on a new head fold it in and act on the decision. */
  private async tick(): Promise<void> {
    const { client, config } = this.options;
    let head: HeadState;
    let witness: Awaited<ReturnType<ChainClient['witness']>>;
    let schedule: Awaited<ReturnType<ChainClient['schedule']>> | undefined;
    try {
      head = await client.head();
      if (this.head !== undefined && head.headBlockNumber === this.head.headBlockNumber) return;
      [witness, schedule] = await Promise.all([client.witness(config.account), client.schedule()]);
    } catch (error) {
      this.goBlind(error);
      return;
    }
    if (witness === undefined)
      return this.goBlind(new WitnessNotFoundError(this.options.name, config.account));
    this.seeAgain();
    const step = observe(
      this.state,
      { head, witness, schedule },
      {
        account: config.account,
        resetAfterCleanChecks: config.reset_after_clean_checks,
      },
    );
    this.state = step.state;
    this.head = head;
    this.chainKey = witness.signingKey;
    this.totalMissed = witness.totalMissed;
    this.report(step);
    this.options.onStep?.(step, head);
    this.next = decide({
      chainKey: witness.signingKey,
      totalMissed: witness.totalMissed,
      counters: this.state,
      settings: this.settings,
    });
    if (this.next.kind === 'switch' || this.next.kind === 'kill') await this.act(this.next);
  }

  private report(step: MonitorStep): void {
    if (step.missed > 0) {
      this.emit('miss_seen', {
        total_missed: this.totalMissed ?? 0,
        streak: this.state.streak,
        ...(this.head === undefined ? {} : { block: this.head.headBlockNumber }),
      });
      this.options.logger.warn('witness missed a block', {
        guard: this.options.name,
        missed: step.missed,
        streak: this.state.streak,
      });
    }
    if (step.keyChanged)
      this.options.logger.info('signing key changed on chain', {
        guard: this.options.name,
        from: step.keyChanged.from,
        to: step.keyChanged.to,
      });
    if (step.reset)
      this.options.logger.info('miss streak forgotten after clean blocks', {
        guard: this.options.name,
      });
  }

  private goBlind(error: unknown): void {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    if (this.blindReason !== undefined) return;
    this.blindReason = reason;
    this.emit('node_unreachable', { message: reason });
    this.options.logger.warn('cannot see a fresh chain; the guard takes no action', {
      guard: this.options.name,
      reason,
    });
  }

  private seeAgain(): void {
    if (this.blindReason === undefined) return;
    this.blindReason = undefined;
    // Misses counted while blind are real, but the slots between are not attributed.
    this.state = { ...this.state, last: undefined };
    this.options.logger.info('a fresh chain is visible again', { guard: this.options.name });
  }

  private async act(decision: Decision & { kind: 'switch' | 'kill' }): Promise<void> {
    const { profile, config } = this.options;
    const change: KeyChange = {
      from: decision.from,
      to: decision.kind === 'kill' ? nullPublicKey(profile.prefix) : decision.to,
    };
    const signature = `${decision.kind}:${change.from}>${change.to}`;
    if (this.blocked === signature) return;
    if (config.dry_run && this.printed.has(signature)) return;
    let result: ActionResult;
    try {
      result = await changeKey(this.actionContext(), change);
    } catch (error) {
      return this.actionFailed(signature, error);
    }
    this.lastAction = `${describeDecision(decision)}: ${result.status}`;
    this.afterAction(decision, change, result, signature);
  }

  private actionFailed(signature: string, error: unknown): void {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    if (isProgrammerError(error)) throw error;
    if (error instanceof WitnessKeyError) this.blocked = signature;
    this.lastAction = `switch failed: ${reason}`;
    this.emit('switch_failed', { message: reason });
    this.options.logger.error('cannot change the signing key', {
      guard: this.options.name,
      reason,
    });
  }

  private afterAction(
    decision: Decision & { kind: 'switch' | 'kill' },
    change: KeyChange,
    result: ActionResult,
    signature: string,
  ): void {
    const name = decision.kind === 'kill' ? 'kill_switch_fired' : 'key_switched';
    const keys = { old_key: change.from, new_key: change.to };
    if (result.status === 'dry_run') {
      this.printed.add(signature);
      this.options.print?.(
        `dry run: would ${describeDecision(decision)}, new key ${change.to}, with ${result.via}; nothing sent:\n${JSON.stringify(result.transaction, null, 2)}`,
      );
      this.emit(name, { ...keys, dry_run: true });
      this.endAfterKill(decision);
      return;
    }
    if (result.status === 'changed') {
      this.emit(name, {
        ...keys,
        txid: result.txid,
        ...(result.block === undefined ? {} : { block: result.block }),
      });
      this.options.logger.warn(
        decision.kind === 'kill' ? 'kill switch fired' : 'signing key switched',
        {
          guard: this.options.name,
          ...keys,
          txid: result.txid,
          block: result.block,
        },
      );
      this.state = {
        ...this.state,
        last: undefined,
        streak: 0,
        cleanBlocks: 0,
        switchesInIncident: this.state.switchesInIncident + 1,
      };
      this.head = undefined;
      this.chainKey = change.to;
      this.next = decide({
        chainKey: change.to,
        totalMissed: this.totalMissed ?? 0,
        counters: this.state,
        settings: this.settings,
      });
      this.endAfterKill(decision);
      return;
    }
    if (result.status === 'superseded') {
      this.options.logger.info('the key on chain was changed by someone else first', {
        guard: this.options.name,
        key: result.chainKey,
      });
      return;
    }
    this.emit('switch_failed', { ...keys, message: result.reason });
    this.options.logger.error('the key change did not land', {
      guard: this.options.name,
      reason: result.reason,
    });
  }

  /** The failover mode ends after the kill switch, as the VIT failover script does. */
  private endAfterKill(decision: Decision): void {
    if (decision.kind !== 'kill' || this.options.config.mode !== 'failover') return;
    this.stopped = true;
    this.options.logger.warn('failover mode: the kill switch ended the guard', {
      guard: this.options.name,
    });
  }

  private actionContext() {
    const { config } = this.options;
    return {
      guard: this.options.name,
      client: this.options.client,
      profile: this.options.profile,
      account: config.account,
      keys: this.options.keys,
      dryRun: config.dry_run,
      verifyAfterBlocks: config.verify_after_blocks,
      verifyRetriesMax: config.verify_retries_max,
      waitForBlocks: (blocks: number) => this.waitForBlocks(blocks),
    };
  }

  /** Polls the head until it is `blocks` past where it is now; bounded by time. */
  private async waitForBlocks(blocks: number): Promise<void> {
    const deadline = Date.now() + (blocks + blockWaitSlackIntervals) * this.intervalMs;
    let start: number | undefined;
    while (!this.stopped && Date.now() < deadline) {
      try {
        const head = await this.options.client.head();
        start ??= head.headBlockNumber;
        if (head.headBlockNumber >= start + blocks) return;
      } catch {
        // A node hiccup while waiting: keep waiting until the deadline.
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  private status(): GuardStatus {
    const { name, profile, config, client } = this.options;
    return {
      name,
      chain: profile.name,
      account: config.account,
      mode: config.mode,
      dry_run: config.dry_run,
      running: !this.stopped,
      blind: this.blindReason !== undefined,
      blind_reason: this.blindReason ?? null,
      head_block: this.head?.headBlockNumber ?? null,
      current_key: this.chainKey ?? null,
      total_missed: this.totalMissed ?? null,
      misses_seen: this.state.missesSeen,
      streak: this.state.streak,
      switches_in_incident: this.state.switchesInIncident,
      last_produced_block: this.state.lastProducedBlock ?? null,
      nodes: client.health(),
      next:
        this.blindReason !== undefined
          ? 'nothing while no fresh chain is visible'
          : this.next === undefined
            ? 'waiting for the first head block'
            : describeDecision(this.next),
      last_action: this.lastAction ?? null,
    };
  }
}
