// The simnet's public contract: options, the handle a test or the drill holds, and the events it
// narrates (blocks, missed slots, transactions).
import type { HeadState, WitnessState } from '../api/types.js';
import type { ChainProfile } from '../graphene/index.js';

export type SimnetWitnessSpec = {
  readonly account: string;
  /** Initial on-chain signing key; a server named after the account holds it unless told not to. */
  readonly signingSecret: Uint8Array;
  /** The account's active key (witness_update, BitShares fees). */
  readonly activeSecret: Uint8Array;
  readonly url?: string;
};

export type SimnetOptions = {
  readonly profile: ChainProfile;
  /** At least 3 witnesses. */
  readonly witnesses: readonly SimnetWitnessSpec[];
  /** One slot per interval; 0 means slots advance only through `step()`. */
  readonly blockIntervalMs: number;
  /** Shuffle each round (default true); false keeps the witnesses' given order. */
  readonly shuffle?: boolean;
  /** Seed of the round shuffles (default 1). */
  readonly seed?: number;
  /** Start one server per witness, named after the account (default true). */
  readonly defaultServers?: boolean;
  /** BitShares: the fee schedule's witness_update fee in minor units (default 20 BTS). */
  readonly witnessUpdateFee?: bigint;
  /** BitShares: each account's core balance in minor units (default 1000 BTS). */
  readonly balance?: bigint;
};

/** A block-producing server of one witness, holding one private signing key. */
export type SimServerSpec = {
  readonly name: string;
  readonly account: string;
  readonly signingSecret: Uint8Array;
};

export type SimServerInfo = {
  readonly name: string;
  readonly account: string;
  /** Public key of the private key the server signs with. */
  readonly signingKey: string;
  readonly running: boolean;
};

/** Why a slot had no block. */
export type MissReason = 'paused' | 'no running server' | 'key not on chain' | 'disabled';

export type SimnetEvent =
  | {
      readonly type: 'block';
      readonly blockNum: number;
      readonly blockId: string;
      readonly witness: string;
      readonly server: string;
      readonly aslot: number;
      readonly time: Date;
      readonly transactions: readonly string[];
    }
  | {
      readonly type: 'slotMissed';
      readonly aslot: number;
      readonly witness: string;
      readonly reason: MissReason;
    }
  | {
      readonly type: 'missCounted';
      readonly witness: string;
      readonly totalMissed: number;
      readonly blockNum: number;
    }
  | {
      readonly type: 'blockRejected';
      readonly server: string;
      readonly witness: string;
      readonly signingKey: string;
      readonly reason: string;
    }
  | { readonly type: 'txAccepted'; readonly id: string; readonly operations: readonly string[] }
  | { readonly type: 'txRejected'; readonly id?: string; readonly reason: string }
  | {
      readonly type: 'txApplied';
      readonly id: string;
      readonly blockNum: number;
      readonly operations: readonly string[];
    }
  | { readonly type: 'txDropped'; readonly id: string; readonly reason: string }
  | { readonly type: 'scheduleShuffled'; readonly witnesses: readonly string[] };

/** One HTTP JSON-RPC API node over the simnet's chain, with its own failure controls. */
export interface SimApiNode {
  readonly url: string;
  /** Freeze this node's view of the chain (its head stops advancing and grows old). */
  setStale(stale: boolean): void;
  /** true: reset every connection; a number in [0, 1]: reset that fraction. */
  dropRequests(drop: boolean | number): void;
  close(): Promise<void>;
}

export interface Simnet {
  /** The first API node's URL. */
  readonly url: string;
  readonly profile: ChainProfile;
  /** The first API node. */
  readonly node: SimApiNode;
  /** Another API node over the same chain. */
  addApiNode(): Promise<SimApiNode>;
  setStale(stale: boolean): void;
  dropRequests(drop: boolean | number): void;

  addServer(server: SimServerSpec): void;
  stopServer(name: string): void;
  startServer(name: string): void;
  /** Which private signing keys the servers hold (as public keys) and whether they run. */
  servers(): SimServerInfo[];
  /** Stops (resumes) every server of the witness. */
  stopProducing(account: string): void;
  resumeProducing(account: string): void;

  /** Production halts: slots pass without blocks (and count as missed when blocks resume). */
  pause(): void;
  resume(): void;
  /** Runs `slots` slots at once (also with a running timer). */
  step(slots?: number): void;

  head(): HeadState;
  witness(account: string): WitnessState | undefined;
  schedule(): string[];
  /** Resolves once `count` more blocks are produced; rejects after `timeoutMs`. */
  waitForBlocks(count: number, timeoutMs?: number): Promise<HeadState>;
  /** Listens to every event; returns the function that stops listening. */
  onEvent(listener: (event: SimnetEvent) => void): () => void;
  close(): Promise<void>;
}
