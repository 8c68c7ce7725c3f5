import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.js';

describe('webhook signatures', () => {
  // RFC 4231, test case 2.
  const key = 'Jefe';
  const data = 'what do ya want for nothing?';
  const mac = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';

  it('is HMAC-SHA256 of the raw body in hex', () => {
    expect(signBody(data, key)).toBe(`sha256=${mac}`);
    expect(signBody(Buffer.from(data), key)).toBe(`sha256=${mac}`);
  });

  it('verifies exactly the signed bytes with the right key', () => {
    const body = Buffer.from(data);
    expect(verifySignature(body, `sha256=${mac}`, key)).toBe(true);
    expect(verifySignature(body, `sha256=${mac.toUpperCase()}`, key)).toBe(true);
    expect(verifySignature(Buffer.from(`${data} `), `sha256=${mac}`, key)).toBe(false);
    expect(verifySignature(body, `sha256=${mac}`, 'jefe')).toBe(false);
  });

  it.each([
    undefined,
    '',
    mac,
    `sha1=${mac}`,
    `sha256=${mac.slice(2)}`,
    `sha256=${mac}00`,
    `sha256=${'g'.repeat(64)}`,
  ])('refuses the malformed header %s', (header) => {
    expect(verifySignature(Buffer.from(data), header, key)).toBe(false);
  });
});
