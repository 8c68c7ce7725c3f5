// The RPC method table: bitcoind's names, parameters, field names and error codes, mapped onto
// an `RpcBackend`. Each method reads its parameters, asks the backend, and shapes the answer.
import { invalidParameter, RpcError, rpcErrorCodes, typeError } from './errors.js';
import { Coins, type JsonIn, type JsonOut } from './json.js';
import {
  generateBlocksMax,
  listCountMax,
  positional,
  readAmount,
  readBool,
  readHash,
  readInt,
  readObject,
  readString,
  requiredParam,
  sendOutputsMax,
} from './params.js';
import type { RpcBackend, RpcBlock, RpcWalletEntry, RpcWalletTransaction } from './types.js';

type Args = readonly (JsonIn | undefined)[];

export type RpcMethod = {
  /** bitcoind's parameter names, for named parameters. */
  readonly params: readonly string[];
  /** Answers while the node loads (otherwise -28). */
  readonly duringWarmup?: boolean;
  readonly run: (backend: RpcBackend, args: Args) => JsonOut | Promise<JsonOut>;
};

const blockHashParam = 'blockhash';

function blockJson(block: RpcBlock, verbosity: number): JsonOut {
  if (verbosity === 0) return block.hex;
  return {
    hash: block.hash,
    confirmations: block.confirmations,
    size: block.sizeBytes,
    height: block.height,
    version: block.version,
    versionHex: block.version.toString(16).padStart(8, '0'),
    merkleroot: block.merkleRoot,
    tx: block.txids,
    time: block.timeS,
    mediantime: block.timeS,
    nonce: block.nonce,
    bits: block.bits.toString(16).padStart(8, '0'),
    difficulty: difficulty(block.target),
    chainwork: block.chainWork.toString(16).padStart(64, '0'),
    nTx: block.txids.length,
    previousblockhash: block.previousHash,
    nextblockhash: block.nextHash,
    miner: block.minerTag,
  };
}

/** bitcoind's difficulty: the minimum-difficulty target of Bitcoin over this target. */
export function difficulty(target: bigint): number {
  const difficultyOneTarget = 0xffffn << 208n;
  if (target <= 0n) return 0;
  const scaled = (difficultyOneTarget * 100_000_000n) / target;
  return Number(scaled) / 100_000_000;
}

function findBlock(backend: RpcBackend, hash: string): RpcBlock {
  const block = backend.block(hash);
  if (!block) throw new RpcError(rpcErrorCodes.invalidAddressOrKey, 'Block not found');
  return block;
}

function checkAddress(backend: RpcBackend, address: string, message: string): string {
  if (!backend.validAddress(address)) {
    throw new RpcError(rpcErrorCodes.invalidAddressOrKey, message);
  }
  return address;
}

function blockFields(item: {
  readonly confirmations: number;
  readonly blockHash?: string | undefined;
  readonly blockHeight?: number | undefined;
  readonly blockTimeS?: number | undefined;
  readonly timeS: number;
}): Record<string, JsonOut> {
  const confirmed = item.confirmations > 0 && item.blockHash !== undefined;
  return {
    confirmations: item.confirmations,
    ...(confirmed
      ? {
          blockhash: item.blockHash,
          blockheight: item.blockHeight,
          blockindex: 0,
          blocktime: item.blockTimeS,
        }
      : { trusted: item.confirmations >= 0 }),
    time: item.timeS,
    timereceived: item.timeS,
    'bip125-replaceable': 'no',
  };
}

function detailJson(entry: RpcWalletEntry): Record<string, JsonOut> {
  return {
    address: entry.address,
    category: entry.category,
    amount: new Coins(entry.amountMinor),
    label: entry.label,
    vout: entry.vout,
    fee: entry.feeMinor === undefined ? undefined : new Coins(entry.feeMinor),
    abandoned: entry.category === 'send' ? false : undefined,
  };
}

function entryJson(entry: RpcWalletEntry): JsonOut {
  const generated = entry.category === 'generate' || entry.category === 'immature';
  return {
    ...detailJson(entry),
    ...(generated ? { generated: true } : {}),
    ...blockFields(entry),
    txid: entry.txid,
  };
}

function transactionJson(tx: RpcWalletTransaction): JsonOut {
  const generated = tx.details.some((d) => d.category === 'generate' || d.category === 'immature');
  return {
    amount: new Coins(tx.amountMinor),
    fee: tx.feeMinor === undefined ? undefined : new Coins(tx.feeMinor),
    ...(generated ? { generated: true } : {}),
    ...blockFields(tx),
    txid: tx.txid,
    details: tx.details.map(detailJson),
    hex: tx.hex,
  };
}

async function listTransactions(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const label = readString(args[0], '*');
  const count = readInt(args[1], 10);
  const skip = readInt(args[2], 0);
  readBool(args[3], true);
  if (count < 0) throw invalidParameter('Negative count');
  if (skip < 0) throw invalidParameter('Negative from');
  if (count > listCountMax) throw invalidParameter(`count above ${listCountMax}`);
  const all = await backend.walletEntries();
  const entries = label === '*' ? all : all.filter((entry) => entry.label === label);
  const end = Math.max(0, entries.length - skip);
  const start = Math.max(0, end - count);
  return entries.slice(start, end).map(entryJson);
}

async function listSinceBlock(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const given = args[0] === undefined || args[0] === null || args[0] === '' ? undefined : args[0];
  const target = readInt(args[1], 1);
  readBool(args[2], true);
  readBool(args[3], true);
  if (target < 1) throw invalidParameter('Invalid parameter');
  const since = given === undefined ? undefined : readHash(given, blockHashParam);
  const fromHeight = since === undefined ? -1 : backend.forkHeight(since);
  if (fromHeight === undefined) {
    throw new RpcError(rpcErrorCodes.invalidAddressOrKey, 'Block not found');
  }
  const tip = backend.tip();
  const transactions = (await backend.walletEntries())
    .filter((entry) => entry.blockHeight === undefined || entry.blockHeight > fromHeight)
    .filter((entry) => entry.confirmations >= 0);
  const removed = since === undefined ? [] : ((await backend.removedSince?.(since)) ?? []);
  const lastHeight = Math.max(0, tip.height + 1 - target);
  return {
    transactions: transactions.map(entryJson),
    removed: removed.map(entryJson),
    lastblock: backend.blockHashAt(lastHeight) ?? tip.hash,
  };
}

async function sendMany(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const dummy = args[0];
  if (dummy !== undefined && dummy !== null && dummy !== '') {
    throw invalidParameter('Dummy value must be set to ""');
  }
  const amounts = readObject(requiredParam(args[1], 'amounts'));
  readInt(args[2], 1);
  const entries = Object.entries(amounts);
  if (entries.length === 0) throw invalidParameter('Invalid parameter, amounts must not be empty');
  if (entries.length > sendOutputsMax) {
    throw invalidParameter(`Invalid parameter, more than ${sendOutputsMax} outputs`);
  }
  const outputs = entries.map(([address, value]) => {
    checkAddress(backend, address, `Invalid Bitcoin address: ${address}`);
    const amountMinor = readAmount(value);
    if (amountMinor <= 0n) throw typeError('Invalid amount for send');
    return { address, amountMinor };
  });
  return await backend.send(outputs);
}

async function sendToAddress(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const address = readString(requiredParam(args[0], 'address'));
  checkAddress(backend, address, 'Invalid address');
  const amountMinor = readAmount(args[1]);
  if (amountMinor <= 0n) throw typeError('Invalid amount for send');
  if (readBool(args[4], false)) {
    throw invalidParameter('subtractfeefromamount is not supported by this node');
  }
  return await backend.send([{ address, amountMinor }]);
}

async function getTransaction(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const txid = readHash(args[0], 'txid');
  readBool(args[1], true);
  const tx = await backend.walletTransaction(txid);
  if (!tx) {
    throw new RpcError(rpcErrorCodes.invalidAddressOrKey, 'Invalid or non-wallet transaction id');
  }
  return transactionJson(tx);
}

async function getBalance(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const dummy = args[0];
  if (dummy !== undefined && dummy !== null && dummy !== '*') {
    throw new RpcError(-32, 'dummy first argument must be excluded or set to "*".');
  }
  const minConf = readInt(args[1], 0);
  readBool(args[2], true);
  return new Coins(await backend.balance(Math.max(0, minConf)));
}

async function getReceivedByAddress(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const address = readString(requiredParam(args[0], 'address'));
  checkAddress(backend, address, 'Invalid address');
  if (!(await backend.isMine(address))) {
    throw new RpcError(rpcErrorCodes.walletError, 'Address not found in wallet');
  }
  return new Coins(await backend.receivedByAddress(address, Math.max(0, readInt(args[1], 1))));
}

function validateAddress(backend: RpcBackend, args: Args): JsonOut {
  const address = readString(requiredParam(args[0], 'address'));
  if (!backend.validAddress(address)) return { isvalid: false };
  return { isvalid: true, address, isscript: false, iswitness: true, witness_version: 0 };
}

async function getAddressInfo(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const address = readString(requiredParam(args[0], 'address'));
  checkAddress(backend, address, 'Invalid address');
  const mine = await backend.isMine(address);
  const label = await backend.labelOf(address);
  return {
    address,
    ismine: mine,
    solvable: mine,
    iswatchonly: false,
    isscript: false,
    iswitness: true,
    witness_version: 0,
    labels: label === undefined ? [] : [label],
  };
}

async function getWalletInfo(backend: RpcBackend): Promise<JsonOut> {
  const confirmed = await backend.balance(1);
  const all = await backend.balance(0);
  const entries = await backend.walletEntries();
  const immature = entries
    .filter((entry) => entry.category === 'immature')
    .reduce((sum, entry) => sum + entry.amountMinor, 0n);
  return {
    walletname: '',
    walletversion: 169_900,
    format: 'devnet',
    balance: new Coins(confirmed),
    unconfirmed_balance: new Coins(all - confirmed),
    immature_balance: new Coins(immature),
    txcount: new Set(entries.map((entry) => entry.txid)).size,
    keypoolsize: 0,
    private_keys_enabled: true,
    avoid_reuse: false,
    scanning: false,
    descriptors: false,
  };
}

function getBlockchainInfo(backend: RpcBackend): JsonOut {
  const tip = backend.tip();
  const block = backend.block(tip.hash);
  return {
    chain: backend.chainName,
    blocks: tip.height,
    headers: tip.height,
    bestblockhash: tip.hash,
    difficulty: block ? difficulty(block.target) : 0,
    time: block?.timeS,
    mediantime: block?.timeS,
    verificationprogress: 1,
    initialblockdownload: false,
    chainwork: tip.chainWork.toString(16).padStart(64, '0'),
    pruned: false,
    warnings: '',
  };
}

async function generateToAddress(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const count = readInt(requiredParam(args[0], 'nblocks'));
  const address = readString(requiredParam(args[1], 'address'));
  if (count < 0 || count > generateBlocksMax) {
    throw invalidParameter(`nblocks must be between 0 and ${generateBlocksMax}`);
  }
  checkAddress(backend, address, 'Error: Invalid address');
  return [...(await backend.mineBlocks(count, address))];
}

function getBlock(backend: RpcBackend, args: Args): JsonOut {
  const hash = readHash(args[0], blockHashParam);
  const raw = args[1];
  const verbosity = typeof raw === 'boolean' ? (raw ? 1 : 0) : readInt(raw, 1);
  return blockJson(findBlock(backend, hash), Math.min(Math.max(verbosity, 0), 1));
}

function getBlockHeader(backend: RpcBackend, args: Args): JsonOut {
  const block = findBlock(backend, readHash(args[0], blockHashParam));
  if (!readBool(args[1], true)) return block.hex.slice(0, 160);
  const { tx: _tx, size: _size, ...header } = blockJson(block, 1) as Record<string, JsonOut>;
  return header;
}

function getBlockHash(backend: RpcBackend, args: Args): JsonOut {
  const height = readInt(requiredParam(args[0], 'height'));
  const hash = height < 0 ? undefined : backend.blockHashAt(height);
  if (hash === undefined) throw invalidParameter('Block height out of range');
  return hash;
}

async function getNewAddress(backend: RpcBackend, args: Args): Promise<JsonOut> {
  const label = readString(args[0], '');
  if (label === '*') throw new RpcError(-11, 'Invalid label name');
  return await backend.newAddress(label);
}

function registry(backend: RpcBackend) {
  if (!backend.wallets) throw new RpcError(rpcErrorCodes.methodNotFound, 'Method not found');
  return backend.wallets;
}

async function walletCall(
  backend: RpcBackend,
  args: Args,
  act: 'create' | 'load' | 'unload',
): Promise<JsonOut> {
  const name = readString(requiredParam(args[0], 'wallet_name'));
  await registry(backend)[act](name);
  return act === 'unload' ? { warning: '' } : { name, warning: '' };
}

/** Every method the node answers, by bitcoind's name. */
export const rpcMethods: Readonly<Record<string, RpcMethod>> = {
  getblockcount: { params: [], run: (b) => b.tip().height },
  getbestblockhash: { params: [], run: (b) => b.tip().hash },
  getblockhash: { params: ['height'], run: getBlockHash },
  getblock: { params: [blockHashParam, 'verbosity'], run: getBlock },
  getblockheader: { params: [blockHashParam, 'verbose'], run: getBlockHeader },
  getblockchaininfo: { params: [], run: getBlockchainInfo },
  getrawmempool: { params: ['verbose'], run: (b) => [...b.mempoolTxids()] },
  getnewaddress: { params: ['label', 'address_type'], run: getNewAddress },
  getbalance: {
    params: ['dummy', 'minconf', 'include_watchonly', 'avoid_reuse'],
    run: getBalance,
  },
  getreceivedbyaddress: { params: ['address', 'minconf'], run: getReceivedByAddress },
  sendtoaddress: {
    params: ['address', 'amount', 'comment', 'comment_to', 'subtractfeefromamount'],
    run: sendToAddress,
  },
  sendmany: {
    params: ['dummy', 'amounts', 'minconf', 'comment', 'subtractfeefrom'],
    run: sendMany,
  },
  gettransaction: { params: ['txid', 'include_watchonly', 'verbose'], run: getTransaction },
  listsinceblock: {
    params: [blockHashParam, 'target_confirmations', 'include_watchonly', 'include_removed'],
    run: listSinceBlock,
  },
  listtransactions: {
    params: ['label', 'count', 'skip', 'include_watchonly'],
    run: listTransactions,
  },
  validateaddress: { params: ['address'], duringWarmup: true, run: validateAddress },
  getaddressinfo: { params: ['address'], run: getAddressInfo },
  getwalletinfo: { params: [], run: getWalletInfo },
  generatetoaddress: {
    params: ['nblocks', 'address', 'maxtries'],
    run: generateToAddress,
  },
  ping: { params: [], run: () => null },
  createwallet: {
    params: ['wallet_name', 'disable_private_keys', 'blank', 'passphrase', 'avoid_reuse'],
    run: (b, args) => walletCall(b, args, 'create'),
  },
  loadwallet: { params: ['filename', 'load_on_startup'], run: (b, a) => walletCall(b, a, 'load') },
  unloadwallet: {
    params: ['wallet_name', 'load_on_startup'],
    run: (b, a) => walletCall(b, a, 'unload'),
  },
  listwallets: { params: [], run: (b) => [...registry(b).loaded()] },
};

/** Runs one call; throws RpcError (unknown method, warm-up, bad parameters, the method's own). */
export async function runMethod(
  backend: RpcBackend,
  method: string,
  params: JsonIn | undefined,
): Promise<JsonOut> {
  const entry = Object.hasOwn(rpcMethods, method) ? rpcMethods[method] : undefined;
  if (!entry) throw new RpcError(rpcErrorCodes.methodNotFound, 'Method not found');
  if (!entry.duringWarmup && backend.warmingUp()) {
    throw new RpcError(rpcErrorCodes.inWarmup, 'Loading block index...');
  }
  return entry.run(backend, positional(method, entry.params, params));
}
