/**
 * One call chain: a chunk's write, its retries, and the ledger writes that record how it ended.
 * Every send sits between an intent transaction (call row + items in_flight) and an outcome
 * transaction fenced by call_id, so a crash between them leaves the IDs `in_flight` (re-read at the
 * next start), never a lost or doubled outcome. A retry re-sends the same IDs under a new call_id.
 * A call's outcome is committed with the ledger's next write or at the end of its turn
 * (queueOutcome, a group commit); the chain goes on only once it is durable.
 */
import type { BatchSummary } from '../../../src/api/schemas';
import { UpstreamError, UpstreamRequestError } from '../../secmaster/client';
import type { Permit } from '../../secmaster/pacer';
import type { ClaimedCall, ItemOutcome } from '../ledger';
import { explainRejected } from '../reconcile';
import {
  stoppedByAnotherCall,
  type Control,
  type Engine,
  type Slot,
  type Started,
} from './context';
import { permitAndSlot, releaseSlot } from './paced-slot';
import { endOfChain, notRetried, type CallRecord } from './settle';

export const MSG_THROTTLE_WAIT =
  'waiting: SecMaster keeps throttling the calls; their IDs stay pending and the batch continues by itself';
import { judge, mayRetry, retryKind, type CallResult } from './verdict';

/** How long a batch's last outcome may wait in memory for another write to be committed with. */
export const MAX_OUTCOME_HOLD_MS = 100;

/** Sends a write. The upstream's `call` is invoked synchronously, in the caller's tick (I6). */
export function sendWrite(
  e: Engine,
  batch: BatchSummary,
  call: ClaimedCall,
  permit: Permit | null,
): Promise<CallResult> {
  e.counters.writes++;
  return e
    .upstreamOf(batch)
    .call(
      {
        op: batch.action,
        workspaceId: batch.workspace_id,
        dataclass: batch.dataclass_type,
        objectId: batch.data_object_id,
        related: batch.related_dataclass_type,
        ids: call.ids,
      },
      permit ? { permit } : {},
    )
    .catch((err: unknown) => {
      if (err instanceof UpstreamError || err instanceof UpstreamRequestError) return err;
      throw err;
    });
}

/** Labels REJECTED outcomes with one follow-up search (and the other classes when needed). */
async function labelRejected(
  e: Engine,
  batch: BatchSummary,
  outcomes: readonly ItemOutcome[],
): Promise<void> {
  const rejected = outcomes.filter((o) => o.code === 'REJECTED').map((o) => o.id);
  if (rejected.length === 0) return;
  e.counters.explainSearches++;
  const labels = await explainRejected(
    e.upstreamOf(batch),
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

/**
 * Writes how the call ended; returns the outcome rows changed (0 for a release). Nothing is written
 * once this process may no longer run the batch (Engine.mayRun): the call's IDs stay in flight for
 * the console running it now, which re-reads them.
 */
async function record(
  e: Engine,
  batch: BatchSummary,
  ctl: Control,
  call: ClaimedCall,
  r: CallRecord,
): Promise<number> {
  if (!e.mayRun(batch.id, ctl)) return 0;
  switch (r.kind) {
    case 'outcomes':
      return e.store.recordOutcome(call.callId, r.outcomes, r.meta);
    case 'release':
      await e.store.releaseCall(call.callId, r.meta);
      return 0;
    case 'interrupt':
      // Not applied upstream: the IDs go back to pending, and the batch stops. Halted first: the
      // batch's other workers claim nothing more while these writes are under way.
      ctl.halted = true;
      await e.store.releaseCall(call.callId, r.meta);
      await e.store.transitionBatch(batch.id, ['running', 'paused'], 'interrupted', r.reason);
      return 0;
  }
}

/**
 * Runs a call chain: entered holding a slot (released on return), its first write already sent.
 * Between sends the slot is given back while the chain sleeps its backoff and waits for its pacer's
 * permit (paced-slot.ts), and once the answer is in (the follow-up search labelling rejected IDs
 * waits for a read permit of its own).
 */
export async function runCallChain(
  e: Engine,
  batch: BatchSummary,
  first: Started,
  ctl: Control,
  slot: Slot,
): Promise<void> {
  const { store, budget, policy } = e;
  let call = first.call;
  let pending = first.pending;
  try {
    for (let retries = 0; ; retries++) {
      const v = judge(call.ids, await pending);
      if (v.kind === 'outcomes') {
        budget.onSuccess();
        slot.limiter.onSuccess();
        releaseSlot(slot);
        await labelRejected(e, batch, v.outcomes);
      }
      if (v.kind === 'retry' && v.throttled) {
        slot.limiter.onThrottle();
        e.counters.throttled++;
        if (!mayRetry(policy, true, retries + 1)) {
          // Throttled through every retry: never a failure of its IDs. They go back to pending
          // and the batch waits a little, then continues (the pacer has slowed down meanwhile).
          // The wait first: a call another worker claimed is not sent once its slot comes while
          // this is recorded (feed.ts).
          ctl.budgetWait = true;
          await record(e, batch, ctl, call, endOfChain(call.ids, v));
          e.counters.throttleWaits++;
          ctl.waitReason = MSG_THROTTLE_WAIT;
          ctl.waitMs = policy.throttleWaitMs;
          return;
        }
      }
      if (v.kind !== 'retry' || !mayRetry(policy, v.throttled, retries + 1)) {
        const end = endOfChain(call.ids, v);
        let changed: number;
        if (end.kind === 'outcomes') {
          // Group commit: the outcome goes into the ledger's next write (often another call's
          // intent) or commits on its own at the end of this turn; the batch finishes in the same
          // transaction when nothing is left. The last outcome of a batch (a pairs group's child
          // has one call) waits for the next intent while a pre-read is under way, at most
          // MAX_OUTCOME_HOLD_MS: only this batch's end waits. The call has ended upstream: its
          // slot goes on now. `last` is a hint read before the outcome is queued: only whether the
          // outcome may wait; the batch finishes in the outcome's transaction (`finish`), which
          // checks again.
          releaseSlot(slot);
          if (!e.mayRun(batch.id, ctl)) return; // as in `record`
          const last = await store.isLastCall(call.callId);
          changed = await store.queueOutcome(call.callId, end.outcomes, end.meta, {
            finish: true,
            ...(last ? { holdWhile: () => e.reads.underWay > 0, holdMs: MAX_OUTCOME_HOLD_MS } : {}),
          });
        } else changed = await record(e, batch, ctl, call, end);
        if (v.kind === 'outcomes' && changed < call.ids.length)
          e.log(`call ${call.callId}: ${call.ids.length - changed} outcomes ignored (superseded)`);
        return;
      }
      // Paused or cancelled after this read: retryCall below refuses (it checks in its transaction).
      if (e.stopping() || (await store.getBatchState(batch.id)) !== 'running') {
        await record(e, batch, ctl, call, notRetried(call.ids, v));
        return;
      }
      if (!(await budget.tryAcquire(v.timeoutLike))) {
        // Circuit open: the IDs wait (not failed) and the batch waits.
        ctl.budgetWait = true;
        await record(e, batch, ctl, call, notRetried(call.ids, v));
        return;
      }
      const paced = e.upstreamOf(batch).pacer !== undefined;
      const delay = e.delayFor(retryKind(v.throttled), retries, v.retryAfter, paced);
      releaseSlot(slot);
      await e.nap(delay, ctl);
      const permit = await permitAndSlot(e, batch, 'write', ctl, slot);
      // Another worker's call may have stopped the batch while this one slept or waited for its
      // slot: not retried, asked again in the tick of the send.
      const stoppedByOther = () => stoppedByAnotherCall(ctl);
      // The retry's intent is written only while the batch runs (retryCall checks in its
      // transaction); a pause or cancel that follows it waits for the send (e.claiming): either
      // it precedes the claim or it follows the send (I6).
      const sent = e.claiming(ctl);
      let next: ClaimedCall | null = null;
      try {
        if (!e.mayRun(batch.id, ctl)) {
          // No longer this process's batch: nothing is sent nor written; the call's IDs stay in
          // flight for the console that runs it now.
          if (permit !== 'stopped') permit?.cancel();
          return;
        }
        next =
          permit === 'stopped' || e.stopping() || e.dataDirLost() || stoppedByOther()
            ? null
            : await store.retryCall(call.callId, v.mayBeApplied);
        // The DATA_DIR lock (and the batch's lease) is asked again in the tick of the send. Lost
        // since the claim: nothing is sent and nothing more recorded; the new call's IDs stay in
        // flight, as after a crash between an intent and its send (the server holding the
        // DATA_DIR, or the console that takes the batch over, re-reads them).
        if (next && (e.dataDirLost() || !e.mayRun(batch.id, ctl))) {
          if (permit !== 'stopped') permit?.cancel();
          return;
        }
        if (next && stoppedByOther()) {
          // Stopped while the retry's intent was written: not sent. Withdrawn as a claim that never
          // went out is (its send uncounted, the call row `withdrawn`, its IDs pending again, those
          // that may have been applied marked so for the re-read before they are sent again).
          if (permit !== 'stopped') permit?.cancel();
          await store.withdrawCall(next.callId);
          return;
        }
        if (next) {
          call = next;
          e.counters.retries++;
          pending = sendWrite(e, batch, call, permit === 'stopped' ? null : permit);
        }
      } finally {
        sent();
      }
      if (!next) {
        if (permit !== 'stopped') permit?.cancel();
        await record(e, batch, ctl, call, notRetried(call.ids, v));
        return;
      }
    }
  } catch (err: unknown) {
    // A failed outcome write leaves the call's items in_flight (its intent is committed): they are
    // re-read as unknown on resume (strandInFlight) or restart (recoverAfterCrash). A failed retry
    // intent sends nothing.
    await e.halt(batch.id, ctl, err);
  } finally {
    releaseSlot(slot);
  }
}
