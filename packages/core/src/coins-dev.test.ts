// The devnet coin profile: bech32 `dvt1...` addresses (20-byte key hash), no Base58 addresses.
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeP2wpkh, getCoinProfile, isValidAddress, networks } from './coins.js';

const dev = getCoinProfile('dev');
const btc = getCoinProfile('btc');

describe('dev coin', () => {
  it('is a coin profile with 8 decimals', () => {
    expect(dev).toMatchObject({ symbol: 'dev', decimals: 8 });
  });

  it('accepts the address of a public key on every network and refuses other coins', () => {
    if (!dev || !btc) throw new Error('missing profiles');
    // The BIP173 P2WPKH example key (the secp256k1 generator); checksum from BIP173's reference code.
    const publicKey = hexToBytes(
      '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
    );
    const address = encodeP2wpkh(dev, 'mainnet', ripemd160(sha256(publicKey)));
    expect(address).toBe('dvt1qw508d6qejxtdg4y5r3zarvary0c5xw7kpvhs4s');
    for (const network of networks) expect(isValidAddress(dev, network, address ?? '')).toBe(true);
    expect(isValidAddress(btc, 'mainnet', address ?? '')).toBe(false);
    expect(isValidAddress(dev, 'mainnet', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toBe(
      false,
    );
    expect(isValidAddress(dev, 'mainnet', '1BoatSLRHtKNngkdXEeobR76b53LETtpyT')).toBe(false);
  });

  it('refuses a changed character', () => {
    if (!dev) throw new Error('missing profile');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.nat(), (hash, at) => {
        const address = encodeP2wpkh(dev, 'regtest', hash) ?? '';
        const index = 4 + (at % (address.length - 4));
        const swapped = address[index] === 'q' ? 'p' : 'q';
        const broken = address.slice(0, index) + swapped + address.slice(index + 1);
        expect(isValidAddress(dev, 'regtest', address)).toBe(true);
        expect(isValidAddress(dev, 'regtest', broken)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
