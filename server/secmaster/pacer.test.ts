import { describe, expect, test } from 'vitest';
import { FakeClock } from './fake-clock';
import {
  DEFAULT_MARGIN,
  PACER_IDLE_EVICT_MS,
  Pacer,
  createPacers,
  parseThrottleLimit,
  type PaceScope,
} from './pacer';

/** A gateway that admits at most `limit` calls in any `windowMs` (counted on arrival, like APIG). */
function gateway(o: {
  limit: number;
  windowMs?: number;
  /** Whether reads count toward the same limit as writes (else reads are never throttled). */
  reads?: 'free' | 'shared';
  message?: boolean;
}) {
  const windowMs = o.windowMs ?? 1000;
  const admitted: number[] = [];
  let throttled = 0;
  return {
    admitted,
    get throttled() {
      return throttled;
    },
    /** Whether a call arriving at `at` is let through. */
    admit(scope: PaceScope, at: number): boolean {
      if (scope === 'read' && o.reads !== 'shared') return true;
      while (admitted.length > 0 && (admitted[0] ?? 0) <= at - windowMs) admitted.shift();
      if (admitted.length >= o.limit) {
        throttled++;
        return false;
      }
      admitted.push(at);
      return true;
    },
    message:
      o.message === false
        ? null
        : `The throttling threshold has been reached: policy user over ratelimit,limit:${o.limit},time:1 ${windowMs === 60_000 ? 'minute' : 'second'}`,
  };
}

type Gateway = ReturnType<typeof gateway>;

/**
 * `workers` clients each sending calls of `scope` through the pacer, one after another, until
 * `untilMs`; every answer takes `latencyMs`. Returns the admitted send times and the throttles.
 */
function clients(
  clock: FakeClock,
  pacer: Pacer,
  gw: Gateway,
  o: { scope: PaceScope; workers: number; latencyMs: number; untilMs: number; fromMs?: number },
) {
  const sent: number[] = [];
  let throttles = 0;
  const worker = async () => {
    if (o.fromMs) await clock.sleep(o.fromMs);
    while (clock.now() < o.untilMs) {
      const permit = await pacer.take(o.scope);
      const at = clock.now();
      const ok = gw.admit(o.scope, at);
      await clock.sleep(o.latencyMs);
      if (ok) sent.push(at);
      else throttles++;
      permit.done(ok ? { kind: 'ok' } : { kind: 'throttled', message: gw.message });
    }
  };
  const done = Promise.all(Array.from({ length: o.workers }, worker));
  return {
    sent,
    get throttles() {
      return throttles;
    },
    done,
  };
}

/** The most sends seen in any `windowMs` (a sliding window over `times`). */
function peakInWindow(times: readonly number[], windowMs = 1000): number {
  const s = [...times].sort((a, b) => a - b);
  let peak = 0;
  let lo = 0;
  for (let hi = 0; hi < s.length; hi++) {
    while ((s[lo] ?? 0) <= (s[hi] ?? 0) - windowMs) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

const countBetween = (times: readonly number[], from: number, to: number) =>
  times.filter((t) => t >= from && t < to).length;

describe('parseThrottleLimit: the limit APIG states in APIG.0308', () => {
  test('per second, per minute, and without a number', () => {
    expect(
      parseThrottleLimit(
        'The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 second',
      ),
    ).toBe(20);
    expect(parseThrottleLimit('policy user over ratelimit,limit:600,time:1 minute')).toBe(10);
    expect(parseThrottleLimit('policy ip over ratelimit, limit: 5, time: 1 second')).toBe(5);
    expect(parseThrottleLimit('throttled')).toBeNull();
    expect(parseThrottleLimit(null)).toBeNull();
  });
});

describe('Pacer', () => {
  test('learns a stated limit from the first throttle and then keeps under it', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    const gw = gateway({ limit: 20 });
    const c = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 8,
      latencyMs: 50,
      untilMs: 30_000,
    });
    await clock.runUntil(c.done);
    expect(pacer.snapshot('write').limit).toBe(20);
    // After the first second no call is throttled, and the limit is used to ≥ 90 %.
    const late = c.sent.filter((t) => t >= 2_000);
    expect(peakInWindow(late)).toBeLessThanOrEqual(20);
    expect(countBetween(c.sent, 2_000, 30_000) / 28 / 20).toBeGreaterThanOrEqual(0.9);
    expect(c.throttles).toBeLessThanOrEqual(10);
    const snap = pacer.snapshot('write');
    expect(snap.rate).toBeCloseTo(19, 0);
    // Little's law: 19 calls/s × 50 ms ≈ 1 in flight; a window of 8 would be too many.
    expect(snap.window).toBeLessThanOrEqual(3);
  });

  test('a per-minute limit paces at limit / 60', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    const gw = gateway({ limit: 120, windowMs: 60_000 });
    const c = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 4,
      latencyMs: 20,
      untilMs: 180_000,
    });
    await clock.runUntil(c.done);
    expect(pacer.snapshot('write').limit).toBe(2);
    expect(
      peakInWindow(
        c.sent.filter((t) => t >= 60_000),
        60_000,
      ),
    ).toBeLessThanOrEqual(120);
  });

  test('without a stated limit it steps back on a throttle and probes upward again', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    const gw = gateway({ limit: 10, message: false });
    const c = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 6,
      latencyMs: 40,
      untilMs: 60_000,
    });
    const rates: (number | null)[] = [];
    for (let t = 1_000; t <= 60_000; t += 250) {
      await clock.run(t);
      rates.push(pacer.rateOf('write'));
    }
    await clock.runUntil(c.done);
    expect(pacer.snapshot('write').limit).toBeNull();
    const paced = rates.filter((r): r is number => r !== null);
    // Stepped back below the limit, probed above it, and throttled far less than unpaced.
    expect(Math.min(...paced.slice(4))).toBeLessThan(10);
    expect(Math.max(...paced.slice(4))).toBeGreaterThan(9);
    expect(countBetween(c.sent, 5_000, 60_000) / 55 / 10).toBeGreaterThanOrEqual(0.7);
    expect(c.throttles).toBeLessThan(c.sent.length / 10);
  });

  test('timers that fire late do not slow the pace: a late token is made up by the next (within the margin)', async () => {
    const clock = new FakeClock();
    // A busy event loop: every timer fires 6 ms late.
    const pacer = new Pacer({
      now: clock.now,
      schedule: (ms, fn) => clock.schedule(ms + 6, fn),
    });
    const gw = gateway({ limit: 20 });
    const c = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 4,
      latencyMs: 50,
      untilMs: 30_000,
    });
    await clock.runUntil(c.done);
    expect(pacer.snapshot('write').rate).toBeCloseTo(20 * DEFAULT_MARGIN, 5);
    const late = c.sent.filter((t) => t >= 2_000);
    // The rate it paces at is what goes out (each late token shortened the next wait); losing the
    // 6 ms each time would give 1 / (52 ms + 6 ms) ≈ 17.2 calls/s.
    expect(countBetween(c.sent, 2_000, 30_000) / 28).toBeGreaterThanOrEqual(
      20 * DEFAULT_MARGIN - 0.1,
    );
    // Still never above the limit in any second.
    expect(peakInWindow(late)).toBeLessThanOrEqual(20);
    expect(gw.admitted.length).toBeGreaterThan(0);
  });

  test('a token made up for lateness is never more than the margin allows, even after an idle while', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    const gw = gateway({ limit: 20 });
    // Learn the limit, then go idle for 5 s, then a burst of 40 takes at once.
    const first = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 8,
      latencyMs: 50,
      untilMs: 3_000,
    });
    await clock.runUntil(first.done);
    await clock.run(8_000);
    const grants: number[] = [];
    const burst = Array.from({ length: 40 }, async () => {
      const p = await pacer.take('write');
      grants.push(clock.now());
      p.done({ kind: 'ok' });
    });
    await clock.runUntil(Promise.all(burst));
    expect(peakInWindow(grants)).toBeLessThanOrEqual(20);
    // The first two: one token, then the next one no sooner than the margin's headroom allows.
    const [a = 0, b = 0] = grants;
    expect(b - a).toBeGreaterThanOrEqual(1000 / (20 * DEFAULT_MARGIN) - 31);
  });

  test('SECMASTER_RATE_LIMIT caps the rate before any throttle and after learning', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule, cap: 4 });
    const gw = gateway({ limit: 20 });
    const c = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 4,
      latencyMs: 10,
      untilMs: 10_000,
    });
    await clock.runUntil(c.done);
    expect(c.throttles).toBe(0);
    expect(peakInWindow(c.sent)).toBeLessThanOrEqual(4);
    expect(pacer.snapshot('write')).toMatchObject({ limit: 4, rate: 4 });
  });

  test('one pacer shared by two batches keeps their sum under the limit', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    const gw = gateway({ limit: 10 });
    const a = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 3,
      latencyMs: 30,
      untilMs: 20_000,
    });
    const b = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 3,
      latencyMs: 80,
      untilMs: 20_000,
      fromMs: 5_000,
    });
    await clock.runUntil(Promise.all([a.done, b.done]));
    const all = [...a.sent, ...b.sent].filter((t) => t >= 2_000);
    expect(peakInWindow(all)).toBeLessThanOrEqual(10);
    expect(b.throttles).toBe(0);
    // Both get a fair part of it.
    expect(countBetween(b.sent, 6_000, 20_000)).toBeGreaterThan(30);
    expect(countBetween(all, 6_000, 20_000) / 14 / 10).toBeGreaterThanOrEqual(0.9);
  });

  test('reads stay unpaced when only writes are limited', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    const gw = gateway({ limit: 5, reads: 'free' });
    const w = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 4,
      latencyMs: 20,
      untilMs: 10_000,
    });
    const r = clients(clock, pacer, gw, {
      scope: 'read',
      workers: 4,
      latencyMs: 20,
      untilMs: 10_000,
    });
    await clock.runUntil(Promise.all([w.done, r.done]));
    expect(pacer.snapshot('write').limit).toBe(5);
    expect(pacer.snapshot('read')).toMatchObject({ limit: null, rate: null, shared: false });
    expect(r.sent.length).toBeGreaterThan(1_500);
  });

  test('reads and writes counted together by the gateway share one bucket once that shows', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    const gw = gateway({ limit: 10, reads: 'shared' });
    const w = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 2,
      latencyMs: 20,
      untilMs: 20_000,
    });
    // A link check: many reads at once, starting later.
    const r = clients(clock, pacer, gw, {
      scope: 'read',
      workers: 4,
      latencyMs: 20,
      untilMs: 20_000,
      fromMs: 5_000,
    });
    await clock.runUntil(Promise.all([w.done, r.done]));
    expect(pacer.snapshot('read').shared).toBe(true);
    const all = [...w.sent, ...r.sent];
    expect(peakInWindow(all.filter((t) => t >= 8_000))).toBeLessThanOrEqual(10);
    expect(countBetween(all, 8_000, 20_000) / 12 / 10).toBeGreaterThanOrEqual(0.9);
    expect(countBetween(w.sent, 8_000, 20_000)).toBeGreaterThan(20);
  });

  test('a burst call that hangs does not hide another client on the quota: the pacer still steps back', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    const gw = gateway({ limit: 20 });
    // Five calls of the first burst (sent before the limit is known) hang until 20 s.
    const hung = (async () => {
      const permits = await Promise.all(Array.from({ length: 5 }, () => pacer.take('write')));
      for (const _ of permits) gw.admit('write', clock.now());
      await clock.sleep(20_000);
      for (const p of permits) p.done({ kind: 'ok' });
    })();
    const c = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 12,
      latencyMs: 400,
      untilMs: 12_000,
    });
    // From 2 s on, another client of the same account sends 8 calls/s past the pacer.
    const other = (async () => {
      await clock.sleep(2_000);
      while (clock.now() < 12_000) {
        gw.admit('write', clock.now());
        await clock.sleep(125);
      }
    })();
    await clock.run(6_000);
    // The quota's other user shows in the throttles well before the hung calls are answered: the
    // pacer has stepped back from its 19.4 calls/s (a hung call counts at most one window).
    expect(pacer.rateOf('write')).toBeLessThan(20 * DEFAULT_MARGIN * 0.9);
    await clock.runUntil(Promise.all([hung, c.done, other]));
  });

  test('the rate shown counts the calls let through, not those throttled', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    // A burst before the limit is known: 10 calls, 4 of them refused.
    const permits = await Promise.all(Array.from({ length: 10 }, () => pacer.take('write')));
    permits.forEach((p, i) =>
      p.done(
        i < 6
          ? { kind: 'ok' }
          : {
              kind: 'throttled',
              message: 'policy user over ratelimit,limit:6,time:1 second',
            },
      ),
    );
    // 6 let through in the 5 s the rate is measured over.
    expect(pacer.snapshot('write').callsPerS).toBeCloseTo(6 / 5, 5);
  });

  test('a cancelled permit gives its token back; an aborted take rejects', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule, cap: 1 });
    const first = await pacer.take('write');
    first.cancel();
    const again = await pacer.take('write');
    expect(again.waitedMs).toBe(0);
    again.done({ kind: 'ok' });
    const ac = new AbortController();
    const waiting = pacer.take('write', ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    const next = pacer.take('write');
    await clock.run(1_000);
    expect((await next).waitedMs).toBe(1_000);
  });
});

describe('Pacer bookkeeping', () => {
  const limitMessage = (n: number) => `policy user over ratelimit,limit:${n},time:1 second`;

  test('permits sent at the same instant are told apart: the admitted one still fills the window', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    // Unpaced before the first throttle: three calls leave at t = 0; the gateway (limit 2) lets
    // two through and throttles the third.
    const [a, b, c] = await Promise.all([
      pacer.take('write'),
      pacer.take('write'),
      pacer.take('write'),
    ]);
    await clock.run(10);
    a?.done({ kind: 'ok' });
    b?.done({ kind: 'ok' });
    c?.done({ kind: 'throttled', message: limitMessage(2) });
    // The two admitted at t = 0 fill the gateway's window until t = 1000: nothing leaves before.
    const next = pacer.take('write');
    await clock.run(5_000);
    expect((await next).waitedMs).toBeGreaterThanOrEqual(990);
  });

  test('throttles answered out of order are counted right: the pacer stays at the stated limit', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    // At t = 0: a slow call (throttled, answered at 500) and four quick ones (let through).
    const slow = await pacer.take('write');
    const quick = await Promise.all([1, 2, 3, 4].map(() => pacer.take('write')));
    await clock.run(10);
    for (const p of quick) p.done({ kind: 'ok' });
    // Sent at t = 100, throttled, answered first (at 110).
    await clock.run(100);
    const late = await pacer.take('write');
    await clock.run(110);
    late.done({ kind: 'throttled', message: limitMessage(5) });
    expect(pacer.rateOf('write')).toBeCloseTo(5 * 0.97, 5);
    await clock.run(500);
    slow.done({ kind: 'throttled', message: limitMessage(5) });
    // Four let through in the window of the slow call: at the limit, not a storm to step back from.
    expect(pacer.rateOf('write')).toBeCloseTo(5 * 0.97, 5);
  });

  test('a burst sent before the limit was known counts until it is answered: a throttle at the edge of its window is no step back', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
    // Unpaced before the first throttle: five calls leave at t = 0, but queue in the client (new
    // connections) and reach the gateway (limit 5) at t = 150; answered at 200.
    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => pacer.take('write')));
    await clock.run(200);
    for (const p of burst) p.done({ kind: 'ok' });
    // The sixth (t = 200) is throttled: the limit is learned, and the next call waits for the
    // burst to leave the gateway's window, as far as their send times tell (t = 1000).
    const sixth = await pacer.take('write');
    await clock.run(210);
    sixth.done({ kind: 'throttled', message: limitMessage(5) });
    expect(pacer.rateOf('write')).toBeCloseTo(5 * DEFAULT_MARGIN, 5);
    const next = pacer.take('write');
    await clock.run(1_000);
    const seventh = await next;
    expect(seventh.waitedMs).toBe(790);
    // The gateway still counts the burst (it arrived at 150): throttled. Those were our own calls,
    // not someone else's on the quota: the pace stays at the stated limit (a step back would
    // have gone down to 0.2 calls/s, no call of ours being sent after t = 0 by send time).
    await clock.run(1_010);
    seventh.done({ kind: 'throttled', message: limitMessage(5) });
    expect(pacer.rateOf('write')).toBeCloseTo(5 * DEFAULT_MARGIN, 5);
    expect(pacer.snapshot('write').limit).toBe(5);
  });

  /** A pacer that has learned a stated limit of 5 calls/s from 5 s of calls. */
  async function learnedFive(cap?: number) {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule, cap: cap ?? null });
    const gw = gateway({ limit: 5 });
    const c = clients(clock, pacer, gw, {
      scope: 'write',
      workers: 4,
      latencyMs: 10,
      untilMs: 5_000,
    });
    await clock.runUntil(c.done);
    expect(pacer.snapshot('write').limit).toBe(5);
    return { clock, pacer };
  }

  test('the margin applies to a stated limit, not to SECMASTER_RATE_LIMIT', async () => {
    const { pacer } = await learnedFive(8);
    expect(pacer.rateOf('write')).toBeCloseTo(5 * DEFAULT_MARGIN, 5);
    expect(new Pacer({ cap: 8 }).rateOf('write')).toBe(8);
  });

  test('a throttle stating a higher limit raises the pace at once', async () => {
    const { clock, pacer } = await learnedFive();
    // Few calls of ours in its window (someone else filled the rest), but the gateway says 10 now.
    const next = pacer.take('write');
    await clock.run(clock.now() + 1_000);
    (await next).done({ kind: 'throttled', message: limitMessage(10) });
    expect(pacer.snapshot('write').limit).toBe(10);
    expect(pacer.rateOf('write')).toBeCloseTo(10 * DEFAULT_MARGIN, 5);
  });

  /**
   * After an idle while (the bucket as full as it may get): the time between the first two of a
   * burst of takes. The first leaves on the bucket's token and its credit; the second waits for
   * what the credit left short of a token, at the pace's rate.
   */
  async function firstGapAfterIdle(clock: FakeClock, pacer: Pacer): Promise<number> {
    await clock.run(clock.now() + 10_000);
    const grants: number[] = [];
    const burst = [1, 2].map(async () => {
      const p = await pacer.take('write');
      grants.push(clock.now());
      p.done({ kind: 'ok' });
    });
    await clock.runUntil(Promise.all(burst));
    const [a = 0, b = 0] = grants;
    return b - a;
  }

  test.each([20, 10])(
    'the credit for a late token is at most a third of the margin’s headroom (stated %i calls/s)',
    async (limit) => {
      const clock = new FakeClock();
      const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
      const c = clients(clock, pacer, gateway({ limit }), {
        scope: 'write',
        workers: 8,
        latencyMs: 50,
        untilMs: 3_000,
      });
      await clock.runUntil(c.done);
      const rate = limit * DEFAULT_MARGIN;
      expect(pacer.rateOf('write')).toBeCloseTo(rate, 5);
      // The margin leaves `limit - rate` calls per window; a third of it (0.2 of a token at 20/s,
      // 0.1 at 10/s) may be credited, so the second call waits at least the rest of a token (the
      // pacer's timers round up to the next ms, never down).
      const credit = (limit - rate) / 3;
      expect(await firstGapAfterIdle(clock, pacer)).toBeGreaterThanOrEqual(
        ((1 - credit) / rate) * 1000 - 1e-6,
      );
    },
  );

  test('no credit for a late token after a step back (the quota is shared with someone)', async () => {
    const { clock, pacer } = await learnedFive();
    // Throttled with no number while its own calls were few in the window (someone else on the
    // quota): it steps back under the stated limit.
    await clock.run(5_600);
    const next = pacer.take('write');
    await clock.run(5_610);
    (await next).done({ kind: 'throttled', message: null });
    await clock.run(clock.now() + 10_000);
    const rate = pacer.rateOf('write') ?? 0;
    // Still stepped back (probing needs calls): below the stated limit's pace, so the margin's
    // headroom alone would allow a credit (half a token).
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(5 * DEFAULT_MARGIN - 0.5);
    expect(await firstGapAfterIdle(clock, pacer)).toBeGreaterThanOrEqual(1000 / rate - 1e-6);
  });

  test('no credit for a late token at SECMASTER_RATE_LIMIT (a configured limit is taken as meant)', async () => {
    // Learned 5 calls/s, then told 20: paced at the cap of 10, far under the stated limit (the
    // margin's headroom alone would allow half a token).
    const { clock, pacer } = await learnedFive(10);
    const next = pacer.take('write');
    await clock.run(clock.now() + 1_000);
    (await next).done({ kind: 'throttled', message: limitMessage(20) });
    expect(pacer.snapshot('write').limit).toBe(10);
    expect(pacer.rateOf('write')).toBe(10);
    expect(await firstGapAfterIdle(clock, pacer)).toBeGreaterThanOrEqual(100 - 1e-6);
  });

  /**
   * 8 workers for 120 s against a gateway allowing 10 calls/s (stated when it throttles), raised to
   * 20 from t = 30 s; everything is throttled during `storm` ([from, to) ms), if given. Answers
   * take `latencyMs`; `workers` (8) is the number of workers.
   */
  async function raisedQuota(storm?: readonly [number, number], latencyMs = 20, workers = 8) {
    const clock = new FakeClock();
    const pacer = new Pacer({ now: clock.now, schedule: clock.schedule, probeAfterMs: 20_000 });
    let limit = 10;
    const admitted: number[] = [];
    const sent: number[] = [];
    const rateAt22s: (number | null)[] = [];
    const inStorm = (at: number) => storm !== undefined && at >= storm[0] && at < storm[1];
    const worker = async () => {
      while (clock.now() < 120_000) {
        const permit = await pacer.take('write');
        const at = clock.now();
        while (admitted.length > 0 && (admitted[0] ?? 0) <= at - 1000) admitted.shift();
        const ok = admitted.length < limit && !inStorm(at);
        if (ok) admitted.push(at);
        await clock.sleep(latencyMs);
        if (ok) sent.push(at);
        permit.done(ok ? { kind: 'ok' } : { kind: 'throttled', message: limitMessage(limit) });
      }
    };
    const done = Promise.all(Array.from({ length: workers }, worker));
    await clock.run(22_000);
    rateAt22s.push(pacer.rateOf('write'));
    await clock.run(30_000);
    expect(pacer.snapshot('write').limit).toBe(10);
    limit = 20;
    await clock.runUntil(done);
    return { pacer, sent, rateAt22s: rateAt22s[0] ?? null };
  }

  test('a quota raised while paced is found by probing above the stated limit', async () => {
    const { pacer, sent } = await raisedQuota();
    expect(pacer.snapshot('write').limit).toBe(20);
    expect(countBetween(sent, 100_000, 120_000) / 20 / 20).toBeGreaterThanOrEqual(0.9);
  });

  test('a quota raised is found with slow answers too (most calls of a window still in flight)', async () => {
    const { pacer, sent } = await raisedQuota(undefined, 600, 16);
    expect(pacer.snapshot('write').limit).toBe(20);
    // Found within half a minute of the raise (t = 30 s): the calls let through are counted in the
    // window their sends fell in, not in the last second (whose calls are mostly still in flight).
    expect(countBetween(sent, 60_000, 120_000) / 60 / 20).toBeGreaterThanOrEqual(0.9);
  });

  test('a quota raised after a throttle storm is still found: back at the stated limit, the pacer probes again', async () => {
    const { pacer, sent, rateAt22s } = await raisedQuota([20_000, 25_000]);
    // The storm made it step back; it came back to the stated limit, then probed above it.
    expect(rateAt22s).toBeLessThan(9);
    expect(pacer.snapshot('write').limit).toBe(20);
    expect(countBetween(sent, 110_000, 120_000) / 10 / 20).toBeGreaterThanOrEqual(0.9);
  });

  test.each([300, 1_500])(
    'probing above an unchanged stated limit never forgets it: calls still in flight are not counted as let through (latency %i ms)',
    async (latencyMs) => {
      const clock = new FakeClock();
      const logged: string[] = [];
      const pacer = new Pacer({
        now: clock.now,
        schedule: clock.schedule,
        probeAfterMs: 5_000,
        log: (m) => logged.push(m),
      });
      // The quota stays at 10 calls/s; slow answers keep many calls in flight while the pacer
      // probes above the limit, and the gateway's throttles come back only after them.
      const gw = gateway({ limit: 10 });
      const c = clients(clock, pacer, gw, {
        scope: 'write',
        workers: 16,
        latencyMs,
        untilMs: 90_000,
      });
      const limits: (number | null)[] = [];
      for (let t = 5_000; t <= 90_000; t += 100) {
        await clock.run(t);
        limits.push(pacer.snapshot('write').limit);
      }
      await clock.runUntil(c.done);
      expect(logged.filter((m) => m.includes('limit was raised'))).toEqual([]);
      expect(limits.every((l) => l === 10)).toBe(true);
      // It did probe (some calls above the limit were throttled), and still used the limit.
      expect(c.throttles).toBeGreaterThan(1);
      expect(countBetween(c.sent, 10_000, 90_000) / 80 / 10).toBeGreaterThanOrEqual(0.9);
    },
  );

  test('idle pacers are evicted after 10 minutes; busy ones are kept', async () => {
    const clock = new FakeClock();
    const pacers = createPacers({ now: clock.now, schedule: clock.schedule });
    const alice = pacers.pacerFor('alice');
    const bob = pacers.pacerFor('bob');
    const held = await bob.take('write');
    await clock.run(PACER_IDLE_EVICT_MS + 60_000);
    // Asking for anyone's pacer sweeps: alice's was idle 11 minutes; bob's has a call in flight.
    pacers.pacerFor('carol');
    expect(pacers.size).toBe(2);
    expect(pacers.pacerFor('bob')).toBe(bob);
    expect(pacers.pacerFor('alice')).not.toBe(alice);
    held.done({ kind: 'ok' });
    await clock.run(clock.now() + PACER_IDLE_EVICT_MS - 1_000);
    pacers.pacerFor('carol');
    // Bob's answer came 9 minutes ago: kept.
    expect(pacers.pacerFor('bob')).toBe(bob);
  });
});
