/**
 * Concurrency control of a runner: a window over the workers busy with one credential's calls
 * (`LimiterPool`: one window per pacer, so a slow or throttled credential never takes another's
 * slots), between 1 and the configured maximum (BATCH_CONCURRENCY), that follows a target set from
 * that pacer's rate and the calls' latency once SecMaster's rate is known (`follow`), and is AIMD
 * before that (halve on throttling, +1 after N straight successes); and a FIFO queue per key so
 * batches on the same subject run one at a time.
 *
 * A worker takes its pacer's permit (the rate token) before its slot, never holding a slot while it
 * waits for a token (engine/paced-slot.ts): `tryAcquire` and `whenFree` serve that.
 *
 * Consoles sharing one SecMaster account share its concurrency too (issue 14): a worker's slot is
 * then held only once it also holds one of the account's `UpstreamSlots` (PostgreSQL's:
 * shared-upstream.ts), so the calls in flight stay within the window and within the slots free
 * across every console, whichever is lower. Without them (SQLite: one console) the windows alone.
 */

/** One of the account's upstream slots, held: one call in flight. */
export interface UpstreamSlot {
  /** Gives it back (the slot's store is told in the background). Once: a second call does nothing. */
  release(): void;
}

/** The account's upstream slots, shared with other consoles (see the module comment). */
export interface UpstreamSlots {
  /** Takes a free slot without waiting for one (one round trip); null when none is free. */
  tryTake(): Promise<UpstreamSlot | null>;
  /**
   * Resolves once a slot may be free (one was given back here, or a poll saw one free), or once
   * `signal` aborts (the caller checks which); the caller then tries again: nothing is kept for it.
   */
  whenFree(signal: AbortSignal): Promise<void>;
}

export class AimdLimiter {
  private limitNow: number;
  private inFlight = 0;
  private streak = 0;
  private peakInFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Told when a slot frees (or the window grows); they take nothing (see whenFree). */
  private freeWaiters: (() => void)[] = [];
  /** Set while the window follows a target (the pacer's rate × latency) instead of AIMD. */
  private following = false;

  constructor(
    private readonly max: number,
    private readonly successesToGrow: number,
    /** Told of the calls in flight after each acquire (a pool's peak across its windows). */
    private readonly onAcquire: (inFlight: number) => void = () => undefined,
  ) {
    this.limitNow = Math.max(1, Math.floor(max));
  }

  get limit(): number {
    return this.limitNow;
  }
  get active(): number {
    return this.inFlight;
  }
  /** Callers waiting in acquire(). */
  get queued(): number {
    return this.waiting.length;
  }
  /** Highest number of calls in flight seen (tests). */
  get peak(): number {
    return this.peakInFlight;
  }

  /**
   * Takes a slot, waiting for one; false (nothing taken) when `signal` aborts first. An aborted
   * wait leaves nothing behind: a slot it was woken for goes to the next caller waiting.
   */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    while (this.inFlight >= this.limitNow) {
      if (signal?.aborted) return false;
      await new Promise<void>((resolve) => {
        const next = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(next);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(next);
      });
    }
    if (signal?.aborted) {
      this.wake();
      return false;
    }
    this.took();
    return true;
  }

  /** Takes a slot if one is free now, without waiting. */
  tryAcquire(): boolean {
    if (this.inFlight >= this.limitNow) return false;
    this.took();
    return true;
  }

  /**
   * Resolves once a slot frees or the window grows (the caller then tries again: nothing is kept),
   * or once `signal` aborts (the caller checks which): an aborted wait leaves nothing behind.
   */
  whenFree(signal?: AbortSignal): Promise<void> {
    if (this.inFlight < this.limitNow || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const tell = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.freeWaiters = this.freeWaiters.filter((t) => t !== tell);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.freeWaiters.push(tell);
    });
  }

  /** Callers waiting in whenFree() (tests). */
  get watching(): number {
    return this.freeWaiters.length;
  }

  private took(): void {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    this.onAcquire(this.inFlight);
  }

  release(): void {
    this.inFlight--;
    this.wake();
  }

  /**
   * Follow `target` calls in flight (clamped to 1..max) instead of AIMD, or go back to AIMD from
   * the current window with null.
   */
  follow(target: number | null): void {
    if (target === null) {
      this.following = false;
      return;
    }
    this.following = true;
    const next = Math.max(1, Math.min(this.max, Math.floor(target)));
    const grew = next > this.limitNow;
    this.limitNow = next;
    if (grew) this.wake();
  }

  onThrottle(): void {
    if (this.following) return;
    this.limitNow = Math.max(1, Math.floor(this.limitNow / 2));
    this.streak = 0;
  }

  onSuccess(): void {
    if (this.following) return;
    this.streak++;
    if (this.streak >= this.successesToGrow) {
      this.streak = 0;
      if (this.limitNow < this.max) {
        this.limitNow++;
        this.wake();
      }
    }
  }

  private wake(): void {
    if (this.inFlight < this.limitNow && this.freeWaiters.length > 0) {
      for (const tell of this.freeWaiters.splice(0)) tell();
    }
    let room = this.limitNow - this.inFlight;
    while (room-- > 0) {
      const next = this.waiting.shift();
      if (!next) break;
      next();
    }
  }
}

/**
 * One window per pacer (per credential: APIG limits each user on its own), each at most `max`
 * (BATCH_CONCURRENCY), made on first use; calls that are not paced share one window. A pacer's
 * window is forgotten with the pacer (a WeakMap), and made again, full size, if needed.
 */
export class LimiterPool {
  private readonly byPacer = new WeakMap<object, AimdLimiter>();
  private readonly unpaced: AimdLimiter;
  private last: AimdLimiter;
  private peakInFlight = 0;

  constructor(
    private readonly max: number,
    private readonly successesToGrow: number,
  ) {
    this.unpaced = this.make();
    this.last = this.unpaced;
  }

  /** The window of the calls paced by `pacer` (null: not paced). */
  of(pacer: object | null | undefined): AimdLimiter {
    if (!pacer) return (this.last = this.unpaced);
    let l = this.byPacer.get(pacer);
    if (!l) {
      l = this.make();
      this.byPacer.set(pacer, l);
    }
    this.last = l;
    return l;
  }

  /** The size of the window used last (stats). */
  get limit(): number {
    return this.last.limit;
  }
  /** The most calls in flight seen in any one window (stats, tests). */
  get peak(): number {
    return this.peakInFlight;
  }

  private make(): AimdLimiter {
    return new AimdLimiter(this.max, this.successesToGrow, (n) => {
      this.peakInFlight = Math.max(this.peakInFlight, n);
    });
  }
}

/** One holder per key at a time, the others in arrival order. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves with a release function once every earlier holder of `key` has released. */
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
