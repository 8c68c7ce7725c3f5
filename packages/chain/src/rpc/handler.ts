// The HTTP side of the JSON-RPC server: POST only, HTTP basic auth, a bounded body, the paths
// bitcoind answers on (`/`, `/wallet/NAME`, and `/rpc`), and bitcoind's status codes.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RpcError, rpcErrorCodes } from './errors.js';
import { type JsonOut, writeJson } from './json.js';
import { runMethod } from './methods.js';
import { type ParsedCall, parseRpcRequest, type RpcId } from './request.js';
import type { RpcBackend } from './types.js';

/** Largest request body read. */
export const rpcBodyBytesMax = 1_048_576;
/** Longest wallet name in a `/wallet/NAME` path. */
export const walletNameCharsMax = 64;

export type RpcAuth = { readonly user: string; readonly password: string };

export type RpcHandlerOptions = {
  /** Credentials the client must send; `false` answers everybody (loopback tests only). */
  readonly auth: RpcAuth | false;
  readonly bodyBytesMax?: number;
  /** Told about failures that are not the client's fault. */
  readonly onInternalError?: (error: unknown) => void;
};

export type RpcRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The backend answering a request: by the wallet of its `/wallet/NAME` path (undefined for `/`
 * and `/rpc`). Throws RpcError -18 for a wallet that is not loaded.
 */
export type RpcBackendResolver = (walletName: string | undefined) => RpcBackend;

const walletPathPattern = /^\/wallet\/([^/?#]{1,200})\/?$/;

/** The wallet a `/wallet/NAME` path names; undefined for `/` and `/rpc`; null for other paths. */
export function walletOfPath(url: string | undefined): string | undefined | null {
  const path = (url ?? '/').split('?')[0] ?? '/';
  if (path === '/' || path === '/rpc' || path === '/rpc/') return undefined;
  const match = walletPathPattern.exec(path);
  if (!match?.[1]) return null;
  try {
    const name = decodeURIComponent(match[1]);
    return name.length <= walletNameCharsMax ? name : null;
  } catch {
    return null;
  }
}

/** True for the paths the RPC answers on: `/`, `/rpc` and `/wallet/NAME`. */
export function isRpcPath(url: string | undefined): boolean {
  return walletOfPath(url) !== null;
}

/** A request handler answering JSON-RPC calls against `backend`. */
export function createRpcBackendHandler(
  backend: RpcBackend | RpcBackendResolver,
  options: RpcHandlerOptions,
): RpcRequestHandler {
  const resolve = typeof backend === 'function' ? backend : () => backend;
  const bodyBytesMax = options.bodyBytesMax ?? rpcBodyBytesMax;
  return (req, res) => {
    if (req.method !== 'POST') {
      reply(res, 405, 'text/plain', 'JSONRPC server handles only POST requests');
      return;
    }
    if (!authorized(req, options.auth)) {
      res.setHeader('www-authenticate', 'Basic realm="jsonrpc"');
      reply(res, 401, 'text/plain', '');
      return;
    }
    const walletName = walletOfPath(req.url);
    if (walletName === null) {
      reply(res, 404, 'text/plain', 'Not found');
      return;
    }
    readBody(req, res, bodyBytesMax, (body) => {
      answer(() => resolve(walletName), body).then(
        ({ status, text }) => reply(res, status, 'application/json', text),
        (error: unknown) => {
          options.onInternalError?.(error);
          reply(res, 500, 'application/json', errorReply(null, false, internal(error)));
        },
      );
    });
  };
}

function authorized(req: IncomingMessage, auth: RpcAuth | false): boolean {
  if (auth === false) return true;
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const given = Buffer.from(header.slice('Basic '.length).trim(), 'base64');
  const wanted = Buffer.from(`${auth.user}:${auth.password}`, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  bytesMax: number,
  done: (body: string) => void,
): void {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > bytesMax) {
    tooLarge(req, res, bytesMax);
    return;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    bytes += chunk.length;
    if (bytes > bytesMax) {
      refused = true;
      tooLarge(req, res, bytesMax);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!refused) done(Buffer.concat(chunks).toString('utf8'));
  });
  req.on('error', () => {
    refused = true;
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, bytesMax: number): void {
  res.setHeader('connection', 'close');
  reply(res, 413, 'text/plain', `request body above ${bytesMax} bytes`);
  req.resume();
  setTimeout(() => req.destroy(), 1_000).unref();
}

function reply(res: ServerResponse, status: number, type: string, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function internal(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RpcError(rpcErrorCodes.miscError, message, { cause: error });
}

function idJson(id: RpcId): JsonOut {
  return typeof id === 'object' && id !== null ? id.text : id;
}

function resultReply(id: RpcId, v2: boolean, result: JsonOut): string {
  const base = v2 ? { jsonrpc: '2.0', result } : { result, error: null };
  return writeJson({ ...base, result: result === undefined ? null : result, id: idJson(id) });
}

function errorReply(id: RpcId, v2: boolean, error: RpcError): string {
  const body = { code: error.rpcCode, message: error.rpcMessage };
  if (v2) return writeJson({ jsonrpc: '2.0', error: body, id: idJson(id) });
  return writeJson({ result: null, error: body, id: idJson(id) });
}

/** bitcoind's HTTP status for a JSON-RPC 1.0 error; 2.0 answers 200. */
function statusFor(error: RpcError, v2: boolean): number {
  if (v2) return 200;
  if (error.rpcCode === rpcErrorCodes.invalidRequest) return 400;
  if (error.rpcCode === rpcErrorCodes.methodNotFound) return 404;
  return 500;
}

type CallOutcome = { readonly text: string | undefined; readonly error: RpcError | undefined };

async function runCall(backend: () => RpcBackend, parsed: ParsedCall): Promise<CallOutcome> {
  if (!parsed.ok) {
    return { text: errorReply(parsed.id, parsed.v2, parsed.error), error: parsed.error };
  }
  const { call } = parsed;
  try {
    const result = await runMethod(backend(), call.method, call.params);
    return {
      text: call.notification ? undefined : resultReply(call.id, call.v2, result),
      error: undefined,
    };
  } catch (thrown) {
    const error = internal(thrown);
    return { text: call.notification ? undefined : errorReply(call.id, call.v2, error), error };
  }
}

/** The HTTP status and body answering one request body. */
export async function answer(
  backend: RpcBackend | (() => RpcBackend),
  body: string,
): Promise<{ readonly status: number; readonly text: string }> {
  const resolve = typeof backend === 'function' ? backend : () => backend;
  let request: ReturnType<typeof parseRpcRequest>;
  try {
    request = parseRpcRequest(body);
  } catch (thrown) {
    const error = internal(thrown);
    return { status: statusFor(error, false), text: errorReply(null, false, error) };
  }
  if (!request.batch) {
    const outcome = await runCall(resolve, request.call);
    const v2 = request.call.ok ? request.call.call.v2 : request.call.v2;
    const status = outcome.error ? statusFor(outcome.error, v2) : 200;
    return { status: outcome.text === undefined ? 204 : status, text: outcome.text ?? '' };
  }
  const texts: string[] = [];
  for (const call of request.calls) {
    const outcome = await runCall(resolve, call);
    if (outcome.text !== undefined) texts.push(outcome.text);
  }
  return { status: 200, text: `[${texts.join(',')}]` };
}
