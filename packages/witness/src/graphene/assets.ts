// Assets and object ids on the wire: Steem-family legacy assets ("10.000 HIVE" -> int64 amount,
// u8 precision, 7-byte symbol; Hive's HIVE/HBD travel as STEEM/SBD) and BitShares assets
// ({ amount, asset_id: "1.3.0" }) and object ids ("1.6.63" -> varint instance).
import { InvalidValueError } from '@cryptoassets/core';
import type { ChainProfile } from '../profiles.js';
import { ByteWriter } from './bytes.js';

export const assetTextLengthMax = 48;
export const assetPrecisionMax = 18;
const symbolBytes = 7;
const int64Max = 2n ** 63n - 1n;
const objectInstanceMax = 0xffff_ffff;

/** Legacy symbols Hive still serializes under their Steem names. */
const legacyWireSymbols: Readonly<Record<string, string>> = { HIVE: 'STEEM', HBD: 'SBD' };

export type LegacyAsset = { amount: bigint; precision: number; symbol: string };

/** Parses "10.000 HIVE"; precision is the number of decimals written. */
export function parseLegacyAsset(text: unknown, field = 'asset'): LegacyAsset {
  if (typeof text !== 'string' || text.length > assetTextLengthMax) {
    throw new InvalidValueError(field, 'expected an asset string such as "1.000 HIVE"');
  }
  const match = /^(-?)([0-9]{1,19})(?:\.([0-9]{1,18}))? ([A-Z][A-Z0-9]{0,6})$/.exec(text);
  if (!match) throw new InvalidValueError(field, 'expected an asset string such as "1.000 HIVE"');
  const [, sign = '', whole = '', fraction = '', symbol = ''] = match;
  const magnitude = BigInt(whole + fraction);
  if (magnitude > int64Max) throw new InvalidValueError(field, 'amount outside the 64-bit range');
  return { amount: sign === '-' ? -magnitude : magnitude, precision: fraction.length, symbol };
}

/** Formats a legacy asset back to its JSON string. */
export function formatLegacyAsset(asset: LegacyAsset): string {
  const negative = asset.amount < 0n;
  const digits = (negative ? -asset.amount : asset.amount)
    .toString()
    .padStart(asset.precision + 1, '0');
  const whole = digits.slice(0, digits.length - asset.precision);
  const fraction = asset.precision > 0 ? `.${digits.slice(digits.length - asset.precision)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction} ${asset.symbol}`;
}

/** The symbol as serialized on a chain (Hive's HIVE -> STEEM, a profile's core symbol -> wire). */
export function wireSymbolOf(symbol: string, profile?: ChainProfile): string {
  if (profile && symbol === profile.coreSymbol) return profile.wireSymbol;
  return legacyWireSymbols[symbol] ?? symbol;
}

/** Writes a legacy asset string: int64 amount, u8 precision, 7-byte NUL-padded symbol. */
export function writeLegacyAsset(
  writer: ByteWriter,
  text: unknown,
  field: string,
  profile?: ChainProfile,
): void {
  const asset = parseLegacyAsset(text, field);
  const symbol = new TextEncoder().encode(wireSymbolOf(asset.symbol, profile));
  const padded = new Uint8Array(symbolBytes);
  padded.set(symbol);
  writer.i64(asset.amount, field).u8(asset.precision, field).raw(padded);
}

/** The wire bytes of a legacy asset string. */
export function serializeLegacyAsset(text: string, profile?: ChainProfile): Uint8Array {
  const writer = new ByteWriter();
  writeLegacyAsset(writer, text, 'asset', profile);
  return writer.finish();
}

/** Parses a Graphene object id "space.type.instance" of the expected space and type. */
export function parseObjectId(text: unknown, field: string, spaceType: string): number {
  const pattern = /^([0-9]{1,3}\.[0-9]{1,3})\.(0|[1-9][0-9]{0,9})$/;
  const match = typeof text === 'string' ? pattern.exec(text) : null;
  const instance = Number(match?.[2] ?? Number.NaN);
  if (!match || match[1] !== spaceType || !(instance <= objectInstanceMax)) {
    throw new InvalidValueError(field, `expected an object id ${spaceType}.N`);
  }
  return instance;
}

/** Writes a BitShares asset { amount: int64, asset_id: varint instance of 1.3.x }. */
export function writeBitsharesAsset(writer: ByteWriter, value: unknown, field: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidValueError(field, 'expected { amount, asset_id }');
  }
  const record = value as Record<string, unknown>;
  const amount = parseInteger(record.amount, `${field}.amount`);
  writer.i64(amount, `${field}.amount`);
  writer.varint32(parseObjectId(record.asset_id, `${field}.asset_id`, '1.3'), `${field}.asset_id`);
}

/** An integer given as bigint, safe-integer number or decimal string. */
export function parseInteger(value: unknown, field: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?[0-9]{1,19}$/.test(value)) return BigInt(value);
  throw new InvalidValueError(field, 'expected an integer');
}
