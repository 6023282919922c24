/**
 * The pacer: how fast the console may call SecMaster, shared by everything it sends upstream with
 * one credential (every batch, the pre-reads and re-reads, the link check, moves and pairs, /v1).
 *
 * - A token bucket (one token of capacity, so calls are evenly spaced and a gateway counting in
 *   a sliding window never sees a burst; see `creditOf` for the fraction of one kept for a token
 *   granted late) at the rate the console has learned:
 *   - the gateway says its limit when it throttles ("policy user over ratelimit,limit:20,time:1
 *     second"): the pacer then runs at that limit (a hair under it, `margin`);
 *   - without a number (or when throttled below the number: someone else is using the quota, or a
 *     storm) it steps back (×0.7) from the rate it was sending at and probes upward again slowly
 *     along a cubic curve (CUBIC, as TCP and AWS's adaptive retry mode do);
 *   - before the first throttle calls are not paced, unless `cap` (SECMASTER_RATE_LIMIT) is set,
 *     which also caps every learned rate.
 * - Reads and writes are two scopes with a bucket each (the gateway may count them apart, and by
 *   default only writes are throttled). When a scope is throttled with a stated limit that its own
 *   calls alone could not have reached, but the two together did, the gateway counts them together:
 *   both scopes share one bucket from then on.
 * - Calls in flight per bucket follow the rate and the latency (Little's law: rate × latency, plus
 *   headroom), never more than `maxInFlight`.
 *
 * Pure timing: the clock and the timer are arguments (tests drive a fake clock, no sleeps).
 */

export type PaceScope = 'read' | 'write';

/** How a paced call ended, as far as pacing cares. */
export type PaceOutcome =
  | { kind: 'ok' }
  /** Throttled (429 / APIG.0308); `message` is the gateway's text, if any. */
  | { kind: 'throttled'; message: string | null }
  /** Anything else (an error, a timeout): counts for latency only. */
  | { kind: 'other' };

/** The right to send one call now. Exactly one of `done` or `cancel` must follow. */
export interface Permit {
  readonly scope: PaceScope;
  /** How long `take` waited for it (ms). */
  readonly waitedMs: number;
  /** The call was answered (or failed): latency and throttling are learned from it. */
  done(outcome: PaceOutcome): void;
  /** Not sent after all: the token is given back. */
  cancel(): void;
}

/** What the pacer knows of one scope (progress: "18.9 of 20 calls/s"). */
export interface PaceSnapshot {
  /** Calls sent per second over the last few seconds (answered or not). */
  callsPerS: number;
  /** The limit learned from the gateway (calls/s), else the configured cap, else null. */
  limit: number | null;
  /** The rate calls are paced at now (null: not paced). */
  rate: number | null;
  /** Calls in flight allowed now (concurrency following rate and latency). */
  window: number;
  inFlight: number;
  /** Whether reads and writes share one bucket (the gateway counts them together). */
  shared: boolean;
}

/** Schedules `fn` after `ms`; returns a cancel function. */
export type Schedule = (ms: number, fn: () => void) => () => void;

export interface PacerOptions {
  /** Milliseconds (any origin). */
  now?: () => number;
  schedule?: Schedule;
  /** SECMASTER_RATE_LIMIT: calls/s never exceeded in one bucket (null: none). */
  cap?: number | null;
  /** Most calls in flight per bucket. */
  maxInFlight?: number;
  /**
   * The share of a stated limit paced at (headroom for jitter in the gateway's window): applied to
   * a limit the gateway states, never to `cap` (a configured limit is taken as meant).
   */
  margin?: number;
  /**
   * Paced at a stated limit with calls waiting and no throttle for this long (ms), the pacer probes
   * above it, in case the account's quota was raised (default 5 minutes).
   */
  probeAfterMs?: number;
  /** Lowest rate a step back goes to (calls/s). */
  minRate?: number;
  /** Step back: the new rate is this share of the rate that was throttled. */
  beta?: number;
  /** CUBIC scale: how fast probing grows (calls/s per s³). */
  cubicC?: number;
  log?: (message: string) => void;
}

/** "…limit:20,time:1 second" → 20 calls/s; "limit:600,time:1 minute" → 10; null when absent. */
export function parseThrottleLimit(message: string | null | undefined): number | null {
  if (!message) return null;
  const m =
    /limit\s*[:=]\s*(\d+(?:\.\d+)?)\s*,\s*time\s*[:=]\s*(\d+)?\s*(second|minute|hour|day|s|m|h|d)\b/i.exec(
      message,
    );
  if (!m) return null;
  const calls = Number(m[1]);
  const count = m[2] === undefined ? 1 : Number(m[2]);
  const unit = (m[3] ?? 's').toLowerCase();
  const seconds = unit.startsWith('s')
    ? 1
    : unit.startsWith('m')
      ? 60
      : unit.startsWith('h')
        ? 3600
        : 86400;
  if (!(calls > 0) || !(count > 0)) return null;
  return calls / (count * seconds);
}

/** The window a stated limit is counted over (ms): a per-minute limit counts over a minute. */
function windowMsOf(message: string | null): number {
  if (message && /time\s*[:=]\s*\d*\s*(minute|m)\b/i.test(message)) return 60_000;
  if (message && /time\s*[:=]\s*\d*\s*(hour|h)\b/i.test(message)) return 3_600_000;
  return 1_000;
}

/** How many seconds of sends the measured rate looks back over. */
const RATE_LOOKBACK_MS = 5_000;
/** Throttles hinting that reads and writes share one limit before the pacer merges them. */
const SHARED_HINTS = 3;
/** Send times kept (for the measured rate and the shared-limit check). */
const MAX_SENDS_KEPT = 4_096;
/** The share of a stated limit paced at, by default. */
export const DEFAULT_MARGIN = 0.97;
/** Probing above a stated limit grows the rate by this share of it per second. */
const PROBE_STEP_PER_S = 0.02;

/**
 * One call let out: when, and what the gateway answered (matched by identity, not time). A call in
 * flight is neither throttled nor ok: it may still be throttled.
 */
interface Send {
  readonly at: number;
  /**
   * Let out while its bucket was not paced (before the first throttle): one of a burst, which may
   * queue in the client (connections being opened) and reach the gateway well after `at`.
   */
  readonly unpaced: boolean;
  throttled: boolean;
  /** Answered and let through (a throttle, an error or no answer yet leave it false). */
  ok: boolean;
  /** When it was answered (ms; null while in flight): it reached the gateway before that. */
  answeredAt: number | null;
}

interface Waiter {
  resolve: (p: Permit) => void;
  reject: (err: unknown) => void;
  since: number;
  scope: PaceScope;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

class Bucket {
  /** Learned from the gateway (calls/s), or null. */
  stated: number | null = null;
  /** The window the stated limit is counted over (ms). */
  statedWindowMs = 1_000;
  /** Since when the bucket has been paced at the stated limit without a throttle (ms). */
  quietSince = 0;
  /** The pacing rate before the cap (calls/s); null: not paced. */
  rate: number | null = null;
  tokens = 1;
  refilledAt: number;
  inFlight = 0;
  latencyMs: number | null = null;
  /** Probing (CUBIC) after a step back: when, and the rate that was throttled. */
  stepBackAt: number | null = null;
  wMax = 0;
  /** No call before this time (ms): the gateway's window is full. */
  blockedUntil = 0;
  readonly waiters: Waiter[] = [];
  cancelTimer: (() => void) | null = null;
  constructor(
    readonly name: string,
    now: number,
  ) {
    this.refilledAt = now;
  }
}

export class Pacer {
  private readonly now: () => number;
  private readonly schedule: Schedule;
  private readonly cap: number | null;
  private readonly maxInFlight: number;
  private readonly margin: number;
  private readonly minRate: number;
  private readonly beta: number;
  private readonly cubicC: number;
  private readonly log: (message: string) => void;
  private readonly buckets = new Map<string, Bucket>();
  private readonly scopeBucket: Record<PaceScope, string> = { read: 'read', write: 'write' };
  /** Calls let out per scope, oldest first (granted in time order, so `at` ascends). */
  private readonly sends: Record<PaceScope, Send[]> = { read: [], write: [] };
  /** Throttles that suggested reads and writes share one limit (see onThrottle). */
  private sharedHints = 0;
  private readonly probeAfterMs: number;
  /** When a call was last asked for or answered (ms): see `idleFor`. */
  private lastActive: number;

  constructor(o: PacerOptions = {}) {
    this.now = o.now ?? (() => performance.now());
    this.schedule =
      o.schedule ??
      ((ms, fn) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      });
    this.cap = o.cap != null && o.cap > 0 ? o.cap : null;
    this.maxInFlight = Math.max(1, Math.floor(o.maxInFlight ?? 16));
    this.margin = o.margin ?? DEFAULT_MARGIN;
    this.probeAfterMs = o.probeAfterMs ?? 300_000;
    this.minRate = o.minRate ?? 0.2;
    this.beta = o.beta ?? 0.7;
    this.cubicC = o.cubicC ?? 0.4;
    this.log = o.log ?? (() => undefined);
    this.lastActive = this.now();
  }

  /**
   * How long (ms) nothing has been asked of this pacer, with no call in flight and none waiting;
   * 0 while it is in use.
   */
  idleFor(): number {
    for (const b of this.buckets.values()) if (b.inFlight > 0 || b.waiters.length > 0) return 0;
    return Math.max(0, this.now() - this.lastActive);
  }

  /** Waits until a call of `scope` may be sent; rejects if `signal` aborts first. */
  take(scope: PaceScope, signal?: AbortSignal): Promise<Permit> {
    return new Promise<Permit>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const b = this.bucketOf(scope);
      this.lastActive = this.now();
      const w: Waiter = {
        resolve,
        reject,
        since: this.now(),
        scope,
        signal,
        onAbort: undefined,
      };
      if (signal) {
        w.onAbort = () => {
          // Its bucket may have been merged into the shared one since.
          for (const bucket of this.buckets.values()) {
            const i = bucket.waiters.indexOf(w);
            if (i >= 0) bucket.waiters.splice(i, 1);
          }
          reject(signal.reason);
          this.pump(this.bucketOf(scope));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      b.waiters.push(w);
      this.pump(b);
    });
  }

  /**
   * Whether a `take` of `scope` now would be granted at once (in its own tick): nobody waits
   * before it, its bucket has room in flight, a token, and no Retry-After holds it back.
   */
  grantsNow(scope: PaceScope): boolean {
    const b = this.bucketOf(scope);
    if (b.waiters.length > 0 || b.inFlight >= this.windowOf(b)) return false;
    const at = this.now();
    if (at < b.blockedUntil) return false;
    this.refill(b, at);
    return b.tokens >= 1 - 1e-9;
  }

  /** The pacing rate of `scope` now, capped (calls/s), or null when its calls are not paced. */
  rateOf(scope: PaceScope): number | null {
    return this.effectiveRate(this.bucketOf(scope));
  }

  snapshot(scope: PaceScope): PaceSnapshot {
    const b = this.bucketOf(scope);
    return {
      callsPerS: this.measured(b, RATE_LOOKBACK_MS),
      limit: b.stated !== null ? Math.min(b.stated, this.cap ?? Infinity) : this.cap,
      rate: this.effectiveRate(b),
      window: this.windowOf(b),
      inFlight: b.inFlight,
      shared: this.scopeBucket.read === this.scopeBucket.write,
    };
  }

  // --- internals -------------------------------------------------------------------------------

  private bucketOf(scope: PaceScope): Bucket {
    const name = this.scopeBucket[scope];
    let b = this.buckets.get(name);
    if (!b) {
      b = new Bucket(name, this.now());
      this.buckets.set(name, b);
    }
    return b;
  }

  /** The rate the bucket paces at: the stated limit, the probe, the cap; null for none. */
  private effectiveRate(b: Bucket): number | null {
    let r = b.rate;
    if (b.stepBackAt === null && b.stated !== null && r !== null) r = this.probeAbove(b, r);
    if (b.stepBackAt !== null && b.rate !== null) {
      // CUBIC: back to wMax after K seconds, then slowly beyond it.
      const t = (this.now() - b.stepBackAt) / 1000;
      const k = Math.cbrt((b.wMax * (1 - this.beta)) / this.cubicC);
      r = Math.max(this.minRate, this.cubicC * (t - k) ** 3 + b.wMax);
      // Never more than twice what was sent lately (a probe needs calls to learn from).
      r = Math.min(r, Math.max(b.wMax, 2 * this.measured(b, 2_000)));
      if (b.stated !== null && r >= b.stated * this.margin) {
        // Back at the stated limit after a step back: paced at it again (and, after a quiet
        // while, probing above it: probeAbove).
        r = b.stated * this.margin;
        b.rate = r;
        b.stepBackAt = null;
        b.quietSince = this.now();
      }
    }
    if (this.cap !== null) r = Math.min(r ?? Infinity, this.cap);
    return r;
  }

  /**
   * Paced at a stated limit, with calls waiting and no throttle for `probeAfterMs`: a little more
   * each second (the quota may have been raised), never more than 10 % above what was sent lately.
   * A throttle at the limit ends the probe (onThrottle); calls let through beyond the stated limit
   * end it the other way (learnHeadroom).
   */
  private probeAbove(b: Bucket, r: number): number {
    const at = this.now();
    const since = b.quietSince + this.probeAfterMs;
    if (at <= since || b.waiters.length === 0 || b.stated === null) return r;
    const probe = r + b.stated * PROBE_STEP_PER_S * ((at - since) / 1000);
    return Math.max(r, Math.min(probe, this.measured(b, 2_000) * 1.1));
  }

  /**
   * The gateway let through more calls in one of its windows than the limit it stated: the quota
   * was raised. The stated number is forgotten, and the pacer probes upward (CUBIC, from the rate
   * in use) until a throttle states the new one.
   *
   * Only calls answered and let through count: a call still in flight may yet be throttled (and
   * with slow answers most of a window's calls are in flight). The window counted ends at
   * `sentAt`, the send of the call just answered ok: the calls sent before it have mostly been
   * answered by now (a window ending now would hold only calls still in flight once the latency
   * nears the window).
   */
  private learnHeadroom(b: Bucket, sentAt: number): void {
    if (b.stated === null || b.stepBackAt !== null) return;
    const at = this.now();
    // Only while probing: at the stated rate, a gateway counting in fixed windows can let a few
    // more through in a sliding one.
    if (at <= b.quietSince + this.probeAfterMs) return;
    const from = sentAt - b.statedWindowMs;
    let admitted = 0;
    for (const scope of ['read', 'write'] as const) {
      if (this.scopeBucket[scope] === b.name)
        admitted += this.answeredOkBetween(scope, from, sentAt);
    }
    if (admitted <= (b.stated * b.statedWindowMs) / 1000) return;
    const inUse = this.effectiveRate(b) ?? b.stated;
    this.log(
      `SecMaster let more than its stated ${b.stated} calls/s through: the limit was raised; probing upward`,
    );
    b.stated = null;
    b.wMax = inUse;
    b.rate = inUse;
    // On the CUBIC curve's plateau at wMax: it grows slowly beyond it from now.
    b.stepBackAt = at - Math.cbrt((b.wMax * (1 - this.beta)) / this.cubicC) * 1000;
  }

  /** Calls in flight allowed: rate × latency with headroom (+1 waiting on the next token). */
  private windowOf(b: Bucket): number {
    const rate = this.effectiveRate(b);
    if (rate === null) return this.maxInFlight;
    const latencyS = (b.latencyMs ?? 100) / 1000;
    return Math.max(1, Math.min(this.maxInFlight, Math.ceil(rate * latencyS * 1.5) + 1));
  }

  private refill(b: Bucket, at: number): void {
    const rate = this.effectiveRate(b);
    if (rate === null) {
      b.tokens = 1;
    } else {
      b.tokens = Math.min(1 + this.creditOf(b), b.tokens + ((at - b.refilledAt) / 1000) * rate);
    }
    b.refilledAt = at;
  }

  /**
   * The share of a token the bucket keeps beyond its one: a token granted late (its timer fired
   * late, the event loop busy) leaves what accrued meanwhile to the next, which then waits that
   * much less. With one token only, every late timer pushed every later call back: a few ms per
   * call under load, 5 to 10 % of the limit unused. Only while paced under a stated limit, at most
   * a third of the headroom the margin leaves in the gateway's window (the rest stays for the
   * calls' jitter on the way: half made more calls throttled in bench/pacer.ts, for no more
   * calls let through), so that no window ever holds more than the stated limit, and at most
   * half a token (two calls never leave together; at 0.97 × 20/s a third is 0.2 token, 10 ms);
   * none under SECMASTER_RATE_LIMIT (a configured limit is taken as meant), after a step back (the
   * quota is shared with someone) or while probing above the limit.
   */
  private creditOf(b: Bucket): number {
    if (b.stated === null || b.stepBackAt !== null) return 0;
    const rate = this.effectiveRate(b);
    if (rate === null || (this.cap !== null && rate >= this.cap)) return 0;
    // Calls per window of the gateway below its stated limit.
    const headroom = ((b.stated - rate) * b.statedWindowMs) / 1000;
    return Math.max(0, Math.min(0.5, headroom / 3));
  }

  /** Grants waiting takes while the bucket has a token and room in flight; else sets a timer. */
  private pump(b: Bucket): void {
    b.cancelTimer?.();
    b.cancelTimer = null;
    for (;;) {
      const w = b.waiters[0];
      if (!w) return;
      if (b.inFlight >= this.windowOf(b)) return; // a done() pumps again
      const at = this.now();
      if (at < b.blockedUntil) {
        b.cancelTimer = this.schedule(Math.ceil(b.blockedUntil - at), () => {
          b.cancelTimer = null;
          this.pump(b);
        });
        return;
      }
      this.refill(b, at);
      if (b.tokens < 1 - 1e-9) {
        const rate = this.effectiveRate(b) ?? 1;
        const ms = Math.max(1, Math.ceil(((1 - b.tokens) / rate) * 1000));
        b.cancelTimer = this.schedule(ms, () => {
          b.cancelTimer = null;
          this.pump(b);
        });
        return;
      }
      b.waiters.shift();
      b.tokens -= 1;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(this.grant(b, w.scope, at, at - w.since));
    }
  }

  private grant(b: Bucket, scope: PaceScope, at: number, waitedMs: number): Permit {
    b.inFlight++;
    const sends = this.sends[scope];
    const send: Send = {
      at,
      unpaced: this.effectiveRate(b) === null,
      throttled: false,
      ok: false,
      answeredAt: null,
    };
    sends.push(send);
    trim(sends);
    let open = true;
    const close = (): boolean => {
      if (!open) return false;
      open = false;
      b.inFlight--;
      return true;
    };
    return {
      scope,
      waitedMs,
      done: (outcome) => {
        if (!close()) return;
        this.lastActive = this.now();
        const latency = this.now() - at;
        send.answeredAt = this.now();
        b.latencyMs = b.latencyMs === null ? latency : b.latencyMs * 0.8 + latency * 0.2;
        if (outcome.kind === 'throttled') {
          send.throttled = true;
          this.onThrottle(scope, at, outcome.message);
        } else if (outcome.kind === 'ok') {
          send.ok = true;
          this.learnHeadroom(this.bucketOf(scope), at);
        }
        this.pump(this.bucketOf(scope));
        if (this.bucketOf(scope) !== b) this.pump(b);
      },
      cancel: () => {
        if (!close()) return;
        this.lastActive = this.now();
        const i = sends.lastIndexOf(send);
        if (i >= 0) sends.splice(i, 1);
        b.tokens = Math.min(1 + this.creditOf(b), b.tokens + 1);
        this.pump(b);
      },
    };
  }

  /** Sends counted by bucket `b` per second over the last `ms`. */
  private measured(b: Bucket, ms: number): number {
    const from = this.now() - ms;
    let n = 0;
    for (const scope of ['read', 'write'] as const) {
      if (this.scopeBucket[scope] === b.name) n += countAfter(this.sends[scope], from);
    }
    return n / (ms / 1000);
  }

  private onThrottle(scope: PaceScope, sentAt: number, message: string | null): void {
    const at = this.now();
    const stated = parseThrottleLimit(message);
    const windowMs = windowMsOf(message);
    const other: PaceScope = scope === 'read' ? 'write' : 'read';
    let b = this.bucketOf(scope);
    // What the gateway counted in its window when it said no: the calls it let through.
    const from = sentAt - windowMs;
    const own = this.admittedBetween(scope, from, sentAt);
    if (stated !== null && b.name !== 'shared') {
      const perWindow = (stated * windowMs) / 1000;
      const others = this.admittedBetween(other, from, sentAt, false);
      // Its own calls were far from the limit but the two kinds together reached it: the gateway
      // may count them together. Three such throttles (one could be clock skew) settle it.
      if (own < perWindow * 0.6 && own + others >= perWindow * 0.9) this.sharedHints++;
      if (this.sharedHints >= SHARED_HINTS) {
        this.log(`reads and writes share SecMaster's rate limit (${stated} calls/s)`);
        this.scopeBucket.read = 'shared';
        this.scopeBucket.write = 'shared';
        b = this.bucketOf(scope);
        // Calls waiting in the separate buckets wait in the shared one from now on.
        for (const name of ['read', 'write']) {
          const old = this.buckets.get(name);
          if (!old) continue;
          old.cancelTimer?.();
          old.cancelTimer = null;
          b.waiters.push(...old.waiters.splice(0));
        }
      }
    }
    const admitted = b.name === 'shared' ? own + this.admittedBetween(other, from, sentAt) : own;
    const sentRate = (admitted * 1000) / windowMs;
    // The window is full: the next call waits a whole token.
    b.tokens = Math.min(b.tokens, 0);
    b.refilledAt = at;
    if (stated !== null) {
      if (b.stated !== stated) this.log(`SecMaster's rate limit: ${stated} calls/s`);
      const raised = b.stated !== null && stated > b.stated;
      b.stated = stated;
      b.statedWindowMs = windowMs;
      if (raised || admitted >= ((stated * windowMs) / 1000) * 0.8) {
        // Throttled at the limit it states (or told of a higher one): pace just under it, once the
        // calls that filled the gateway's window (a burst before the limit was known) have left it.
        b.rate = stated * this.margin;
        b.stepBackAt = null;
        b.quietSince = at;
        const oldest = this.oldestAdmittedSince(b, from);
        if (oldest !== null) b.blockedUntil = Math.max(b.blockedUntil, oldest + windowMs);
        return;
      }
    }
    // A call sent before the last step back tells of the rate before it: one step per rate.
    if (b.stepBackAt !== null && sentAt < b.stepBackAt) return;
    // No number, or throttled below it (a storm, another client on the quota): step back from the
    // rate in use (or the rate that got through, if lower), then probe upward again.
    const inUse = this.effectiveRate(b);
    const current = Math.max(
      this.minRate,
      Math.min(inUse ?? Infinity, Math.max(sentRate, this.minRate)),
    );
    b.wMax = inUse === null ? Math.max(current, sentRate) : current;
    b.rate = Math.max(this.minRate, b.wMax * this.beta);
    b.stepBackAt = at;
  }

  /** The first call counted by `b` sent after `from` and not throttled, or null. */
  private oldestAdmittedSince(b: Bucket, from: number): number | null {
    let oldest: number | null = null;
    for (const scope of ['read', 'write'] as const) {
      if (this.scopeBucket[scope] !== b.name) continue;
      const first = this.sends[scope].find((s) => s.at > from && !s.throttled);
      if (first !== undefined && (oldest === null || first.at < oldest)) oldest = first.at;
    }
    return oldest;
  }

  /** Calls of `scope` sent after `from` until `to`, answered and let through (see learnHeadroom). */
  private answeredOkBetween(scope: PaceScope, from: number, to: number): number {
    const sends = this.sends[scope];
    let n = 0;
    for (let i = sends.length - 1; i >= 0; i--) {
      const s = sends[i];
      if (!s || s.at <= from) break;
      if (s.at <= to && s.ok) n++;
    }
    return n;
  }

  /**
   * Calls of `scope` sent after `from` until `to` and not throttled, those in flight included: what
   * the gateway had counted when it throttled a call sent at `to` (onThrottle), the calls sent
   * before it having reached it first.
   *
   * An unpaced call sent before `from` counts too unless it was answered by then: the gateway counts
   * a call when it arrives, and a burst's calls (before the limit was known) may queue in the client
   * for a while first. Counted by their send times, the first paced call after the burst, throttled
   * because the burst was still in the gateway's window, looked like someone else using the quota:
   * a step back and seconds of probing back up, for a throttle of the pacer's own making.
   */
  private admittedBetween(scope: PaceScope, from: number, to: number, queuedBurst = true): number {
    const sends = this.sends[scope];
    let n = 0;
    // Every kept send is looked at (a burst's call may still count behind older paced ones); this
    // runs once per throttle.
    for (const s of sends) {
      if (s.at > to || s.throttled) continue;
      if (s.at > from) n++;
      // A queued burst call reaches the gateway within one window of leaving (else one that
      // hangs, up to the call timeout, would hide another client on the quota that long); and
      // only the throttled kind's own calls, not the other kind's reads (never throttled, so
      // unpaced for good) when checking whether the gateway counts both together.
      else if (queuedBurst && s.unpaced && s.at > from - (to - from)) {
        if (s.answeredAt === null || s.answeredAt > from) n++;
      }
    }
    return n;
  }
}

/**
 * How many sends in `sends` (ascending) are after `from` and were not throttled: the rate shown is
 * the calls SecMaster let through (those refused and sent again would count twice, and could show
 * more calls/s than the limit allows).
 */
function countAfter(sends: readonly Send[], from: number): number {
  let n = 0;
  for (let i = sends.length - 1; i >= 0 && (sends[i]?.at ?? 0) > from; i--) {
    if (!sends[i]?.throttled) n++;
  }
  return n;
}

function trim(times: Send[]): void {
  if (times.length > MAX_SENDS_KEPT) times.splice(0, times.length - MAX_SENDS_KEPT);
}

/** A pacer idle this long (ms), with nothing in flight or waiting, is forgotten (createPacers). */
export const PACER_IDLE_EVICT_MS = 600_000;

export interface Pacers {
  /** The pacer of `key`, made on first use (and again after an idle one was evicted). */
  pacerFor(key: string): Pacer;
  /** Pacers held now (tests). */
  readonly size: number;
}

/**
 * One pacer per credential (APIG limits are per user): `pacerFor(key)` makes it on first use. A
 * pacer idle for `idleEvictMs` (default 10 minutes) with nothing in flight or waiting is dropped
 * (one per IAM user would otherwise pile up): what it learned is learned again from the next
 * throttle. Callers ask `pacerFor` for every call (paced.ts), so none keeps an evicted one.
 */
export function createPacers(options: PacerOptions & { idleEvictMs?: number } = {}): Pacers {
  const { idleEvictMs = PACER_IDLE_EVICT_MS, ...pacerOptions } = options;
  const now = options.now ?? (() => performance.now());
  const pacers = new Map<string, Pacer>();
  let sweptAt = now();
  /** At most once a minute (pacerFor runs for every call): drops the idle pacers. */
  const sweep = () => {
    const at = now();
    if (at - sweptAt < Math.min(60_000, idleEvictMs)) return;
    sweptAt = at;
    for (const [key, p] of pacers) if (p.idleFor() >= idleEvictMs) pacers.delete(key);
  };
  return {
    pacerFor(key) {
      sweep();
      let p = pacers.get(key);
      if (!p) {
        p = new Pacer(pacerOptions);
        pacers.set(key, p);
      }
      return p;
    },
    get size() {
      return pacers.size;
    },
  };
}
