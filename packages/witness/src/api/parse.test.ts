// Fuzz and example tests of the API answer readers: only typed errors, exact 64-bit counters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainResponseError } from './errors.js';
import {
  parseBroadcastResult,
  parseChainId,
  parseHead,
  parseObjectLinks,
  parseRequiredFee,
  parseRpcEnvelope,
  parseSchedule,
  parseWitness,
} from './parse.js';

const key = 'STM6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV';
const steemWitness = {
  id: 7,
  owner: 'alice',
  url: 'https://alice.example',
  signing_key: key,
  total_missed: '4294967296',
  last_confirmed_block_num: 12,
  last_aslot: 20,
  props: { account_creation_fee: '3.000 HIVE', maximum_block_size: 65536, hbd_interest_rate: 0 },
};

/** Every reader either returns or throws ChainResponseError, whatever the node sends. */
const readers: Array<[string, (json: unknown) => unknown]> = [
  ['envelope', (j) => parseRpcEnvelope('m', j)],
  ['head', parseHead],
  ['steem witness', (j) => parseWitness('steem', 'alice', j)],
  ['bitshares witness', (j) => parseWitness('bitshares', 'alice', j)],
  ['steem schedule', (j) => parseSchedule('steem', j)],
  ['bitshares schedule', (j) => parseSchedule('bitshares', j)],
  ['steem chain id', (j) => parseChainId('steem', j)],
  ['bitshares chain id', (j) => parseChainId('bitshares', j)],
  ['fees', parseRequiredFee],
  ['broadcast', parseBroadcastResult],
  ['objects', parseObjectLinks],
];

function onlyTypedErrors(read: (json: unknown) => unknown, json: unknown): void {
  try {
    read(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ChainResponseError);
  }
}

describe('response readers', () => {
  for (const [name, read] of readers) {
    it(`${name}: any JSON gives a value or a ChainResponseError`, () => {
      fc.assert(
        fc.property(fc.jsonValue(), (json) => onlyTypedErrors(read, json)),
        { numRuns: 300 },
      );
    });
  }

  it('head: mutated fields of a valid answer never slip through unchecked', () => {
    const valid = {
      head_block_number: 5,
      head_block_id: `00000005${'ab'.repeat(16)}`,
      time: '2026-01-02T03:04:05',
      current_witness: 'bob',
      current_aslot: '9',
      last_irreversible_block_num: 3,
    };
    const head = parseHead(valid);
    expect(head.time.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(head.currentAslot).toBe(9);
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(valid)),
        fc.oneof(fc.jsonValue(), fc.constant(undefined)),
        (field, value) => {
          const mutated = { ...valid, [field]: value };
          try {
            const parsed = parseHead(mutated);
            expect(Number.isSafeInteger(parsed.headBlockNumber)).toBe(true);
            expect(parsed.headBlockId).toMatch(/^[0-9a-f]{40}$/);
            expect(Number.isNaN(parsed.time.getTime())).toBe(false);
          } catch (error) {
            expect(error).toBeInstanceOf(ChainResponseError);
          }
        },
      ),
    );
  });

  it('reads 64-bit counters sent as strings, refuses ones above 2^53', () => {
    expect(parseWitness('steem', 'alice', steemWitness)?.totalMissed).toBe(4294967296);
    expect(() =>
      parseWitness('steem', 'alice', { ...steemWitness, total_missed: '18446744073709551615' }),
    ).toThrow(ChainResponseError);
    expect(() => parseWitness('steem', 'alice', { ...steemWitness, total_missed: -1 })).toThrow(
      /total_missed/,
    );
  });

  it('keeps the raw witness and rejects an answer about another account', () => {
    const witness = parseWitness('steem', 'alice', steemWitness);
    expect(witness?.raw.props).toEqual(steemWitness.props);
    expect(parseWitness('steem', 'alice', null)).toBeUndefined();
    expect(() => parseWitness('steem', 'bob', steemWitness)).toThrow(/owner is alice/);
  });

  it('reads BitShares witnesses, schedules and object links', () => {
    const w = parseWitness('bitshares', 'alice', {
      id: '1.6.12',
      witness_account: '1.2.99',
      url: '',
      signing_key: key.replace('STM', 'BTS'),
      total_missed: 3,
      last_confirmed_block_num: 1,
      last_aslot: 2,
    });
    expect(w).toMatchObject({ account: 'alice', id: '1.6.12', witnessAccountId: '1.2.99' });
    expect(
      parseSchedule('bitshares', [{ current_shuffled_witnesses: ['1.6.1', '1.6.2'] }]),
    ).toEqual(['1.6.1', '1.6.2']);
    expect(() => parseSchedule('bitshares', [{ current_shuffled_witnesses: ['bob'] }])).toThrow(
      ChainResponseError,
    );
    const links = parseObjectLinks([
      { id: '1.6.1', witness_account: '1.2.5' },
      null,
      { id: '1.2.5', name: 'alice' },
    ]);
    expect([...links]).toEqual([
      ['1.6.1', '1.2.5'],
      ['1.2.5', 'alice'],
    ]);
  });

  it('reads envelopes, fees and broadcast results', () => {
    expect(parseRpcEnvelope('m', { jsonrpc: '2.0', id: 1, result: null })).toEqual({
      result: null,
    });
    expect(parseRpcEnvelope('m', { id: 1, error: { code: -32000, message: 'no' } }).error).toEqual({
      code: -32000,
      message: 'no',
    });
    expect(() => parseRpcEnvelope('m', { id: 1 })).toThrow(/neither result nor error/);
    expect(parseRequiredFee([{ amount: 2000000, asset_id: '1.3.0' }])).toEqual({
      amount: '2000000',
      asset_id: '1.3.0',
    });
    expect(parseBroadcastResult({})).toEqual({});
    expect(parseBroadcastResult({ id: 'ab'.repeat(20), block_num: 7, trx_num: 0 })).toEqual({
      id: 'ab'.repeat(20),
      blockNum: 7,
    });
    expect(parseChainId('steem', { chain_id: 'be'.repeat(32) })).toBe('be'.repeat(32));
  });
});
