// The tutorial's chaindata/ folder: one human-readable JSON file per main-chain block, named by
// its zero-padded index (000000.json, 000001.json, ...). Written atomically (temp file + rename).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockToJson } from '../block/json.js';
import type { Block } from '../block/types.js';

export const chaindataDirName = 'chaindata';
export const chaindataIndexDigits = 6;
const fileNamePattern = /^(\d+)\.json$/;

export function chaindataFileName(height: number): string {
  return `${String(height).padStart(chaindataIndexDigits, '0')}.json`;
}

export function writeChaindataFile(dir: string, block: Block): void {
  mkdirSync(dir, { recursive: true });
  const json = blockToJson(block);
  const path = join(dir, chaindataFileName(json.index));
  const temp = `${path}.tmp`;
  writeFileSync(temp, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(temp, path);
}

/** Removes the files of heights above `tipHeight` (after a reorganisation to a shorter chain). */
export function removeChaindataAbove(dir: string, tipHeight: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = fileNamePattern.exec(name);
    if (match && Number(match[1]) > tipHeight) rmSync(join(dir, name), { force: true });
    if (name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
  }
}

/** The hash recorded in a height's file, or undefined when missing or unreadable. */
export function chaindataHashAt(dir: string, height: number): string | undefined {
  try {
    const json: unknown = JSON.parse(readFileSync(join(dir, chaindataFileName(height)), 'utf8'));
    if (typeof json === 'object' && json !== null && 'hash' in json) {
      return typeof json.hash === 'string' ? json.hash : undefined;
    }
  } catch {}
  return undefined;
}
