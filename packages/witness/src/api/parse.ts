// Defensive readers for API node answers (zod): every field the guard relies on is checked, numbers
// that Graphene may send as strings (64-bit) are read exactly, and anything else is a
// ChainResponseError naming what was wrong.
import { z } from 'zod';
import type { ChainFamily } from '../graphene/index.js';
import { ChainResponseError } from './errors.js';
import type { HeadState, WitnessState } from './types.js';

/** Longest list of scheduled witnesses accepted (Graphene chains schedule 21 to ~100). */
export const scheduleLengthMax = 1001;
/** Longest string field accepted from a node (urls are ≤ 2048 on Hive). */
export const fieldCharsMax = 4096;

const text = z.string().max(fieldCharsMax);
/** Graphene's 64-bit integers arrive as JSON numbers or as decimal strings. */
const count = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)])
  .transform((value, ctx) => {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isSafeInteger(n)) {
      ctx.addIssue({ code: 'custom', message: 'integer above 2^53' });
      return z.NEVER;
    }
    return n;
  });
const blockId = z.string().regex(/^[0-9a-f]{40}$/);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
/** Graphene prints times as `2026-01-02T03:04:05` (UTC, no zone). */
const chainTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z?$/)
  .transform((value, ctx) => {
    const date = new Date(value.endsWith('Z') ? value : `${value}Z`);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'not a date' });
      return z.NEVER;
    }
    return date;
  });
const accountName = z.string().min(1).max(64);
const objectId = (space: string) =>
  z.string().regex(new RegExp(`^${space.replace('.', '\\.')}\\.\\d{1,15}$`));
const publicKeyText = z.string().regex(/^[A-Za-z]{1,16}[1-9A-HJ-NP-Za-km-z]{40,70}$/);

function read<T>(what: string, schema: z.ZodType<T>, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'answer';
  throw new ChainResponseError(what, `${where}: ${issue?.message ?? 'bad shape'}`);
}

const envelope = z.object({
  jsonrpc: z.literal('2.0').optional(),
  id: z.union([z.number(), z.string(), z.null()]).optional(),
  result: z.unknown().optional(),
  error: z
    .object({
      code: z.number().int(),
      message: z.string().max(64 * 1024),
      data: z.unknown().optional(),
    })
    .optional(),
});

export type RpcEnvelope = {
  result: unknown;
  error?: { code: number; message: string };
};

/** A JSON-RPC answer: exactly one of `result` (may be null) or `error`. */
export function parseRpcEnvelope(method: string, json: unknown): RpcEnvelope {
  const value = read(method, envelope, json);
  if (value.error !== undefined) {
    return { result: undefined, error: { code: value.error.code, message: value.error.message } };
  }
  if (typeof json !== 'object' || json === null || !('result' in json)) {
    throw new ChainResponseError(method, 'neither result nor error');
  }
  return { result: value.result };
}

const dgp = z.object({
  head_block_number: count,
  head_block_id: blockId,
  time: chainTime,
  current_witness: text,
  current_aslot: count,
  last_irreversible_block_num: count,
});

/** Dynamic global properties; BitShares' `currentWitness` is still a witness id ("1.6.x"). */
export function parseHead(json: unknown): HeadState {
  const value = read('dynamic global properties', dgp, json);
  return {
    headBlockNumber: value.head_block_number,
    headBlockId: value.head_block_id,
    time: value.time,
    currentWitness: value.current_witness,
    currentAslot: value.current_aslot,
    lastIrreversibleBlockNumber: value.last_irreversible_block_num,
  };
}

const steemWitness = z.looseObject({
  id: z.union([count, text]),
  owner: accountName,
  url: text,
  signing_key: publicKeyText,
  total_missed: count,
  last_confirmed_block_num: count,
  last_aslot: count,
});

const bitsharesWitness = z.looseObject({
  id: objectId('1.6'),
  witness_account: objectId('1.2'),
  url: text,
  signing_key: publicKeyText,
  total_missed: count,
  last_confirmed_block_num: count,
  last_aslot: count,
});

/** A witness object or null (not a witness). `account` names it on BitShares. */
export function parseWitness(
  family: ChainFamily,
  account: string,
  json: unknown,
): WitnessState | undefined {
  if (json === null) return undefined;
  if (family === 'steem') {
    const w = read('witness', steemWitness, json);
    if (w.owner !== account) throw new ChainResponseError('witness', `owner is ${w.owner}`);
    return {
      account: w.owner,
      id: String(w.id),
      signingKey: w.signing_key,
      totalMissed: w.total_missed,
      lastConfirmedBlockNum: w.last_confirmed_block_num,
      lastAslot: w.last_aslot,
      url: w.url,
      raw: w,
    };
  }
  const w = read('witness', bitsharesWitness, json);
  return {
    account,
    id: w.id,
    witnessAccountId: w.witness_account,
    signingKey: w.signing_key,
    totalMissed: w.total_missed,
    lastConfirmedBlockNum: w.last_confirmed_block_num,
    lastAslot: w.last_aslot,
    url: w.url,
    raw: w,
  };
}

const shuffled = z.array(text).min(1).max(scheduleLengthMax);

/** Steem family: the schedule object; BitShares: the answer of get_objects(['2.12.0']). */
export function parseSchedule(family: ChainFamily, json: unknown): string[] {
  if (family === 'steem') {
    return read('witness schedule', z.object({ current_shuffled_witnesses: shuffled }), json)
      .current_shuffled_witnesses;
  }
  const objects = read(
    'witness schedule',
    z.tuple([
      z.object({
        current_shuffled_witnesses: z.array(objectId('1.6')).min(1).max(scheduleLengthMax),
      }),
    ]),
    json,
  );
  return objects[0].current_shuffled_witnesses;
}

/** Steem family: get_version's `chain_id`; BitShares: get_chain_id's string. */
export function parseChainId(family: ChainFamily, json: unknown): string {
  if (family === 'steem') return read('version', z.object({ chain_id: hex64 }), json).chain_id;
  return read('chain id', hex64, json);
}

const fee = z.object({
  amount: z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]),
  asset_id: objectId('1.3'),
});

/** get_required_fees for one operation: the first entry. */
export function parseRequiredFee(json: unknown): { amount: string; asset_id: string } {
  const fees = read('required fees', z.array(fee).min(1).max(16), json);
  const first = fees[0]!;
  return { amount: String(first.amount), asset_id: first.asset_id };
}

const broadcastResult = z.union([
  z.looseObject({ id: z.string().regex(/^[0-9a-f]{40}$/), block_num: count.optional() }),
  z.looseObject({}),
  z.null(),
]);

/** A synchronous broadcast's `{id, block_num}`; an asynchronous one answers `{}` or null. */
export function parseBroadcastResult(json: unknown): { id?: string; blockNum?: number } {
  const value = read('broadcast result', broadcastResult, json);
  if (value === null || typeof value.id !== 'string') return {};
  const blockNum = value.block_num;
  return typeof blockNum === 'number' ? { id: value.id, blockNum } : { id: value.id };
}

const namedObjects = z
  .array(
    z.union([
      z.null(),
      z.looseObject({ id: objectId('1.6'), witness_account: objectId('1.2') }),
      z.looseObject({ id: objectId('1.2'), name: accountName }),
    ]),
  )
  .max(scheduleLengthMax);

/** get_objects answers for witness ids (→ account ids) and account ids (→ names). */
export function parseObjectLinks(json: unknown): Map<string, string> {
  const links = new Map<string, string>();
  for (const object of read('objects', namedObjects, json)) {
    if (object === null) continue;
    const target = 'witness_account' in object ? object.witness_account : object.name;
    if (typeof target === 'string') links.set(object.id, target);
  }
  return links;
}
