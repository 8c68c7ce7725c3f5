// Coin profiles: decimals and address formats per network, and address validation.
import { sha256 } from '@noble/hashes/sha2.js';
import { base58check, bech32, bech32m } from '@scure/base';
import { assert } from './assert.js';

export type Network = 'mainnet' | 'testnet' | 'regtest';
export const networks: readonly Network[] = ['mainnet', 'testnet', 'regtest'];

export type AddressFormat = {
  /** Base58Check version bytes of pay-to-public-key-hash addresses. */
  readonly p2pkh: readonly number[];
  /** Base58Check version bytes of pay-to-script-hash addresses. */
  readonly p2sh: readonly number[];
  /** Human-readable part of segwit (bech32/bech32m) addresses, if the coin has segwit. */
  readonly bech32Hrp: string | undefined;
};

export type CoinProfile = {
  readonly symbol: string;
  readonly name: string;
  readonly decimals: number;
  readonly formats: Readonly<Record<Network, AddressFormat>>;
};

const bitcoinTestnet = { p2pkh: [0x6f], p2sh: [0xc4] } as const;

// Version bytes and HRPs from each coin's chainparams.cpp.
export const coinProfiles: Readonly<Record<string, CoinProfile>> = {
  btc: {
    symbol: 'btc',
    name: 'Bitcoin',
    decimals: 8,
    formats: {
      mainnet: { p2pkh: [0x00], p2sh: [0x05], bech32Hrp: 'bc' },
      testnet: { ...bitcoinTestnet, bech32Hrp: 'tb' },
      regtest: { ...bitcoinTestnet, bech32Hrp: 'bcrt' },
    },
  },
  ltc: {
    symbol: 'ltc',
    name: 'Litecoin',
    decimals: 8,
    formats: {
      mainnet: { p2pkh: [0x30], p2sh: [0x32, 0x05], bech32Hrp: 'ltc' },
      testnet: { p2pkh: [0x6f], p2sh: [0x3a, 0xc4], bech32Hrp: 'tltc' },
      regtest: { p2pkh: [0x6f], p2sh: [0x3a, 0xc4], bech32Hrp: 'rltc' },
    },
  },
  doge: {
    symbol: 'doge',
    name: 'Dogecoin',
    decimals: 8,
    formats: {
      mainnet: { p2pkh: [0x1e], p2sh: [0x16], bech32Hrp: undefined },
      testnet: { p2pkh: [0x71], p2sh: [0xc4], bech32Hrp: undefined },
      regtest: { p2pkh: [0x6f], p2sh: [0xc4], bech32Hrp: undefined },
    },
  },
  // The embedded devnet (@cryptoassets/chain): bech32 P2WPKH-style addresses only, with the same
  // human-readable part on every network; no Base58 addresses.
  dev: {
    symbol: 'dev',
    name: 'Devnet',
    decimals: 8,
    formats: {
      mainnet: { p2pkh: [], p2sh: [], bech32Hrp: 'dvt' },
      testnet: { p2pkh: [], p2sh: [], bech32Hrp: 'dvt' },
      regtest: { p2pkh: [], p2sh: [], bech32Hrp: 'dvt' },
    },
  },
};

export function getCoinProfile(symbol: string): CoinProfile | undefined {
  return Object.hasOwn(coinProfiles, symbol) ? coinProfiles[symbol] : undefined;
}

const b58 = base58check(sha256);
const addressLengthMax = 100;

/** True when `address` is a well-formed address of the coin on the network (checksums included). */
export function isValidAddress(coin: CoinProfile, network: Network, address: string): boolean {
  if (typeof address !== 'string' || address.length === 0 || address.length > addressLengthMax) {
    return false;
  }
  const format = coin.formats[network];
  return isBase58Address(format, address) || isSegwitAddress(format, address);
}

function isBase58Address(format: AddressFormat, address: string): boolean {
  let payload: Uint8Array;
  try {
    payload = b58.decode(address);
  } catch {
    return false;
  }
  if (payload.length !== 21) return false;
  const version = payload[0] ?? -1;
  return format.p2pkh.includes(version) || format.p2sh.includes(version);
}

function isSegwitAddress(format: AddressFormat, address: string): boolean {
  const hrp = format.bech32Hrp;
  if (hrp === undefined || !address.toLowerCase().startsWith(`${hrp}1`)) return false;
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) return false;
  const lower = address.toLowerCase() as `${string}1${string}`;
  for (const codec of [bech32, bech32m]) {
    try {
      const decoded = codec.decode(lower);
      if (decoded.prefix !== hrp) continue;
      const [version, ...words] = decoded.words;
      if (version === undefined || version > 16) continue;
      if ((version === 0) !== (codec === bech32)) continue;
      const program = codec.fromWords(words);
      if (program.length < 2 || program.length > 40) continue;
      if (version === 0 && program.length !== 20 && program.length !== 32) continue;
      return true;
    } catch {}
  }
  return false;
}

/** Encodes a 20-byte hash as a P2PKH address (used by the offline backend). */
export function encodeP2pkh(coin: CoinProfile, network: Network, hash160: Uint8Array): string {
  assert(hash160.length === 20, 'encodeP2pkh takes a 20-byte hash');
  const version = coin.formats[network].p2pkh[0] ?? 0;
  const payload = new Uint8Array(21);
  payload[0] = version;
  payload.set(hash160, 1);
  return b58.encode(payload);
}

/** Encodes a 20-byte hash as a P2WPKH bech32 address, for coins with segwit. */
export function encodeP2wpkh(
  coin: CoinProfile,
  network: Network,
  hash160: Uint8Array,
): string | undefined {
  assert(hash160.length === 20, 'encodeP2wpkh takes a 20-byte hash');
  const hrp = coin.formats[network].bech32Hrp;
  if (hrp === undefined) return undefined;
  return bech32.encode(hrp, [0, ...bech32.toWords(hash160)]);
}
