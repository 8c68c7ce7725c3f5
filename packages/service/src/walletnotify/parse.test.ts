import { describe, expect, it } from 'vitest';
import { WalletnotifyRejected } from './errors.js';
import { decodeUtf8, parseNotificationBody, parseNotificationLine, parseTxid } from './parse.js';

const txid = 'ab'.repeat(32);

describe('parseTxid', () => {
  it('accepts 64 hex characters and lowers their case', () => {
    expect(parseTxid(txid)).toBe(txid);
    expect(parseTxid(txid.toUpperCase())).toBe(txid);
  });

  it.each([
    ['empty', ''],
    ['short', 'ab'.repeat(31)],
    ['long', 'ab'.repeat(33)],
    ['not hex', `${'ab'.repeat(31)}zz`],
    ['0x prefix', `0x${'ab'.repeat(31)}`],
    ['spaces inside', `${'ab'.repeat(31)} a`],
  ])('rejects %s', (_name, input) => {
    expect(() => parseTxid(input)).toThrow(WalletnotifyRejected);
  });

  it('keeps the rejection message short and on one line', () => {
    const error = (() => {
      try {
        parseTxid(`x\n${'y'.repeat(5_000)}`);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(WalletnotifyRejected);
    const message = (error as WalletnotifyRejected).shortMessage;
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(200);
    expect((error as WalletnotifyRejected).code).toBe('WALLETNOTIFY_REJECTED');
  });
});

describe('parseNotificationBody', () => {
  it('reads the form curl --data sends', () => {
    expect(parseNotificationBody(`txid=${txid}`)).toBe(txid);
    expect(parseNotificationBody(`txid=${txid.toUpperCase()}\n`)).toBe(txid);
  });

  it('reads a plain txid', () => {
    expect(parseNotificationBody(`${txid}\r\n`)).toBe(txid);
  });

  it.each([
    ['another field', `tx=${txid}`],
    ['two fields', `txid=${txid}&coin=ltc`],
    ['two txids', `txid=${txid}&txid=${txid}`],
    ['empty value', 'txid='],
    ['empty body', ''],
    ['bad txid', 'txid=nothex'],
  ])('rejects %s', (_name, body) => {
    expect(() => parseNotificationBody(body)).toThrow(WalletnotifyRejected);
  });
});

describe('parseNotificationLine', () => {
  it('allows the whitespace echo and CRLF leave around a txid', () => {
    expect(parseNotificationLine(` ${txid}\r`)).toBe(txid);
  });
});

describe('decodeUtf8', () => {
  it('refuses invalid UTF-8 with the typed rejection', () => {
    expect(() => decodeUtf8(Uint8Array.of(0xff, 0xfe))).toThrow(WalletnotifyRejected);
    expect(decodeUtf8(Buffer.from('ok'))).toBe('ok');
  });
});
