// Errors of the chain API client: no node answers, no node is fresh, a node refuses a broadcast,
// or a node answers something that cannot be read.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** No configured API node gave a usable answer. */
export class NodesUnreachableError extends CryptoassetsError {
  override name = 'NodesUnreachableError';
  readonly failures: readonly { readonly url: string; readonly error: string }[];

  constructor(
    what: string,
    failures: readonly { readonly url: string; readonly error: string }[],
    options: ErrorOptions = {},
  ) {
    super('NODES_UNREACHABLE', `no API node answered ${what}`, {
      details: failures.map((f) => `${f.url}: ${f.error}`).join('; '),
      ...options,
    });
    this.failures = failures;
  }
}

/** Nodes answered, but every head block was older than the freshness limit. */
export class StaleChainError extends CryptoassetsError {
  override name = 'StaleChainError';
  /** Age of the freshest head seen. */
  readonly headAgeMs: number;

  constructor(headAgeMs: number, staleAfterMs: number) {
    super('STALE_CHAIN', `no API node has a fresh head block (freshest is ${headAgeMs} ms old)`, {
      details: `a head older than ${staleAfterMs} ms is not believed`,
    });
    this.headAgeMs = headAgeMs;
  }
}

/** A node refused a transaction; `nodeMessage` is what the node said. */
export class BroadcastRejectedError extends CryptoassetsError {
  override name = 'BroadcastRejectedError';
  readonly nodeMessage: string;
  readonly url: string;

  constructor(url: string, nodeMessage: string) {
    super('BROADCAST_REJECTED', `the node refused the transaction: ${firstLine(nodeMessage)}`, {
      details: `${url}: ${nodeMessage}`,
    });
    this.nodeMessage = nodeMessage;
    this.url = url;
  }
}

/** A node's answer did not have the expected shape. */
export class ChainResponseError extends CryptoassetsError {
  override name = 'ChainResponseError';
  constructor(what: string, problem: string, options: ErrorOptions = {}) {
    super('CHAIN_RESPONSE', `unreadable ${what} from the API node: ${problem}`, options);
  }
}

/** The node answered with a JSON-RPC error object. */
export class NodeRpcError extends CryptoassetsError {
  override name = 'NodeRpcError';
  readonly rpcCode: number;
  readonly nodeMessage: string;
  constructor(method: string, rpcCode: number, nodeMessage: string) {
    super('NODE_RPC', `${method} failed on the node: ${firstLine(nodeMessage)}`, {
      details: nodeMessage,
    });
    this.rpcCode = rpcCode;
    this.nodeMessage = nodeMessage;
  }
}

const firstLineCharsMax = 300;

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > firstLineCharsMax ? `${line.slice(0, firstLineCharsMax)}…` : line;
}
