// Number-preserving JSON: bitcoind writes amounts as JSON numbers (0.00012345) and JS floats
// cannot hold them exactly, so fractional and oversized numbers are read as their decimal text.
//
// A reviver cannot help (JSON.parse has already rounded the number when it calls one), and a
// dependency for this is more to audit than the scanner below: it walks the text once, leaves
// strings alone, and turns every numeric literal with a fraction, an exponent or more digits than
// a double holds exactly into a JSON string of the same characters before JSON.parse runs.

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses JSON, keeping numbers exact: safe integers stay numbers; every other number (anything
 * with a decimal point or an exponent, or an integer beyond 2^53) becomes the string of its digits.
 * Throws SyntaxError on malformed JSON, like JSON.parse.
 */
export function parseJsonKeepingDecimals(text: string): unknown {
  return JSON.parse(quoteInexactNumbers(text));
}

/** The text with inexact numeric literals outside strings wrapped in double quotes. */
export function quoteInexactNumbers(text: string): string {
  const parts: string[] = [];
  let copiedUpTo = 0;
  let index = 0;
  while (index < text.length) {
    const char = text.charCodeAt(index);
    if (char === 0x22 /* " */) {
      index = skipString(text, index);
      continue;
    }
    if (char !== 0x2d /* - */ && (char < 0x30 || char > 0x39)) {
      index += 1;
      continue;
    }
    numberPattern.lastIndex = index;
    const match = numberPattern.exec(text);
    if (!match) {
      index += 1;
      continue;
    }
    const token = match[0];
    if (!isExactInteger(token)) {
      parts.push(text.slice(copiedUpTo, index), '"', token, '"');
      copiedUpTo = index + token.length;
    }
    index += token.length;
  }
  if (copiedUpTo === 0) return text;
  parts.push(text.slice(copiedUpTo));
  return parts.join('');
}

/** Index just after the string literal that starts at `start` (or the end of a broken text). */
function skipString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text.charCodeAt(index);
    if (char === 0x5c /* \ */) index += 2;
    else if (char === 0x22) return index + 1;
    else index += 1;
  }
  return index;
}

function isExactInteger(token: string): boolean {
  if (/[.eE]/.test(token)) return false;
  return Number.isSafeInteger(Number(token));
}
