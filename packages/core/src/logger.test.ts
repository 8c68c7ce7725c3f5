// The logger: level filtering, text lines for people and JSON lines for machines.
import { describe, expect, it } from 'vitest';
import { createLogger, jsonSafe, type LoggerOptions } from './logger.js';

/** A logger whose lines are collected instead of written to stderr. */
function collect(options: Omit<LoggerOptions, 'write'> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (line) => lines.push(line) });
  return { logger, lines };
}

function logEveryLevel(logger: ReturnType<typeof createLogger>): void {
  logger.debug('one');
  logger.info('two');
  logger.warn('three');
  logger.error('four');
}

describe('createLogger', () => {
  it('writes info and above by default', () => {
    const { logger, lines } = collect();
    logEveryLevel(logger);
    expect(lines.map((line) => line.split(' ').slice(1).join(' '))).toEqual([
      'INFO two',
      'WARN three',
      'ERROR four',
    ]);
  });

  it.each([
    ['debug', ['one', 'two', 'three', 'four']],
    ['info', ['two', 'three', 'four']],
    ['warn', ['three', 'four']],
    ['error', ['four']],
  ] as const)('at level %s writes %j', (level, expected) => {
    const { logger, lines } = collect({ level, json: true });
    logEveryLevel(logger);
    expect(lines.map((line) => (JSON.parse(line) as { message: unknown }).message)).toEqual(
      expected,
    );
  });

  it('writes a text line with an ISO time, the level and the fields', () => {
    const { logger, lines } = collect();
    logger.warn('deposit seen', { coin: 'ltc', amount: 150_000_000n, confirmations: 2 });
    expect(lines).toHaveLength(1);
    const [time, level, ...rest] = (lines[0] ?? '').split(' ');
    expect(new Date(time ?? '').toISOString()).toBe(time);
    expect(level).toBe('WARN');
    expect(rest.join(' ')).toBe('deposit seen coin=ltc amount=150000000 confirmations=2');
  });

  it('writes parseable JSON with bigints as strings, nested ones too', () => {
    const { logger, lines } = collect({ json: true });
    logger.info('withdrawal', {
      amount: 2n ** 63n - 1n,
      fees: [1n, -2n],
      detail: { balance: 0n, label: 'a "quoted"\nlabel' },
    });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? '') as { time: string };
    expect(record).toEqual({
      time: expect.any(String),
      level: 'info',
      message: 'withdrawal',
      amount: '9223372036854775807',
      fees: ['1', '-2'],
      detail: { balance: '0', label: 'a "quoted"\nlabel' },
    });
    expect(new Date(record.time).toISOString()).toBe(record.time);
    expect(lines[0]).not.toContain('\n');
  });
});

describe('jsonSafe', () => {
  it('turns bigints into strings and leaves everything else alone', () => {
    expect(JSON.stringify({ a: 1n, b: 1, c: 'x', d: null, e: [2n] }, jsonSafe)).toBe(
      '{"a":"1","b":1,"c":"x","d":null,"e":["2"]}',
    );
    expect(() => JSON.stringify({ a: 1n })).toThrow(TypeError);
  });
});

describe('secrets in log fields', () => {
  it.each([true, false])('never writes a password, secret or key (json: %s)', (json) => {
    const { logger, lines } = collect({ json });
    logger.error('node refused', {
      url: 'http://127.0.0.1:9332/',
      password: 'hunter2-password',
      node: {
        secret: 'the-webhook-secret',
        wif: '5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3',
      },
      error: new Error('connection refused'),
    });
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).not.toMatch(/hunter2|the-webhook-secret|5KQwrPbw/);
    expect(line).toContain('[redacted]');
    expect(line).toContain('connection refused');
  });
});
