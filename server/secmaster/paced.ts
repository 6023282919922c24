/**
 * An Upstream whose calls go through a pacer (pacer.ts): each call waits for a permit of its scope
 * (writes: associate and cancel; reads: everything else), then tells the pacer how it ended, so a
 * throttle teaches the pacer the gateway's limit. A caller that must not wait between deciding to
 * send and sending (the batch runner commits a call's intent, then sends in the same tick) takes
 * the permit itself first (`pacer.take`) and passes it in `CallOptions.permit`.
 */
import { parseUpstreamError } from '../../src/api/schemas';
import { UpstreamError, type Upstream, type UpstreamResponse } from './client';
import type { UpstreamOperation } from './operations';
import type { PaceOutcome, PaceScope, Pacer, Permit } from './pacer';

const THROTTLE_CODES = new Set(['APIG.0308']);

export function scopeOf(operation: UpstreamOperation): PaceScope {
  return operation.op === 'associate' || operation.op === 'cancel' ? 'write' : 'read';
}

/** What an answer means for pacing: a 429 or APIG.0308 is a throttle (with its message). */
export function paceOutcomeOf(res: UpstreamResponse): PaceOutcome {
  const err = res.status >= 400 ? parseUpstreamError(res.body) : null;
  if (res.status === 429 || (err && THROTTLE_CODES.has(err.code))) {
    return { kind: 'throttled', message: err?.message || null };
  }
  return res.status >= 200 && res.status < 300 ? { kind: 'ok' } : { kind: 'other' };
}

/**
 * `pacer`: the credential's pacer, or how to find it, asked for every call: a pool that evicts idle
 * pacers (createPacers) must not leave a long-lived upstream on one it has dropped.
 */
export function pacedUpstream(inner: Upstream, pacer: Pacer | (() => Pacer)): Upstream {
  const pacerNow = typeof pacer === 'function' ? pacer : () => pacer;
  return {
    get pacer() {
      return pacerNow();
    },
    async call(operation, opts = {}) {
      const permit = opts.permit ?? (await pacerNow().take(scopeOf(operation), opts.signal));
      let res: UpstreamResponse;
      try {
        res = await inner.call(operation, opts);
      } catch (err) {
        // A 429 whose body is not JSON is still a throttle.
        permit.done(
          err instanceof UpstreamError && err.status === 429
            ? { kind: 'throttled', message: null }
            : { kind: 'other' },
        );
        throw err;
      }
      permit.done(paceOutcomeOf(res));
      return res;
    },
  };
}

/**
 * `upstream` whose next call goes out on `permit`, taken beforehand (paced-slot.ts): for a caller
 * that cannot pass `CallOptions.permit` itself. Later calls take their own.
 */
export function withPermit(upstream: Upstream, permit: Permit | null): Upstream {
  if (!permit) return upstream;
  let next: Permit | null = permit;
  return {
    get pacer() {
      return upstream.pacer;
    },
    call(operation, opts = {}) {
      const p = next;
      next = null;
      return upstream.call(operation, p ? { ...opts, permit: p } : opts);
    },
  };
}
