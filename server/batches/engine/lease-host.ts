/**
 * The lease host: one console's share of the batches of a PostgreSQL ledger that several consoles
 * share (issue 14). A batch runs on exactly one console at a time, the holder of its lease
 * (server/db/leases.ts); this module runs the batches this console holds, with one runner
 * (runner.ts) over the PostgreSQL store (server/db/pg-store.ts).
 *
 * - Fenced writes: the store's fence is the keeper's (`LeaseKeeper.fence`) with the lease the
 *   batch's run here started under, so a write of a console that lost the lease (paused,
 *   partitioned, slow) rolls back, and a write of an earlier run of this console on the same batch
 *   (an older epoch) too.
 * - Sending: the runner asks `mayRun` in the tick of every send (writes, reads before writing,
 *   re-reads): only while the keeper still vouches for the lease on this host's monotonic clock
 *   (`holds`, a margin before the database's expiry). A lease found lost (`onLost`: a renewal that
 *   did not extend it, no renewal confirmed for the lease time, a fence that refused) stops the
 *   batch here at once and quietly: nothing more sent or written; its calls in flight stay
 *   in_flight for the console that takes it over.
 * - Start: the console that starts (or resumes) a batch offers it and claims it in one transaction,
 *   so that no other console's claim round takes it in between; if another console holds it already,
 *   that one runs it.
 * - At most `maxBatches` leases at once, from starts as from claim rounds: a start beyond it (a
 *   group's thousand children started here at once) only offers the batch, for any console's
 *   claim round to take: another's, or this one's once a run here ends (a run's end claims at once
 *   while batches were left offered so, rather than at the next round). Without it every child
 *   held a lease here, renewed here, and no other console could share the work.
 * - Subjects: a claim (a start's or a round's) never takes a batch while another console holds a
 *   batch of its subject, nor while an older batch of its subject waits unclaimed
 *   (server/db/leases.ts, `heldBack`): a subject's batches run on one console at a time, one at a
 *   time there (runner.ts), the waiting ones taken in creation order. A start refused so returns
 *   false: the batch stays offered, and the console that holds the subject takes it in its next
 *   claim round (its runner runs it after the subject's batch it runs now), or any console once
 *   the subject is free.
 * - Takeover: every `claimEveryMs` the host claims batches whose lease is free (never claimed,
 *   released, or expired: a console that died or stalled), `SELECT … FOR UPDATE SKIP LOCKED`. A
 *   batch taken over runs like every other start: the run first marks the calls another run left in
 *   flight `unknown` (`strandInFlight`, fenced by the new lease) and re-reads every unknown outcome
 *   before it sends anything (runner.ts, runUntilStopped). Never SQLite's `recoverAfterCrash`: it
 *   would turn every batch's calls in flight on the shared database unknown, the other consoles'
 *   live ones included. A taken-over batch whose items were left in flight waits `takeoverGraceMs`
 *   first (see the option). A cancelled batch taken over with open items has them re-read and
 *   settled (Runner.settleCancelled), nothing sent.
 * - End: once the batch's run here stops and the batch no longer runs (done, paused, cancelled,
 *   interrupted), its lease is ended (`endBatch`, fenced: only by its holder); a resume offers it
 *   again. Still `running` although its run here stopped (an interruption the ledger could not take,
 *   runner.ts `halt`): the lease is given up with a wait (server/db/leases.ts `releaseWithWait`),
 *   after which another console (or this one) continues it: the lease time, doubling with each
 *   such stop in a row, wherever it ran, up to UNRECORDED_RETRY_MAX_MS. Given up at once, any
 *   console's next claim round took it again: while the ledger kept refusing the batch's writes (a
 *   revoked privilege, a trigger, a damaged row: any error that is not the database being
 *   unavailable), the batch was run again every claim period for as long as that lasted, its
 *   unknown IDs re-read upstream each time. The wait and the count are the lease row's, so every
 *   console keeps them; a start asked for the batch (a resume on the console that kept the
 *   interruption in memory) clears them.
 * - Cancel: on the console running it, the runner's cancel (calls in flight recorded, open items
 *   re-read; then the lease ends as above). Elsewhere: the cancel is written (the holder's next
 *   claim is refused in its transaction and its run loop stops), then the lease is withdrawn when no
 *   item is left open; with open items it is offered instead, so that whoever holds or claims it
 *   settles them and ends it (a withdrawal would refuse the holder's outcomes and leave them open).
 * - Stop: the runner stops (its calls in flight are recorded), then every lease is released: other
 *   consoles take the batches over at once rather than after the lease time.
 *
 * The pool under `db` must end a transaction left idle (a console paused in the middle of one
 * holds the batch's row and its lease row locked, and nobody can take the batch over until it
 * resumes): `idle_in_transaction_session_timeout` at most the lease time. Its queries should time
 * out below the lease time too (the keeper's renewals, see LeaseKeeper).
 *
 * Not done here: a call its holder sent in the last moment of its lease can still be on its way
 * when the taker re-reads (takeoverGraceMs bounds that by the call timeout, not by what the upstream
 * does with it); and the grace is the taken-over batch's only: should an older batch of its subject
 * have been offered meanwhile (a resume), that one goes first, at once, while such a call of the
 * newer one may still be on its way. A batch already running is not stopped for an older batch of
 * its subject offered later: that one waits for it.
 */
import type { Kysely, Transaction } from 'kysely';
import {
  claimBatch,
  clearRetryWait,
  endBatch,
  LeaseKeeper,
  LeaseLostError,
  offerBatch,
  offerIfRunnable,
  releaseLease,
  withdrawBatch,
  type KeeperLostReason,
  type Lease,
  type LeaseKeeperOptions,
  type LeaseTables,
} from '../../db/leases';
import { openPgStore } from '../../db/pg-store';
import type { LedgerStore } from '../../db/store';
import type { LedgerTables } from '../../db/tables';
import { createRunner, type Runner, type RunnerOptions } from './runner';

/** The lease time of issue 14: a dead console's batches are taken over within about this. */
export const DEFAULT_LEASE_MS = 15_000;

/**
 * The longest wait before a batch whose run stopped here while it still runs (an interruption the
 * ledger did not take) may be claimed again (module comment, "End").
 */
export const UNRECORDED_RETRY_MAX_MS = 5 * 60_000;

export interface LeaseHostOptions {
  /** The shared ledger (a Kysely over this console's own pool; the host does not close it). */
  db: Kysely<LedgerTables>;
  /** This console, as its leases name it: unique among the consoles sharing the database. */
  consoleId: string;
  /**
   * The keeper's renewals and claim rounds on a pool of their own (default: `db`'s): a burst of
   * requests or batch writes that takes every connection of `db`'s pool must not hold a renewal
   * back past the lease, or this console loses every batch it runs.
   */
  keeperDb?: Kysely<LedgerTables>;
  /** Where calls go (RunnerOptions.upstream). */
  upstream: RunnerOptions['upstream'];
  /** The runner's other options (its store and `mayRun` are the host's). */
  runner: Omit<RunnerOptions, 'store' | 'upstream' | 'mayRun'>;
  /** Default DEFAULT_LEASE_MS. */
  leaseMs?: number;
  /** How often free batches are claimed (default a third of the lease time). */
  claimEveryMs?: number;
  /**
   * Most batches this console holds at once (default 16): a claim round takes only up to that, and
   * a start beyond it leaves its batch offered (see the module comment).
   */
  maxBatches?: number;
  /**
   * How long a batch taken over with calls left in flight waits before its run re-reads them (and
   * sends anything): at least the upstream call timeout. The former holder stopped sending before
   * its lease ended (its keeper's margin), but a write it sent just before may still be on its way
   * or being applied; a re-read before it lands would find it not applied, and the ID would be sent
   * again. Default 0 (tests, an upstream that answers at once).
   */
  takeoverGraceMs?: number;
  /** The store's clock (times written to the ledger). */
  now?: () => Date;
  /**
   * Run before a batch taken here runs or is settled (after the takeover grace): what its calls
   * need first (console.ts: the credential it runs on, read from the ledger). Never rejects.
   */
  beforeRun?: (batchId: string) => Promise<void>;
  /**
   * Told once a batch's run here is over (its lease ended, given up or lost): what this console
   * kept in memory for it is stale from now on (console.ts: the credential it ran on, which a
   * resume elsewhere may change). Never throws.
   */
  afterRun?: (batchId: string) => void;
  log?: (message: string) => void;
  /** The keeper's timing and renewals (tests): renewal period, monotonic clock, timers, renew. */
  keeper?: Pick<LeaseKeeperOptions<LeaseTables>, 'renewEveryMs' | 'now' | 'schedule' | 'renew'>;
}

export interface LeaseHost {
  /** The store the host's runner writes through (fenced by this console's leases). */
  readonly store: LedgerStore;
  readonly runner: Runner;
  /**
   * Runs a batch that was started or resumed here (its row says `running`): offers it and claims
   * it. False when another console holds it (that one runs it), when the subject rule holds the
   * claim back (another console holds a batch of its subject, or an older one of it waits: it stays
   * offered, for a later claim round, see the module comment), when this console holds
   * `maxBatches` already (it stays offered too), or the host is stopping.
   */
  start(batchId: string): Promise<boolean>;
  /** Cancels a batch, wherever it runs (see the module comment). False if it could not be. */
  cancel(batchId: string): Promise<boolean>;
  /** One claim round now (the timer runs them too); the batches taken. */
  claimNow(): Promise<string[]>;
  /** The batches running here under a lease. */
  running(): string[];
  /** Resolves once the batch is not run here (at once if it is not). */
  whenIdle(batchId: string): Promise<void>;
  /** Stops claiming and running; calls in flight are recorded, then every lease is released. */
  stop(): Promise<void>;
}

/** A batch's run here under one lease. */
interface Run {
  readonly lease: Lease;
  done: Promise<void>;
  /**
   * The runner has been given the batch (after the takeover grace and `beforeRun`). Until then a
   * start or cancel asked here only writes the state, which the run reads once the grace is over:
   * the runner's own would re-read (and resend) before the former holder's last call has landed.
   */
  started: boolean;
}

export function createLeaseHost(o: LeaseHostOptions): LeaseHost {
  const { consoleId } = o;
  const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
  const claimEveryMs = o.claimEveryMs ?? leaseMs / 3;
  const maxBatches = Math.max(1, Math.floor(o.maxBatches ?? 16));
  const graceMs = Math.max(0, o.takeoverGraceMs ?? 0);
  const log = o.log ?? (() => undefined);
  const leaseDb = o.db as unknown as Kysely<LeaseTables>;
  const keeperNow = o.keeper?.now ?? (() => performance.now());
  /** The current run of each batch run here: whose lease its writes are fenced with. */
  const runs = new Map<string, Run>();
  let stopping = false;
  let claiming: Promise<string[]> | null = null;
  let claimTimer: ReturnType<typeof setTimeout> | null = null;
  /** Starts between their check of the room and their run's entry in `runs` (start). */
  let startsClaiming = 0;
  /**
   * Batches may wait offered for room here: a start found none, or a claim round filled its room.
   * A run's end then claims at once (runUnder).
   */
  let backlog = false;
  const wakeGrace = new Set<() => void>();

  const keeper = new LeaseKeeper<LeaseTables>({
    db: (o.keeperDb ?? o.db) as unknown as Kysely<LeaseTables>,
    consoleId,
    leaseMs,
    ...o.keeper,
    log,
    onLost(batchId, reason: KeeperLostReason) {
      log(`batch ${batchId}: lease lost (${reason}); stopping it here`);
      runner.abandon(batchId, reason);
    },
  });

  /** The run's own lease, still kept and surely live (the runner asks it before each send). */
  function holdsRun(batchId: string): boolean {
    const run = runs.get(batchId);
    return (
      run !== undefined && keeper.lease(batchId)?.epoch === run.lease.epoch && keeper.holds(batchId)
    );
  }

  const store = openPgStore(o.db, {
    ...(o.now ? { now: o.now } : {}),
    fence: (trx, batchId, seen) => {
      const run = runs.get(batchId);
      if (!run) return Promise.reject(new LeaseLostError(batchId, 0, 'not held'));
      return keeper.fence(trx as unknown as Kysely<LeaseTables>, run.lease, seen);
    },
  });

  const runner = createRunner({
    ...o.runner,
    store,
    upstream: o.upstream,
    mayRun: holdsRun,
  });

  /** Waits `ms` unless the host stops meanwhile. */
  function grace(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        wakeGrace.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      wakeGrace.add(done);
    });
  }

  /**
   * Runs the batch under `lease` (just claimed). An earlier run of it here (a lease this console
   * lost, then claimed again) is stopped and waited for first: its writes are fenced with its own
   * lease, never the new one.
   */
  async function runUnder(lease: Lease): Promise<void> {
    const id = lease.batchId;
    for (let prev = runs.get(id); prev; prev = runs.get(id)) {
      runner.abandon(id, 'its lease was claimed again');
      await prev.done;
    }
    if (keeper.lease(id)?.epoch !== lease.epoch) return; // lost meanwhile
    const run: Run = { lease, done: Promise.resolve(), started: false };
    runs.set(id, run);
    run.done = runBatch(run)
      .catch((err: unknown) => {
        log(`batch ${id}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        if (runs.get(id) === run) runs.delete(id);
        if (!runs.has(id)) o.afterRun?.(id);
        if (backlog) claimAfterRound();
      });
    return run.done;
  }

  async function runBatch(run: Run): Promise<void> {
    const id = run.lease.batchId;
    try {
      let batch = await store.getBatch(id);
      let waited = false;
      if (batch && batch.counts.in_flight > 0 && graceMs > 0 && !stopping) {
        // Another run's calls (this console's runs of the batch have all ended): see
        // takeoverGraceMs. The lease is kept meanwhile.
        log(`batch ${id}: ${batch.counts.in_flight} IDs left in flight; re-read in ${graceMs} ms`);
        await grace(graceMs);
        waited = true;
      }
      if (stopping || !holdsRun(id)) return;
      if (batch && o.beforeRun) {
        await o.beforeRun(id);
        waited = true;
      }
      if (stopping || !holdsRun(id)) return;
      // Read again after waiting: a start, pause or cancel asked meanwhile wrote only the state
      // (Run.started).
      if (waited) batch = await store.getBatch(id);
      run.started = true;
      if (batch?.state === 'running') {
        // The run strands the calls left in flight and re-reads the unknown outcomes first.
        await runner.start(id);
      } else if (
        batch?.state === 'cancelled' &&
        batch.counts.unknown + batch.counts.in_flight > 0
      ) {
        await runner.settleCancelled(id);
      }
      await runner.whenIdle(id);
    } finally {
      await afterRun(run);
    }
  }

  /** The batch's run here has stopped: its lease ends, or is given up (module comment). */
  async function afterRun(run: Run): Promise<void> {
    const id = run.lease.batchId;
    // Lost: the batch is the taker's. Stopping: stop() releases every lease.
    if (stopping || keeper.lease(id)?.epoch !== run.lease.epoch) return;
    try {
      // The batch's row locked first (the lock order of pg-store.ts): a resume cannot commit
      // between this read and the lease's end, which would leave a running batch whose lease is
      // ended, offered to nobody.
      const ended = await o.db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('batches')
          .select('state')
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        if (row?.state === 'running') return false;
        await endBatch(leaseTx(trx), run.lease);
        return true;
      });
      if (!ended) {
        const waitMs = await keeper.releaseWithWait(id, {
          firstMs: leaseMs,
          maxMs: Math.max(leaseMs, UNRECORDED_RETRY_MAX_MS),
        });
        log(
          `batch ${id}: stopped here while it still runs; its lease is given up${waitMs === null ? '' : `, to be claimed again in ${Math.round(waitMs)} ms`}`,
        );
        return;
      }
      keeper.forget(id);
    } catch (err: unknown) {
      // Lost meanwhile (the taker's now), or the ledger did not answer: the lease is left to
      // expire, and whoever claims it next finds the batch stopped and ends it.
      if (!(err instanceof LeaseLostError)) {
        log(`batch ${id}: could not end its lease: ${err instanceof Error ? err.message : err}`);
      }
      keeper.forget(id);
    }
  }

  function leaseTx(trx: Transaction<LedgerTables>): Transaction<LeaseTables> {
    return trx as unknown as Transaction<LeaseTables>;
  }

  /** Room for more leases here (maxBatches): runs, and starts claiming. */
  const room = () => maxBatches - runs.size - startsClaiming;

  async function claimRound(): Promise<string[]> {
    const max = room();
    if (stopping || max <= 0) return [];
    const leases = await keeper.claim(max);
    // Fewer than the room: nothing more is offered that this console may take now.
    backlog = leases.length >= max;
    for (const lease of leases) {
      log(`batch ${lease.batchId}: lease claimed (epoch ${lease.epoch})`);
      void runUnder(lease);
    }
    return leases.map((l) => l.batchId);
  }

  function claimNow(): Promise<string[]> {
    // One round at a time: a timer's round and a test's share the one under way.
    claiming ??= claimRound().finally(() => {
      claiming = null;
    });
    return claiming;
  }

  /** A claim round once the one under way (if any) is over: it would not see the room made since. */
  function claimAfterRound(): void {
    void (claiming ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => (stopping ? [] : claimNow()))
      .catch((err: unknown) => {
        log(`claiming batches failed: ${err instanceof Error ? err.message : String(err)}`);
      });
  }

  function armClaims(): void {
    if (stopping) return;
    claimTimer = setTimeout(() => {
      claimNow()
        .catch((err: unknown) => {
          log(`claiming batches failed: ${err instanceof Error ? err.message : String(err)}`);
        })
        .finally(armClaims);
    }, claimEveryMs);
    claimTimer.unref();
  }
  armClaims();

  return {
    store,
    runner,
    async start(batchId) {
      // A claim round under way counts its room only once it has its leases: wait for it (it may
      // also have taken this very batch, offered by a sweep).
      while (claiming) await claiming.catch(() => undefined);
      if (stopping) return false;
      if (holdsRun(batchId)) {
        // Run here already (a resume while its run ends): the runner runs it again after; or
        // not given to the runner yet (the takeover grace): the run reads its state then.
        if (runs.get(batchId)?.started) void runner.start(batchId);
        return true;
      }
      // Asked for now: a wait its lease was given up with is over (clearRetryWait, both ways).
      if (room() <= 0) {
        // No room here: offered, for whichever console has room first (module comment).
        await clearRetryWait(leaseDb, batchId);
        await offerBatch(leaseDb, batchId);
        backlog = true;
        return false;
      }
      startsClaiming++;
      try {
        const sentAt = keeperNow();
        const lease = await o.db.transaction().execute(async (trx) => {
          await clearRetryWait(leaseTx(trx), batchId);
          await offerBatch(leaseTx(trx), batchId);
          return claimBatch(leaseTx(trx), consoleId, batchId, leaseMs);
        });
        if (!lease) return false;
        if (stopping) {
          await releaseLease(leaseDb, lease);
          return false;
        }
        keeper.track(lease, sentAt);
        // In `runs` before this returns (runUnder adds it in its first step, or an earlier run of
        // the batch here holds the place), so the room is counted once.
        void runUnder(lease);
        return true;
      } finally {
        startsClaiming--;
      }
    },
    async cancel(batchId) {
      // Run here under a live lease: the runner's cancel (its re-read of open items is fenced by
      // that lease). A run here whose lease is lost is cancelled like one elsewhere.
      if (holdsRun(batchId)) {
        // Still in its takeover grace: the cancel is written; the run settles its open items
        // once the grace is over (a re-read now could miss the former holder's last call).
        if (!runs.get(batchId)?.started) return store.cancelBatch(batchId);
        return runner.cancel(batchId);
      }
      if (!(await store.cancelBatch(batchId))) return false;
      const counts = await store.counts(batchId);
      if (counts.in_flight + counts.unknown === 0) await withdrawBatch(leaseDb, batchId);
      else {
        // Asked for now, as a start: a wait its lease was given up with is over.
        await clearRetryWait(leaseDb, batchId);
        // Only if items are still open when the offer is written (the holder may have settled
        // them and ended the lease since the counts were read).
        await offerIfRunnable(leaseDb, batchId);
      }
      return true;
    },
    claimNow,
    running: () => [...runs.keys()],
    async whenIdle(batchId) {
      for (let r = runs.get(batchId); r; r = runs.get(batchId)) await r.done;
    },
    async stop() {
      stopping = true;
      if (claimTimer) clearTimeout(claimTimer);
      for (const wake of [...wakeGrace]) wake();
      await claiming?.catch(() => undefined);
      await runner.stop();
      await Promise.all([...runs.values()].map((r) => r.done));
      await keeper.stop({ release: true });
    },
  };
}
