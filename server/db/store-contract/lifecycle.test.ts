/**
 * A batch's run through the store, on both stores: create → claim → outcome → finish, pre-read
 * claims, retries and releases (the intent/outcome writes of the runner).
 */
import { describe, expect, test } from 'vitest';
import { storeFactories } from '../../testing/stores';
import {
  callRow,
  create,
  itemRows,
  makeIds,
  meta200,
  shown,
  statesIn,
  succeeded,
  useStore,
} from './helpers';

const refused = { httpStatus: 429, requestId: null, errorCode: 'APIG.0308' };

describe.each(storeFactories)('$name store: a batch’s run', (factory) => {
  const s = useStore(factory, { now: () => new Date('2026-12-01T10:00:00.000Z') });

  test('createBatch: running with its IDs pending in input order, invalid ones kept apart; read back as written', async () => {
    const { store } = s.current;
    expect(store.dialect).toBe(factory.name);
    const ids = makeIds(3);
    const b = await store.createBatch({
      action: 'associate',
      workspace_id: 'w'.repeat(32),
      dataclass_type: 'alerts',
      data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
      related_dataclass_type: 'incidents',
      reason: 'r',
      user: 'ana',
      retry_of: null,
      undo_of: null,
      credential_source: 'x'.repeat(250),
      duplicates: 2,
      items: [
        ...ids.map((id) => ({ id, idKey: id, state: 'pending' as const, message: null })),
        { id: 'bad', idKey: 'bad', state: 'invalid', message: 'not an ID' },
      ],
    });
    const expected = {
      action: 'associate',
      state: 'running',
      state_reason: null,
      workspace_id: 'w'.repeat(32),
      dataclass_type: 'alerts',
      data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
      related_dataclass_type: 'incidents',
      reason: 'r',
      user: 'ana',
      retry_of: null,
      total: 4,
      duplicates: 2,
      created_at: '2026-12-01T10:00:00.000Z',
      finished_at: null,
      changes_recorded: true,
      undo_of: null,
      credential_source: 'x'.repeat(200),
      kind: 'batch',
      group_id: null,
      destination_id: null,
      counts: {
        pending: 3,
        in_flight: 0,
        succeeded: 0,
        unchanged: 0,
        failed: 0,
        unknown: 0,
        invalid: 1,
        skipped: 0,
      },
    };
    expect(b).toEqual({ id: b.id, ...expected });
    expect(await store.getBatch(b.id)).toEqual(b);
    expect(await store.getBatchState(b.id)).toBe('running');
    expect(await store.getBatch('no-such-batch')).toBeNull();
    expect(await store.getBatchState('no-such-batch')).toBeNull();
    const items = await store.listItems(b.id, { offset: 0, limit: 10 });
    expect(items.items).toEqual([
      ...ids.map((id) => ({
        id,
        state: 'pending',
        code: null,
        message: null,
        request_id: null,
        attempts: 0,
      })),
      {
        id: 'bad',
        state: 'invalid',
        code: null,
        message: 'not an ID',
        request_id: null,
        attempts: 0,
      },
    ]);
    expect((await itemRows(s.current, b.id)).map((r) => r.updated_at)).toEqual(
      Array(4).fill('2026-12-01T10:00:00.000Z'),
    );
  });

  test('a batch with only invalid IDs is done at once', async () => {
    const id = await create(s.current, [], ['bad']);
    expect(await s.current.store.getBatch(id)).toMatchObject({
      state: 'done',
      finished_at: '2026-12-01T10:00:00.000Z',
      counts: { invalid: 1 },
    });
  });

  test('claim → outcome → finish: chunks in input order, outcomes recorded with their request, the batch done once drained', async () => {
    const { store } = s.current;
    const ids = makeIds(5);
    const id = await create(s.current, ids);
    const first = await store.claimChunk(id, 3);
    expect(first).toMatchObject({ chunkNo: 0, ids: ids.slice(0, 3) });
    const second = await store.claimChunk(id, 3);
    expect(second).toMatchObject({ chunkNo: 1, ids: ids.slice(3) });
    if (!first || !second) throw new Error('nothing claimed');
    expect(first.callId).not.toBe(second.callId);
    expect(await store.claimChunk(id, 3)).toBeNull();
    expect(shown(await store.counts(id))).toEqual({ in_flight: 5 });
    expect(await callRow(s.current, first.callId)).toMatchObject({
      batch_id: id,
      chunk_no: 0,
      attempt: 1,
      ids_json: JSON.stringify(ids.slice(0, 3)),
      state: 'sent',
      sent_at: '2026-12-01T10:00:00.000Z',
      finished_at: null,
    });
    expect((await itemRows(s.current, id)).map((r) => [r.call_id, r.attempts])).toEqual([
      [first.callId, 1],
      [first.callId, 1],
      [first.callId, 1],
      [second.callId, 1],
      [second.callId, 1],
    ]);

    // Nothing pending, calls in flight: not drained.
    expect(await store.finishIfDrained(id)).toBe(false);
    const [a, b, c] = first.ids as [string, string, string];
    const changed = await store.recordOutcome(
      first.callId,
      [
        { id: a, state: 'succeeded', code: null, message: null },
        { id: b, state: 'failed', code: 'NOT_FOUND', message: 'no such alert' },
        { id: c, state: 'unknown', code: 'TIMEOUT', message: 't' },
        // A second outcome of an ID: the first one wins.
        { id: a, state: 'failed', code: 'X', message: 'x' },
      ],
      meta200,
    );
    expect(changed).toBe(3);
    expect(await callRow(s.current, first.callId)).toMatchObject({
      state: 'done',
      http_status: 200,
      request_id: 'req-1',
      error_code: null,
      finished_at: '2026-12-01T10:00:00.000Z',
    });
    expect(
      (await store.listItems(id, { offset: 0, limit: 3 })).items.map((i) => [
        i.state,
        i.code,
        i.message,
        i.request_id,
      ]),
    ).toEqual([
      ['succeeded', null, null, 'req-1'],
      ['failed', 'NOT_FOUND', 'no such alert', 'req-1'],
      ['unknown', 'TIMEOUT', 't', 'req-1'],
    ]);
    // The same outcome again: the call's rows are no longer in flight.
    expect(await store.recordOutcome(first.callId, succeeded(first.ids), meta200)).toBe(0);
    // An outcome for a call that does not exist changes nothing.
    expect(await store.recordOutcome('no-such-call', succeeded(first.ids), meta200)).toBe(0);

    expect(await store.recordOutcome(second.callId, succeeded(second.ids), meta200)).toBe(2);
    // Unknown is not open for finishIfDrained: the batch is done, the unknown left to a re-read.
    expect(await store.finishIfDrained(id)).toBe(true);
    expect(await store.getBatch(id)).toMatchObject({
      state: 'done',
      finished_at: '2026-12-01T10:00:00.000Z',
      counts: { succeeded: 3, failed: 1, unknown: 1 },
    });
    // Only a running batch finishes.
    expect(await store.finishIfDrained(id)).toBe(false);
  });

  test('an outcome that names no item still ends its call (done, with its answer); its items stay in flight', async () => {
    const { store } = s.current;
    const id = await create(s.current, makeIds(3));
    const call = await store.claimChunk(id, 3);
    if (!call) throw new Error('claim');
    expect(await store.recordOutcome(call.callId, [], meta200)).toBe(0);
    expect(await callRow(s.current, call.callId)).toMatchObject({
      state: 'done',
      http_status: 200,
      request_id: 'req-1',
    });
    expect((await itemRows(s.current, id)).map((r) => r.state)).toEqual([
      'in_flight',
      'in_flight',
      'in_flight',
    ]);
  });

  test('claims are written only while the batch runs', async () => {
    const { store } = s.current;
    const id = await create(s.current, makeIds(3));
    expect(await store.transitionBatch(id, ['running'], 'paused', 'paused by the user')).toBe(true);
    expect(await store.claimChunk(id, 10)).toBeNull();
    const rows = await store.peekPending(id, -1, 10);
    expect(await store.claimPreRead(id, rows, [])).toBeNull();
    expect(shown(await store.counts(id))).toEqual({ pending: 3 });
    expect(await store.claimChunk('no-such-batch', 10)).toBeNull();
    expect(await store.transitionBatch(id, ['paused'], 'running', null)).toBe(true);
    expect((await store.claimChunk(id, 10))?.ids).toHaveLength(3);
  });

  test('isLastCall: nothing else pending, unknown or in flight in another call', async () => {
    const { store } = s.current;
    const ids = makeIds(150);
    const id = await create(s.current, ids);
    const first = await store.claimChunk(id, 100);
    if (!first) throw new Error('claim');
    expect(await store.isLastCall(first.callId)).toBe(false);
    const second = await store.claimChunk(id, 100);
    if (!second) throw new Error('claim');
    // Another call of the batch is in flight.
    expect(await store.isLastCall(second.callId)).toBe(false);
    await store.recordOutcome(first.callId, succeeded(first.ids), meta200);
    expect(await store.isLastCall(second.callId)).toBe(true);
    expect(await store.isLastCall('no-such-call')).toBe(false);
    // An unknown item still needs a re-read.
    await store.recordOutcome(
      second.callId,
      [{ id: second.ids[0] ?? '', state: 'unknown', code: 'TIMEOUT', message: 't' }],
      meta200,
    );
    expect(await store.isLastCall(second.callId)).toBe(false);
  });

  test('peekPending: pending items after a seq, in input order, with their sends so far', async () => {
    const { store } = s.current;
    const ids = makeIds(6);
    const id = await create(s.current, ids);
    const call = await store.claimChunk(id, 2);
    if (!call) throw new Error('claim');
    await store.releaseCall(call.callId, refused);
    expect(await store.peekPending(id, -1, 3)).toEqual([
      { seq: 0, id: ids[0], attempts: 1, mayBeApplied: false },
      { seq: 1, id: ids[1], attempts: 1, mayBeApplied: false },
      { seq: 2, id: ids[2], attempts: 0, mayBeApplied: false },
    ]);
    expect((await store.peekPending(id, 3, 10)).map((r) => r.seq)).toEqual([4, 5]);
    expect(await store.peekPending(id, 5, 10)).toEqual([]);
  });

  test('claimPreRead: settled rows never sent, the rest claimed as one call', async () => {
    const { store } = s.current;
    const ids = makeIds(6);
    const id = await create(s.current, ids);
    const rows = await store.peekPending(id, -1, 6);
    const [r0, r1, r2, r3, r4, r5] = rows as [
      (typeof rows)[0],
      (typeof rows)[0],
      (typeof rows)[0],
      (typeof rows)[0],
      (typeof rows)[0],
      (typeof rows)[0],
    ];
    const claimed = await store.claimPreRead(
      id,
      [r1, r4],
      [
        { seq: r0.seq, state: 'unchanged', code: 'ALREADY', message: 'already linked' },
        { seq: r2.seq, state: 'failed', code: 'READ_REFUSED', message: 'read refused' },
        { seq: r3.seq, state: 'unchanged', code: 'ALREADY', message: 'already linked' },
      ],
    );
    expect(claimed?.call).toMatchObject({ chunkNo: 0, ids: [r1.id, r4.id] });
    const call = claimed?.call;
    if (!call) throw new Error('no call');
    expect(
      (await itemRows(s.current, id)).map((r) => [r.state, r.code, r.call_id, r.attempts]),
    ).toEqual([
      ['unchanged', 'ALREADY', null, 0],
      ['in_flight', null, call.callId, 1],
      ['failed', 'READ_REFUSED', null, 0],
      ['unchanged', 'ALREADY', null, 0],
      ['in_flight', null, call.callId, 1],
      ['pending', null, null, 0],
    ]);
    expect((await callRow(s.current, call.callId)).ids_json).toBe(JSON.stringify([r1.id, r4.id]));
    // Nothing to send: settled only, no call.
    expect(
      await store.claimPreRead(
        id,
        [],
        [{ seq: r5.seq, state: 'succeeded', code: 'DONE', message: 'already so' }],
      ),
    ).toEqual({ call: null });
    expect(shown(await store.counts(id))).toEqual({
      unchanged: 2,
      failed: 1,
      in_flight: 2,
      succeeded: 1,
    });
  });

  test('claimPreRead: a row no longer pending rolls the whole claim back', async () => {
    const { store } = s.current;
    const ids = makeIds(4);
    const id = await create(s.current, ids);
    const rows = await store.peekPending(id, -1, 4);
    // Claimed meanwhile (rows 0-1).
    await store.claimChunk(id, 2);
    const [r0, , r2, r3] = rows as [
      (typeof rows)[0],
      (typeof rows)[0],
      (typeof rows)[0],
      (typeof rows)[0],
    ];
    await expect(
      store.claimPreRead(
        id,
        [r2],
        [
          { seq: r3.seq, state: 'unchanged', code: 'A', message: 'a' },
          {
            seq: r0.seq,
            state: 'unchanged',
            code: 'A',
            message: 'a',
          },
        ],
      ),
    ).rejects.toThrow(/pre-read rows changed under the claim/);
    await expect(store.claimPreRead(id, [r0, r2], [])).rejects.toThrow(
      /claimed rows changed under the claim/,
    );
    expect(shown(await store.counts(id))).toEqual({ in_flight: 2, pending: 2 });
    const calls = await s.current.db.selectFrom('calls').select('call_id').execute();
    expect(calls).toHaveLength(1);
  });

  test('retryCall: the call’s in-flight IDs under a new call (same chunk, next attempt); the old call superseded', async () => {
    const { store } = s.current;
    const ids = makeIds(3);
    const id = await create(s.current, ids);
    const first = await store.claimChunk(id, 10);
    if (!first) throw new Error('claim');
    const retry = await store.retryCall(first.callId, false);
    expect(retry).toMatchObject({ chunkNo: 0, ids });
    if (!retry) throw new Error('retry');
    expect(retry.callId).not.toBe(first.callId);
    expect(await callRow(s.current, first.callId)).toMatchObject({
      state: 'retried',
      finished_at: '2026-12-01T10:00:00.000Z',
    });
    expect(await callRow(s.current, retry.callId)).toMatchObject({
      state: 'sent',
      attempt: 2,
      chunk_no: 0,
    });
    expect((await itemRows(s.current, id)).map((r) => [r.call_id, r.attempts])).toEqual(
      ids.map(() => [retry.callId, 2]),
    );
    // The superseded call: no retry, and its late outcome changes nothing.
    expect(await store.retryCall(first.callId, false)).toBeNull();
    expect(await store.recordOutcome(first.callId, succeeded(ids), meta200)).toBe(0);
    expect(await store.recordOutcome(retry.callId, succeeded(ids), meta200)).toBe(3);
    // A call that ended is not retried.
    expect(await store.retryCall(retry.callId, false)).toBeNull();
    expect(await store.retryCall('no-such-call', false)).toBeNull();
  });

  test('retryCall: not while the batch is stopped; a call whose IDs all settled is superseded without a new one', async () => {
    const { store } = s.current;
    const id = await create(s.current, makeIds(2));
    const call = await store.claimChunk(id, 10);
    if (!call) throw new Error('claim');
    await store.transitionBatch(id, ['running'], 'paused', null);
    expect(await store.retryCall(call.callId, false)).toBeNull();
    expect((await callRow(s.current, call.callId)).state).toBe('sent');
    await store.transitionBatch(id, ['paused'], 'running', null);
    // Its items were settled (stranded as unknown) while the call stayed sent.
    await s.current.db
      .updateTable('items')
      .set({ state: 'unknown' })
      .where('call_id', '=', call.callId)
      .execute();
    expect(await store.retryCall(call.callId, false)).toBeNull();
    expect((await callRow(s.current, call.callId)).state).toBe('retried');
  });

  test('releaseCall: a refused call’s IDs go back to pending; skipped when the batch was stopped meanwhile', async () => {
    const { store } = s.current;
    const id = await create(s.current, makeIds(3));
    const call = await store.claimChunk(id, 2);
    if (!call) throw new Error('claim');
    expect(await store.releaseCall(call.callId, refused)).toBe(2);
    expect(await callRow(s.current, call.callId)).toMatchObject({
      state: 'refused',
      http_status: 429,
      error_code: 'APIG.0308',
    });
    expect((await itemRows(s.current, id)).map((r) => [r.state, r.call_id, r.attempts])).toEqual([
      ['pending', null, 1],
      ['pending', null, 1],
      ['pending', null, 0],
    ]);
    expect(await store.releaseCall(call.callId, refused)).toBe(0);
    expect(await store.releaseCall('no-such-call', refused)).toBe(0);

    const again = await store.claimChunk(id, 2);
    if (!again) throw new Error('claim');
    expect(await store.cancelBatch(id)).toBe(true);
    expect(await store.releaseCall(again.callId, refused)).toBe(2);
    expect(
      (await store.listItems(id, { offset: 0, limit: 3 })).items.map((i) => [i.state, i.code]),
    ).toEqual([
      ['skipped', 'CANCELLED'],
      ['skipped', 'CANCELLED'],
      ['skipped', 'CANCELLED'],
    ]);
    expect((await itemRows(s.current, id)).map((r) => r.call_id)).toEqual([null, null, null]);
  });

  test('withdrawCall: an unsent call’s IDs go back to pending with the send uncounted (skipped when the batch was stopped meanwhile); only an open call', async () => {
    const { store } = s.current;
    const id = await create(s.current, makeIds(3));
    const call = await store.claimChunk(id, 2);
    if (!call) throw new Error('claim');
    expect(await store.withdrawCall(call.callId)).toBe(2);
    expect((await callRow(s.current, call.callId)).state).toBe('withdrawn');
    expect((await itemRows(s.current, id)).map((r) => [r.state, r.call_id, r.attempts])).toEqual([
      ['pending', null, 0],
      ['pending', null, 0],
      ['pending', null, 0],
    ]);
    expect(await store.withdrawCall(call.callId)).toBe(0);
    expect(await store.withdrawCall('no-such-call')).toBe(0);

    const again = await store.claimChunk(id, 2);
    if (!again) throw new Error('claim');
    expect(await store.cancelBatch(id)).toBe(true);
    expect(await store.withdrawCall(again.callId)).toBe(2);
    expect(
      (await store.listItems(id, { offset: 0, limit: 3 })).items.map((i) => [
        i.state,
        i.code,
        i.attempts,
      ]),
    ).toEqual([
      ['skipped', 'CANCELLED', 0],
      ['skipped', 'CANCELLED', 0],
      ['skipped', 'CANCELLED', 0],
    ]);
  });

  test('maybe_applied: set by a retry after a send that may have applied and by a re-send after an unknown outcome, never by a release after a refusal', async () => {
    const { store } = s.current;
    const peek = async (id: string) =>
      (await store.peekPending(id, -1, 10)).map((r) => [r.attempts, r.mayBeApplied]);
    /** A send answered as `first` says, then its retry refused (429) and released. */
    const refusedRetry = async (prefix: string, firstMayBeApplied: boolean) => {
      const id = await create(s.current, makeIds(1, prefix));
      const first = await store.claimChunk(id, 100);
      const retry = first && (await store.retryCall(first.callId, firstMayBeApplied));
      if (!retry) throw new Error('no claim');
      await store.releaseCall(retry.callId, refused);
      return peek(id);
    };
    // Refused (429) on the first send and on its retry: sent twice, never applied.
    expect(await refusedRetry('r', false)).toEqual([[2, false]]);
    // A 5xx, then a refused retry: the first send may have applied.
    expect(await refusedRetry('s', true)).toEqual([[2, true]]);
    // An unknown outcome, found absent by the re-read: pending again, possibly applied (late).
    const unknown = await create(s.current, makeIds(1, 't'));
    const c = await store.claimChunk(unknown, 100);
    if (!c) throw new Error('no claim');
    const [cid] = c.ids as [string];
    await store.recordOutcome(
      c.callId,
      [{ id: cid, state: 'unknown', code: 'TIMEOUT', message: 't' }],
      { httpStatus: null, requestId: null, errorCode: null },
    );
    await store.settleUnknown(unknown, { succeeded: [], resend: [cid], failed: [] });
    expect(await peek(unknown)).toEqual([[1, true]]);
    // A retry once applied keeps it through a later retry said not to be.
    const kept = await create(s.current, makeIds(1, 'u'));
    const k1 = await store.claimChunk(kept, 1);
    const k2 = k1 && (await store.retryCall(k1.callId, true));
    const k3 = k2 && (await store.retryCall(k2.callId, false));
    if (!k3) throw new Error('no retry');
    await store.releaseCall(k3.callId, refused);
    expect(await peek(kept)).toEqual([[3, true]]);
  });

  test('a 100,000-ID batch is created whole, and its pages, searches, counts and first chunk read right', async () => {
    const { store } = s.current;
    const ids = makeIds(100_000);
    const b = await store.createBatch({
      action: 'associate',
      workspace_id: 'w'.repeat(32),
      dataclass_type: 'alerts',
      data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
      related_dataclass_type: 'incidents',
      reason: null,
      user: 'local',
      retry_of: null,
      duplicates: 0,
      items: ids.map((id) => ({ id, idKey: id, state: 'pending', message: null })),
    });
    expect(b.total).toBe(100_000);
    expect(b.counts.pending).toBe(100_000);
    expect((await store.counts(b.id)).pending).toBe(100_000);
    const page = await store.listItems(b.id, { state: 'pending', offset: 99_000, limit: 1000 });
    const hit = await store.listItems(b.id, {
      q: ids[54_321]?.slice(-12).toUpperCase(),
      offset: 0,
      limit: 10,
    });
    const last = await store.listItems(b.id, { offset: 99_990, limit: 100 });
    const chunk = await store.claimChunk(b.id, 100);
    expect(page.total).toBe(100_000);
    expect(page.items).toHaveLength(1000);
    expect(page.items[0]?.id).toBe(ids[99_000]);
    expect(hit).toMatchObject({ total: 1, items: [{ id: ids[54_321] }] });
    expect(last.items.map((i) => i.id)).toEqual(ids.slice(99_990));
    expect(chunk?.ids).toEqual(ids.slice(0, 100));
    expect((await statesIn(s.current, b.id)).pending).toBe(99_900);
  });
});
