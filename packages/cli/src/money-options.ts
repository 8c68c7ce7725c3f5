// What a command that moves money may attach: --idempotency-key, --reference and --meta, and a
// hold's --expires-in. Each is checked here, before the database is opened, so a bad one is a
// usage error (exit 1, one line) and writes nothing. The limits are the ledger's own.
import type { Command } from 'commander';
import { UsageError } from './context.js';

/** Longest idempotency key and reference the ledger takes, in characters. */
export const idempotencyKeyLengthMax = 128;
export const referenceLengthMax = 128;
/** Longest metadata key, and most bytes of metadata as compact JSON. */
export const metadataKeyLengthMax = 64;
export const metadataBytesMax = 4_096;
/** Longest a hold may last: 365 days, in seconds. */
export const expiresInSMax = 365 * 86_400;

/** The options as commander collects them. */
export type MoveFlags = {
  readonly idempotencyKey?: string;
  readonly reference?: string;
  readonly meta?: readonly string[];
};

/** The options checked, ready for the ledger (absent ones left out). */
export type MoveAttachments = {
  idempotencyKey?: string;
  reference?: string;
  metadata?: Record<string, string>;
};

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** Adds --idempotency-key, and unless `only` says so also --reference and --meta. */
export function addMoveOptions(command: Command, only: 'all' | 'idempotency key' = 'all'): Command {
  command.option(
    '--idempotency-key <key>',
    'retry-safe key (1..128 printable ASCII, no spaces): repeating the command with it moves nothing twice',
  );
  if (only === 'idempotency key') return command;
  return command
    .option(
      '--reference <ref>',
      'your own id of this movement, unique in the wallet (1..128 characters)',
    )
    .option(
      '--meta <key=value>',
      'a metadata entry stored with it; repeat for more (at most 4 KiB in all)',
      collect,
    );
}

/** Checks the collected options; throws a `UsageError` naming the flag. */
export function checkMoveFlags(flags: MoveFlags): MoveAttachments {
  const checked: MoveAttachments = {};
  if (flags.idempotencyKey !== undefined)
    checked.idempotencyKey = checkIdempotencyKey(flags.idempotencyKey);
  if (flags.reference !== undefined) checked.reference = checkReference(flags.reference);
  if (flags.meta !== undefined) checked.metadata = parseMeta(flags.meta);
  return checked;
}

export function checkIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > idempotencyKeyLengthMax || !/^[\x21-\x7e]+$/.test(key))
    throw new UsageError(
      `--idempotency-key: expected 1..${idempotencyKeyLengthMax} printable ASCII characters without spaces`,
    );
  return key;
}

export function checkReference(reference: string, flag = '--reference'): string {
  if (reference.length === 0 || reference.length > referenceLengthMax || hasControl(reference))
    throw new UsageError(
      `${flag}: expected 1..${referenceLengthMax} characters without control characters`,
    );
  return reference;
}

/**
 * `key=value` pairs as metadata: the key is what comes before the first `=` (1..64
 * characters, no control characters), the value the rest (it may be empty or hold `=`).
 */
export function parseMeta(pairs: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at === -1)
      throw new UsageError(`--meta: expected key=value, got ${JSON.stringify(pair)} (no "=")`);
    const key = pair.slice(0, at);
    if (key.length === 0)
      throw new UsageError(`--meta: the key of ${JSON.stringify(pair)} is empty`);
    if (key.length > metadataKeyLengthMax || hasControl(key))
      throw new UsageError(
        `--meta: the key ${JSON.stringify(key)} must be 1..${metadataKeyLengthMax} characters without control characters`,
      );
    if (Object.hasOwn(metadata, key))
      throw new UsageError(`--meta: the key ${JSON.stringify(key)} is given twice`);
    metadata[key] = pair.slice(at + 1);
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > metadataBytesMax)
    throw new UsageError(`--meta: at most ${metadataBytesMax} bytes of metadata as JSON`);
  return metadata;
}

const secondsPerUnit: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** A duration such as `90s`, `10m`, `2h` or `7d` in seconds, from 1 s to 365 d. */
export function parseDuration(text: string, flag = '--expires-in'): number {
  const match = /^([1-9][0-9]{0,8})([smhd])$/.exec(text);
  const seconds = match ? Number(match[1]) * (secondsPerUnit[match[2] ?? ''] ?? 0) : 0;
  if (seconds < 1 || seconds > expiresInSMax)
    throw new UsageError(
      `${flag}: expected a duration from 1s to 365d as a whole number and a unit (s, m, h or d), such as 90s, 10m, 2h or 7d; got ${JSON.stringify(text)}`,
    );
  return seconds;
}

function hasControl(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  return /[\u0000-\u001f\u007f-\u009f]/.test(text);
}
