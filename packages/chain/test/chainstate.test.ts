// Chain state: connecting blocks, refusing invalid data with a reason, and reorganising to most work.
import {
  type Block,
  blockHash,
  type Chain,
  coinbaseMaturityBlocks,
  genesisHashHex,
  genesisTimeS,
  powLimitBits,
  type Transaction,
  txid,
} from '@cryptoassets/chain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  craftBlock,
  type Key,
  mine,
  mineBlock,
  mineMany,
  newKey,
  spend,
  TempChains,
} from './chainstate-helpers.js';

let temp: TempChains;
let miner: Key;
beforeEach(() => {
  temp = new TempChains();
  miner = newKey();
});
afterEach(() => temp.cleanup());

/** A chain where the miner owns one mature coinbase output (of block 1). */
async function fundedChain(): Promise<{ chain: Chain; coinbaseTxid: string }> {
  const chain = await temp.open();
  const [first] = mineMany(chain, coinbaseMaturityBlocks + 1, miner.address);
  const coinbase = first?.transactions[0];
  if (!coinbase) throw new Error('no block');
  return { chain, coinbaseTxid: txid(coinbase) };
}

function nextBlock(chain: Chain, overrides: Partial<Parameters<typeof craftBlock>[0]> = {}): Block {
  const tip = chain.tip();
  return craftBlock({
    prevHash: tip.hash,
    height: tip.height + 1,
    bits: powLimitBits,
    time: tip.time + 1,
    payout: miner.address,
    ...overrides,
  });
}

describe('Chain basics', () => {
  it('starts at the pinned genesis and connects mined blocks', async () => {
    const chain = await temp.open();
    expect(chain.tip()).toMatchObject({ height: 0, hash: genesisHashHex });
    const block = mine(chain, miner.address);
    expect(chain.tip().height).toBe(1);
    expect(chain.tip().hash).toBe(blockHash(block));
    expect(chain.blockByHeight(1)).toEqual(block);
    expect(chain.submitBlock(block).status).toBe('duplicate');
    expect(chain.utxosFor([miner.address])).toMatchObject([
      { amountMinor: 50_0000_0000n, coinbase: true, height: 1, confirmations: 1 },
    ]);
  });

  it('keeps a block without parent as an orphan and connects it when the parent arrives', async () => {
    const source = await temp.open();
    const [b1, b2] = mineMany(source, 2, miner.address);
    const chain = await temp.open();
    expect(chain.submitBlock(b2 as Block).status).toBe('orphan');
    expect(chain.submitBlock(b1 as Block).status).toBe('connected');
    expect(chain.tip().hash).toBe(blockHash(b2 as Block));
  });

  it('spends a mature coinbase through the mempool and pays the fee to the miner', async () => {
    const { chain, coinbaseTxid } = await fundedChain();
    const payee = newKey();
    const tx = spend(
      miner,
      [{ txid: coinbaseTxid, vout: 0 }],
      [
        { amountMinor: 10_0000_0000n, address: payee.address },
        { amountMinor: 39_9999_0000n, address: miner.address },
      ],
    );
    expect(chain.submitTransaction(tx)).toMatchObject({ status: 'accepted', txid: txid(tx) });
    expect(chain.submitTransaction(tx).status).toBe('duplicate');
    expect(chain.transactionById(txid(tx))?.confirmations).toBe(0);
    const block = mine(chain, miner.address);
    expect(block.transactions.map(txid)).toContain(txid(tx));
    expect(block.transactions[0]?.outputs[0]?.amountMinor).toBe(50_0001_0000n);
    expect(chain.mempool.size).toBe(0);
    expect(chain.transactionById(txid(tx))).toMatchObject({ confirmations: 1, height: 12 });
    expect(chain.utxosFor([payee.address])[0]?.amountMinor).toBe(10_0000_0000n);
    expect(chain.transactionsFor([payee.address]).map((info) => info.txid)).toEqual([txid(tx)]);
  });
});

describe('invalid data is refused with a reason', () => {
  it('bad proof of work', async () => {
    const chain = await temp.open();
    const block = nextBlock(chain);
    let bad: Block = block;
    for (let nonce = 0; ; nonce++) {
      bad = { ...block, header: { ...block.header, nonce } };
      if (BigInt(`0x${blockHash(bad)}`) > BigInt(`0x7fffff${'0'.repeat(58)}`)) break;
    }
    expect(chain.submitBlock(bad)).toMatchObject({ status: 'invalid', reason: 'high-hash' });
  });

  it('wrong difficulty bits', async () => {
    const chain = await temp.open();
    const block = nextBlock(chain, { bits: 0x2000ffff });
    expect(chain.submitBlock(block)).toMatchObject({ status: 'invalid', reason: 'bad-diffbits' });
  });

  it('broken previous-hash link (kept as an orphan, never connected)', async () => {
    const chain = await temp.open();
    const block = nextBlock(chain, { prevHash: 'ab'.repeat(32) });
    expect(chain.submitBlock(block).status).toBe('orphan');
    expect(chain.tip().height).toBe(0);
  });

  it('bad merkle root', async () => {
    const chain = await temp.open();
    const block = nextBlock(chain, { merkleRoot: 'cd'.repeat(32) });
    expect(chain.submitBlock(block)).toMatchObject({
      status: 'invalid',
      reason: 'bad-txnmrklroot',
    });
  });

  it('bad signature', async () => {
    const { chain, coinbaseTxid } = await fundedChain();
    const tx = spend(
      miner,
      [{ txid: coinbaseTxid, vout: 0 }],
      [{ amountMinor: 49_0000_0000n, address: miner.address }],
    );
    const input = tx.inputs[0];
    if (!input) throw new Error('no input');
    const signature = input.signature.slice();
    signature[10] = (signature[10] ?? 0) ^ 1;
    const forged = { ...tx, inputs: [{ ...input, signature }] };
    expect(chain.submitTransaction(forged)).toMatchObject({
      status: 'invalid',
      reason: 'bad-txns-signature',
    });
    const block = nextBlock(chain, { transactions: [forged] });
    expect(chain.submitBlock(block)).toMatchObject({
      status: 'invalid',
      reason: 'bad-txns-signature',
    });
    expect(chain.tip().height).toBe(coinbaseMaturityBlocks + 1);
  });

  it('someone else spending an output (public key does not match the address)', async () => {
    const { chain, coinbaseTxid } = await fundedChain();
    const thief = newKey();
    const tx = spend(
      thief,
      [{ txid: coinbaseTxid, vout: 0 }],
      [{ amountMinor: 49_0000_0000n, address: thief.address }],
    );
    expect(chain.submitTransaction(tx).reason).toBe('bad-txns-pubkey-mismatch');
  });

  it('double spend, within a block, against the UTXO set and in the mempool', async () => {
    const { chain, coinbaseTxid } = await fundedChain();
    const outpoint = [{ txid: coinbaseTxid, vout: 0 }];
    const a = spend(miner, outpoint, [{ amountMinor: 49_0000_0000n, address: miner.address }]);
    const b = spend(miner, outpoint, [{ amountMinor: 48_0000_0000n, address: miner.address }]);
    expect(chain.submitBlock(nextBlock(chain, { transactions: [a, b] }))).toMatchObject({
      status: 'invalid',
      reason: 'bad-txns-inputs-missingorspent',
    });
    expect(chain.submitTransaction(a).status).toBe('accepted');
    expect(chain.submitTransaction(b)).toMatchObject({
      status: 'invalid',
      reason: 'txn-mempool-conflict',
    });
    mine(chain, miner.address);
    expect(chain.submitTransaction(b).reason).toBe('bad-txns-inputs-missingorspent');
    expect(chain.submitBlock(nextBlock(chain, { transactions: [b] })).reason).toBe(
      'bad-txns-inputs-missingorspent',
    );
  });

  it('immature coinbase spend', async () => {
    const chain = await temp.open();
    const [first] = mineMany(chain, 3, miner.address);
    const coinbase = first?.transactions[0];
    if (!coinbase) throw new Error('no block');
    const tx = spend(
      miner,
      [{ txid: txid(coinbase), vout: 0 }],
      [{ amountMinor: 49_0000_0000n, address: miner.address }],
    );
    expect(chain.submitTransaction(tx).reason).toBe('bad-txns-premature-spend-of-coinbase');
  });

  it('coinbase larger than reward plus fees', async () => {
    const chain = await temp.open();
    const block = nextBlock(chain, { coinbaseMinor: 50_0000_0001n });
    expect(chain.submitBlock(block)).toMatchObject({ status: 'invalid', reason: 'bad-cb-amount' });
    const fine = nextBlock(chain, { coinbaseMinor: 50_0000_0000n });
    expect(chain.submitBlock(fine).status).toBe('connected');
  });

  it('coinbase with the wrong height', async () => {
    const chain = await temp.open();
    const block = nextBlock(chain, { height: 7 });
    expect(chain.submitBlock(block)).toMatchObject({ status: 'invalid', reason: 'bad-cb-height' });
  });

  it('timestamp too far ahead, and not after the median of the last 11', async () => {
    const nowS = 1_800_000_000;
    const chain = await temp.open({ regtest: true }, temp.dir(), () => nowS * 1000);
    const ahead = nextBlock(chain, { time: nowS + 2 * 3600 + 1 });
    expect(chain.submitBlock(ahead)).toMatchObject({ status: 'invalid', reason: 'time-too-new' });
    for (let i = 1; i <= 5; i++) mine(chain, miner.address, 'test', nowS + i);
    // Times: genesis, now+1..now+5; the median of these 6 (upper middle) is now+3.
    const old = nextBlock(chain, { time: nowS + 3 });
    expect(chain.submitBlock(old)).toMatchObject({ status: 'invalid', reason: 'time-too-old' });
    expect(chain.submitBlock(nextBlock(chain, { time: nowS + 4 })).status).toBe('connected');
    expect(chain.submitBlock(nextBlock(chain, { time: nowS + 2 * 3600 })).status).toBe('connected');
  });

  it('an invalid block stays refused when sent again', async () => {
    const chain = await temp.open();
    const block = nextBlock(chain, { coinbaseMinor: 60_0000_0000n });
    expect(chain.submitBlock(block).status).toBe('invalid');
    expect(chain.submitBlock(block).status).toBe('invalid');
  });
});

describe('reorganisation', () => {
  it('follows most work, not length, and returns the losing fork transactions to the mempool', async () => {
    const params = { regtest: false, retargetWindowBlocks: 4, targetBlockTimeS: 10 };
    const chain = await temp.open(params);
    const at = (height: number): number => genesisTimeS + 10 * height;
    const shared: Block[] = [];
    for (let h = 1; h <= coinbaseMaturityBlocks + 1; h++) {
      shared.push(mine(chain, miner.address, 'shared', at(h)));
    }
    const fork = await temp.open(params);
    for (const block of shared) expect(fork.submitBlock(block).status).toBe('connected');
    const coinbaseTxid = txid(shared[0]?.transactions[0] as Transaction);
    const tx = spend(
      miner,
      [{ txid: coinbaseTxid, vout: 0 }],
      [{ amountMinor: 49_0000_0000n, address: newKey().address }],
    );
    expect(chain.submitTransaction(tx).status).toBe('accepted');
    // Six blocks on the slow branch keep the minimum difficulty...
    const losing = [12, 13, 14, 15, 16, 17].map((h) => mine(chain, miner.address, 'slow', at(h)));
    expect(losing[0]?.transactions.map(txid)).toContain(txid(tx));
    // ...five on the fast branch raise it at height 16: more work with fewer blocks.
    const winning = [12, 13, 14, 15, 16].map((h) =>
      mine(fork, miner.address, 'fast', at(11) + h - 11),
    );
    expect(winning[4]?.header.bits).not.toBe(powLimitBits);
    expect(fork.tip().chainWork).toBeGreaterThan(chain.tip().chainWork);
    expect(fork.tip().height).toBeLessThan(chain.tip().height);

    const results = winning.map((block) => chain.submitBlock(block));
    expect(results.slice(0, 4).map((r) => r.status)).toEqual(Array(4).fill('side-chain'));
    const last = results[4];
    expect(last?.status).toBe('connected');
    expect(last?.reorg?.disconnected.map(blockHash)).toEqual(losing.map(blockHash).reverse());
    expect(last?.reorg?.connected.map(blockHash)).toEqual(winning.map(blockHash));
    expect(chain.tip().hash).toBe(fork.tip().hash);
    expect(chain.mempool.has(txid(tx))).toBe(true);
    expect(chain.transactionById(txid(tx))?.confirmations).toBe(0);
    expect(chain.utxosFor([miner.address]).some((u) => u.txid === coinbaseTxid)).toBe(true);
    expect(chain.utxosFor([miner.address]).some((u) => u.height === 17)).toBe(false);
    const next = mine(chain, miner.address, 'after', at(11) + 10);
    expect(next.transactions.map(txid)).toContain(txid(tx));
  });

  it('rolls back to the old chain when a block of the heavier branch is invalid', async () => {
    const chain = await temp.open();
    mineMany(chain, 2, miner.address);
    const fork = await temp.open();
    const base = fork.tip();
    const b1 = craftBlock({
      prevHash: base.hash,
      height: 1,
      bits: powLimitBits,
      time: base.time + 5,
      payout: miner.address,
    });
    const bad = mineBlock({
      ...craftBlock({
        prevHash: blockHash(b1),
        height: 2,
        bits: powLimitBits,
        time: base.time + 6,
        payout: miner.address,
        coinbaseMinor: 99_0000_0000n,
      }),
    });
    const b3 = craftBlock({
      prevHash: blockHash(bad),
      height: 3,
      bits: powLimitBits,
      time: base.time + 7,
      payout: miner.address,
    });
    const tipBefore = chain.tip();
    expect(chain.submitBlock(b1).status).toBe('side-chain');
    expect(chain.submitBlock(bad).status).toBe('side-chain');
    expect(chain.submitBlock(b3)).toMatchObject({ status: 'invalid', reason: 'bad-prevblk' });
    expect(chain.tip()).toEqual(tipBefore);
    expect(chain.blockMeta(blockHash(b1))?.inMainChain).toBe(false);
  });

  it('emits block, tx and tip events after the change is stored', async () => {
    const { chain, coinbaseTxid } = await fundedChain();
    const events: string[] = [];
    chain.on('tx', (event) => events.push(`tx:${event.source}:${event.txid.slice(0, 8)}`));
    chain.on('block', (event) => events.push(`block:${event.height}`));
    chain.on('tip', (tip) => events.push(`tip:${tip.height}`));
    const tx = spend(
      miner,
      [{ txid: coinbaseTxid, vout: 0 }],
      [{ amountMinor: 49_0000_0000n, address: miner.address }],
    );
    chain.submitTransaction(tx);
    const block = mine(chain, miner.address);
    const coinbase = txid(block.transactions[0] as Transaction).slice(0, 8);
    const spendId = txid(tx).slice(0, 8);
    expect(events).toEqual([
      `tx:mempool:${spendId}`,
      'block:12',
      `tx:block:${coinbase}`,
      `tx:block:${spendId}`,
      'tip:12',
    ]);
  });
});
