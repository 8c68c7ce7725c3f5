// Consensus parameters and limits of the devnet; every limit is a named constant with its unit.

/** Decimals of the DEV coin (like bitcoin: 1 DEV = 100,000,000 minor units). */
export const devDecimals = 8;
export const coinMinor = 100_000_000n;
/** Block reward before fees. */
export const blockRewardMinor = 50n * coinMinor;
/** Largest amount of one output, and of the sum of a transaction's outputs. */
export const moneyMinorMax = 21_000_000n * coinMinor;
/** Blocks a coinbase output must wait before it can be spent. */
export const coinbaseMaturityBlocks = 10;
/** Minimum difficulty (regtest mode and genesis), Bitcoin regtest's powLimit. */
export const powLimitBits = 0x207fffff;

export const headerBytes = 80;
export const blockBytesMax = 1_000_000;
export const txBytesMax = 100_000;
/** Transactions in one block, coinbase included (100 plus the coinbase). */
export const blockTransactionsMax = 101;
export const txInputsMax = 1_000;
export const txOutputsMax = 1_000;
export const minerTagBytesMax = 32;
/** Coinbase data: 4 bytes of height + the miner tag. */
export const coinbaseDataBytesMax = 4 + minerTagBytesMax;
export const publicKeyBytes = 33;
export const signatureBytes = 64;
/** Blocks whose median time a new block must exceed. */
export const medianTimeBlocks = 11;
/** How far in the future a block's time may be. */
export const futureBlockTimeSMax = 2 * 60 * 60;
/** Addresses' bech32 human-readable part, on every network. */
export const addressHrp = 'dvt';

export type ChainParams = {
  /** Fixed minimum difficulty (regtest-like): no retargeting, instant blocks. */
  readonly regtest: boolean;
  /** Difficulty is recomputed every this many blocks. */
  readonly retargetWindowBlocks: number;
  /** Block interval the retarget steers towards. */
  readonly targetBlockTimeS: number;
  /** Write the tutorial's chaindata/ JSON file per block as blocks connect. */
  readonly chaindata: boolean;
  /** Mempool bounds. */
  readonly mempoolTxMax: number;
  readonly mempoolBytesMax: number;
  /** Smallest fee rate the mempool accepts. */
  readonly minFeeRateMinorPerByte: bigint;
  /** Blocks without a parent kept until their parent arrives. */
  readonly orphanBlocksMax: number;
};

export const defaultChainParams: ChainParams = {
  regtest: false,
  retargetWindowBlocks: 20,
  targetBlockTimeS: 10,
  chaindata: false,
  mempoolTxMax: 5_000,
  mempoolBytesMax: 5_000_000,
  minFeeRateMinorPerByte: 1n,
  orphanBlocksMax: 100,
};

/** The retarget never moves difficulty by more than this factor per window. */
export const retargetClampFactor = 4;
