// The bitcoind backend: a Bitcoin Core (or fork: Litecoin Core...) wallet over JSON-RPC, using
// wallets and labels (getnewaddress, gettransaction, listsinceblock, sendmany), exact amounts.
import {
  assert,
  type CoinConfig,
  ConfigError,
  checkAmount,
  formatAmount,
  InvalidValueError,
  isValidAddress,
  parseAmount,
} from '@cryptoassets/core';
import { BadAddress } from '@cryptoassets/ledger';
import type {
  AddressAmount,
  BackendTransaction,
  NetworkBackend,
  SinceBlock,
  TransactionLookup,
  WalletEntry,
  WalletEntryCategory,
} from '../backend.js';
import { BitcoindResponseError, BitcoindRpcError, bitcoindErrorCodes } from './errors.js';
import { type BatchAnswer, batchCallsMax, isRecord, RpcClient } from './rpc-client.js';

/** Most txids one `getTransactions` call looks up (in batches of `batchCallsMax`). */
export const transactionLookupsMax = 10_000;
/** Most outputs one `send` may pay. */
export const sendOutputsMax = 2_000;
/** Wallet entries `findWalletTransactionPaying` looks through, newest first. */
export const walletEntriesScanMax = 5_000;
/** Wallet entries asked for per listtransactions call. */
export const walletEntriesPageSize = 500;

const txidPattern = /^[0-9a-f]{64}$/;
const walletEntryCategories: ReadonlySet<string> = new Set([
  'send',
  'receive',
  'generate',
  'immature',
  'orphan',
]);

export type BitcoindBackendOptions = {
  readonly coin: CoinConfig;
  /** Defaults to a client for `coin.backend` (which must then be of type bitcoind). */
  readonly client?: RpcClient;
};

type Context = { readonly node: string; readonly method: string };

export class BitcoindBackend implements NetworkBackend {
  readonly type = 'bitcoind';
  readonly coin: CoinConfig;
  readonly client: RpcClient;
  /** Depth at which wallet funds count in `getBalance`: the coin's confirmations, at least 1. */
  readonly balanceConfirmations: number;

  constructor(options: BitcoindBackendOptions) {
    this.coin = options.coin;
    this.client = options.client ?? clientFor(options.coin);
    this.balanceConfirmations = Math.max(1, options.coin.confirmations);
  }

  async createAddress(options: { readonly label: string }): Promise<string> {
    const method = 'getnewaddress';
    const address = await this.client.call(method, [options.label]);
    if (typeof address !== 'string' || !this.validateAddress(address)) {
      throw this.#bad(method, `returned ${JSON.stringify(address)}, not a valid address`);
    }
    return address;
  }

  validateAddress(address: string): boolean {
    return isValidAddress(this.coin.profile, this.coin.network, address);
  }

  /** True when both our own check and the node's `validateaddress` accept the address. */
  async checkAddressWithNode(address: string): Promise<boolean> {
    if (!this.validateAddress(address)) return false;
    const result = await this.client.call('validateaddress', [address]);
    return isRecord(result) && result.isvalid === true;
  }

  /**
   * Funds at least `balanceConfirmations` deep. Counting shallower deposits would let a balance
   * import credit money that the ledger will credit again when the deposit reaches the threshold.
   */
  async getBalance(): Promise<bigint> {
    const method = 'getbalance';
    const result = await this.client.call(method, ['*', this.balanceConfirmations, true]);
    return this.#amount({ node: this.client.node, method }, result, 'balance');
  }

  async getTransaction(txid: string): Promise<BackendTransaction | undefined> {
    checkTxid(txid);
    const method = 'gettransaction';
    let result: unknown;
    try {
      result = await this.client.call(method, [txid, true]);
    } catch (error) {
      const unknownTx = bitcoindErrorCodes.invalidAddressOrKey;
      if (error instanceof BitcoindRpcError && error.rpcCode === unknownTx) return undefined;
      throw error;
    }
    return this.#transaction({ node: this.client.node, method }, result);
  }

  async getTransactions(txids: readonly string[]): Promise<TransactionLookup[]> {
    if (txids.length > transactionLookupsMax)
      throw new InvalidValueError('txids', `at most ${transactionLookupsMax} at once`);
    for (const txid of txids) checkTxid(txid);
    const method = 'gettransaction';
    const context = { node: this.client.node, method };
    const lookups: TransactionLookup[] = [];
    for (let start = 0; start < txids.length; start += batchCallsMax) {
      const chunk = txids.slice(start, start + batchCallsMax);
      const answers = await this.client.callBatch(
        method,
        chunk.map((txid) => [txid, true]),
      );
      for (const [index, answer] of answers.entries()) {
        const txid = chunk[index] as string;
        lookups.push(this.#lookup(context, txid, answer));
      }
    }
    return lookups;
  }

  #lookup(context: Context, txid: string, answer: BatchAnswer): TransactionLookup {
    if (!answer.ok) {
      const unknownTx = answer.error.rpcCode === bitcoindErrorCodes.invalidAddressOrKey;
      return { txid, transaction: undefined, error: unknownTx ? undefined : answer.error };
    }
    try {
      const transaction = this.#transaction(context, answer.result);
      if (transaction.txid !== txid)
        throw this.#bad(context.method, `answered for ${transaction.txid}`);
      return { txid, transaction, error: undefined };
    } catch (error) {
      return { txid, transaction: undefined, error };
    }
  }

  async send(outputs: readonly AddressAmount[]): Promise<string> {
    const amounts = this.#sendAmounts(outputs);
    const method = 'sendmany';
    const txid = await this.client.call(method, ['', amounts]);
    if (typeof txid !== 'string' || !txidPattern.test(txid)) {
      throw this.#bad(method, `returned ${JSON.stringify(txid)}, not a txid`);
    }
    return txid;
  }

  async listSinceBlock(blockHash: string | undefined): Promise<SinceBlock> {
    if (blockHash !== undefined) checkTxid(blockHash, 'blockHash');
    const method = 'listsinceblock';
    const context = { node: this.client.node, method };
    const result = await this.client.call(method, [blockHash ?? null, 1, true, true]);
    if (!isRecord(result) || typeof result.lastblock !== 'string') {
      throw this.#bad(method, 'answer without lastblock');
    }
    return {
      transactions: this.#entries(context, result.transactions),
      removed: result.removed === undefined ? [] : this.#entries(context, result.removed),
      lastBlock: result.lastblock,
    };
  }

  async getBlockCount(): Promise<number> {
    const method = 'getblockcount';
    const count = await this.client.call(method);
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw this.#bad(method, `returned ${JSON.stringify(count)}, not a block count`);
    }
    return count;
  }

  async getBestBlockHash(): Promise<string> {
    const method = 'getbestblockhash';
    const hash = await this.client.call(method);
    if (typeof hash !== 'string' || !txidPattern.test(hash)) {
      throw this.#bad(method, `returned ${JSON.stringify(hash)}, not a block hash`);
    }
    return hash;
  }

  async findWalletTransactionPaying(
    outputs: readonly AddressAmount[],
    options: { readonly sinceTimeS?: number } = {},
  ): Promise<string | undefined> {
    this.#sendAmounts(outputs); // the same checks as a send: valid, positive, distinct
    const wanted = new Map(outputs.map((output) => [output.address, output.amount]));
    const sends = await this.#recentSends(options.sinceTimeS ?? 0);
    let best: { readonly txid: string; readonly time: number } | undefined;
    for (const [txid, send] of sends) {
      if (!samePayments(send.paid, wanted)) continue;
      if (!best || send.time > best.time) best = { txid, time: send.time };
    }
    return best?.txid;
  }

  /** Send entries of recent wallet transactions, grouped by txid (abandoned ones left out). */
  async #recentSends(
    sinceTimeS: number,
  ): Promise<Map<string, { paid: Map<string, bigint>; time: number }>> {
    const method = 'listtransactions';
    const context = { node: this.client.node, method };
    const sends = new Map<string, { paid: Map<string, bigint>; time: number }>();
    for (let skip = 0; skip < walletEntriesScanMax; skip += walletEntriesPageSize) {
      const page = await this.client.call(method, ['*', walletEntriesPageSize, skip, true]);
      if (!Array.isArray(page)) throw this.#bad(method, 'answer is not a list');
      let newest = 0;
      for (const entry of page) {
        if (!isRecord(entry)) throw this.#bad(method, 'entry is not an object');
        const time = typeof entry.time === 'number' ? entry.time : 0;
        newest = Math.max(newest, time);
        if (entry.category !== 'send' || entry.abandoned === true) continue;
        if (typeof entry.txid !== 'string' || typeof entry.address !== 'string') continue;
        if (time < sinceTimeS) continue;
        const amount = -this.#amount(context, entry.amount, 'amount');
        const send = sends.get(entry.txid) ?? { paid: new Map<string, bigint>(), time };
        send.paid.set(entry.address, (send.paid.get(entry.address) ?? 0n) + amount);
        sends.set(entry.txid, send);
      }
      if (page.length < walletEntriesPageSize || newest < sinceTimeS) break;
    }
    return sends;
  }

  /** Checks a send's outputs and returns sendmany's address → exact decimal string object. */
  #sendAmounts(outputs: readonly AddressAmount[]): Record<string, string> {
    if (outputs.length === 0) throw new InvalidValueError('outputs', 'nothing to send');
    if (outputs.length > sendOutputsMax) {
      throw new InvalidValueError('outputs', `more than ${sendOutputsMax} outputs`);
    }
    const amounts: Record<string, string> = {};
    for (const [index, output] of outputs.entries()) {
      if (!this.validateAddress(output.address)) {
        throw new BadAddress(output.address, this.coin.symbol, this.coin.network);
      }
      if (Object.hasOwn(amounts, output.address)) {
        throw new InvalidValueError(`outputs[${index}].address`, 'address appears twice');
      }
      const amount = checkAmount(output.amount, `outputs[${index}].amount`);
      amounts[output.address] = formatAmount(amount, this.coin.profile.decimals);
    }
    return amounts;
  }

  #transaction(context: Context, result: unknown): BackendTransaction {
    if (!isRecord(result)) throw this.#bad(context.method, 'answer is not an object');
    const { txid, confirmations, blockhash, fee, details, time } = result;
    if (typeof txid !== 'string' || !txidPattern.test(txid)) {
      throw this.#bad(context.method, 'answer without a txid');
    }
    if (typeof confirmations !== 'number' || !Number.isSafeInteger(confirmations)) {
      throw this.#bad(context.method, 'answer without confirmations');
    }
    if (!Array.isArray(details)) throw this.#bad(context.method, 'answer without details');
    const received = new Map<string, bigint>();
    const sent = new Map<string, bigint>();
    for (const detail of details) {
      if (!isRecord(detail)) throw this.#bad(context.method, 'detail is not an object');
      if (typeof detail.address !== 'string') continue;
      const target =
        detail.category === 'receive' ? received : detail.category === 'send' ? sent : undefined;
      if (!target) continue;
      const amount = this.#amount(context, detail.amount, 'details.amount');
      const magnitude = amount < 0n ? -amount : amount;
      target.set(detail.address, (target.get(detail.address) ?? 0n) + magnitude);
    }
    const feeMinor = fee === undefined ? undefined : this.#amount(context, fee, 'fee');
    return {
      txid,
      confirmations,
      blockHash: typeof blockhash === 'string' ? blockhash : undefined,
      fee: feeMinor === undefined ? undefined : feeMinor < 0n ? -feeMinor : feeMinor,
      received: [...received].map(([address, amount]) => ({ address, amount })),
      sent: [...sent].map(([address, amount]) => ({ address, amount })),
      time: typeof time === 'number' ? time : 0,
    };
  }

  #entries(context: Context, list: unknown): WalletEntry[] {
    if (!Array.isArray(list)) throw this.#bad(context.method, 'transactions is not a list');
    const entries: WalletEntry[] = [];
    for (const entry of list) {
      if (!isRecord(entry)) throw this.#bad(context.method, 'entry is not an object');
      const { txid, address, category, amount, confirmations } = entry;
      // Outputs without an address (data carriers, non-standard scripts) pay nobody we track.
      if (typeof category !== 'string' || !walletEntryCategories.has(category)) continue;
      if (typeof txid !== 'string' || typeof address !== 'string') continue;
      if (typeof confirmations !== 'number') throw this.#bad(context.method, 'no confirmations');
      const value = this.#amount(context, amount, 'amount');
      entries.push({
        txid,
        address,
        category: category as WalletEntryCategory,
        amount: value < 0n ? -value : value,
        confirmations,
      });
    }
    return entries;
  }

  /** Reads an amount the node wrote as a JSON number (kept as its decimal text by the client). */
  #amount(context: Context, value: unknown, field: string): bigint {
    const decimals = this.coin.profile.decimals;
    try {
      if (typeof value === 'number' && Number.isSafeInteger(value)) {
        return BigInt(value) * 10n ** BigInt(decimals);
      }
      return parseAmount(value, { field, decimals, sign: 'any' });
    } catch (cause) {
      throw new BitcoindResponseError(context, `bad amount in ${field}`, { cause });
    }
  }

  #bad(method: string, problem: string): BitcoindResponseError {
    return new BitcoindResponseError({ node: this.client.node, method }, problem);
  }
}

/** The backend factory for `createBackend(coin, { bitcoind: createBitcoindBackend })`. */
export function createBitcoindBackend(coin: CoinConfig): BitcoindBackend {
  return new BitcoindBackend({ coin });
}

function clientFor(coin: CoinConfig): RpcClient {
  const config = coin.backend;
  if (config?.type !== 'bitcoind') {
    throw new ConfigError(`coins.${coin.symbol}.backend: expected type bitcoind`);
  }
  return new RpcClient({ url: config.url, timeoutMs: config.timeout_ms });
}

function checkTxid(txid: string, field = 'txid'): void {
  if (typeof txid !== 'string' || !txidPattern.test(txid)) {
    throw new InvalidValueError(field, 'expected 64 lower-case hex digits');
  }
}

function samePayments(paid: ReadonlyMap<string, bigint>, wanted: ReadonlyMap<string, bigint>) {
  if (paid.size !== wanted.size) return false;
  for (const [address, amount] of wanted) if (paid.get(address) !== amount) return false;
  assert(paid.size > 0, 'a send pays something');
  return true;
}
