/**
 * A batch's state and its records, on both stores: transitions, the user's stop, reasons, undo
 * links, credential sources, and groups (their state kept from their children's by the database).
 */
import { describe, expect, test } from 'vitest';
import { MSG_SKIPPED_BY_USER } from '../../batches/ledger';
import { storeFactories } from '../../testing/stores';
import {
  batchOf,
  common,
  create,
  itemRows,
  makeIds,
  meta200,
  pending,
  shown,
  statesIn,
  succeeded,
  useStore,
} from './helpers';

describe.each(storeFactories)('$name store: state and records', (factory) => {
  let clock = new Date('2026-12-01T10:00:00.000Z');
  const s = useStore(factory, { now: () => clock });

  test('transitionBatch: only from the states given; paused and running keep finished_at null, terminal states set it', async () => {
    const { store } = s.current;
    clock = new Date('2026-12-01T10:00:00.000Z');
    const id = await create(s.current, makeIds(2));
    expect(await store.transitionBatch(id, ['paused'], 'running', null)).toBe(false);
    expect(await store.transitionBatch(id, ['running'], 'paused', 'paused by the user')).toBe(true);
    expect(await store.getBatch(id)).toMatchObject({
      state: 'paused',
      state_reason: 'paused by the user',
      finished_at: null,
    });
    clock = new Date('2026-12-01T11:00:00.000Z');
    expect(
      await store.transitionBatch(id, ['running', 'paused'], 'interrupted', 'sign in to resume'),
    ).toBe(true);
    expect(await store.getBatch(id)).toMatchObject({
      state: 'interrupted',
      state_reason: 'sign in to resume',
      finished_at: '2026-12-01T11:00:00.000Z',
    });
    expect(await store.transitionBatch(id, ['interrupted'], 'running', null)).toBe(true);
    expect(await store.getBatch(id)).toMatchObject({
      state: 'running',
      state_reason: null,
      finished_at: null,
    });
    expect(await store.transitionBatch('no-such-batch', ['running'], 'paused', null)).toBe(false);
    // Items are not the transition's business.
    expect(shown(await store.counts(id))).toEqual({ pending: 2 });
  });

  test('cancelBatch: running, paused or interrupted → cancelled, pending IDs skipped in the same write; calls in flight stay', async () => {
    const { store } = s.current;
    clock = new Date('2026-12-01T12:00:00.000Z');
    const ids = makeIds(4);
    const id = await create(s.current, ids);
    await store.claimChunk(id, 1);
    expect(await store.cancelBatch(id)).toBe(true);
    expect(await store.getBatch(id)).toMatchObject({
      state: 'cancelled',
      state_reason: 'stopped by the user',
      finished_at: '2026-12-01T12:00:00.000Z',
      counts: { in_flight: 1, skipped: 3 },
    });
    expect((await itemRows(s.current, id)).slice(1).map((r) => [r.code, r.message])).toEqual(
      Array(3).fill(['CANCELLED', MSG_SKIPPED_BY_USER]),
    );
    // Not twice, and not a finished batch.
    expect(await store.cancelBatch(id)).toBe(false);
    const done = await create(s.current, [], ['bad']);
    expect(await store.cancelBatch(done)).toBe(false);
    expect(await store.cancelBatch('no-such-batch')).toBe(false);
    const paused = await create(s.current, makeIds(1, 'p'));
    await store.transitionBatch(paused, ['running'], 'paused', null);
    expect(await store.cancelBatch(paused)).toBe(true);
    const interrupted = await create(s.current, makeIds(1, 'i'));
    await store.transitionBatch(interrupted, ['running'], 'interrupted', 'x');
    expect(await store.cancelBatch(interrupted)).toBe(true);
    expect(await store.getBatchState(interrupted)).toBe('cancelled');
  });

  test('setStateReason: shown while running, cleared by null', async () => {
    const { store } = s.current;
    const id = await create(s.current, makeIds(1));
    await store.setStateReason(id, 'waiting for the retry budget');
    expect(await store.getBatch(id)).toMatchObject({
      state: 'running',
      state_reason: 'waiting for the retry budget',
    });
    await store.setStateReason(id, null);
    expect((await store.getBatch(id))?.state_reason).toBeNull();
  });

  test('undo links and credential sources are columns of the batch: kept, read back, and listed', async () => {
    const { store } = s.current;
    const a = await store.createBatch(
      batchOf(makeIds(1, 'a'), [], { credential_source: 'env-aksk' }),
    );
    const b = await store.createBatch(batchOf(makeIds(1, 'b'), [], { undo_of: a.id }));
    const c = await store.createBatch(batchOf(makeIds(1, 'c'), [], { undo_of: a.id }));
    expect(await store.getBatch(b.id)).toMatchObject({ undo_of: a.id, credential_source: null });
    expect(await store.getBatch(a.id)).toMatchObject({
      undo_of: null,
      credential_source: 'env-aksk',
    });
    // Undone once: the first undo is the one that counts.
    expect(await store.undoneBy(a.id)).toBe(b.id);
    expect(await store.undoneBy(c.id)).toBeNull();
    await store.setCredentialSource(a.id, 'session:alice');
    expect(await store.credentialSourceOf(a.id)).toBe('session:alice');
    expect(await store.credentialSourceOf(b.id)).toBeNull();
    expect(await store.credentialSourceOf('no-such-batch')).toBeNull();
    await store.setCredentialSource(b.id, `session:${'x'.repeat(300)}`);
    expect(await store.credentialSourceOf(b.id)).toHaveLength(200);
    expect(
      (await store.listBatches(0, 10)).items.map((x) => [x.id, x.undo_of, x.credential_source]),
    ).toEqual([
      [c.id, a.id, null],
      [b.id, a.id, `session:${'x'.repeat(192)}`],
      [a.id, null, 'session:alice'],
    ]);
  });

  test('the IAM session a batch runs on is recorded by its stored key with its source, replaced with it, and never shown', async () => {
    const { store } = s.current;
    const key = 'k'.repeat(43);
    const a = await store.createBatch(
      batchOf(makeIds(1, 'a'), [], { credential_source: 'session:alice', credential_session: key }),
    );
    const b = await store.createBatch(
      batchOf(makeIds(1, 'b'), [], { credential_source: 'env-aksk' }),
    );
    expect(await store.credentialSessionOf(a.id)).toBe(key);
    expect(await store.credentialSessionOf(b.id)).toBeNull();
    expect(await store.credentialSessionOf('no-such-batch')).toBeNull();
    // A resume on another session names that one; on the environment's credential, none.
    const other = 'o'.repeat(43);
    await store.setCredentialSource(b.id, 'session:bob', other);
    expect([await store.credentialSourceOf(b.id), await store.credentialSessionOf(b.id)]).toEqual([
      'session:bob',
      other,
    ]);
    await store.setCredentialSource(a.id, 'env-aksk');
    expect([await store.credentialSourceOf(a.id), await store.credentialSessionOf(a.id)]).toEqual([
      'env-aksk',
      null,
    ]);
    // Not a column of what the history and a batch's page show.
    expect(JSON.stringify(await store.getBatch(b.id))).not.toContain(other);
    expect(JSON.stringify(await store.listBatches(0, 10))).not.toContain(other);
  });

  test('a group’s state follows its children’s (running while one runs, the worst terminal state after); its counts are its own items’ and its children’s', async () => {
    const { store } = s.current;
    clock = new Date('2026-12-01T10:00:00.000Z');
    const ids = makeIds(5);
    const group = (
      await store.createBatch({
        ...common,
        kind: 'pairs',
        data_object_id: '',
        items: [{ id: 'x', idKey: '["?","x"]', state: 'invalid', message: 'subject: bad' }],
      })
    ).id;
    expect(await store.getBatchState(group)).toBe('done');
    const child = async (subject: string, some: string[]) =>
      (
        await store.createBatch({
          ...common,
          group_id: group,
          data_object_id: subject,
          items: some.map(pending),
        })
      ).id;
    const first = await child('c0ffee00-0000-4000-8000-000000000001', ids.slice(0, 2));
    const second = await child('c0ffee00-0000-4000-8000-000000000002', ids.slice(2));
    expect(await store.groupOf(first)).toBe(group);
    expect(await store.groupOf(group)).toBeNull();
    expect(await store.groupOf('no-such-batch')).toBeNull();
    expect(await store.getBatch(group)).toMatchObject({
      state: 'running',
      finished_at: null,
      counts: { pending: 5, invalid: 1, succeeded: 0 },
    });
    // Only the children run; the history lists only the group.
    expect(await store.runningBatchIds()).toEqual([first, second]);
    expect((await store.listBatches(0, 10)).items.map((b) => b.id)).toEqual([group]);

    const call = await store.claimChunk(first, 2);
    if (!call) throw new Error('claim');
    await store.recordOutcome(call.callId, succeeded(call.ids), meta200);
    expect(await store.getBatch(group)).toMatchObject({
      counts: { pending: 3, invalid: 1, succeeded: 2 },
    });
    expect((await store.listBatches(0, 10)).items[0]?.counts).toMatchObject({
      pending: 3,
      invalid: 1,
      succeeded: 2,
    });
    // A child's own counts are its own.
    expect(shown(await store.counts(first))).toEqual({ succeeded: 2 });
    expect(shown(await store.counts(group))).toEqual({ invalid: 1 });

    clock = new Date('2026-12-01T10:05:00.000Z');
    expect(await store.finishIfDrained(first)).toBe(true);
    expect(await store.transitionBatch(second, ['running'], 'paused', 'paused by the user')).toBe(
      true,
    );
    expect(await store.getBatch(group)).toMatchObject({
      state: 'paused',
      state_reason: 'paused by the user',
      finished_at: null,
    });
    clock = new Date('2026-12-01T10:10:00.000Z');
    expect(await store.cancelBatch(second)).toBe(true);
    expect(await store.getBatch(group)).toMatchObject({
      state: 'cancelled',
      state_reason: 'stopped by the user',
      finished_at: '2026-12-01T10:10:00.000Z',
      counts: { succeeded: 2, skipped: 3, invalid: 1 },
    });
  });

  test('a move waits for its second phase, unless its first was interrupted', async () => {
    const { store } = s.current;
    const move = await store.createBatch({
      ...common,
      kind: 'move',
      data_object_id: 'c0ffee00-0000-4000-8000-000000000003',
      destination_id: 'c0ffee00-0000-4000-8000-000000000004',
      items: [],
    });
    const link = await store.createBatch({
      ...common,
      group_id: move.id,
      data_object_id: 'c0ffee00-0000-4000-8000-000000000004',
      items: makeIds(1).map(pending),
    });
    expect(await store.getBatchState(move.id)).toBe('running');
    const call = await store.claimChunk(link.id, 1);
    if (!call) throw new Error('claim');
    await store.queueOutcome(call.callId, succeeded(call.ids), meta200, { finish: true });
    // The first phase is done: the move runs on until its second.
    expect(await store.getBatchState(link.id)).toBe('done');
    expect(await store.getBatchState(move.id)).toBe('running');

    const other = await store.createBatch({
      ...common,
      kind: 'move',
      data_object_id: 'c0ffee00-0000-4000-8000-000000000005',
      destination_id: 'c0ffee00-0000-4000-8000-000000000006',
      items: [],
    });
    const first = await store.createBatch({
      ...common,
      group_id: other.id,
      data_object_id: 'c0ffee00-0000-4000-8000-000000000006',
      items: makeIds(1, 'b').map(pending),
    });
    expect(await store.transitionBatch(first.id, ['running'], 'interrupted', 'sign in')).toBe(true);
    expect(await store.getBatch(other.id)).toMatchObject({
      state: 'interrupted',
      state_reason: 'sign in',
    });
  });

  test('createGroup of 3,100 children and 21,700 items: every child and item written, in order', async () => {
    const { store } = s.current;
    const per = 7;
    const n = 3_100;
    const subjects = makeIds(n, 's');
    const ids = makeIds(n * per);
    const group = await store.createGroup(
      { ...common, kind: 'pairs', data_object_id: '', total: n * per, items: [] },
      subjects.map((subject, c) => ({
        ...common,
        data_object_id: subject,
        items: ids.slice(c * per, c * per + per).map(pending),
      })),
    );
    expect(shown(group.counts)).toEqual({ pending: n * per });
    expect(shown((await store.getBatch(group.id))?.counts ?? {})).toEqual({ pending: n * per });
    const children = await s.current.db
      .selectFrom('batches')
      .select(['id', 'data_object_id', 'state'])
      .where('group_id', '=', group.id)
      .orderBy('n')
      .execute();
    expect(children.map((c) => c.data_object_id)).toEqual(subjects);
    expect(children.every((c) => c.state === 'running')).toBe(true);
    const items = await s.current.db
      .selectFrom('items')
      .innerJoin('batches', 'batches.id', 'items.batch_id')
      .select(['items.id', 'items.seq'])
      .where('batches.group_id', '=', group.id)
      .orderBy('batches.n')
      .orderBy('items.seq')
      .execute();
    expect(items.map((i) => i.id)).toEqual(ids);
    expect(items.map((i) => i.seq)).toEqual(ids.map((_, k) => k % per));
  });

  test('createGroup writes a group and its children in one go; its counts (from what it wrote) match the database', async () => {
    const { store } = s.current;
    const ids = makeIds(7);
    const subject = (n: number) => `c0ffee00-0000-4000-8000-00000000000${n}`;
    const group = await store.createGroup(
      {
        ...common,
        kind: 'pairs',
        data_object_id: '',
        total: 8,
        items: [{ id: 'x', idKey: '["?","x"]', state: 'invalid', message: 'subject: bad' }],
      },
      [
        { ...common, data_object_id: subject(1), items: ids.slice(0, 3).map(pending) },
        {
          ...common,
          data_object_id: subject(2),
          items: [
            ...ids.slice(3).map(pending),
            { id: 'y', idKey: 'y', state: 'invalid', message: 'm' },
          ],
        },
        // A child with nothing to send is done at once.
        {
          ...common,
          data_object_id: subject(3),
          items: [{ id: 'z', idKey: 'z', state: 'invalid', message: 'm' }],
        },
      ],
    );
    const children = (
      await s.current.db
        .selectFrom('batches')
        .select('id')
        .where('group_id', '=', group.id)
        .orderBy('n')
        .execute()
    ).map((r) => r.id);
    expect(children).toHaveLength(3);
    expect(group).toMatchObject({ kind: 'pairs', state: 'running', total: 8, group_id: null });
    expect(shown(group.counts)).toEqual({ pending: 7, invalid: 3 });
    expect(await store.getBatch(group.id)).toEqual(group);
    for (const [i, child] of children.entries()) {
      expect(await store.getBatch(child)).toMatchObject({
        group_id: group.id,
        data_object_id: subject(i + 1),
        state: i === 2 ? 'done' : 'running',
      });
      expect(shown(await store.counts(child))).toEqual(await statesIn(s.current, child));
    }
    expect(
      (await store.listItems(children[1] ?? '', { offset: 0, limit: 10 })).items.map((i) => i.id),
    ).toEqual([...ids.slice(3), 'y']);
    // A child's items change: the group's counts follow.
    const call = await store.claimChunk(children[0] ?? '', 3);
    await store.recordOutcome(call?.callId ?? '', succeeded(call?.ids ?? []), meta200);
    expect(shown((await store.getBatch(group.id))?.counts ?? {})).toEqual({
      pending: 4,
      succeeded: 3,
      invalid: 3,
    });
  });
});
