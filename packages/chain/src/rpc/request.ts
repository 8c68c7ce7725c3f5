// Parsing a JSON-RPC request body (1.0 or 2.0, single or batch) into calls, bounded and strict:
// every failure becomes the JSON-RPC error bitcoind would answer.
import { RpcError, rpcErrorCodes } from './errors.js';
import { JsonDecimal, type JsonIn, JsonSyntaxError, parseJsonExact } from './json.js';

/** Most calls one batch may hold. */
export const batchRequestsMax = 100;
/** Longest method name accepted. */
export const methodCharsMax = 64;

export type RpcId = string | number | null | JsonDecimal;

export type RpcCall = {
  readonly id: RpcId;
  readonly method: string;
  readonly params: JsonIn | undefined;
  /** JSON-RPC 2.0 (answers without the unused member, and HTTP 200 even for errors). */
  readonly v2: boolean;
  /** A 2.0 call without an id: run it, answer nothing. */
  readonly notification: boolean;
};

/** One element of the request: a call, or the error its answer must carry. */
export type ParsedCall =
  | { readonly ok: true; readonly call: RpcCall }
  | { readonly ok: false; readonly id: RpcId; readonly v2: boolean; readonly error: RpcError };

export type ParsedRequest =
  | { readonly batch: false; readonly call: ParsedCall }
  | { readonly batch: true; readonly calls: readonly ParsedCall[] };

/** Parses the body; throws RpcError -32700 (not JSON) or -32600 (a batch too large or empty). */
export function parseRpcRequest(body: string): ParsedRequest {
  let value: JsonIn;
  try {
    value = parseJsonExact(body);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new RpcError(rpcErrorCodes.parseError, 'Parse error', { cause: error });
  }
  if (!Array.isArray(value)) return { batch: false, call: parseCall(value) };
  if (value.length === 0) throw new RpcError(rpcErrorCodes.invalidRequest, 'Empty batch');
  if (value.length > batchRequestsMax) {
    throw new RpcError(rpcErrorCodes.invalidRequest, `Batch of more than ${batchRequestsMax}`);
  }
  return { batch: true, calls: value.map(parseCall) };
}

function readId(value: JsonIn | undefined): RpcId {
  if (value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || value === null) return value;
  if (value instanceof JsonDecimal) return value;
  return null;
}

function parseCall(value: JsonIn): ParsedCall {
  const invalid = (id: RpcId, v2: boolean, message: string): ParsedCall => ({
    ok: false,
    id,
    v2,
    error: new RpcError(rpcErrorCodes.invalidRequest, message),
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(null, false, 'Invalid Request object');
  }
  if (value instanceof JsonDecimal) return invalid(null, false, 'Invalid Request object');
  const record = value as Readonly<Record<string, JsonIn>>;
  const v2 = record.jsonrpc === '2.0';
  const id = readId(record.id);
  if (record.jsonrpc !== undefined && record.jsonrpc !== '1.0' && !v2) {
    return invalid(id, false, 'jsonrpc field must be a string "1.0" or "2.0"');
  }
  if (typeof record.method !== 'string') return invalid(id, v2, 'Method must be a string');
  if (record.method.length > methodCharsMax) return invalid(id, v2, 'Method name too long');
  const params = record.params;
  if (
    params !== undefined &&
    params !== null &&
    (typeof params !== 'object' || params instanceof JsonDecimal)
  ) {
    return invalid(id, v2, 'Params must be an array or object');
  }
  return {
    ok: true,
    call: { id, method: record.method, params, v2, notification: v2 && !('id' in record) },
  };
}
