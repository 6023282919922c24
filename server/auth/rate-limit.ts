/** Failed sign-ins per client address: at most `max` in a sliding window, then 429 until it slides. */
export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the next attempt from `key` is allowed (0: now). */
  blockedForMs(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.max) return 0;
    return Math.max(1, (recent[0] ?? 0) + this.windowMs - this.now());
  }

  fail(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.now());
    this.#failures.set(key, recent);
    if (this.#failures.size > 10_000) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const t = this.now() - this.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((at) => at > t);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }
}
