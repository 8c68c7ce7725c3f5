// The JSON-RPC methods the simnet serves: the subset of Hive's condenser and database APIs and of
// BitShares' database and network_broadcast APIs that the guard uses, answered from a chain view
// in the shapes the real nodes use.
import {
  type ChainProfile,
  fromHex,
  type SignedTransaction,
  serializeTransaction,
  toHex,
} from '../graphene/index.js';
import type { ChainView, Inclusion, SimChain } from './chain.js';
import { accountIdOf, type SimWitnessRecord, TxRejected, witnessIdOf } from './verify.js';

/** A JSON-RPC error answer. */
export class RpcFault extends Error {
  override name = 'RpcFault';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const methodNotFoundCode = -32601;
export const invalidParamsCode = -32602;
export const assertCode = -32000;
/** Longest list a get_objects / get_accounts call may ask for. */
export const objectsPerCallMax = 1000;

export type NodeAccess = {
  readonly chain: SimChain;
  /** The chain as this node sees it (live, or frozen when stale). */
  readonly view: () => ChainView;
  readonly stale: () => boolean;
};

type Handler = (access: NodeAccess, args: unknown) => unknown;

/** Dispatches one call; `call` with [api, method, args] is accepted on both families. */
export async function dispatch(
  access: NodeAccess,
  method: string,
  params: unknown,
): Promise<unknown> {
  const bitshares = access.chain.profile.family === 'bitshares';
  let name = method;
  let args = params;
  if (method === 'call') {
    if (!Array.isArray(params) || params.length !== 3) {
      throw new RpcFault(invalidParamsCode, 'call expects [api, method, params]');
    }
    const [api, inner, innerArgs] = params as [unknown, unknown, unknown];
    name = bitshares ? String(inner) : `${String(api)}.${String(inner)}`;
    args = innerArgs;
  }
  const table = bitshares ? bitsharesMethods : steemMethods;
  const handler = table[name];
  if (!handler) throw new RpcFault(methodNotFoundCode, `Could not find method ${name}`);
  return handler(access, args ?? []);
}

function arg(args: unknown, index: number): unknown {
  if (!Array.isArray(args)) throw new RpcFault(invalidParamsCode, 'params must be an array');
  return args[index];
}

function field(args: unknown, name: string): unknown {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new RpcFault(invalidParamsCode, 'params must be an object');
  }
  return (args as Record<string, unknown>)[name];
}

function chainTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
}

function steemDgp(view: ChainView): Record<string, unknown> {
  return {
    id: 0,
    head_block_number: view.head.num,
    head_block_id: view.head.id,
    time: chainTime(view.head.timeMs),
    current_witness: view.head.witness,
    current_aslot: view.head.aslot,
    last_irreversible_block_num: view.lib,
    participation_count: 128,
  };
}

function steemWitness(profile: ChainProfile, w: SimWitnessRecord): Record<string, unknown> {
  return {
    id: w.index,
    owner: w.account,
    created: '2016-03-24T16:00:00',
    url: w.url,
    votes: '0',
    total_missed: w.totalMissed,
    last_aslot: w.lastAslot,
    last_confirmed_block_num: w.lastConfirmedBlockNum,
    pow_worker: 0,
    signing_key: w.signingKey,
    props: { ...w.props },
    running_version: '1.27.0',
    hardfork_version_vote: '1.27.0',
    hardfork_time_vote: '2016-03-24T16:00:00',
    chain: profile.name,
  };
}

function steemSchedule(view: ChainView): Record<string, unknown> {
  return {
    id: 0,
    current_shuffled_witnesses: [...view.schedule],
    num_scheduled_witnesses: view.schedule.length,
    next_shuffle_block_num: view.nextShuffleBlockNum,
  };
}

function steemAccount(w: SimWitnessRecord): Record<string, unknown> {
  const authority = { weight_threshold: 1, account_auths: [], key_auths: [[w.activeKey, 1]] };
  return { id: w.index, name: w.account, owner: authority, active: authority, posting: authority };
}

function blockHeader(view: ChainView, num: unknown, witnessName: (w: string) => string) {
  const block = typeof num === 'number' ? view.block(num) : undefined;
  if (!block || block.num === 0) return null;
  return {
    previous: block.previous,
    timestamp: chainTime(block.timeMs),
    witness: witnessName(block.witness),
    transaction_merkle_root: '0'.repeat(40),
    extensions: [],
  };
}

/** The signed transaction's bytes: unsigned bytes, varint count, 65-byte signatures. */
function transactionHex(profile: ChainProfile, raw: unknown, withSignatures: boolean): string {
  const tx = raw as SignedTransaction;
  try {
    const bytes = serializeTransaction(profile, tx);
    if (!withSignatures) return toHex(bytes);
    const signatures = Array.isArray(tx.signatures) ? tx.signatures : [];
    const sigs = signatures.map((s) => fromHex(s, 'signature', 65));
    return toHex(bytes) + sigs.length.toString(16).padStart(2, '0') + sigs.map(toHex).join('');
  } catch (error) {
    throw new RpcFault(assertCode, error instanceof Error ? error.message : String(error));
  }
}

async function broadcast(
  access: NodeAccess,
  raw: unknown,
  wait: boolean,
): Promise<(Inclusion & { id: string }) | { id: string }> {
  if (access.stale()) {
    throw new RpcFault(assertCode, 'unable to broadcast: this node is not in sync with the chain');
  }
  try {
    const { id, included } = access.chain.push(raw);
    if (!wait) return { id };
    return { id, ...(await included) };
  } catch (error) {
    if (error instanceof TxRejected) throw new RpcFault(assertCode, error.message);
    throw error;
  }
}

const steemMethods: Record<string, Handler> = {
  'condenser_api.get_dynamic_global_properties': (a) => steemDgp(a.view()),
  'database_api.get_dynamic_global_properties': (a) => steemDgp(a.view()),
  'condenser_api.get_witness_by_account': (a, args) => {
    const view = a.view();
    const w = view.witnesses.get(String(arg(args, 0)));
    return w ? steemWitness(view.profile, w) : null;
  },
  'database_api.find_witnesses': (a, args) => {
    const view = a.view();
    const owners = field(args, 'owners');
    const names = Array.isArray(owners) ? owners.slice(0, objectsPerCallMax) : [];
    const found = names.map((n) => view.witnesses.get(String(n))).filter((w) => w !== undefined);
    return { witnesses: found.map((w) => steemWitness(view.profile, w)) };
  },
  'condenser_api.get_witness_schedule': (a) => steemSchedule(a.view()),
  'database_api.get_witness_schedule': (a) => steemSchedule(a.view()),
  'condenser_api.get_active_witnesses': (a) => [...a.view().schedule],
  'condenser_api.get_accounts': (a, args) => {
    const view = a.view();
    const names = arg(args, 0);
    const list = Array.isArray(names) ? names.slice(0, objectsPerCallMax) : [];
    return list
      .map((n) => view.witnesses.get(String(n)))
      .filter((w) => w !== undefined)
      .map(steemAccount);
  },
  'condenser_api.get_version': (a) => version(a.chain.profile),
  'database_api.get_version': (a) => version(a.chain.profile),
  'condenser_api.get_block_header': (a, args) => blockHeader(a.view(), arg(args, 0), (w) => w),
  'block_api.get_block_header': (a, args) => {
    const header = blockHeader(a.view(), field(args, 'block_num'), (w) => w);
    return header ? { header } : {};
  },
  'condenser_api.get_transaction_hex': (a, args) =>
    transactionHex(a.chain.profile, arg(args, 0), true),
  'condenser_api.broadcast_transaction': async (a, args) => {
    await broadcast(a, arg(args, 0), false);
    return {};
  },
  'network_broadcast_api.broadcast_transaction': async (a, args) => {
    await broadcast(a, field(args, 'trx'), false);
    return {};
  },
  'condenser_api.broadcast_transaction_synchronous': async (a, args) => {
    const result = await broadcast(a, arg(args, 0), true);
    return 'blockNum' in result
      ? { id: result.id, block_num: result.blockNum, trx_num: result.trxNum, expired: false }
      : { id: result.id };
  },
};

function version(profile: ChainProfile): Record<string, unknown> {
  return { blockchain_version: '1.27.0', fc_revision: 'simnet', chain_id: profile.chainId };
}

function bitsharesDgp(view: ChainView): Record<string, unknown> {
  const producer = view.witnesses.get(view.head.witness);
  return {
    id: '2.1.0',
    head_block_number: view.head.num,
    head_block_id: view.head.id,
    time: chainTime(view.head.timeMs),
    current_witness: producer ? witnessIdOf(producer) : '1.6.0',
    current_aslot: view.head.aslot,
    last_irreversible_block_num: view.lib,
    recently_missed_count: 0,
    dynamic_flags: 0,
  };
}

function bitsharesWitness(w: SimWitnessRecord): Record<string, unknown> {
  return {
    id: witnessIdOf(w),
    witness_account: accountIdOf(w),
    last_aslot: w.lastAslot,
    signing_key: w.signingKey,
    vote_id: `1:${w.index}`,
    total_votes: '0',
    url: w.url,
    total_missed: w.totalMissed,
    last_confirmed_block_num: w.lastConfirmedBlockNum,
  };
}

function bitsharesAccount(w: SimWitnessRecord): Record<string, unknown> {
  const authority = {
    weight_threshold: 1,
    account_auths: [],
    key_auths: [[w.activeKey, 1]],
    address_auths: [],
  };
  return { id: accountIdOf(w), name: w.account, owner: authority, active: authority };
}

function findBitshares(view: ChainView, key: unknown): SimWitnessRecord | undefined {
  const text = String(key);
  return [...view.witnesses.values()].find(
    (w) => w.account === text || witnessIdOf(w) === text || accountIdOf(w) === text,
  );
}

function bitsharesObject(view: ChainView, id: unknown): unknown {
  if (id === '2.1.0') return bitsharesDgp(view);
  if (id === '2.12.0') {
    const ids = view.schedule.map((name) => witnessIdOf(view.witnesses.get(name)!));
    return { id: '2.12.0', current_shuffled_witnesses: ids };
  }
  const w = findBitshares(view, id);
  if (!w || typeof id !== 'string') return null;
  return id.startsWith('1.6.')
    ? bitsharesWitness(w)
    : id.startsWith('1.2.')
      ? bitsharesAccount(w)
      : null;
}

function witnessIdName(view: ChainView): (name: string) => string {
  return (name) => {
    const w = view.witnesses.get(name);
    return w ? witnessIdOf(w) : '1.6.0';
  };
}

const bitsharesMethods: Record<string, Handler> = {
  get_chain_id: (a) => a.chain.profile.chainId,
  get_dynamic_global_properties: (a) => bitsharesDgp(a.view()),
  get_global_properties: (a) => ({
    id: '2.0.0',
    parameters: { block_interval: a.chain.profile.blockIntervalS, maintenance_skip_slots: 3 },
    active_witnesses: a.view().schedule.map((n) => witnessIdOf(a.view().witnesses.get(n)!)),
  }),
  get_witness_by_account: (a, args) => {
    const w = findBitshares(a.view(), arg(args, 0));
    return w ? bitsharesWitness(w) : null;
  },
  get_account_by_name: (a, args) => {
    const w = a.view().witnesses.get(String(arg(args, 0)));
    return w ? bitsharesAccount(w) : null;
  },
  get_objects: (a, args) => {
    const ids = arg(args, 0);
    if (!Array.isArray(ids) || ids.length > objectsPerCallMax) {
      throw new RpcFault(invalidParamsCode, 'get_objects expects a list of ids');
    }
    const view = a.view();
    return ids.map((id) => bitsharesObject(view, id));
  },
  get_required_fees: (a, args) => {
    const ops = arg(args, 0);
    if (!Array.isArray(ops) || ops.length > objectsPerCallMax) {
      throw new RpcFault(invalidParamsCode, 'get_required_fees expects a list of operations');
    }
    if (arg(args, 1) !== '1.3.0') throw new RpcFault(assertCode, 'fees are quoted in 1.3.0 only');
    return ops.map((op) => {
      const tag = Array.isArray(op) ? op[0] : undefined;
      const known = tag === a.chain.profile.opIds.witnessUpdate || tag === 'witness_update';
      if (!known) throw new RpcFault(assertCode, `no fee for operation ${String(tag)}`);
      return { amount: Number(a.chain.witnessUpdateFee), asset_id: '1.3.0' };
    });
  },
  get_block_header: (a, args) => blockHeader(a.view(), arg(args, 0), witnessIdName(a.view())),
  get_transaction_hex: (a, args) => transactionHex(a.chain.profile, arg(args, 0), true),
  get_transaction_hex_without_sig: (a, args) =>
    transactionHex(a.chain.profile, arg(args, 0), false),
  broadcast_transaction: async (a, args) => {
    await broadcast(a, arg(args, 0), false);
    return null;
  },
  broadcast_transaction_synchronous: async (a, args) => {
    const result = await broadcast(a, arg(args, 0), true);
    return 'blockNum' in result
      ? { id: result.id, block_num: result.blockNum, trx_num: result.trxNum, trx: arg(args, 0) }
      : { id: result.id };
  },
};
