// Assertions for programmer errors: they crash loudly and are never caught as business outcomes.

export class AssertionFailed extends Error {
  override name = 'AssertionFailed';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

export function unreachable(value: never, what = 'value'): never {
  throw new AssertionFailed(`unreachable ${what}: ${String(value)}`);
}
