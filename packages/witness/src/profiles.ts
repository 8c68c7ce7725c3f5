// Chain profiles: the per-chain constants (prefix, chain id, symbols, operation ids, props layout)
// that the serializer, the API client and the guard need for BitShares and the Steem family.
import { InvalidValueError } from '@cryptoassets/core';

/** Wire format family: `steem` covers Steem, Hive, Blurt and VIT. */
export type ChainFamily = 'bitshares' | 'steem';
export type ChainName = 'bitshares' | 'hive' | 'steem' | 'blurt' | 'vit' | 'custom';

export type ChainProfile = {
  readonly name: ChainName | string;
  readonly family: ChainFamily;
  /** Public key prefix: 'STM', 'BTS', 'BLT', 'VIT', 'TST', ... */
  readonly prefix: string;
  /** 64 lowercase hex characters. */
  readonly chainId: string;
  /** Core symbol as it appears in JSON asset strings ('HIVE'); BitShares: the asset id '1.3.0'. */
  readonly coreSymbol: string;
  /** Core symbol as serialized (Hive: 'STEEM'). */
  readonly wireSymbol: string;
  readonly precision: number;
  readonly opIds: { readonly witnessUpdate: number; readonly witnessSetProperties: number | null };
  /** Layout of `legacy_chain_properties` in the Steem-family `witness_update`. */
  readonly legacyProps: 'steem' | 'hive' | 'blurt' | 'vit' | 'none';
  readonly blockIntervalS: number;
};

export type BuiltinChainName = 'bitshares' | 'hive' | 'steem' | 'blurt' | 'vit';

const prefixLengthMax = 8;
const symbolLengthMax = 7;
const precisionMax = 18;
const opIdMax = 255;
const blockIntervalSMax = 600;

/**
 * Built-in profiles. Sources: bitshares-core, openhive-network/hive, steemit/steem,
 * Blurt-Blockchain/blurt and beem's chains.py. VIT's props layout follows beem's fallback branch
 * (fee and block size only), and VIT's support of `witness_set_properties` is unverified, so it is
 * left out: the guard switches VIT keys with `witness_update` and the active key.
 */
export const chainProfiles: Readonly<Record<BuiltinChainName, ChainProfile>> = Object.freeze({
  bitshares: Object.freeze({
    name: 'bitshares',
    family: 'bitshares',
    prefix: 'BTS',
    chainId: '4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8',
    coreSymbol: '1.3.0',
    wireSymbol: '1.3.0',
    precision: 5,
    opIds: Object.freeze({ witnessUpdate: 21, witnessSetProperties: null }),
    legacyProps: 'none',
    blockIntervalS: 3,
  }),
  hive: Object.freeze({
    name: 'hive',
    family: 'steem',
    prefix: 'STM',
    chainId: 'beeab0de00000000000000000000000000000000000000000000000000000000',
    coreSymbol: 'HIVE',
    wireSymbol: 'STEEM',
    precision: 3,
    opIds: Object.freeze({ witnessUpdate: 11, witnessSetProperties: 42 }),
    legacyProps: 'hive',
    blockIntervalS: 3,
  }),
  steem: Object.freeze({
    name: 'steem',
    family: 'steem',
    prefix: 'STM',
    chainId: '0000000000000000000000000000000000000000000000000000000000000000',
    coreSymbol: 'STEEM',
    wireSymbol: 'STEEM',
    precision: 3,
    opIds: Object.freeze({ witnessUpdate: 11, witnessSetProperties: 42 }),
    legacyProps: 'steem',
    blockIntervalS: 3,
  }),
  blurt: Object.freeze({
    name: 'blurt',
    family: 'steem',
    prefix: 'BLT',
    chainId: 'cd8d90f29ae273abec3eaa7731e25934c63eb654d55080caff2ebb7f5df6381f',
    coreSymbol: 'BLURT',
    wireSymbol: 'BLURT',
    precision: 3,
    opIds: Object.freeze({ witnessUpdate: 7, witnessSetProperties: 33 }),
    legacyProps: 'blurt',
    blockIntervalS: 3,
  }),
  vit: Object.freeze({
    name: 'vit',
    family: 'steem',
    prefix: 'VIT',
    chainId: '73f14dd4b7b07a8663be9d84300de0f65ef2ee7e27aae32bbe911c548c08f000',
    coreSymbol: 'VIT',
    wireSymbol: 'VIT',
    precision: 3,
    opIds: Object.freeze({ witnessUpdate: 11, witnessSetProperties: null }),
    legacyProps: 'vit',
    blockIntervalS: 3,
  }),
});

/** Fields of a custom profile; omitted ones are taken from the family's usual values. */
export type CustomProfileFields = {
  readonly name?: string;
  readonly family: ChainFamily;
  readonly prefix: string;
  readonly chainId: string;
  readonly coreSymbol: string;
  readonly wireSymbol?: string;
  readonly precision?: number;
  readonly opIds?: { readonly witnessUpdate: number; readonly witnessSetProperties: number | null };
  readonly legacyProps?: ChainProfile['legacyProps'];
  readonly blockIntervalS?: number;
};

/** Builds a validated profile for a chain that is not built in (a fork or a testnet). */
export function customProfile(fields: CustomProfileFields): ChainProfile {
  const family = checkFamily(fields.family);
  const steem = family === 'steem';
  const coreSymbol = steem
    ? checkSymbol('coreSymbol', fields.coreSymbol)
    : checkObjectIdText('coreSymbol', fields.coreSymbol);
  const opIds =
    fields.opIds ??
    (steem
      ? { witnessUpdate: 11, witnessSetProperties: 42 }
      : { witnessUpdate: 21, witnessSetProperties: null });
  return Object.freeze({
    name: checkName(fields.name ?? 'custom'),
    family,
    prefix: checkPrefix(fields.prefix),
    chainId: checkChainId(fields.chainId),
    coreSymbol,
    wireSymbol: steem ? checkSymbol('wireSymbol', fields.wireSymbol ?? coreSymbol) : coreSymbol,
    precision: checkInteger('precision', fields.precision ?? (steem ? 3 : 5), 0, precisionMax),
    opIds: Object.freeze({
      witnessUpdate: checkInteger('opIds.witnessUpdate', opIds.witnessUpdate, 0, opIdMax),
      witnessSetProperties:
        opIds.witnessSetProperties === null
          ? null
          : checkInteger('opIds.witnessSetProperties', opIds.witnessSetProperties, 0, opIdMax),
    }),
    legacyProps: checkLegacyProps(family, fields.legacyProps ?? (steem ? 'steem' : 'none')),
    blockIntervalS: checkInteger(
      'blockIntervalS',
      fields.blockIntervalS ?? 3,
      1,
      blockIntervalSMax,
    ),
  });
}

function checkFamily(value: unknown): ChainFamily {
  if (value === 'bitshares' || value === 'steem') return value;
  throw new InvalidValueError('family', "expected 'bitshares' or 'steem'");
}

function checkName(value: unknown): string {
  if (typeof value === 'string' && /^[a-z0-9][a-z0-9_-]{0,31}$/.test(value)) return value;
  throw new InvalidValueError('name', 'expected 1 to 32 lowercase letters, digits, - or _');
}

function checkPrefix(value: unknown): string {
  const pattern = new RegExp(`^[A-Z]{1,${prefixLengthMax}}$`);
  if (typeof value === 'string' && pattern.test(value)) return value;
  throw new InvalidValueError('prefix', `expected 1 to ${prefixLengthMax} capital letters`);
}

function checkChainId(value: unknown): string {
  if (typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
  throw new InvalidValueError('chainId', 'expected 64 hex characters');
}

function checkSymbol(field: string, value: unknown): string {
  const pattern = new RegExp(`^[A-Z][A-Z0-9]{0,${symbolLengthMax - 1}}$`);
  if (typeof value === 'string' && pattern.test(value)) return value;
  throw new InvalidValueError(field, `expected 1 to ${symbolLengthMax} capital letters or digits`);
}

function checkObjectIdText(field: string, value: unknown): string {
  if (typeof value === 'string' && /^1\.3\.(0|[1-9][0-9]{0,9})$/.test(value)) return value;
  throw new InvalidValueError(field, "expected an asset id such as '1.3.0'");
}

function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
    return value;
  }
  throw new InvalidValueError(field, `expected an integer from ${min} to ${max}`);
}

function checkLegacyProps(family: ChainFamily, value: unknown): ChainProfile['legacyProps'] {
  const layouts = family === 'steem' ? ['steem', 'hive', 'blurt', 'vit'] : ['none'];
  if (typeof value === 'string' && layouts.includes(value)) {
    return value as ChainProfile['legacyProps'];
  }
  throw new InvalidValueError('legacyProps', `expected one of ${layouts.join(', ')}`);
}
