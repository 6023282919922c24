/**
 * A worker's slot in its credential's window (limiter.ts) and its pacer's permit, taken in that
 * order of waiting: the permit (the rate token) first, then the slot, so a worker never holds a
 * slot while it waits for a token (slots sitting idle, and a throttled credential's waits starving
 * the others). A permit whose slot is not free at once is given back (its token too) and asked for
 * again once a slot frees, so a permit is never held waiting for a slot either: the send follows
 * its token at once, as evenly spaced as the pacer let it out.
 */
import type { BatchSummary } from '../../../src/api/schemas';
import type { PaceScope, Permit } from '../../secmaster/pacer';
import type { Control, Engine, Slot } from './context';

/** A slot not held yet, in the batch's window. */
export function newSlot(e: Engine, batch: BatchSummary): Slot {
  return { held: false, limiter: e.limiterOf(batch) };
}

/** Gives the slot back, if held. */
export function releaseSlot(slot: Slot): void {
  if (!slot.held) return;
  slot.held = false;
  slot.limiter.release();
}

/** Takes a slot in the batch's window (waiting for one), unless one is held already. */
export async function acquireSlot(e: Engine, batch: BatchSummary, slot: Slot): Promise<void> {
  if (slot.held) return;
  slot.limiter = e.limiterOf(batch);
  await slot.limiter.acquire();
  slot.held = true;
}

/**
 * The pacer's permit for the batch's next call of `scope`, and a slot: returns holding both (the
 * permit null when the batch's calls are not paced: then only the slot is waited for), or
 * 'stopped' (pause, cancel, shutdown) holding neither.
 */
export async function permitAndSlot(
  e: Engine,
  batch: BatchSummary,
  scope: PaceScope,
  ctl: Control,
  slot: Slot,
): Promise<Permit | null | 'stopped'> {
  if (!e.upstreamOf(batch).pacer) {
    await acquireSlot(e, batch, slot);
    return null;
  }
  for (;;) {
    // A slot held over from the worker's last step would sit idle through the wait for a token.
    releaseSlot(slot);
    const permit = await e.takePermit(batch, scope, ctl);
    if (permit === 'stopped') return 'stopped';
    slot.limiter = e.limiterOf(batch);
    if (permit === null) {
      await acquireSlot(e, batch, slot);
      return null;
    }
    if (slot.limiter.tryAcquire()) {
      slot.held = true;
      return permit;
    }
    permit.cancel();
    await slot.limiter.whenFree();
    if (e.stopping()) return 'stopped';
  }
}
