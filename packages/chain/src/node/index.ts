// The devnet node: startNode, its HTTP routes and helpers.
export { RequestBodyError, readBody, sendJson } from './http.js';
export {
  type DevnetNode,
  type NodeEvent,
  NodeStartError,
  nodeHostDefault,
  type RpcMount,
  type StartNodeOptions,
  startNode,
  stopGraceMs,
} from './node.js';
export { BoundedQueue } from './queue.js';
export {
  chainPageBlocksDefault,
  chainPageBlocksMax,
  createRequestHandler,
  type InboundBlock,
  peerIdOf,
  type RouteContext,
} from './server.js';
