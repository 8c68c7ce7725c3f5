// Public face of @cryptoassets/core: money, errors, assertions, coins, config and logging.
export { AssertionFailed, assert, unreachable } from './assert.js';
export {
  type AddressFormat,
  type CoinProfile,
  coinProfiles,
  encodeP2pkh,
  encodeP2wpkh,
  getCoinProfile,
  isValidAddress,
  type Network,
  networks,
} from './coins.js';
export {
  type BackendConfig,
  type CoinConfig,
  type Config,
  configBytesMax,
  defaultConfig,
  type EventHandlerConfig,
  loadConfigFile,
  maxConfirmationCountDefault,
  parseConfigText,
  parseDotenv,
  validateConfig,
  type WitnessConfig,
} from './config.js';
export { ConfigError, CryptoassetsError, type ErrorOptions, InvalidValueError } from './errors.js';
export {
  createLogger,
  jsonSafe,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  redactedFieldNames,
} from './logger.js';
export {
  amountMinorMax,
  checkAmount,
  formatAmount,
  type ParseAmountOptions,
  parseAmount,
} from './money.js';
