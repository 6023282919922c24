/**
 * paced-slot.ts's `permitAndSlot` when many workers wait for few slots (a pairs group runs 16
 * children of two workers each on a window of 2): while the pacer lets calls out at once, each
 * slot freed goes to one waiter, in the order they came, and only that waiter asks the pacer for a
 * permit. Before, every slot freed woke every waiter, and each took a permit and gave it back.
 */
import { expect, test } from 'vitest';
import type { BatchSummary } from '../../../src/api/schemas';
import { Pacer, type PaceScope, type Permit } from '../../secmaster/pacer';
import { AimdLimiter, type UpstreamSlots } from '../limiter';
import { newControl, type Control, type Engine } from './context';
import { newSlot, permitAndSlot, releaseSlot } from './paced-slot';

const batch = { id: 'b' } as BatchSummary;

function control(): Control {
  return newControl('');
}

/** An engine with one credential: its pacer (not pacing) and a window of `slots`. */
function engineWith(slots: number) {
  const pacer = new Pacer();
  const limiter = new AimdLimiter(slots, 10);
  let takes = 0;
  const e = {
    upstreamOf: () => ({ pacer, call: () => Promise.reject(new Error('no calls here')) }),
    limiterOf: () => limiter,
    stopping: () => false,
    async takePermit(_b: BatchSummary, scope: PaceScope, ctl: Control) {
      takes++;
      const abort = new AbortController();
      const wake = () => abort.abort();
      ctl.wakers.add(wake);
      try {
        return await pacer.take(scope, abort.signal);
      } catch {
        return 'stopped' as const;
      } finally {
        ctl.wakers.delete(wake);
      }
    },
  } as unknown as Engine;
  return { e, limiter, takes: () => takes };
}

const ticks = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test('each slot freed goes to one waiting worker, first come first served, and only it takes a permit', async () => {
  const { e, limiter, takes } = engineWith(2);
  const ctl = control();
  const holders = [newSlot(e, batch), newSlot(e, batch)];
  for (const slot of holders)
    expect(await permitAndSlot(e, batch, 'write', ctl, slot)).not.toBe('stopped');
  expect(limiter.active).toBe(2);

  const granted: number[] = [];
  const waiting = Array.from({ length: 30 }, (_, i) => {
    const slot = newSlot(e, batch);
    return permitAndSlot(e, batch, 'write', ctl, slot).then((permit) => {
      granted.push(i);
      return { slot, permit: permit as Permit };
    });
  });
  await ticks();
  expect(granted).toEqual([]);
  const before = takes();

  // Free ten slots one after the other; each goes to the next worker in line.
  const held = [...holders];
  const grants = new Map<number, Awaited<(typeof waiting)[number]>>();
  waiting.forEach((w, i) => void w.then((g) => grants.set(i, g)));
  for (let round = 0; round < 10; round++) {
    const slot = held.shift();
    if (!slot) throw new Error('no slot held');
    releaseSlot(slot);
    await ticks();
    expect(granted).toHaveLength(round + 1);
    const g = grants.get(round);
    if (!g) throw new Error(`worker ${round} was not granted`);
    held.push(g.slot);
    g.permit.cancel();
  }
  expect(granted).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // One permit per slot granted (the churn took 29, 28, … per slot freed).
  expect(takes() - before).toBe(10);
  expect(limiter.active).toBe(2);

  // Stop the rest: a pause ends their waits, holding neither slot nor permit.
  for (const wake of [...ctl.wakers]) wake();
  const rest = (await Promise.all(waiting)).slice(10);
  expect(rest.map((g) => g.permit)).toEqual(Array.from({ length: 20 }, () => 'stopped'));
  expect(limiter.active).toBe(2);
  held.forEach(releaseSlot);
  expect(limiter.active).toBe(0);
});

test("with the account's shared slots (consoles on PostgreSQL) the permit still comes first: no account slot is taken to be given back", async () => {
  const { e: base, takes } = engineWith(2);
  const order: string[] = [];
  const upstreamSlots: UpstreamSlots = {
    tryTake() {
      order.push(`account slot after ${takes()} permit(s)`);
      return Promise.resolve({ release: () => undefined });
    },
    whenFree: () => new Promise<void>(() => undefined),
  };
  const e = { ...base, upstreamSlots } as Engine;
  const slot = newSlot(e, batch);
  const permit = await permitAndSlot(e, batch, 'write', control(), slot);
  expect(permit).not.toBe('stopped');
  expect(slot.held).toBe(true);
  // The fast path (window's slot, then the account's, then the permit) would have taken the
  // account's slot with no permit yet.
  expect(order).toEqual(['account slot after 1 permit(s)']);
});

test("with the account's shared slots, a worker holding its slot keeps it: its permit is taken without giving back and taking again the account's slot", async () => {
  const { e: base, takes } = engineWith(2);
  let accountTakes = 0;
  let accountReleases = 0;
  const upstreamSlots: UpstreamSlots = {
    tryTake() {
      accountTakes++;
      return Promise.resolve({ release: () => void accountReleases++ });
    },
    whenFree: () => new Promise<void>(() => undefined),
  };
  const e = { ...base, upstreamSlots } as Engine;
  const slot = newSlot(e, batch);
  const first = await permitAndSlot(e, batch, 'read', control(), slot);
  (first as Permit).cancel();
  expect([accountTakes, accountReleases]).toEqual([1, 0]);
  // The worker's next step (its write after its read), holding the slot.
  const second = await permitAndSlot(e, batch, 'write', control(), slot);
  expect(second).not.toBe('stopped');
  expect(takes()).toBe(2);
  expect([accountTakes, accountReleases]).toEqual([1, 0]);
});
