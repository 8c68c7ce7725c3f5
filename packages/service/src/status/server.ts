// The status server: a small read-only HTTP server on loopback by default. It refuses a
// non-loopback address unless a token is set, and then wants `Authorization: Bearer TOKEN`.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { jsonSafe, type Logger } from '@cryptoassets/core';
import { isLoopbackHost } from '../walletnotify/http.js';
import { StatusServerRefused } from './errors.js';
import { renderStatusHtml } from './html.js';
import type { StatusSource } from './types.js';

export const statusHostDefault = '127.0.0.1';
export const statusPortDefault = 18_881;
/** A whole request, headers included, must arrive within this. */
export const statusRequestTimeoutMs = 10_000;
export const statusHeadersTimeoutMs = 5_000;
/** Collecting the status for one answer may take this long before 503. */
export const statusCollectTimeoutMs = 15_000;
export const statusConnectionsMax = 64;
const urlLengthMax = 2_048;

export type StatusServerOptions = {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly token?: string | undefined;
  readonly source: StatusSource;
  readonly logger: Logger;
};

export type StatusServer = {
  /** Listens; resolves with the address once it does. */
  start(): Promise<{ readonly host: string; readonly port: number }>;
  stop(): Promise<void>;
  /** The base URL once listening. */
  readonly url: string | undefined;
  /** Called when the server fails after it started. */
  onFailure: ((error: unknown) => void) | undefined;
};

/** Throws `StatusServerRefused` when `host` is reachable from elsewhere and no token is set. */
export function checkStatusBind(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && token === undefined)
    throw new StatusServerRefused(
      `status_server.host ${host} is not a loopback address: set status_server.token to listen there`,
    );
}

function sameToken(actual: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(actual), digest(expected));
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(type.startsWith('text/html')
      ? { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" }
      : {}),
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json', `${JSON.stringify(value, jsonSafe, 2)}\n`);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`status took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createStatusServer(options: StatusServerOptions): StatusServer {
  const host = options.host ?? statusHostDefault;
  const port = options.port ?? statusPortDefault;
  const { token, source, logger } = options;
  checkStatusBind(host, token);
  let server: Server | undefined;
  let url: string | undefined;

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (token !== undefined) {
      const header = request.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!sameToken(given, token)) {
        response.setHeader('www-authenticate', 'Bearer');
        return sendJson(response, 401, { error: 'a bearer token is required' });
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return sendJson(response, 405, { error: 'GET only' });
    const raw = request.url ?? '/';
    if (raw.length > urlLengthMax) return sendJson(response, 414, { error: 'URL too long' });
    const path = new URL(raw, 'http://status.invalid').pathname;
    if (path === '/status.json')
      return sendJson(response, 200, await withTimeout(source.summary(), statusCollectTimeoutMs));
    const coinMatch = /^\/coins\/([a-z][a-z0-9]{1,15})\.json$/.exec(path);
    if (coinMatch) {
      const detail = await withTimeout(source.detail(coinMatch[1]!), statusCollectTimeoutMs);
      return detail
        ? sendJson(response, 200, detail)
        : sendJson(response, 404, { error: 'no such coin' });
    }
    if (path === '/') {
      const page = async () => {
        const summary = await source.summary();
        const details = [];
        for (const coin of source.coins()) {
          const detail = await source.detail(coin);
          if (detail) details.push(detail);
        }
        return renderStatusHtml(summary, details);
      };
      return send(
        response,
        200,
        'text/html; charset=utf-8',
        await withTimeout(page(), statusCollectTimeoutMs),
      );
    }
    return sendJson(response, 404, { error: 'not found' });
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    route(request, response).catch((error: unknown) => {
      logger.warn('status request failed', {
        path: request.url,
        error: error instanceof Error ? error.message : String(error),
      });
      if (!response.headersSent) sendJson(response, 503, { error: 'status unavailable' });
      else response.destroy();
    });
  };

  const self: StatusServer = {
    onFailure: undefined,
    get url() {
      return url;
    },
    start: () =>
      new Promise((resolve, reject) => {
        const created = createServer(handle);
        created.requestTimeout = statusRequestTimeoutMs;
        created.headersTimeout = statusHeadersTimeoutMs;
        created.maxConnections = statusConnectionsMax;
        created.once('error', (error) =>
          reject(
            new StatusServerRefused(`status server cannot listen on ${host}:${port}`, {
              cause: error,
            }),
          ),
        );
        created.listen(port, host, () => {
          server = created;
          created.removeAllListeners('error');
          created.on('error', (error) => self.onFailure?.(error));
          const address = created.address();
          const bound = typeof address === 'object' && address !== null ? address.port : port;
          const shown = host.includes(':') ? `[${host}]` : host;
          url = `http://${shown}:${bound}/`;
          resolve({ host, port: bound });
        });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (!server) return resolve();
        const closing = server;
        server = undefined;
        closing.close(() => resolve());
        closing.closeAllConnections();
      }),
  };
  return self;
}
