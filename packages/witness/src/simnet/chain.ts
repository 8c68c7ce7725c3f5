// The simulated chain's state machine: witnesses and their servers, the shuffled schedule, one
// slot at a time (a block when a running server of the scheduled witness holds the on-chain
// signing key, a miss otherwise), missed-block accounting exactly as Graphene does it, and the
// mempool of verified transactions that land in the next block.
import { InvalidValueError } from '@cryptoassets/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { type ChainProfile, isNullKey, publicKeyOf } from '../graphene/index.js';
import type { MissReason, SimnetEvent, SimServerInfo, SimServerSpec } from './types.js';
import {
  type CheckedTx,
  checkAndApply,
  cloneWitnesses,
  type SimWitnessRecord,
  type TxContext,
  TxRejected,
} from './verify.js';

/** Blocks kept for TaPoS and get_block_header. */
export const blocksKeptMax = 2048;
/** Transactions waiting for a block. */
export const pendingTxMax = 256;
/** Transactions taken into one block. */
export const blockTxMax = 100;
/** Ids of included transactions remembered (until they expire) for duplicate checks. */
export const txIdsKeptMax = 10_000;
export const serversMax = 64;

export type HeadRecord = {
  readonly num: number;
  readonly id: string;
  readonly timeMs: number;
  readonly aslot: number;
  readonly witness: string;
};

export type SimBlock = HeadRecord & {
  readonly previous: string;
  readonly txIds: readonly string[];
};

/** What an API node reads: the live chain or a frozen copy of it. */
export type ChainView = {
  readonly profile: ChainProfile;
  readonly head: HeadRecord;
  readonly lib: number;
  readonly witnesses: ReadonlyMap<string, SimWitnessRecord>;
  readonly schedule: readonly string[];
  readonly nextShuffleBlockNum: number;
  readonly witnessUpdateFee: bigint;
  block(num: number): SimBlock | undefined;
};

export type Inclusion = { readonly blockNum: number; readonly trxNum: number };

type Pending = CheckedTx & {
  readonly resolve: (inclusion: Inclusion) => void;
  readonly reject: (error: TxRejected) => void;
};

type ServerRecord = { name: string; account: string; signingKey: string; running: boolean };

export type ChainOptions = {
  readonly profile: ChainProfile;
  readonly witnesses: readonly {
    account: string;
    signingSecret: Uint8Array;
    activeSecret: Uint8Array;
    url?: string;
  }[];
  readonly shuffle: boolean;
  readonly seed: number;
  readonly witnessUpdateFee: bigint;
  readonly balance: bigint;
  readonly wholeSeconds: boolean;
  readonly emit: (event: SimnetEvent) => void;
};

const zeroId = '0'.repeat(40);

export class SimChain implements ChainView {
  readonly profile: ChainProfile;
  readonly witnesses = new Map<string, SimWitnessRecord>();
  readonly witnessUpdateFee: bigint;
  head: HeadRecord;
  lib = 0;
  schedule: string[];
  nextShuffleBlockNum: number;
  paused = false;
  readonly #options: ChainOptions;
  readonly #blocks = new Map<number, SimBlock>();
  readonly #servers = new Map<string, ServerRecord>();
  readonly #includedIds = new Map<string, number>();
  #pending: Pending[] = [];
  #slotsSinceHead = 0;

  constructor(options: ChainOptions, nowMs: number) {
    this.#options = options;
    this.profile = options.profile;
    this.witnessUpdateFee = options.witnessUpdateFee;
    options.witnesses.forEach((spec, index) => {
      this.#addWitness(spec, index, options.balance);
    });
    const timeMs = this.#blockTime(nowMs);
    this.head = { num: 0, id: zeroId, timeMs, aslot: 0, witness: options.witnesses[0]!.account };
    this.#blocks.set(0, { ...this.head, previous: zeroId, txIds: [] });
    this.schedule = [...this.witnesses.keys()];
    this.nextShuffleBlockNum = 0;
    this.#reshuffle();
  }

  block(num: number): SimBlock | undefined {
    return this.#blocks.get(num);
  }

  /** A frozen copy, for an API node that stops following the chain. */
  snapshot(): ChainView {
    const blocks = this.#blocks;
    const head = this.head;
    return {
      profile: this.profile,
      head,
      lib: this.lib,
      witnesses: cloneWitnesses(this.witnesses),
      schedule: [...this.schedule],
      nextShuffleBlockNum: this.nextShuffleBlockNum,
      witnessUpdateFee: this.witnessUpdateFee,
      block: (num) => (num <= head.num ? blocks.get(num) : undefined),
    };
  }

  addServer(spec: SimServerSpec): void {
    if (this.#servers.has(spec.name)) throw new InvalidValueError('server', `${spec.name} exists`);
    if (this.#servers.size >= serversMax)
      throw new InvalidValueError('server', `more than ${serversMax} servers`);
    if (!this.witnesses.has(spec.account))
      throw new InvalidValueError('server', `${spec.account} is not a witness`);
    const signingKey = publicKeyOf(spec.signingSecret, this.profile.prefix);
    this.#servers.set(spec.name, {
      name: spec.name,
      account: spec.account,
      signingKey,
      running: true,
    });
  }

  setServerRunning(name: string, running: boolean): void {
    const server = this.#servers.get(name);
    if (!server) throw new InvalidValueError('server', `no server named ${name}`);
    server.running = running;
  }

  setAccountRunning(account: string, running: boolean): void {
    for (const server of this.#servers.values()) {
      if (server.account === account) server.running = running;
    }
  }

  servers(): SimServerInfo[] {
    return [...this.#servers.values()].map((s) => ({ ...s }));
  }

  /** One slot passes at `nowMs`. */
  slot(nowMs: number): void {
    this.#slotsSinceHead++;
    const offset = this.#slotsSinceHead;
    const aslot = this.head.aslot + offset;
    const scheduled = this.#scheduledAt(offset);
    if (this.paused) {
      this.#missed(aslot, scheduled, 'paused');
      return;
    }
    const witness = this.witnesses.get(scheduled)!;
    const running = [...this.#servers.values()].filter((s) => s.account === scheduled && s.running);
    const producer = running.find((s) => s.signingKey === witness.signingKey);
    for (const server of running) {
      if (server.signingKey === witness.signingKey) continue;
      const reason = `block signed by ${server.signingKey}, but the witness signing key is ${witness.signingKey}`;
      this.#emit({
        type: 'blockRejected',
        server: server.name,
        witness: scheduled,
        signingKey: server.signingKey,
        reason,
      });
    }
    if (producer) {
      this.#produce(producer, offset, nowMs);
      return;
    }
    const reason: MissReason = isNullKey(witness.signingKey)
      ? 'disabled'
      : running.length > 0
        ? 'key not on chain'
        : 'no running server';
    this.#missed(aslot, scheduled, reason);
  }

  /** Verifies against the pending state and queues; the promise settles when a block has it. */
  push(raw: unknown): { id: string; included: Promise<Inclusion> } {
    if (this.#pending.length >= pendingTxMax) throw new TxRejected('the node mempool is full');
    const projected = this.#pendingState();
    const pendingIds = new Set(this.#pending.map((p) => p.id));
    const ctx = this.#context((id) => this.#includedIds.has(id) || pendingIds.has(id));
    const checked = checkAndApply(ctx, raw, projected);
    let settle: Pick<Pending, 'resolve' | 'reject'> | undefined;
    const included = new Promise<Inclusion>((resolve, reject) => {
      settle = { resolve, reject };
    });
    included.catch(() => {});
    this.#pending.push({ ...checked, ...settle! });
    this.#emit({ type: 'txAccepted', id: checked.id, operations: checked.operations });
    return { id: checked.id, included };
  }

  /** Rejects every waiting transaction (the node shuts down). */
  dropPending(reason: string): void {
    for (const p of this.#pending) p.reject(new TxRejected(reason));
    this.#pending = [];
  }

  #pendingState(): Map<string, SimWitnessRecord> {
    const state = cloneWitnesses(this.witnesses);
    const ctx = this.#context(() => false);
    for (const p of this.#pending) {
      try {
        checkAndApply(ctx, p.tx, state);
      } catch {
        // A pending transaction that no longer applies is dropped when the next block is built.
      }
    }
    return state;
  }

  #context(isKnown: (id: string) => boolean, headTimeMs = this.head.timeMs): TxContext {
    return {
      profile: this.profile,
      headTimeMs,
      refBlockPrefix: (refNum) => this.#refBlockPrefix(refNum),
      isKnown,
      witnessUpdateFee: this.witnessUpdateFee,
    };
  }

  #refBlockPrefix(refNum: number): number | undefined {
    const headNum = this.head.num;
    const num = headNum - ((headNum - refNum) & 0xffff);
    const block = this.#blocks.get(num);
    return block ? Buffer.from(block.id, 'hex').readUInt32LE(4) : undefined;
  }

  #scheduledAt(offset: number): string {
    const n = this.schedule.length;
    return this.schedule[(this.head.aslot + offset) % n]!;
  }

  #missed(aslot: number, witness: string, reason: MissReason): void {
    this.#emit({ type: 'slotMissed', aslot, witness, reason });
  }

  #produce(server: ServerRecord, offset: number, nowMs: number): void {
    const num = this.head.num + 1;
    this.#countMisses(server.account, offset - 1, num);
    const timeMs = Math.max(this.#blockTime(nowMs), this.head.timeMs + 1);
    const txs = this.#takePending(num, timeMs);
    const id = blockId(num, this.head.id, server.account, timeMs, txs);
    const aslot = this.head.aslot + offset;
    const producer = this.witnesses.get(server.account)!;
    producer.lastAslot = aslot;
    producer.lastConfirmedBlockNum = num;
    const previous = this.head.id;
    this.head = { num, id, timeMs, aslot, witness: server.account };
    this.#slotsSinceHead = 0;
    this.lib = Math.max(0, num - Math.ceil((this.schedule.length * 2) / 3));
    this.#remember({ ...this.head, previous, txIds: txs.map((t) => t.id) });
    txs.forEach((t, trxNum) => {
      this.#emit({ type: 'txApplied', id: t.id, blockNum: num, operations: t.operations });
      t.resolve({ blockNum: num, trxNum });
    });
    this.#emit({
      type: 'block',
      blockNum: num,
      blockId: id,
      witness: server.account,
      server: server.name,
      aslot,
      time: new Date(timeMs),
      transactions: txs.map((t) => t.id),
    });
    if (num >= this.nextShuffleBlockNum) this.#reshuffle();
  }

  /** Graphene's update_witness_missed_blocks for a block `missed` slots after the head. */
  #countMisses(producer: string, missed: number, blockNum: number): void {
    const n = this.schedule.length;
    if (this.profile.family === 'bitshares' && missed >= n) return;
    for (let i = 1; i <= missed; i++) {
      const name = this.schedule[(this.head.aslot + i) % n]!;
      if (name === producer) continue;
      const witness = this.witnesses.get(name)!;
      witness.totalMissed++;
      this.#emit({
        type: 'missCounted',
        witness: name,
        totalMissed: witness.totalMissed,
        blockNum,
      });
    }
  }

  /** Pending transactions still valid at the block's time, applied to the chain state. */
  #takePending(blockNum: number, timeMs: number): Pending[] {
    const taken: Pending[] = [];
    const keep: Pending[] = [];
    const ctx = this.#context((id) => this.#includedIds.has(id), timeMs);
    for (const p of this.#pending) {
      if (taken.length >= blockTxMax) {
        keep.push(p);
        continue;
      }
      try {
        checkAndApply(ctx, p.tx, this.witnesses);
        this.#rememberId(p.id, p.expirationMs);
        taken.push(p);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.#emit({ type: 'txDropped', id: p.id, reason: `not in block ${blockNum}: ${reason}` });
        p.reject(error instanceof TxRejected ? error : new TxRejected(reason));
      }
    }
    this.#pending = keep;
    return taken;
  }

  #rememberId(id: string, expirationMs: number): void {
    for (const [known, expiry] of this.#includedIds) {
      if (expiry > this.head.timeMs && this.#includedIds.size < txIdsKeptMax) break;
      this.#includedIds.delete(known);
    }
    this.#includedIds.set(id, expirationMs);
  }

  #remember(block: SimBlock): void {
    this.#blocks.set(block.num, block);
    this.#blocks.delete(block.num - blocksKeptMax);
  }

  /** A new round: Steem family leaves out disabled witnesses, BitShares keeps scheduling them. */
  #reshuffle(): void {
    const all = [...this.witnesses.values()];
    const eligible =
      this.profile.family === 'steem' ? all.filter((w) => !isNullKey(w.signingKey)) : all;
    if (eligible.length === 0) {
      this.nextShuffleBlockNum = this.head.num + this.schedule.length;
      return;
    }
    const names = eligible.map((w) => w.account);
    this.schedule = this.#options.shuffle
      ? shuffled(names, this.#options.seed, this.head.num)
      : names;
    this.nextShuffleBlockNum = this.head.num + this.schedule.length;
    this.#emit({ type: 'scheduleShuffled', witnesses: [...this.schedule] });
  }

  #addWitness(spec: ChainOptions['witnesses'][number], index: number, balance: bigint): void {
    const prefix = this.profile.prefix;
    this.witnesses.set(spec.account, {
      account: spec.account,
      index,
      activeKey: publicKeyOf(spec.activeSecret, prefix),
      signingKey: publicKeyOf(spec.signingSecret, prefix),
      url: spec.url ?? `https://${spec.account}.example`,
      props: initialProps(this.profile),
      totalMissed: 0,
      lastAslot: 0,
      lastConfirmedBlockNum: 0,
      balance,
    });
  }

  #blockTime(nowMs: number): number {
    return this.#options.wholeSeconds ? Math.floor(nowMs / 1000) * 1000 : nowMs;
  }

  #emit(event: SimnetEvent): void {
    this.#options.emit(event);
  }
}

function initialProps(profile: ChainProfile): Record<string, unknown> {
  if (profile.family === 'bitshares') return {};
  const props: Record<string, unknown> = {
    account_creation_fee: `${(3).toFixed(profile.precision)} ${profile.coreSymbol}`,
    maximum_block_size: 65_536,
  };
  if (profile.legacyProps === 'hive') props.hbd_interest_rate = 0;
  if (profile.legacyProps === 'steem') props.sbd_interest_rate = 0;
  return props;
}

/** Graphene ids: the block number in the first 4 bytes (big-endian), then a hash. */
function blockId(
  num: number,
  previous: string,
  witness: string,
  timeMs: number,
  txs: readonly { id: string }[],
): string {
  const material = `${previous}|${num}|${witness}|${timeMs}|${txs.map((t) => t.id).join(',')}`;
  const hash = Buffer.from(sha256(new TextEncoder().encode(material)));
  const id = Buffer.alloc(20);
  id.writeUInt32BE(num, 0);
  hash.copy(id, 4, 0, 16);
  return id.toString('hex');
}

/** Deterministic Fisher–Yates shuffle seeded by (seed, block number). */
function shuffled(names: readonly string[], seed: number, blockNum: number): string[] {
  const out = [...names];
  for (let i = out.length - 1; i > 0; i--) {
    const digest = sha256(new TextEncoder().encode(`${seed}:${blockNum}:${i}`));
    const j = new DataView(digest.buffer, digest.byteOffset).getUint32(0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
