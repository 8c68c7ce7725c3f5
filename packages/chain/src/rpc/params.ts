// Reading RPC parameters the way bitcoind does: positional or named, typed, with its messages
// and codes (-3 wrong type, -8 bad value), amounts as exact decimals.
import { amountMinorMax, InvalidValueError, parseAmount } from '@cryptoassets/core';
import { invalidParameter, RpcError, rpcErrorCodes, typeError } from './errors.js';
import { JsonDecimal, type JsonIn, rpcAmountDecimals } from './json.js';

/** Most blocks one generatetoaddress call may mine. */
export const generateBlocksMax = 1_000;
/** Most entries one listtransactions call returns. */
export const listCountMax = 10_000;
/** Most outputs one sendmany call may pay. */
export const sendOutputsMax = 2_000;

const hashPattern = /^[0-9a-fA-F]{64}$/;

/** Positional parameters, named ones put in place by the method's parameter names. */
export function positional(
  method: string,
  names: readonly string[],
  params: JsonIn | undefined,
): readonly (JsonIn | undefined)[] {
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) {
    if (params.length > names.length) {
      throw new RpcError(rpcErrorCodes.miscError, `${method}: too many parameters`);
    }
    return params;
  }
  if (typeof params !== 'object' || params instanceof JsonDecimal) {
    throw new RpcError(rpcErrorCodes.invalidRequest, 'Params must be an array or object');
  }
  const values: (JsonIn | undefined)[] = [];
  for (const [name, value] of Object.entries(params)) {
    const index = names.indexOf(name);
    if (index < 0) throw invalidParameter(`Unknown named parameter ${name}`);
    values[index] = value;
  }
  return values;
}

function typeName(value: JsonIn | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof JsonDecimal || typeof value === 'number') return 'number';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

function expected(value: JsonIn | undefined, wanted: string): RpcError {
  return typeError(`JSON value of type ${typeName(value)} is not of expected type ${wanted}`);
}

const absent = (value: JsonIn | undefined): value is null | undefined =>
  value === undefined || value === null;

export function requiredParam(value: JsonIn | undefined, name: string): JsonIn {
  if (absent(value)) throw invalidParameter(`Missing required parameter ${name}`);
  return value;
}

export function readString(value: JsonIn | undefined, fallback?: string): string {
  if (absent(value) && fallback !== undefined) return fallback;
  if (typeof value !== 'string') throw expected(value, 'string');
  return value;
}

export function readInt(value: JsonIn | undefined, fallback?: number): number {
  if (absent(value) && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw expected(value, 'number');
  return value;
}

export function readBool(value: JsonIn | undefined, fallback: boolean): boolean {
  if (absent(value)) return fallback;
  if (typeof value !== 'boolean') throw expected(value, 'bool');
  return value;
}

export function readObject(value: JsonIn | undefined): Readonly<Record<string, JsonIn>> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof JsonDecimal
  ) {
    throw expected(value, 'object');
  }
  return value as Readonly<Record<string, JsonIn>>;
}

export function readHash(value: JsonIn | undefined, name: string): string {
  const text = readString(requiredParam(value, name));
  if (text.length !== 64) {
    throw invalidParameter(`${name} must be of length 64 (not ${text.length}, for '${text}')`);
  }
  if (!hashPattern.test(text)) {
    throw invalidParameter(`${name} must be hexadecimal string (not '${text}')`);
  }
  return text.toLowerCase();
}

/** bitcoind's AmountFromValue: a JSON number or a decimal string, at most 8 decimals. */
export function readAmount(value: JsonIn | undefined, name = 'amount'): bigint {
  const present = requiredParam(value, name);
  let text: string;
  if (typeof present === 'number') text = String(present);
  else if (present instanceof JsonDecimal || typeof present === 'string') {
    text = present instanceof JsonDecimal ? present.text : present;
  } else throw typeError('Amount is not a number or string');
  let minor: bigint;
  try {
    minor = parseAmount(trimZeros(plainDecimal(text)), {
      field: name,
      decimals: rpcAmountDecimals,
      sign: 'any',
    });
  } catch (error) {
    if (!(error instanceof InvalidValueError)) throw error;
    throw typeError('Invalid amount');
  }
  if (minor < 0n || minor > amountMinorMax) throw typeError('Amount out of range');
  return minor;
}

/** Writes a number with an exponent (1e-8) as plain decimal text, exactly; others unchanged. */
function plainDecimal(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 40) return text;
  const digits = `${whole}${fraction}`;
  const point = whole.length + exponent;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Drops trailing zeros past the 8th decimal (0.100000000 is 0.1, as bitcoind reads it). */
function trimZeros(text: string): string {
  const point = text.indexOf('.');
  if (point < 0) return text;
  let end = text.length;
  while (end > point + 1 + rpcAmountDecimals && text[end - 1] === '0') end -= 1;
  return text.slice(0, end);
}
