/**
 * queueOutcome on both stores: what its contract promises whichever way the store commits it
 * (grouped into the next write on SQLite, a transaction of its own on PostgreSQL): the rows changed
 * once committed, `finish`, the order of one call's outcomes, and every later write after it.
 */
import { describe, expect, test } from 'vitest';
import { storeFactories } from '../../testing/stores';
import { create, makeIds, meta200, statesIn, succeeded, useStore } from './helpers';

describe.each(storeFactories)('$name store: queued outcomes', (factory) => {
  const s = useStore(factory);

  test('resolves with the rows changed once they are committed; `finish` ends a drained batch, not one with work left', async () => {
    const { store } = s.current;
    const drained = await create(s.current, makeIds(3, 'a'));
    const notYet = await create(s.current, makeIds(150, 'c'));
    const plain = await create(s.current, makeIds(2, 'd'));
    const c1 = await store.claimChunk(drained, 100);
    const c2 = await store.claimChunk(notYet, 100);
    const c3 = await store.claimChunk(plain, 100);
    if (!c1 || !c2 || !c3) throw new Error('claim');
    const p1 = store.queueOutcome(c1.callId, succeeded(c1.ids), meta200, { finish: true });
    const p2 = store.queueOutcome(c2.callId, succeeded(c2.ids), meta200, { finish: true });
    const p3 = store.queueOutcome(c3.callId, succeeded(c3.ids), meta200);
    expect(await p1).toBe(3);
    expect(await p2).toBe(100);
    expect(await p3).toBe(2);
    expect(await statesIn(s.current, drained)).toEqual({ succeeded: 3 });
    expect(await statesIn(s.current, notYet)).toEqual({ succeeded: 100, pending: 50 });
    expect(await store.getBatchState(drained)).toBe('done');
    expect((await store.getBatch(drained))?.finished_at).not.toBeNull();
    // 50 IDs still pending: it runs on.
    expect(await store.getBatchState(notYet)).toBe('running');
    // Not asked to finish.
    expect(await store.getBatchState(plain)).toBe('running');
    expect(
      await s.current.db
        .selectFrom('calls')
        .select('state')
        .where('call_id', '=', c1.callId)
        .executeTakeFirst(),
    ).toEqual({ state: 'done' });
  });

  test('`finish` leaves a batch running while an item is unknown (a re-read is still due), or the batch was paused', async () => {
    const { store } = s.current;
    const ids = makeIds(2);
    const a = await create(s.current, ids);
    const c = await store.claimChunk(a, 10);
    if (!c) throw new Error('claim');
    expect(
      await store.queueOutcome(
        c.callId,
        [
          { id: ids[0] ?? '', state: 'succeeded', code: null, message: null },
          { id: ids[1] ?? '', state: 'unknown', code: 'TIMEOUT', message: 't' },
        ],
        meta200,
        { finish: true },
      ),
    ).toBe(2);
    expect(await store.getBatchState(a)).toBe('running');

    const b = await create(s.current, makeIds(1, 'b'));
    const cb = await store.claimChunk(b, 10);
    if (!cb) throw new Error('claim');
    await store.transitionBatch(b, ['running'], 'paused', 'paused by the user');
    expect(await store.queueOutcome(cb.callId, succeeded(cb.ids), meta200, { finish: true })).toBe(
      1,
    );
    expect(await store.getBatch(b)).toMatchObject({ state: 'paused', counts: { succeeded: 1 } });
  });

  test('a later write of the store comes after the queued outcome: a strand finds its items settled', async () => {
    const { store } = s.current;
    const a = await create(s.current, makeIds(3));
    const call = await store.claimChunk(a, 100);
    if (!call) throw new Error('claim');
    const queued = store.queueOutcome(call.callId, succeeded(call.ids), meta200);
    // Not awaited: the next write (a restart of the batch) is asked at once.
    const stranded = store.strandInFlight(a);
    expect(await stranded).toBe(0);
    expect(await queued).toBe(3);
    expect(await statesIn(s.current, a)).toEqual({ succeeded: 3 });
  });

  test('outcomes of one call apply in the order queued: the first wins', async () => {
    const { store } = s.current;
    const a = await create(s.current, makeIds(2));
    const call = await store.claimChunk(a, 100);
    if (!call) throw new Error('claim');
    const first = store.queueOutcome(call.callId, succeeded(call.ids), meta200);
    const second = store.queueOutcome(
      call.callId,
      call.ids.map((id) => ({ id, state: 'failed' as const, code: 'LATE', message: 'late' })),
      meta200,
    );
    expect(await first).toBe(2);
    expect(await second).toBe(0);
    expect(await statesIn(s.current, a)).toEqual({ succeeded: 2 });
  });

  test('an outcome asked to wait for a write that never comes still commits (at its limit)', async () => {
    const { store } = s.current;
    const a = await create(s.current, makeIds(2));
    const call = await store.claimChunk(a, 100);
    if (!call) throw new Error('claim');
    expect(await store.isLastCall(call.callId)).toBe(true);
    const held = store.queueOutcome(call.callId, succeeded(call.ids), meta200, {
      finish: true,
      holdWhile: () => true,
      holdMs: 20,
    });
    expect(await held).toBe(2);
    expect(await store.getBatchState(a)).toBe('done');
    // An outcome for a call that does not exist changes nothing.
    expect(await store.queueOutcome('no-such-call', succeeded(call.ids), meta200)).toBe(0);
  });
});
