import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './http.js';

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '[::1]',
    'localhost',
    'LOCALHOST',
    '::ffff:127.0.0.1',
  ])('treats %s as loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '192.168.1.2',
    'example.com',
    '128.0.0.1',
    'localhost.evil',
  ])('treats %s as reachable from elsewhere', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
