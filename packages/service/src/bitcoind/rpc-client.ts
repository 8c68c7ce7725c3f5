// A small JSON-RPC client for bitcoind and its forks: HTTP POST with basic auth, a wallet path,
// a timeout, a bounded response, bounded retries on connection failures of idempotent calls,
// and numbers read exactly (see json.ts).
import http from 'node:http';
import https from 'node:https';
import { assert } from '@cryptoassets/core';
import { redact } from '@cryptoassets/ledger';
import {
  BitcoindConnectionError,
  BitcoindResponseError,
  BitcoindRpcError,
  bitcoindErrorCodes,
} from './errors.js';
import { type JsonValue, parseJsonKeepingDecimals } from './json.js';

export const rpcTimeoutMsDefault = 30_000;
/** Largest response body read; listsinceblock on a busy wallet is the big one. */
export const responseBytesMax = 64 * 1024 * 1024;
/** Largest request body sent (a sendmany with thousands of outputs stays well below). */
export const requestBytesMax = 4 * 1024 * 1024;
/** Most calls one JSON-RPC batch request carries. */
export const batchCallsMax = 100;
/** Retries after the first attempt, for idempotent calls that failed to connect. */
export const retriesMax = 3;
export const retryDelayMsDefault = 200;
export const retryDelayMsMax = 5_000;

/**
 * Calls that move money: retrying one whose request may have reached the node could pay twice,
 * so they are never retried here (the broadcaster reconciles instead).
 */
export const nonIdempotentMethods: ReadonlySet<string> = new Set([
  'sendmany',
  'sendtoaddress',
  'send',
  'sendall',
  'bumpfee',
  'psbtbumpfee',
]);

export type RpcClientOptions = {
  /** http://user:password@host:port[/wallet/NAME] */
  readonly url: string;
  readonly timeoutMs?: number;
  readonly responseBytesMax?: number;
  /** Retries after the first attempt, for idempotent calls only. */
  readonly retriesMax?: number;
  /** First retry delay; doubles per retry up to `retryDelayMsMax`, with jitter. */
  readonly retryDelayMs?: number;
};

/** One call's answer within a batch: its result, or the node's error for that call alone. */
export type BatchAnswer =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: BitcoindRpcError };

type Target = {
  readonly url: URL;
  readonly authorization: string | undefined;
};

/** Why one attempt failed before a JSON-RPC answer arrived. */
class AttemptFailure extends Error {
  constructor(
    readonly problem: string,
    readonly retryable: boolean,
    readonly requestMayHaveArrived: boolean,
    readonly reason: unknown,
  ) {
    super(problem);
  }
}

const retryableSocketErrors = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

export class RpcClient {
  /** The node's URL without its password, for messages and logs. */
  readonly node: string;
  readonly #target: Target;
  readonly #options: RpcClientOptions;
  readonly #timeoutMs: number;
  readonly #responseBytesMax: number;
  readonly #retriesMax: number;
  readonly #retryDelayMs: number;
  #nextId = 1;

  constructor(options: RpcClientOptions) {
    const url = new URL(options.url);
    assert(url.protocol === 'http:' || url.protocol === 'https:', 'bitcoind URL must be http(s)');
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    this.#target = {
      url,
      authorization:
        user || password
          ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
          : undefined,
    };
    this.node = redact(options.url);
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? rpcTimeoutMsDefault;
    this.#responseBytesMax = options.responseBytesMax ?? responseBytesMax;
    this.#retriesMax = options.retriesMax ?? retriesMax;
    this.#retryDelayMs = options.retryDelayMs ?? retryDelayMsDefault;
    assert(Number.isInteger(this.#timeoutMs) && this.#timeoutMs > 0, 'bad timeoutMs');
    assert(Number.isInteger(this.#retriesMax) && this.#retriesMax >= 0, 'bad retriesMax');
    assert(this.#retriesMax <= 20, 'retriesMax above 20');
  }

  /** A client for the same node addressing the named wallet (`/wallet/NAME`). */
  forWallet(name: string): RpcClient {
    const url = new URL(this.#target.url.href);
    url.pathname = `/wallet/${encodeURIComponent(name)}`;
    return new RpcClient({ ...this.#options, url: url.href });
  }

  /** A client for the same node without a wallet path (node-level calls). */
  forNode(): RpcClient {
    const url = new URL(this.#target.url.href);
    url.pathname = '/';
    return new RpcClient({ ...this.#options, url: url.href });
  }

  /** Calls `method`; resolves with its `result` (numbers kept exact), rejects with a typed error. */
  async call(method: string, params: readonly JsonValue[] = []): Promise<unknown> {
    const context = { node: this.node, method };
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '1.0', id, method, params });
    const attemptsMax = nonIdempotentMethods.has(method) ? 1 : 1 + this.#retriesMax;
    const response = await this.#postWithRetries(context, body, attemptsMax);
    return readResponse(context, id, response);
  }

  /**
   * Calls an idempotent `method` once per parameter list in one JSON-RPC batch request (one HTTP
   * round trip; the node answers the calls in turn). Resolves with one answer per call, in order;
   * an error of one call is its answer alone. Rejects when the request as a whole fails.
   */
  async callBatch(
    method: string,
    paramsList: readonly (readonly JsonValue[])[],
  ): Promise<BatchAnswer[]> {
    assert(!nonIdempotentMethods.has(method), `${method} moves money and is never batched`);
    assert(
      paramsList.length >= 1 && paramsList.length <= batchCallsMax,
      `a batch holds 1..${batchCallsMax} calls`,
    );
    const context = { node: this.node, method };
    const firstId = this.#nextId;
    this.#nextId += paramsList.length;
    const body = JSON.stringify(
      paramsList.map((params, index) => ({ jsonrpc: '1.0', id: firstId + index, method, params })),
    );
    const response = await this.#postWithRetries(context, body, 1 + this.#retriesMax);
    return readBatchResponse(context, firstId, paramsList.length, response);
  }

  async #postWithRetries(
    context: { readonly node: string; readonly method: string },
    body: string,
    attemptsMax: number,
  ): Promise<{ readonly status: number; readonly text: string }> {
    assert(
      Buffer.byteLength(body) <= requestBytesMax,
      `${context.method} request above requestBytesMax`,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#post(context, body);
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw error;
        if (!error.retryable || attempt >= attemptsMax) {
          throw new BitcoindConnectionError(
            context,
            {
              problem: error.problem,
              attempts: attempt,
              requestMayHaveArrived: error.requestMayHaveArrived,
            },
            { cause: error.reason },
          );
        }
        await sleep(this.#retryDelay(attempt));
      }
    }
  }

  #retryDelay(attempt: number): number {
    const ceiling = Math.min(this.#retryDelayMs * 2 ** (attempt - 1), retryDelayMsMax);
    return Math.round(ceiling * (0.5 + Math.random() / 2));
  }

  /** One HTTP POST; rejects with AttemptFailure when no complete response arrives. */
  #post(
    context: { readonly node: string; readonly method: string },
    body: string,
  ): Promise<{ readonly status: number; readonly text: string }> {
    const { url, authorization } = this.#target;
    const transport = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    };
    if (authorization) headers.authorization = authorization;
    const bytesMax = this.#responseBytesMax;
    const timeoutMs = this.#timeoutMs;
    return new Promise((resolve, reject) => {
      let responded = false;
      let settled = false;
      const fail = (failure: AttemptFailure | BitcoindResponseError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(failure);
      };
      const timer = setTimeout(() => {
        const problem = `no complete answer within ${timeoutMs} ms`;
        fail(new AttemptFailure(problem, !responded, true, undefined));
      }, timeoutMs);
      const request = transport.request(
        url,
        { method: 'POST', headers, agent: false },
        (response) => {
          responded = true;
          const chunks: Buffer[] = [];
          let bytes = 0;
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > bytesMax) {
              fail(new BitcoindResponseError(context, `response above ${bytesMax} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', (error) => {
            fail(new AttemptFailure(`response broken: ${error.message}`, false, true, error));
          });
          response.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? '';
        const refused = code === 'ECONNREFUSED';
        const retryable = !responded && retryableSocketErrors.has(code);
        const problem = refused ? 'connection refused' : `connection failed: ${error.message}`;
        fail(new AttemptFailure(problem, retryable, !refused, error));
      });
      request.end(body);
    });
  }
}

/** Turns an HTTP answer into the call's result or a typed error. */
function readResponse(
  context: { readonly node: string; readonly method: string },
  id: number,
  response: { readonly status: number; readonly text: string },
): unknown {
  const parsed = parseAnswer(context, response);
  if (!isRecord(parsed) || (!('result' in parsed) && !('error' in parsed))) {
    throw new BitcoindResponseError(context, `HTTP ${response.status} without a JSON-RPC answer`, {
      httpStatus: response.status,
    });
  }
  const answer = readAnswer(context, parsed);
  if (!answer.ok) throw answer.error;
  if (parsed.id !== id && parsed.id !== String(id)) {
    throw new BitcoindResponseError(context, `answer to request ${String(parsed.id)}, not ${id}`);
  }
  if (response.status !== 200) {
    throw new BitcoindResponseError(context, `HTTP ${response.status}`, {
      httpStatus: response.status,
    });
  }
  return answer.result;
}

/** Turns the answer to a batch into one answer per call, matched by id. */
function readBatchResponse(
  context: { readonly node: string; readonly method: string },
  firstId: number,
  count: number,
  response: { readonly status: number; readonly text: string },
): BatchAnswer[] {
  const parsed = parseAnswer(context, response);
  if (!Array.isArray(parsed) || response.status !== 200) {
    // A node that refuses the batch as a whole answers with one error object.
    if (isRecord(parsed) && isRecord(parsed.error)) {
      const answer = readAnswer(context, parsed);
      if (!answer.ok) throw answer.error;
    }
    throw new BitcoindResponseError(context, `HTTP ${response.status} without a batch answer`, {
      httpStatus: response.status,
    });
  }
  const answers = new Map<number, BatchAnswer>();
  for (const item of parsed) {
    const index = isRecord(item) ? Number(item.id) - firstId : Number.NaN;
    if (!isRecord(item) || !Number.isInteger(index) || index < 0 || index >= count) {
      throw new BitcoindResponseError(context, 'batch answer with an unknown id');
    }
    if (answers.has(index)) throw new BitcoindResponseError(context, 'batch answer twice');
    answers.set(index, readAnswer(context, item));
  }
  return Array.from({ length: count }, (_, index) => {
    const answer = answers.get(index);
    if (!answer) throw new BitcoindResponseError(context, `batch answer without call ${index}`);
    return answer;
  });
}

function parseAnswer(
  context: { readonly node: string; readonly method: string },
  response: { readonly status: number; readonly text: string },
): unknown {
  const { status, text } = response;
  if (status === 401 || status === 403) {
    throw new BitcoindResponseError(context, `HTTP ${status}: check the RPC user and password`, {
      httpStatus: status,
    });
  }
  try {
    return parseJsonKeepingDecimals(text);
  } catch (cause) {
    throw new BitcoindResponseError(context, `HTTP ${status} with a body that is not JSON`, {
      httpStatus: status,
      details: text.slice(0, 200),
      cause,
    });
  }
}

/** One JSON-RPC answer object: its result, or its error as a typed error. */
function readAnswer(
  context: { readonly node: string; readonly method: string },
  parsed: Record<string, unknown>,
): BatchAnswer {
  if (!('result' in parsed) && !('error' in parsed)) {
    throw new BitcoindResponseError(context, 'an answer without result or error');
  }
  const error = parsed.error;
  if (error !== null && error !== undefined) {
    const code = isRecord(error) && typeof error.code === 'number' ? error.code : undefined;
    const message = isRecord(error) && typeof error.message === 'string' ? error.message : '';
    return {
      ok: false,
      error: new BitcoindRpcError(
        context,
        code ?? bitcoindErrorCodes.miscError,
        message || 'error',
      ),
    };
  }
  return { ok: true, result: parsed.result ?? null };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
