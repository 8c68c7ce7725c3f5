// Walletnotify over HTTP: `walletnotify=curl --data "txid=%s" http://127.0.0.1:PORT/` posts here.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { WalletnotifyRejected, WalletnotifyStartError } from './errors.js';
import { createIntake } from './intake.js';
import { sleep, type WalletnotifyLimits, walletnotifyLimitsDefault } from './limits.js';
import { decodeUtf8, parseNotificationBody } from './parse.js';
import type {
  HttpWalletnotifyConfig,
  WalletnotifyListener,
  WalletnotifyListenerOptions,
} from './types.js';

/** How often the server looks for requests past their header or request timeout. */
const timeoutCheckIntervalMsMax = 1_000;

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) {
    const lower = bare.toLowerCase();
    return lower === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(lower) || /^::ffff:127\./.test(lower);
  }
  return false;
}

/** Compares a request path with the expected one in time independent of where they differ. */
function samePath(actual: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(actual), digest(expected));
}

export function createHttpWalletnotifyListener(
  config: HttpWalletnotifyConfig,
  options: WalletnotifyListenerOptions,
): WalletnotifyListener {
  const limits: WalletnotifyLimits = { ...walletnotifyLimitsDefault, ...options.limits };
  const { logger } = options;
  const source = `http ${config.host}:${config.port}`;
  const intake = createIntake({ ...options, queueLengthMax: limits.queueLengthMax, source });
  const expectedPath = `/${(config.secret_path ?? '').replace(/^\/+/, '')}`;
  const bodyBytesMax = config.body_bytes_max;
  let server: Server | undefined;
  let phase: 'new' | 'started' | 'stopped' = 'new';

  const reply = (res: ServerResponse, status: number, text: string): void => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(text);
  };

  /** Counts and answers a request that is not a notification; logs show its method and path. */
  const refuse = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    reason: string,
  ): void => {
    intake.reject(new WalletnotifyRejected(reason, `${req.method ?? ''} ${req.url ?? ''}`));
    reply(res, status, reason);
  };

  /** Answers 413 and cuts the connection shortly after, so the rest of the body is not read. */
  const tooLarge = (req: IncomingMessage, res: ServerResponse): void => {
    req.removeAllListeners('data');
    req.removeAllListeners('end');
    req.pause();
    res.setHeader('Connection', 'close');
    res.on('finish', () => {
      setTimeout(() => req.socket.destroy(), limits.closeLingerMs).unref();
    });
    refuse(req, res, 413, `body over ${bodyBytesMax} bytes`);
  };

  const finish = (res: ServerResponse, body: Buffer): void => {
    const outcome = intake.accept(() => parseNotificationBody(decodeUtf8(body)));
    if (outcome === 'queued') reply(res, 200, 'ok');
    else if (outcome === 'dropped') reply(res, 503, 'busy');
    else reply(res, 400, 'bad txid');
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    req.on('error', () => req.socket.destroy());
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    if (!samePath(path, expectedPath)) {
      refuse(req, res, 404, 'not found');
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      refuse(req, res, 405, 'method not allowed');
      return;
    }
    const declaredBytes = Number(req.headers['content-length'] ?? 0);
    if (declaredBytes > bodyBytesMax) {
      tooLarge(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    req.on('data', (chunk: Buffer) => {
      receivedBytes += chunk.length;
      if (receivedBytes > bodyBytesMax) tooLarge(req, res);
      else chunks.push(chunk);
    });
    req.on('end', () => finish(res, Buffer.concat(chunks)));
  };

  const listen = (created: Server): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        const problem = `cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`;
        reject(new WalletnotifyStartError('walletnotify.port', problem, { cause: error }));
      };
      created.once('error', onError);
      created.listen({ host: config.host, port: config.port }, () => {
        created.off('error', onError);
        resolve();
      });
    });

  return {
    async start() {
      if (phase !== 'new') throw new WalletnotifyStartError(undefined, `listener is ${phase}`);
      if (!isLoopbackHost(config.host) && config.secret_path === undefined)
        throw new WalletnotifyStartError(
          'walletnotify.secret_path',
          `required when host ${JSON.stringify(config.host)} is not a loopback address`,
        );
      phase = 'started';
      intake.state = 'starting';
      const created = createServer(
        {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          connectionsCheckingInterval: Math.min(timeoutCheckIntervalMsMax, limits.headersTimeoutMs),
        },
        handle,
      );
      created.maxConnections = limits.connectionCountMax;
      created.keepAliveTimeout = limits.headersTimeoutMs;
      try {
        await listen(created);
      } catch (error) {
        intake.state = 'stopped';
        phase = 'stopped';
        throw error;
      }
      server = created;
      intake.state = 'listening';
      logger.info('walletnotify listening', { source });
    },
    async stop() {
      if (phase !== 'started') {
        phase = 'stopped';
        return;
      }
      phase = 'stopped';
      intake.state = 'stopping';
      const running = server;
      server = undefined;
      if (running !== undefined) {
        const closed = new Promise<void>((resolve) => running.close(() => resolve()));
        running.closeAllConnections();
        await Promise.race([closed, sleep(limits.stopTimeoutMs)]);
      }
      await intake.queue.close();
      intake.state = 'stopped';
      logger.info('walletnotify stopped', { source });
    },
    get stats() {
      return intake.stats;
    },
  };
}
