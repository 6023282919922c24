/**
 * Calls whose answer was lost, on both stores: crash recovery and stranded calls become `unknown`,
 * then a re-read settles them (settleUnknown) or says it could not (markUnknownUnsettled).
 */
import { describe, expect, test } from 'vitest';
import {
  MSG_CONFIRMED,
  MSG_SKIPPED_BY_USER,
  MSG_UNKNOWN_RECHECK,
  UNKNOWN_AFTER_CRASH,
  UNKNOWN_NOT_RECORDED,
} from '../../batches/ledger';
import { storeFactories } from '../../testing/stores';
import {
  callRow,
  common,
  create,
  itemRows,
  makeIds,
  meta200,
  shown,
  succeeded,
  useStore,
} from './helpers';

describe.each(storeFactories)('$name store: lost answers', (factory) => {
  const s = useStore(factory, { now: () => new Date('2026-12-01T10:00:00.000Z') });

  test('recoverAfterCrash: every item in flight becomes unknown and its call unknown; the running batches (never a group row) in creation order', async () => {
    const { store } = s.current;
    const a = await create(s.current, makeIds(3, 'a'));
    const b = await create(s.current, makeIds(2, 'b'));
    const paused = await create(s.current, makeIds(2, 'p'));
    const ca = await store.claimChunk(a, 2);
    const cb = await store.claimChunk(b, 5);
    const cp = await store.claimChunk(paused, 5);
    if (!ca || !cb || !cp) throw new Error('claim');
    await store.recordOutcome(cb.callId, succeeded(cb.ids), meta200);
    await store.transitionBatch(paused, ['running'], 'paused', 'paused by the user');
    const group = await store.createBatch({
      ...common,
      kind: 'pairs',
      data_object_id: '',
      items: [],
    });
    const child = await store.createBatch({
      ...common,
      group_id: group.id,
      data_object_id: 'c0ffee00-0000-4000-8000-000000000002',
      items: makeIds(1, 'c').map((id) => ({ id, idKey: id, state: 'pending', message: null })),
    });

    expect(await store.recoverAfterCrash()).toEqual([a, b, child.id]);
    expect(shown(await store.counts(a))).toEqual({ unknown: 2, pending: 1 });
    expect(shown(await store.counts(paused))).toEqual({ unknown: 2 });
    expect(shown(await store.counts(b))).toEqual({ succeeded: 2 });
    expect(
      (await store.listItems(a, { offset: 0, limit: 1 })).items.map((i) => [i.code, i.message]),
    ).toEqual([['UNKNOWN_AFTER_RESTART', UNKNOWN_AFTER_CRASH]]);
    expect(await callRow(s.current, ca.callId)).toMatchObject({
      state: 'unknown',
      finished_at: '2026-12-01T10:00:00.000Z',
    });
    expect((await callRow(s.current, cb.callId)).state).toBe('done');
    expect((await callRow(s.current, cp.callId)).state).toBe('unknown');
    expect(await store.runningBatchIds()).toEqual([a, b, child.id]);
    // Again: nothing more in flight.
    expect(await store.recoverAfterCrash()).toEqual([a, b, child.id]);
    expect(shown(await store.counts(a))).toEqual({ unknown: 2, pending: 1 });
  });

  test('strandInFlight: only this batch’s items in flight become unknown (not recorded), its open calls unknown', async () => {
    const { store } = s.current;
    const a = await create(s.current, makeIds(3, 'a'));
    const b = await create(s.current, makeIds(2, 'b'));
    const ca = await store.claimChunk(a, 2);
    const cb = await store.claimChunk(b, 2);
    if (!ca || !cb) throw new Error('claim');
    expect(await store.strandInFlight(a)).toBe(2);
    expect(shown(await store.counts(a))).toEqual({ unknown: 2, pending: 1 });
    expect(shown(await store.counts(b))).toEqual({ in_flight: 2 });
    expect(
      (await itemRows(s.current, a)).map((r) => [r.state, r.code, r.message, r.call_id]),
    ).toEqual([
      ['unknown', 'UNKNOWN_NOT_RECORDED', UNKNOWN_NOT_RECORDED, ca.callId],
      ['unknown', 'UNKNOWN_NOT_RECORDED', UNKNOWN_NOT_RECORDED, ca.callId],
      ['pending', null, null, null],
    ]);
    expect((await callRow(s.current, ca.callId)).state).toBe('unknown');
    expect((await callRow(s.current, cb.callId)).state).toBe('sent');
    // The stranded call's late answer is not taken.
    expect(await store.recordOutcome(ca.callId, succeeded(ca.ids), meta200)).toBe(0);
    expect(await store.strandInFlight(a)).toBe(0);
    expect(await store.strandInFlight('no-such-batch')).toBe(0);
  });

  test('unknownIds: the unknown items in input order, a page after a seq', async () => {
    const { store } = s.current;
    const ids = makeIds(6);
    const id = await create(s.current, ids);
    await store.claimChunk(id, 5);
    await store.strandInFlight(id);
    expect(await store.unknownIds(id, 2)).toEqual([
      { seq: 0, id: ids[0] },
      { seq: 1, id: ids[1] },
    ]);
    expect(await store.unknownIds(id, 10, 1)).toEqual(
      [2, 3, 4].map((n) => ({ seq: n, id: ids[n] })),
    );
    expect(await store.unknownIds(id, 10, 4)).toEqual([]);
  });

  test('settleUnknown: confirmed, sent again or failed as the re-read says, only rows still unknown', async () => {
    const { store } = s.current;
    const ids = makeIds(6);
    const [i0, i1, i2, i3, i4, i5] = ids as [string, string, string, string, string, string];
    const id = await create(s.current, ids);
    const call = await store.claimChunk(id, 5);
    if (!call) throw new Error('claim');
    await store.strandInFlight(id);
    const changed = await store.settleUnknown(id, {
      succeeded: [i0, i0, i5],
      resend: [i1, i0],
      failed: [
        { id: i2, code: 'NOT_FOUND', message: 'gone' },
        { id: i3, code: 'DENIED', message: 'no' },
        { id: i2, code: 'LATER', message: 'ignored' },
      ],
    });
    // i0 once (listed twice, then as resend: already settled), i5 is pending (not unknown).
    expect(changed).toBe(4);
    expect(
      (await itemRows(s.current, id)).map((r) => [
        r.state,
        r.code,
        r.message,
        r.call_id === null,
        r.maybe_applied,
      ]),
    ).toEqual([
      ['succeeded', null, MSG_CONFIRMED, false, 0],
      ['pending', null, null, true, 1],
      ['failed', 'NOT_FOUND', 'gone', false, 0],
      ['failed', 'DENIED', 'no', false, 0],
      ['unknown', 'UNKNOWN_NOT_RECORDED', UNKNOWN_NOT_RECORDED, false, 0],
      ['pending', null, null, true, 0],
    ]);
    expect(await store.settleUnknown(id, { succeeded: [i0, i1], resend: [], failed: [] })).toBe(0);
    expect(await store.settleUnknown(id, { succeeded: [], resend: [], failed: [] })).toBe(0);
    expect(await store.settleUnknown(id, { succeeded: [i4], resend: [], failed: [] })).toBe(1);
    expect(shown(await store.counts(id))).toEqual({ succeeded: 2, pending: 2, failed: 2 });
  });

  test('settleUnknown on a stopped batch: what would be sent again is skipped', async () => {
    const { store } = s.current;
    const ids = makeIds(3);
    const id = await create(s.current, ids);
    await store.claimChunk(id, 2);
    await store.strandInFlight(id);
    expect(await store.cancelBatch(id)).toBe(true);
    expect(await store.cancelledWithUnknown()).toEqual([id]);
    expect(
      await store.settleUnknown(id, {
        succeeded: [ids[0] ?? ''],
        resend: [ids[1] ?? ''],
        failed: [],
      }),
    ).toBe(2);
    expect(
      (await itemRows(s.current, id)).map((r) => [r.state, r.code, r.message, r.maybe_applied]),
    ).toEqual([
      ['succeeded', null, MSG_CONFIRMED, 0],
      ['skipped', 'CANCELLED', MSG_SKIPPED_BY_USER, 1],
      ['skipped', 'CANCELLED', MSG_SKIPPED_BY_USER, 0],
    ]);
    expect(await store.cancelledWithUnknown()).toEqual([]);
  });

  test('cancelledWithUnknown: stopped batches that still hold unknown items, oldest first', async () => {
    const { store } = s.current;
    const a = await create(s.current, makeIds(2, 'a'));
    const b = await create(s.current, makeIds(2, 'b'));
    const running = await create(s.current, makeIds(2, 'c'));
    const done = await create(s.current, makeIds(1, 'd'));
    for (const id of [b, a, running]) {
      await store.claimChunk(id, 1);
      await store.strandInFlight(id);
    }
    await store.cancelBatch(b);
    await store.cancelBatch(a);
    await store.cancelBatch(done);
    expect(await store.cancelledWithUnknown()).toEqual([a, b]);
  });

  test('markUnknownUnsettled: the unknown items asked say a re-check is needed, and stay unknown', async () => {
    const { store } = s.current;
    const ids = makeIds(3);
    const id = await create(s.current, ids);
    await store.claimChunk(id, 2);
    await store.strandInFlight(id);
    const [i0, i1, i2] = ids as [string, string, string];
    // i2 is pending: unchanged. An ID asked twice counts twice (as one update per ID).
    expect(await store.markUnknownUnsettled(id, [i0, i2, i0, 'not-there'])).toBe(2);
    expect(await store.markUnknownUnsettled(id, [])).toBe(0);
    expect((await itemRows(s.current, id)).map((r) => [r.state, r.message])).toEqual([
      ['unknown', MSG_UNKNOWN_RECHECK],
      ['unknown', UNKNOWN_NOT_RECORDED],
      ['pending', null],
    ]);
    expect(await store.markUnknownUnsettled(id, [i1])).toBe(1);
  });

  test('listItemsBySeqs: the items at these seqs, in the order asked', async () => {
    const { store } = s.current;
    const ids = makeIds(4);
    const id = await create(s.current, ids);
    const other = await create(s.current, ids);
    await store.claimChunk(other, 4);
    const [i0, i1, , i3] = ids as [string, string, string, string];
    const rows = await itemRows(s.current, id);
    const seqOf = (x: string) => rows.find((r) => r.id === x)?.seq ?? -1;
    const [s0, s1, s3] = [seqOf(i0), seqOf(i1), seqOf(i3)];
    const items = await store.listItemsBySeqs(id, [s3, 999, s0, s3, s1]);
    expect(items.map((i) => i.id)).toEqual([i3, i0, i3, i1]);
    expect(items[0]).toEqual({
      id: i3,
      state: 'pending',
      code: null,
      message: null,
      request_id: null,
      attempts: 0,
    });
    expect(await store.listItemsBySeqs(id, [])).toEqual([]);
  });
});
