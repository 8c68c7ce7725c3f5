import { describe, expect, it } from 'vitest';
import { createLineSplitter } from './lines.js';

function collect(lineBytesMax: number) {
  const lines: string[] = [];
  const overlong: string[] = [];
  const splitter = createLineSplitter({
    lineBytesMax,
    onLine: (line) => lines.push(line.toString()),
    onOverlong: (head) => overlong.push(head.toString()),
  });
  return { splitter, lines, overlong };
}

describe('createLineSplitter', () => {
  it('splits lines across chunk boundaries', () => {
    const { splitter, lines } = collect(16);
    splitter.push(Buffer.from('ab'));
    splitter.push(Buffer.from('c\nde\n\nf'));
    splitter.push(Buffer.from('g\n'));
    expect(lines).toEqual(['abc', 'de', '', 'fg']);
    expect(splitter.heldBytes).toBe(0);
  });

  it('drops an overlong line once, without holding it, and resumes after its newline', () => {
    const { splitter, lines, overlong } = collect(4);
    splitter.push(Buffer.from('ok\n123'));
    splitter.push(Buffer.from('456789'));
    expect(splitter.heldBytes).toBe(0);
    splitter.push(Buffer.from('more bytes still the same line'));
    expect(splitter.heldBytes).toBe(0);
    splitter.push(Buffer.from('\nnext\n'));
    expect(lines).toEqual(['ok', 'next']);
    expect(overlong).toEqual(['1234']);
  });

  it('drops an overlong line that arrives whole', () => {
    const { splitter, lines, overlong } = collect(4);
    splitter.push(Buffer.from('12345\nabcd\n'));
    expect(lines).toEqual(['abcd']);
    expect(overlong).toEqual(['1234']);
  });

  it('never holds more than the limit', () => {
    const { splitter } = collect(8);
    for (let index = 0; index < 100; index++) {
      splitter.push(Buffer.from('xyz'));
      expect(splitter.heldBytes).toBeLessThanOrEqual(8);
    }
  });
});
