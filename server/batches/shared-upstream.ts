/**
 * The runner's concurrency and retry budget shared by every console on one PostgreSQL (issue 14:
 * SecMaster's rate limit is per account, not per console), over server/db/shared-budget.ts. A
 * runner takes them as options (`upstreamSlots`, `retryBudget`: `sharedUpstream` makes both); on
 * SQLite (one console) it keeps its in-memory windows and `RetryBudget` alone.
 *
 * - `SharedUpstreamSlots`: a worker's slot in its window (limiter.ts) is held only once it also
 *   holds one of the account's N `upstream_slots` (engine/paced-slot.ts takes the window's slot
 *   first, then this one). Each is leased to this console (`consoleId`) for `leaseMs`; while any is
 *   held, one UPDATE every `renewMs` extends all of them, and each is given back (by its token)
 *   when its call ends, however it ends. A dead console's slots come back when their lease ends.
 * - Waiting for a slot polls, one read of the free count for every waiter of this console, at
 *   `pollMinMs` doubling up to `pollMaxMs` while none is free (jittered, so that consoles do not
 *   poll in step); a slot given back here wakes a waiter at once (it is free: no poll needed). The
 *   waits end on the caller's signal (a pause, a cancel, the runner's stop). Why these: the read
 *   touches N rows, locks and writes nothing, and at the cap costs 10 reads a second per starved
 *   console; a slot another console gives back then sits free about 50 ms at most on average,
 *   short against SecMaster's calls (hundreds of ms). (LISTEN/NOTIFY would wake at once, at the
 *   price of a connection held by each console for it.)
 * - `SharedRetryBudget`: the runner's retry quota on the account's `retry_budget` row: a retry
 *   takes its cost there (refused, nothing taken, when the row cannot pay it), successes refund,
 *   coalesced into one UPDATE at a time.
 *
 * Lease length: a slot is renewed while held, so the lease need not outlast a call; it bounds how
 * long a dead console's slots stay taken, and it must outlast the longest stall of this console
 * (an event loop held by a big ledger commit, PostgreSQL slow to answer a renewal) or a live
 * console's slot lapses and another console takes it: N + 1 calls in flight. A console's batches
 * are lost after a stall of the batch lease anyway (DATABASE_LEASE_MS: it sends nothing more for
 * them), so the slot lease follows it (`slotLeaseFor`): at the defaults, 30 s renewed every 10 s,
 * which outlasts two missed renewals and also one whole call at the default per-attempt timeout
 * (BATCH_CALL_TIMEOUT_MS, 20 s) taken just before PostgreSQL stops answering.
 *
 * Cost: a take and a release per slot held (one statement each, no WAL flush waited for); the
 * take is on the way to each send. With an upstream answering in 100 ms, 4 slots, 400 calls: one
 * console 12.3 s alone, 13.2 s with the shared slots, two consoles sharing them 12.7 s (20 ms
 * answers: 5.4-5.6 s, 6.8-7.4 s, 6.0-7.4 s; a loaded 2-core machine, see the report of issue 14).
 *
 * Not FIFO across consoles: a slot given back goes to whichever console asks first, which is
 * often the one giving it back when it has workers waiting (woken at once, where the others poll).
 * (Handing a slot given back straight to a worker of this console waiting for its window, with no
 * statement, was tried in session 12 and reverted: no time gained measurably, and the other
 * consoles would see the slots given back to the database far less often.)
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../db/leases';
import {
  DEFAULT_POOL,
  acquireSlot,
  freeSlots,
  refundRetry,
  releaseSlot,
  renewSlots,
  setRetryBudget,
  setSlotCount,
  takeRetryLeft,
  type SharedBudgetTables,
  type SlotLease,
} from '../db/shared-budget';
import type { UpstreamSlot, UpstreamSlots } from './limiter';
import type { RetryPolicy, RetryQuota } from './retry';

/** Default lease of a slot (see the module comment). */
export const SLOT_LEASE_MS = 30_000;
/** Default first poll of a wait for a slot, and its cap. */
export const SLOT_POLL_MIN_MS = 10;
export const SLOT_POLL_MAX_MS = 100;

/** Sleeps `ms`; `keep` is given the function that ends the sleep early. */
function sleep(
  ms: number,
  keep: (cut: () => void) => void,
  opts: { unref?: boolean } = {},
): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    if (opts.unref === true) timer.unref();
    function done() {
      clearTimeout(timer);
      resolve();
    }
    keep(done);
  });
}

/** An id for this console's process, unique across restarts (leases are held by it). */
export function newConsoleId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export interface SharedUpstreamOptions {
  /** Whose limits: one pool per SecMaster account (default `DEFAULT_POOL`). */
  pool?: string;
  /** Who holds the slots this process takes (default `newConsoleId()`). */
  consoleId?: string;
  /** How long a slot is leased for (default SLOT_LEASE_MS). */
  leaseMs?: number;
  /** How often held slots are renewed (default a third of the lease). */
  renewMs?: number;
  pollMinMs?: number;
  pollMaxMs?: number;
  log?: (message: string) => void;
  random?: () => number;
}

/** The account's upstream slots on PostgreSQL (see the module comment). */
export class SharedUpstreamSlots<DB extends SharedBudgetTables> implements UpstreamSlots {
  readonly consoleId: string;
  /** Sets the pool's slot count (every console does, at start: the last one wins). */
  readonly ready: Promise<void>;
  private readonly pool: string;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly pollMinMs: number;
  private readonly pollMaxMs: number;
  private readonly log: (message: string) => void;
  private readonly random: () => number;
  /** The slots this console holds. */
  private readonly leases = new Set<SlotLease>();
  /** Releases under way (they never reject). */
  private readonly releasing = new Set<Promise<void>>();
  /** Told (once each) when a slot may be free; each is one caller of whenFree. */
  private waiters: (() => void)[] = [];
  private polling = false;
  /** Ends the poll's current pause early (close). */
  private stopPause: (() => void) | null = null;
  private renewTimer: ReturnType<typeof setInterval> | null = null;
  private renewing = false;
  private closed = false;
  private pollCount = 0;
  /** Slots given back here so far (their release committed). */
  private releases = 0;
  /**
   * Takes that found no slot while a slot given back here was being released (its release
   * committed after the take looked): the next wait of each ends at once, or its wake was lost.
   */
  private missed = 0;

  constructor(
    private readonly db: Db<DB>,
    slots: number,
    opts: SharedUpstreamOptions = {},
  ) {
    this.pool = opts.pool ?? DEFAULT_POOL;
    this.consoleId = opts.consoleId ?? newConsoleId();
    this.leaseMs = opts.leaseMs ?? SLOT_LEASE_MS;
    this.renewMs = opts.renewMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    if (!(this.renewMs < this.leaseMs)) {
      throw new RangeError(`renewMs (${this.renewMs}) must be below leaseMs (${this.leaseMs})`);
    }
    this.pollMinMs = Math.max(1, opts.pollMinMs ?? SLOT_POLL_MIN_MS);
    this.pollMaxMs = Math.max(this.pollMinMs, opts.pollMaxMs ?? SLOT_POLL_MAX_MS);
    this.log = opts.log ?? (() => undefined);
    this.random = opts.random ?? Math.random;
    this.ready = setSlotCount(db, slots, { pool: this.pool });
    // Its failure is thrown by the first tryTake; not an unhandled rejection meanwhile.
    this.ready.catch(() => undefined);
  }

  /** Slots this console holds now. */
  get held(): number {
    return this.leases.size;
  }
  /** Callers waiting in whenFree() (tests). */
  get waiting(): number {
    return this.waiters.length;
  }
  /** Reads of the free count made by waits so far (tests: a wait must not spin the database). */
  get polls(): number {
    return this.pollCount;
  }

  async tryTake(): Promise<UpstreamSlot | null> {
    await this.ready;
    if (this.closed) throw new Error('the shared upstream slots are closed');
    const releases = this.releases;
    const lease = await acquireSlot(this.db, this.consoleId, this.leaseMs, { pool: this.pool });
    if (!lease) {
      if (this.releases !== releases) this.missed++;
      return null;
    }
    this.leases.add(lease);
    this.renewWhileHeld();
    let given = false;
    return {
      release: () => {
        if (given) return;
        given = true;
        this.giveBack(lease);
      },
    };
  }

  whenFree(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    if (this.missed > 0) {
      this.missed--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const tell = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((t) => t !== tell);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(tell);
      this.poll();
    });
  }

  /**
   * Stops renewing and polling (shutdown, after the runner stopped: its calls have given their
   * slots back); resolves once the releases under way are written (the other consoles then have
   * the slots at once, not when their leases end). Waiters are told; their next tryTake throws.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopRenewing();
    this.stopPause?.();
    this.wake(this.waiters.length);
    await Promise.all([...this.releasing]);
  }

  /** Tells up to `n` waiters, oldest first, that a slot may be free. */
  private wake(n: number): void {
    for (const tell of this.waiters.splice(0, n)) tell();
  }

  private giveBack(lease: SlotLease): void {
    this.leases.delete(lease);
    if (this.leases.size === 0) this.stopRenewing();
    const released = releaseSlot(this.db, lease).then(
      (released) => {
        this.releases++;
        if (!released) {
          this.log(
            `upstream slot ${lease.slot} had lapsed (its lease ended before its call did) and was taken by another console meanwhile`,
          );
        }
        // Free now (or taken by another console): a waiter here asks at once, without a poll.
        this.wake(1);
      },
      (err: unknown) => {
        // It comes back when its lease ends.
        this.log(`could not give upstream slot ${lease.slot} back: ${messageOf(err)}`);
      },
    );
    this.releasing.add(released);
    void released.finally(() => this.releasing.delete(released));
  }

  /**
   * One poll for all of this console's waiters: reads how many slots are free, pausing in between
   * (from pollMinMs, doubling up to pollMaxMs while none is), and tells that many waiters. A failed
   * read tells every waiter: their tryTake meets the error and stops their batch.
   */
  private poll(): void {
    if (this.polling || this.closed) return;
    this.polling = true;
    void this.pollLoop();
  }

  private async pollLoop(): Promise<void> {
    let delayMs = this.pollMinMs;
    try {
      // (`polling` is cleared in the tick the loop sees no waiter: a waiter coming later polls.)
      while (this.waiters.length > 0 && !this.closed) {
        // Jittered by ±25 %: consoles starting together do not poll in step.
        await this.pause(delayMs * (0.75 + this.random() / 2));
        if (this.waiters.length === 0 || this.closed) break;
        let free: number;
        try {
          this.pollCount++;
          free = await freeSlots(this.db, { pool: this.pool });
        } catch (err: unknown) {
          this.log(`could not read the free upstream slots: ${messageOf(err)}`);
          this.wake(this.waiters.length);
          continue;
        }
        if (free > 0) {
          this.wake(free);
          delayMs = this.pollMinMs;
        } else delayMs = Math.min(this.pollMaxMs, delayMs * 2);
      }
    } finally {
      this.polling = false;
    }
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, (cut) => {
      this.stopPause = () => {
        this.stopPause = null;
        cut();
      };
    });
  }

  private renewWhileHeld(): void {
    if (this.renewTimer !== null) return;
    this.renewTimer = setInterval(() => void this.renew(), this.renewMs);
    // A console stopping does not wait for this timer: its slots then end with their lease.
    this.renewTimer.unref();
  }

  private stopRenewing(): void {
    if (this.renewTimer === null) return;
    clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  /** Extends every slot this console holds (one UPDATE); says so when some had lapsed. */
  private async renew(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    const before = [...this.leases];
    try {
      const renewed = await renewSlots(this.db, this.consoleId, this.leaseMs, { pool: this.pool });
      // Those held throughout: fewer renewed means some lapsed (a slot taken meanwhile counts
      // too, so this may miss one; it never cries wolf).
      const kept = before.filter((l) => this.leases.has(l)).length;
      if (renewed < kept) {
        this.log(
          `${kept - renewed} upstream slot(s) had lapsed before their renewal: another console may take them while their calls run`,
        );
      }
    } catch (err: unknown) {
      this.log(`could not renew the upstream slots: ${messageOf(err)}`);
    } finally {
      this.renewing = false;
    }
  }
}

export interface SharedRetryOptions {
  /** Whose budget: one pool per SecMaster account (default `DEFAULT_POOL`). */
  pool?: string;
  log?: (message: string) => void;
  /** How long successes are gathered into one refund (default REFUND_EVERY_MS; 0: at once). */
  refundEveryMs?: number;
}

/**
 * Default gathering of refunds (SharedRetryBudget): a busy console writes at most about four a
 * second instead of one per successful call (two per batch call: its read and its write), a
 * round trip each (bench/pg-batch.ts, docs/performance.md).
 */
export const REFUND_EVERY_MS = 250;

/**
 * The retry quota on the account's `retry_budget` row, with `RetryBudget`'s rules (retry.ts): a
 * retry takes `retryCost` (`timeoutRetryCost` when timeout-like), refused with nothing taken when
 * the row holds less; a success refunds `successRefund`, up to `budgetTokens` (the row's
 * capacity, set by every console at start: the last one wins). Refunds are coalesced: one UPDATE
 * carries every success of the last `refundEveryMs` (REFUND_EVERY_MS), so a busy console writes a
 * few a second, not one per call; a take first has the refunds before it written at once and waits
 * for them, so that, within one console, they count in the order they happened. (Another console
 * sees a success's refund up to that long after it: its retries may be refused meanwhile by a
 * budget that a moment later would have paid them; never the other way round.)
 */
export class SharedRetryBudget<DB extends SharedBudgetTables> implements RetryQuota {
  readonly ready: Promise<void>;
  private readonly pool: string;
  private readonly log: (message: string) => void;
  private known: number;
  /** Refunds not written yet. */
  private owed = 0;
  /** Successes so far, and of those, the ones whose refund was written (or given up). */
  private successes = 0;
  private written = 0;
  private flushing = false;
  /** The refund being gathered or written (one UPDATE at a time); never rejects. */
  private round: Promise<void> = Promise.resolve();
  private readonly refundEveryMs: number;
  /** Set when the refund gathered now must be written at once (a take, or `settled`, waits). */
  private hurried = false;
  /** Ends the gathering under way early. */
  private cutShort: (() => void) | null = null;

  constructor(
    private readonly db: Db<DB>,
    private readonly policy: RetryPolicy,
    opts: SharedRetryOptions = {},
  ) {
    this.pool = opts.pool ?? DEFAULT_POOL;
    this.refundEveryMs = Math.max(0, opts.refundEveryMs ?? REFUND_EVERY_MS);
    this.log = opts.log ?? (() => undefined);
    this.known = policy.budgetTokens;
    this.ready = setRetryBudget(db, policy.budgetTokens, { pool: this.pool });
    // Its failure is thrown by the first take; not an unhandled rejection meanwhile.
    this.ready.catch(() => undefined);
  }

  /** The tokens as this console last saw them (after its last take or refund). */
  get available(): number {
    return this.known;
  }

  async tryAcquire(timeoutLike: boolean): Promise<boolean> {
    await this.ready;
    // The refunds of the successes before this take, not those after it: with successes all the
    // time, refunds never stop being written, and the take would wait for ever.
    const before = this.successes;
    if (this.written < before) this.hurry();
    // (Not flushing: nothing is owed, e.g. a refund of 0 per success; nothing to wait for.)
    while (this.written < before && this.flushing) await this.round;
    const cost = timeoutLike ? this.policy.timeoutRetryCost : this.policy.retryCost;
    const r = await takeRetryLeft(this.db, cost, { pool: this.pool });
    this.known = r.tokens;
    return r.taken;
  }

  onSuccess(): void {
    this.successes++;
    this.owed += this.policy.successRefund;
    if (!this.flushing) void this.flush();
  }

  /** Settles once every refund owed is written (tests, shutdown): written at once. */
  async settled(): Promise<void> {
    while (this.flushing) {
      this.hurry();
      await this.round;
    }
  }

  private hurry(): void {
    this.hurried = true;
    this.cutShort?.();
  }

  /**
   * Writes the refunds owed, one UPDATE at a time, each carrying all those owed when it starts,
   * after gathering them for `refundEveryMs` unless hurried. (`round` is replaced in the tick the
   * one before ends: a caller awaiting it sees progress.)
   */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.owed > 0) {
        this.round = this.gatherAndRefund();
        await this.round;
      }
    } finally {
      this.flushing = false;
      // A hurry asked while the last refund was being written is answered by it.
      this.hurried = false;
    }
  }

  private async gatherAndRefund(): Promise<void> {
    if (!this.hurried && this.refundEveryMs > 0) {
      // Unref'd: a console stopping does not wait for it (settled() cuts it short).
      await sleep(this.refundEveryMs, (cut) => (this.cutShort = cut), { unref: true });
    }
    this.cutShort = null;
    this.hurried = false;
    const upTo = this.successes;
    const tokens = this.owed;
    this.owed = 0;
    await this.refund(tokens);
    this.written = upTo;
  }

  private async refund(tokens: number): Promise<void> {
    try {
      await this.ready;
      const after = await refundRetry(this.db, tokens, { pool: this.pool });
      this.known = after ?? this.policy.budgetTokens;
    } catch (err: unknown) {
      // Lost: the budget stays that much lower (fewer retries, never more).
      this.log(`could not refund the shared retry budget: ${messageOf(err)}`);
    }
  }
}

/**
 * A slot's lease for calls of `callTimeoutMs` at most per attempt, on consoles whose batch leases
 * last `batchLeaseMs` (DATABASE_LEASE_MS; see the module comment): a whole call plus a margin of
 * the batch lease (at most 10 s), and never less than the batch lease. A dead console's slots are
 * then free again about when the console taking its batches over may send (its claim after the
 * batch lease, then the takeover grace of a call timeout): with a 3 s lease and 1.5 s calls, the
 * 30 s this used to be at least kept the account's every slot taken for 25 s more, nothing sent
 * by any console. The defaults (20 s calls, 15 s leases) give 30 s, as before.
 */
export function slotLeaseFor(callTimeoutMs: number, batchLeaseMs = DEFAULT_BATCH_LEASE_MS): number {
  return Math.max(batchLeaseMs, callTimeoutMs + Math.min(10_000, batchLeaseMs));
}

/** DATABASE_LEASE_MS's default (lease-host.ts, DEFAULT_LEASE_MS). */
const DEFAULT_BATCH_LEASE_MS = 15_000;

/**
 * What a console on PostgreSQL passes its runner (`upstreamSlots`, `retryBudget`): the account's
 * slots (`slots` of them, BATCH_CONCURRENCY) and retry budget, and `close`, to call once the runner
 * has stopped (its slots go back at once instead of when their leases end).
 */
export function sharedUpstream<DB extends SharedBudgetTables>(
  db: Db<DB>,
  o: {
    slots: number;
    callTimeoutMs: number;
    log?: (message: string) => void;
    pool?: string;
    /** Who holds the slots (the console's ID, as its leases name it). */
    consoleId?: string;
    /** The consoles' batch lease (DATABASE_LEASE_MS): see slotLeaseFor. */
    batchLeaseMs?: number;
  },
): {
  upstreamSlots: SharedUpstreamSlots<DB>;
  retryBudget: (policy: RetryPolicy) => SharedRetryBudget<DB>;
  close(): Promise<void>;
} {
  const common = { ...(o.log ? { log: o.log } : {}), ...(o.pool ? { pool: o.pool } : {}) };
  const upstreamSlots = new SharedUpstreamSlots(db, o.slots, {
    ...common,
    ...(o.consoleId ? { consoleId: o.consoleId } : {}),
    leaseMs: slotLeaseFor(o.callTimeoutMs, o.batchLeaseMs),
  });
  let budget: SharedRetryBudget<DB> | null = null;
  return {
    upstreamSlots,
    retryBudget: (policy) => (budget = new SharedRetryBudget(db, policy, common)),
    async close() {
      await upstreamSlots.close();
      await budget?.settled();
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
