/**
 * Moves end to end (the API on a console against the real emulator and ledger, links checked in
 * the emulator on both sides): the per-ID results, a crash between the two phases continued by
 * the next console, and an undo that restores exactly what the move changed.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { z } from 'zod';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { batchListSchema, batchSummarySchema, itemStateSchema } from '../../src/api/schemas';
import { SIGN_IN_TO_RESUME } from '../access/credentials';
import {
  API_HEADERS,
  startEmulatorConsole,
  type EmulatorConsole,
} from '../testing/emulator-console';
import { createRunner, onSqlite } from './engine/runner';
import { MSG_SOURCE_UNKNOWN, MSG_STOPPED_BEFORE_SOURCE, moveResultSchema } from './group-records';
import { MOVE_CSV_HEADER } from './group-routes';
import { MSG_NOT_FOUND } from './reconcile';

const WS = SEED_WORKSPACES[0].id;

const moveSchema = batchSummarySchema.extend({
  kind: z.literal('move'),
  source_id: z.string(),
  destination_id: z.string(),
  link_batch_id: z.string().nullable(),
  unlink_batch_id: z.string().nullable(),
  results: z.record(moveResultSchema, z.number()),
});
const moveItemsSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      result: moveResultSchema,
      message: z.string().nullable(),
      link_state: itemStateSchema,
      unlink_state: itemStateSchema.nullable(),
    }),
  ),
  total: z.number(),
});

let h: EmulatorConsole;
let source: string;
let destination: string;
let alerts: string[];

beforeEach(async () => {
  h = await startEmulatorConsole({
    prefix: 'moves-',
    seed: { alerts: 200, incidents: 4, indicators: 2 },
  });
  [source = '', destination = ''] = seedObjectIds(0, 'incidents', 2);
  alerts = seedObjectIds(0, 'alerts', 200);
});

afterEach(() => h.close());

/** Links `ids` to `subject` with an ordinary batch, run to its end. */
async function link(subject: string, ids: readonly string[]): Promise<void> {
  const res = await h.post('/api/batches', {
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: subject,
    related_dataclass_type: 'alerts',
    ids,
  });
  expect(res.status).toBe(201);
  await h.runner.whenIdle(batchSummarySchema.parse(await res.json()).id);
}

/**
 * A move of `ids` (first linked to the source) made while its console is stopped, so that no
 * phase starts; its first phase is then run to its end by a runner that knows nothing of moves,
 * as if the server had stopped right after it.
 */
async function moveWithFirstPhaseRun(ids: readonly string[]) {
  await link(source, ids);
  await h.console.close();
  const { batch } = await h.console.groups.moves.create(moveBody(ids) as never, { user: 'test' });
  const [linkId = ''] = await h.console.groups.records.children(batch.id);
  const bare = createRunner({ ...onSqlite(h.ledger), upstream: h.upstream, concurrency: 2 });
  await bare.start(linkId);
  await bare.stop();
  return { batch, linkId };
}

/** The outcome of `id` in batch `batchId` made unknown (a re-read could not settle it). */
function markUnknown(batchId: string, id: string): void {
  h.ledger.db
    .prepare(`UPDATE items SET state = 'unknown' WHERE batch_id = ? AND id = ?`)
    .run(batchId, id);
}

function moveBody(ids: readonly string[], from = source, to = destination) {
  return {
    workspace_id: WS,
    dataclass_type: 'incidents',
    source_id: from,
    destination_id: to,
    related_dataclass_type: 'alerts',
    ids,
  };
}

const sorted = (ids: Iterable<string>) => [...ids].sort();

/** How many moves there are: the one given, and any undo of it. */
function ledgerMoves(moveId: string): number {
  const undos = h.ledger.db
    .prepare(`SELECT COUNT(*) FROM batches WHERE kind = 'move' AND undo_of = ?`)
    .pluck()
    .get(moveId);
  return 1 + z.number().parse(undos);
}

test('move 20 IDs: moved, one already at the destination, one unknown kept at the source; then undo restores exactly what changed', async () => {
  const plain = alerts.slice(50, 68);
  const both = alerts[68] ?? ''; // linked to the source and already to the destination
  const stranger = '00000000-0000-4000-8000-00000000dead'; // no such alert: cannot be linked
  await link(source, [...plain, both]);
  await link(destination, [both]);
  const before = { source: h.linksOf(source), destination: h.linksOf(destination) };
  expect(plain.every((id) => before.source.has(id) && !before.destination.has(id))).toBe(true);

  const res = await h.post('/api/moves', moveBody([...plain, both, stranger]));
  expect(res.status).toBe(201);
  const created = moveSchema.parse(await res.json());
  expect(res.headers.get('Location')).toBe(`/api/moves/${created.id}`);
  expect(created).toMatchObject({
    kind: 'move',
    data_object_id: source,
    source_id: source,
    destination_id: destination,
    total: 20,
    group_id: null,
  });
  expect(created.link_batch_id).not.toBeNull();
  await h.console.groups.whenIdle(created.id);

  const done = moveSchema.parse(await h.getJson(`/api/moves/${created.id}`));
  expect(done.state).toBe('done');
  expect(done.unlink_batch_id).not.toBeNull();
  expect(done.results).toEqual({
    pending: 0,
    moved: 18,
    already_at_destination: 1,
    kept_at_source: 1,
    invalid: 0,
  });
  // Both sides in the emulator: the moved IDs left the source, the destination holds them all.
  const after = { source: h.linksOf(source), destination: h.linksOf(destination) };
  expect(sorted(after.source)).toEqual(
    sorted([...before.source].filter((id) => !plain.includes(id) && id !== both)),
  );
  expect(sorted(after.destination)).toEqual(sorted(new Set([...before.destination, ...plain])));

  const kept = moveItemsSchema.parse(
    await h.getJson(`/api/moves/${created.id}/items?result=kept_at_source`),
  );
  expect(kept.items).toEqual([
    {
      id: stranger,
      result: 'kept_at_source',
      message: MSG_NOT_FOUND,
      link_state: 'failed',
      unlink_state: null,
    },
  ]);
  const already = moveItemsSchema.parse(
    await h.getJson(`/api/moves/${created.id}/items?result=already_at_destination`),
  );
  expect(already.items).toEqual([
    expect.objectContaining({ id: both, link_state: 'unchanged', unlink_state: 'succeeded' }),
  ]);
  const searched = moveItemsSchema.parse(
    await h.getJson(`/api/moves/${created.id}/items?q=${(plain[3] ?? '').slice(4, 20)}`),
  );
  expect(searched.items.map((i) => i.id)).toEqual([plain[3]]);
  const csv = await (await h.app.request(`/api/moves/${created.id}/export?format=csv`)).text();
  const lines = csv.trim().split('\r\n');
  expect(lines[0]).toBe(MOVE_CSV_HEADER);
  expect(lines).toHaveLength(21);
  // The batch routes serve it too; the history lists it once, without its two batches.
  expect(moveSchema.parse(await h.getJson(`/api/batches/${created.id}`)).id).toBe(created.id);
  const viaBatches = moveItemsSchema.parse(await h.getJson(`/api/batches/${created.id}/items`));
  expect(viaBatches.total).toBe(20);
  const retry = await h.post(`/api/batches/${created.id}/retry`);
  expect(retry.status).toBe(409);
  expect(await retry.json()).toMatchObject({ code: 'INVALID_STATE' });
  const history = batchListSchema.parse(await h.getJson('/api/batches'));
  expect(history.items.map((b) => b.id)).not.toContain(done.link_batch_id);
  expect(history.items.map((b) => b.id)).not.toContain(done.unlink_batch_id);
  expect(history.items[0]).toMatchObject({ id: created.id, kind: 'move' });
  expect(history.total).toBe(3);

  // Undo: back to exactly the links before the move; the ID that was already at the
  // destination stays there.
  const undoRes = await h.post(`/api/moves/${created.id}/undo`);
  expect(undoRes.status).toBe(201);
  const undo = moveSchema.parse(await undoRes.json());
  expect(undo).toMatchObject({
    undo_of: created.id,
    source_id: destination,
    destination_id: source,
  });
  await h.console.groups.whenIdle(undo.id);
  expect(moveSchema.parse(await h.getJson(`/api/moves/${undo.id}`)).state).toBe('done');
  expect(sorted(h.linksOf(source))).toEqual(sorted(before.source));
  expect(sorted(h.linksOf(destination))).toEqual(sorted(before.destination));
  expect(h.linksOf(destination).has(both)).toBe(true);
  expect(moveSchema.parse(await h.getJson(`/api/moves/${created.id}`)).undone_by).toBe(undo.id);
  const again = await h.post(`/api/moves/${created.id}/undo`);
  expect(again.status).toBe(409);
  expect(await again.json()).toMatchObject({ code: 'ALREADY_UNDONE' });
});

test('the server stops between the two phases: the next one creates the second phase and finishes the move', async () => {
  const ids = alerts.slice(80, 90);
  // The seam: the server stopped right after the first phase.
  const { batch, linkId } = await moveWithFirstPhaseRun(ids);
  expect(h.ledger.getBatchState(linkId)).toBe('done');
  expect(h.ledger.getBatch(batch.id)?.state).toBe('running');
  expect(await h.console.groups.records.children(batch.id)).toHaveLength(1);
  expect(ids.every((id) => h.linksOf(source).has(id) && h.linksOf(destination).has(id))).toBe(true);

  await h.restart();
  await h.console.resumeAll();
  await h.console.groups.whenIdle(batch.id);
  const done = moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`));
  expect(done.state).toBe('done');
  expect(done.results.moved).toBe(10);
  expect(ids.some((id) => h.linksOf(source).has(id))).toBe(false);
  expect(ids.every((id) => h.linksOf(destination).has(id))).toBe(true);
});

test('a first phase interrupted partway (401) waits to be resumed, then the move finishes every ID', async () => {
  const ids = alerts.slice(0, 150);
  await link(source, ids);
  // The first phase is run by a runner whose upstream answers 401 after its first write: some
  // IDs are linked to the destination, the rest stay pending, the link batch is interrupted.
  await h.console.close();
  const { batch } = await h.console.groups.moves.create(moveBody(ids) as never, { user: 'test' });
  const linkId = (await h.console.groups.records.children(batch.id))[0] ?? '';
  let writes = 0;
  const failing: typeof h.upstream = {
    call: (operation, opts) =>
      writes > 0 || (operation.op === 'associate' && ++writes > 1)
        ? Promise.resolve({
            status: 401,
            requestId: null,
            body: {
              error_code: 'APIG.0301',
              error_msg: 'Incorrect IAM authentication information',
            },
            retryAfter: null,
          })
        : h.upstream.call(operation, opts),
  };
  const bare = createRunner({ ...onSqlite(h.ledger), upstream: failing, concurrency: 1 });
  await bare.start(linkId);
  await bare.stop();
  const interrupted = h.ledger.getBatch(linkId);
  expect(interrupted?.state).toBe('interrupted');
  expect(interrupted?.counts.succeeded).toBeGreaterThan(0);
  expect(interrupted?.counts.pending).toBeGreaterThan(0);
  expect(h.ledger.getBatch(batch.id)?.state).toBe('interrupted');

  // A restart does not create the second phase of an interrupted first phase.
  await h.restart();
  await h.console.resumeAll();
  // Nor does the end of its run (what the runner tells the move when a run ends interrupted).
  await h.console.groups.moves.advance(batch.id);
  expect(await h.console.groups.records.children(batch.id)).toHaveLength(1);
  expect(moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`)).state).toBe('interrupted');

  expect((await h.post(`/api/batches/${batch.id}/resume`)).status).toBe(200);
  await h.console.groups.whenIdle(batch.id);
  const done = moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`));
  expect(done.state).toBe('done');
  expect(done.results).toMatchObject({ kept_at_source: 0, pending: 0 });
  // (The seed may already link one of them to the destination.)
  expect(done.results.moved + done.results.already_at_destination).toBe(ids.length);
  expect(ids.some((id) => h.linksOf(source).has(id))).toBe(false);
  expect(ids.every((id) => h.linksOf(destination).has(id))).toBe(true);
});

test('a session move between its phases at a restart: its second phase is interrupted at once, never run without the credential', async () => {
  const ids = alerts.slice(120, 125);
  await link(source, ids);
  await h.console.close();
  const session = { source: 'session:alice', sessionId: 'gone' };
  const { batch } = await h.console.groups.moves.create(moveBody(ids) as never, {
    user: 'alice',
    identity: session,
  });
  const [linkId = ''] = await h.console.groups.records.children(batch.id);
  const bare = createRunner({ ...onSqlite(h.ledger), upstream: h.upstream, concurrency: 2 });
  await bare.start(linkId);
  await bare.stop();
  expect(h.ledger.getBatchState(linkId)).toBe('done');

  await h.restart();
  await h.console.resumeAll();
  await h.console.groups.whenIdle(batch.id);
  const move = moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`));
  expect(move).toMatchObject({ state: 'interrupted', state_reason: SIGN_IN_TO_RESUME });
  const unlink = h.ledger.getBatch(move.unlink_batch_id ?? '');
  expect(unlink).toMatchObject({ state: 'interrupted', state_reason: SIGN_IN_TO_RESUME });
  expect(unlink?.counts.pending).toBe(ids.length);
  expect(
    h.ledger.db.prepare('SELECT COUNT(*) FROM calls WHERE batch_id = ?').pluck().get(unlink?.id),
  ).toBe(0);
  expect(ids.every((id) => h.linksOf(source).has(id))).toBe(true);
});

test('a stopped first phase still removes from the source exactly the IDs it linked', async () => {
  const ids = alerts.slice(100, 130);
  await link(source, ids);
  // The runner stopped: the first phase is stopped before it sends anything, so no ID is
  // linked to the destination and none may leave the source.
  await h.console.close();
  const { batch } = await h.console.groups.moves.create(moveBody(ids) as never, { user: 'test' });
  await h.restart();
  const stop = await h.post(`/api/moves/${batch.id}/stop`);
  expect(stop.status).toBe(200);
  await h.console.groups.whenIdle(batch.id);
  const done = moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`));
  expect(done.state).toBe('cancelled');
  expect(done.unlink_batch_id).not.toBeNull();
  expect(done.results).toMatchObject({ kept_at_source: 30, moved: 0 });
  expect(ids.every((id) => h.linksOf(source).has(id))).toBe(true);
  expect(h.ledger.getBatch(done.unlink_batch_id ?? '')?.total).toBe(0);
});

test('a move whose link batch is paused, then stopped on its own still gets its second phase', async () => {
  const ids = alerts.slice(130, 135);
  await h.console.close();
  const { batch } = await h.console.groups.moves.create(moveBody(ids) as never, { user: 'test' });
  await h.restart();
  const linkId = (await h.console.groups.records.children(batch.id))[0] ?? '';
  expect((await h.post(`/api/batches/${linkId}/pause`)).status).toBe(200);
  expect(moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`)).state).toBe('paused');
  // Stopped while paused: no run of it ends, the stop itself lets the move go on.
  expect((await h.post(`/api/batches/${linkId}/stop`)).status).toBe(200);
  await h.console.groups.whenIdle(batch.id);
  const done = moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`));
  expect(done).toMatchObject({ state: 'cancelled', results: { kept_at_source: 5 } });
  expect(done.unlink_batch_id).not.toBeNull();
});

test('a move is not undone while an ID is unsettled: its second phase interrupted, or an outcome unknown', async () => {
  const ids = alerts.slice(100, 110);
  // The first phase runs to its end, the second is created and then interrupted before it sends
  // anything (as a restart interrupts a batch that ran on an IAM session).
  const { batch } = await moveWithFirstPhaseRun(ids);
  expect(await h.console.groups.continueAll()).toBe(1);
  const [, unlinkId = ''] = await h.console.groups.records.children(batch.id);
  expect(h.ledger.transitionBatch(unlinkId, ['running'], 'interrupted', 'sign in to resume')).toBe(
    true,
  );
  await h.restart();
  expect(moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`)).state).toBe('interrupted');
  const refused = await h.post(`/api/moves/${batch.id}/undo`);
  expect(refused.status).toBe(409);
  expect(await refused.json()).toMatchObject({
    code: 'INVALID_STATE',
    message: expect.stringMatching(/not settled yet/),
  });

  // Resumed to its end, then one removal's outcome unknown (a re-read that could not settle it).
  expect((await h.post(`/api/batches/${batch.id}/resume`)).status).toBe(200);
  await h.console.groups.whenIdle(batch.id);
  expect(moveSchema.parse(await h.getJson(`/api/moves/${batch.id}`)).state).toBe('done');
  markUnknown(unlinkId, ids[0] ?? '');
  const unknown = await h.post(`/api/moves/${batch.id}/undo`);
  expect(unknown.status).toBe(409);
  expect(await unknown.json()).toMatchObject({ code: 'INVALID_STATE' });
  expect(ledgerMoves(batch.id)).toBe(1);
});

test("kept_at_source says why: the move stopped before the removal, or its outcome is unknown; a move's batches are not retried or undone on their own", async () => {
  const ids = alerts.slice(110, 114);
  // The first phase runs to its end and the second is created, then stopped before it sends
  // anything: the IDs are at both subjects.
  const { batch, linkId } = await moveWithFirstPhaseRun(ids);
  expect(await h.console.groups.continueAll()).toBe(1);
  const [, unlinkId = ''] = await h.console.groups.records.children(batch.id);
  await h.restart();
  expect((await h.post(`/api/moves/${batch.id}/stop`)).status).toBe(200);
  await h.console.groups.whenIdle(batch.id);
  markUnknown(unlinkId, ids[0] ?? '');
  const kept = moveItemsSchema.parse(
    await h.getJson(`/api/moves/${batch.id}/items?result=kept_at_source`),
  );
  expect(kept.items.map((i) => [i.id, i.unlink_state, i.message])).toEqual([
    [ids[0], 'unknown', MSG_SOURCE_UNKNOWN],
    ...ids.slice(1).map((id) => [id, 'skipped', MSG_STOPPED_BEFORE_SOURCE]),
  ]);

  // Its batches say which move they belong to (the batch page offers no retry or undo then)...
  for (const id of [linkId, unlinkId]) {
    expect(await h.getJson(`/api/batches/${id}`)).toMatchObject({
      group_id: batch.id,
      group_kind: 'move',
    });
  }
  // ...and answer for the move: no retry or undo of one phase on its own.
  for (const [method, path] of [
    ['POST', `/api/batches/${unlinkId}/retry`],
    ['GET', `/api/batches/${unlinkId}/retry-preview`],
    ['POST', `/api/batches/${linkId}/undo`],
    ['GET', `/api/batches/${linkId}/undo-preview`],
  ] as const) {
    const res =
      method === 'POST' ? await h.post(path) : await h.app.request(path, { headers: API_HEADERS });
    expect(res.status, path).toBe(409);
    expect(await res.json(), path).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringContaining(`this batch is part of move ${batch.id}:`),
    });
  }
  const retry = await h.post(`/api/batches/${batch.id}/retry`);
  expect(await retry.json()).toMatchObject({
    message: 'a move is not retried as a whole: make a new move with the kept IDs',
  });
  expect(batchListSchema.parse(await h.getJson('/api/batches')).total).toBe(2);
});

test('a move needs two different subjects and at least one ID', async () => {
  const same = await h.post(
    '/api/moves',
    moveBody([alerts[0] ?? ''], source, source.toUpperCase()),
  );
  expect(same.status).toBe(400);
  expect(await same.json()).toMatchObject({ code: 'INVALID_BODY', field: 'destination_id' });
  const blank = await h.post('/api/moves', moveBody([' ']));
  expect(blank.status).toBe(400);
  expect(await blank.json()).toMatchObject({ field: 'ids' });
  const missing = await h.app.request(`/api/moves/${alerts[0] ?? ''}`);
  expect(missing.status).toBe(404);
});

test('the runner never runs a group row, even one recorded as running with pending IDs', async () => {
  const group = h.ledger.createBatch({
    kind: 'move',
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: source,
    destination_id: destination,
    related_dataclass_type: 'alerts',
    reason: null,
    user: 'test',
    retry_of: null,
    duplicates: 0,
    items: [{ id: alerts[0] ?? '', idKey: alerts[0] ?? '', state: 'pending', message: null }],
  });
  expect(group.state).toBe('running');
  expect(h.ledger.runningBatchIds()).not.toContain(group.id);
  await h.restart();
  await h.console.resumeAll();
  expect(h.ledger.counts(group.id).pending).toBe(1);
  expect(h.ledger.db.prepare('SELECT COUNT(*) AS n FROM calls').get()).toEqual({ n: 0 });
});
