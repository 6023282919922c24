/**
 * What SecMaster's answer to one call means for its IDs, and whether the call is worth sending
 * again. Pure: the answer (or the way it failed) in, a verdict out; the call chain and the pre-read
 * do the I/O and the ledger writes.
 *
 * Outcome rules: `success_ids` → succeeded, `error_ids` → failed (`REJECTED`), in neither →
 * failed (`NOT_REPORTED`), in both → unknown (`REPORTED_AS_BOTH`, settled by the re-read).
 * Authentication failures stop the batch; throttling and transient failures are retried; a call
 * that may have been applied without a readable answer (timeout, reset, unreadable 200) leaves its
 * IDs unknown.
 */
import { idKey, parseUpstreamError, relationWriteResponseSchema } from '../../../src/api/schemas';
import { UpstreamError, UpstreamRequestError, type UpstreamResponse } from '../../secmaster/client';
import type { ItemOutcome } from '../ledger';
import { foundKeys, refusesCredential } from '../reconcile';
import type { RetryKind, RetryPolicy } from '../retry';

export const MSG_REJECTED = 'SecMaster rejected this ID (no reason given)';
export const MSG_NOT_REPORTED = 'not reported by SecMaster';
export const MSG_BOTH = 'reported as both succeeded and failed by SecMaster';

const THROTTLE_CODES = new Set(['APIG.0308']);

/** How a call ended: an HTTP answer, a failure to get one, or a request that could not be built. */
export type CallResult = UpstreamResponse | UpstreamError | UpstreamRequestError;

/** What the answer says about the call, for the ledger's call row. */
interface Answered {
  status: number | null;
  requestId: string | null;
}

/** A readable 2xx answer to a write: one outcome per ID. */
export interface OutcomesVerdict extends Answered {
  kind: 'outcomes';
  outcomes: ItemOutcome[];
  code: string | null;
}

/** One outcome for every ID of the call. */
export interface AllVerdict extends Answered {
  kind: 'all';
  state: 'failed' | 'unknown';
  code: string;
  message: string;
}

/** Worth sending again after a backoff. */
export interface RetryVerdict extends Answered {
  kind: 'retry';
  throttled: boolean;
  /** The write may have been applied (5xx): when retries run out, the IDs are re-read. */
  mayBeApplied: boolean;
  /** Costs the timeout price in the retry budget (connect failures). */
  timeoutLike: boolean;
  retryAfter: string | null;
  code: string;
  message: string;
}

/** SecMaster refused the console's credentials: never retried (AK/SK lockout risk). */
export interface AuthVerdict extends Answered {
  kind: 'auth';
  code: string;
  message: string;
}

export type Verdict = OutcomesVerdict | AllVerdict | RetryVerdict | AuthVerdict;
/** The verdict on anything but a readable 2xx answer (the same for a write and a read). */
export type FailureVerdict = Exclude<Verdict, OutcomesVerdict>;

function retryVerdict(
  base: { code: string; message: string; status: number | null; requestId: string | null },
  o: {
    throttled: boolean;
    mayBeApplied: boolean;
    timeoutLike?: boolean;
    retryAfter?: string | null;
  },
): RetryVerdict {
  return {
    kind: 'retry',
    throttled: o.throttled,
    mayBeApplied: o.mayBeApplied,
    timeoutLike: o.timeoutLike ?? false,
    retryAfter: o.retryAfter ?? null,
    ...base,
  };
}

function isSuccess(result: CallResult): result is UpstreamResponse {
  if (result instanceof UpstreamError || result instanceof UpstreamRequestError) return false;
  return result.status >= 200 && result.status < 300;
}

function perIdOutcomes(ids: readonly string[], res: UpstreamResponse): Verdict {
  const parsed = relationWriteResponseSchema.safeParse(res.body);
  if (!parsed.success) {
    return {
      kind: 'all',
      state: 'unknown',
      code: 'UPSTREAM_BAD_RESPONSE',
      message: 'SecMaster answered HTTP 200 with an unreadable body; outcome unknown',
      status: res.status,
      requestId: res.requestId,
    };
  }
  const succeeded = new Set((parsed.data.data?.success_ids ?? []).map(idKey));
  const rejected = new Set((parsed.data.data?.error_ids ?? []).map(idKey));
  const outcomes = ids.map((id): ItemOutcome => {
    const key = idKey(id);
    const ok = succeeded.has(key);
    const bad = rejected.has(key);
    if (ok && bad) return { id, state: 'unknown', code: 'REPORTED_AS_BOTH', message: MSG_BOTH };
    if (ok) return { id, state: 'succeeded', code: null, message: null };
    if (bad) return { id, state: 'failed', code: 'REJECTED', message: MSG_REJECTED };
    return { id, state: 'failed', code: 'NOT_REPORTED', message: MSG_NOT_REPORTED };
  });
  return {
    kind: 'outcomes',
    outcomes,
    status: res.status,
    requestId: parsed.data.request_id ?? res.requestId,
    code: parsed.data.code ?? null,
  };
}

function failure(result: CallResult): FailureVerdict {
  if (result instanceof UpstreamRequestError) {
    // The request could not be built or signed: nothing was sent, and sending again cannot help.
    return {
      kind: 'all',
      state: 'failed',
      code: 'INVALID_REQUEST',
      message: result.message,
      status: null,
      requestId: null,
    };
  }
  if (result instanceof UpstreamError) {
    const base = { status: result.status, requestId: result.requestId };
    switch (result.kind) {
      case 'connect':
        // Nothing was sent: safe to retry, and not applied if the retries run out.
        return retryVerdict(
          { code: 'UPSTREAM_UNREACHABLE', message: result.message, ...base },
          { throttled: false, mayBeApplied: false, timeoutLike: true },
        );
      case 'timeout':
        return {
          kind: 'all',
          state: 'unknown',
          code: 'TIMEOUT',
          message: `${result.message}; outcome unknown`,
          ...base,
        };
      case 'network':
      case 'aborted':
        return {
          kind: 'all',
          state: 'unknown',
          code: 'UPSTREAM_NETWORK',
          message: `${result.message}; outcome unknown`,
          ...base,
        };
      case 'bad_json':
      case 'too_large': {
        const s = result.status ?? 0;
        if (s >= 200 && s < 300) {
          return {
            kind: 'all',
            state: 'unknown',
            code: 'UPSTREAM_BAD_RESPONSE',
            message: `${result.message}; outcome unknown`,
            ...base,
          };
        }
        if (s === 429 || s >= 500) {
          return retryVerdict(
            { code: `HTTP_${s}`, message: result.message, ...base },
            { throttled: s === 429, mayBeApplied: s >= 500 },
          );
        }
        if (s === 401) return { kind: 'auth', code: 'HTTP_401', message: result.message, ...base };
        return {
          kind: 'all',
          state: 'failed',
          code: `HTTP_${s}`,
          message: result.message,
          ...base,
        };
      }
      case 'redirect':
        return {
          kind: 'all',
          state: 'failed',
          code: 'UPSTREAM_REDIRECT',
          message: result.message,
          ...base,
        };
    }
  }
  const err = parseUpstreamError(result.body);
  const code = err?.code ?? `HTTP_${result.status}`;
  const message = err?.message || `SecMaster answered HTTP ${result.status}`;
  const base = {
    code,
    message,
    status: result.status,
    requestId: err?.request_id ?? result.requestId,
  };
  if (refusesCredential(result.status, code)) return { kind: 'auth', ...base };
  if (result.status === 429 || THROTTLE_CODES.has(code))
    return retryVerdict(base, {
      throttled: true,
      mayBeApplied: false,
      retryAfter: result.retryAfter ?? null,
    });
  if (result.status >= 500) return retryVerdict(base, { throttled: false, mayBeApplied: true });
  return { kind: 'all', state: 'failed', ...base };
}

/** The verdict on a write (associate or cancel) of `ids`. */
export function judge(ids: readonly string[], result: CallResult): Verdict {
  return isSuccess(result) ? perIdOutcomes(ids, result) : failure(result);
}

/** The verdict on a search of ≤ 100 IDs: the ID keys it found, or why it found nothing. */
export function judgeRead(
  result: CallResult,
): { kind: 'found'; present: Set<string> } | FailureVerdict {
  if (!isSuccess(result)) return failure(result);
  const present = foundKeys(result.status, result.body);
  if (present) return { kind: 'found', present };
  // A read changes nothing: an unreadable answer is simply read again.
  return retryVerdict(
    {
      code: 'UPSTREAM_BAD_RESPONSE',
      message: 'SecMaster answered a search with an unreadable body',
      status: result.status,
      requestId: result.requestId,
    },
    { throttled: false, mayBeApplied: false },
  );
}

/** What a pre-read does with its verdict. */
export type ReadStep =
  | { kind: 'found'; present: Set<string> }
  | { kind: 'auth'; code: string; message: string }
  /** Refused for good (a 4xx): the write would meet the same refusal. */
  | { kind: 'refused'; code: string; message: string }
  /** Read again after a backoff, if the attempts and the budget allow. */
  | { kind: 'again'; throttled: boolean; retryAfter: string | null; timeoutLike: boolean };

/**
 * A pre-read follows the write path's retry rules, except that a read changes nothing: a timeout or
 * a reset (unknown for a write) is simply read again, at the timeout price.
 */
export function readStep(v: ReturnType<typeof judgeRead>): ReadStep {
  switch (v.kind) {
    case 'found':
      return v;
    case 'auth':
      return { kind: 'auth', code: v.code, message: v.message };
    case 'all':
      if (v.state === 'failed') return { kind: 'refused', code: v.code, message: v.message };
      return { kind: 'again', throttled: false, retryAfter: null, timeoutLike: true };
    case 'retry':
      return {
        kind: 'again',
        throttled: v.throttled,
        retryAfter: v.retryAfter,
        timeoutLike: v.timeoutLike,
      };
  }
}

/** The backoff a retry waits: throttling has its own floor and Retry-After. */
export function retryKind(throttled: boolean): RetryKind {
  return throttled ? 'throttled' : 'transient';
}

/** Whether a call chain that made `sends` sends and met `throttled` or not may send again. */
export function mayRetry(policy: RetryPolicy, throttled: boolean, sends: number): boolean {
  return sends < (throttled ? policy.throttledAttempts : policy.transientAttempts);
}
