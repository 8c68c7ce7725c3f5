// Public face of the Graphene layer: chain profiles, keys, operations, transactions, signing.
export {
  type BuiltinChainName,
  type ChainFamily,
  type ChainName,
  type ChainProfile,
  type CustomProfileFields,
  chainProfiles,
  customProfile,
} from '../profiles.js';
export {
  formatLegacyAsset,
  type LegacyAsset,
  parseLegacyAsset,
  parseObjectId,
  serializeLegacyAsset,
  wireSymbolOf,
} from './assets.js';
export { fromHex, toHex, transactionBytesMax } from './bytes.js';
export {
  formatPublicKey,
  isNullKey,
  nullKeySuffix,
  nullPublicKey,
  parsePublicKey,
  parseWif,
  publicKeyOf,
  toWif,
} from './keys.js';
export {
  type BitsharesWitness,
  buildWitnessSetProperties,
  type Operation,
  requiredSigners,
  type SteemWitness,
  setPropertiesOp,
  witnessUpdateOp,
} from './operations.js';
export {
  formatExpiration,
  isCanonical,
  operationsCountMax,
  parseExpiration,
  recoverSigners,
  refBlock,
  type SignedTransaction,
  serializeTransaction,
  signTransaction,
  type Transaction,
  transactionDigest,
  transactionId,
  transactionJson,
} from './transaction.js';
