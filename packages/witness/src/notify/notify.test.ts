// Notifications: the bounded queue never blocks the guard, the log file gets JSON lines, and
// e-mail goes out over SMTP to a small local server speaking just enough of the protocol.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmailSink } from './email.js';
import { describeEvent, type WitnessEvent, witnessEvent } from './events.js';
import { createFileSink, parseEventLog } from './file.js';
import { createNotificationQueue } from './queue.js';

const source = { guard: 'alice-hive', chain: 'hive', account: 'alice' };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('witnessEvent', () => {
  it('has a UUID, the time and the source, and reads as one line', () => {
    const event = witnessEvent(
      source,
      'key_switched',
      {
        old_key: 'STM5aaa',
        new_key: 'STM5bbb',
        txid: 'ab'.repeat(20),
        block: 42,
      },
      () => 0,
    );
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.time).toBe('1970-01-01T00:00:00.000Z');
    expect(describeEvent(event)).toBe(
      `alice-hive (alice on hive): signing key switched from STM5aaa to STM5bbb tx ${'ab'.repeat(20)} in block 42`,
    );
  });
});

describe('createNotificationQueue', () => {
  it('returns at once while a sink is slow, and delivers in order', async () => {
    const got: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = createNotificationQueue({
      sinks: [
        {
          name: 'slow',
          deliver: async (event) => {
            await gate;
            got.push(event.name);
          },
        },
      ],
    });
    const started = Date.now();
    queue.notify(witnessEvent(source, 'guard_started'));
    queue.notify(witnessEvent(source, 'miss_seen'));
    expect(Date.now() - started).toBeLessThan(50);
    expect(got).toEqual([]);
    release();
    await queue.drain(1_000);
    expect(got).toEqual(['guard_started', 'miss_seen']);
  });

  it('drops the oldest events beyond its bound', async () => {
    const got: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = createNotificationQueue({
      eventsMax: 2,
      sinks: [
        {
          name: 'slow',
          deliver: async (event) => {
            await gate;
            got.push(event.message ?? '');
          },
        },
      ],
    });
    for (const message of ['a', 'b', 'c', 'd'])
      queue.notify(witnessEvent(source, 'switch_failed', { message }));
    release();
    await queue.drain(1_000);
    expect(got).toEqual(['a', 'c', 'd']);
    expect(queue.dropped()).toBe(1);
  });

  it('tries a failing sink a bounded number of times and goes on', async () => {
    let calls = 0;
    const got: string[] = [];
    const queue = createNotificationQueue({
      retryDelayMs: 1,
      sinks: [
        {
          name: 'broken',
          deliver: async () => {
            calls += 1;
            throw new Error('down');
          },
        },
        {
          name: 'fine',
          deliver: async (event) => {
            got.push(event.name);
          },
        },
      ],
    });
    queue.notify(witnessEvent(source, 'miss_seen'));
    queue.notify(witnessEvent(source, 'guard_stopped'));
    await queue.drain(2_000);
    expect(calls).toBe(6);
    expect(got).toEqual(['miss_seen', 'guard_stopped']);
  });
});

describe('createFileSink', () => {
  it('appends one JSON line per event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witness-log-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'logs', 'guard.jsonl');
    const sink = createFileSink(path);
    const events = [
      witnessEvent(source, 'guard_started'),
      witnessEvent(source, 'miss_seen', { streak: 1 }),
    ];
    for (const event of events) await sink.deliver(event);
    expect(parseEventLog(readFileSync(path, 'utf8'))).toEqual(events);
  });
});

type Mail = { from: string; to: string[]; data: string };

/** Just enough SMTP to accept messages: EHLO, MAIL, RCPT, DATA, QUIT. */
async function startSmtp(): Promise<{ port: number; mails: Mail[]; server: Server }> {
  const mails: Mail[] = [];
  const server = createServer((socket: Socket) => {
    let buffer = '';
    let mail: Mail = { from: '', to: [], data: '' };
    let inData = false;
    socket.setEncoding('utf8');
    socket.write('220 localhost ESMTP test\r\n');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\r\n'); end !== -1; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            mails.push(mail);
            mail = { from: '', to: [], data: '' };
            socket.write('250 OK queued\r\n');
          } else mail.data += `${line}\n`;
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250-localhost\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL') {
          mail.from = line;
          socket.write('250 OK\r\n');
        } else if (verb === 'RCPT') {
          mail.to.push(line);
          socket.write('250 OK\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
        } else socket.write('250 OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, mails, server };
}

describe('createEmailSink', () => {
  it('sends one message per event to every recipient over SMTP', async () => {
    const smtp = await startSmtp();
    cleanups.push(() => new Promise<void>((resolve) => smtp.server.close(() => resolve())));
    const sink = createEmailSink({
      smtp: `smtp://127.0.0.1:${smtp.port}`,
      from: 'guard@example.org',
      to: ['ops@example.org', 'oncall@example.org'],
    });
    const event: WitnessEvent = witnessEvent(source, 'kill_switch_fired', {
      old_key: 'STM5aaa',
      txid: 'cd'.repeat(20),
    });
    await sink.deliver(event);
    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail?.from).toContain('guard@example.org');
    expect(mail?.to.join(' ')).toContain('oncall@example.org');
    expect(mail?.data).toContain('kill switch fired');
    expect(mail?.data).toContain(event.id);
  });

  it('fails when the SMTP server is not there', async () => {
    const smtp = await startSmtp();
    const port = smtp.port;
    await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
    const sink = createEmailSink({
      smtp: `smtp://127.0.0.1:${port}`,
      from: 'a@b.c',
      to: ['d@e.f'],
    });
    await expect(sink.deliver(witnessEvent(source, 'miss_seen'))).rejects.toThrow();
  });
});
