/**
 * The runner of a console on a shared PostgreSQL ledger (issue 14): the `Runner` the batch and
 * group services and the HTTP app drive (start, pause, resume, cancel, whenIdle...), over this
 * console's lease host (lease-host.ts), so that every batch runs only under a lease, wherever it was
 * started:
 *
 * - start: the host offers and claims the batch (a group's child is a batch of its own, with its own
 *   lease); when another console holds it, or holds a batch of its subject, or this console holds
 *   its most batches already, that one (or whoever claims it later) runs it. Never the host's runner directly: a run without a lease sends
 *   nothing (its `mayRun` says no) and would stop at once.
 * - pause, resume, cancel: on any console, whichever runs the batch. The state is written under
 *   the batch's row lock (pg-store.ts), so the holder's next claim of a chunk is refused in its
 *   transaction and its run loop stops; its calls in flight are recorded by it. On the holder, the
 *   runner's own pause and cancel (which also wait for a claim under way to be sent). A pause
 *   answered on another console: a chunk the holder claimed just before may still be sent after
 *   the answer (its outcome is recorded as usual).
 * - resumeAll (start-up): `first` (a move's second phases, batches on sign-in sessions), then
 *   every batch that should run and is not offered is offered (`offerRunnable`: a console that
 *   stopped or died between recording a batch and offering it), then one claim round. Never SQLite's crash recovery (it would turn other consoles' calls in flight
 *   unknown): a batch this console ran before a crash is free once its lease expires, and whoever
 *   claims it strands its calls in flight and re-reads them first (lease-host.ts).
 * - stop: the host stops (calls in flight recorded, leases released for the others at once).
 */
import type { Kysely } from 'kysely';
import { offerRunnable } from '../../db/leases';
import type { LedgerStore } from '../../db/store';
import type { LedgerTables } from '../../db/tables';
import type { LeaseHost } from './lease-host';
import type { Runner } from './runner';

export interface LeasedRunnerOptions {
  log?: (message: string) => void;
  /**
   * How often this console sweeps the ledger for work nobody took up (default: never): every
   * batch that should run and has no open lease is offered (offerRunnable), then `sweep` runs
   * (console.ts: a move whose first phase ended gets its second). What a console meant to do and
   * could not (its start's transaction failed, it died between recording a batch and offering it,
   * between a move's phases) is done by one of the consoles still up, not only at a restart.
   */
  sweepEveryMs?: number;
  sweep?: () => Promise<void>;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function leasedRunner(
  host: LeaseHost,
  /** An unfenced store on the same database (a user's state changes, from any console). */
  store: Pick<LedgerStore, 'transitionBatch'>,
  /** The shared ledger (start-up and the sweeps offer what should run: offerRunnable). */
  db: Kysely<LedgerTables>,
  opts: LeasedRunnerOptions = {},
): Runner {
  const { runner } = host;
  const log = opts.log ?? (() => undefined);
  let stopped = false;
  let sweepTimer: ReturnType<typeof setTimeout> | null = null;
  let sweeping: Promise<void> | null = null;

  /** Offers what should run and has no open lease (offerRunnable), and says how many. */
  async function offerLeftovers(when: string): Promise<void> {
    const offered = await offerRunnable(db);
    if (offered > 0) log(`${when}: ${offered} batch(es) that should run offered to the consoles`);
  }

  /** One sweep (see LeasedRunnerOptions); never rejects. */
  async function sweepOnce(): Promise<void> {
    try {
      await offerLeftovers('sweep');
      await opts.sweep?.();
    } catch (err: unknown) {
      log(`sweeping the ledger for work left undone failed: ${messageOf(err)}`);
    }
  }

  function armSweep(): void {
    const every = opts.sweepEveryMs;
    if (stopped || sweepTimer !== null || every === undefined || !(every > 0)) return;
    sweepTimer = setTimeout(() => {
      sweeping = sweepOnce().finally(() => {
        sweeping = null;
        sweepTimer = null;
        armSweep();
      });
    }, every);
    sweepTimer.unref();
  }

  /** Starts asked here and not yet over (a claim under way, then the run): whenIdle waits. */
  const starts = new Map<string, Promise<void>>();

  function start(batchId: string): Promise<void> {
    const p = startHere(batchId).finally(() => {
      if (starts.get(batchId) === p) starts.delete(batchId);
    });
    starts.set(batchId, p);
    return p;
  }

  async function startHere(batchId: string): Promise<void> {
    try {
      const here = await host.start(batchId);
      if (here) await host.whenIdle(batchId);
      else
        log(
          `batch ${batchId} is offered: the console holding it (or a batch of its subject) runs it, it waits for an older batch of its subject, or for a console with room (this one runs its most batches at once)`,
        );
    } catch (err: unknown) {
      // Offered (a claim round, here or elsewhere, takes it), or, when the offer itself failed, left
      // running without a lease: the next sweep offers it (LeasedRunnerOptions.sweepEveryMs).
      log(`batch ${batchId} could not be started here: ${messageOf(err)}`);
    }
  }

  /** Whether this console runs the batch now. */
  const runsHere = (batchId: string) => host.running().includes(batchId);

  return {
    start,
    async resumeAll(first) {
      try {
        await first?.();
      } catch (err: unknown) {
        log(`start-up: ${messageOf(err)}`);
      }
      let taken: string[] = [];
      try {
        await offerLeftovers('start-up');
        taken = await host.claimNow();
      } catch (err: unknown) {
        // The timer's rounds go on claiming, and the sweeps offering.
        log(`claiming batches at start-up failed: ${messageOf(err)}`);
      } finally {
        armSweep();
      }
      await Promise.all(taken.map((id) => host.whenIdle(id)));
    },
    async whenIdle(batchId) {
      for (let p = starts.get(batchId); p; p = starts.get(batchId)) await p;
      await host.whenIdle(batchId);
      await runner.whenIdle(batchId);
    },
    async stop() {
      stopped = true;
      if (sweepTimer) clearTimeout(sweepTimer);
      await sweeping;
      await host.stop();
    },
    async pause(batchId) {
      if (runsHere(batchId)) return runner.pause(batchId);
      return store.transitionBatch(batchId, ['running'], 'paused', 'paused by the user');
    },
    async resume(batchId) {
      // An interruption this console could not record (the row still says running) is forgotten
      // here, or the batch's run would not be started again after its current one (runner.ts).
      const ok =
        (await runner.forgetUnrecorded(batchId)) ||
        (await store.transitionBatch(batchId, ['paused', 'interrupted'], 'running', null));
      if (ok) void start(batchId);
      return ok;
    },
    cancel: (batchId) => host.cancel(batchId),
    abandon: (batchId, reason) => runner.abandon(batchId, reason),
    settleCancelled: (batchId) => runner.settleCancelled(batchId),
    unrecordedInterruption: (batchId) => runner.unrecordedInterruption(batchId),
    forgetUnrecorded: (batchId) => runner.forgetUnrecorded(batchId),
    paceOf: (batchId) => runner.paceOf(batchId),
    stats: () => runner.stats(),
  };
}
