// Secret bytes that refuse to show themselves: toString, toJSON and util.inspect print
// '[redacted]', so a private key that reaches a log, an event or an error stays hidden.
import { inspect } from 'node:util';

const redacted = '[redacted]';

/** A private key (or other secret) as bytes; usable wherever a Uint8Array is expected. */
export class Secret extends Uint8Array<ArrayBuffer> {
  /** Copies `bytes` into a new Secret. */
  static copyOf(bytes: Uint8Array): Secret {
    const secret = new Secret(new ArrayBuffer(bytes.length));
    secret.set(bytes);
    return secret;
  }

  override toString(): string {
    return redacted;
  }

  override toLocaleString(): string {
    return redacted;
  }

  override join(): string {
    return redacted;
  }

  toJSON(): string {
    return redacted;
  }

  [inspect.custom](): string {
    return redacted;
  }
}
