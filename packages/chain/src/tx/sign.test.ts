// The OpenSSL fast path of signature verification agrees with the @noble/curves reference.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newPrivateKey, publicKeyOf, verifyInputSignature, verifySignature } from './sign.js';

const n = secp256k1.Point.CURVE().n;

function highS(signature: Uint8Array): Uint8Array {
  const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString('hex')}`);
  const flipped = Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex');
  return Uint8Array.from([...signature.subarray(0, 32), ...flipped]);
}

describe('verifyInputSignature', () => {
  it('agrees with the reference on valid, tampered, high-S and wrong-key signatures', () => {
    const key = newPrivateKey();
    const publicKey = publicKeyOf(key);
    const otherKey = publicKeyOf(newPrivateKey());
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(63), (data, at) => {
        const preimage = sha256(data);
        const digest = sha256(preimage);
        const signature = secp256k1.sign(digest, key, { prehash: false });
        const tampered = signature.slice();
        tampered[at] = (tampered[at] ?? 0) ^ 0x40;
        const cases: [Uint8Array, Uint8Array][] = [
          [signature, publicKey],
          [tampered, publicKey],
          [highS(signature), publicKey],
          [signature, otherKey],
        ];
        for (const [sig, pub] of cases) {
          expect(verifyInputSignature(sig, preimage, pub)).toBe(verifySignature(sig, digest, pub));
        }
        expect(verifyInputSignature(signature, preimage, publicKey)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses malformed keys and signatures without throwing', () => {
    const preimage = sha256(new Uint8Array([1]));
    expect(verifyInputSignature(new Uint8Array(64), preimage, new Uint8Array(33))).toBe(false);
    expect(verifyInputSignature(new Uint8Array(63), preimage, new Uint8Array(33).fill(2))).toBe(
      false,
    );
    const notOnCurve = new Uint8Array(33).fill(0xff);
    notOnCurve[0] = 2;
    expect(verifyInputSignature(new Uint8Array(64).fill(1), preimage, notOnCurve)).toBe(false);
  });
});
