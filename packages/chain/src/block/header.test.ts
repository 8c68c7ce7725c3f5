// The header layout pinned by Bitcoin's genesis header and block 100000's merkle root.
import { describe, expect, it } from 'vitest';
import { decodeHeader, encodeHeader, headerHash } from './header.js';
import { merkleRoot } from './merkle.js';
import type { BlockHeader } from './types.js';

const bitcoinGenesis: BlockHeader = {
  version: 1,
  prevHash: '0'.repeat(64),
  merkleRoot: '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b',
  time: 1231006505,
  bits: 0x1d00ffff,
  nonce: 2083236893,
};

describe('header', () => {
  it("hashes Bitcoin's genesis header to its known hash", () => {
    expect(headerHash(bitcoinGenesis)).toBe(
      '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
    );
  });

  it('encodes 80 bytes with little-endian integers and round-trips', () => {
    const bytes = encodeHeader(bitcoinGenesis);
    expect(bytes.length).toBe(80);
    expect(bytes.subarray(0, 4)).toEqual(new Uint8Array([1, 0, 0, 0]));
    expect(bytes.subarray(72, 76)).toEqual(new Uint8Array([0xff, 0xff, 0x00, 0x1d]));
    expect(decodeHeader(bytes)).toEqual(bitcoinGenesis);
  });

  it('refuses anything but 80 bytes', () => {
    expect(() => decodeHeader(new Uint8Array(79))).toThrow(/80 bytes/);
    expect(() => decodeHeader(new Uint8Array(81))).toThrow(/80 bytes/);
  });
});

describe('merkleRoot', () => {
  it("matches Bitcoin block 100000's merkle root", () => {
    const txids = [
      '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
      'fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4',
      '6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4',
      'e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d',
    ];
    expect(merkleRoot(txids)).toBe(
      'f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766',
    );
  });

  it('is the txid itself for one transaction and duplicates the last on odd levels', () => {
    const a = '11'.repeat(32);
    const b = '22'.repeat(32);
    const c = '33'.repeat(32);
    expect(merkleRoot([a])).toBe(a);
    expect(merkleRoot([a, b, c])).toBe(merkleRoot([a, b, c, c]));
    expect(merkleRoot([a, b, c])).not.toBe(merkleRoot([a, b]));
  });
});
