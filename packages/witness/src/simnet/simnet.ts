// startSimnet: a simulated Graphene chain for tests and the drill. It produces a slot every
// `blockIntervalMs`, serves the chain over one or more HTTP JSON-RPC API nodes, and narrates what
// happens as events.
import { EventEmitter } from 'node:events';
import { InvalidValueError } from '@cryptoassets/core';
import type { HeadState, WitnessState } from '../api/types.js';
import { SimChain } from './chain.js';
import { startApiNode } from './server.js';
import type { SimApiNode, Simnet, SimnetEvent, SimnetOptions } from './types.js';
import { accountIdOf, type SimWitnessRecord, witnessIdOf } from './verify.js';

export const witnessesMin = 3;
export const witnessesMax = 101;
export const blockIntervalMsMin = 10;
export const apiNodesMax = 8;
/** Slots one `step()` call may run. */
export const stepSlotsMax = 10_000;
/** waitForBlocks gives up after this many block intervals per block (plus a second). */
export const waitIntervalsPerBlockMax = 20;
/** BitShares' default witness_update fee: 20 BTS (GRAPHENE_BLOCKCHAIN_PRECISION 10^5). */
export const witnessUpdateFeeDefault = 2_000_000n;
export const balanceDefault = 100_000_000n;

export async function startSimnet(options: SimnetOptions): Promise<Simnet> {
  checkOptions(options);
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);
  const chain = new SimChain(
    {
      profile: options.profile,
      witnesses: options.witnesses,
      shuffle: options.shuffle ?? true,
      seed: options.seed ?? 1,
      witnessUpdateFee: options.witnessUpdateFee ?? witnessUpdateFeeDefault,
      balance: options.balance ?? balanceDefault,
      wholeSeconds: options.blockIntervalMs > 0 && options.blockIntervalMs % 1000 === 0,
      emit: (event) => emitter.emit('event', event),
    },
    Date.now(),
  );
  if (options.defaultServers !== false) {
    for (const w of options.witnesses) {
      chain.addServer({ name: w.account, account: w.account, signingSecret: w.signingSecret });
    }
  }
  const first = await startApiNode(chain);
  const nodes: SimApiNode[] = [first];
  const clock = startClock(chain, options.blockIntervalMs);
  const onEvent = (listener: (event: SimnetEvent) => void) => {
    emitter.on('event', listener);
    return () => {
      emitter.off('event', listener);
    };
  };
  return {
    url: first.url,
    profile: options.profile,
    node: first,
    async addApiNode() {
      if (nodes.length >= apiNodesMax) throw new RangeError(`more than ${apiNodesMax} API nodes`);
      const node = await startApiNode(chain);
      nodes.push(node);
      return node;
    },
    setStale: (stale) => first.setStale(stale),
    dropRequests: (drop) => first.dropRequests(drop),
    addServer: (server) => chain.addServer(server),
    stopServer: (name) => chain.setServerRunning(name, false),
    startServer: (name) => chain.setServerRunning(name, true),
    servers: () => chain.servers(),
    stopProducing: (account) => chain.setAccountRunning(account, false),
    resumeProducing: (account) => chain.setAccountRunning(account, true),
    pause() {
      chain.paused = true;
    },
    resume() {
      chain.paused = false;
    },
    step(slots = 1) {
      if (!Number.isInteger(slots) || slots < 1 || slots > stepSlotsMax) {
        throw new RangeError(`step takes 1 to ${stepSlotsMax} slots`);
      }
      for (let i = 0; i < slots; i++) chain.slot(Date.now());
    },
    head: () => headOf(chain),
    witness: (account) => witnessOf(chain, account),
    schedule: () => [...chain.schedule],
    waitForBlocks: (count, timeoutMs) =>
      waitForBlocks(chain, onEvent, count, timeoutMs ?? defaultWait(options, count)),
    onEvent,
    async close() {
      clock.stop();
      chain.dropPending('the node is shutting down');
      await Promise.all(nodes.map((node) => node.close()));
      emitter.removeAllListeners();
    },
  };
}

function checkOptions(options: SimnetOptions): void {
  const count = options.witnesses.length;
  if (count < witnessesMin || count > witnessesMax) {
    throw new InvalidValueError('witnesses', `expected ${witnessesMin} to ${witnessesMax}`);
  }
  if (new Set(options.witnesses.map((w) => w.account)).size !== count) {
    throw new InvalidValueError('witnesses', 'account names must be unique');
  }
  const interval = options.blockIntervalMs;
  if (!Number.isInteger(interval) || (interval !== 0 && interval < blockIntervalMsMin)) {
    throw new InvalidValueError('blockIntervalMs', `0 (manual) or at least ${blockIntervalMsMin}`);
  }
}

/** One slot per interval; a late timer still runs one slot per tick, so the order stays exact. */
function startClock(chain: SimChain, intervalMs: number): { stop: () => void } {
  if (intervalMs === 0) return { stop: () => {} };
  let nextAtMs = Date.now() + intervalMs;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    nextAtMs += intervalMs;
    if (nextAtMs < Date.now()) nextAtMs = Date.now() + intervalMs;
    timer = setTimeout(tick, nextAtMs - Date.now());
    chain.slot(Date.now());
  };
  timer = setTimeout(tick, intervalMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function defaultWait(options: SimnetOptions, count: number): number {
  return count * Math.max(options.blockIntervalMs, 100) * waitIntervalsPerBlockMax + 1000;
}

function waitForBlocks(
  chain: SimChain,
  onEvent: (listener: (event: SimnetEvent) => void) => () => void,
  count: number,
  timeoutMs: number,
): Promise<HeadState> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${count} blocks not produced within ${timeoutMs} ms (saw ${seen})`));
    }, timeoutMs);
    const stop = onEvent((event) => {
      if (event.type !== 'block' || ++seen < count) return;
      clearTimeout(timer);
      stop();
      resolve(headOf(chain));
    });
  });
}

function headOf(chain: SimChain): HeadState {
  return {
    headBlockNumber: chain.head.num,
    headBlockId: chain.head.id,
    time: new Date(chain.head.timeMs),
    currentWitness: chain.head.witness,
    currentAslot: chain.head.aslot,
    lastIrreversibleBlockNumber: chain.lib,
  };
}

function witnessOf(chain: SimChain, account: string): WitnessState | undefined {
  const w: SimWitnessRecord | undefined = chain.witnesses.get(account);
  if (!w) return undefined;
  const state: WitnessState = {
    account: w.account,
    id: chain.profile.family === 'bitshares' ? witnessIdOf(w) : String(w.index),
    signingKey: w.signingKey,
    totalMissed: w.totalMissed,
    lastConfirmedBlockNum: w.lastConfirmedBlockNum,
    lastAslot: w.lastAslot,
    url: w.url,
    raw: { ...w, props: { ...w.props }, balance: w.balance.toString() },
  };
  if (chain.profile.family === 'bitshares') state.witnessAccountId = accountIdOf(w);
  return state;
}
