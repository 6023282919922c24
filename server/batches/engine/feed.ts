/**
 * Feeds a batch's workers during one run: reads which pending IDs are already in the asked state,
 * records those without sending them, and claims the others in calls of up to `chunkSize`, each
 * sent in the tick of its claim.
 */
import type { BatchSummary } from '../../../src/api/schemas';
import type { Permit } from '../../secmaster/pacer';
import type { PendingRow, SettledRow } from '../ledger';
import { sendWrite } from './call-chain';
import {
  haltOnRefusedCredential,
  stoppedByAnotherCall,
  type Control,
  type Engine,
  type Slot,
  type Started,
} from './context';
import { batchHealthSource } from './ledger-wait';
import { permitAndSlot, releaseSlot, upstreamNow } from './paced-slot';
import { preRead, type ReadOutcome } from './pre-read';
import { afterClassRead, afterLinksRead, readRefused } from './settle';

/** How long IDs read before writing may wait in memory for a call to fill up. */
export const MAX_READY_AGE_MS = 1_000;
const MSG_READ_WAIT =
  'waiting: SecMaster keeps refusing the reads that tell which IDs are already in the asked state; nothing is sent before they pass; the batch continues by itself';

/** Where a feed stands when a worker asks it for the next call. */
export interface FeedState {
  /** IDs read and to be sent, waiting in memory. */
  ready: number;
  /** IDs read and found already so (or refused), to be recorded. */
  settled: number;
  chunkSize: number;
  /** Every pending row of this run has been read. */
  exhausted: boolean;
  /** Reads under way in other workers. */
  reading: number;
  /** Whether the oldest ready ID was read MAX_READY_AGE_MS ago or more (asked once a step). */
  stale: () => boolean;
}

/**
 * What a worker does next: `commit` the ready work (a call and/or the settled rows), `read` more
 * pending rows, or `end` (nothing more for this worker in this run).
 */
export function feedStep(s: FeedState): 'commit' | 'read' | 'end' {
  // At the end, a worker whose read is still under way fills the last call: no half-empty calls
  // while another read may complete them.
  if (s.exhausted && s.reading > 0 && s.ready < s.chunkSize) return 'end';
  // IDs read more than MAX_READY_AGE_MS ago go out in a partial call rather than wait for more
  // reads (the gap between an ID's read and its write stays short: the race).
  const stale = s.stale();
  if (s.ready >= s.chunkSize || (stale && s.ready > 0) || (s.exhausted && s.ready + s.settled > 0))
    return 'commit';
  return s.exhausted ? 'end' : 'read';
}

export interface Feed {
  /** The next call, sent; null when nothing is left to send in this run (or it must stop). */
  next(slot: Slot): Promise<Started | null>;
}

/**
 * For a cancel, IDs not linked are looked up in the related class, so that an unknown ID is still
 * sent and SecMaster's refusal explained. Reads are of `chunkSize` IDs; IDs read but not yet
 * claimed wait in memory (still pending in the ledger, so a crash only means reading them again).
 * Workers share one feed; every step between awaits is synchronous, and the reads of pending rows
 * take turns (`peek`), so two workers never take the same row.
 */
export function makeFeed(e: Engine, batch: BatchSummary, ctl: Control): Feed {
  const { store, chunkSize } = e;
  let cursor = -1;
  let exhausted = false;
  /** Reads under way in other workers: their IDs may still fill a call. */
  let reading = 0;
  const ready: PendingRow[] = [];
  /** When the oldest row waiting in `ready` was read (null when none waits). */
  let readyAt: number | null = null;
  const toReady = (rows: readonly PendingRow[]) => {
    if (ready.length === 0 && rows.length > 0) readyAt = e.now();
    ready.push(...rows);
  };
  const settled: SettledRow[] = [];
  /** The last read of pending rows: the next one starts after it, from the cursor it moved. */
  let peeking: Promise<unknown> = Promise.resolve();

  /**
   * The next pending rows after the cursor, counted as a read under way when there are some. The
   * store answers asynchronously: each read starts once the one before has moved the cursor, or
   * two workers would read (and claim) the same rows.
   */
  function peek(): Promise<PendingRow[]> {
    const rows = peeking.then(async () => {
      const next = await store.peekPending(batch.id, cursor, chunkSize);
      const last = next.at(-1);
      if (!last) exhausted = true;
      else {
        cursor = last.seq;
        reading++;
        e.reads.underWay++;
      }
      return next;
    });
    peeking = rows.catch(() => undefined);
    return rows;
  }

  /** Reads the next rows; false when the batch must stop or wait. */
  async function fill(slot: Slot): Promise<boolean> {
    const rows = await peek();
    if (rows.length === 0) return true;
    try {
      return await classify(rows, slot);
    } finally {
      reading--;
      e.reads.underWay--;
    }
  }

  async function classify(rows: PendingRow[], slot: Slot): Promise<boolean> {
    const ids = (rs: readonly PendingRow[]) => rs.map((r) => r.id);
    const links = await preRead(e, batch, ids(rows), 'links', ctl, slot);
    if (links.kind !== 'ok') return readFailed(links, rows);
    const byLinks = afterLinksRead(batch.action, rows, links.present);
    settled.push(...byLinks.settled);
    toReady(byLinks.ready);
    if (byLinks.lookUp.length === 0) return true;
    const found = await preRead(e, batch, ids(byLinks.lookUp), 'class', ctl, slot);
    if (found.kind !== 'ok') return readFailed(found, byLinks.lookUp);
    const byClass = afterClassRead(byLinks.lookUp, found.present);
    settled.push(...byClass.settled);
    toReady(byClass.ready);
    return true;
  }

  async function readFailed(
    outcome: Exclude<ReadOutcome, { kind: 'ok' }>,
    rows: PendingRow[],
  ): Promise<boolean> {
    switch (outcome.kind) {
      case 'auth':
        // Nothing was sent; the IDs stay pending. Never retried (AK/SK lockout risk).
        await haltOnRefusedCredential(e, batch, ctl, outcome.code, outcome.message);
        return false;
      case 'refused':
        settled.push(...readRefused(rows, outcome.code, outcome.message));
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

  /**
   * Commits the settled rows only; the ready ones keep waiting, and keep the time they were read
   * (so that they still go out after MAX_READY_AGE_MS).
   */
  function commitSettled(): Promise<Started | null | 'stopped'> {
    if (e.dataDirLost()) return Promise.resolve('stopped');
    return claim([], settled.splice(0), null, null);
  }

  /**
   * Commits the ready work: a call (sent once claimed, on `permit` when paced) and/or the settled
   * rows.
   */
  function commit(permit: Permit | null, slot: Slot): Promise<Started | null | 'stopped'> {
    if (e.dataDirLost()) return Promise.resolve('stopped');
    // Taken from memory before the claim's await: no other worker takes them meanwhile.
    const toSend = ready.splice(0, chunkSize);
    if (ready.length === 0) readyAt = null;
    return claim(toSend, settled.splice(0), permit, slot);
  }

  /**
   * Claims `toSend` as one call (sent once the claim is known, with a slot) and records `settle`.
   * The claim is written only while the batch runs (claimPreRead checks in its transaction); a
   * pause or cancel that follows it waits for the send or its withdrawal (e.claiming): either it
   * precedes the claim or it follows the send (I6).
   *
   * The claim makes no call, and the store answers it only once its intent is on disk (the SQLite
   * ledger's flush, store.ts): the worker's `slot` goes to other workers meanwhile (a read, a
   * send), so that the window stays busy with calls as a bare loop's would. The call is sent at
   * once if a slot is free when the claim is known (on `permit`), else once one is (slotAgain).
   * If the batch was paused, cancelled or stopped (its wakers) from the claim on, or halted or made
   * to wait (another worker's call: a 401, the retry budget spent) by the time the slot is known,
   * it is withdrawn instead, unsent (its IDs as before the claim). Workers outnumber the window's
   * slots (WORKERS_PER_SLOT, runner.ts): a claimed call often waits for another's to end, and
   * learns only then how it ended.
   */
  async function claim(
    toSend: PendingRow[],
    settle: SettledRow[],
    permit: Permit | null,
    slot: Slot | null,
  ): Promise<Started | null | 'stopped'> {
    const sent = e.claiming(ctl);
    /** A permit taken here in place of `permit` (slotAgain), until the send uses it. */
    let replaced: Permit | null = null;
    // A pause, cancel or stop from here on: a wait for a slot that starts later would not see it.
    let interrupted = false;
    const woke = () => {
      interrupted = true;
    };
    ctl.wakers.add(woke);
    try {
      if (slot && toSend.length > 0) releaseSlot(slot);
      const claimed = await store.claimPreRead(batch.id, toSend, settle);
      if (!claimed) return 'stopped';
      if (ctl.ledgerStreak > 0) {
        // The ledger takes this batch's writes again, after a wait for it.
        ctl.ledgerStreak = 0;
        e.storage.report(batchHealthSource(batch.id), null);
        e.log(`batch ${batch.id}: the ledger takes its writes again; continuing`);
      }
      e.counters.unchangedIds += settle.filter((r) => r.state === 'unchanged').length;
      if (!claimed.call) return null;
      // The DATA_DIR lock (and the batch's lease) is asked again in the tick of the send. Lost
      // since the claim: nothing is sent and nothing more recorded; the call's IDs stay in flight,
      // as after a crash between an intent and its send (the server holding the DATA_DIR, or the
      // console that takes the batch over, re-reads them).
      if (e.dataDirLost() || !e.mayRun(batch.id, ctl)) return 'stopped';
      let onPermit = permit;
      let waitedMs = 0;
      if (slot && !slot.held) {
        const asked = e.now();
        const wait = { waited: false };
        const again = await slotAgain(slot, permit, () => interrupted, wait);
        waitedMs = e.now() - asked;
        if (again === 'stopped') {
          // No longer this process's batch (or the DATA_DIR lock is lost): left in flight for the
          // console (or the server) running it now, which re-reads it.
          if (e.dataDirLost() || !e.mayRun(batch.id, ctl)) return 'stopped';
          // Not sent: its IDs as before the claim (pending, or skipped if the batch was stopped).
          await store.withdrawCall(claimed.call.callId);
          return 'stopped';
        }
        if (again !== permit) replaced = again;
        onPermit = again;
        if (e.dataDirLost() || !e.mayRun(batch.id, ctl)) return 'stopped';
        // Asked in the tick the slot is known, the send's: from the claim on, another worker's
        // call may have stopped the batch (a 401 halts it: sent now, this call would use the
        // refused credential, the AK/SK lockout risk; an empty retry budget makes it wait), or,
        // while it waited for the slot, a pause, cancel or stop may have come (a slot free at once
        // sends it: the pause answers after the send, I6). Not sent: the slot goes on, its IDs
        // as before the claim.
        if (stoppedByAnotherCall(ctl) || (wait.waited && (interrupted || e.stopping()))) {
          releaseSlot(slot);
          await store.withdrawCall(claimed.call.callId);
          return 'stopped';
        }
      }
      const started = {
        call: claimed.call,
        pending: sendWrite(e, batch, claimed.call, onPermit),
        waitedMs,
      };
      replaced = null;
      return started;
    } finally {
      ctl.wakers.delete(woke);
      replaced?.cancel();
      sent();
    }
  }

  /**
   * A slot again for a claimed call on `permit`: at once if one is free (the permit kept), else the
   * permit is given back and both are waited for (paced-slot.ts: a permit is never held waiting for
   * a slot). 'stopped', holding neither, when the batch was `interrupted` already (no wait starts)
   * or a pause, a cancel or the runner's stop cuts the wait.
   */
  async function slotAgain(
    slot: Slot,
    permit: Permit | null,
    interrupted: () => boolean,
    wait: { waited: boolean },
  ): Promise<Permit | null | 'stopped'> {
    slot.limiter = e.limiterOf(batch);
    if (slot.limiter.tryAcquire()) {
      if (!e.upstreamSlots) {
        slot.held = true;
        return permit;
      }
      // With one of the account's upstream slots, if one is free now.
      if (await upstreamNow(e.upstreamSlots, slot)) return permit;
    }
    permit?.cancel();
    if (interrupted()) return 'stopped';
    wait.waited = true;
    return permitAndSlot(e, batch, 'write', ctl, slot);
  }

  return {
    async next(slot) {
      /** The pacer's permit for the next write, taken before its intent is committed (I6). */
      let permit: Permit | null = null;
      let waitedMs = 0;
      try {
        for (;;) {
          if (e.stopping() || ctl.halted || ctl.budgetWait) return null;
          const step = feedStep({
            ready: ready.length,
            settled: settled.length,
            chunkSize,
            exhausted,
            reading,
            stale: () => readyAt !== null && e.now() - readyAt >= MAX_READY_AGE_MS,
          });
          if (step === 'end') return null;
          if (permit !== null && !(step === 'commit' && ready.length > 0)) {
            // Other workers took the ready IDs while this one waited for its permit: give it back
            // before reading. A permit counts in the pacer's calls in flight; held through a read
            // (which waits for a permit of its own) it could starve that read when reads and
            // writes share one bucket, and no permit would ever come back.
            permit.cancel();
            permit = null;
          }
          if (step === 'commit') {
            if (ready.length > 0 && permit === null) {
              const asked = e.now();
              // The permit first, then the slot: no slot sits idle through the wait for a token.
              const taken = await permitAndSlot(e, batch, 'write', ctl, slot);
              waitedMs += e.now() - asked;
              if (taken === 'stopped') return null;
              if (taken !== null) {
                // Other workers may have moved on while this one waited: look again.
                permit = taken;
                continue;
              }
            }
            const started = await commit(permit, slot);
            if (started === 'stopped') return null;
            if (started) {
              permit = null;
              return { ...started, waitedMs: waitedMs + started.waitedMs };
            }
            continue;
          }
          if (!(await fill(slot))) {
            // Rows settled before the stop (a refused read) are still recorded.
            if (settled.length > 0 && !ctl.halted) await commitSettled();
            return null;
          }
          if (settled.length >= chunkSize && ready.length < chunkSize) {
            // Many IDs already in the asked state: record them without waiting for a full call.
            if ((await commitSettled()) === 'stopped') return null;
          }
        }
      } finally {
        permit?.cancel();
      }
    },
  };
}
