// The commands of the write path: every money movement as a value the writer can plan, check
// and apply in a batch. Also the checks of what a caller may attach: idempotency keys,
// references and metadata.
import { InvalidValueError } from '@cryptoassets/core';

/** Longest idempotency key and reference, in characters. */
export const idempotencyKeyLengthMax = 128;
export const referenceLengthMax = 128;
/** Most bytes of metadata, as compact JSON. */
export const metadataBytesMax = 4_096;
const metadataKeyLengthMax = 64;

/** A flat JSON object of string values an app stores with a movement. */
export type Metadata = Readonly<Record<string, string>>;

/** What a caller may attach to a movement. */
export type MoveOptions = {
  /** 1..128 printable ASCII characters, unique per wallet: a retry with it moves nothing twice. */
  readonly idempotencyKey?: string;
  /** The app's own id of the movement: 1..128 characters, unique per wallet when given. */
  readonly reference?: string;
  readonly metadata?: Metadata;
};

export type AccountRef = { readonly id: number; readonly walletId: number; readonly name: string };

type Attached = {
  readonly walletId: number;
  readonly idempotencyKey: string | undefined;
  /** The parameters a replay must repeat, as strings; compared field by field. */
  readonly request: Readonly<Record<string, string | null>>;
};

export type TransferCommand = Attached & {
  readonly type: 'transfer';
  readonly from: AccountRef;
  readonly to: AccountRef;
  readonly amount: bigint;
  readonly label: string | null;
  readonly allowNegativeBalance: boolean;
  readonly reference: string | null;
  readonly metadata: string | null;
};

export type SendCommand = Attached & {
  readonly type: 'send';
  readonly from: AccountRef;
  readonly address: string;
  readonly amount: bigint;
  readonly label: string | null;
  readonly reference: string | null;
  readonly metadata: string | null;
};

export type FeeCommand = Attached & {
  readonly type: 'fee';
  readonly feeAccount: AccountRef;
  readonly networkTransactionId: number;
  readonly amount: bigint;
};

export type HoldCommand = Attached & {
  readonly type: 'hold';
  readonly account: AccountRef;
  readonly amount: bigint;
  readonly expiresAt: string | null;
  readonly reference: string | null;
  readonly metadata: string | null;
};

export type CaptureCommand = Attached & {
  readonly type: 'capture';
  readonly holdId: number;
  readonly to: AccountRef;
  /** Undefined: the whole held amount. */
  readonly amount: bigint | undefined;
  readonly label: string | null;
};

export type ReleaseCommand = Attached & {
  readonly type: 'release';
  readonly holdId: number;
  /** `expired`: the service released it at its expiry. */
  readonly ending: 'released' | 'expired';
};

export type Command =
  | TransferCommand
  | SendCommand
  | FeeCommand
  | HoldCommand
  | CaptureCommand
  | ReleaseCommand;

export type CommandType = Command['type'];

export function checkIdempotencyKey(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > idempotencyKeyLengthMax ||
    !/^[\x21-\x7e]+$/.test(value)
  ) {
    throw new InvalidValueError(
      'idempotencyKey',
      `expected 1..${idempotencyKeyLengthMax} printable ASCII characters without spaces`,
    );
  }
  return value;
}

export function checkReference(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > referenceLengthMax ||
    hasControl(value)
  ) {
    throw new InvalidValueError(
      'reference',
      `expected 1..${referenceLengthMax} characters without control characters`,
    );
  }
  return value;
}

/** Checks metadata and returns it as canonical JSON text (keys sorted), or null when absent. */
export function checkMetadata(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new InvalidValueError('metadata', 'expected an object of string values');
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, text] of entries) {
    if (key.length === 0 || key.length > metadataKeyLengthMax || hasControl(key))
      throw new InvalidValueError(
        'metadata',
        `keys must be 1..${metadataKeyLengthMax} characters without control characters`,
      );
    if (typeof text !== 'string')
      throw new InvalidValueError(`metadata.${key}`, 'expected a string value');
  }
  const canonical = JSON.stringify(
    Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
  if (Buffer.byteLength(canonical) > metadataBytesMax)
    throw new InvalidValueError('metadata', `at most ${metadataBytesMax} bytes as JSON`);
  return canonical;
}

export function parseMetadata(text: string | null): Metadata | null {
  return text === null ? null : (JSON.parse(text) as Metadata);
}

function hasControl(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  return /[\u0000-\u001f\u007f-\u009f]/.test(text);
}

/** The names of the fields whose values differ between a stored request and a new one. */
export function requestDifferences(
  stored: Readonly<Record<string, string | null>>,
  next: Readonly<Record<string, string | null>>,
): string[] {
  const names = new Set([...Object.keys(stored), ...Object.keys(next)]);
  return [...names].filter((name) => (stored[name] ?? null) !== (next[name] ?? null)).sort();
}
