// Transaction types of the devnet: UTXO inputs signed with secp256k1, outputs paying bech32 addresses.

/**
 * A spend of an earlier output. In a coinbase, `prevTxid` is all zeros, `vout` is 0xffffffff,
 * `publicKey` is empty and `signature` carries the coinbase data (height u32 LE + miner tag).
 */
export type TxInput = {
  /** Txid of the transaction being spent, displayed hex (byte-reversed). */
  readonly prevTxid: string;
  readonly vout: number;
  /** 33-byte compressed secp256k1 public key. */
  readonly publicKey: Uint8Array;
  /** 64-byte compact low-S signature over `signatureHash(tx)`. */
  readonly signature: Uint8Array;
};

export type TxOutput = {
  readonly amountMinor: bigint;
  /** bech32 address with human-readable part `dvt`. */
  readonly address: string;
};

export type Transaction = {
  readonly version: number;
  readonly inputs: readonly TxInput[];
  readonly outputs: readonly TxOutput[];
};

/** An output reference: txid (displayed hex) and index. */
export type Outpoint = {
  readonly txid: string;
  readonly vout: number;
};

/** What the coinbase input's data says. */
export type CoinbaseData = {
  readonly height: number;
  /** Which node mined the block (at most `minerTagBytesMax` bytes of UTF-8). */
  readonly minerTag: string;
};
