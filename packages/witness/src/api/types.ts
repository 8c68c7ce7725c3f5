// The API client's contract: what the guard reads from a Graphene chain and how it broadcasts.
import type { ChainProfile, Operation, SignedTransaction } from '../graphene/index.js';

/** The head of the chain as one API node sees it (dynamic global properties). */
export type HeadState = {
  headBlockNumber: number;
  headBlockId: string;
  time: Date;
  /** Account name of the head block's producer (BitShares: mapped from the witness id). */
  currentWitness: string;
  currentAslot: number;
  lastIrreversibleBlockNumber: number;
};

/** One witness object, normalized over both chain families. */
export type WitnessState = {
  account: string;
  /** BitShares witness id ("1.6.x"); the Steem family's numeric id as a string. */
  id?: string;
  /** BitShares only: the witness account's id ("1.2.x"). */
  witnessAccountId?: string;
  signingKey: string;
  totalMissed: number;
  lastConfirmedBlockNum: number;
  lastAslot: number;
  url: string;
  /** The object exactly as the node returned it (props are re-sent from here). */
  raw: Record<string, unknown>;
};

/** The current round's witness order. */
export type Schedule = { shuffledWitnesses: string[] };

/** What the status page shows about one API node. */
export type NodeHealth = {
  url: string;
  ok: boolean;
  lastError?: string;
  headAgeMs?: number;
  latencyMs?: number;
};

/** A chain seen through several API nodes with failover. */
export interface ChainClient {
  readonly profile: ChainProfile;
  chainId(): Promise<string>;
  /** From a fresh node; throws StaleChainError / NodesUnreachableError. */
  head(): Promise<HeadState>;
  witness(account: string): Promise<WitnessState | undefined>;
  schedule(): Promise<Schedule>;
  /** BitShares only. */
  requiredFee(op: Operation): Promise<{ amount: string; asset_id: string }>;
  broadcast(tx: SignedTransaction): Promise<{ id: string; blockNum?: number }>;
  health(): NodeHealth[];
  close(): void;
}

export type ChainClientOptions = {
  profile: ChainProfile;
  nodes: readonly string[];
  timeoutMs?: number;
  staleAfterMs?: number;
  /** A synchronous broadcast waits for a block (default: 3 block intervals, at least timeoutMs). */
  broadcastTimeoutMs?: number;
  now?: () => number;
};
