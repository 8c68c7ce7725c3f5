// The node's HTTP routes: the tutorial's `/blockchain.json` and `/mined`, the P2P endpoints
// (`/p2p/...`) behind bans, partitions and a token bucket per peer, and the JSON-RPC mount point.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CryptoassetsError, InvalidValueError } from '@cryptoassets/core';
import { blockHash, encodeBlock } from '../block/codec.js';
import { blockFromJson, blockToJson } from '../block/json.js';
import type { Block } from '../block/types.js';
import type { Chain } from '../chain.js';
import { checkProofOfWork } from '../consensus/sanity.js';
import { bytesToHex } from '../encoding/hash.js';
import { nodeHeaderName } from '../p2p/client.js';
import { type P2pLimits, penaltyPoints } from '../p2p/limits.js';
import {
  decodeBlockBody,
  decodeTxBody,
  headersToJson,
  helloToJson,
  parseCount,
  parseHashList,
  parseJsonText,
} from '../p2p/messages.js';
import type { P2pNetwork } from '../p2p/network.js';
import { normalizePeerUrl } from '../p2p/peers.js';
import { RequestBodyError, readBody, refuseBody, sendError, sendJson } from './http.js';
import type { BoundedQueue } from './queue.js';

/** Blocks per `/blockchain.json` page when no `limit` is given, and the most allowed. */
export const chainPageBlocksDefault = 100;
export const chainPageBlocksMax = 1_000;

/** A block waiting for validation, with the peer (URL or address id) that sent it. */
export type InboundBlock = { readonly block: Block; readonly from: string };

export type RouteContext = {
  readonly chain: Chain;
  readonly network: P2pNetwork;
  readonly limits: P2pLimits;
  readonly inbound: BoundedQueue<InboundBlock>;
  /** Answers JSON-RPC on `/`, `/rpc` and `/wallet/NAME`; undefined when RPC is off. */
  readonly rpc: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  readonly isRpcPath: (url: string | undefined) => boolean;
  readonly onError: (error: unknown) => void;
};

/** Who is asking: the node URL it names itself by, else its address. */
export function peerIdOf(req: IncomingMessage): { id: string; url: string | undefined } {
  const named = req.headers[nodeHeaderName];
  if (typeof named === 'string') {
    try {
      const url = normalizePeerUrl(named);
      return { id: url, url };
    } catch {
      // fall through to the address
    }
  }
  return { id: `addr:${req.socket.remoteAddress ?? 'unknown'}`, url: undefined };
}

export function createRequestHandler(
  context: RouteContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(context, req, res).catch((error: unknown) => {
      if (error instanceof RequestBodyError) {
        refuseBody(req, res, error);
        return;
      }
      context.onError(error);
      sendError(res, 500, 'internal error');
    });
  };
}

async function route(
  context: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://node.invalid');
  const path = url.pathname;
  if (path === '/blockchain.json') {
    if (req.method !== 'GET') return sendError(res, 405, 'use GET');
    if (!context.network.book.take(peerIdOf(req).id))
      return sendError(res, 429, 'too many requests');
    return chainPage(context, url, res);
  }
  if (path === '/mined' || path.startsWith('/p2p/')) return peerRoute(context, req, res, url);
  if (context.isRpcPath(req.url)) {
    if (context.rpc === undefined) return sendError(res, 404, 'JSON-RPC is off on this node');
    context.rpc(req, res);
    return;
  }
  sendError(res, 404, 'not found');
}

/** `GET /blockchain.json?from=&limit=`: main-chain blocks in the tutorial's fields, by pages. */
function chainPage(context: RouteContext, url: URL, res: ServerResponse): void {
  let from: number;
  let limit: number;
  try {
    from = parseCount(url.searchParams.get('from'), {
      fallback: 0,
      max: 0xffff_ffff,
      field: 'from',
    });
    limit = parseCount(url.searchParams.get('limit'), {
      fallback: chainPageBlocksDefault,
      max: chainPageBlocksMax,
      field: 'limit',
    });
  } catch (error) {
    sendError(res, 400, messageOf(error));
    return;
  }
  const tip = context.chain.tip();
  const blocks: ReturnType<typeof blockToJson>[] = [];
  for (let height = from; height <= tip.height && blocks.length < limit; height++) {
    const block = context.chain.blockByHeight(height);
    if (block === undefined) break;
    blocks.push(blockToJson(block));
  }
  const next = from + blocks.length <= tip.height ? from + blocks.length : null;
  sendJson(res, 200, { length: tip.height + 1, from, limit, next, blocks });
}

async function peerRoute(
  context: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const { id, url: peerUrl } = peerIdOf(req);
  const { network } = context;
  if (network.book.isBlocked(id)) return sendError(res, 503, 'unreachable (partitioned)');
  if (network.book.isBanned(id)) return sendError(res, 403, 'banned');
  if (!network.book.take(id)) {
    network.penalize(id, penaltyPoints.rateLimited, 'request rate');
    return sendError(res, 429, 'too many requests');
  }
  if (peerUrl !== undefined) network.book.add(peerUrl);
  const handler = peerHandlers[`${req.method ?? 'GET'} ${url.pathname}`];
  if (handler === undefined) return sendError(res, 404, 'not found');
  try {
    await handler({ context, req, res, url, id });
  } catch (error) {
    if (error instanceof RequestBodyError) {
      network.penalize(id, penaltyPoints.malformed, error.shortMessage);
      throw error;
    }
    if (!(error instanceof InvalidValueError)) throw error;
    network.penalize(id, penaltyPoints.malformed, `malformed: ${error.shortMessage}`);
    sendError(res, 400, error.shortMessage);
  }
}

type PeerRequest = {
  readonly context: RouteContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly id: string;
};

const peerHandlers: Readonly<Record<string, (request: PeerRequest) => void | Promise<void>>> = {
  'GET /p2p/hello': ({ context, res }) => sendJson(res, 200, helloToJson(context.network.hello())),
  'GET /p2p/peers': ({ context, res }) =>
    sendJson(res, 200, {
      peers: context.network.book
        .list()
        .map((peer) => peer.url)
        .slice(0, context.limits.peersMax),
    }),
  'GET /p2p/headers': ({ context, res, url }) => {
    const locator = parseHashList(
      url.searchParams.get('locator'),
      context.limits.locatorHashesMax,
      'locator',
    );
    const limit = parseCount(url.searchParams.get('limit'), {
      fallback: context.limits.headersPerRequestMax,
      max: context.limits.headersPerRequestMax,
      field: 'limit',
    });
    sendJson(res, 200, headersToJson(context.chain.headersAfter(locator, limit)));
  },
  'GET /p2p/blocks': ({ context, res, url }) => {
    const hashes = parseHashList(
      url.searchParams.get('hashes'),
      context.limits.blocksPerRequestMax,
      'hashes',
    );
    sendJson(res, 200, { blocks: blocksFor(context, hashes) });
  },
  'POST /p2p/block': async ({ context, req, res, id }) => {
    const block = decodeBlockBody(await readBody(req, context.limits.blockBodyBytesMax));
    queueBlock(context, res, block, id);
  },
  'POST /mined': async ({ context, req, res, id }) => {
    const text = (await readBody(req, context.limits.jsonBodyBytesMax)).toString('utf8');
    const block = blockFromJson(parseJsonText(text, 'block'));
    queueBlock(context, res, block, id);
  },
  'POST /p2p/tx': async ({ context, req, res, id }) => {
    const tx = decodeTxBody(await readBody(req, context.limits.txBodyBytesMax));
    const result = context.network.acceptTransaction(tx, id);
    sendJson(res, result.status === 'invalid' ? 400 : 200, result);
  },
};

/** Encoded blocks by hash, in order, stopping at the first unknown one or the byte budget. */
function blocksFor(context: RouteContext, hashes: readonly string[]): string[] {
  const blocks: string[] = [];
  let bytes = 0;
  for (const hash of hashes) {
    const block = context.chain.blockByHash(hash);
    if (block === undefined) break;
    const encoded = encodeBlock(block);
    blocks.push(bytesToHex(encoded));
    bytes += encoded.byteLength;
    if (bytes >= context.limits.blocksResponseBytesMax) break;
  }
  return blocks;
}

/** Cheap checks on the request path (proof of work), the rest in the validation queue. */
function queueBlock(context: RouteContext, res: ServerResponse, block: Block, from: string): void {
  const hash = blockHash(block);
  const problem = checkProofOfWork(hash, block.header.bits);
  if (problem !== undefined) {
    context.network.penalize(from, penaltyPoints.invalidBlock, `block: ${problem}`);
    sendError(res, 400, `block refused: ${problem}`);
    return;
  }
  if (!context.inbound.push({ block, from })) {
    sendError(res, 503, 'validation queue full');
    return;
  }
  sendJson(res, 202, { status: 'queued', hash });
}

function messageOf(error: unknown): string {
  if (error instanceof CryptoassetsError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}
