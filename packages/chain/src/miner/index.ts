// The miner: proof-of-work kernel, worker-thread pool, background miner and instant mining.
export { createPowKernel, type PowKernel, type ScanResult } from './kernel.js';
export {
  headerWithTime,
  inlineScanNonces,
  type MineBlocksOptions,
  Miner,
  type MinerChain,
  MinerError,
  type MinerOptions,
  type MinerStats,
  mineBlocks,
  mineBlocksCountMax,
  mineBlocksRacesLostMax,
  mineBlocksTimeMsMax,
  minerRetryDelayMs,
  templateAgeMsMax,
  timeRollsMax,
} from './miner.js';
export {
  abortCheckNonces,
  MinerPool,
  MinerPoolError,
  minerThreadsMax,
  nonceSpaceSize,
  type SearchOptions,
  type SearchResult,
  workUnitNonces,
} from './pool.js';
