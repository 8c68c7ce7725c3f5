// A minimal JSON-RPC caller for talking to a devnet node (faucet, mine): basic auth taken from
// the URL, a timeout, a bounded answer, numbers kept exact.
import { CryptoassetsError } from '@cryptoassets/core';
import { JsonDecimal, type JsonIn, type JsonOut, parseJsonExact, writeJson } from '../rpc/json.js';

export const devnetRpcTimeoutMs = 60_000;
/** Largest answer read. */
export const devnetRpcResponseBytesMax = 16 * 1024 * 1024;

/** The node answered with a JSON-RPC error, or not at all. */
export class DevnetRpcError extends CryptoassetsError {
  override name = 'DevnetRpcError';
  readonly rpcCode: number | undefined;
  constructor(
    method: string,
    problem: string,
    rpcCode?: number,
    options: { cause?: unknown } = {},
  ) {
    super('DEVNET_RPC', `devnet ${method}: ${problem}`, options);
    this.rpcCode = rpcCode;
  }
}

/** Calls `method` on the node at `url` (http://user:password@host:port/...). */
export async function callDevnetRpc(
  url: string,
  method: string,
  params: readonly JsonOut[] = [],
  timeoutMs = devnetRpcTimeoutMs,
): Promise<JsonIn> {
  const target = new URL(url);
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  target.username = '';
  target.password = '';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (user || password) {
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers,
      body: writeJson({ jsonrpc: '1.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new DevnetRpcError(method, `cannot reach ${target.origin}`, undefined, { cause });
  }
  const text = await response.text();
  if (text.length > devnetRpcResponseBytesMax) throw new DevnetRpcError(method, 'answer too large');
  if (response.status === 401) throw new DevnetRpcError(method, 'wrong RPC user or password');
  let body: JsonIn;
  try {
    body = parseJsonExact(text);
  } catch (cause) {
    throw new DevnetRpcError(method, `HTTP ${response.status}, not JSON`, undefined, { cause });
  }
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, JsonIn>;
  const error = record.error;
  if (error !== null && error !== undefined) {
    const fields = error as Record<string, JsonIn>;
    const code = typeof fields.code === 'number' ? fields.code : undefined;
    const message = typeof fields.message === 'string' ? fields.message : 'error';
    throw new DevnetRpcError(method, message, code);
  }
  return record.result ?? null;
}

/** The decimal text of an amount the node wrote as a JSON number. */
export function amountText(value: JsonIn): string {
  if (value instanceof JsonDecimal) return value.text;
  if (typeof value === 'number') return String(value);
  throw new DevnetRpcError('amount', `expected a number, got ${JSON.stringify(value)}`);
}
