// Upstream serialization and signing vectors (beem, python-bitshares, hive-tx, dhive): every
// entry of the fixtures file pins our bytes, digests, ids and signatures.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  buildWitnessSetProperties,
  type ChainProfile,
  chainProfiles,
  formatPublicKey,
  isCanonical,
  isNullKey,
  nullPublicKey,
  type Operation,
  parsePublicKey,
  parseWif,
  publicKeyOf,
  recoverSigners,
  requiredSigners,
  type SignedTransaction,
  serializeLegacyAsset,
  serializeTransaction,
  signTransaction,
  type Transaction,
  toHex,
  transactionDigest,
  transactionId,
} from '@cryptoassets/witness';
import { describe, expect, it } from 'vitest';

type TxVector = {
  chain_id: string;
  operation: [string | number, Record<string, unknown>];
  unsigned_hex: string;
  signature: string;
  digest: string;
  txid: string;
  derived_digest_hive_chain?: string;
};

const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/graphene-vectors.json', import.meta.url), 'utf8'),
) as {
  common: {
    ref_block_num: number;
    ref_block_prefix: number;
    expiration: string;
    wif: string;
    pubkey_STM: string;
    pubkey_BTS: string;
  };
  steem_witness_update: TxVector;
  steem_witness_set_properties: TxVector;
  bitshares_witness_update: TxVector;
  hive_tx_buildWitnessSetProperties: {
    wif: string;
    input: { owner: string; props: Record<string, unknown> };
    expected_json: string;
  };
  dhive_transaction: {
    tx: Transaction;
    hex: string;
    recovered_pubkey: string;
    digest_hive_chain: string;
  };
  null_key: Record<string, string>;
  asset_vectors_dhive: Array<[string, string]>;
};
const { common } = vectors;

const sha256Hex = (hex: string): string =>
  createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');

function txOf(operation: TxVector['operation'], profile: ChainProfile): Transaction {
  const [tag, body] = operation;
  const name =
    tag === profile.opIds.witnessUpdate && typeof tag === 'number' ? 'witness_update' : tag;
  return {
    ref_block_num: common.ref_block_num,
    ref_block_prefix: common.ref_block_prefix,
    expiration: common.expiration,
    operations: [[String(name), body]],
    extensions: [],
  };
}

const txVectors: Array<[string, TxVector, ChainProfile, string]> = [
  ['steem_witness_update', vectors.steem_witness_update, chainProfiles.steem, common.pubkey_STM],
  [
    'steem_witness_set_properties',
    vectors.steem_witness_set_properties,
    chainProfiles.steem,
    common.pubkey_STM,
  ],
  [
    'bitshares_witness_update',
    vectors.bitshares_witness_update,
    chainProfiles.bitshares,
    common.pubkey_BTS,
  ],
];

describe.each(txVectors)('%s', (_name, vector, profile, pubkey) => {
  const tx = txOf(vector.operation, profile);

  it('the vector uses the profile chain id', () => {
    expect(vector.chain_id).toBe(profile.chainId);
  });

  it('serializes to the unsigned bytes exactly', () => {
    expect(toHex(serializeTransaction(profile, tx))).toBe(vector.unsigned_hex);
  });

  it('has the digest and transaction id', () => {
    expect(toHex(transactionDigest(profile, tx))).toBe(vector.digest);
    expect(sha256Hex(vector.chain_id + vector.unsigned_hex)).toBe(vector.digest);
    expect(transactionId(profile, tx)).toBe(vector.txid);
  });

  it('the upstream signature verifies and recovers the common key', () => {
    expect(isCanonical(Buffer.from(vector.signature, 'hex'))).toBe(true);
    const signed: SignedTransaction = { ...tx, signatures: [vector.signature] };
    expect(recoverSigners(profile, signed)).toEqual([pubkey]);
  });

  it('a signature over another transaction recovers a different key', () => {
    const other: SignedTransaction = {
      ...tx,
      ref_block_num: (tx.ref_block_num + 1) & 0xffff,
      signatures: [vector.signature],
    };
    expect(recoverSigners(profile, other)).not.toEqual([pubkey]);
  });

  it('our own signature is canonical, deterministic and recovers the common key', () => {
    const secret = parseWif(common.wif);
    expect(publicKeyOf(secret, profile.prefix)).toBe(pubkey);
    const signed = signTransaction(profile, tx, [secret]);
    expect(signed.signatures).toHaveLength(1);
    const signature = signed.signatures[0] ?? '';
    expect(signature).toMatch(/^[0-9a-f]{130}$/);
    expect(isCanonical(Buffer.from(signature, 'hex'))).toBe(true);
    expect(recoverSigners(profile, signed)).toEqual([pubkey]);
    expect(signTransaction(profile, tx, [secret]).signatures).toEqual(signed.signatures);
  });

  it('the numeric operation id serializes the same bytes', () => {
    const numeric = { ...tx, operations: [vector.operation as unknown as Operation] };
    expect(toHex(serializeTransaction(profile, numeric))).toBe(vector.unsigned_hex);
  });
});

describe('steem_witness_update on other chains', () => {
  const vector = vectors.steem_witness_update;

  it('gives the derived digest under the Hive chain id', () => {
    const steemLayoutOnHive = { ...chainProfiles.steem, chainId: chainProfiles.hive.chainId };
    const tx = txOf(vector.operation, steemLayoutOnHive);
    expect(toHex(transactionDigest(steemLayoutOnHive, tx))).toBe(vector.derived_digest_hive_chain);
  });

  it('the Hive profile writes hbd_interest_rate in the same place', () => {
    const [, body] = vector.operation;
    const { sbd_interest_rate, ...props } = body.props as Record<string, unknown>;
    const hiveBody = { ...body, props: { ...props, hbd_interest_rate: sbd_interest_rate } };
    const tx = txOf(['witness_update', hiveBody], chainProfiles.hive);
    expect(toHex(serializeTransaction(chainProfiles.hive, tx))).toBe(vector.unsigned_hex);
    expect(toHex(transactionDigest(chainProfiles.hive, tx))).toBe(vector.derived_digest_hive_chain);
  });

  it('Blurt uses op id 7 and no interest rate', () => {
    const [, body] = vector.operation;
    const { sbd_interest_rate: _rate, ...props } = body.props as Record<string, unknown>;
    const blurt = chainProfiles.blurt;
    const blurtBody = {
      ...body,
      block_signing_key: `BLT${String(body.block_signing_key).slice(3)}`,
      props: { ...props, account_creation_fee: '10.000 BLURT' },
      fee: '0.000 BLURT',
    };
    const hex = toHex(serializeTransaction(blurt, txOf(['witness_update', blurtBody], blurt)));
    // header, 1 op, id 7, owner, url, key, fee 10.000 BLURT, block size, fee 0.000 BLURT, no ext.
    const key = toHex(parsePublicKey(blurtBody.block_signing_key, 'BLT'));
    const blurtSymbol = '424c555254';
    expect(hex).toBe(
      `f68585abf4dce7c8045701070578${'65726f63'}08666f6f6f6f626172${key}` +
        `10270000000000000${'3'}${blurtSymbol}000047f41000` +
        `00000000000000000${'3'}${blurtSymbol}000000`,
    );
  });
});

describe('hive_tx_buildWitnessSetProperties', () => {
  const vector = vectors.hive_tx_buildWitnessSetProperties;

  it('builds the expected props, sorted by byte order, values packed as hex', () => {
    const op = buildWitnessSetProperties(
      chainProfiles.hive,
      vector.input.owner,
      vector.input.props,
    );
    expect(op[0]).toBe('witness_set_properties');
    expect(op[1]).toEqual(JSON.parse(vector.expected_json));
  });

  it('requires the signature of the key in props', () => {
    const op = buildWitnessSetProperties(
      chainProfiles.hive,
      vector.input.owner,
      vector.input.props,
    );
    expect(requiredSigners(chainProfiles.hive, op)).toEqual({ key: vector.input.props.key });
  });

  it('signs with the vector key and recovers it', () => {
    const op = buildWitnessSetProperties(
      chainProfiles.hive,
      vector.input.owner,
      vector.input.props,
    );
    const tx: Transaction = {
      ref_block_num: common.ref_block_num,
      ref_block_prefix: common.ref_block_prefix,
      expiration: common.expiration,
      operations: [op],
      extensions: [],
    };
    const secret = parseWif(vector.wif);
    const signed = signTransaction(chainProfiles.hive, tx, [secret]);
    expect(recoverSigners(chainProfiles.hive, signed)).toEqual([publicKeyOf(secret, 'STM')]);
  });
});

describe('dhive_transaction', () => {
  const vector = vectors.dhive_transaction;
  const hive = chainProfiles.hive;
  const extensionsHex = `010a${Buffer.from('long-pants').toString('hex')}`;
  const withoutExtensions: Transaction = { ...vector.tx, extensions: [] };

  it('serializes header and vote; the string extensions are the only difference', () => {
    expect(vector.hex.endsWith(extensionsHex)).toBe(true);
    const ours = toHex(serializeTransaction(hive, withoutExtensions));
    expect(`${ours.slice(0, -2)}${extensionsHex}`).toBe(vector.hex);
  });

  it('refuses non-empty transaction extensions rather than guessing their encoding', () => {
    expect(() => serializeTransaction(hive, vector.tx)).toThrow(/extensions/);
  });

  it('the digest on the Hive chain is sha256(chain id || bytes)', () => {
    expect(sha256Hex(hive.chainId + vector.hex)).toBe(vector.digest_hive_chain);
  });

  it('the signer key derived from sha256("hello") is the recovered key', () => {
    const secret = new Uint8Array(createHash('sha256').update('hello').digest());
    expect(publicKeyOf(secret, 'STM')).toBe(vector.recovered_pubkey);
    const signed = signTransaction(hive, withoutExtensions, [secret]);
    expect(recoverSigners(hive, signed)).toEqual([vector.recovered_pubkey]);
  });
});

describe('null_key', () => {
  const vector = vectors.null_key;
  const prefixes = ['STM', 'BTS', 'VIT', 'BLT'];

  it.each(prefixes)('%s null key is 33 zero bytes with the ripemd160 checksum', (prefix) => {
    const text = vector[prefix] ?? '';
    expect(text).toBe(`${prefix}${vector.suffix}`);
    expect(nullPublicKey(prefix)).toBe(text);
    expect(isNullKey(text)).toBe(true);
    expect(toHex(parsePublicKey(text, prefix))).toBe(vector.bytes);
    expect(formatPublicKey(new Uint8Array(33), prefix)).toBe(text);
  });

  it('the checksum is ripemd160 of 33 zero bytes', () => {
    const digest = createHash('ripemd160').update(new Uint8Array(33)).digest('hex');
    expect(digest.slice(0, 8)).toBe(vector.checksum_ripemd160_4);
  });

  it('a real key is not the null key', () => {
    expect(isNullKey(common.pubkey_STM)).toBe(false);
  });
});

describe('asset_vectors_dhive', () => {
  it.each(vectors.asset_vectors_dhive)('%s is %s', (hex, text) => {
    expect(toHex(serializeLegacyAsset(text))).toBe(hex);
  });
});
