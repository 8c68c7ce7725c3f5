// The proof-of-work kernel: SHA-256 compression on a Uint32Array state, the header midstate, and
// a scan over a bounded nonce range with two compressions per nonce and no allocation in the loop.
//
// `createPowKernel` is self-contained on purpose (no reference to anything outside its body): the
// worker threads receive its source text, so the same code runs in TypeScript tests and in the
// compiled package.

/** The result of scanning a nonce range: the winning nonce, or -1 when none met the target. */
export type ScanResult = { readonly nonce: number; readonly hashes: number };

export type PowKernel = {
  /** Compresses the 16 big-endian words `block` into `state` (8 words), in place. */
  readonly compress: (state: Uint32Array, block: Uint32Array) => void;
  /** The SHA-256 state after the first 64 bytes of an 80-byte header. */
  readonly midstate: (header: Uint8Array) => Uint32Array;
  /** The big-endian words 16..18 of the header (merkle root tail, time, bits). */
  readonly tailWords: (header: Uint8Array) => Uint32Array;
  /** A 256-bit target as 8 big-endian words, most significant first. */
  readonly targetWords: (target: bigint) => Uint32Array;
  /**
   * Tries nonces `start .. start + count - 1` (`count` ≤ 2^32 - start) and returns the first whose
   * double SHA-256 (read as Bitcoin reads it) is ≤ the target.
   */
  readonly scan: (
    midstate: Uint32Array,
    tail: Uint32Array,
    target: Uint32Array,
    start: number,
    count: number,
  ) => ScanResult;
  /** SHA-256d of an 80-byte header (the digest bytes as SHA-256 outputs them). */
  readonly hashHeader: (header: Uint8Array) => Uint8Array;
};

export function createPowKernel(): PowKernel {
  const k = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  const initial = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  // The 64 rounds unrolled into straight-line code on local variables (generated once): about
  // twice as fast as a loop over typed arrays. Working variables rotate names instead of moving.
  const unrolledSource = (): string => {
    const lines: string[] = [];
    for (let i = 0; i < 16; i++) lines.push(`let w${i} = m[${i}] | 0;`);
    lines.push('let v0 = s[0] | 0, v1 = s[1] | 0, v2 = s[2] | 0, v3 = s[3] | 0;');
    lines.push('let v4 = s[4] | 0, v5 = s[5] | 0, v6 = s[6] | 0, v7 = s[7] | 0;');
    lines.push('let t1 = 0, x = 0, y = 0;');
    const at = (offset: number, round: number): string => `v${(((offset - round) % 8) + 8) % 8}`;
    for (let i = 0; i < 64; i++) {
      const word = `w${i % 16}`;
      if (i >= 16) {
        lines.push(
          `x = w${(i - 15) % 16}; y = w${(i - 2) % 16};`,
          `${word} = (${word} + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w${(i - 7) % 16} + (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) | 0;`,
        );
      }
      const [a, b, c, d, e, f, g, h] = [0, 1, 2, 3, 4, 5, 6, 7].map((offset) => at(offset, i));
      lines.push(
        `t1 = (${h} + (((${e} >>> 6) | (${e} << 26)) ^ ((${e} >>> 11) | (${e} << 21)) ^ ((${e} >>> 25) | (${e} << 7))) + ((${e} & ${f}) ^ (~${e} & ${g})) + ${k[i] as number | 0} + ${word}) | 0;`,
        `${d} = (${d} + t1) | 0;`,
        `${h} = (t1 + (((${a} >>> 2) | (${a} << 30)) ^ ((${a} >>> 13) | (${a} << 19)) ^ ((${a} >>> 22) | (${a} << 10))) + ((${a} & ${b}) ^ (${a} & ${c}) ^ (${b} & ${c}))) | 0;`,
      );
    }
    for (let i = 0; i < 8; i++) lines.push(`s[${i}] = s[${i}] + v${i};`);
    return lines.join('\n');
  };
  const compress = new Function('s', 'm', unrolledSource()) as (
    state: Uint32Array,
    block: Uint32Array,
  ) => void;

  const wordAt = (bytes: Uint8Array, offset: number): number =>
    (((bytes[offset] as number) << 24) |
      ((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number)) >>>
    0;

  const bswap = (x: number): number =>
    (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

  const midstate = (header: Uint8Array): Uint32Array => {
    const block = new Uint32Array(16);
    for (let i = 0; i < 16; i++) block[i] = wordAt(header, i * 4);
    const state = initial.slice();
    compress(state, block);
    return state;
  };

  const tailWords = (header: Uint8Array): Uint32Array =>
    new Uint32Array([wordAt(header, 64), wordAt(header, 68), wordAt(header, 72)]);

  const targetWords = (target: bigint): Uint32Array => {
    const words = new Uint32Array(8);
    for (let i = 0; i < 8; i++) words[i] = Number((target >> BigInt(32 * (7 - i))) & 0xffffffffn);
    return words;
  };

  // Work buffers of `scan`, allocated once per kernel.
  const first = new Uint32Array(16);
  const second = new Uint32Array(16);
  const state = new Uint32Array(8);
  first[4] = 0x80000000;
  first[15] = 640;
  second[8] = 0x80000000;
  second[15] = 256;

  // True when the digest in `state`, read as a little-endian number, is ≤ `target`.
  const meets = (target: Uint32Array): boolean => {
    for (let i = 0; i < 8; i++) {
      const word = bswap(state[7 - i] as number);
      const limit = target[i] as number;
      if (word !== limit) return word < limit;
    }
    return true;
  };

  const scan = (
    mid: Uint32Array,
    tail: Uint32Array,
    target: Uint32Array,
    start: number,
    count: number,
  ): ScanResult => {
    first[0] = tail[0] as number;
    first[1] = tail[1] as number;
    first[2] = tail[2] as number;
    const topLimit = target[0] as number;
    for (let n = 0; n < count; n++) {
      const nonce = (start + n) >>> 0;
      first[3] = bswap(nonce);
      state.set(mid);
      compress(state, first);
      second.set(state);
      state.set(initial);
      compress(state, second);
      if (bswap(state[7] as number) <= topLimit && meets(target)) return { nonce, hashes: n + 1 };
    }
    return { nonce: -1, hashes: count };
  };

  const hashHeader = (header: Uint8Array): Uint8Array => {
    const mid = midstate(header);
    const block = new Uint32Array(16);
    block.set(tailWords(header));
    block[3] = wordAt(header, 76);
    block[4] = 0x80000000;
    block[15] = 640;
    compress(mid, block);
    const digestBlock = new Uint32Array(16);
    digestBlock.set(mid);
    digestBlock[8] = 0x80000000;
    digestBlock[15] = 256;
    const out = initial.slice();
    compress(out, digestBlock);
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const word = out[i] as number;
      bytes[i * 4] = word >>> 24;
      bytes[i * 4 + 1] = (word >>> 16) & 0xff;
      bytes[i * 4 + 2] = (word >>> 8) & 0xff;
      bytes[i * 4 + 3] = word & 0xff;
    }
    return bytes;
  };

  return { compress, midstate, tailWords, targetWords, scan, hashHeader };
}
