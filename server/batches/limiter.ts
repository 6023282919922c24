/**
 * Concurrency control shared by every batch of a runner: an AIMD window over the calls in flight
 * to one upstream (halve on throttling, +1 after N straight successes, between 1 and the configured
 * maximum), and a FIFO queue per key so batches on the same subject run one at a time.
 */

export class AimdLimiter {
  private limitNow: number;
  private inFlight = 0;
  private streak = 0;
  private peakInFlight = 0;
  private readonly waiting: (() => void)[] = [];

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

  onThrottle(): void {
    this.limitNow = Math.max(1, Math.floor(this.limitNow / 2));
    this.streak = 0;
  }

  onSuccess(): void {
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
