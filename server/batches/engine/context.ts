/**
 * What the engine's modules share within one runner: the ledger's store and storage, the upstream,
 * the concurrency and retry state every batch draws on, and each batch's run control.
 * `createRunner` builds one `Engine`; the feed, the call chain and the re-read take it instead of
 * closing over the runner.
 */
import type { BatchSummary } from '../../../src/api/schemas';
import type { Upstream } from '../../secmaster/client';
import type { PaceScope, Permit } from '../../secmaster/pacer';
import type { LedgerStore } from '../../db/store';
import type { ClaimedCall } from '../ledger';
import type { AimdLimiter, UpstreamSlot, UpstreamSlots } from '../limiter';
import type { Subject } from '../reconcile';
import type { RetryKind, RetryPolicy, RetryQuota } from '../retry';
import type { WriteProblem } from '../storage-health';
import { credentialsRefused } from './settle';
import type { CallResult } from './verdict';

/** What `Runner.stats()` counts, besides the limiter's and the budget's own figures. */
export interface Counters {
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
  /** Calls (writes and pre-reads) SecMaster throttled. */
  throttled: number;
  /** Times a batch waited because a call stayed throttled through its retries. */
  throttleWaits: number;
}

/**
 * What the engine needs of the ledger's storage besides the store's methods: SQLite's own
 * (ledger.ts: `health`, `noWait`, `db.name`; `sqliteStorage` in runner.ts), or PostgreSQL's
 * (db/console-storage.ts: the database's availability, `problemOf`). Without one (`NO_STORAGE`):
 * no write waits for a lock of its own, problems go nowhere, and no error counts as a full disk, a
 * held write lock or a database out of reach (a batch that meets one is interrupted).
 */
export interface LedgerStorage {
  /** Sets (or clears: null) the storage problem `source` met, shown by /api/health. */
  report(source: string, reason: string | null): void;
  /**
   * Runs `write` (a store call, which starts its write in the call) without waiting for another
   * process's write lock: SQLite's busy_timeout is 0 meanwhile. Heartbeats and probes must not
   * stall the event loop.
   */
  noWait<T>(write: () => T): T;
  /** The ledger's file (its disk tells a full disk and names the file in problems), or null. */
  readonly file: string | null;
  /**
   * What a failed ledger write means (a transient problem: the batch waits for it, then goes on),
   * or null when it is not the storage's; default: SQLite's reading of `file`'s errors.
   */
  problemOf?(err: unknown): WriteProblem | null;
}

/** No storage of its own (see LedgerStorage). */
export const NO_STORAGE: LedgerStorage = {
  report: () => undefined,
  noWait: (write) => write(),
  file: null,
};

/** Per-batch run control: interrupts sleeps on pause, cancel and shutdown. */
export interface Control {
  halted: boolean;
  /** Set once the batch halted on an error (the first reason wins). */
  haltReason: string | null;
  /**
   * Set once this process may no longer run the batch (RunnerOptions.mayRun, Runner.abandon): it
   * stays halted, sends nothing and writes nothing more in this run.
   */
  notOurs: boolean;
  budgetWait: boolean;
  /** Why the batch waits when `budgetWait` is set (the state reason shown meanwhile). */
  waitReason: string;
  /** How long that wait lasts (null: the retry policy's budgetWaitMs). */
  waitMs: number | null;
  /**
   * Set when a ledger write failed on a full disk or another process's write lock: the batch
   * sends nothing, waits for the ledger, then continues by itself.
   */
  ledgerWait: WriteProblem | null;
  /** Pauses since the batch's writes last passed: the next pause doubles (reset by a claim). */
  ledgerStreak: number;
  wakers: Set<() => void>;
  /**
   * Claims under way: from the start of a claim (an intent written to the store) to the send of its
   * call, or to the decision not to send it. Pause and cancel wait for them before they answer, so
   * that no call of the batch is sent after they did (I6), although the store answers a claim
   * asynchronously. See `claiming` in runner.ts.
   */
  claims: Set<Promise<void>>;
}

/**
 * Another call of the batch stopped it: a 401 halted it (its credential is refused: nothing more
 * goes out on it) or the retry budget made it wait. Asked in the tick of a send that was claimed
 * before (feed.ts, call-chain.ts): the ledger writes recording that stop may not have run yet.
 */
export function stoppedByAnotherCall(ctl: Control): boolean {
  return ctl.halted || ctl.budgetWait;
}

/**
 * SecMaster refused the batch's credential (a read or a re-read met a 401): halted first, so that
 * the other workers send nothing more on it, then interrupted with the reason, unless this process
 * may no longer run the batch (a state change is not fenced). A cancelled batch stays cancelled.
 */
export async function haltOnRefusedCredential(
  e: Engine,
  batch: BatchSummary,
  ctl: Control,
  code: string,
  message: string,
): Promise<void> {
  ctl.halted = true;
  if (!e.mayRun(batch.id, ctl)) return;
  await e.store.transitionBatch(
    batch.id,
    ['running', 'paused'],
    'interrupted',
    credentialsRefused(code, message),
  );
}

/** A batch's control as a run starts: nothing halted, no wait, no claim under way. */
export function newControl(waitReason: string): Control {
  return {
    halted: false,
    haltReason: null,
    notOurs: false,
    budgetWait: false,
    waitReason,
    waitMs: null,
    ledgerWait: null,
    ledgerStreak: 0,
    wakers: new Set(),
    claims: new Set(),
  };
}

/**
 * A slot of a window (its credential's, limiter.ts) held by a worker; given back while the worker
 * sleeps before a retry or waits for the pacer (paced-slot.ts).
 */
export interface Slot {
  held: boolean;
  /** The window the slot is (or was last) held in. */
  limiter: AimdLimiter;
  /** The account's upstream slot held with it, when the engine has `upstreamSlots`. */
  upstream?: UpstreamSlot | null;
}

/**
 * A call whose intent is committed and whose write was sent in the tick its claim was answered; a
 * pause or cancel written meanwhile answers only after the send (Control.claims, I6).
 */
export interface Started {
  call: ClaimedCall;
  pending: Promise<CallResult>;
  /** How long the worker waited for the pacer's permit (ms): not time spent working. */
  waitedMs: number;
}

export interface Engine {
  /** The ledger (every read and write of it): SQLite's (`sqliteStore`) or PostgreSQL's. */
  readonly store: LedgerStore;
  /** What is the storage's own (SQLite's file and write lock). */
  readonly storage: LedgerStorage;
  /** Where a batch's calls go (its credential), asked for every call. */
  upstreamOf(batch: BatchSummary): Upstream;
  readonly policy: RetryPolicy;
  /** The concurrency window of the batch's calls: its credential's (one per pacer). */
  limiterOf(batch: BatchSummary): AimdLimiter;
  /**
   * The account's upstream slots, shared with other consoles (limiter.ts): a slot in a window is
   * held only with one of them. None: the windows alone.
   */
  readonly upstreamSlots?: UpstreamSlots | undefined;
  /** The retry budget: the runner's own, or the account's (shared-upstream.ts). */
  readonly budget: RetryQuota;
  readonly counters: Counters;
  /** IDs per call. */
  readonly chunkSize: number;
  /** Milliseconds since the epoch. */
  now(): number;
  log(message: string): void;
  /** Shutdown, or the DATA_DIR lock lost: nothing more is claimed or sent. */
  stopping(): boolean;
  /** Asked just before each send; true stops the runner at once (see RunnerOptions.dataDirLost). */
  dataDirLost(): boolean;
  /**
   * Asked just before each send of the batch (and before a write that nothing fences): false once
   * this process may no longer run it (RunnerOptions.mayRun); the batch is then halted quietly at
   * once (`ctl.halted`, nothing written for it).
   */
  mayRun(batchId: string, ctl: Control): boolean;
  /**
   * Delay before retry number `n` (0 for the first retry). `paced`: the call goes through a pacer,
   * which spaces a throttled retry itself (only a Retry-After is then waited for).
   */
  delayFor(kind: RetryKind, n: number, retryAfter: string | null, paced?: boolean): number;
  /**
   * The permit for the batch's next call of `scope` from its upstream's pacer (null: not paced);
   * a write's is waited for before the call's intent is committed. 'stopped' when pause, cancel or
   * shutdown cut the wait. Through paced-slot.ts, which holds no slot meanwhile.
   */
  takePermit(
    batch: BatchSummary,
    scope: PaceScope,
    ctl: Control,
  ): Promise<Permit | null | 'stopped'>;
  /**
   * Pre-reads under way in every batch of this runner (feed.ts counts them): each usually ends in
   * an intent, a write that a finished call's outcome can be committed with (call-chain.ts).
   */
  readonly reads: { underWay: number };
  /** A sleep that pause, cancel and shutdown cut short. */
  nap(ms: number, ctl: Control): Promise<void>;
  /**
   * A ledger write (or the runner) failed: the batch stops (`ctl.halted` is set at once) or waits
   * for the ledger; resolves once its interruption is recorded (or could not be). Never rejects.
   */
  halt(batchId: string, ctl: Control, err: unknown): Promise<void>;
  /**
   * Marks a claim of the batch under way until the function returned is called (once its call is
   * sent, or not sent): pause and cancel wait for it (Control.claims).
   */
  claiming(ctl: Control): () => void;
}

export function subjectOf(b: BatchSummary): Subject {
  return {
    workspaceId: b.workspace_id,
    dataclass: b.dataclass_type,
    objectId: b.data_object_id,
    related: b.related_dataclass_type,
  };
}
