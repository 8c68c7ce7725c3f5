// Public face of @cryptoassets/chain: the devnet node.
export {
  blockHash,
  computeMerkleRoot,
  decodeBlock,
  encodeBlock,
  headerFor,
} from './block/codec.js';
export {
  decodeHeader,
  encodeHeader,
  headerBytesHash,
  headerHash,
} from './block/header.js';
export {
  type BlockHeaderJson,
  type BlockJson,
  blockFromJson,
  blockToJson,
  headerFromJson,
  headerToJson,
} from './block/json.js';
export { merkleRoot } from './block/merkle.js';
export type { Block, BlockHeader } from './block/types.js';
export {
  type BlockEvent,
  type BlockMeta,
  type BlockTemplate,
  type BlockTemplateOptions,
  Chain,
  ChainError,
  type ChainEvents,
  type ChainOptions,
  type ChainTip,
  headersPerRequestMax,
  type Reorg,
  type SubmitBlockResult,
  type SubmitBlockStatus,
  type SubmitTransactionResult,
  type TransactionInfo,
  type TxEvent,
  type Utxo,
} from './chain.js';
export { chaindataFileName } from './chainstate/chaindata.js';
export { nextBits } from './consensus/difficulty.js';
export { buildGenesis, genesisBlock, genesisHashHex, genesisTimeS } from './consensus/genesis.js';
export * from './consensus/params.js';
export {
  bitsToTarget,
  hashToNumber,
  meetsTarget,
  powLimitTarget,
  targetToBits,
  workFromBits,
} from './consensus/pow.js';
export { checkBlockSanity, checkProofOfWork, checkTransactionSanity } from './consensus/sanity.js';
// devnets on one machine, mining, the node and P2P, walletnotify/blocknotify, JSON-RPC
export * from './devnet/index.js';
export { ByteReader, ByteWriter } from './encoding/bytes.js';
export { hash160, hashToHex, hexToHash, sha256d } from './encoding/hash.js';
export { Mempool, type MempoolEntry } from './mempool/mempool.js';
export * from './miner/index.js';
export * from './node/index.js';
export * from './notify/index.js';
export * from './p2p/index.js';
export * from './rpc/index.js';
export { StoreLockedError } from './storage/store.js';
export {
  addressFromHash,
  addressFromPublicKey,
  addressToHash,
  isDevAddress,
} from './tx/address.js';
export {
  coinbaseVout,
  decodeTransaction,
  encodeTransaction,
  isCoinbase,
  makeCoinbase,
  readCoinbase,
  signatureHash,
  signaturePreimageHash,
  txid,
} from './tx/codec.js';
export {
  type TransactionJson,
  type TxInputJson,
  type TxOutputJson,
  transactionFromJson,
  transactionToJson,
} from './tx/json.js';
export {
  newPrivateKey,
  publicKeyOf,
  signTransaction,
  verifyInputSignature,
  verifySignature,
} from './tx/sign.js';
export type { CoinbaseData, Outpoint, Transaction, TxInput, TxOutput } from './tx/types.js';
export { WalletFileError, walletFileName } from './wallet/keystore.js';
export {
  defaultFeeRateMinorPerByte,
  dustMinor,
  type SendOptions,
  Wallet,
  type WalletCategory,
  type WalletEntry,
  WalletError,
  type WalletTransaction,
} from './wallet/wallet.js';
