// Requests to a peer over HTTP: each with a timeout, a bounded response body, and our URL in the
// `x-devnet-node` header so the peer can tell nodes on one address apart.
import { CryptoassetsError } from '@cryptoassets/core';
import { encodeBlock } from '../block/codec.js';
import type { Block, BlockHeader } from '../block/types.js';
import { encodeTransaction } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';
import type { P2pLimits } from './limits.js';
import {
  blocksFromJson,
  type Hello,
  headersFromJson,
  helloFromJson,
  parseJsonText,
  peersFromJson,
} from './messages.js';

/** The header a node names itself in. */
export const nodeHeaderName = 'x-devnet-node';

/** A peer did not answer, answered with an error status, or sent more than allowed. */
export class PeerRequestError extends CryptoassetsError {
  override name = 'PeerRequestError';
  readonly status: number | undefined;
  constructor(url: string, problem: string, options: { status?: number; cause?: unknown } = {}) {
    super('PEER_REQUEST', `${url}: ${problem}`, { cause: options.cause });
    this.status = options.status;
  }
}

export type PeerClientOptions = {
  readonly selfUrl: string;
  readonly limits: P2pLimits;
};

export class PeerClient {
  readonly #options: PeerClientOptions;

  constructor(options: PeerClientOptions) {
    this.#options = options;
  }

  async hello(peer: string): Promise<Hello> {
    return helloFromJson(await this.#getJson(peer, '/p2p/hello'));
  }

  async peers(peer: string): Promise<string[]> {
    return peersFromJson(await this.#getJson(peer, '/p2p/peers'), this.#options.limits);
  }

  async headers(peer: string, locator: readonly string[], limit: number): Promise<BlockHeader[]> {
    const hashes = locator.slice(0, this.#options.limits.locatorHashesMax).join(',');
    const path = `/p2p/headers?locator=${hashes}&limit=${limit}`;
    return headersFromJson(await this.#getJson(peer, path), this.#options.limits);
  }

  async blocks(peer: string, hashes: readonly string[]): Promise<Block[]> {
    const path = `/p2p/blocks?hashes=${hashes.join(',')}`;
    return blocksFromJson(await this.#getJson(peer, path), this.#options.limits);
  }

  async sendBlock(peer: string, block: Block): Promise<void> {
    await this.#request(peer, '/p2p/block', { method: 'POST', body: encodeBlock(block) });
  }

  async sendTransaction(peer: string, tx: Transaction): Promise<void> {
    await this.#request(peer, '/p2p/tx', { method: 'POST', body: encodeTransaction(tx) });
  }

  async #getJson(peer: string, path: string): Promise<unknown> {
    const bytes = await this.#request(peer, path, { method: 'GET' });
    return parseJsonText(new TextDecoder().decode(bytes), path);
  }

  async #request(
    peer: string,
    path: string,
    init: { method: 'GET' | 'POST'; body?: Uint8Array },
  ): Promise<Uint8Array> {
    const { limits, selfUrl } = this.#options;
    let response: Response;
    try {
      response = await fetch(`${peer}${path}`, {
        method: init.method,
        headers: { [nodeHeaderName]: selfUrl, 'content-type': 'application/octet-stream' },
        signal: AbortSignal.timeout(limits.requestTimeoutMs),
        ...(init.body === undefined ? {} : { body: init.body }),
      });
    } catch (cause) {
      throw new PeerRequestError(peer, `${path} failed`, { cause });
    }
    const body = await readLimited(peer, response, limits.responseBytesMax);
    if (!response.ok)
      throw new PeerRequestError(peer, `${path} answered ${response.status}`, {
        status: response.status,
      });
    return body;
  }
}

async function readLimited(
  peer: string,
  response: Response,
  bytesMax: number,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > bytesMax) {
    await response.body?.cancel();
    throw new PeerRequestError(peer, `answer above ${bytesMax} bytes`);
  }
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > bytesMax) {
        await reader.cancel();
        throw new PeerRequestError(peer, `answer above ${bytesMax} bytes`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof PeerRequestError) throw cause;
    throw new PeerRequestError(peer, 'answer broke off', { cause });
  }
  return Buffer.concat(chunks);
}
