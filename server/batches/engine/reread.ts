/**
 * Settles a batch's unknown items (timeout after sending, reset, unreadable 200, crash, 5xx retries
 * used up) by re-reading the subject's links, ≤ 100 IDs a read. Unsettled items keep "Outcome
 * unknown — re-check".
 */
import { MAX_IDS_PER_CALL, type BatchSummary } from '../../../src/api/schemas';
import { rereadLinks } from '../reconcile';
import { withPermit } from '../../secmaster/paced';
import { haltOnRefusedCredential, subjectOf, type Control, type Engine } from './context';
import { newSlot, permitAndSlot, releaseSlot } from './paced-slot';
import { afterReread } from './settle';

/**
 * One re-read of ≤ 100 IDs, retried within the budget; null when it could not be done; 'refused'
 * when SecMaster refused the credential (401, APIG.0301/0303): never retried (an AK/SK can be locked
 * out by repeated refusals), the batch halted and interrupted with the reason, as the pre-read and
 * the write do.
 */
async function rereadWithRetry(
  e: Engine,
  batch: BatchSummary,
  ids: readonly string[],
  ctl: Control,
): Promise<Set<string> | null | 'refused'> {
  const { budget } = e;
  const slot = newSlot(e, batch);
  for (let n = 0; n < e.policy.rereadAttempts; n++) {
    if (n > 0) {
      if (!(await budget.tryAcquire(false))) return null;
      await e.nap(e.delayFor('transient', n - 1, null), ctl);
      if (e.stopping()) return null;
    }
    // The read's permit first, then the slot (paced-slot.ts).
    const permit = await permitAndSlot(e, batch, 'read', ctl, slot);
    if (permit === 'stopped') return null;
    if (!e.mayRun(batch.id, ctl)) {
      permit?.cancel();
      releaseSlot(slot);
      return null;
    }
    let res;
    try {
      e.counters.rereads++;
      res = await rereadLinks(withPermit(e.upstreamOf(batch), permit), subjectOf(batch), ids);
    } finally {
      releaseSlot(slot);
    }
    if (res.ok) {
      budget.onSuccess();
      return res.present;
    }
    if (res.auth) {
      await haltOnRefusedCredential(e, batch, ctl, res.code, res.message);
      return 'refused';
    }
    if (res.throttled) slot.limiter.onThrottle();
  }
  return null;
}

/** Re-reads every unknown item of the batch once, in input order, and records what it found. */
export async function settleUnknown(e: Engine, batch: BatchSummary, ctl: Control): Promise<void> {
  const { store } = e;
  let after = -1;
  for (;;) {
    if (e.stopping()) return;
    const rows = await store.unknownIds(batch.id, MAX_IDS_PER_CALL, after);
    const last = rows.at(-1);
    if (!last) return;
    after = last.seq;
    const ids = rows.map((r) => r.id);
    const present = await rereadWithRetry(e, batch, ids, ctl);
    // No longer this process's batch: what was read is the next console's to record.
    if (!e.mayRun(batch.id, ctl)) return;
    if (present === null || present === 'refused') {
      await store.markUnknownUnsettled(batch.id, ids);
      // The rest are not read with a refused credential: they stay unknown too.
      if (present === 'refused') return;
      continue;
    }
    // Read, then written after an await: only this batch's one run (or its cancelled re-read)
    // settles its unknown items, and settleUnknown changes only rows still unknown.
    const items = new Map(
      (
        await store.listItemsBySeqs(
          batch.id,
          rows.map((r) => r.seq),
        )
      ).map((i) => [i.id, i] as const),
    );
    const settlement = afterReread(batch.action, ids, present, items, e.policy.maxSendsPerId);
    e.counters.unknownSettled += await store.settleUnknown(batch.id, settlement);
  }
}
