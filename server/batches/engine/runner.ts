/**
 * The batch runner: sends a batch's pending IDs upstream in chunks of at most 100 and records each
 * ID's outcome in the ledger. This module schedules: which batches run (start, resume, pause,
 * cancel, start-up recovery, shutdown), one at a time per subject, their workers under one
 * concurrency window, and the waits of a batch (retry budget empty, ledger not writable). What a
 * call does is in call-chain.ts, the reads before writing in feed.ts and pre-read.ts, the re-reads
 * of unknown outcomes in reread.ts; the rules they follow are the pure verdict.ts and settle.ts.
 *
 * - Concurrency: a window per credential (per pacer; limiter.ts) shared by every batch on it, each
 *   at most `concurrency`; a worker takes its pacer's permit before its slot (paced-slot.ts), two
 *   workers per slot (WORKERS_PER_SLOT: one claims while the other's call is in flight);
 *   batches on the same workspace, subject and related class run one at a time, in creation order.
 * - Retries (retry.ts): throttling and transient failures, capped exponential backoff with full
 *   jitter, Retry-After honoured, a shared retry budget; an empty budget makes the batch wait with
 *   its IDs pending, never fail.
 * - Unknown outcomes (timeout after sending, reset, unreadable 200, crash, 5xx retries used up) are
 *   settled by re-reading the subject's links.
 */
import { dirname } from 'node:path';
import { MAX_IDS_PER_CALL, type BatchPace, type BatchSummary } from '../../../src/api/schemas';
import { LeaseLostError } from '../../db/leases';
import { sqliteStore, type LedgerStore } from '../../db/store';
import type { Upstream } from '../../secmaster/client';
import { sqliteErrorCode, type Ledger } from '../ledger';
import { KeyedQueue, LimiterPool, type UpstreamSlots } from '../limiter';
import {
  DEFAULT_RETRY_POLICY,
  RetryBudget,
  backoffDelay,
  parseRetryAfter,
  type RetryKind,
  type RetryPolicy,
  type RetryQuota,
} from '../retry';
import { diskFull, writeProblem, type WriteProblem } from '../storage-health';
import { WalSyncError } from '../wal-sync';
import { runCallChain } from './call-chain';
import {
  newControl,
  NO_STORAGE,
  type Control,
  type Counters,
  type Engine,
  type LedgerStorage,
  type Started,
} from './context';
import { makeFeed } from './feed';
import { acquireSlot, newSlot, releaseSlot } from './paced-slot';
import {
  LEDGER_WAIT_MAX_MS,
  LEDGER_WAIT_MS,
  batchHealthSource,
  ledgerWaitReason,
  waitForLedger,
  type LedgerTry,
} from './ledger-wait';
import { settleUnknown } from './reread';
import { haltReason } from './settle';

/** Why a batch stopped quietly: another console runs it now (RunnerOptions.mayRun). */
export const MSG_NOT_OURS = 'this process no longer runs the batch (its lease is lost)';

const MSG_BUDGET_WAIT =
  'waiting: SecMaster keeps refusing calls and the retry budget is spent; the batch continues by itself';

export interface RunnerOptions {
  /**
   * The ledger: every read and write of it goes through the store (`sqliteStore` over the SQLite
   * ledger; PostgreSQL's, server/db/pg-store.ts). Its answers are awaited: what the runner checks
   * before it acts is checked again by the store's write where it matters (a claim, a retry, a
   * transition only while the batch runs), see the comments at each.
   */
  store: LedgerStore;
  /**
   * What is the storage's own: SQLite's (`sqliteStorage`: the DATA_DIR's health, the file's write
   * lock, the file). A console on PostgreSQL passes its own, or none (NO_STORAGE, context.ts).
   */
  storage?: LedgerStorage;
  /**
   * Where calls go: one Upstream for every batch, or each batch's own (its credential, looked up
   * for every call since a sign-in may end mid-batch).
   */
  upstream: Upstream | ((batchId: string) => Upstream);
  /** Calls in flight at once (the AIMD maximum), shared by all batches of this runner. */
  concurrency: number;
  /**
   * The account's upstream slots, shared with the other consoles on one PostgreSQL
   * (`SharedUpstreamSlots`, shared-upstream.ts): a call holds one besides its window's slot.
   * Default: none, the windows alone (SQLite: one console).
   */
  upstreamSlots?: UpstreamSlots;
  /**
   * The retry budget, made from the runner's retry policy. Default: the runner's own, in memory
   * (`RetryBudget`); the consoles on one PostgreSQL share one (`SharedRetryBudget`).
   */
  retryBudget?: (policy: RetryPolicy) => RetryQuota;
  /** Retry knobs; defaults: DEFAULT_RETRY_POLICY (retry.ts). */
  retry?: Partial<RetryPolicy>;
  /** Shorthand: attempts per call chain for both throttling and transient failures. */
  maxAttempts?: number;
  /** IDs per call; at most MAX_IDS_PER_CALL. */
  chunkSize?: number;
  /** Replaces the backoff of retry.ts (tests): delay before retry number `retry` (1-based). */
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
  /**
   * Asked per batch in the tick of every send (a write, a read before writing, a re-read): false
   * once this process may no longer run the batch, as a console that lost its lease on it
   * (server/db/leases.ts). The batch then stops at once and quietly: nothing more is sent and
   * nothing written for it (the console running it now owns its rows): its calls in flight stay in
   * flight, to be re-read by that console, and an error meanwhile (the fence refusing a write,
   * `LeaseLostError`) does not mark it interrupted. Default: every batch may run.
   */
  mayRun?: (batchId: string) => boolean;
  /**
   * Told each time a batch's task in this process ends (it finished, paused, was stopped or
   * interrupted, or the runner stops), once whatever follows it (a re-read, a restart) was started:
   * what depends on a batch ending (a move's second phase) goes on from here. Never throws.
   */
  onIdle?: (batchId: string) => void;
}

/**
 * Children of one group (a pairs file's subjects, a move's phases) run at most this many at a
 * time, whichever way they start: a new group, a group resumed, start-up recovery. The next starts
 * when one stops. All of them at once (1,000 subjects of a pairs file) queued 2,000 workers on the
 * shared concurrency window, FIFO: a child that had sent its one call waited behind every other
 * child to learn it was done, so all 1,000 finished together at the end, in one multi-second burst
 * of ledger commits that held the event loop (docs/performance.md, "Run: 100,000 pairs").
 * Sixteen keeps any concurrency (at most 16) busy while the next children start.
 */
export const CHILDREN_AT_ONCE = 16;

/**
 * Workers per slot of a batch's window: a worker's call holds its slot only while it is in flight,
 * and between two calls the worker writes its claim (an intent the ledger answers once it is
 * durable: SQLite's log flush, a PostgreSQL commit) with no slot held. With one worker per slot
 * that slot sat idle through every claim (on PostgreSQL about 15 ms of database time per call added
 * to SecMaster's); a second worker reads and claims while the first's call is in flight, so the
 * window stays busy with calls. The calls in flight stay at most the window: a claimed call is sent
 * only with a slot (feed.ts, slotAgain).
 */
export const WORKERS_PER_SLOT = 2;

export interface RunnerStats extends Counters {
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
  resumeAll(first?: () => void | Promise<void>): Promise<void>;
  /** Resolves when the batch is not being run (at once if it is not). */
  whenIdle(batchId: string): Promise<void>;
  /** Shutdown: stops claiming new chunks and waits for the calls in flight to be recorded. */
  stop(): Promise<void>;
  /**
   * running → paused: no new call is sent once this resolves; calls in flight finish and are
   * recorded. False when the batch was not running.
   */
  pause(batchId: string): Promise<boolean>;
  /** paused | interrupted → running: pending IDs continue (unknown ones are re-read first). */
  resume(batchId: string): Promise<boolean>;
  /**
   * This process no longer runs the batch (its lease is lost: RunnerOptions.mayRun): its run stops
   * at once, quietly (nothing more is sent or written for it; calls in flight stay in flight), and
   * the promise of `start` settles once its workers have returned. Nothing when it is not running.
   */
  abandon(batchId: string, reason: string): void;
  /**
   * Re-reads the open items (`unknown`, `in_flight`) of a cancelled batch and settles them, sending
   * nothing (as after a cancel, and start-up recovery for cancelled batches): for a console that
   * takes over a cancelled batch whose items were left open. Never rejects.
   */
  settleCancelled(batchId: string): Promise<void>;
  /**
   * User stop: running | paused | interrupted → cancelled. Pending IDs become `skipped` in the same
   * transaction; calls in flight are recorded when they answer; no write is sent once this
   * resolves.
   */
  cancel(batchId: string): Promise<boolean>;
  /**
   * A batch this runner stopped on a ledger error but could not mark `interrupted` (the state write
   * failed too): the reason, kept in memory until resume or restart; null otherwise.
   */
  unrecordedInterruption(batchId: string): string | null;
  /**
   * A resume's first step: when this runner holds the batch's interruption in memory only and its
   * row still says `running`, the interruption is forgotten and true is answered (the caller starts
   * the batch, no state to write); false otherwise (the caller writes paused | interrupted →
   * running).
   */
  forgetUnrecorded(batchId: string): Promise<boolean>;
  /**
   * A batch running here whose calls are paced: the calls/s its credential uses now (every batch
   * and read on it) and the limit learned (or configured); null otherwise.
   */
  paceOf(batchId: string): BatchPace | null;
  stats(): RunnerStats;
}

export type { BatchPace };

/** SQLite's own storage for the runner (see LedgerStorage): the DATA_DIR's health, lock, file. */
export function sqliteStorage(ledger: Ledger): LedgerStorage {
  return {
    report: (source, reason) => ledger.health.report(source, reason),
    noWait: (write) => ledger.noWait(write),
    file: ledger.db.name,
  };
}

/** The runner's store and storage over the SQLite ledger. */
export function onSqlite(ledger: Ledger): Pick<RunnerOptions, 'store' | 'storage'> {
  return { store: sqliteStore(ledger), storage: sqliteStorage(ledger) };
}

export function createRunner(options: RunnerOptions): Runner {
  const { store } = options;
  const storage = options.storage ?? NO_STORAGE;
  const route = options.upstream;
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
  /** What a failed ledger write means (a full disk, a held write lock...), when the storage says. */
  const problemOf = (err: unknown): WriteProblem | null =>
    storage.problemOf
      ? storage.problemOf(err)
      : storage.file === null
        ? null
        : writeProblem(err, storage.file);
  const limiters = new LimiterPool(concurrency, policy.aimdSuccesses);
  const budget = options.retryBudget?.(policy) ?? new RetryBudget(policy);
  const subjects = new KeyedQueue();
  const active = new Map<string, Promise<void>>();
  const controls = new Map<string, Control>();
  const rerun = new Set<string>();
  /** Cancelled while their run loop was active: their open items are re-read once it ends. */
  const settleAfter = new Set<string>();
  /** Interruptions the ledger could not record (batchId → reason). */
  const unrecorded = new Map<string, string>();
  /** Per group: children running now, and those waiting for their turn (CHILDREN_AT_ONCE). */
  const lanes = new Map<string, { running: number; waiting: (() => void)[] }>();
  let stopping = false;
  const counters: Counters = {
    writes: 0,
    retries: 0,
    rereads: 0,
    unknownSettled: 0,
    explainSearches: 0,
    budgetWaits: 0,
    ledgerWaits: 0,
    preReads: 0,
    unchangedIds: 0,
    throttled: 0,
    throttleWaits: 0,
  };

  function controlOf(batchId: string): Control {
    let c = controls.get(batchId);
    if (!c) {
      c = newControl(MSG_BUDGET_WAIT);
      controls.set(batchId, c);
    }
    return c;
  }

  /**
   * A ledger write (or the runner) failed: the batch sends nothing more and becomes `interrupted`
   * with the reason. If even that write fails, the reason is kept in memory and logged; the batch
   * row stays `running` and resumes on the next start. Never rejects. `halted` and the reason are
   * set before the write's await: the batch's other workers stop at once, and a second error
   * (another worker's) leaves the first reason.
   */
  async function halt(batchId: string, ctl: Control, err: unknown): Promise<void> {
    ctl.halted = true;
    if (ctl.haltReason !== null) return;
    // The batch is no longer this process's to run (the fence refused the write, or the lease is
    // gone): the console running it now owns its rows, so nothing is written here, not even the
    // interruption.
    if (err instanceof LeaseLostError || !mayRun(batchId, ctl)) {
      dropBatch(batchId, ctl, MSG_NOT_OURS);
      return;
    }
    const problem = problemOf(err);
    if (problem?.transient) {
      // A full disk or another process's write lock: the batch waits, then continues (run).
      ctl.ledgerWait ??= problem;
      return;
    }
    // A failed flush of the ledger's log says what it means (wal-sync.ts); others as haltReason.
    const reason = err instanceof WalSyncError ? err.reason : haltReason(err);
    ctl.haltReason = reason;
    log(`batch ${batchId}: ${reason}`);
    try {
      await store.transitionBatch(batchId, ['running', 'paused'], 'interrupted', reason);
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
   * Halts the batch without writing anything: this process may no longer run it (mayRun,
   * abandon). The first reason wins, as in `halt`; sleepers wake so that the run ends at once.
   */
  function dropBatch(batchId: string, ctl: Control, reason: string): void {
    ctl.halted = true;
    ctl.notOurs = true;
    if (ctl.haltReason === null) {
      ctl.haltReason = reason;
      log(`batch ${batchId}: ${reason}; this process sends and records nothing more for it`);
    }
    for (const wake of [...ctl.wakers]) wake();
  }

  /** Whether this process may still run the batch (RunnerOptions.mayRun); false halts it quietly. */
  function mayRun(batchId: string, ctl: Control): boolean {
    if (ctl.notOurs) return false;
    if (options.mayRun?.(batchId) ?? true) return true;
    dropBatch(batchId, ctl, MSG_NOT_OURS);
    return false;
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

  /** Marks a claim under way until the function returned is called (Control.claims). */
  function claiming(ctl: Control): () => void {
    let sent!: () => void;
    const claim = new Promise<void>((resolve) => {
      sent = resolve;
    });
    ctl.claims.add(claim);
    return () => {
      ctl.claims.delete(claim);
      sent();
    };
  }

  /**
   * Resolves once no claim of the batch is between its intent and its send: a pause or cancel
   * written meanwhile has either refused the claim (the store checks the state in the claim's
   * transaction) or comes after it, so its call is sent before the pause or cancel answers (I6).
   */
  async function claimsSent(batchId: string): Promise<void> {
    const c = controls.get(batchId);
    while (c && c.claims.size > 0) await Promise.all([...c.claims]);
  }

  /** A sleep that pause, cancel and shutdown cut short. */
  async function nap(ms: number, ctl: Control): Promise<void> {
    // No longer this process's batch (abandoned before the sleep began, its wakers already fired):
    // nothing to wait for.
    if (ctl.notOurs || (ms <= 0 && !options.sleep)) return;
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

  const engine: Engine = {
    store,
    storage,
    upstreamOf: (batch) => (typeof route === 'function' ? route(batch.id) : route),
    policy,
    limiterOf: (batch) => limiters.of(engine.upstreamOf(batch).pacer),
    upstreamSlots: options.upstreamSlots,
    budget,
    counters,
    chunkSize,
    now,
    log,
    stopping: () => stopping,
    reads: { underWay: 0 },
    dataDirLost,
    mayRun,
    delayFor(kind: RetryKind, n: number, retryAfter: string | null, paced = false): number {
      const hint = parseRetryAfter(retryAfter, now());
      if (options.backoffMs) return options.backoffMs(n + 1, kind, hint);
      // A pacer spaces a throttled retry itself (it has slowed down): only a hint is waited for.
      if (paced && kind === 'throttled') return Math.min(policy.maxRetryAfterMs, hint ?? 0);
      return backoffDelay(policy, kind, n, random, hint);
    },
    async takePermit(batch, scope, ctl) {
      const pacer = engine.upstreamOf(batch).pacer;
      if (!pacer) return null;
      const abort = new AbortController();
      const wake = () => abort.abort();
      ctl.wakers.add(wake);
      try {
        return await pacer.take(scope, abort.signal);
      } catch {
        return 'stopped';
      } finally {
        ctl.wakers.delete(wake);
      }
    },
    nap,
    halt,
    claiming,
  };

  /** A worker's time per write (ms, smoothed): its read, write and ledger work, waits excluded. */
  let cycleMs: number | null = null;
  function busyFor(ms: number): void {
    if (ms <= 0) return;
    cycleMs = cycleMs === null ? ms : cycleMs * 0.8 + ms * 0.2;
  }

  /**
   * Concurrency follows the rate and the latency: once the batch's pacer paces writes, its
   * credential's window holds just enough workers to fill its rate (rate × a worker's time per
   * write, plus one), never more than `concurrency`; before that, the AIMD window.
   */
  function followPace(batch: BatchSummary): void {
    const rate = engine.upstreamOf(batch).pacer?.rateOf('write') ?? null;
    const limiter = engine.limiterOf(batch);
    if (rate === null) {
      limiter.follow(null);
      return;
    }
    limiter.follow(Math.ceil(rate * ((cycleMs ?? 200) / 1000) * 1.25) + 1);
  }

  /** One batch at a time per workspace + subject + related class. */
  function subjectKey(batch: BatchSummary): string {
    return [
      batch.workspace_id,
      batch.dataclass_type,
      batch.data_object_id,
      batch.related_dataclass_type,
    ].join('/');
  }

  async function run(batchId: string): Promise<void> {
    const first = await store.getBatch(batchId);
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
          await halt(batchId, ctl, err);
        }
        if (ctl.ledgerWait === null || ctl.haltReason !== null || stopping) break;
        if (!(await waitForBatchLedger(batchId, ctl, ctl.ledgerWait))) break;
      }
    } finally {
      storage.report(batchHealthSource(batchId), null);
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
    await store.strandInFlight(batchId);
    for (;;) {
      if (stopping || (await store.getBatchState(batchId)) !== 'running') return;
      await settleUnknown(engine, batch, ctl);
      ctl.budgetWait = false;
      ctl.waitReason = MSG_BUDGET_WAIT;
      ctl.waitMs = null;
      const feed = makeFeed(engine, batch, ctl);
      const worker = async (): Promise<void> => {
        for (;;) {
          // Paused or cancelled (its wakers have fired): no wait for a slot begins. (Paused just
          // after this read: the wait for a slot may begin; the pre-read and the claim after it
          // stop.)
          if (stopping || ctl.halted || ctl.budgetWait || !(await isRunning(batchId))) return;
          followPace(batch);
          const slot = newSlot(engine, batch);
          // A full window (other batches of the credential) is waited for until a pause or stop.
          if (!(await acquireSlot(engine, batch, slot, ctl))) return;
          const began = now();
          let started: Started | null = null;
          try {
            started = await feed.next(slot);
          } catch (err: unknown) {
            // A failed T1 (rolled back) sends nothing for its rows.
            await halt(batchId, ctl, err);
          } finally {
            if (!started) releaseSlot(slot);
          }
          if (!started) return;
          await runCallChain(engine, batch, started, ctl, slot);
          busyFor(now() - began - started.waitedMs);
        }
      };
      // No more workers than the batch has calls (a pairs child has one): an idle one still takes
      // a slot's turn before it finds nothing to send.
      const workers = Math.min(concurrency * WORKERS_PER_SLOT, Math.ceil(batch.total / chunkSize));
      await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
      if (stopping || ctl.halted || !mayRun(batchId, ctl)) return;
      // The wait's reason is written only while the batch runs, in one conditional write (a
      // transition running → running): a pause or cancel since the workers stopped keeps its own
      // reason, and so it does when the reason is cleared after the wait.
      if (
        ctl.budgetWait &&
        (await store.transitionBatch(batchId, ['running'], 'running', ctl.waitReason))
      ) {
        counters.budgetWaits++;
        const waitMs = ctl.waitMs ?? policy.budgetWaitMs;
        log(`batch ${batchId}: ${ctl.waitReason} (${waitMs} ms)`);
        await nap(waitMs, ctl);
        await store.transitionBatch(batchId, ['running'], 'running', null);
        continue;
      }
      const state = await store.getBatchState(batchId);
      if (state !== 'running') {
        // Cancelled: the calls that were in flight may have left unknown items; reads are fine.
        if (state === 'cancelled') await settleUnknown(engine, batch, ctl);
        return;
      }
      await settleUnknown(engine, batch, ctl);
      if (stopping) return;
      if ((await store.counts(batchId)).pending > 0) continue;
      // Done only if nothing is open and it still runs: checked in finishIfDrained's transaction.
      await store.finishIfDrained(batchId);
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
  async function waitForBatchLedger(
    batchId: string,
    ctl: Control,
    problem: WriteProblem,
  ): Promise<boolean> {
    counters.ledgerWaits++;
    if (ctl.ledgerStreak === 0) log(`batch ${batchId}: ${problem.reason}; waiting`);
    /**
     * A small write that never waits for a lock; any error but a full disk or another process's
     * write lock interrupts the batch (halt), and the wait gives up. The reason is written only
     * while the batch runs (a transition running → running): a pause since `stopped()` was asked
     * keeps its own.
     */
    const tryWrite = async (reason: string | null): Promise<LedgerTry> => {
      try {
        await storage.noWait(() => store.transitionBatch(batchId, ['running'], 'running', reason));
        return null;
      } catch (err: unknown) {
        const p = problemOf(err);
        if (p?.transient) return p;
        await halt(batchId, ctl, err);
        return 'give up';
      }
    };
    // The reason is shown if the ledger takes it; either way the batch pauses before it tries again
    // (this small write passing does not mean the write that failed would).
    if ((await tryWrite(ledgerWaitReason(problem.reason))) === 'give up') return false;
    const file = storage.file;
    const waited = await waitForLedger(problem, {
      firstMs: ledgerWaitMs,
      maxMs: ledgerWaitMaxMs,
      pauses: ctl.ledgerStreak,
      sleep: (ms) => nap(ms, ctl),
      blocked: (p) => storage.report(batchHealthSource(batchId), p.reason),
      stopped: async () => stopping || !(await isRunning(batchId)),
      retry: (p) =>
        p.kind === 'full' && file !== null && diskFull(dirname(file)) ? p : tryWrite(null),
    });
    ctl.ledgerStreak = waited.pauses;
    return waited.passed;
  }

  /** The batch row says `running` (false when the ledger cannot be read). */
  async function isRunning(batchId: string): Promise<boolean> {
    try {
      return (await store.getBatchState(batchId)) === 'running';
    } catch {
      return false;
    }
  }

  async function forgetUnrecorded(batchId: string): Promise<boolean> {
    const inMemory = unrecorded.has(batchId) && (await isRunning(batchId));
    if (inMemory) unrecorded.delete(batchId);
    return inMemory;
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
      () => runInTurn(batchId),
      async (err) => {
        const message = err instanceof Error ? err.message : String(err);
        log(`batch ${batchId} stopped on an internal error: ${message}`);
        // Not this process's batch any more: its state is the console's that runs it now.
        if (err instanceof LeaseLostError || !(options.mayRun?.(batchId) ?? true)) return;
        try {
          await store.transitionBatch(
            batchId,
            ['running'],
            'interrupted',
            `internal error: ${message}`,
          );
        } catch {
          // the ledger itself is failing; the batch stays running and resumes on restart
        }
      },
    );
  }

  /** The last group lookup of runInTurn: the next one is taken after it. */
  let lookups: Promise<unknown> = Promise.resolve();

  /**
   * Runs the batch; a group's child first waits for its turn (CHILDREN_AT_ONCE per group, in the
   * order they were started). It is `active` meanwhile: whenIdle waits for it, a pause or cancel
   * in the meantime is seen by run() when its turn comes.
   */
  async function runInTurn(batchId: string): Promise<void> {
    // The group is read asynchronously; the lookups, all under way at once, are taken in the order
    // the batches were started, so that the children still take their turns in that order.
    const lookup = store.groupOf(batchId);
    // Its failure is thrown below, once its turn comes; not an unhandled rejection meanwhile.
    lookup.catch(() => undefined);
    const inOrder = lookups.then(() => lookup);
    lookups = inOrder.catch(() => undefined);
    const groupId = await inOrder;
    if (groupId === null) return run(batchId);
    let lane = lanes.get(groupId);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      lanes.set(groupId, lane);
    }
    if (lane.running >= CHILDREN_AT_ONCE) {
      const turn = lane;
      await new Promise<void>((resolve) => turn.waiting.push(resolve));
    } else lane.running++;
    try {
      if (!stopping) await run(batchId);
    } finally {
      // The turn passes to the next child waiting (which keeps the count), or is given back.
      const next = lane.waiting.shift();
      if (next) next();
      else if (--lane.running === 0) lanes.delete(groupId);
    }
  }

  /**
   * Runs `work` as the batch's one task in this process (in `active`).
   * When it ends the batch leaves `active` and, in the same step (so whenIdle sees it), a re-read
   * asked for by a cancel or a start asked for meanwhile follows.
   */
  function track(
    batchId: string,
    work: () => Promise<void>,
    onError: (err: unknown) => void | Promise<void>,
  ): Promise<void> {
    const p = work()
      .catch(onError)
      .finally(() => {
        active.delete(batchId);
        controls.delete(batchId);
        if (settleAfter.delete(batchId)) void settleCancelled(batchId);
        // Started again whatever its state: run() reads it (a batch no longer running is not
        // run), and reading it here first would leave `active` empty meanwhile.
        if (rerun.delete(batchId) && !stopping && !unrecorded.has(batchId)) void start(batchId);
        try {
          options.onIdle?.(batchId);
        } catch (err: unknown) {
          log(`batch ${batchId}: ${err instanceof Error ? err.message : String(err)}`);
        }
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
   * batch's run loop, if one is still active. It is `active` from the call on, before the batch is
   * read (whenIdle waits for it).
   */
  function settleCancelled(batchId: string): Promise<void> {
    const existing = active.get(batchId);
    if (existing) {
      // Runs when that task ends (track).
      settleAfter.add(batchId);
      return existing;
    }
    if (stopping) return Promise.resolve();
    return track(
      batchId,
      async () => {
        const batch = await store.getBatch(batchId);
        if (!batch || batch.state !== 'cancelled') return;
        if (batch.counts.unknown + batch.counts.in_flight === 0) return;
        const release = await subjects.acquire(subjectKey(batch));
        try {
          // No call of this batch is awaited any more (it is not active): in_flight is unknown.
          await store.strandInFlight(batchId);
          await settleUnknown(engine, batch, controlOf(batchId));
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

  /** The batches start-up recovery hands over: running ones continue, cancelled ones are re-read. */
  interface Recovered {
    running: string[];
    cancelled: string[];
  }

  /**
   * Start-up recovery, waiting like a batch while the ledger cannot be written for now (a full disk,
   * another process's write lock); null when it failed for good or the runner stopped meanwhile.
   */
  async function recover(
    first: (() => void | Promise<void>) | undefined,
  ): Promise<Recovered | null> {
    let recovered: Recovered | null = null;
    const attempt = async (): Promise<LedgerTry> => {
      try {
        await first?.();
        recovered = {
          // Without waiting for another process's write lock: the server already answers, and a
          // blocked write would stall it for the busy timeout on every try.
          running: await storage.noWait(() => store.recoverAfterCrash()),
          cancelled: await store.cancelledWithUnknown(),
        };
        storage.report('start-up recovery', null);
        return null;
      } catch (err: unknown) {
        const problem = problemOf(err);
        if (problem?.transient) return problem;
        log(`start-up recovery failed: ${err instanceof Error ? err.message : String(err)}`);
        storage.report('start-up recovery', problem?.reason ?? 'start-up recovery failed');
        return 'give up';
      }
    };
    if (stopping) return null;
    const problem = await attempt();
    if (problem === 'give up') return null;
    if (problem !== null) {
      await waitForLedger(problem, {
        firstMs: ledgerWaitMs,
        maxMs: ledgerWaitMaxMs,
        pauses: 0,
        sleep,
        blocked: (p, pauses) => {
          storage.report('start-up recovery', p.reason);
          if (pauses === 0) log(`start-up recovery: ${p.reason}; waiting`);
        },
        stopped: () => stopping,
        retry: attempt,
      });
    }
    return recovered;
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
      const recovered = await recover(first);
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
    async pause(batchId) {
      const ok = await store.transitionBatch(batchId, ['running'], 'paused', 'paused by the user');
      if (!ok) return false;
      interrupt(batchId);
      // A claim under way when the pause was written is sent before this answers (claimsSent).
      await claimsSent(batchId);
      return true;
    },
    async resume(batchId) {
      // (Two resumes at once of an interruption held in memory both start it: start runs a batch
      // once.)
      const ok =
        (await forgetUnrecorded(batchId)) ||
        (await store.transitionBatch(batchId, ['paused', 'interrupted'], 'running', null));
      if (ok && !stopping) void start(batchId);
      return ok;
    },
    async cancel(batchId) {
      const ok = await store.cancelBatch(batchId);
      if (!ok) return false;
      interrupt(batchId);
      // Items left open (a crash, or a run that stopped early) are re-read once no run loop is
      // left for this batch: now, or when the one still active has ended.
      void settleCancelled(batchId);
      await claimsSent(batchId);
      return true;
    },
    abandon(batchId, reason) {
      const c = controls.get(batchId);
      if (c) dropBatch(batchId, c, `${MSG_NOT_OURS} (${reason})`);
    },
    settleCancelled,
    unrecordedInterruption: (batchId) => unrecorded.get(batchId) ?? null,
    forgetUnrecorded,
    paceOf(batchId) {
      if (!active.has(batchId)) return null;
      const pacer = (typeof route === 'function' ? route(batchId) : route).pacer;
      if (!pacer) return null;
      const s = pacer.snapshot('write');
      const tenth = (n: number) => Math.round(n * 10) / 10;
      return { calls_per_s: tenth(s.callsPerS), limit: s.limit === null ? null : tenth(s.limit) };
    },
    stats: () => ({
      ...counters,
      budgetTokens: budget.available,
      concurrencyLimit: limiters.limit,
      peakInFlight: limiters.peak,
    }),
  };
}
