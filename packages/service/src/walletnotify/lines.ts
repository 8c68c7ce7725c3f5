// Splits a byte stream into newline-terminated lines, never holding more than one bounded line.

export type LineSplitter = {
  push(chunk: Uint8Array): void;
  /** Bytes held for an unfinished line. */
  readonly heldBytes: number;
};

export type LineSplitterOptions = {
  /** Bytes of a line without its newline; a longer line is reported once and skipped. */
  readonly lineBytesMax: number;
  readonly onLine: (line: Buffer) => void;
  /** Called once per overlong line with its first `lineBytesMax` bytes. */
  readonly onOverlong: (head: Buffer) => void;
};

const newline = 0x0a;

export function createLineSplitter(options: LineSplitterOptions): LineSplitter {
  const { lineBytesMax, onLine, onOverlong } = options;
  let parts: Buffer[] = [];
  let heldBytes = 0;
  let skipping = false;

  const takeHeld = (tail: Buffer): Buffer => {
    const line = Buffer.concat([...parts, tail]);
    parts = [];
    heldBytes = 0;
    return line;
  };

  const overlong = (tail: Buffer): void => {
    skipping = true;
    onOverlong(takeHeld(tail).subarray(0, lineBytesMax));
  };

  return {
    push(chunk) {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      // Each pass consumes up to and including one newline, so passes <= bytes.length + 1.
      let start = 0;
      while (start <= bytes.length) {
        const end = bytes.indexOf(newline, start);
        const piece = bytes.subarray(start, end === -1 ? bytes.length : end);
        if (end === -1) {
          if (skipping || piece.length === 0) return;
          if (heldBytes + piece.length > lineBytesMax) return overlong(piece);
          parts.push(Buffer.from(piece));
          heldBytes += piece.length;
          return;
        }
        if (skipping) skipping = false;
        else if (heldBytes + piece.length > lineBytesMax) {
          overlong(piece);
          skipping = false;
        } else onLine(takeHeld(piece));
        start = end + 1;
      }
    },
    get heldBytes() {
      return heldBytes;
    },
  };
}
