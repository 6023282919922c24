/**
 * Virtual time for pacing tests: timers run in time order when `run` advances the clock, with the
 * promise jobs they start settled between them. No real waiting.
 */
import { setImmediate as tick } from 'node:timers/promises';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  readonly now = (): number => this.t;

  readonly schedule = (ms: number, fn: () => void): (() => void) => {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  };

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.schedule(ms, resolve);
    });

  /** Runs every timer due up to `until` (ms), in order; settles promise jobs after each. */
  async run(until: number): Promise<void> {
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle();
    }
    this.t = Math.max(this.t, until);
  }

  /** Runs the clock a second at a time until `p` settles (at most `maxMs` on). */
  async runUntil<T>(p: Promise<T>, maxMs = 3_600_000): Promise<T> {
    let settled = false;
    const done = p.finally(() => {
      settled = true;
    });
    const end = this.t + maxMs;
    while (!settled && this.t < end) await this.run(this.t + 1_000);
    return done;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await tick();
}
