/**
 * The batch runner: sends a batch's pending IDs upstream in chunks of at most 100, a bounded
 * number of calls in flight, and records each ID's outcome in the ledger. Every call sits between
 * an intent transaction (call row + items in_flight) and an outcome transaction fenced by call_id
 * (reliability-security.md B4). Outcome rules: DESIGN.md §4.
 */
import {
  MAX_IDS_PER_CALL,
  idKey,
  parseUpstreamError,
  relationWriteResponseSchema,
  type BatchSummary,
} from '../../src/api/schemas';
import {
  UpstreamError,
  UpstreamRequestError,
  type Upstream,
  type UpstreamResponse,
} from '../forward';
import type { ClaimedCall, ItemOutcome, Ledger } from './ledger';

export const MSG_REJECTED = 'SecMaster rejected this ID (no reason given)';
export const MSG_NOT_REPORTED = 'not reported by SecMaster';
export const MSG_BOTH = 'reported as both succeeded and failed by SecMaster';

const AUTH_CODES = new Set(['APIG.0301', 'APIG.0303']);
const THROTTLE_CODES = new Set(['APIG.0308']);

export interface RunnerOptions {
  ledger: Ledger;
  upstream: Upstream;
  /** Calls in flight at once, shared by all batches of this runner. */
  concurrency: number;
  /** Attempts per call for transient failures (429, 5xx, connection refused). Default 3. */
  maxAttempts?: number;
  /** IDs per call; at most MAX_IDS_PER_CALL. */
  chunkSize?: number;
  /** Delay before retry number `retry` (1-based). Default: full jitter, longer for throttling. */
  backoffMs?: (retry: number, kind: 'throttled' | 'transient') => number;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

export interface Runner {
  /** Runs a batch in the background; the promise settles (never rejects) when it stops running. */
  start(batchId: string): Promise<void>;
  /**
   * Startup recovery: in_flight items (a crash mid-call) become `unknown`, then every batch still
   * `running` continues. Resolves when those batches stop running.
   */
  resumeAll(): Promise<void>;
  /** Resolves when the batch is not being run (at once if it is not). */
  whenIdle(batchId: string): Promise<void>;
  /** Stops claiming new chunks and waits for the calls in flight to be recorded. */
  stop(): Promise<void>;
}

type Verdict =
  | {
      kind: 'outcomes';
      outcomes: ItemOutcome[];
      status: number;
      requestId: string | null;
      code: string | null;
    }
  | {
      kind: 'all';
      state: 'failed' | 'unknown';
      code: string;
      message: string;
      status: number | null;
      requestId: string | null;
    }
  | {
      kind: 'retry';
      throttled: boolean;
      code: string;
      message: string;
      status: number | null;
      requestId: string | null;
    }
  | {
      kind: 'auth';
      code: string;
      message: string;
      status: number | null;
      requestId: string | null;
    };

function defaultBackoff(retry: number, kind: 'throttled' | 'transient'): number {
  const exp = Math.min(5_000, (kind === 'throttled' ? 1_000 : 250) * 2 ** retry);
  return (kind === 'throttled' ? 2_000 : 0) + Math.floor(Math.random() * exp);
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
    if (ok && bad) return { id, state: 'failed', code: 'REPORTED_AS_BOTH', message: MSG_BOTH };
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

function judge(ids: readonly string[], result: UpstreamResponse | UpstreamError): Verdict {
  if (result instanceof UpstreamError) {
    const base = { status: result.status, requestId: result.requestId };
    switch (result.kind) {
      case 'connect':
        return {
          kind: 'retry',
          throttled: false,
          code: 'UPSTREAM_UNREACHABLE',
          message: result.message,
          ...base,
        };
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
          return {
            kind: 'retry',
            throttled: s === 429,
            code: `HTTP_${s}`,
            message: result.message,
            ...base,
          };
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
  if (result.status >= 200 && result.status < 300) return perIdOutcomes(ids, result);
  const err = parseUpstreamError(result.body);
  const code = err?.code ?? `HTTP_${result.status}`;
  const message = err?.message || `SecMaster answered HTTP ${result.status}`;
  const base = {
    code,
    message,
    status: result.status,
    requestId: err?.request_id ?? result.requestId,
  };
  if (result.status === 401 || AUTH_CODES.has(code)) return { kind: 'auth', ...base };
  if (result.status === 429 || THROTTLE_CODES.has(code))
    return { kind: 'retry', throttled: true, ...base };
  if (result.status >= 500) return { kind: 'retry', throttled: false, ...base };
  return { kind: 'all', state: 'failed', ...base };
}

class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export function createRunner(options: RunnerOptions): Runner {
  const { ledger, upstream } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const chunkSize = Math.min(MAX_IDS_PER_CALL, Math.max(1, options.chunkSize ?? MAX_IDS_PER_CALL));
  const backoff = options.backoffMs ?? defaultBackoff;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log ?? (() => undefined);
  const slots = new Slots(concurrency);
  const active = new Map<string, Promise<void>>();
  let stopping = false;

  async function runCall(batch: BatchSummary, first: ClaimedCall, halt: () => void): Promise<void> {
    let call = first;
    for (let attempt = 1; ; attempt++) {
      let result: UpstreamResponse | UpstreamError;
      try {
        result = await upstream.call({
          op: batch.action,
          workspaceId: batch.workspace_id,
          dataclass: batch.dataclass_type,
          objectId: batch.data_object_id,
          related: batch.related_dataclass_type,
          ids: call.ids,
        });
      } catch (err) {
        if (err instanceof UpstreamError) {
          result = err;
        } else if (err instanceof UpstreamRequestError) {
          ledger.recordOutcome(
            call.callId,
            call.ids.map((id) => ({
              id,
              state: 'failed',
              code: 'INVALID_REQUEST',
              message: err.message,
            })),
            { httpStatus: null, requestId: null, errorCode: 'INVALID_REQUEST' },
          );
          return;
        } else {
          throw err;
        }
      }
      const v = judge(call.ids, result);
      switch (v.kind) {
        case 'outcomes': {
          const changed = ledger.recordOutcome(call.callId, v.outcomes, {
            httpStatus: v.status,
            requestId: v.requestId,
            errorCode: v.code,
          });
          if (changed < call.ids.length)
            log(`call ${call.callId}: ${call.ids.length - changed} outcomes ignored (superseded)`);
          return;
        }
        case 'all':
          ledger.recordOutcome(
            call.callId,
            call.ids.map((id) => ({ id, state: v.state, code: v.code, message: v.message })),
            { httpStatus: v.status, requestId: v.requestId, errorCode: v.code },
          );
          return;
        case 'auth':
          // Not applied upstream: the IDs go back to pending; never retried (AK/SK lockout risk).
          ledger.releaseCall(call.callId, {
            httpStatus: v.status,
            requestId: v.requestId,
            errorCode: v.code,
          });
          ledger.setBatchState(
            batch.id,
            'interrupted',
            `SecMaster refused the console's credentials (${v.code}${v.message ? `: ${v.message}` : ''}); the batch stopped and its unsent IDs stay pending`,
          );
          halt();
          return;
        case 'retry': {
          if (stopping) {
            // Shutting down: a transient failure was not applied, so the IDs wait for the restart.
            ledger.releaseCall(call.callId, {
              httpStatus: v.status,
              requestId: v.requestId,
              errorCode: v.code,
            });
            return;
          }
          if (attempt >= maxAttempts) {
            ledger.recordOutcome(
              call.callId,
              call.ids.map((id) => ({ id, state: 'failed', code: v.code, message: v.message })),
              { httpStatus: v.status, requestId: v.requestId, errorCode: v.code },
            );
            return;
          }
          await sleep(backoff(attempt, v.throttled ? 'throttled' : 'transient'));
          const next = ledger.retryCall(call.callId);
          if (!next) return;
          call = next;
          break;
        }
      }
    }
  }

  async function run(batchId: string): Promise<void> {
    const batch = ledger.getBatch(batchId);
    if (!batch || batch.state !== 'running') return;
    let halted = false;
    const halt = () => {
      halted = true;
    };
    const worker = async (): Promise<void> => {
      for (;;) {
        if (stopping || halted) return;
        await slots.acquire();
        try {
          if (stopping || halted) return;
          if (ledger.getBatchState(batchId) !== 'running') return;
          const claim = ledger.claimChunk(batchId, chunkSize);
          if (!claim) return;
          await runCall(batch, claim, halt);
        } finally {
          slots.release();
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (!stopping && !halted) ledger.finishIfDrained(batchId);
  }

  function start(batchId: string): Promise<void> {
    const existing = active.get(batchId);
    if (existing) return existing;
    if (stopping) return Promise.resolve();
    const p = run(batchId)
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        log(`batch ${batchId} stopped on an internal error: ${message}`);
        try {
          ledger.setBatchState(batchId, 'interrupted', `internal error: ${message}`);
        } catch {
          // the ledger itself is failing; the batch stays running and resumes on restart
        }
      })
      .finally(() => active.delete(batchId));
    active.set(batchId, p);
    return p;
  }

  return {
    start,
    async resumeAll() {
      const running = ledger.recoverAfterCrash();
      await Promise.all(running.map((id) => start(id)));
    },
    async whenIdle(batchId) {
      await active.get(batchId);
    },
    async stop() {
      stopping = true;
      await Promise.all([...active.values()]);
    },
  };
}
