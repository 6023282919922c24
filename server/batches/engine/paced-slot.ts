/**
 * A worker's slot in its credential's window (limiter.ts) and its pacer's permit, taken in that
 * order of waiting: the permit (the rate token) first, then the slot, so a worker never holds a
 * slot while it waits for a token (slots sitting idle, and a throttled credential's waits starving
 * the others). A permit whose slot is not free at once is given back (its token too) and asked for
 * again once a slot frees, so a permit is never held waiting for a slot either: the send follows
 * its token at once, as evenly spaced as the pacer let it out.
 *
 * With the account's upstream slots (`Engine.upstreamSlots`, consoles sharing one SecMaster
 * account), a slot is held only once one of those is taken too, after the window's: a worker
 * waiting for one keeps its window's slot when it has no permit (the wait is the account's, not
 * the window's), and gives both back, with its permit, when it has one. Released together.
 */
import type { BatchSummary } from '../../../src/api/schemas';
import type { PaceScope, Permit } from '../../secmaster/pacer';
import type { UpstreamSlot, UpstreamSlots } from '../limiter';
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
  slot.upstream?.release();
  slot.upstream = null;
}

/**
 * Takes a slot in the batch's window (waiting for one), unless one is held already; false, holding
 * none, when a pause, a cancel or the runner's stop (the batch's wakers) cut the wait.
 */
export async function acquireSlot(
  e: Engine,
  batch: BatchSummary,
  slot: Slot,
  ctl: Control,
): Promise<boolean> {
  if (slot.held) return true;
  slot.limiter = e.limiterOf(batch);
  const limiter = slot.limiter;
  const upstream = e.upstreamSlots;
  if (!upstream) {
    slot.held = await untilWoken(ctl, (signal) => limiter.acquire(signal));
    return slot.held;
  }
  const taken = await untilWoken(ctl, async (signal) => {
    if (!(await limiter.acquire(signal))) return null;
    let one: UpstreamSlot | null = null;
    try {
      one = await takeUpstream(upstream, signal);
    } finally {
      if (!one) limiter.release();
    }
    return one;
  });
  slot.held = taken !== null;
  slot.upstream = taken;
  return slot.held;
}

/** One of the account's upstream slots, waiting for one; null when `signal` aborts first. */
async function takeUpstream(
  upstream: UpstreamSlots,
  signal: AbortSignal,
): Promise<UpstreamSlot | null> {
  for (;;) {
    if (signal.aborted) return null;
    const one = await upstream.tryTake();
    if (one) {
      if (!signal.aborted) return one;
      one.release();
      return null;
    }
    await upstream.whenFree(signal);
  }
}

/**
 * The pacer's permit for the batch's next call of `scope`, and a slot: returns holding both (the
 * permit null when the batch's calls are not paced: then only the slot is waited for), or
 * 'stopped' (pause, cancel, shutdown) holding neither. Every wait in it (the permit, a free slot)
 * ends as soon as the batch is paused, cancelled or the runner stops.
 */
export async function permitAndSlot(
  e: Engine,
  batch: BatchSummary,
  scope: PaceScope,
  ctl: Control,
  slot: Slot,
): Promise<Permit | null | 'stopped'> {
  const pacer = e.upstreamOf(batch).pacer;
  if (!pacer) return (await acquireSlot(e, batch, slot, ctl)) ? null : 'stopped';
  // The pacer would let the call out at once (not pacing, or a token ready): the slot first, in
  // the window's queue (each slot freed wakes one waiter), then the permit in the tick the slot is
  // known, if it is still granted at once (no slot sits idle through a wait for a token). The loop
  // below wakes every waiter of the window whenever a slot frees, and each takes a permit and
  // gives it back: with a group's children waiting (32 workers for 2 slots) that churn was a
  // tenth of the server's CPU in a pairs run. Not with the account's shared slots (consoles on
  // PostgreSQL) unless the worker holds its slot already: taking one of those is a database round
  // trip, after which the pacer has more often begun to pace, and both slots would be taken only
  // to be given back.
  if ((slot.held || !e.upstreamSlots) && pacer.grantsNow(scope)) {
    if (!(await acquireSlot(e, batch, slot, ctl))) return 'stopped';
    // Read again after the wait: an idle pacer may have been let go, or the batch's credential
    // changed, meanwhile (takePermit asks the one in use now).
    if (e.upstreamOf(batch).pacer?.grantsNow(scope)) {
      const permit = await e.takePermit(batch, scope, ctl);
      if (permit !== 'stopped') return permit;
      releaseSlot(slot);
      return 'stopped';
    }
  }
  for (;;) {
    // A slot held over from the worker's last step would sit idle through the wait for a token.
    releaseSlot(slot);
    const permit = await e.takePermit(batch, scope, ctl);
    if (permit === 'stopped') return 'stopped';
    slot.limiter = e.limiterOf(batch);
    if (permit === null) return (await acquireSlot(e, batch, slot, ctl)) ? null : 'stopped';
    if (slot.limiter.tryAcquire()) {
      const upstream = e.upstreamSlots;
      if (!upstream) {
        slot.held = true;
        return permit;
      }
      let taken = false;
      try {
        taken = await upstreamNow(upstream, slot);
      } finally {
        if (!taken) permit.cancel();
      }
      if (taken) return permit;
      // None of the account's is free: neither the window's slot nor the permit is held through
      // the wait for one; the loop asks for both again once one may be free.
      const freed = await untilWoken(ctl, async (signal) => {
        await upstream.whenFree(signal);
        return !signal.aborted;
      });
      if (!freed || e.stopping()) return 'stopped';
      continue;
    }
    permit.cancel();
    // Nothing is taken: the loop asks for a permit again once a slot frees.
    const limiter = slot.limiter;
    const freed = await untilWoken(ctl, async (signal) => {
      await limiter.whenFree(signal);
      return !signal.aborted;
    });
    if (!freed || e.stopping()) return 'stopped';
  }
}

/**
 * With the window's slot just taken (`tryAcquire`, not marked held yet): one of the account's
 * upstream slots if one is free now; true holding both (the slot marked held), false holding
 * neither (the window's given back). Never waits for one.
 */
export async function upstreamNow(upstream: UpstreamSlots, slot: Slot): Promise<boolean> {
  let one: UpstreamSlot | null = null;
  try {
    one = await upstream.tryTake();
  } finally {
    if (!one) slot.limiter.release();
  }
  if (!one) return false;
  slot.held = true;
  slot.upstream = one;
  return true;
}

/**
 * Runs a wait that `signal` cuts short, aborted when a pause, a cancel or the runner's stop wakes
 * the batch (its wakers, as for the pacer's wait and the naps).
 */
async function untilWoken<T>(ctl: Control, wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const wake = () => abort.abort();
  ctl.wakers.add(wake);
  try {
    return await wait(abort.signal);
  } finally {
    ctl.wakers.delete(wake);
  }
}
