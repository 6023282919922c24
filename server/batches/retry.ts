/**
 * Retry policy of the batch runner: capped exponential backoff with
 * full jitter, a floor for throttling (APIG.0308 advice, Retry-After), bounded attempts and a
 * shared retry budget (AWS "standard" retry quota). Pure: the clock and random are arguments.
 */

export interface RetryPolicy {
  /** Sends per call chain when throttled (429, APIG.0308): 1 + 5 retries. */
  throttledAttempts: number;
  /** Sends per call chain for transient failures (5xx, connection refused): 1 + 3 retries. */
  transientAttempts: number;
  /** Transient backoff: random(0, min(transientCapMs, transientBaseMs·2^n)). */
  transientBaseMs: number;
  transientCapMs: number;
  /** Throttled backoff: max(Retry-After, throttledFloorMs + random(0, min(cap, base·2^n))). */
  throttledFloorMs: number;
  throttledBaseMs: number;
  throttledCapMs: number;
  /** Longest Retry-After honoured (a bigger hint is clamped). */
  maxRetryAfterMs: number;
  /** Retry budget (token bucket shared by every batch of the runner). */
  budgetTokens: number;
  retryCost: number;
  timeoutRetryCost: number;
  successRefund: number;
  /** How long a batch waits when the budget is empty before probing again (IDs stay pending). */
  budgetWaitMs: number;
  /** How long a batch waits when a call stayed throttled through all its retries (IDs pending). */
  throttleWaitMs: number;
  /** AIMD: +1 call in flight after this many straight successes. */
  aimdSuccesses: number;
  /** Re-reads per set of unknown IDs before they stay "Outcome unknown — re-check". */
  rereadAttempts: number;
  /** Sends of one ID before an ID confirmed absent after an unknown outcome is failed, not re-sent. */
  maxSendsPerId: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  throttledAttempts: 6,
  transientAttempts: 4,
  transientBaseMs: 500,
  transientCapMs: 30_000,
  throttledFloorMs: 2_000,
  throttledBaseMs: 1_000,
  throttledCapMs: 30_000,
  maxRetryAfterMs: 300_000,
  budgetTokens: 500,
  retryCost: 5,
  timeoutRetryCost: 10,
  successRefund: 1,
  budgetWaitMs: 30_000,
  throttleWaitMs: 5_000,
  aimdSuccesses: 20,
  rereadAttempts: 3,
  maxSendsPerId: 8,
};

export type RetryKind = 'throttled' | 'transient';

/**
 * Delay before retry number `n` (0 for the first retry).
 * transient: random(0, min(30 s, 500 ms·2^n)); throttled: max(Retry-After, 2 s + random(0, min(30 s, 1 s·2^n))).
 */
export function backoffDelay(
  policy: RetryPolicy,
  kind: RetryKind,
  n: number,
  random: () => number,
  retryAfterMs: number | null = null,
): number {
  if (kind === 'transient') {
    return Math.floor(random() * Math.min(policy.transientCapMs, policy.transientBaseMs * 2 ** n));
  }
  const computed =
    policy.throttledFloorMs +
    Math.floor(random() * Math.min(policy.throttledCapMs, policy.throttledBaseMs * 2 ** n));
  const hint = retryAfterMs === null ? 0 : Math.min(policy.maxRetryAfterMs, retryAfterMs);
  return Math.max(hint, computed);
}

/** `Retry-After`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (/^\d{1,7}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/**
 * The retry quota a runner draws on: its own (`RetryBudget`), or one shared by every console on one
 * PostgreSQL (`SharedRetryBudget`, shared-upstream.ts: SecMaster's limits are per account).
 */
export interface RetryQuota {
  /** Tokens left (a shared quota: as this console last saw them). */
  readonly available: number;
  /** Takes the cost of one retry; false (nothing taken) when the quota cannot pay it. */
  tryAcquire(timeoutLike: boolean): boolean | Promise<boolean>;
  /** A success refunds `successRefund`, up to the capacity. */
  onSuccess(): void;
}

/** AWS-style retry quota: retries spend tokens, successes refill; empty → no retry (circuit open). */
export class RetryBudget implements RetryQuota {
  private tokens: number;
  constructor(private readonly policy: RetryPolicy) {
    this.tokens = policy.budgetTokens;
  }
  get available(): number {
    return this.tokens;
  }
  /** Takes the cost of one retry; false (nothing taken) when the bucket cannot pay it. */
  tryAcquire(timeoutLike: boolean): boolean {
    const cost = timeoutLike ? this.policy.timeoutRetryCost : this.policy.retryCost;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
  onSuccess(): void {
    this.tokens = Math.min(this.policy.budgetTokens, this.tokens + this.policy.successRefund);
  }
}
