// Pure parsers for walletnotify input: a txid, an HTTP body, a line. They trust nothing.
import { WalletnotifyRejected } from './errors.js';

export const txidCharsLength = 64;
/** A form body holds the one `txid` field and nothing else. */
const formFieldCountMax = 1;
const txidPattern = /^[0-9a-fA-F]{64}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Returns the txid in lower case, or throws `WalletnotifyRejected`. */
export function parseTxid(input: string): string {
  if (input.length !== txidCharsLength) throw new WalletnotifyRejected('not 64 characters', input);
  if (!txidPattern.test(input)) throw new WalletnotifyRejected('not hexadecimal', input);
  return input.toLowerCase();
}

/** Decodes bytes as strict UTF-8, or throws `WalletnotifyRejected`. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new WalletnotifyRejected('not UTF-8', Buffer.from(bytes).toString('hex'), {
      cause: error,
    });
  }
}

/**
 * Parses an HTTP notification body: `txid=<hex>` (what `curl --data "txid=%s"` sends, form
 * encoded) or the bare txid as plain text. Surrounding whitespace (a trailing newline) is allowed.
 */
export function parseNotificationBody(body: string): string {
  const text = body.trim();
  if (!text.includes('=')) return parseTxid(text);
  const fields = [...new URLSearchParams(text)];
  if (fields.length > formFieldCountMax) throw new WalletnotifyRejected('unexpected fields', text);
  const [field] = fields;
  if (field === undefined || field[0] !== 'txid')
    throw new WalletnotifyRejected('no txid field', text);
  return parseTxid(field[1]);
}

/** Parses one line of a named pipe: the txid, surrounding whitespace allowed. */
export function parseNotificationLine(line: string): string {
  return parseTxid(line.trim());
}
