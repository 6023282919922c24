/**
 * The batch runner: sends a batch's pending IDs upstream in chunks of at most 100 and records each
 * ID's outcome in the ledger. Every call sits between an intent transaction (call row + items
 * in_flight) and an outcome transaction fenced by call_id, so a crash between them leaves
 * the IDs `in_flight` (re-read at the next start), never a lost or doubled outcome.
 *
 * - Concurrency: an AIMD window shared by every batch (limiter.ts); batches on the same workspace,
 *   subject and related class run one at a time, in creation order.
 * - Retries (retry.ts): throttling and transient failures, capped exponential backoff with full
 *   jitter, Retry-After honoured, a shared retry budget; an empty budget makes the batch wait with
 *   its IDs pending, never fail.
 * - Unknown outcomes (timeout after sending, reset, unreadable 200, crash, 5xx retries used up) are
 *   settled by re-reading the subject's links (reconcile.ts).
 * - Outcome rules: `success_ids` → succeeded, `error_ids` → failed (`REJECTED`), in neither →
 *   failed (`NOT_REPORTED`), in both → unknown (`REPORTED_AS_BOTH`, settled by the re-read).
 *   Rejected IDs are labelled by one follow-up search.
 */
import { dirname } from 'node:path';
import {
  MAX_IDS_PER_CALL,
  UNCHANGED_ALREADY_LINKED,
  UNCHANGED_NOT_LINKED,
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
} from '../secmaster/client';
import type { ClaimedCall, ItemOutcome, Ledger, PendingRow, SettledRow } from './ledger';
import { MSG_CONFIRMED, sqliteErrorCode } from './ledger';
import { diskFull, writeProblem, type WriteProblem } from './storage-health';
import { AimdLimiter, KeyedQueue } from './limiter';
import { explainRejected, foundKeys, idsSearchBody, rereadLinks, type Subject } from './reconcile';
import {
  DEFAULT_RETRY_POLICY,
  RetryBudget,
  backoffDelay,
  parseRetryAfter,
  type RetryKind,
  type RetryPolicy,
} from './retry';

export const MSG_REJECTED = 'SecMaster rejected this ID (no reason given)';
export const MSG_NOT_REPORTED = 'not reported by SecMaster';
export const MSG_BOTH = 'reported as both succeeded and failed by SecMaster';
export const MSG_BUDGET_WAIT =
  'waiting: SecMaster keeps refusing calls and the retry budget is spent; the batch continues by itself';
/** How long IDs read before writing may wait in memory for a call to fill up. */
export const MAX_READY_AGE_MS = 1_000;
export const MSG_READ_WAIT =
  'waiting: SecMaster keeps refusing the reads that tell which IDs are already in the asked state; nothing is sent before they pass; the batch continues by itself';
/** The message of IDs failed because the pre-read was refused for good (an HTTP 4xx). */
export function readRefusedMessage(message: string): string {
  return `not sent: SecMaster refused the read of the current links before writing (${message})`;
}

/** First pause of a batch waiting for the ledger (a full disk, another process's write lock). */
export const LEDGER_WAIT_MS = 500;
/** The pause doubles up to this: the batch continues at most this long after writes pass again. */
export const LEDGER_WAIT_MAX_MS = 5_000;

/** The state reason of a batch waiting for the ledger (written when the ledger takes it). */
export function ledgerWaitReason(problem: string): string {
  return `waiting: ${problem}; nothing is sent meanwhile; the batch continues by itself`;
}

/**
 * Why a batch stopped on an error of the ledger (F8) or of the runner itself. The chunk being claimed
 * was not sent (a send needs a committed intent); a call already sent keeps its IDs in_flight, and
 * they are re-read as unknown when the batch resumes or the server restarts.
 */
export function haltReason(err: unknown): string {
  const code = sqliteErrorCode(err);
  if (code !== null) {
    const hint = code === 'SQLITE_FULL' ? 'disk full?' : 'disk error?';
    return `the ledger could not be written (${hint}): ${code}; the batch stopped and sends nothing more; resume when fixed`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `internal error: ${message}; the batch stopped; resume to retry`;
}

const AUTH_CODES = new Set(['APIG.0301', 'APIG.0303']);
const THROTTLE_CODES = new Set(['APIG.0308']);
/** Unknown items whose absence after a re-read means "not applied, send again". */
const RESEND_WHEN_ABSENT = new Set([
  'MAY_BE_APPLIED',
  'TIMEOUT',
  'UPSTREAM_NETWORK',
  'UPSTREAM_BAD_RESPONSE',
  'UNKNOWN_AFTER_RESTART',
  'UNKNOWN_NOT_RECORDED',
  'REPORTED_AS_BOTH',
]);

export interface RunnerOptions {
  ledger: Ledger;
  /**
   * Where calls go: one Upstream for every batch, or each batch's own (its credential, looked up
   * for every call since a sign-in may end mid-batch).
   */
  upstream: Upstream | ((batchId: string) => Upstream);
  /** Calls in flight at once (the AIMD maximum), shared by all batches of this runner. */
  concurrency: number;
  /** Retry knobs; defaults: DEFAULT_RETRY_POLICY (retry.ts). */
  retry?: Partial<RetryPolicy>;
  /** Shorthand: attempts per call chain for both throttling and transient failures. */
  maxAttempts?: number;
  /** IDs per call; at most MAX_IDS_PER_CALL. */
  chunkSize?: number;
  /** Replaces the B2 backoff (tests): delay before retry number `retry` (1-based). */
  backoffMs?: (retry: number, kind: RetryKind, retryAfterMs: number | null) => number;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch (Retry-After dates). */
  now?: () => number;
  random?: () => number;
  log?: (message: string) => void;
  /** First pause of a batch waiting for the ledger (default LEDGER_WAIT_MS); doubles from there. */
  ledgerWaitMs?: number;
  /** Longest pause of a batch waiting for the ledger (default LEDGER_WAIT_MAX_MS). */
  ledgerWaitMaxMs?: number;
  /**
   * Asked in the tick of every send: null while this process holds the DATA_DIR lock, else why not.
   * A reason stops the runner at once, as a shutdown does: nothing more is sent, calls in flight
   * are recorded, batch rows stay as they are for the server that holds the DATA_DIR now.
   */
  dataDirLost?: () => string | null;
}

export interface RunnerStats {
  /** Write calls sent (associate/cancel), retries included. */
  writes: number;
  /** Reads before writing (relation searches, and class searches of a cancel), retries included. */
  preReads: number;
  /** IDs found already in the asked state by a pre-read (recorded `unchanged`, never sent). */
  unchangedIds: number;
  /** Of those, retries of a call chain. */
  retries: number;
  /** Relation searches that re-read unknown outcomes. */
  rereads: number;
  /** Unknown items settled by a re-read (succeeded, back to pending, or failed). */
  unknownSettled: number;
  /** Searches that labelled rejected IDs. */
  explainSearches: number;
  /** Times a batch waited because the retry budget was empty. */
  budgetWaits: number;
  /** Times a batch waited because the ledger could not be written (full disk, write lock). */
  ledgerWaits: number;
  budgetTokens: number;
  concurrencyLimit: number;
  peakInFlight: number;
}

export interface Runner {
  /** Runs a batch in the background; the promise settles (never rejects) when it stops running. */
  start(batchId: string): Promise<void>;
  /**
   * Startup recovery: in_flight items (a crash mid-call) become `unknown`, then every batch still
   * `running` continues (re-reading its unknown items first). Resolves when those batches stop.
   * `first` runs just before, as part of the recovery (both are retried while the ledger cannot be
   * written for now: a full disk, another process's write lock). Never rejects.
   */
  resumeAll(first?: () => void): Promise<void>;
  /** Resolves when the batch is not being run (at once if it is not). */
  whenIdle(batchId: string): Promise<void>;
  /** Shutdown: stops claiming new chunks and waits for the calls in flight to be recorded. */
  stop(): Promise<void>;
  /** running → paused: no new call is sent; calls in flight finish and are recorded. */
  pause(batchId: string): boolean;
  /** paused | interrupted → running: pending IDs continue (unknown ones are re-read first). */
  resume(batchId: string): boolean;
  /**
   * User stop: running | paused | interrupted → cancelled. Pending IDs become `skipped` in the same
   * transaction; calls in flight are recorded when they answer; no write is sent after this returns.
   */
  cancel(batchId: string): boolean;
  /**
   * A batch this runner stopped on a ledger error but could not mark `interrupted` (the state write
   * failed too): the reason, kept in memory until resume or restart; null otherwise.
   */
  unrecordedInterruption(batchId: string): string | null;
  stats(): RunnerStats;
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
      /** The write may have been applied (5xx): when retries run out, the IDs are re-read. */
      mayBeApplied: boolean;
      /** Costs the timeout price in the retry budget (connect failures). */
      timeoutLike: boolean;
      retryAfter: string | null;
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

function retryVerdict(
  base: { code: string; message: string; status: number | null; requestId: string | null },
  o: {
    throttled: boolean;
    mayBeApplied: boolean;
    timeoutLike?: boolean;
    retryAfter?: string | null;
  },
): Verdict {
  return {
    kind: 'retry',
    throttled: o.throttled,
    mayBeApplied: o.mayBeApplied,
    timeoutLike: o.timeoutLike ?? false,
    retryAfter: o.retryAfter ?? null,
    ...base,
  };
}

function judge(ids: readonly string[], result: UpstreamResponse | UpstreamError): Verdict {
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
    return retryVerdict(base, {
      throttled: true,
      mayBeApplied: false,
      retryAfter: result.retryAfter ?? null,
    });
  if (result.status >= 500) return retryVerdict(base, { throttled: false, mayBeApplied: true });
  return { kind: 'all', state: 'failed', ...base };
}

/** Per-batch run control: interrupts sleeps on pause, cancel and shutdown. */
interface Control {
  halted: boolean;
  /** Set once the batch halted on an error (the first reason wins). */
  haltReason: string | null;
  budgetWait: boolean;
  /** Why the batch waits when `budgetWait` is set (the state reason shown meanwhile). */
  waitReason: string;
  /**
   * Set when a ledger write failed on a full disk or another process's write lock: the batch
   * sends nothing, waits for the ledger, then continues by itself (run, waitForLedger).
   */
  ledgerWait: WriteProblem | null;
  /** Pauses since the batch's writes last passed: the next pause doubles (reset by a claim). */
  ledgerStreak: number;
  wakers: Set<() => void>;
}

/** A limiter slot held by a worker; reads and retries give it back while they sleep. */
interface Slot {
  held: boolean;
}

/** A call whose intent is committed and whose write was sent in the same tick (I6). */
interface Started {
  call: ClaimedCall;
  pending: Promise<UpstreamResponse | UpstreamError | UpstreamRequestError>;
}

/** The answer to a pre-read, once its retries are done. */
type ReadOutcome =
  | { kind: 'ok'; present: Set<string> }
  | { kind: 'auth'; code: string; message: string }
  | { kind: 'refused'; code: string; message: string }
  /** Retries or the budget used up: the batch waits, its IDs stay pending. */
  | { kind: 'wait' }
  /** Paused, stopped or shutting down while a read waited to be retried. */
  | { kind: 'stopped' };

function subjectOf(b: BatchSummary): Subject {
  return {
    workspaceId: b.workspace_id,
    dataclass: b.dataclass_type,
    objectId: b.data_object_id,
    related: b.related_dataclass_type,
  };
}

export function createRunner(options: RunnerOptions): Runner {
  const { ledger } = options;
  const route = options.upstream;
  const upstreamOf = (batch: BatchSummary): Upstream =>
    typeof route === 'function' ? route(batch.id) : route;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  if (options.maxAttempts !== undefined) {
    policy.throttledAttempts = Math.max(1, options.maxAttempts);
    policy.transientAttempts = Math.max(1, options.maxAttempts);
  }
  const chunkSize = Math.min(MAX_IDS_PER_CALL, Math.max(1, options.chunkSize ?? MAX_IDS_PER_CALL));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => undefined);
  const ledgerWaitMs = Math.max(1, options.ledgerWaitMs ?? LEDGER_WAIT_MS);
  const ledgerWaitMaxMs = Math.max(ledgerWaitMs, options.ledgerWaitMaxMs ?? LEDGER_WAIT_MAX_MS);
  const ledgerFile = ledger.db.name;
  const limiter = new AimdLimiter(concurrency, policy.aimdSuccesses);
  const budget = new RetryBudget(policy);
  const subjects = new KeyedQueue();
  const active = new Map<string, Promise<void>>();
  const controls = new Map<string, Control>();
  const rerun = new Set<string>();
  /** Cancelled while their run loop was active: their open items are re-read once it ends. */
  const settleAfter = new Set<string>();
  /** Interruptions the ledger could not record (batchId → reason). */
  const unrecorded = new Map<string, string>();
  let stopping = false;
  const counters = {
    writes: 0,
    retries: 0,
    rereads: 0,
    unknownSettled: 0,
    explainSearches: 0,
    budgetWaits: 0,
    ledgerWaits: 0,
    preReads: 0,
    unchangedIds: 0,
  };

  function delayFor(kind: RetryKind, n: number, retryAfter: string | null): number {
    const hint = parseRetryAfter(retryAfter, now());
    if (options.backoffMs) return options.backoffMs(n + 1, kind, hint);
    return backoffDelay(policy, kind, n, random, hint);
  }

  function controlOf(batchId: string): Control {
    let c = controls.get(batchId);
    if (!c) {
      c = {
        halted: false,
        haltReason: null,
        budgetWait: false,
        waitReason: MSG_BUDGET_WAIT,
        ledgerWait: null,
        ledgerStreak: 0,
        wakers: new Set(),
      };
      controls.set(batchId, c);
    }
    return c;
  }

  /**
   * A ledger write (or the runner) failed: the batch sends nothing more and becomes `interrupted`
   * with the reason. If even that write fails, the reason is kept in memory and logged; the batch
   * row stays `running` and resumes on the next start. Never throws.
   */
  function halt(batchId: string, ctl: Control, err: unknown): void {
    ctl.halted = true;
    if (ctl.haltReason !== null) return;
    const problem = writeProblem(err, ledgerFile);
    if (problem?.transient) {
      // A full disk or another process's write lock: the batch waits, then continues (run).
      ctl.ledgerWait ??= problem;
      return;
    }
    const reason = haltReason(err);
    ctl.haltReason = reason;
    log(`batch ${batchId}: ${reason}`);
    try {
      ledger.transitionBatch(batchId, ['running', 'paused'], 'interrupted', reason);
    } catch (again: unknown) {
      unrecorded.set(batchId, reason);
      const code = sqliteErrorCode(again) ?? (again instanceof Error ? again.message : 'error');
      log(`batch ${batchId}: could not record the interruption either (${code}); kept in memory`);
    }
  }

  function interrupt(batchId: string): void {
    const c = controls.get(batchId);
    if (!c) return;
    for (const wake of [...c.wakers]) wake();
  }

  /**
   * Whether this process lost the DATA_DIR lock (asked just before each send). Lost: the runner
   * stops as on shutdown, at once: no new call, calls in flight recorded, batch rows left running
   * for the server that holds the DATA_DIR now.
   */
  function dataDirLost(): boolean {
    const reason = options.dataDirLost?.() ?? null;
    if (reason === null) return false;
    if (!stopping) {
      log(`this server lost its DATA_DIR lock (${reason}): it sends nothing more`);
      stopping = true;
      for (const id of controls.keys()) interrupt(id);
    }
    return true;
  }

  /** A sleep that pause, cancel and shutdown cut short. */
  async function nap(ms: number, ctl: Control): Promise<void> {
    if (ms <= 0 && !options.sleep) return;
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    ctl.wakers.add(wake);
    try {
      await Promise.race([sleep(ms), woken]);
    } finally {
      ctl.wakers.delete(wake);
    }
  }

  /** Sends a write. The upstream's `call` is invoked synchronously, in the caller's tick (I6). */
  function send(
    batch: BatchSummary,
    call: ClaimedCall,
  ): Promise<UpstreamResponse | UpstreamError | UpstreamRequestError> {
    counters.writes++;
    return upstreamOf(batch)
      .call({
        op: batch.action,
        workspaceId: batch.workspace_id,
        dataclass: batch.dataclass_type,
        objectId: batch.data_object_id,
        related: batch.related_dataclass_type,
        ids: call.ids,
      })
      .catch((err: unknown) => {
        if (err instanceof UpstreamError || err instanceof UpstreamRequestError) return err;
        throw err;
      });
  }

  /** Labels REJECTED outcomes with one follow-up search (and the other classes when needed). */
  async function labelRejected(batch: BatchSummary, outcomes: ItemOutcome[]): Promise<void> {
    const rejected = outcomes.filter((o) => o.code === 'REJECTED').map((o) => o.id);
    if (rejected.length === 0) return;
    counters.explainSearches++;
    const labels = await explainRejected(
      upstreamOf(batch),
      batch.workspace_id,
      batch.related_dataclass_type,
      rejected,
    );
    for (const o of outcomes) {
      const l = labels.get(o.id);
      if (o.code === 'REJECTED' && l) {
        o.code = l.code;
        o.message = l.message;
      }
    }
  }

  /** One read of ≤ 100 IDs: the subject's links (`links`) or the related class (`class`). */
  async function readOnce(
    batch: BatchSummary,
    ids: readonly string[],
    what: 'links' | 'class',
  ): Promise<Verdict | { kind: 'found'; present: Set<string> }> {
    counters.preReads++;
    let result: UpstreamResponse | UpstreamError;
    try {
      result = await upstreamOf(batch).call(
        what === 'links'
          ? {
              op: 'relationSearch',
              workspaceId: batch.workspace_id,
              dataclass: batch.dataclass_type,
              objectId: batch.data_object_id,
              related: batch.related_dataclass_type,
              body: idsSearchBody(ids),
            }
          : {
              op: 'search',
              workspaceId: batch.workspace_id,
              dataclass: batch.related_dataclass_type,
              body: idsSearchBody(ids),
            },
      );
    } catch (err: unknown) {
      if (err instanceof UpstreamError) result = err;
      else if (err instanceof UpstreamRequestError)
        return {
          kind: 'all',
          state: 'failed',
          code: 'INVALID_REQUEST',
          message: err.message,
          status: null,
          requestId: null,
        };
      else throw err;
    }
    if (!(result instanceof UpstreamError) && result.status >= 200 && result.status < 300) {
      const present = foundKeys(result.status, result.body);
      if (present) return { kind: 'found', present };
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
    return judge([], result);
  }

  /**
   * A pre-read with the write path's retry rules (a read changes nothing, so timeouts and resets
   * are simply read again). Entered holding the worker's slot; the slot is given back while it
   * sleeps before a retry.
   */
  async function readWithRetries(
    batch: BatchSummary,
    ids: readonly string[],
    what: 'links' | 'class',
    ctl: Control,
    slot: Slot,
  ): Promise<ReadOutcome> {
    for (let n = 0; ; n++) {
      const v = await readOnce(batch, ids, what);
      if (v.kind === 'found') {
        budget.onSuccess();
        limiter.onSuccess();
        return { kind: 'ok', present: v.present };
      }
      if (v.kind === 'auth') return { kind: 'auth', code: v.code, message: v.message };
      if (v.kind === 'outcomes') throw new Error('a search was judged as a write');
      // A failed read for good (a 4xx): the write would meet the same refusal.
      if (v.kind === 'all' && v.state === 'failed')
        return { kind: 'refused', code: v.code, message: v.message };
      // A timeout or reset of a read ('all' unknown) is simply read again.
      const throttled = v.kind === 'retry' && v.throttled;
      const retryAfter = v.kind === 'retry' ? v.retryAfter : null;
      const timeoutLike = v.kind === 'retry' ? v.timeoutLike : true;
      if (throttled) limiter.onThrottle();
      const cap = throttled ? policy.throttledAttempts : policy.transientAttempts;
      if (stopping) return { kind: 'stopped' };
      if (n + 1 >= cap || !budget.tryAcquire(timeoutLike)) return { kind: 'wait' };
      const delay = delayFor(throttled ? 'throttled' : 'transient', n, retryAfter);
      limiter.release();
      slot.held = false;
      await nap(delay, ctl);
      await limiter.acquire();
      slot.held = true;
      if (stopping || ctl.halted || ledger.getBatchState(batch.id) !== 'running')
        return { kind: 'stopped' };
    }
  }

  /**
   * Feeds a batch's workers during one run: reads which pending IDs are already in the asked state
   * (the subject's links; for a cancel, IDs not linked are looked up in the related class, so that
   * an unknown ID is still sent and SecMaster's refusal explained), records those `unchanged`
   * without sending them, and claims the others in calls of up to `chunkSize`. Reads are of
   * `chunkSize` IDs; IDs read but not yet claimed wait in memory (still pending in the ledger, so a
   * crash only means reading them again). Workers share one feed; every step between awaits is
   * synchronous, so two workers never take the same row.
   */
  function makeFeed(batch: BatchSummary, ctl: Control) {
    let cursor = -1;
    let exhausted = false;
    /** Reads under way in other workers: their IDs may still fill a call. */
    let reading = 0;
    const ready: PendingRow[] = [];
    /** When the oldest row waiting in `ready` was read (null when none waits). */
    let readyAt: number | null = null;
    const toReady = (r: PendingRow) => {
      if (ready.length === 0) readyAt = now();
      ready.push(r);
    };
    const settled: SettledRow[] = [];
    const associate = batch.action === 'associate';

    /** Reads the next rows; false when the batch must stop or wait. */
    async function fill(slot: Slot): Promise<boolean> {
      const rows = ledger.peekPending(batch.id, cursor, chunkSize);
      const last = rows.at(-1);
      if (!last) {
        exhausted = true;
        return true;
      }
      cursor = last.seq;
      reading++;
      try {
        return await classify(rows, slot);
      } finally {
        reading--;
      }
    }

    async function classify(rows: PendingRow[], slot: Slot): Promise<boolean> {
      const links = await readWithRetries(
        batch,
        rows.map((r) => r.id),
        'links',
        ctl,
        slot,
      );
      if (links.kind !== 'ok') return readFailed(links, rows);
      const notLinked: PendingRow[] = [];
      for (const r of rows) {
        const linked = links.present.has(idKey(r.id));
        if (linked && associate) settled.push(alreadySo(r, UNCHANGED_ALREADY_LINKED));
        else if (linked || associate) toReady(r);
        else notLinked.push(r);
      }
      if (notLinked.length === 0) return true;
      // Cancel: an existing ID that is not linked is unchanged; an ID not found as the related
      // class is sent, so that SecMaster's refusal is recorded and explained as for any write.
      const found = await readWithRetries(
        batch,
        notLinked.map((r) => r.id),
        'class',
        ctl,
        slot,
      );
      if (found.kind !== 'ok') return readFailed(found, notLinked);
      for (const r of notLinked) {
        if (found.present.has(idKey(r.id))) settled.push(alreadySo(r, UNCHANGED_NOT_LINKED));
        else toReady(r);
      }
      return true;
    }

    /**
     * A row found already in the asked state. Never sent by this batch: `unchanged`. Sent before
     * (an earlier attempt whose outcome was not known, then put back to pending): this batch's own
     * write did it, since every ID is read before its first send: `succeeded`.
     */
    function alreadySo(r: PendingRow, was: { code: string; message: string }): SettledRow {
      if (r.attempts > 0)
        return { seq: r.seq, state: 'succeeded', code: 'APPLIED_EARLIER', message: MSG_CONFIRMED };
      return { seq: r.seq, state: 'unchanged', ...was };
    }

    function readFailed(
      outcome: Exclude<ReadOutcome, { kind: 'ok' }>,
      rows: PendingRow[],
    ): boolean {
      switch (outcome.kind) {
        case 'auth':
          // Nothing was sent; the IDs stay pending. Never retried (AK/SK lockout risk).
          ledger.transitionBatch(
            batch.id,
            ['running', 'paused'],
            'interrupted',
            `SecMaster refused the console's credentials (${outcome.code}${outcome.message ? `: ${outcome.message}` : ''}); the batch stopped and its unsent IDs stay pending`,
          );
          ctl.halted = true;
          return false;
        case 'refused':
          for (const r of rows)
            settled.push({
              seq: r.seq,
              state: 'failed',
              code: outcome.code,
              message: readRefusedMessage(outcome.message || outcome.code),
            });
          return true;
        case 'wait':
          // These rows stay pending; the next round (after the wait) reads them again.
          ctl.budgetWait = true;
          ctl.waitReason = MSG_READ_WAIT;
          return false;
        case 'stopped':
          // Paused, stopped or shutting down: the rows stay pending, read again on resume.
          return false;
      }
    }

    /** Commits the ready work: a call (sent in the same tick) and/or the settled rows. */
    function commit(): Started | null | 'stopped' {
      if (dataDirLost()) return 'stopped';
      const toSend = ready.splice(0, chunkSize);
      if (ready.length === 0) readyAt = null;
      const settle = settled.splice(0);
      const claimed = ledger.claimPreRead(batch.id, toSend, settle);
      if (!claimed) return 'stopped';
      if (ctl.ledgerStreak > 0) {
        // The ledger takes this batch's writes again, after a wait for it.
        ctl.ledgerStreak = 0;
        ledger.health.report(healthSource(batch.id), null);
        log(`batch ${batch.id}: the ledger takes its writes again; continuing`);
      }
      counters.unchangedIds += settle.filter((r) => r.state === 'unchanged').length;
      if (!claimed.call) return null;
      return { call: claimed.call, pending: send(batch, claimed.call) };
    }

    return {
      /** The next call, sent; null when nothing is left to send in this run (or it must stop). */
      async next(slot: Slot): Promise<Started | null> {
        for (;;) {
          if (stopping || ctl.halted || ctl.budgetWait) return null;
          // At the end, a worker whose read is still under way fills the last call: no half-empty
          // calls while another read may complete them.
          if (exhausted && reading > 0 && ready.length < chunkSize) return null;
          // IDs read more than MAX_READY_AGE_MS ago go out in a partial call rather than wait for
          // more reads (the gap between an ID's read and its write stays short: the race).
          const stale = readyAt !== null && now() - readyAt >= MAX_READY_AGE_MS;
          if (
            ready.length >= chunkSize ||
            (stale && ready.length > 0) ||
            (exhausted && ready.length + settled.length > 0)
          ) {
            const started = commit();
            if (started === 'stopped') return null;
            if (started) return started;
            continue;
          }
          if (exhausted) return null;
          if (!(await fill(slot))) {
            // Rows settled before the stop (a refused read) are still recorded.
            if (settled.length > 0 && !ctl.halted) {
              const keep = ready.splice(0);
              commit();
              ready.push(...keep);
            }
            return null;
          }
          if (settled.length >= chunkSize && ready.length < chunkSize) {
            // Many IDs already in the asked state: record them without waiting for a full call.
            const keep = ready.splice(0);
            const done = commit();
            ready.push(...keep);
            if (done === 'stopped') return null;
          }
        }
      },
    };
  }

  /**
   * One call chain: entered holding a limiter slot (released on return), its first write already
   * sent. Retries re-send the same IDs under a new call_id after a backoff during which the slot is
   * given back.
   */
  async function runCall(
    batch: BatchSummary,
    first: Started,
    ctl: Control,
    slot: Slot,
  ): Promise<void> {
    let call = first.call;
    let held = slot.held;
    try {
      let pending = first.pending;
      for (let n = 0; ; n++) {
        const result = await pending;
        const meta = (v: {
          status: number | null;
          requestId: string | null;
          code: string | null;
        }) => ({
          httpStatus: v.status,
          requestId: v.requestId,
          errorCode: v.code,
        });
        if (result instanceof UpstreamRequestError) {
          ledger.recordOutcome(
            call.callId,
            call.ids.map((id) => ({
              id,
              state: 'failed',
              code: 'INVALID_REQUEST',
              message: result.message,
            })),
            { httpStatus: null, requestId: null, errorCode: 'INVALID_REQUEST' },
          );
          return;
        }
        const v = judge(call.ids, result);
        switch (v.kind) {
          case 'outcomes': {
            budget.onSuccess();
            limiter.onSuccess();
            await labelRejected(batch, v.outcomes);
            const changed = ledger.recordOutcome(call.callId, v.outcomes, meta(v));
            if (changed < call.ids.length)
              log(
                `call ${call.callId}: ${call.ids.length - changed} outcomes ignored (superseded)`,
              );
            return;
          }
          case 'all':
            ledger.recordOutcome(
              call.callId,
              call.ids.map((id) => ({ id, state: v.state, code: v.code, message: v.message })),
              meta(v),
            );
            return;
          case 'auth':
            // Not applied upstream: the IDs go back to pending; never retried (AK/SK lockout risk).
            ledger.releaseCall(call.callId, meta(v));
            ledger.transitionBatch(
              batch.id,
              ['running', 'paused'],
              'interrupted',
              `SecMaster refused the console's credentials (${v.code}${v.message ? `: ${v.message}` : ''}); the batch stopped and its unsent IDs stay pending`,
            );
            ctl.halted = true;
            return;
          case 'retry': {
            if (v.throttled) limiter.onThrottle();
            const cap = v.throttled ? policy.throttledAttempts : policy.transientAttempts;
            if (n + 1 >= cap) {
              // Retries used up. A 5xx may have been applied: re-read before calling it failed.
              ledger.recordOutcome(
                call.callId,
                call.ids.map((id) => ({
                  id,
                  state: v.mayBeApplied ? 'unknown' : 'failed',
                  code: v.code,
                  message: v.message,
                })),
                meta(v),
              );
              return;
            }
            // The call will not be retried now (pause, stop, shutdown, empty budget). Refused
            // before being applied (429, a connect failure): its IDs go back to pending. A 5xx may
            // have been applied: its IDs are unknown, settled by a re-read before anything else
            // (never sent again blindly, never read as "already so" by the next pre-read).
            const giveBack = () => {
              if (!v.mayBeApplied) return ledger.releaseCall(call.callId, meta(v));
              return ledger.recordOutcome(
                call.callId,
                call.ids.map((id) => ({
                  id,
                  state: 'unknown',
                  code: 'MAY_BE_APPLIED',
                  message: `${v.message}; may have been applied: re-read before sending again`,
                })),
                meta(v),
              );
            };
            if (stopping || ledger.getBatchState(batch.id) !== 'running') {
              giveBack();
              return;
            }
            if (!budget.tryAcquire(v.timeoutLike)) {
              // Circuit open: the IDs wait (not failed) and the batch waits.
              giveBack();
              ctl.budgetWait = true;
              return;
            }
            const delay = delayFor(v.throttled ? 'throttled' : 'transient', n, v.retryAfter);
            limiter.release();
            held = false;
            await nap(delay, ctl);
            await limiter.acquire();
            held = true;
            // From here to the send, no await: a pause or cancel either precedes the check or
            // follows the send (I6).
            const next = stopping || dataDirLost() ? null : ledger.retryCall(call.callId);
            if (!next) {
              giveBack();
              return;
            }
            call = next;
            counters.retries++;
            pending = send(batch, call);
            break;
          }
        }
      }
    } catch (err: unknown) {
      // A failed outcome write leaves the call's items in_flight (its intent is committed): they
      // are re-read as unknown on resume (strandInFlight) or restart (recoverAfterCrash). A failed
      // retry intent sends nothing.
      halt(batch.id, ctl, err);
    } finally {
      if (held) limiter.release();
      slot.held = false;
    }
  }

  /** One re-read of ≤ 100 IDs, retried within the budget; null when it could not be done. */
  async function rereadWithRetry(
    batch: BatchSummary,
    ids: readonly string[],
    ctl: Control,
  ): Promise<Set<string> | null> {
    for (let n = 0; n < policy.rereadAttempts; n++) {
      if (n > 0) {
        if (!budget.tryAcquire(false)) return null;
        await nap(delayFor('transient', n - 1, null), ctl);
        if (stopping) return null;
      }
      await limiter.acquire();
      let res;
      try {
        counters.rereads++;
        res = await rereadLinks(upstreamOf(batch), subjectOf(batch), ids);
      } finally {
        limiter.release();
      }
      if (res.ok) {
        budget.onSuccess();
        return res.present;
      }
      if (res.throttled) limiter.onThrottle();
    }
    return null;
  }

  /**
   * Settles the batch's unknown items by re-reading the links (B3). Associate: present →
   * succeeded, absent → pending (re-sent) or failed (5xx with retries used up, or too many sends).
   * Cancel: the inverse. Unsettled items keep "Outcome unknown — re-check".
   */
  async function reconcile(batch: BatchSummary, ctl: Control): Promise<void> {
    let after = -1;
    for (;;) {
      if (stopping) return;
      const rows = ledger.unknownIds(batch.id, MAX_IDS_PER_CALL, after);
      const last = rows.at(-1);
      if (!last) return;
      after = last.seq;
      const ids = rows.map((r) => r.id);
      const present = await rereadWithRetry(batch, ids, ctl);
      if (!present) {
        ledger.markUnknownUnsettled(batch.id, ids);
        continue;
      }
      const items = new Map(ledger.listItemsByIds(batch.id, ids).map((i) => [i.id, i] as const));
      const succeeded: string[] = [];
      const resend: string[] = [];
      const failed: { id: string; code: string | null; message: string | null }[] = [];
      for (const id of ids) {
        const linked = present.has(idKey(id));
        const applied = batch.action === 'associate' ? linked : !linked;
        const item = items.get(id);
        if (applied) succeeded.push(id);
        else if (item && !RESEND_WHEN_ABSENT.has(item.code ?? '')) {
          failed.push({ id, code: item.code, message: item.message });
        } else if ((item?.attempts ?? 0) >= policy.maxSendsPerId) {
          failed.push({
            id,
            code: 'NOT_APPLIED',
            message: `not applied after ${item?.attempts ?? 0} attempts (${item?.code ?? 'unknown outcome'}; confirmed by re-read)`,
          });
        } else resend.push(id);
      }
      counters.unknownSettled += ledger.settleUnknown(batch.id, { succeeded, resend, failed });
    }
  }

  /** One batch at a time per workspace + subject + related class (B1). */
  function subjectKey(batch: BatchSummary): string {
    return [
      batch.workspace_id,
      batch.dataclass_type,
      batch.data_object_id,
      batch.related_dataclass_type,
    ].join('/');
  }

  async function run(batchId: string): Promise<void> {
    const first = ledger.getBatch(batchId);
    if (!first || first.state !== 'running') return;
    const batch = first;
    const release = await subjects.acquire(subjectKey(batch));
    const ctl = controlOf(batchId);
    ctl.haltReason = null;
    try {
      for (;;) {
        ctl.halted = false;
        ctl.ledgerWait = null;
        try {
          await runUntilStopped(batch, ctl);
        } catch (err: unknown) {
          halt(batchId, ctl, err);
        }
        if (ctl.ledgerWait === null || ctl.haltReason !== null || stopping) break;
        if (!(await waitForLedger(batchId, ctl))) break;
      }
    } finally {
      ledger.health.report(healthSource(batchId), null);
      release();
    }
  }

  /**
   * Sends the batch's pending IDs until none is left, or until it stops: paused, cancelled,
   * shutdown, halted on an error (`ctl.ledgerWait` set when the ledger cannot be written for now).
   */
  async function runUntilStopped(batch: BatchSummary, ctl: Control): Promise<void> {
    const batchId = batch.id;
    // Calls of an earlier run (or of this one, before a wait for the ledger) whose outcome could not
    // be recorded: nothing awaits them any more.
    ledger.strandInFlight(batchId);
    for (;;) {
      if (stopping || ledger.getBatchState(batchId) !== 'running') return;
      await reconcile(batch, ctl);
      ctl.budgetWait = false;
      ctl.waitReason = MSG_BUDGET_WAIT;
      const feed = makeFeed(batch, ctl);
      const worker = async (): Promise<void> => {
        for (;;) {
          if (stopping || ctl.halted || ctl.budgetWait) return;
          await limiter.acquire();
          const slot: Slot = { held: true };
          let started: Started | null = null;
          try {
            started = await feed.next(slot);
          } catch (err: unknown) {
            // A failed T1 (rolled back) sends nothing for its rows.
            halt(batchId, ctl, err);
          } finally {
            if (!started && slot.held) limiter.release();
          }
          if (!started) return;
          await runCall(batch, started, ctl, slot);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      if (stopping || ctl.halted) return;
      if (ctl.budgetWait && ledger.getBatchState(batchId) === 'running') {
        counters.budgetWaits++;
        ledger.setStateReason(batchId, ctl.waitReason);
        log(`batch ${batchId}: ${ctl.waitReason} (${policy.budgetWaitMs} ms)`);
        await nap(policy.budgetWaitMs, ctl);
        if (ledger.getBatchState(batchId) === 'running') ledger.setStateReason(batchId, null);
        continue;
      }
      const state = ledger.getBatchState(batchId);
      if (state !== 'running') {
        // Cancelled: the calls that were in flight may have left unknown items; reads are fine.
        if (state === 'cancelled') await reconcile(batch, ctl);
        return;
      }
      await reconcile(batch, ctl);
      if (stopping) return;
      if (ledger.counts(batchId).pending > 0) continue;
      ledger.finishIfDrained(batchId);
      return;
    }
  }

  /**
   * The ledger cannot be written for now (a full disk, another process's write lock held longer
   * than busy_timeout): every worker has stopped, so nothing is sent. The batch stays `running` and
   * says why (its state reason when the ledger takes it, and /api/health until it claims a call
   * again). After a pause that doubles up to ledgerWaitMaxMs while the batch makes no progress, it
   * tries a small write (on a full disk, only once the file system has room again); once one
   * passes it continues by itself, re-reading first the calls whose outcome could not be recorded.
   * Pause, stop and shutdown end the wait. True when the batch should continue.
   */
  async function waitForLedger(batchId: string, ctl: Control): Promise<boolean> {
    let problem = ctl.ledgerWait;
    if (problem === null) return true;
    counters.ledgerWaits++;
    if (ctl.ledgerStreak === 0) log(`batch ${batchId}: ${problem.reason}; waiting`);
    /**
     * A small write that never waits for a lock: null when it passed, the problem when it is still
     * there; any other error interrupts the batch (halt).
     */
    const tryWrite = (reason: string | null, was: WriteProblem): WriteProblem | null => {
      try {
        ledger.noWait(() => ledger.setStateReason(batchId, reason));
        return null;
      } catch (err: unknown) {
        const p = writeProblem(err, ledgerFile);
        if (p?.transient) return p;
        halt(batchId, ctl, err);
        return was;
      }
    };
    tryWrite(ledgerWaitReason(problem.reason), problem);
    while (problem !== null) {
      if (ctl.haltReason !== null) return false;
      ledger.health.report(healthSource(batchId), problem.reason);
      await nap(Math.min(ledgerWaitMs * 2 ** ctl.ledgerStreak, ledgerWaitMaxMs), ctl);
      ctl.ledgerStreak++;
      if (stopping || !isRunning(batchId)) return false;
      if (problem.kind === 'full' && diskFull(dirname(ledgerFile))) continue;
      problem = tryWrite(null, problem);
    }
    return true;
  }

  /** The batch's entry in the ledger's health while it waits for the ledger. */
  function healthSource(batchId: string): string {
    return `batch ${batchId}`;
  }

  /** The batch row says `running` (false when the ledger cannot be read). */
  function isRunning(batchId: string): boolean {
    try {
      return ledger.getBatchState(batchId) === 'running';
    } catch {
      return false;
    }
  }

  /**
   * Set while start-up recovery has not run yet (it may wait for a full disk or another process's
   * write lock, with the server already answering): recovery marks every `in_flight` item of the
   * ledger unknown, so a batch started or resumed meanwhile waits for it, or the outcomes of its
   * calls in flight would be thrown away and its IDs sent again.
   */
  let recovery: Promise<void> | null = null;

  function start(batchId: string): Promise<void> {
    if (recovery) {
      log(`batch ${batchId} starts once start-up recovery has run`);
      return recovery.then(() => start(batchId));
    }
    const existing = active.get(batchId);
    if (existing) {
      rerun.add(batchId);
      return existing;
    }
    if (stopping) return Promise.resolve();
    return track(
      batchId,
      () => run(batchId),
      (err) => {
        const message = err instanceof Error ? err.message : String(err);
        log(`batch ${batchId} stopped on an internal error: ${message}`);
        try {
          ledger.transitionBatch(batchId, ['running'], 'interrupted', `internal error: ${message}`);
        } catch {
          // the ledger itself is failing; the batch stays running and resumes on restart
        }
      },
    );
  }

  /**
   * Runs `work` as the batch's one task in this process (in `active`).
   * When it ends the batch leaves `active` and, in the same step (so whenIdle sees it), a re-read
   * asked for by a cancel or a start asked for meanwhile follows.
   */
  function track(
    batchId: string,
    work: () => Promise<void>,
    onError: (err: unknown) => void,
  ): Promise<void> {
    const p = work()
      .catch(onError)
      .finally(() => {
        active.delete(batchId);
        controls.delete(batchId);
        if (settleAfter.delete(batchId)) void settleCancelled(batchId);
        if (rerun.delete(batchId) && !stopping && !unrecorded.has(batchId) && isRunning(batchId))
          void start(batchId);
      });
    active.set(batchId, p);
    return p;
  }

  /**
   * A cancelled batch's open items — `unknown` (a crash lost the outcome of calls in flight when it
   * was cancelled) or `in_flight` from a run that stopped without recording an outcome — are
   * re-read and settled by the same rules as a running batch's (applied → succeeded; not applied →
   * skipped, or failed when the ID had already failed for good or was sent too often); nothing is
   * sent. IDs the re-read cannot reach keep "re-check" until the next start. Runs after the
   * batch's run loop, if one is still active.
   */
  function settleCancelled(batchId: string): Promise<void> {
    const existing = active.get(batchId);
    if (existing) {
      // Runs when that task ends (track).
      settleAfter.add(batchId);
      return existing;
    }
    if (stopping) return Promise.resolve();
    const batch = ledger.getBatch(batchId);
    if (!batch || batch.state !== 'cancelled') return Promise.resolve();
    if (batch.counts.unknown + batch.counts.in_flight === 0) return Promise.resolve();
    return track(
      batchId,
      async () => {
        const release = await subjects.acquire(subjectKey(batch));
        try {
          // No call of this batch is awaited any more (it is not active): in_flight is unknown.
          ledger.strandInFlight(batchId);
          await reconcile(batch, controlOf(batchId));
        } finally {
          release();
        }
      },
      (err) =>
        log(
          `batch ${batchId}: re-reading its unknown items failed: ${err instanceof Error ? err.message : String(err)}`,
        ),
    );
  }

  return {
    start,
    async resumeAll(first) {
      unrecorded.clear();
      let openGate: () => void = () => undefined;
      recovery = new Promise<void>((resolve) => {
        openGate = () => {
          recovery = null;
          resolve();
        };
      });
      // Recovery writes too: on a full disk or a ledger write-locked elsewhere it waits, like a batch.
      let recovered: { running: string[]; cancelled: string[] } | null = null;
      for (let n = 0; !recovered && !stopping; n++) {
        try {
          first?.();
          recovered = {
            // Without waiting for another process's write lock: the server already answers, and a
            // blocked write would stall it for the busy timeout on every try.
            running: ledger.noWait(() => ledger.recoverAfterCrash()),
            cancelled: ledger.cancelledWithUnknown(),
          };
          ledger.health.report('start-up recovery', null);
        } catch (err: unknown) {
          const problem = writeProblem(err, ledgerFile);
          if (!problem?.transient) {
            log(`start-up recovery failed: ${err instanceof Error ? err.message : String(err)}`);
            ledger.health.report(
              'start-up recovery',
              problem?.reason ?? 'start-up recovery failed',
            );
            openGate();
            return;
          }
          ledger.health.report('start-up recovery', problem.reason);
          if (n === 0) log(`start-up recovery: ${problem.reason}; waiting`);
          await sleep(Math.min(ledgerWaitMs * 2 ** n, ledgerWaitMaxMs));
        }
      }
      openGate();
      if (!recovered) return;
      await Promise.all([
        ...recovered.running.map((id) => start(id)),
        ...recovered.cancelled.map(settleCancelled),
      ]);
    },
    async whenIdle(batchId) {
      for (let p = active.get(batchId); p; p = active.get(batchId)) await p;
    },
    async stop() {
      stopping = true;
      for (const id of controls.keys()) interrupt(id);
      await Promise.all([...active.values()]);
    },
    pause(batchId) {
      const ok = ledger.transitionBatch(batchId, ['running'], 'paused', 'paused by the user');
      if (ok) interrupt(batchId);
      return ok;
    },
    resume(batchId) {
      // An interruption only held in memory: the row still says running.
      const inMemory = unrecorded.has(batchId) && isRunning(batchId);
      if (inMemory) unrecorded.delete(batchId);
      const ok =
        inMemory || ledger.transitionBatch(batchId, ['paused', 'interrupted'], 'running', null);
      if (ok && !stopping) void start(batchId);
      return ok;
    },
    cancel(batchId) {
      const ok = ledger.cancelBatch(batchId);
      if (ok) interrupt(batchId);
      // Items left open (a crash, or a run that stopped early) are re-read once no run loop is
      // left for this batch: now, or when the one still active has ended.
      if (ok) void settleCancelled(batchId);
      return ok;
    },
    unrecordedInterruption: (batchId) => unrecorded.get(batchId) ?? null,
    stats: () => ({
      ...counters,
      budgetTokens: budget.available,
      concurrencyLimit: limiter.limit,
      peakInFlight: limiter.peak,
    }),
  };
}
