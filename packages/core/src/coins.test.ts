// Address validation against published vectors (BIP173, BIP350, Litecoin Core, THORChain).

import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CoinProfile,
  coinProfiles,
  encodeP2pkh,
  encodeP2wpkh,
  getCoinProfile,
  isValidAddress,
  type Network,
  networks,
} from './coins.js';

function profile(symbol: string): CoinProfile {
  const found = getCoinProfile(symbol);
  if (!found) throw new Error(`no coin profile ${symbol}`);
  return found;
}

const btc = profile('btc');
const ltc = profile('ltc');
const doge = profile('doge');

type Place = readonly [coin: CoinProfile, network: Network];
const everyPlace: readonly Place[] = Object.values(coinProfiles).flatMap((coin) =>
  networks.map((network) => [coin, network] as const),
);
const placeName = ([coin, network]: Place): string => `${coin.symbol}/${network}`;

/** The (coin, network) pairs on which `address` validates. */
function validOn(address: string): string[] {
  return everyPlace
    .filter(([coin, network]) => isValidAddress(coin, network, address))
    .map(placeName);
}

describe('getCoinProfile', () => {
  it('finds the known coins and nothing inherited from Object', () => {
    expect(getCoinProfile('btc')?.decimals).toBe(8);
    expect(getCoinProfile('ltc')?.name).toBe('Litecoin');
    expect(getCoinProfile('xrp')).toBeUndefined();
    expect(getCoinProfile('toString')).toBeUndefined();
    expect(getCoinProfile('__proto__')).toBeUndefined();
  });
});

describe('isValidAddress: Bitcoin', () => {
  it.each([
    ['genesis block P2PKH', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'],
    ['P2PKH from the Bitcoin wiki', '1BoatSLRHtKNngkdXEeobR76b53LETtpyT'],
    ['P2SH from BIP13 examples', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'],
    ['BIP173 P2WPKH', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'],
    ['BIP173 P2WPKH in upper case', 'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4'],
    ['BIP350 taproot', 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0'],
    [
      'BIP350 v1 with a 40-byte program',
      'bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y',
    ],
    ['BIP350 v16 with a 2-byte program', 'BC1SW50QGDZ25J'],
    ['BIP350 v2 with a 16-byte program', 'bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs'],
  ])('accepts the %s on mainnet', (_, address) => {
    expect(isValidAddress(btc, 'mainnet', address)).toBe(true);
    expect(isValidAddress(btc, 'testnet', address)).toBe(false);
    expect(isValidAddress(btc, 'regtest', address)).toBe(false);
    expect(isValidAddress(ltc, 'mainnet', address)).toBe(address.startsWith('3'));
  });

  it.each([
    ['BIP350 P2WSH', 'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7'],
    ['BIP350 P2WSH', 'tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy'],
    ['BIP350 taproot', 'tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c'],
  ])('accepts the %s %s on testnet only', (_, address) => {
    expect(validOn(address)).toEqual(['btc/testnet']);
  });

  it('accepts a regtest segwit address on regtest only', () => {
    expect(validOn('bcrt1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawhcf2xa')).toEqual(['btc/regtest']);
  });

  it('refuses 1BoatSLRHtKNngkdXEeobR76b53LETtpyX, whose last character breaks the checksum', () => {
    expect(validOn('1BoatSLRHtKNngkdXEeobR76b53LETtpyX')).toEqual([]);
  });

  it.each([
    [
      'invalid human-readable part',
      'tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut',
    ],
    ['bech32 checksum on v1', 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd'],
    ['bech32 checksum on v2', 'tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf'],
    ['bech32 checksum on v16', 'BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL'],
    ['bech32m checksum on v0', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh'],
    ['bech32m checksum on v0', 'tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47'],
    [
      'invalid checksum character',
      'bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4',
    ],
    ['witness version 17', 'BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R'],
    ['1-byte program', 'bc1pw5dgrnzv'],
    [
      '41-byte program',
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav',
    ],
    ['16-byte program on v0', 'BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P'],
    ['mixed case', 'tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq'],
    [
      'zero padding of more than 4 bits',
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf',
    ],
    ['non-zero padding', 'tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j'],
    ['empty data section', 'bc1gmk9yu'],
  ])('refuses the BIP350 invalid vector with %s', (_, address) => {
    expect(validOn(address)).toEqual([]);
  });

  it('refuses mixed case, a changed character and a changed checksum', () => {
    const address = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
    expect(isValidAddress(btc, 'mainnet', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3T4')).toBe(
      false,
    );
    expect(isValidAddress(btc, 'mainnet', 'Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toBe(
      false,
    );
    expect(isValidAddress(btc, 'mainnet', address.replace('w508', 'w509'))).toBe(false);
    expect(isValidAddress(btc, 'mainnet', `${address.slice(0, -1)}5`)).toBe(false);
    expect(isValidAddress(btc, 'mainnet', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb')).toBe(false);
    expect(isValidAddress(btc, 'mainnet', '1a1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa')).toBe(false);
  });

  it('refuses addresses of the wrong network', () => {
    expect(isValidAddress(btc, 'testnet', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa')).toBe(false);
    expect(isValidAddress(btc, 'mainnet', 'mtzUk1zTJzTdyC8Pz6PPPyCHTEL5RLVyDJ')).toBe(false);
    expect(isValidAddress(btc, 'mainnet', 'tb1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynaw43s835')).toBe(
      false,
    );
    expect(isValidAddress(btc, 'testnet', 'bcrt1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawhcf2xa')).toBe(
      false,
    );
  });

  it('refuses the wrong coin', () => {
    expect(isValidAddress(btc, 'mainnet', 'ltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawmt3sjh')).toBe(
      false,
    );
    expect(isValidAddress(btc, 'mainnet', 'LT2KVaAy1ppRuxRgrS5RNU3vBsy7RibPeA')).toBe(false);
    expect(isValidAddress(btc, 'mainnet', 'DJcczDr7oNvfj5qP17Qa7p9ZUNTfnYYDJC')).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['a space', ' '],
    ['a leading space', ' 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'],
    ['a trailing newline', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n'],
    ['too long', `bc1q${'q'.repeat(200)}`],
    ['base58 with a 0', '1A1zP1eP5QGefi2DMPTfTL5SLmv7Div0Na'],
    ['a hex string', '0x62e907b15cbf27d5425399ebf6f0fb50ebb88f18'],
    ['the prefix alone', 'bc1'],
    ['garbage', 'not an address'],
    ['a URI', 'bitcoin:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'],
  ])('refuses %s', (_, address) => {
    expect(validOn(address)).toEqual([]);
  });

  it('refuses what is not a string without throwing', () => {
    expect(isValidAddress(btc, 'mainnet', 42 as unknown as string)).toBe(false);
    expect(isValidAddress(btc, 'mainnet', null as unknown as string)).toBe(false);
  });
});

describe('isValidAddress: Litecoin', () => {
  // Base58 vectors from Litecoin Core's key_io_valid.json.
  it.each([
    ['LT2KVaAy1ppRuxRgrS5RNU3vBsy7RibPeA', ['ltc/mainnet']],
    ['LbfVMz974gbbGFqXF7FZUpSBWSbwBHDwR5', ['ltc/mainnet']],
    ['MHrYRxAiMNBTku3eoDHwhA1LQGDjUStZW2', ['ltc/mainnet']],
    ['MU2UAbDxiiirZuGTZ6nSaFajsXFkLHozcU', ['ltc/mainnet']],
    ['QXaUgLHkZcbJb2j5XgMYzY8cF9YM48Y81Z', ['ltc/testnet', 'ltc/regtest']],
    ['QgDNrG4nJpE4VV7PcFMFhkTgwAHWxWS7pj', ['ltc/testnet', 'ltc/regtest']],
  ])('accepts %s on %j only', (address, places) => {
    expect(validOn(address)).toEqual(places);
  });

  it('shares the testnet P2PKH version byte with Bitcoin testnet, as the chains do', () => {
    expect(validOn('mwXn5Vhicdav8Av3KMokx4YNuHoGRKxtWs')).toEqual([
      'btc/testnet',
      'btc/regtest',
      'ltc/testnet',
      'ltc/regtest',
      'doge/regtest',
    ]);
  });

  it('accepts legacy 3... P2SH addresses on Litecoin mainnet too', () => {
    expect(validOn('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy')).toEqual(['btc/mainnet', 'ltc/mainnet']);
  });

  it.each([
    ['ltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawmt3sjh', 'ltc/mainnet'],
    ['LTC1QJ08YS4CT2HZZC2HCZ6H2HGRVLMSJYNAWMT3SJH', 'ltc/mainnet'],
    ['ltc1qzupk5lmc84r2dh738a9g3zscavannjy3r5dm7v', 'ltc/mainnet'],
    ['tltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawvejepa', 'ltc/testnet'],
    ['tltc1qzupk5lmc84r2dh738a9g3zscavannjy35xwjdx', 'ltc/testnet'],
    ['rltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawf4nr3r', 'ltc/regtest'],
    ['rltc1qzupk5lmc84r2dh738a9g3zscavannjy3320gac', 'ltc/regtest'],
  ])('accepts the segwit address %s on %s only', (address, place) => {
    expect(validOn(address)).toEqual([place]);
  });

  it('refuses Litecoin segwit with a bad checksum, mixed case or a foreign hrp', () => {
    expect(validOn('ltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawmt3sjj')).toEqual([]);
    expect(validOn('ltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawMT3SJH')).toEqual([]);
    expect(validOn('ltcx1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawmt3sjh')).toEqual([]);
  });
});

describe('isValidAddress: Dogecoin', () => {
  it.each([
    ['DJcczDr7oNvfj5qP17Qa7p9ZUNTfnYYDJC', ['doge/mainnet']],
    ['D7EnB23qxiWTBGD1z9N6Ui7VXonCgY9eeE', ['doge/mainnet']],
    ['nhfgiEb2jMPPc4Qa2w42NDjriEqxmHeSRG', ['doge/testnet']],
  ])('accepts %s on %j only', (address, places) => {
    expect(validOn(address)).toEqual(places);
  });

  it('has no segwit: a bech32 address is never a Dogecoin address', () => {
    for (const network of networks) {
      expect(isValidAddress(doge, network, 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toBe(
        false,
      );
    }
  });
});

describe('encodeP2pkh and encodeP2wpkh', () => {
  // THORChain's address test vectors: one public key, its address on every coin and network.
  const publicKey = '02b4632d08485ff1df2db55b9dafd23347d1c47a457072a1e87be26896549a8737';
  const hash160 = ripemd160(sha256(hexToBytes(publicKey)));

  it.each([
    ['btc', 'mainnet', 'bc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawlht528'],
    ['btc', 'testnet', 'tb1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynaw43s835'],
    ['btc', 'regtest', 'bcrt1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawhcf2xa'],
    ['ltc', 'mainnet', 'ltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawmt3sjh'],
    ['ltc', 'testnet', 'tltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawvejepa'],
    ['ltc', 'regtest', 'rltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawf4nr3r'],
  ] as const)('encodes P2WPKH on %s %s as the published vector', (symbol, network, expected) => {
    expect(encodeP2wpkh(profile(symbol), network, hash160)).toBe(expected);
  });

  it.each([
    ['doge', 'mainnet', 'DJcczDr7oNvfj5qP17Qa7p9ZUNTfnYYDJC'],
    ['doge', 'testnet', 'nhfgiEb2jMPPc4Qa2w42NDjriEqxmHeSRG'],
    ['doge', 'regtest', 'mtzUk1zTJzTdyC8Pz6PPPyCHTEL5RLVyDJ'],
    ['btc', 'testnet', 'mtzUk1zTJzTdyC8Pz6PPPyCHTEL5RLVyDJ'],
  ] as const)('encodes P2PKH on %s %s as the published vector', (symbol, network, expected) => {
    expect(encodeP2pkh(profile(symbol), network, hash160)).toBe(expected);
  });

  it('encodes Litecoin and Bitcoin P2PKH as the published vectors', () => {
    const litecoinHash = hexToBytes('558dbca7118cd5894502767c7b2ffc21a22f54db');
    expect(encodeP2pkh(ltc, 'mainnet', litecoinHash)).toBe('LT2KVaAy1ppRuxRgrS5RNU3vBsy7RibPeA');
    const genesisHash = hexToBytes('62e907b15cbf27d5425399ebf6f0fb50ebb88f18');
    expect(encodeP2pkh(btc, 'mainnet', genesisHash)).toBe('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa');
  });

  it('gives no segwit address for a coin without segwit', () => {
    for (const network of networks) expect(encodeP2wpkh(doge, network, hash160)).toBeUndefined();
  });

  // Where the chains share version bytes, an address is valid on all of them; nowhere else.
  const p2pkhValidOn: Record<string, readonly string[]> = {
    'btc/mainnet': ['btc/mainnet'],
    'ltc/mainnet': ['ltc/mainnet'],
    'doge/mainnet': ['doge/mainnet'],
    'doge/testnet': ['doge/testnet'],
  };
  const sharedTestVersion = ['btc/testnet', 'btc/regtest', 'ltc/testnet', 'ltc/regtest'];

  it('produces addresses valid on their own coin and network, not on others', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (hash) => {
        for (const place of everyPlace) {
          const [coin, network] = place;
          if (coin.symbol === 'dev') continue; // one hrp on every network: coins-dev.test.ts
          const legacy = encodeP2pkh(coin, network, hash);
          const expected = p2pkhValidOn[placeName(place)] ?? [...sharedTestVersion, 'doge/regtest'];
          expect(validOn(legacy)).toEqual(expected);
          const segwit = encodeP2wpkh(coin, network, hash);
          if (segwit !== undefined) expect(validOn(segwit)).toEqual([placeName(place)]);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('isValidAddress fuzz', () => {
  const strings = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 120 }),
    fc.string({ unit: 'grapheme', maxLength: 120 }),
    fc
      .tuple(
        fc.constantFrom('bc1', 'BC1', 'tb1', 'bcrt1', 'ltc1', 'tltc1', 'rltc1', '1', '3', 'L', 'M'),
        fc.string({
          unit: fc.constantFrom(...'qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZ1IlO0'),
          maxLength: 90,
        }),
      )
      .map(([prefix, rest]) => prefix + rest),
  );

  it('returns a boolean for any string and never throws', () => {
    fc.assert(
      fc.property(strings, fc.constantFrom(...everyPlace), (address, [coin, network]) => {
        expect(typeof isValidAddress(coin, network, address)).toBe('boolean');
      }),
      { numRuns: 2_000 },
    );
  });

  it('never accepts a valid address with one character changed', () => {
    const vectors = [
      '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0',
      'ltc1qj08ys4ct2hzzc2hcz6h2hgrvlmsjynawmt3sjh',
    ];
    const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0';
    fc.assert(
      fc.property(
        fc.constantFrom(...vectors),
        fc.nat(),
        fc.constantFrom(...alphabet),
        (address, index, char) => {
          const at = index % address.length;
          fc.pre(address[at] !== char);
          const changed = address.slice(0, at) + char + address.slice(at + 1);
          expect(validOn(changed)).toEqual([]);
        },
      ),
    );
  });
});
