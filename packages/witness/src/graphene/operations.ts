// Operations the guard sends, for both wire families: JSON builders (witness_update,
// witness_set_properties) and their validated serializers. Inputs are bounded and every error
// names the field.
import { InvalidValueError } from '@cryptoassets/core';
import type { ChainProfile } from '../profiles.js';
import { parseInteger, parseObjectId, writeBitsharesAsset, writeLegacyAsset } from './assets.js';
import { ByteWriter, fromHex, toHex } from './bytes.js';
import { formatPublicKey, isNullKey, parsePublicKey } from './keys.js';

export type Operation = readonly [string, Record<string, unknown>];

/** A Steem-family witness as condenser_api.get_witness_by_account returns it. */
export type SteemWitness = {
  owner: string;
  url: string;
  signing_key: string;
  props: Record<string, unknown>;
};
/** A BitShares witness object as database_api.get_witness_by_account returns it. */
export type BitsharesWitness = {
  id: string;
  witness_account: string;
  url: string;
  signing_key: string;
};

export const urlBytesMax = 2048;
export const accountNameLengthMax = 16;
export const setPropertiesCountMax = 16;
export const propValueBytesMax = 4096;
export const permlinkBytesMax = 256;
const voteOpId = 0;

/** The witness_update that moves a witness to `newKey` (the null key disables it). */
export function witnessUpdateOp(
  profile: ChainProfile,
  witness: SteemWitness | BitsharesWitness,
  newKey: string,
  fee?: { amount: bigint | string | number; asset_id: string },
): Operation {
  parsePublicKey(newKey, profile.prefix);
  const op: Operation =
    profile.family === 'bitshares'
      ? bitsharesWitnessUpdate(profile, witness as BitsharesWitness, newKey, fee)
      : steemWitnessUpdate(profile, witness as SteemWitness, newKey);
  serializeOperation(profile, op, new ByteWriter());
  return op;
}

function bitsharesWitnessUpdate(
  profile: ChainProfile,
  witness: BitsharesWitness,
  newKey: string,
  fee: { amount: bigint | string | number; asset_id: string } | undefined,
): Operation {
  const amount = parseInteger(fee?.amount ?? 0, 'fee.amount');
  const jsonAmount = amount <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(amount) : amount.toString();
  return [
    'witness_update',
    {
      fee: { amount: jsonAmount, asset_id: fee?.asset_id ?? profile.coreSymbol },
      witness: witness.id,
      witness_account: witness.witness_account,
      new_signing_key: newKey,
    },
  ];
}

function steemWitnessUpdate(
  profile: ChainProfile,
  witness: SteemWitness,
  newKey: string,
): Operation {
  const zero = `${(0).toFixed(profile.precision)} ${profile.coreSymbol}`;
  return [
    'witness_update',
    {
      owner: witness.owner,
      url: witness.url,
      block_signing_key: newKey,
      props: legacyPropsOf(profile, witness.props),
      fee: zero,
    },
  ];
}

/** The props a chain's `legacy_chain_properties` carries, taken from the witness read on chain. */
function legacyPropsOf(profile: ChainProfile, props: unknown): Record<string, unknown> {
  const record = checkRecord(props, 'props');
  const base = {
    account_creation_fee: record.account_creation_fee,
    maximum_block_size: record.maximum_block_size,
  };
  if (profile.legacyProps === 'steem') {
    return { ...base, sbd_interest_rate: record.sbd_interest_rate ?? record.hbd_interest_rate };
  }
  if (profile.legacyProps === 'hive') {
    return { ...base, hbd_interest_rate: record.hbd_interest_rate ?? record.sbd_interest_rate };
  }
  return base;
}

/** witness_set_properties changing the signing key, signed by the current key (compare-and-set). */
export function setPropertiesOp(
  profile: ChainProfile,
  args: { owner: string; currentKey: string; newKey: string },
): Operation {
  if (isNullKey(args.currentKey)) {
    throw new InvalidValueError(
      'currentKey',
      'the witness is disabled (null key): re-enable it with witness_update and the active key',
    );
  }
  return buildWitnessSetProperties(profile, args.owner, {
    key: args.currentKey,
    new_signing_key: args.newKey,
  });
}

/** witness_set_properties from plain values: packs each prop and sorts keys by byte order. */
export function buildWitnessSetProperties(
  profile: ChainProfile,
  owner: string,
  props: Record<string, unknown>,
): Operation {
  checkSetPropertiesSupported(profile);
  const entries = Object.entries(checkRecord(props, 'props'));
  if (entries.length > setPropertiesCountMax) {
    throw new InvalidValueError('props', `more than ${setPropertiesCountMax} properties`);
  }
  const packed = entries.map(([name, value]): [string, string] => [
    name,
    toHex(packProp(profile, name, value)),
  ]);
  packed.sort(([a], [b]) => compareBytes(a, b));
  const op: Operation = ['witness_set_properties', { owner, props: packed, extensions: [] }];
  serializeOperation(profile, op, new ByteWriter());
  return op;
}

function packProp(profile: ChainProfile, name: string, value: unknown): Uint8Array {
  const field = `props.${name}`;
  const writer = new ByteWriter();
  switch (name) {
    case 'key':
    case 'new_signing_key':
      return parsePublicKey(value as string, profile.prefix);
    case 'account_creation_fee':
    case 'operation_flat_fee':
    case 'bandwidth_kbytes_fee':
      writeLegacyAsset(writer, value, field, profile);
      break;
    case 'maximum_block_size':
    case 'account_subsidy_decay':
      writer.u32(value as number, field);
      break;
    case 'sbd_interest_rate':
    case 'hbd_interest_rate':
      writer.u16(value as number, field);
      break;
    case 'account_subsidy_budget':
      writer.i32(value as number, field);
      break;
    case 'url':
      writer.string(checkUrl(value, field), field);
      break;
    default:
      throw new InvalidValueError(field, 'unsupported witness property');
  }
  return writer.finish();
}

/** Which authority an operation needs: the owner's active authority or a specific key. */
export function requiredSigners(profile: ChainProfile, op: Operation): 'active' | { key: string } {
  const name = operationName(profile, op);
  if (name === 'witness_update') return 'active';
  if (name === 'witness_set_properties') {
    const props = checkProps(op[1].props);
    const key = props.find(([prop]) => prop === 'key');
    if (!key) throw new InvalidValueError('props', "missing the 'key' property");
    return { key: formatPublicKey(fromHex(key[1], 'props.key', 33), profile.prefix) };
  }
  throw new InvalidValueError('operation', `no known authority for ${name}`);
}

/** Resolves an operation's name, accepting the numeric id as well. */
function operationName(profile: ChainProfile, op: unknown): string {
  if (!Array.isArray(op) || op.length !== 2) {
    throw new InvalidValueError('operation', 'expected [name, body]');
  }
  const [tag] = op as unknown[];
  const { witnessUpdate, witnessSetProperties } = profile.opIds;
  if (tag === 'witness_update' || tag === witnessUpdate) return 'witness_update';
  if (witnessSetProperties !== null) {
    if (tag === 'witness_set_properties' || tag === witnessSetProperties) {
      return 'witness_set_properties';
    }
  }
  if (profile.family === 'steem' && (tag === 'vote' || tag === voteOpId)) return 'vote';
  throw new InvalidValueError('operation', `unsupported operation on ${profile.name}`);
}

/** Writes one operation: varint id, then its fields. */
export function serializeOperation(profile: ChainProfile, op: unknown, writer: ByteWriter): void {
  const name = operationName(profile, op);
  const body = checkRecord((op as unknown[])[1], 'operation body');
  if (name === 'witness_update') {
    writer.varint32(profile.opIds.witnessUpdate, 'operation');
    if (profile.family === 'bitshares') writeBitsharesWitnessUpdate(profile, body, writer);
    else writeSteemWitnessUpdate(profile, body, writer);
  } else if (name === 'witness_set_properties') {
    writer.varint32(profile.opIds.witnessSetProperties ?? 0, 'operation');
    writeSetProperties(body, writer);
  } else {
    writer.varint32(voteOpId, 'operation');
    writeVote(body, writer);
  }
}

function writeBitsharesWitnessUpdate(
  profile: ChainProfile,
  body: Record<string, unknown>,
  writer: ByteWriter,
): void {
  checkKeys(body, ['fee', 'witness', 'witness_account', 'new_url', 'new_signing_key']);
  const fee = checkRecord(body.fee, 'fee');
  if (parseInteger(fee.amount, 'fee.amount') < 0n) {
    throw new InvalidValueError('fee.amount', 'must not be negative');
  }
  writeBitsharesAsset(writer, fee, 'fee');
  writer.varint32(parseObjectId(body.witness, 'witness', '1.6'), 'witness');
  writer.varint32(parseObjectId(body.witness_account, 'witness_account', '1.2'), 'witness_account');
  writeOptional(writer, body.new_url, 'new_url', (value) =>
    writer.string(checkUrl(value, 'new_url'), 'new_url'),
  );
  writeOptional(writer, body.new_signing_key, 'new_signing_key', (value) =>
    writer.raw(parsePublicKey(value as string, profile.prefix)),
  );
}

function writeSteemWitnessUpdate(
  profile: ChainProfile,
  body: Record<string, unknown>,
  writer: ByteWriter,
): void {
  checkKeys(body, ['owner', 'url', 'block_signing_key', 'props', 'fee']);
  writer.string(checkAccount(body.owner, 'owner'), 'owner');
  writer.string(checkUrl(body.url, 'url'), 'url');
  writer.raw(parsePublicKey(body.block_signing_key as string, profile.prefix));
  writeLegacyProps(profile, checkRecord(body.props, 'props'), writer);
  checkNonNegativeAsset(body.fee, 'fee');
  writeLegacyAsset(writer, body.fee, 'fee', profile);
}

function writeLegacyProps(
  profile: ChainProfile,
  props: Record<string, unknown>,
  writer: ByteWriter,
): void {
  const rate = profile.legacyProps === 'hive' ? 'hbd_interest_rate' : 'sbd_interest_rate';
  const withRate = profile.legacyProps === 'steem' || profile.legacyProps === 'hive';
  checkKeys(
    props,
    withRate
      ? ['account_creation_fee', 'maximum_block_size', rate]
      : ['account_creation_fee', 'maximum_block_size'],
  );
  checkNonNegativeAsset(props.account_creation_fee, 'props.account_creation_fee');
  writeLegacyAsset(writer, props.account_creation_fee, 'props.account_creation_fee', profile);
  writer.u32(props.maximum_block_size as number, 'props.maximum_block_size');
  if (withRate) writer.u16(props[rate] as number, `props.${rate}`);
}

function writeSetProperties(body: Record<string, unknown>, writer: ByteWriter): void {
  checkKeys(body, ['owner', 'props', 'extensions']);
  writer.string(checkAccount(body.owner, 'owner'), 'owner');
  const props = checkProps(body.props);
  writer.varint32(props.length, 'props');
  for (const [name, value] of props) {
    writer.string(name, 'props');
    writer.bytes(fromHex(value, `props.${name}`, propValueBytesMax), `props.${name}`);
  }
  checkEmptyExtensions(body.extensions);
  writer.varint32(0, 'extensions');
}

function writeVote(body: Record<string, unknown>, writer: ByteWriter): void {
  checkKeys(body, ['voter', 'author', 'permlink', 'weight']);
  writer.string(checkAccount(body.voter, 'voter'), 'voter');
  writer.string(checkAccount(body.author, 'author'), 'author');
  writer.string(checkText(body.permlink, 'permlink', permlinkBytesMax), 'permlink');
  const weight = body.weight;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || Math.abs(weight) > 10_000) {
    throw new InvalidValueError('weight', 'expected an integer from -10000 to 10000');
  }
  writer.raw(Uint8Array.of(weight & 0xff, (weight >> 8) & 0xff));
}

/** Validated flat_map<string, hex>: at most 16 entries, unique keys in byte order. */
function checkProps(value: unknown): Array<[string, string]> {
  if (!Array.isArray(value) || value.length > setPropertiesCountMax) {
    throw new InvalidValueError(
      'props',
      `expected at most ${setPropertiesCountMax} [name, hex] pairs`,
    );
  }
  const pairs = value.map((pair): [string, string] => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') {
      throw new InvalidValueError('props', 'expected [name, hex] pairs');
    }
    return [checkText(pair[0], 'props name', 64), pair[1]];
  });
  for (let i = 1; i < pairs.length; i++) {
    if (compareBytes(pairs[i - 1]?.[0] ?? '', pairs[i]?.[0] ?? '') >= 0) {
      throw new InvalidValueError('props', 'names must be unique and sorted by byte order');
    }
  }
  return pairs;
}

function checkSetPropertiesSupported(profile: ChainProfile): void {
  if (profile.opIds.witnessSetProperties === null) {
    throw new InvalidValueError('operation', `${profile.name} has no witness_set_properties`);
  }
}

function writeOptional(
  writer: ByteWriter,
  value: unknown,
  field: string,
  write: (value: unknown) => void,
): void {
  if (value === undefined || value === null) {
    writer.u8(0, field);
    return;
  }
  writer.u8(1, field);
  write(value);
}

function checkNonNegativeAsset(value: unknown, field: string): void {
  if (typeof value === 'string' && value.startsWith('-')) {
    throw new InvalidValueError(field, 'must not be negative');
  }
}

export function checkEmptyExtensions(value: unknown): void {
  if (!Array.isArray(value) || value.length !== 0) {
    throw new InvalidValueError('extensions', 'expected an empty array');
  }
}

function checkAccount(value: unknown, field: string): string {
  const pattern = new RegExp(`^[a-z][a-z0-9.-]{2,${accountNameLengthMax - 1}}$`);
  if (typeof value === 'string' && pattern.test(value)) return value;
  throw new InvalidValueError(
    field,
    `expected an account name of 3 to ${accountNameLengthMax} characters`,
  );
}

function checkUrl(value: unknown, field: string): string {
  return checkText(value, field, urlBytesMax);
}

function checkText(value: unknown, field: string, bytesMax: number): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidValueError(field, 'expected a non-empty string');
  }
  const encoded = Buffer.from(value, 'utf8');
  if (encoded.length > bytesMax || encoded.toString('utf8') !== value) {
    throw new InvalidValueError(field, `expected well-formed text of at most ${bytesMax} bytes`);
  }
  return value;
}

function checkRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidValueError(field, 'expected an object');
  }
  return value as Record<string, unknown>;
}

function checkKeys(record: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) throw new InvalidValueError(key, 'unexpected field');
  }
}

/** Byte-order comparison of the UTF-8 encodings (what flat_map<string, ...> sorts by). */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
