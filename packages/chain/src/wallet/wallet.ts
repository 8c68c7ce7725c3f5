// The node wallet: keys and labels, balances by confirmations, sending with coin selection, fee and
// change, and a bitcoind-like history (receive / send / generate / immature).
import { CryptoassetsError, InvalidValueError } from '@cryptoassets/core';
import type { Chain, TransactionInfo } from '../chain.js';
import { coinbaseMaturityBlocks, moneyMinorMax, signatureBytes } from '../consensus/params.js';
import { addressFromHash, addressToHash } from '../tx/address.js';
import { encodeTransaction, isCoinbase } from '../tx/codec.js';
import { signTransaction } from '../tx/sign.js';
import type { Transaction, TxOutput } from '../tx/types.js';
import { KeyStore } from './keystore.js';

/** Fee rate when the caller names none. */
export const defaultFeeRateMinorPerByte = 10n;
/** Change below this is left to the fee rather than creating a tiny output. */
export const dustMinor = 1_000n;
/** Outputs one `send` may pay. */
export const sendOutputsMax = 500;
/** Inputs one `send` may spend. */
export const sendInputsMax = 500;

export type WalletCategory = 'receive' | 'send' | 'generate' | 'immature';

/** One line of the history: one output of a transaction, as bitcoind's listtransactions shows. */
export type WalletEntry = {
  readonly txid: string;
  readonly address: string;
  readonly category: WalletCategory;
  /** Negative for `send`. */
  readonly amountMinor: bigint;
  readonly vout: number;
  /** Negative, on `send` entries only. */
  readonly feeMinor?: bigint;
  readonly label: string;
  readonly confirmations: number;
  readonly blockHash: string | undefined;
  readonly blockHeight: number | undefined;
  readonly blockTime: number | undefined;
  /** Block time, or when the mempool accepted it (seconds). */
  readonly time: number;
};

export type WalletTransaction = {
  readonly txid: string;
  /** Net effect on the wallet, fee excluded (bitcoind's `amount`). */
  readonly amountMinor: bigint;
  /** Negative; present when the wallet paid the transaction. */
  readonly feeMinor?: bigint;
  readonly confirmations: number;
  readonly blockHash: string | undefined;
  readonly blockHeight: number | undefined;
  readonly blockTime: number | undefined;
  readonly time: number;
  readonly details: WalletEntry[];
  readonly tx: Transaction;
};

export type SendOptions = { readonly feeRateMinorPerByte?: bigint };

/** Expected wallet outcomes with bitcoind-like codes for the RPC layer. */
export class WalletError extends CryptoassetsError {
  override name = 'WalletError';
  constructor(
    code: 'INSUFFICIENT_FUNDS' | 'SEND_REFUSED' | 'UNKNOWN_TRANSACTION',
    message: string,
  ) {
    super(code, message);
  }
}

type Coin = {
  readonly txid: string;
  readonly vout: number;
  readonly amountMinor: bigint;
  readonly address: string;
};

export class Wallet {
  private constructor(
    private readonly chain: Chain,
    private readonly keys: KeyStore,
  ) {}

  /** Opens the wallet file in `dataDir` (created on the first new address). */
  static async open(options: { readonly dataDir: string; readonly chain: Chain }): Promise<Wallet> {
    return new Wallet(options.chain, KeyStore.open(options.dataDir));
  }

  newAddress(label = ''): string {
    return this.keys.newKey(label, false).address;
  }

  /** Receiving addresses (change addresses excluded) with their labels. */
  addresses(): { address: string; label: string }[] {
    return this.keys
      .keys()
      .filter((key) => !key.change)
      .map(({ address, label }) => ({ address, label }));
  }

  isMine(address: string): boolean {
    return this.keys.get(address) !== undefined;
  }

  labelOf(address: string): string | undefined {
    return this.keys.get(address)?.label;
  }

  private allAddresses(): string[] {
    return this.keys.keys().map((key) => key.address);
  }

  /** Spendable coins: confirmed and mature, or our own unconfirmed change; minus mempool spends. */
  private coins(minConf: number): Coin[] {
    const mempool = this.chain.mempool;
    const confirmed = this.chain
      .utxosFor(this.allAddresses())
      .filter((utxo) => utxo.confirmations >= Math.max(1, minConf))
      .filter((utxo) => !utxo.coinbase || utxo.confirmations >= coinbaseMaturityBlocks)
      .filter((utxo) => mempool.spender(utxo.txid, utxo.vout) === undefined);
    if (minConf > 0) return confirmed;
    const unconfirmed = mempool
      .entries()
      .flatMap((entry) =>
        entry.tx.outputs.flatMap((output, vout) =>
          this.isMine(output.address) && mempool.spender(entry.txid, vout) === undefined
            ? [{ txid: entry.txid, vout, amountMinor: output.amountMinor, address: output.address }]
            : [],
        ),
      );
    return [...confirmed, ...unconfirmed];
  }

  /** Spendable balance with at least `minConf` confirmations (0 counts unconfirmed outputs). */
  balance(minConf = 1): bigint {
    return this.coins(minConf).reduce((sum, coin) => sum + coin.amountMinor, 0n);
  }

  /** Total received by `address` in non-coinbase transactions with `minConf` confirmations. */
  receivedByAddress(address: string, minConf = 1): bigint {
    return this.chain
      .transactionsFor([address])
      .filter((info) => info.confirmations >= minConf && !isCoinbase(info.tx))
      .flatMap((info) => info.tx.outputs)
      .filter((output) => output.address === address)
      .reduce((sum, output) => sum + output.amountMinor, 0n);
  }

  /** Pays `outputs`, choosing coins (largest first), adding change; returns the txid. */
  send(outputs: readonly TxOutput[], options: SendOptions = {}): string {
    const payments = checkOutputs(outputs);
    const feeRate = options.feeRateMinorPerByte ?? defaultFeeRateMinorPerByte;
    if (feeRate < 0n) throw new InvalidValueError('feeRateMinorPerByte', 'must not be negative');
    const tx = this.buildSigned(payments, feeRate);
    const result = this.chain.submitTransaction(tx);
    if (result.status === 'invalid') {
      throw new WalletError('SEND_REFUSED', `the transaction was refused: ${result.reason}`);
    }
    return result.txid;
  }

  private buildSigned(payments: TxOutput[], feeRate: bigint): Transaction {
    const wanted = payments.reduce((sum, output) => sum + output.amountMinor, 0n);
    const coins = this.coins(0).sort((a, b) => (a.amountMinor > b.amountMinor ? -1 : 1));
    const chosen: Coin[] = [];
    let total = 0n;
    for (const coin of coins) {
      if (chosen.length >= sendInputsMax) break;
      chosen.push(coin);
      total += coin.amountMinor;
      const fee = feeFor(chosen, [...payments, changeStub], feeRate);
      if (total >= wanted + fee)
        return this.finish(chosen, payments, total - wanted - fee, feeRate);
    }
    throw new WalletError('INSUFFICIENT_FUNDS', 'Insufficient funds');
  }

  private finish(
    chosen: Coin[],
    payments: TxOutput[],
    change: bigint,
    feeRate: bigint,
  ): Transaction {
    const outputs = [...payments];
    if (change >= dustMinor) {
      outputs.push({ amountMinor: change, address: this.keys.newKey('', true).address });
    }
    const unsigned = unsignedSpend(chosen, outputs, (address) => this.keys.get(address)?.publicKey);
    const signed = signTransaction(unsigned, (hex) => this.keys.privateKeyFor(hex));
    if (BigInt(encodeTransaction(signed).length) * feeRate > feeOf(chosen, outputs)) {
      throw new WalletError('SEND_REFUSED', 'fee below the requested rate');
    }
    return signed;
  }

  /** The history, oldest first, one entry per wallet-relevant output. */
  transactions(options: { fromHeight?: number } = {}): WalletEntry[] {
    const infos = this.chain.transactionsFor(this.allAddresses(), options);
    return infos.flatMap((info) => this.entriesOf(info));
  }

  /** One transaction as bitcoind's gettransaction shows it; undefined when not the wallet's. */
  transaction(txid: string): WalletTransaction | undefined {
    const info = this.chain.transactionById(txid);
    if (info === undefined) return undefined;
    const details = this.entriesOf(info);
    if (details.length === 0 && !this.spendsOurs(info.tx)) return undefined;
    const fee = details.find((entry) => entry.feeMinor !== undefined)?.feeMinor;
    const amountMinor = details.reduce((sum, entry) => sum + entry.amountMinor, 0n);
    const base = {
      txid,
      amountMinor,
      confirmations: info.confirmations,
      blockHash: info.blockHash,
      blockHeight: info.height,
      blockTime: info.blockTime,
      time: timeOf(info, this.chain),
      details,
      tx: info.tx,
    };
    return fee === undefined ? base : { ...base, feeMinor: fee };
  }

  private spendsOurs(tx: Transaction): boolean {
    return this.inputsOf(tx).some((input) => input !== undefined && this.isMine(input.address));
  }

  private inputsOf(tx: Transaction): (TxOutput | undefined)[] {
    if (isCoinbase(tx)) return [];
    return tx.inputs.map((input) => {
      const parent = this.chain.transactionById(input.prevTxid);
      return parent?.tx.outputs[input.vout];
    });
  }

  private entriesOf(info: TransactionInfo): WalletEntry[] {
    const base = {
      txid: info.txid,
      confirmations: info.confirmations,
      blockHash: info.blockHash,
      blockHeight: info.height,
      blockTime: info.blockTime,
      time: timeOf(info, this.chain),
    };
    if (isCoinbase(info.tx)) return this.coinbaseEntries(info, base);
    const inputs = this.inputsOf(info.tx);
    const fromUs = inputs.some((input) => input !== undefined && this.isMine(input.address));
    const entries: WalletEntry[] = [];
    const feeMinor = fromUs ? -feeFromOutputs(inputs, info.tx.outputs) : undefined;
    info.tx.outputs.forEach((output, vout) => {
      const key = this.keys.get(output.address);
      if (fromUs && key?.change) return;
      const label = key?.label ?? '';
      const line = { ...base, address: output.address, vout, label };
      if (fromUs) {
        const send = { ...line, category: 'send' as const, amountMinor: -output.amountMinor };
        entries.push(feeMinor === undefined ? send : { ...send, feeMinor });
      }
      if (key) entries.push({ ...line, category: 'receive', amountMinor: output.amountMinor });
    });
    return entries;
  }

  private coinbaseEntries(
    info: TransactionInfo,
    base: Omit<WalletEntry, 'address' | 'category' | 'amountMinor' | 'vout' | 'label'>,
  ): WalletEntry[] {
    const category = info.confirmations >= coinbaseMaturityBlocks ? 'generate' : 'immature';
    return info.tx.outputs.flatMap((output, vout) => {
      const key = this.keys.get(output.address);
      if (key === undefined) return [];
      return [
        {
          ...base,
          address: output.address,
          vout,
          label: key.label,
          category,
          amountMinor: output.amountMinor,
        },
      ];
    });
  }
}

const changeStub: TxOutput = { amountMinor: 0n, address: addressFromHash(new Uint8Array(20)) };

function checkOutputs(outputs: readonly TxOutput[]): TxOutput[] {
  if (!Array.isArray(outputs) || outputs.length === 0 || outputs.length > sendOutputsMax) {
    throw new InvalidValueError('outputs', `expected 1 to ${sendOutputsMax} outputs`);
  }
  let total = 0n;
  return outputs.map((output, i) => {
    if (typeof output.amountMinor !== 'bigint' || output.amountMinor <= 0n) {
      throw new InvalidValueError(`outputs[${i}].amountMinor`, 'must be a positive bigint');
    }
    total += output.amountMinor;
    if (total > moneyMinorMax) throw new InvalidValueError('outputs', 'total too large');
    const hash = addressToHash(output.address, `outputs[${i}].address`);
    return { amountMinor: output.amountMinor, address: addressFromHash(hash) };
  });
}

function unsignedSpend(
  coins: readonly Coin[],
  outputs: readonly TxOutput[],
  publicKeyOf: (address: string) => Uint8Array | undefined,
): Transaction {
  const inputs = coins.map((coin) => {
    const publicKey = publicKeyOf(coin.address);
    if (publicKey === undefined) throw new Error(`no key for ${coin.address}`);
    return { prevTxid: coin.txid, vout: coin.vout, publicKey, signature: new Uint8Array(0) };
  });
  return { version: 1, inputs, outputs: [...outputs] };
}

/** Fee for spending `coins` to `outputs` at `feeRate`, with signature-sized placeholders. */
function feeFor(coins: readonly Coin[], outputs: readonly TxOutput[], feeRate: bigint): bigint {
  const stubKey = new Uint8Array(33).fill(2);
  const tx = unsignedSpend(coins, outputs, () => stubKey);
  const withSignatures = {
    ...tx,
    inputs: tx.inputs.map((input) => ({ ...input, signature: new Uint8Array(signatureBytes) })),
  };
  return BigInt(encodeTransaction(withSignatures).length) * feeRate;
}

function feeOf(coins: readonly Coin[], outputs: readonly TxOutput[]): bigint {
  const inMinor = coins.reduce((sum, coin) => sum + coin.amountMinor, 0n);
  return inMinor - outputs.reduce((sum, output) => sum + output.amountMinor, 0n);
}

function feeFromOutputs(
  inputs: readonly (TxOutput | undefined)[],
  outputs: readonly TxOutput[],
): bigint {
  const inMinor = inputs.reduce((sum, input) => sum + (input?.amountMinor ?? 0n), 0n);
  return inMinor - outputs.reduce((sum, output) => sum + output.amountMinor, 0n);
}

function timeOf(info: TransactionInfo, chain: Chain): number {
  if (info.blockTime !== undefined) return info.blockTime;
  const addedMs = chain.mempool.get(info.txid)?.addedMs ?? Date.now();
  return Math.floor(addedMs / 1000);
}
