// Webhook signatures: HMAC-SHA256 of the raw body with the handler's secret, as a header.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex HMAC-SHA256 of the raw body>`; present when the handler has a secret. */
export const signatureHeader = 'X-Cryptoassets-Signature';
/** The event's id, also in the body: receivers deduplicate on it. */
export const eventIdHeader = 'X-Cryptoassets-Event-Id';
export const eventNameHeader = 'X-Cryptoassets-Event-Name';

const signaturePrefix = 'sha256=';
const signatureHexLength = 64;

/** The signature header value for a body. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `${signaturePrefix}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the signature of exactly these bytes; compared in constant time. */
export function verifySignature(
  body: Uint8Array,
  header: string | undefined,
  secret: string,
): boolean {
  if (typeof header !== 'string' || !header.startsWith(signaturePrefix)) return false;
  const hex = header.slice(signaturePrefix.length);
  if (hex.length !== signatureHexLength || !/^[0-9a-fA-F]+$/.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
