// What a Graphene node checks before it accepts a witness transaction, and how the operation then
// changes the witness: serialization (re-serialized from the JSON), expiration, TaPoS, duplicate
// ids, signatures recovered and matched against the required authority (the owner's active key,
// or the current signing key for witness_set_properties), unnecessary signatures, fees.
import {
  type ChainProfile,
  formatLegacyAsset,
  formatPublicKey,
  fromHex,
  isNullKey,
  parseExpiration,
  parsePublicKey,
  recoverSigners,
  type SignedTransaction,
  transactionId,
} from '../graphene/index.js';

/** Graphene's HIVE_MAX_TIME_UNTIL_EXPIRATION / GRAPHENE_MAX_TIME_UNTIL_EXPIRATION default. */
export const expirationAheadMsMax = 3_600_000;

/** A witness as the simnet keeps it. */
export type SimWitnessRecord = {
  readonly account: string;
  /** 0-based position at genesis: BitShares ids 1.6.(n+1) and 1.2.(n+100). */
  readonly index: number;
  readonly activeKey: string;
  signingKey: string;
  url: string;
  props: Record<string, unknown>;
  totalMissed: number;
  lastAslot: number;
  lastConfirmedBlockNum: number;
  balance: bigint;
};

/** The node's refusal, worded like the node would word it. */
export class TxRejected extends Error {
  override name = 'TxRejected';
}

export type TxContext = {
  readonly profile: ChainProfile;
  readonly headTimeMs: number;
  /** ref_block_prefix of the recent block whose number ends in `refBlockNum`, if kept. */
  readonly refBlockPrefix: (refBlockNum: number) => number | undefined;
  readonly isKnown: (id: string) => boolean;
  /** BitShares witness_update fee (minor units of 1.3.0). */
  readonly witnessUpdateFee: bigint;
};

export type CheckedTx = {
  readonly id: string;
  readonly tx: SignedTransaction;
  readonly expirationMs: number;
  readonly operations: readonly string[];
};

export function witnessIdOf(record: SimWitnessRecord): string {
  return `1.6.${record.index + 1}`;
}

export function accountIdOf(record: SimWitnessRecord): string {
  return `1.2.${record.index + 100}`;
}

/** Copies of the records, so a pending state can be computed without touching the chain. */
export function cloneWitnesses(
  witnesses: ReadonlyMap<string, SimWitnessRecord>,
): Map<string, SimWitnessRecord> {
  return new Map([...witnesses].map(([name, w]) => [name, { ...w, props: { ...w.props } }]));
}

/** Checks `raw` as a node would and applies it to `witnesses` (pass a clone to only check). */
export function checkAndApply(
  ctx: TxContext,
  raw: unknown,
  witnesses: Map<string, SimWitnessRecord>,
): CheckedTx {
  const tx = raw as SignedTransaction;
  const id = guarded('invalid transaction', () => transactionId(ctx.profile, tx));
  if (ctx.isKnown(id)) throw new TxRejected(`Duplicate transaction check failed: ${id}`);
  const expirationMs = parseExpiration(tx.expiration) * 1000;
  checkExpiration(ctx, expirationMs);
  checkTapos(ctx, tx);
  const signers = guarded('invalid signature', () => recoverSigners(ctx.profile, tx));
  if (new Set(signers).size !== signers.length)
    throw new TxRejected('duplicate signature included');
  const used = new Set<string>();
  const operations = tx.operations.map((op) => applyOperation(ctx, op, witnesses, signers, used));
  const unused = signers.filter((key) => !used.has(key));
  if (unused.length > 0) {
    throw new TxRejected(`Unnecessary signature(s) detected: ${unused.join(', ')}`);
  }
  return { id, tx, expirationMs, operations };
}

function checkExpiration(ctx: TxContext, expirationMs: number): void {
  if (expirationMs <= ctx.headTimeMs) {
    throw new TxRejected(
      `transaction expired: expiration ${isoSeconds(expirationMs)} <= head time ${isoSeconds(ctx.headTimeMs)}`,
    );
  }
  if (expirationMs > ctx.headTimeMs + expirationAheadMsMax) {
    throw new TxRejected('transaction expiration is more than 3600 s after the head block time');
  }
}

function checkTapos(ctx: TxContext, tx: SignedTransaction): void {
  const prefix = ctx.refBlockPrefix(tx.ref_block_num);
  if (prefix === undefined || prefix !== tx.ref_block_prefix) {
    throw new TxRejected(
      `TaPoS check failed: ref_block_num ${tx.ref_block_num} / ref_block_prefix ${tx.ref_block_prefix} is not a recent block`,
    );
  }
}

function applyOperation(
  ctx: TxContext,
  op: readonly [unknown, Record<string, unknown>],
  witnesses: Map<string, SimWitnessRecord>,
  signers: readonly string[],
  used: Set<string>,
): string {
  const [tag, body] = op;
  const { witnessUpdate, witnessSetProperties } = ctx.profile.opIds;
  if (tag === 'witness_update' || tag === witnessUpdate) {
    if (ctx.profile.family === 'bitshares') bitsharesUpdate(ctx, body, witnesses, signers, used);
    else steemUpdate(ctx, body, witnesses, signers, used);
    return 'witness_update';
  }
  if (
    witnessSetProperties !== null &&
    (tag === 'witness_set_properties' || tag === witnessSetProperties)
  ) {
    setProperties(ctx, body, witnesses, signers, used);
    return 'witness_set_properties';
  }
  throw new TxRejected(`operation ${String(tag)} is not supported by this node`);
}

function requireKey(
  key: string,
  what: string,
  signers: readonly string[],
  used: Set<string>,
): void {
  if (!signers.includes(key)) throw new TxRejected(`${what}: no signature by ${key}`);
  used.add(key);
}

function steemUpdate(
  ctx: TxContext,
  body: Record<string, unknown>,
  witnesses: Map<string, SimWitnessRecord>,
  signers: readonly string[],
  used: Set<string>,
): void {
  const witness = witnessNamed(witnesses, body.owner);
  requireKey(witness.activeKey, `Missing Active Authority ${witness.account}`, signers, used);
  witness.url = String(body.url);
  witness.signingKey = normalizeKey(ctx, String(body.block_signing_key));
  witness.props = { ...witness.props, ...(body.props as Record<string, unknown>) };
}

function bitsharesUpdate(
  ctx: TxContext,
  body: Record<string, unknown>,
  witnesses: Map<string, SimWitnessRecord>,
  signers: readonly string[],
  used: Set<string>,
): void {
  const witness = [...witnesses.values()].find((w) => witnessIdOf(w) === body.witness);
  if (!witness) throw new TxRejected(`unknown witness ${String(body.witness)}`);
  if (accountIdOf(witness) !== body.witness_account) {
    throw new TxRejected('witness_account is not the account of the witness');
  }
  requireKey(witness.activeKey, `Missing Active Authority ${accountIdOf(witness)}`, signers, used);
  const fee = body.fee as { amount: unknown; asset_id: unknown };
  const amount = BigInt(String(fee.amount));
  if (fee.asset_id !== '1.3.0' || amount < ctx.witnessUpdateFee) {
    throw new TxRejected(
      `Insufficient Fee Paid: ${String(fee.amount)} ${String(fee.asset_id)} < ${ctx.witnessUpdateFee} 1.3.0`,
    );
  }
  if (witness.balance < amount) throw new TxRejected('Insufficient Balance for the fee');
  witness.balance -= amount;
  if (typeof body.new_url === 'string') witness.url = body.new_url;
  if (typeof body.new_signing_key === 'string') {
    witness.signingKey = normalizeKey(ctx, body.new_signing_key);
  }
}

function setProperties(
  ctx: TxContext,
  body: Record<string, unknown>,
  witnesses: Map<string, SimWitnessRecord>,
  signers: readonly string[],
  used: Set<string>,
): void {
  const witness = witnessNamed(witnesses, body.owner);
  const props = new Map(body.props as Array<[string, string]>);
  const keyHex = props.get('key');
  if (keyHex === undefined) throw new TxRejected("Missing Authority: no 'key' property");
  const key = formatPublicKey(fromHex(keyHex, 'props.key', 33), ctx.profile.prefix);
  requireKey(key, 'Missing Authority', signers, used);
  if (key !== witness.signingKey) {
    throw new TxRejected("'key' does not match witness signing key");
  }
  for (const [name, hex] of props) applyProperty(ctx, witness, name, fromHex(hex, name, 4096));
}

function applyProperty(
  ctx: TxContext,
  witness: SimWitnessRecord,
  name: string,
  bytes: Uint8Array,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (name) {
    case 'new_signing_key':
      witness.signingKey = formatPublicKey(bytes, ctx.profile.prefix);
      return;
    case 'url':
      witness.url = readString(bytes);
      return;
    case 'maximum_block_size':
      witness.props = { ...witness.props, maximum_block_size: view.getUint32(0, true) };
      return;
    case 'hbd_interest_rate':
    case 'sbd_interest_rate':
      witness.props = { ...witness.props, [name]: view.getUint16(0, true) };
      return;
    case 'account_creation_fee':
      witness.props = { ...witness.props, account_creation_fee: readAsset(ctx.profile, bytes) };
      return;
    default:
      return;
  }
}

/** A varint-prefixed UTF-8 string (lengths below 2^14 suffice for urls). */
function readString(bytes: Uint8Array): string {
  let length = 0;
  let offset = 0;
  for (let shift = 0; offset < Math.min(bytes.length, 5); shift += 7) {
    const byte = bytes[offset++] ?? 0;
    length |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  if (offset + length !== bytes.length) throw new TxRejected('url: bad string encoding');
  return Buffer.from(bytes.subarray(offset)).toString('utf8');
}

function readAsset(profile: ChainProfile, bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new TxRejected('account_creation_fee: expected 16 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wire = Buffer.from(bytes.subarray(9)).toString('latin1').replace(/\0+$/, '');
  const symbol = wire === profile.wireSymbol ? profile.coreSymbol : wire;
  return formatLegacyAsset({
    amount: view.getBigInt64(0, true),
    precision: view.getUint8(8),
    symbol,
  });
}

function witnessNamed(witnesses: Map<string, SimWitnessRecord>, owner: unknown): SimWitnessRecord {
  const witness = typeof owner === 'string' ? witnesses.get(owner) : undefined;
  if (!witness) throw new TxRejected(`${String(owner)} is not a witness on this chain`);
  return witness;
}

function normalizeKey(ctx: TxContext, text: string): string {
  return formatPublicKey(parsePublicKey(text, ctx.profile.prefix), ctx.profile.prefix);
}

function guarded<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new TxRejected(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** True for a witness that cannot produce (signing key is the null key). */
export function isDisabled(witness: SimWitnessRecord): boolean {
  return isNullKey(witness.signingKey);
}
