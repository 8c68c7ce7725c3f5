// The P2P messages over HTTP: JSON envelopes checked with zod, binary blocks and transactions
// decoded by the bounded chain codecs. Every decoder throws InvalidValueError on bad input.
import { InvalidValueError } from '@cryptoassets/core';
import { z } from 'zod';
import { decodeBlock, encodeBlock } from '../block/codec.js';
import { decodeHeader, encodeHeader, headerHash } from '../block/header.js';
import type { Block, BlockHeader } from '../block/types.js';
import { headerBytes } from '../consensus/params.js';
import { bytesToHex, hexToBytes } from '../encoding/hash.js';
import { decodeTransaction } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';
import type { P2pLimits } from './limits.js';
import { peerUrlCharsMax } from './peers.js';

/** Version of the P2P protocol spoken here. */
export const protocolVersion = 1;
/** Network name in `hello`; a peer on another network is not synced with. */
export const networkName = 'devnet';
/** Digits of a chain-work decimal string (2^256 has 78). */
const chainWorkDigitsMax = 80;

const hashHex = z.string().regex(/^[0-9a-f]{64}$/);
const hexBytes = (bytesMax: number) =>
  z
    .string()
    .max(bytesMax * 2)
    .regex(/^(?:[0-9a-f]{2})*$/);

export type Hello = {
  readonly version: number;
  readonly network: string;
  readonly genesisHash: string;
  readonly url: string;
  readonly tip: { readonly height: number; readonly hash: string; readonly chainWork: bigint };
};

const helloSchema = z.strictObject({
  version: z.number().int().min(0).max(0xffff_ffff),
  network: z.string().max(32),
  genesisHash: hashHex,
  url: z.string().max(peerUrlCharsMax),
  tip: z.strictObject({
    height: z.number().int().min(0).max(0xffff_ffff),
    hash: hashHex,
    chainWork: z.string().regex(new RegExp(`^\\d{1,${chainWorkDigitsMax}}$`)),
  }),
});

/** Parses JSON text, with the field name in the error. */
export function parseJsonText(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidValueError(field, 'malformed JSON', { cause });
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
  throw new InvalidValueError(`${field}${path}`, issue?.message ?? 'invalid');
}

export function helloToJson(hello: Hello): z.input<typeof helloSchema> {
  return { ...hello, tip: { ...hello.tip, chainWork: hello.tip.chainWork.toString() } };
}

export function helloFromJson(value: unknown): Hello {
  const parsed = check(helloSchema, value, 'hello');
  return { ...parsed, tip: { ...parsed.tip, chainWork: BigInt(parsed.tip.chainWork) } };
}

export function peersFromJson(value: unknown, limits: P2pLimits): string[] {
  const schema = z.strictObject({
    peers: z.array(z.string().max(peerUrlCharsMax)).max(limits.peersMax),
  });
  return check(schema, value, 'peers').peers;
}

export function headersToJson(headers: readonly BlockHeader[]): { headers: string[] } {
  return { headers: headers.map((header) => bytesToHex(encodeHeader(header))) };
}

/** Decodes a headers answer (at most `headersPerRequestMax` headers of 80 bytes). */
export function headersFromJson(value: unknown, limits: P2pLimits): BlockHeader[] {
  const schema = z.strictObject({
    headers: z.array(hexBytes(headerBytes)).max(limits.headersPerRequestMax),
  });
  return check(schema, value, 'headers').headers.map((hex) => decodeHeader(hexToBytes(hex)));
}

export function blocksToJson(blocks: readonly Block[]): { blocks: string[] } {
  return { blocks: blocks.map((block) => bytesToHex(encodeBlock(block))) };
}

/** Decodes a blocks answer (at most `blocksPerRequestMax` blocks, each bounded by the codec). */
export function blocksFromJson(value: unknown, limits: P2pLimits): Block[] {
  const schema = z.strictObject({
    blocks: z.array(hexBytes(limits.blockBodyBytesMax)).max(limits.blocksPerRequestMax),
  });
  return check(schema, value, 'blocks').blocks.map((hex) => decodeBlock(hexToBytes(hex)));
}

/** Parses `?hashes=h1,h2,...` (at most `max` distinct 64-hex hashes). */
export function parseHashList(text: string | null, max: number, field: string): string[] {
  if (text === null || text === '') return [];
  if (text.length > max * 65) throw new InvalidValueError(field, `more than ${max} hashes`);
  const hashes = text.split(',');
  if (hashes.length > max) throw new InvalidValueError(field, `more than ${max} hashes`);
  for (const hash of hashes)
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new InvalidValueError(field, 'expected 64-hex hashes');
  return [...new Set(hashes)];
}

/** Parses a non-negative whole number query parameter, with a default and a maximum. */
export function parseCount(
  text: string | null,
  options: { fallback: number; max: number; field: string },
): number {
  if (text === null || text === '') return options.fallback;
  if (!/^\d{1,10}$/.test(text))
    throw new InvalidValueError(options.field, 'expected a whole number');
  const value = Number(text);
  if (value > options.max)
    throw new InvalidValueError(options.field, `at most ${options.max} allowed`);
  return value;
}

export function decodeBlockBody(body: Uint8Array): Block {
  return decodeBlock(body);
}

export function decodeTxBody(body: Uint8Array): Transaction {
  return decodeTransaction(body);
}

/** Checks that the headers link one to the next; returns their hashes. */
export function linkedHashes(headers: readonly BlockHeader[]): string[] {
  const hashes: string[] = [];
  for (const [i, header] of headers.entries()) {
    const previous = hashes[i - 1];
    if (previous !== undefined && header.prevHash !== previous)
      throw new InvalidValueError(`headers.${i}.prevHash`, 'does not link to the previous header');
    hashes.push(headerHash(header));
  }
  return hashes;
}
