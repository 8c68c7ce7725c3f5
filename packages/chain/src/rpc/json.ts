// Exact JSON for the RPC: a bounded parser that keeps non-integer numbers as their decimal text
// (amounts never pass through a float), and a writer that prints bigint amounts as JSON numbers
// with exactly 8 decimals, as bitcoind does (0.00100000).
import { formatAmount } from '@cryptoassets/core';

/** Deepest nesting of arrays and objects a request may use. */
export const jsonDepthMax = 32;
/** Longest number literal accepted. */
export const jsonNumberCharsMax = 64;
/** Decimals of every amount the RPC writes. */
export const rpcAmountDecimals = 8;

/** A number literal that is not a safe integer, kept as the characters the client sent. */
export class JsonDecimal {
  constructor(readonly text: string) {}
}

export type JsonIn =
  | string
  | number
  | boolean
  | null
  | JsonDecimal
  | readonly JsonIn[]
  | { readonly [key: string]: JsonIn };

/** An amount in minor units; written as a JSON number with 8 decimals. */
export class Coins {
  constructor(readonly minor: bigint) {}
}

export type JsonOut =
  | string
  | number
  | boolean
  | null
  | undefined
  | Coins
  | readonly JsonOut[]
  | { readonly [key: string]: JsonOut };

/** JSON text could not be parsed. */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
}

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const whitespace = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Parses JSON text; numbers that are not safe integers become `JsonDecimal`. */
export function parseJsonExact(text: string): JsonIn {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.index !== text.length) throw parser.fail('unexpected text after the value');
  return value;
}

class Parser {
  index = 0;
  constructor(readonly text: string) {}

  fail(problem: string): JsonSyntaxError {
    return new JsonSyntaxError(`${problem} at offset ${this.index}`);
  }

  skipSpace(): void {
    while (this.index < this.text.length && whitespace.has(this.text.charCodeAt(this.index))) {
      this.index += 1;
    }
  }

  value(depth: number): JsonIn {
    if (depth > jsonDepthMax) throw this.fail(`nested deeper than ${jsonDepthMax}`);
    this.skipSpace();
    const char = this.text[this.index];
    if (char === '{') return this.object(depth);
    if (char === '[') return this.array(depth);
    if (char === '"') return this.string();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.number();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.index)) {
        this.index += word.length;
        return value;
      }
    }
    throw this.fail('expected a value');
  }

  number(): number | JsonDecimal {
    numberPattern.lastIndex = this.index;
    const match = numberPattern.exec(this.text);
    if (!match) throw this.fail('bad number');
    const token = match[0];
    if (token.length > jsonNumberCharsMax) throw this.fail('number too long');
    this.index += token.length;
    if (!/[.eE]/.test(token)) {
      const value = Number(token);
      if (Number.isSafeInteger(value)) return value;
    }
    return new JsonDecimal(token);
  }

  string(): string {
    const start = this.index;
    this.index += 1;
    while (this.index < this.text.length) {
      const code = this.text.charCodeAt(this.index);
      if (code === 0x5c) this.index += 2;
      else if (code === 0x22) {
        this.index += 1;
        return this.decodeString(this.text.slice(start, this.index));
      } else if (code < 0x20) throw this.fail('control character in a string');
      else this.index += 1;
    }
    throw this.fail('unterminated string');
  }

  decodeString(literal: string): string {
    try {
      return JSON.parse(literal) as string;
    } catch {
      throw this.fail('bad escape in a string');
    }
  }

  array(depth: number): JsonIn[] {
    this.index += 1;
    const items: JsonIn[] = [];
    this.skipSpace();
    if (this.text[this.index] === ']') {
      this.index += 1;
      return items;
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.skipSpace();
      const char = this.text[this.index];
      this.index += 1;
      if (char === ']') return items;
      if (char !== ',') throw this.fail("expected ',' or ']'");
    }
  }

  object(depth: number): Record<string, JsonIn> {
    this.index += 1;
    const record: Record<string, JsonIn> = Object.create(null);
    this.skipSpace();
    if (this.text[this.index] === '}') {
      this.index += 1;
      return record;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.index] !== '"') throw this.fail('expected a key');
      const key = this.string();
      this.skipSpace();
      if (this.text[this.index] !== ':') throw this.fail("expected ':'");
      this.index += 1;
      record[key] = this.value(depth + 1);
      this.skipSpace();
      const char = this.text[this.index];
      this.index += 1;
      if (char === '}') return record;
      if (char !== ',') throw this.fail("expected ',' or '}'");
    }
  }
}

/** Writes JSON; `Coins` become numbers with 8 decimals, `undefined` members are left out. */
export function writeJson(value: JsonOut): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Coins) return formatAmount(value.minor, rpcAmountDecimals);
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (Array.isArray(value)) {
    return `[${(value as readonly JsonOut[]).map(writeJson).join(',')}]`;
  }
  const members: string[] = [];
  for (const [key, item] of Object.entries(value as Record<string, JsonOut>)) {
    if (item !== undefined) members.push(`${JSON.stringify(key)}:${writeJson(item)}`);
  }
  return `{${members.join(',')}}`;
}
