/**
 * The read before writing: which of ≤ 100 pending IDs are already in the asked state (the subject's
 * links, or for a cancel the related class), retried like a write.
 */
import type { BatchSummary } from '../../../src/api/schemas';
import { UpstreamError, UpstreamRequestError } from '../../secmaster/client';
import { idsSearchBody } from '../../secmaster/operations';
import type { Permit } from '../../secmaster/pacer';
import type { Control, Engine, Slot } from './context';
import { permitAndSlot, releaseSlot } from './paced-slot';
import { judgeRead, mayRetry, readStep, retryKind, type CallResult } from './verdict';

/** The answer to a pre-read, once its retries are done. */
export type ReadOutcome =
  | { kind: 'ok'; present: Set<string> }
  | { kind: 'auth'; code: string; message: string }
  | { kind: 'refused'; code: string; message: string }
  /** Retries or the budget used up: the batch waits, its IDs stay pending. */
  | { kind: 'wait' }
  /** Paused, stopped or shutting down while a read waited to be retried. */
  | { kind: 'stopped' };

/**
 * One read of ≤ 100 IDs: the subject's links (`links`) or the related class (`class`); 'stopped'
 * when pause, cancel or shutdown cut it short (its wait for the pacer, or the call itself).
 */
async function readOnce(
  e: Engine,
  batch: BatchSummary,
  ids: readonly string[],
  what: 'links' | 'class',
  ctl: Control,
  permit: Permit | null,
): Promise<CallResult | 'stopped'> {
  e.counters.preReads++;
  const abort = new AbortController();
  const wake = () => abort.abort();
  ctl.wakers.add(wake);
  try {
    return await e.upstreamOf(batch).call(
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
      permit ? { signal: abort.signal, permit } : { signal: abort.signal },
    );
  } catch (err: unknown) {
    if (abort.signal.aborted) return 'stopped';
    if (err instanceof UpstreamError || err instanceof UpstreamRequestError) return err;
    throw err;
  } finally {
    ctl.wakers.delete(wake);
  }
}

/**
 * A pre-read with the write path's retry rules (a read changes nothing, so timeouts and resets are
 * simply read again). Returns holding the worker's slot (unless stopped); the slot is given back
 * while the read waits for its pacer's permit and while it sleeps before a retry.
 */
export async function preRead(
  e: Engine,
  batch: BatchSummary,
  ids: readonly string[],
  what: 'links' | 'class',
  ctl: Control,
  slot: Slot,
): Promise<ReadOutcome> {
  const { budget } = e;
  for (let retries = 0; ; retries++) {
    // Nothing is sent once the batch is paused, cancelled or stopping; a pause while the read waits
    // for the pacer or for its answer cuts it short. A pause between the check and the read (the
    // state is read asynchronously) lets that one read go out: it changes nothing, and the claim
    // that would follow it is refused (claimPreRead: only while the batch runs).
    if (mustStop(e, batch, ctl) || (await notRunning(e, batch)) || mustStop(e, batch, ctl))
      return { kind: 'stopped' };
    // The read's permit first, then the slot (paced-slot.ts): no slot idle through the wait.
    const permit = await permitAndSlot(e, batch, 'read', ctl, slot);
    if (permit === 'stopped') return { kind: 'stopped' };
    // The state read first, then (in the tick the read is sent, readOnce below) the rest: a 401
    // on another worker's call halts the batch before its interruption is written.
    if ((await notRunning(e, batch)) || mustStop(e, batch, ctl)) {
      permit?.cancel();
      return { kind: 'stopped' };
    }
    const result = await readOnce(e, batch, ids, what, ctl, permit);
    if (result === 'stopped') return { kind: 'stopped' };
    const step = readStep(judgeRead(result));
    switch (step.kind) {
      case 'found':
        budget.onSuccess();
        slot.limiter.onSuccess();
        return { kind: 'ok', present: step.present };
      case 'auth':
      case 'refused':
        return step;
      case 'again':
        break;
    }
    if (step.throttled) {
      slot.limiter.onThrottle();
      e.counters.throttled++;
    }
    if (e.stopping()) return { kind: 'stopped' };
    if (
      !mayRetry(e.policy, step.throttled, retries + 1) ||
      !(await budget.tryAcquire(step.timeoutLike))
    )
      return { kind: 'wait' };
    const paced = e.upstreamOf(batch).pacer !== undefined;
    const delay = e.delayFor(retryKind(step.throttled), retries, step.retryAfter, paced);
    releaseSlot(slot);
    await e.nap(delay, ctl);
    if (mustStop(e, batch, ctl) || (await notRunning(e, batch)) || mustStop(e, batch, ctl))
      return { kind: 'stopped' };
  }
}

/**
 * Whether the batch must send nothing more: stopping, halted (another worker's call got a 401: the
 * credential is refused), no longer this process's to run; asked synchronously, so that the caller
 * asks it in the tick the read is sent.
 */
function mustStop(e: Engine, batch: BatchSummary, ctl: Control): boolean {
  return e.stopping() || ctl.halted || !e.mayRun(batch.id, ctl);
}

/** Whether the batch's row no longer says running (a pause, a cancel, an interruption). */
async function notRunning(e: Engine, batch: BatchSummary): Promise<boolean> {
  return (await e.store.getBatchState(batch.id)) !== 'running';
}
