/**
 * Sliding-window limits per client address (sign-in failures, sign-ins). An attempt takes its
 * slot *before* anything is awaited (`take`), so concurrent attempts cannot all pass the check
 * before the first of them is counted; the caller then keeps the slot (a failure) or gives it
 * back (`release`: a success, or an answer that says nothing about the credential). A success
 * only gives back its own slot: it never clears the failures of the same address.
 *
 * `AttemptLimiter` is the seam the sign-in routes use: `MemoryAttemptLimiter` (this process only,
 * the default) or `SqlAttemptLimiter` (sql-limits.ts: every console on one database counts
 * against the same limits, with SESSION_KEY).
 */

/** A slot taken by `take`; it counts until its window passes unless released. */
export interface Slot {
  /** Gives the slot back (idempotent). */
  release(): void | Promise<void>;
}

/** A sliding-window limit per key (a client address), wherever its counts live. */
export interface AttemptLimiter {
  readonly max: number;
  readonly windowMs: number;
  /** Milliseconds until `key` may take a slot again (0: now). */
  blockedForMs(key: string): Promise<number>;
  /**
   * Takes a slot for `key` now, or answers how long to wait (ms) when the window is full. The
   * check and the count are one step: concurrent takes cannot all pass.
   */
  take(key: string): Promise<Slot | number>;
  /** Counts one attempt for `key` that is already known to have failed (when not blocked). */
  fail(key: string): Promise<void>;
}

interface Entry {
  readonly at: number;
}

/** A slot of the in-memory limiter: given back at once. */
export interface MemorySlot extends Slot {
  release(): void;
}

/** Keys tracked at most; beyond it the least recently counted key is forgotten. */
const MAX_KEYS = 10_000;

export class WindowLimiter {
  readonly #entries = new Map<string, Entry[]>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `key` may take a slot again (0: now). */
  blockedForMs(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.max) return 0;
    return Math.max(1, (recent[0]?.at ?? 0) + this.windowMs - this.now());
  }

  /** Takes a slot for `key` now, or answers how long to wait (ms) when the window is full. */
  take(key: string): MemorySlot | number {
    const wait = this.blockedForMs(key);
    if (wait > 0) return wait;
    const entry: Entry = { at: this.now() };
    const recent = this.#recent(key);
    recent.push(entry);
    // Re-inserted: the map's order is "least recently counted first" for the bound below.
    this.#entries.delete(key);
    this.#entries.set(key, recent);
    if (this.#entries.size > MAX_KEYS) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const list = this.#entries.get(key);
        const i = list?.indexOf(entry) ?? -1;
        if (list && i >= 0) list.splice(i, 1);
        if (list?.length === 0) this.#entries.delete(key);
      },
    };
  }

  /** Counts one attempt for `key` that is already known to have failed (when not blocked). */
  fail(key: string): void {
    this.take(key);
  }

  #recent(key: string): Entry[] {
    const t = this.now() - this.windowMs;
    const list = this.#entries.get(key);
    if (!list) return [];
    const recent = list.filter((e) => e.at > t);
    if (recent.length === 0) this.#entries.delete(key);
    else if (recent.length !== list.length) this.#entries.set(key, recent);
    return recent;
  }
}

/** `WindowLimiter` behind the `AttemptLimiter` seam: counts in this process only. */
export class MemoryAttemptLimiter implements AttemptLimiter {
  readonly #limiter: WindowLimiter;

  constructor(
    readonly max: number,
    readonly windowMs: number,
    now: () => number = Date.now,
  ) {
    this.#limiter = new WindowLimiter(max, windowMs, now);
  }

  blockedForMs(key: string): Promise<number> {
    return Promise.resolve(this.#limiter.blockedForMs(key));
  }

  take(key: string): Promise<Slot | number> {
    return Promise.resolve(this.#limiter.take(key));
  }

  fail(key: string): Promise<void> {
    this.#limiter.fail(key);
    return Promise.resolve();
  }
}
