/**
 * Concurrency control shared by every batch of a runner: a window over the calls in flight to one
 * upstream, between 1 and the configured maximum, that follows a target set from the pacer's rate
 * and the calls' latency once SecMaster's rate is known (`follow`), and is AIMD before that (halve
 * on throttling, +1 after N straight successes); and a FIFO queue per key so batches on the same
 * subject run one at a time.
 */

export class AimdLimiter {
  private limitNow: number;
  private inFlight = 0;
  private streak = 0;
  private peakInFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Set while the window follows a target (the pacer's rate × latency) instead of AIMD. */
  private following = false;

  constructor(
    private readonly max: number,
    private readonly successesToGrow: number,
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

  async acquire(): Promise<void> {
    while (this.inFlight >= this.limitNow) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
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
    let room = this.limitNow - this.inFlight;
    while (room-- > 0) {
      const next = this.waiting.shift();
      if (!next) break;
      next();
    }
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
