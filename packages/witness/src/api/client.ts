// The chain API client: JSON-RPC over HTTP to several API nodes with failover. Reads prefer the
// node that last answered with a fresh head; a node whose head is older than `staleAfterMs` is not
// believed; every call has a timeout and a bounded number of attempts; per-node health is kept
// for the status page.
import { InvalidValueError } from '@cryptoassets/core';
import {
  type ChainProfile,
  type Operation,
  type SignedTransaction,
  transactionId,
  transactionJson,
} from '../graphene/index.js';
import {
  BroadcastRejectedError,
  ChainResponseError,
  NodeRpcError,
  NodesUnreachableError,
  StaleChainError,
} from './errors.js';
import {
  parseBroadcastResult,
  parseChainId,
  parseHead,
  parseObjectLinks,
  parseRequiredFee,
  parseSchedule,
  parseWitness,
} from './parse.js';
import { rpcCall, TransportError } from './transport.js';
import type {
  ChainClient,
  ChainClientOptions,
  HeadState,
  NodeHealth,
  Schedule,
  WitnessState,
} from './types.js';

export const timeoutMsDefault = 5_000;
export const timeoutMsMax = 120_000;
/** Added to three block intervals to get the default freshness limit. */
export const staleMarginMs = 3_000;
export const nodesMax = 16;
/** Passes over the node list before a read gives up. */
export const readRoundsMax = 2;
export const retryDelayMs = 200;
/** A synchronous broadcast waits for a block: at least this many block intervals. */
export const broadcastBlockIntervalsMin = 3;
/** Witness id → account name entries remembered (BitShares). */
export const namesCachedMax = 1024;

type NodeState = {
  readonly url: string;
  ok: boolean;
  stale: boolean;
  lastError?: string;
  headAgeMs?: number;
  latencyMs?: number;
};

type Failure = { url: string; error: string };

const methodMissingPattern = /could not find (method|api)|method not found|no method/i;
const duplicatePattern = /duplicate/i;

/** A client for `profile` over `nodes` (http:// or https:// JSON-RPC endpoints). */
export function createChainClient(options: ChainClientOptions): ChainClient {
  return new GrapheneClient(options);
}

class GrapheneClient implements ChainClient {
  readonly profile: ChainProfile;
  readonly #nodes: NodeState[];
  readonly #timeoutMs: number;
  readonly #staleAfterMs: number;
  readonly #broadcastTimeoutMs: number;
  readonly #now: () => number;
  readonly #names = new Map<string, string>();
  #preferred = 0;
  #nextId = 1;
  #closed = false;

  constructor(options: ChainClientOptions) {
    this.profile = options.profile;
    this.#nodes = checkNodes(options.nodes).map((url) => ({ url, ok: false, stale: false }));
    this.#timeoutMs = checkMs('timeoutMs', options.timeoutMs ?? timeoutMsDefault);
    this.#staleAfterMs = checkMs(
      'staleAfterMs',
      options.staleAfterMs ?? 3 * options.profile.blockIntervalS * 1000 + staleMarginMs,
    );
    this.#broadcastTimeoutMs = checkMs(
      'broadcastTimeoutMs',
      options.broadcastTimeoutMs ??
        Math.max(
          this.#timeoutMs,
          broadcastBlockIntervalsMin * options.profile.blockIntervalS * 1000,
        ),
    );
    this.#now = options.now ?? Date.now;
  }

  async chainId(): Promise<string> {
    return this.#failover('the chain id', false, async (node) => {
      if (this.profile.family === 'bitshares') {
        return parseChainId('bitshares', await this.#api(node, 'database', 'get_chain_id', []));
      }
      try {
        return parseChainId('steem', await this.#call(node, 'database_api.get_version', {}));
      } catch (error) {
        if (!(error instanceof NodeRpcError)) throw error;
        return parseChainId('steem', await this.#call(node, 'condenser_api.get_version', []));
      }
    });
  }

  async head(): Promise<HeadState> {
    const failures: Failure[] = [];
    let freshestAgeMs: number | undefined;
    for (let round = 0; round < readRoundsMax; round++) {
      if (round > 0) await sleep(retryDelayMs);
      for (const index of this.#order()) {
        const node = this.#nodes[index]!;
        try {
          const head = await this.#readHead(node);
          if (head === undefined) {
            freshestAgeMs = Math.min(freshestAgeMs ?? Number.POSITIVE_INFINITY, node.headAgeMs!);
            continue;
          }
          this.#preferred = index;
          return head;
        } catch (error) {
          failures.push({ url: node.url, error: this.#fail(node, error) });
        }
      }
      if (freshestAgeMs !== undefined) throw new StaleChainError(freshestAgeMs, this.#staleAfterMs);
    }
    throw new NodesUnreachableError('the head block', failures);
  }

  async witness(account: string): Promise<WitnessState | undefined> {
    const [api, method] = this.#isBitshares()
      ? ['database', 'get_witness_by_account']
      : ['condenser_api', 'get_witness_by_account'];
    return this.#failover(`witness ${account}`, true, async (node) => {
      const json = await this.#api(node, api, method, [account]);
      const witness = parseWitness(this.profile.family, account, json);
      if (witness?.id !== undefined && this.#isBitshares()) this.#remember(witness.id, account);
      return witness;
    });
  }

  async schedule(): Promise<Schedule> {
    return this.#failover('the witness schedule', true, async (node) => {
      if (!this.#isBitshares()) {
        const json = await this.#api(node, 'condenser_api', 'get_witness_schedule', []);
        return { shuffledWitnesses: parseSchedule('steem', json) };
      }
      const json = await this.#api(node, 'database', 'get_objects', [['2.12.0']]);
      const ids = parseSchedule('bitshares', json);
      return { shuffledWitnesses: await this.#witnessNames(node, ids) };
    });
  }

  async requiredFee(op: Operation): Promise<{ amount: string; asset_id: string }> {
    if (!this.#isBitshares()) {
      throw new InvalidValueError('operation', 'fees come from a fee schedule only on BitShares');
    }
    const wire = this.#wireOperation(op);
    return this.#failover('the required fee', true, async (node) =>
      parseRequiredFee(await this.#api(node, 'database', 'get_required_fees', [[wire], '1.3.0'])),
    );
  }

  async broadcast(tx: SignedTransaction): Promise<{ id: string; blockNum?: number }> {
    this.#checkOpen();
    const localId = transactionId(this.profile, tx);
    const wire = transactionJson(this.profile, tx);
    const failures: Failure[] = [];
    let mayHaveArrived = false;
    for (const index of this.#order()) {
      const node = this.#nodes[index]!;
      try {
        const sent = await this.#broadcastTo(node, wire);
        this.#preferred = index;
        return sent.blockNum === undefined
          ? { id: sent.id ?? localId }
          : { id: sent.id ?? localId, blockNum: sent.blockNum };
      } catch (error) {
        if (error instanceof NodeRpcError) {
          if (mayHaveArrived && duplicatePattern.test(error.nodeMessage)) return { id: localId };
          throw new BroadcastRejectedError(node.url, error.nodeMessage);
        }
        failures.push({ url: node.url, error: this.#fail(node, error) });
        mayHaveArrived ||= !(error instanceof TransportError) || error.mayHaveArrived;
      }
    }
    throw new NodesUnreachableError('the broadcast', failures);
  }

  health(): NodeHealth[] {
    return this.#nodes.map((node) => {
      const health: NodeHealth = { url: node.url, ok: node.ok };
      if (node.lastError !== undefined) health.lastError = node.lastError;
      if (node.headAgeMs !== undefined) health.headAgeMs = node.headAgeMs;
      if (node.latencyMs !== undefined) health.latencyMs = node.latencyMs;
      return health;
    });
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Steem family: condenser_api.broadcast_transaction (the node verifies before it answers; the
   * synchronous variant is deprecated on Hive and refused by some API nodes), id computed here.
   * BitShares: network_broadcast's synchronous call, which also reports the block; a node
   * without it gets the asynchronous call.
   */
  async #broadcastTo(node: NodeState, wire: unknown): Promise<{ id?: string; blockNum?: number }> {
    if (!this.#isBitshares()) {
      return parseBroadcastResult(
        await this.#api(node, 'condenser_api', 'broadcast_transaction', [wire]),
      );
    }
    const api = 'network_broadcast';
    try {
      const json = await this.#api(
        node,
        api,
        'broadcast_transaction_synchronous',
        [wire],
        this.#broadcastTimeoutMs,
      );
      return parseBroadcastResult(json);
    } catch (error) {
      if (!(error instanceof NodeRpcError) || !methodMissingPattern.test(error.nodeMessage)) {
        throw error;
      }
      return parseBroadcastResult(await this.#api(node, api, 'broadcast_transaction', [wire]));
    }
  }

  /** The node's head, or undefined (and the node marked stale) when it is too old. */
  async #readHead(node: NodeState): Promise<HeadState | undefined> {
    const api = this.#isBitshares() ? 'database' : 'condenser_api';
    const head = parseHead(await this.#api(node, api, 'get_dynamic_global_properties', []));
    const ageMs = this.#now() - head.time.getTime();
    node.headAgeMs = ageMs;
    if (ageMs > this.#staleAfterMs) {
      node.ok = false;
      node.stale = true;
      node.lastError = `head block ${head.headBlockNumber} is ${ageMs} ms old`;
      return undefined;
    }
    node.stale = false;
    if (!this.#isBitshares()) return head;
    const [name] = await this.#witnessNames(node, [head.currentWitness]);
    return { ...head, currentWitness: name ?? head.currentWitness };
  }

  /** Maps BitShares witness ids to account names through get_objects, with a cache. */
  async #witnessNames(node: NodeState, ids: readonly string[]): Promise<string[]> {
    const unknown = [...new Set(ids.filter((id) => !this.#names.has(id)))];
    if (unknown.length > 0) {
      const accounts = parseObjectLinks(
        await this.#api(node, 'database', 'get_objects', [unknown]),
      );
      const accountIds = [...new Set(accounts.values())];
      const names = parseObjectLinks(
        await this.#api(node, 'database', 'get_objects', [accountIds]),
      );
      for (const id of unknown) {
        const name = names.get(accounts.get(id) ?? '');
        if (name === undefined) throw new ChainResponseError('objects', `no account for ${id}`);
        this.#remember(id, name);
      }
    }
    return ids.map((id) => this.#names.get(id)!);
  }

  #remember(id: string, name: string): void {
    if (this.#names.size >= namesCachedMax) this.#names.clear();
    this.#names.set(id, name);
  }

  /** Runs `attempt` against the nodes in preference order, `readRoundsMax` passes at most. */
  async #failover<T>(
    what: string,
    skipStale: boolean,
    attempt: (node: NodeState) => Promise<T>,
  ): Promise<T> {
    this.#checkOpen();
    const failures: Failure[] = [];
    for (let round = 0; round < readRoundsMax; round++) {
      if (round > 0) await sleep(retryDelayMs);
      const order = this.#order();
      const fresh = order.filter((i) => !(skipStale && this.#nodes[i]!.stale));
      for (const index of fresh.length > 0 ? fresh : order) {
        const node = this.#nodes[index]!;
        try {
          const value = await attempt(node);
          this.#preferred = index;
          return value;
        } catch (error) {
          failures.push({ url: node.url, error: this.#fail(node, error) });
        }
      }
    }
    throw new NodesUnreachableError(what, failures);
  }

  /** Node indexes starting with the preferred one (round robin after it). */
  #order(): number[] {
    const n = this.#nodes.length;
    return Array.from({ length: n }, (_, k) => (this.#preferred + k) % n);
  }

  /** Records a failed attempt on the node; rethrows what is not a node failure. */
  #fail(node: NodeState, error: unknown): string {
    const known =
      error instanceof TransportError ||
      error instanceof NodeRpcError ||
      error instanceof ChainResponseError;
    if (!known) throw error;
    const message = error instanceof TransportError ? error.problem : error.shortMessage;
    node.ok = false;
    node.lastError = message;
    return message;
  }

  /** `api.method(args)`: Steem family by name, BitShares through `call`. */
  #api(
    node: NodeState,
    api: string,
    method: string,
    args: unknown[],
    timeoutMs = this.#timeoutMs,
  ): Promise<unknown> {
    if (this.#isBitshares()) return this.#call(node, 'call', [api, method, args], timeoutMs);
    return this.#call(node, `${api}.${method}`, args, timeoutMs);
  }

  async #call(
    node: NodeState,
    method: string,
    params: unknown,
    timeoutMs = this.#timeoutMs,
  ): Promise<unknown> {
    this.#checkOpen();
    const startedMs = Date.now();
    const id = this.#nextId++;
    const result = await rpcCall({ url: node.url, method, params, timeoutMs, id });
    node.latencyMs = Date.now() - startedMs;
    node.ok = !node.stale;
    if (node.ok) delete node.lastError;
    return result;
  }

  /** BitShares nodes take operations as `[id, body]`; the Steem family's condenser API by name. */
  #wireOperation(op: Operation): readonly [string | number, Record<string, unknown>] {
    if (!this.#isBitshares()) return op;
    const [name, body] = op;
    if (name === 'witness_update') return [this.profile.opIds.witnessUpdate, body];
    return /^\d{1,3}$/.test(name) ? [Number(name), body] : op;
  }

  #isBitshares(): boolean {
    return this.profile.family === 'bitshares';
  }

  #checkOpen(): void {
    if (this.#closed) throw new InvalidValueError('chain client', 'used after close()');
  }
}

function checkNodes(nodes: readonly string[]): string[] {
  if (nodes.length === 0 || nodes.length > nodesMax) {
    throw new InvalidValueError('nodes', `give 1 to ${nodesMax} API node URLs`);
  }
  return nodes.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidValueError('nodes', `not a URL: ${text}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidValueError('nodes', `${text}: use the node's http(s) JSON-RPC address`);
    }
    return url.href;
  });
}

function checkMs(field: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0 || value > 10 * timeoutMsMax) {
    throw new InvalidValueError(field, 'expected a positive number of milliseconds');
  }
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
