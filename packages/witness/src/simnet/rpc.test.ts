// Fuzz tests of the simnet's JSON-RPC methods: only RpcFaults, and no tampered transaction applies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chainProfiles,
  formatExpiration,
  publicKeyOf,
  refBlock,
  setPropertiesOp,
  signTransaction,
} from '../graphene/index.js';
import { testSecret, testWitnesses } from '../testing/index.js';
import { SimChain } from './chain.js';
import { dispatch, RpcFault } from './rpc.js';

const hive = chainProfiles.hive;

function chainOf(profile = hive): SimChain {
  const chain = new SimChain(
    {
      profile,
      witnesses: testWitnesses(['alice', 'bob', 'carol']),
      shuffle: false,
      seed: 1,
      witnessUpdateFee: 2_000_000n,
      balance: 100_000_000n,
      wholeSeconds: false,
      emit: () => {},
    },
    Date.now(),
  );
  for (const account of ['alice', 'bob', 'carol']) {
    chain.addServer({ name: account, account, signingSecret: testSecret(`${account}-signing`) });
  }
  return chain;
}

function access(chain: SimChain) {
  return { chain, view: () => chain, stale: () => false };
}

async function typedOnly(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(RpcFault);
  }
}

const methods = [
  'call',
  'condenser_api.get_witness_by_account',
  'condenser_api.get_block_header',
  'condenser_api.get_transaction_hex',
  'condenser_api.broadcast_transaction',
  'database_api.find_witnesses',
  'block_api.get_block_header',
  'get_objects',
  'get_required_fees',
  'get_witness_by_account',
  'broadcast_transaction',
  'nonsense',
];

describe('simnet JSON-RPC dispatch', () => {
  for (const profile of [hive, chainProfiles.bitshares]) {
    it(`${profile.name}: any params give a result or an RpcFault`, async () => {
      const chain = chainOf(profile);
      chain.slot(Date.now());
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...methods), fc.jsonValue(), async (method, params) => {
          await typedOnly(() => dispatch(access(chain), method, params));
        }),
        { numRuns: 400 },
      );
      expect(chain.head.num).toBe(1);
    });
  }

  it('never applies a tampered signed transaction', async () => {
    const chain = chainOf();
    chain.slot(Date.now());
    const op = setPropertiesOp(hive, {
      owner: 'alice',
      currentKey: publicKeyOf(testSecret('alice-signing'), 'STM'),
      newKey: publicKeyOf(testSecret('backup'), 'STM'),
    });
    const tx = signTransaction(
      hive,
      {
        ...refBlock(chain.head.id),
        expiration: formatExpiration(Math.floor(chain.head.timeMs / 1000) + 60),
        operations: [op],
        extensions: [],
      },
      [testSecret('alice-signing')],
    );
    const fields = ['ref_block_num', 'ref_block_prefix', 'expiration', 'operations', 'signatures'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), fc.jsonValue(), async (field, value) => {
        const tampered = { ...tx, [field]: value };
        if (JSON.stringify(tampered) === JSON.stringify(tx)) return;
        const call = () =>
          dispatch(access(chain), 'condenser_api.broadcast_transaction', [tampered]);
        await expect(call()).rejects.toBeInstanceOf(RpcFault);
      }),
      { numRuns: 300 },
    );
    await dispatch(access(chain), 'condenser_api.broadcast_transaction', [tx]);
    chain.slot(Date.now());
    expect(chain.witnesses.get('alice')?.signingKey).toBe(publicKeyOf(testSecret('backup'), 'STM'));
  });
});
