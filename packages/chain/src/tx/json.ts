// Human-readable JSON view of transactions (amounts as decimal strings) and its validated parser.
import { formatAmount, InvalidValueError, parseAmount } from '@cryptoassets/core';
import {
  coinbaseDataBytesMax,
  devDecimals,
  moneyMinorMax,
  publicKeyBytes,
  signatureBytes,
  txBytesMax,
  txInputsMax,
  txOutputsMax,
} from '../consensus/params.js';
import { bytesToHex, hexToHash } from '../encoding/hash.js';
import { asArray, asHexBytes, asObject, asString, asU32 } from '../encoding/json-fields.js';
import { addressFromHash, addressToHash } from './address.js';
import { encodeTransaction, readCoinbase, txid } from './codec.js';
import type { CoinbaseData, Transaction, TxInput, TxOutput } from './types.js';

export type TxInputJson = {
  prevTxid: string;
  vout: number;
  publicKey: string;
  signature: string;
};

export type TxOutputJson = { amount: string; address: string };

export type TransactionJson = {
  txid: string;
  version: number;
  inputs: TxInputJson[];
  outputs: TxOutputJson[];
  /** Present on a coinbase: what its data says (informational; ignored when parsing). */
  coinbase?: CoinbaseData;
};

export function transactionToJson(tx: Transaction): TransactionJson {
  const json: TransactionJson = {
    txid: txid(tx),
    version: tx.version,
    inputs: tx.inputs.map((input) => ({
      prevTxid: input.prevTxid,
      vout: input.vout,
      publicKey: bytesToHex(input.publicKey),
      signature: bytesToHex(input.signature),
    })),
    outputs: tx.outputs.map((output) => ({
      amount: formatAmount(output.amountMinor, devDecimals),
      address: output.address,
    })),
  };
  const coinbase = readCoinbase(tx);
  if (coinbase) json.coinbase = coinbase;
  return json;
}

/** Parses the JSON view; throws InvalidValueError on anything malformed or over the limits. */
export function transactionFromJson(value: unknown, field = 'transaction'): Transaction {
  const json = asObject(value, field);
  const version = asU32(json.version, `${field}.version`);
  const inputs = asArray(json.inputs, `${field}.inputs`, txInputsMax).map((input, i) =>
    inputFromJson(input, `${field}.inputs[${i}]`),
  );
  const outputs = asArray(json.outputs, `${field}.outputs`, txOutputsMax).map((output, i) =>
    outputFromJson(output, `${field}.outputs[${i}]`),
  );
  if (inputs.length === 0) throw new InvalidValueError(field, 'no inputs');
  if (outputs.length === 0) throw new InvalidValueError(field, 'no outputs');
  const tx: Transaction = { version, inputs, outputs };
  if (encodeTransaction(tx).length > txBytesMax) throw new InvalidValueError(field, 'too large');
  if (json.txid !== undefined && json.txid !== txid(tx)) {
    throw new InvalidValueError(`${field}.txid`, 'does not match the transaction');
  }
  return tx;
}

function inputFromJson(value: unknown, field: string): TxInput {
  const json = asObject(value, field);
  const prevTxid = asString(json.prevTxid, `${field}.prevTxid`, 64);
  hexToHash(prevTxid, `${field}.prevTxid`);
  return {
    prevTxid,
    vout: asU32(json.vout, `${field}.vout`),
    publicKey: asHexBytes(json.publicKey, `${field}.publicKey`, publicKeyBytes),
    signature: asHexBytes(
      json.signature,
      `${field}.signature`,
      Math.max(signatureBytes, coinbaseDataBytesMax),
    ),
  };
}

function outputFromJson(value: unknown, field: string): TxOutput {
  const json = asObject(value, field);
  const amountMinor = parseAmount(json.amount, {
    field: `${field}.amount`,
    decimals: devDecimals,
    sign: 'non-negative',
  });
  if (amountMinor > moneyMinorMax) throw new InvalidValueError(`${field}.amount`, 'too large');
  const address = asString(json.address, `${field}.address`, 90);
  return { amountMinor, address: addressFromHash(addressToHash(address, `${field}.address`)) };
}
