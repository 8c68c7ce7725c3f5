// P2P over HTTP: limits, the peer book with bans and rate limits, messages, client and network.
export { nodeHeaderName, PeerClient, type PeerClientOptions, PeerRequestError } from './client.js';
export { defaultP2pLimits, type P2pLimits, penaltyPoints } from './limits.js';
export {
  blocksFromJson,
  blocksToJson,
  decodeBlockBody,
  decodeTxBody,
  type Hello,
  headersFromJson,
  headersToJson,
  helloFromJson,
  helloToJson,
  linkedHashes,
  networkName,
  parseCount,
  parseHashList,
  parseJsonText,
  peersFromJson,
  protocolVersion,
} from './messages.js';
export { minerSource, type NetworkEvent, P2pNetwork, type P2pNetworkOptions } from './network.js';
export {
  normalizePeerUrl,
  PeerBook,
  type PeerRecord,
  peerFailuresMax,
  peerUrlCharsMax,
} from './peers.js';
