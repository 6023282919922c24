/**
 * A secret the console holds (CONSOLE_ACCESS_TOKEN, an IAM token): `JSON.stringify`,
 * `console.log`/`util.inspect`, template strings and spreads all show `[redacted]`. Only
 * `reveal()` hands the value out; `matches()` compares in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value, for the one place that sends it. Never log the result. */
  reveal(): string {
    return this.#value;
  }

  /** Constant-time comparison (SHA-256 both sides: no early exit, no length leak). */
  matches(given: string): boolean {
    const a = createHash('sha256').update(given, 'utf8').digest();
    const b = createHash('sha256').update(this.#value, 'utf8').digest();
    return timingSafeEqual(a, b);
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret ${REDACTED}`;
  }
}
