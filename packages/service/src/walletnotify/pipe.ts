// Walletnotify over a named pipe: `walletnotify=echo %s > PIPE` (run by a shell) writes here.
//
// The FIFO is opened read-write and non-blocking. Opening it read-only would block until a
// writer appears (so `stop()` could hang), and every writer closing would end the stream. Holding
// our own write end means a writer closing never reads as end-of-file, so one open serves all
// writers; should the stream still end or fail, it is reopened after a bounded backoff.
import { execFile } from 'node:child_process';
import { close, constants, open, stat } from 'node:fs';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import { WalletnotifyRejected, WalletnotifyStartError } from './errors.js';
import { createIntake, type Intake } from './intake.js';
import {
  reconnectDelayMs,
  sleep,
  type WalletnotifyLimits,
  walletnotifyLimitsDefault,
} from './limits.js';
import { createLineSplitter } from './lines.js';
import { decodeUtf8, parseNotificationLine } from './parse.js';
import type {
  PipeWalletnotifyConfig,
  WalletnotifyListener,
  WalletnotifyListenerOptions,
} from './types.js';

const mkfifoTimeoutMs = 5_000;
const statAsync = promisify(stat);
const openAsync = promisify(open);
const execFileAsync = promisify(execFile);

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Makes sure `path` is a FIFO: creates it (mode 600) if missing, refuses anything else. */
async function ensureFifo(path: string): Promise<void> {
  try {
    if ((await statAsync(path)).isFIFO()) return;
  } catch (error) {
    if (!isMissing(error))
      throw new WalletnotifyStartError('walletnotify.path', `cannot inspect ${path}`, {
        cause: error,
      });
    try {
      // Node has no mkfifo; `--` keeps a path starting with a dash from reading as an option.
      await execFileAsync('mkfifo', ['-m', '600', '--', path], { timeout: mkfifoTimeoutMs });
    } catch (mkfifoError) {
      throw new WalletnotifyStartError(
        'walletnotify.path',
        `cannot create a named pipe at ${path}`,
        {
          cause: mkfifoError,
        },
      );
    }
    if ((await statAsync(path)).isFIFO()) return;
  }
  throw new WalletnotifyStartError('walletnotify.path', `${path} exists and is not a named pipe`);
}

function consumeLine(intake: Intake, line: Buffer): void {
  if (line.toString('latin1').trim() === '') return;
  intake.accept(() => parseNotificationLine(decodeUtf8(line)));
}

export function createPipeWalletnotifyListener(
  config: PipeWalletnotifyConfig,
  options: WalletnotifyListenerOptions,
): WalletnotifyListener {
  const limits: WalletnotifyLimits = { ...walletnotifyLimitsDefault, ...options.limits };
  const { logger } = options;
  const source = `pipe ${config.path}`;
  const intake = createIntake({ ...options, queueLengthMax: limits.queueLengthMax, source });
  let phase: 'new' | 'started' | 'stopped' = 'new';
  let socket: Socket | undefined;
  let reopenAttempt = 0;

  const openStream = async (): Promise<void> => {
    const fd = await openAsync(config.path, constants.O_RDWR | constants.O_NONBLOCK);
    if (phase !== 'started') {
      close(fd, () => undefined);
      return;
    }
    const splitter = createLineSplitter({
      lineBytesMax: limits.lineBytesMax,
      onLine: (line) => consumeLine(intake, line),
      onOverlong: (head) =>
        intake.reject(
          new WalletnotifyRejected(
            `line over ${limits.lineBytesMax} bytes`,
            head.toString('latin1'),
          ),
        ),
    });
    const stream = new Socket({ fd, readable: true, writable: false });
    socket = stream;
    stream.on('data', (chunk: Buffer) => {
      reopenAttempt = 0;
      splitter.push(chunk);
    });
    stream.on('error', (error) => {
      logger.warn('walletnotify pipe error', { source, error: error.message });
    });
    stream.on('close', () => {
      if (socket === stream) socket = undefined;
      if (phase === 'started') void reopen();
    });
    intake.state = 'listening';
  };

  const reopen = async (): Promise<void> => {
    intake.state = 'reconnecting';
    reopenAttempt++;
    const delayMs = reconnectDelayMs(reopenAttempt, limits);
    logger.warn('walletnotify pipe closed, reopening', { source, delayMs });
    await sleep(delayMs);
    if (phase !== 'started') return;
    try {
      await ensureFifo(config.path);
      await openStream();
    } catch (error) {
      logger.error('walletnotify pipe cannot reopen', {
        source,
        error: error instanceof Error ? error.message : String(error),
      });
      if (phase === 'started') void reopen();
    }
  };

  return {
    async start() {
      if (phase !== 'new') throw new WalletnotifyStartError(undefined, `listener is ${phase}`);
      phase = 'started';
      intake.state = 'starting';
      try {
        await ensureFifo(config.path);
        await openStream();
      } catch (error) {
        phase = 'stopped';
        intake.state = 'stopped';
        if (error instanceof WalletnotifyStartError) throw error;
        throw new WalletnotifyStartError('walletnotify.path', `cannot open ${config.path}`, {
          cause: error,
        });
      }
      logger.info('walletnotify listening', { source });
    },
    async stop() {
      const wasStarted = phase === 'started';
      phase = 'stopped';
      if (!wasStarted) return;
      intake.state = 'stopping';
      const open = socket;
      socket = undefined;
      if (open !== undefined && !open.destroyed) {
        const closed = new Promise<void>((resolve) => open.once('close', () => resolve()));
        open.destroy();
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
