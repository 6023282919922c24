/**
 * "Tell the truth about every ID", against the real emulator over HTTP: a batch records what it
 * changed (`succeeded`) apart from what was already so (`unchanged`, never sent); undo reverts only
 * what the batch changed, and says so for batches recorded before the console tracked it; retry
 * carries the IDs that may pass; UUIDs are recorded in lower case.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Hono } from 'hono';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  apiErrorBodySchema,
  batchItemsPageSchema,
  batchSummarySchema,
  retryPreviewSchema,
  undoPreviewSchema,
  type BatchSummary,
} from '../src/api/schemas';
import { linkedIds } from './testing/checker';
import type { Ledger } from './batches/ledger';
import type { Runner } from './batches/engine/runner';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import type { Upstream } from './secmaster/client';
import { startEmulatorConsole, type EmulatorConsole } from './testing/emulator-console';

const WS = SEED_WORKSPACES[0].id;
const HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'fetch' };
const STRANGER = '00000000-0000-4000-8000-00000000beef';

let h: EmulatorConsole;
let dir: string;
let emulatorDb: EmulatorConsole['emulatorDb'];
let ledger: Ledger;
let runner: Runner;
let upstream: Upstream;
let app: Hono;
let incident: string;
let alerts: string[];

beforeEach(async () => {
  h = await startEmulatorConsole({
    prefix: 'truth-',
    seed: { alerts: 300, incidents: 5, indicators: 5 },
  });
  ({ dir, emulatorDb, ledger, runner, upstream, app } = h);
  const [inc] = seedObjectIds(0, 'incidents', 3).slice(2);
  if (!inc) throw new Error('seed');
  incident = inc;
  alerts = seedObjectIds(0, 'alerts', 300);
});

afterEach(() => h.close());

function linkedNow(): Set<string> {
  return linkedIds(emulatorDb, {
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: incident,
    related: 'alerts',
  });
}

/** Links (or unlinks) IDs directly in the emulator, as someone else would in SecMaster. */
async function elsewhere(action: 'associate' | 'cancel', ids: string[]): Promise<void> {
  const res = await upstream.call({
    op: action,
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: incident,
    related: 'alerts',
    ids,
  });
  expect(res.status).toBe(200);
}

function post(path: string, body?: unknown) {
  return app.request(path, {
    method: 'POST',
    headers: HEADERS,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function run(
  ids: string[],
  action: 'associate' | 'cancel' = 'associate',
  subject = incident,
): Promise<BatchSummary> {
  const res = await post('/api/batches', {
    action,
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: subject,
    related_dataclass_type: 'alerts',
    ids,
  });
  expect(res.status).toBe(201);
  const created = batchSummarySchema.parse(await res.json());
  await runner.whenIdle(created.id);
  return summary(created.id);
}

async function summary(id: string): Promise<BatchSummary> {
  return batchSummarySchema.parse(await (await app.request(`/api/batches/${id}`)).json());
}

async function itemsOf(id: string, state?: string) {
  const q = state ? `?state=${state}` : '';
  return batchItemsPageSchema.parse(
    await (await app.request(`/api/batches/${id}/items${q}`)).json(),
  ).items;
}

/** Alerts not linked to the incident now, from `from` on. */
function unlinkedAlerts(from: number, n: number): string[] {
  const linked = linkedNow();
  return alerts
    .slice(from)
    .filter((a) => !linked.has(a))
    .slice(0, n);
}

describe('the ledger knows what each batch changed', () => {
  test('associate: IDs already linked are "unchanged" (already linked), never sent; succeeded = changed', async () => {
    const pre = unlinkedAlerts(0, 5);
    await elsewhere('associate', pre.slice(0, 2));
    const res = await run(pre);
    expect(res.changes_recorded).toBe(true);
    expect(res.counts).toMatchObject({ succeeded: 3, unchanged: 2, failed: 0 });
    const unchanged = await itemsOf(res.id, 'unchanged');
    expect(unchanged.map((i) => i.id)).toEqual(pre.slice(0, 2));
    expect(unchanged.every((i) => i.code === 'ALREADY_LINKED' && i.message === 'already linked'));
    expect(unchanged.every((i) => i.attempts === 0)).toBe(true);
    const sent = ledger.db
      .prepare('SELECT ids_json FROM calls WHERE batch_id = ?')
      .all(res.id)
      .flatMap((r) => JSON.parse((r as { ids_json: string }).ids_json) as string[]);
    expect(sent).toEqual(pre.slice(2));
    // The export carries the state as it is on the wire.
    const csv = await (await app.request(`/api/batches/${res.id}/export?format=csv`)).text();
    expect(csv).toContain(`"${pre[0]}","unchanged","ALREADY_LINKED","already linked",,0`);
  });

  test('cancel: IDs that were not linked are "unchanged" (was not linked); unknown IDs are still sent and explained', async () => {
    const ids = unlinkedAlerts(0, 4);
    await elsewhere('associate', ids.slice(0, 2));
    const res = await run([...ids, STRANGER], 'cancel');
    expect(res.counts).toMatchObject({ succeeded: 2, unchanged: 2, failed: 1 });
    const byId = new Map((await itemsOf(res.id)).map((i) => [i.id, i] as const));
    expect(byId.get(ids[2] ?? '')).toMatchObject({ state: 'unchanged', message: 'was not linked' });
    expect(byId.get(STRANGER)).toMatchObject({ state: 'failed', code: 'NOT_FOUND' });
    for (const id of ids) expect(linkedNow().has(id)).toBe(false);
  });

  test('half the IDs already linked: half the writes', async () => {
    const ids = unlinkedAlerts(0, 200);
    const linkedHalf = ids.filter((_, i) => i % 2 === 0);
    for (let i = 0; i < linkedHalf.length; i += 100)
      await elsewhere('associate', linkedHalf.slice(i, i + 100));
    const res = await run(ids);
    expect(res.counts).toMatchObject({ succeeded: 100, unchanged: 100 });
    const calls = ledger.db
      .prepare('SELECT COUNT(*) AS n FROM calls WHERE batch_id = ?')
      .get(res.id);
    expect(calls).toEqual({ n: 1 }); // 100 IDs to change: one write call, not two half-empty ones
  });
});

describe('undo reverts exactly what the batch changed', () => {
  test('associate, then undo: links that existed before stay linked', async () => {
    const ids = unlinkedAlerts(0, 6);
    const before = ids.slice(0, 3);
    await elsewhere('associate', before);
    const original = await run(ids);
    expect(original.counts).toMatchObject({ succeeded: 3, unchanged: 3 });

    const preview = undoPreviewSchema.parse(
      await (await app.request(`/api/batches/${original.id}/undo-preview`)).json(),
    );
    expect(preview).toMatchObject({
      ids: 3,
      unchanged: 3,
      changed: [],
      changes_recorded: true,
      undo_action: 'cancel',
    });
    const undo = batchSummarySchema.parse(
      await (await post(`/api/batches/${original.id}/undo`)).json(),
    );
    expect(undo.total).toBe(3);
    await runner.whenIdle(undo.id);
    expect((await summary(undo.id)).counts).toMatchObject({ succeeded: 3 });
    const linked = linkedNow();
    for (const id of before) expect(linked.has(id)).toBe(true);
    for (const id of ids.slice(3)) expect(linked.has(id)).toBe(false);
  });

  test('cancel, then undo: only the links the batch removed come back', async () => {
    const ids = unlinkedAlerts(0, 4);
    await elsewhere('associate', ids.slice(0, 2));
    const original = await run(ids, 'cancel');
    expect(original.counts).toMatchObject({ succeeded: 2, unchanged: 2 });
    const undo = batchSummarySchema.parse(
      await (await post(`/api/batches/${original.id}/undo`)).json(),
    );
    await runner.whenIdle(undo.id);
    const linked = linkedNow();
    expect(ids.filter((id) => linked.has(id))).toEqual(ids.slice(0, 2));
  });

  test('a batch is undone once: a second undo is refused naming the first; the same request replayed answers it', async () => {
    const ids = unlinkedAlerts(0, 3);
    const original = await run(ids);
    const send = (key?: string) =>
      app.request(`/api/batches/${original.id}/undo`, {
        method: 'POST',
        headers: key ? { ...HEADERS, 'Idempotency-Key': key } : HEADERS,
      });
    const first = await send('undo-once-1');
    expect(first.status).toBe(201);
    const undo = batchSummarySchema.parse(await first.json());
    await runner.whenIdle(undo.id);
    expect((await summary(original.id)).undone_by).toBe(undo.id);
    expect((await summary(undo.id)).undone_by).toBeNull();
    // The same request again (a double click, a retried POST) answers the same undo batch.
    const replay = await send('undo-once-1');
    expect(replay.status).toBe(200);
    expect(batchSummarySchema.parse(await replay.json()).id).toBe(undo.id);
    // A new undo of the same batch is refused, naming the undo that exists: nothing is sent.
    for (const res of [await send('undo-once-2'), await send()]) {
      expect(res.status).toBe(409);
      const error = apiErrorBodySchema.parse(await res.json());
      expect(error.code).toBe('ALREADY_UNDONE');
      expect(error.message).toContain(undo.id);
    }
    const preview = await app.request(`/api/batches/${original.id}/undo-preview`);
    expect(preview.status).toBe(409);
    expect(apiErrorBodySchema.parse(await preview.json()).code).toBe('ALREADY_UNDONE');
    const history = await app.request('/api/batches');
    expect(((await history.json()) as { items: BatchSummary[] }).items).toHaveLength(2);
    // Undoing the undo re-does the original: allowed once, like any batch.
    const redo = await post(`/api/batches/${undo.id}/undo`);
    expect(redo.status).toBe(201);
    const redone = batchSummarySchema.parse(await redo.json());
    await runner.whenIdle(redone.id);
    expect(ids.every((id) => linkedNow().has(id))).toBe(true);
  });

  test('a batch that changed nothing cannot be undone (409 NOTHING_TO_UNDO)', async () => {
    const ids = unlinkedAlerts(0, 2);
    await elsewhere('associate', ids);
    const original = await run(ids);
    expect(original.counts).toMatchObject({ succeeded: 0, unchanged: 2 });
    const res = await post(`/api/batches/${original.id}/undo`);
    expect(res.status).toBe(409);
    expect(apiErrorBodySchema.parse(await res.json()).code).toBe('NOTHING_TO_UNDO');
  });

  test('a batch recorded before changes were tracked: the preview says so (changes_recorded false)', async () => {
    const ids = unlinkedAlerts(0, 3);
    const original = await run(ids);
    // A ledger file written by an older console has no changes_recorded column: reopening it adds
    // one, and its batches cannot tell what they changed.
    await h.restart(() => {
      const raw = new Database(join(dir, 'ledger.sqlite'));
      raw.exec('ALTER TABLE batches DROP COLUMN changes_recorded');
      raw.close();
    });
    ({ ledger, runner, app } = h);
    expect((await summary(original.id)).changes_recorded).toBe(false);
    const preview = undoPreviewSchema.parse(
      await (await app.request(`/api/batches/${original.id}/undo-preview`)).json(),
    );
    expect(preview).toMatchObject({ ids: 3, changes_recorded: false });
    // The undo itself needs the caller to say it knows (the UI's "I understand").
    const refused = await post(`/api/batches/${original.id}/undo`);
    expect(refused.status).toBe(409);
    expect(apiErrorBodySchema.parse(await refused.json()).code).toBe('CHANGES_NOT_RECORDED');
    expect(
      (await post(`/api/batches/${original.id}/undo`, { include_unrecorded: true })).status,
    ).toBe(201);
    // New batches on the migrated file record their changes.
    const fresh = await run(unlinkedAlerts(0, 1));
    expect(fresh.changes_recorded).toBe(true);
  });
});

describe('retry on the server', () => {
  test('includes transient failures, unknown and skipped; permanent ones only when asked; 409 when none', async () => {
    const ids = unlinkedAlerts(0, 3);
    const original = await run([...ids, STRANGER]);
    expect(original.counts).toMatchObject({ succeeded: 3, failed: 1 });
    const preview = retryPreviewSchema.parse(
      await (await app.request(`/api/batches/${original.id}/retry-preview`)).json(),
    );
    expect(preview).toEqual({ failed: 0, unknown: 0, skipped: 0, permanent: 1, ids: 0 });
    const none = await post(`/api/batches/${original.id}/retry`, {});
    expect(none.status).toBe(409);
    const err = apiErrorBodySchema.parse(await none.json());
    expect(err.code).toBe('NOTHING_TO_RETRY');
    expect(err.message).toContain('include permanent failures');
    // An empty body means the defaults; an unknown key is refused.
    expect((await post(`/api/batches/${original.id}/retry`)).status).toBe(409);
    expect((await post(`/api/batches/${original.id}/retry`, { everything: true })).status).toBe(
      400,
    );

    const forced = await post(`/api/batches/${original.id}/retry`, { include_permanent: true });
    expect(forced.status).toBe(201);
    const retry = batchSummarySchema.parse(await forced.json());
    expect(retry).toMatchObject({ retry_of: original.id, total: 1, action: 'associate' });
    expect((await itemsOf(retry.id)).map((i) => i.id)).toEqual([STRANGER]);
  });

  test('a transient failure and the skipped IDs of a stopped batch are retried; the permanent one is not', async () => {
    const ids = unlinkedAlerts(0, 4);
    const res = await post('/api/batches', {
      action: 'associate',
      workspace_id: WS,
      dataclass_type: 'incidents',
      data_object_id: incident,
      related_dataclass_type: 'alerts',
      ids: [...ids, STRANGER],
    });
    const created = batchSummarySchema.parse(await res.json());
    await runner.whenIdle(created.id);
    // Make the record say what a stopped batch with a transient failure says.
    ledger.db
      .prepare(
        `UPDATE items SET state = 'failed', code = 'HTTP_503', message = 'busy' WHERE batch_id = ? AND id = ?`,
      )
      .run(created.id, ids[0]);
    ledger.db
      .prepare(
        `UPDATE items SET state = 'skipped', code = 'CANCELLED' WHERE batch_id = ? AND id IN (?, ?)`,
      )
      .run(created.id, ids[1], ids[2]);
    ledger.db.prepare(`UPDATE batches SET state = 'cancelled' WHERE id = ?`).run(created.id);
    const preview = retryPreviewSchema.parse(
      await (await app.request(`/api/batches/${created.id}/retry-preview`)).json(),
    );
    expect(preview).toEqual({ failed: 1, unknown: 0, skipped: 2, permanent: 1, ids: 3 });
    const retry = batchSummarySchema.parse(
      await (await post(`/api/batches/${created.id}/retry`, {})).json(),
    );
    expect((await itemsOf(retry.id)).map((i) => i.id)).toEqual([ids[0], ids[1], ids[2]]);
    await runner.whenIdle(retry.id);
    // The first batch did link them all (the record above was made up): the retry finds them
    // linked and changes nothing.
    expect((await summary(retry.id)).counts).toMatchObject({ unchanged: 3, succeeded: 0 });
  });

  test('an interrupted batch is resumed, not retried; the unknown IDs of a stopped batch are left to its re-read', async () => {
    const ids = unlinkedAlerts(0, 3);
    const created = await run(ids);
    ledger.db
      .prepare(`UPDATE items SET state = 'unknown', code = 'TIMEOUT' WHERE batch_id = ? AND id = ?`)
      .run(created.id, ids[0]);
    ledger.db
      .prepare(
        `UPDATE items SET state = 'skipped', code = 'CANCELLED' WHERE batch_id = ? AND id = ?`,
      )
      .run(created.id, ids[1]);
    ledger.db.prepare(`UPDATE batches SET state = 'interrupted' WHERE id = ?`).run(created.id);
    const interrupted = await post(`/api/batches/${created.id}/retry`, {});
    expect(interrupted.status).toBe(409);
    expect(apiErrorBodySchema.parse(await interrupted.json()).message).toContain('resume it');
    ledger.db.prepare(`UPDATE batches SET state = 'cancelled' WHERE id = ?`).run(created.id);
    const preview = retryPreviewSchema.parse(
      await (await app.request(`/api/batches/${created.id}/retry-preview`)).json(),
    );
    expect(preview).toMatchObject({ unknown: 0, skipped: 1, ids: 1 });
    const retry = batchSummarySchema.parse(
      await (await post(`/api/batches/${created.id}/retry`, {})).json(),
    );
    expect((await itemsOf(retry.id)).map((i) => i.id)).toEqual([ids[1]]);
    // Once done, its unknown IDs are no longer re-read: a retry carries them.
    ledger.db.prepare(`UPDATE batches SET state = 'done' WHERE id = ?`).run(created.id);
    const done = retryPreviewSchema.parse(
      await (await app.request(`/api/batches/${created.id}/retry-preview`)).json(),
    );
    expect(done).toMatchObject({ unknown: 1, skipped: 1, ids: 2 });
  });

  test('a running batch cannot be retried (409 INVALID_STATE)', async () => {
    const ids = unlinkedAlerts(0, 2);
    const created = await run(ids);
    ledger.db.prepare(`UPDATE batches SET state = 'paused' WHERE id = ?`).run(created.id);
    const res = await post(`/api/batches/${created.id}/retry`, {});
    expect(res.status).toBe(409);
    expect(apiErrorBodySchema.parse(await res.json()).code).toBe('INVALID_STATE');
  });
});

test('an upper-case UUID is recorded and sent in lower case, and links the existing alert', async () => {
  const [id] = unlinkedAlerts(0, 1);
  if (!id) throw new Error('seed');
  const res = await run([id.toUpperCase()], 'associate', incident.toUpperCase());
  expect(res.data_object_id).toBe(incident);
  expect(res.counts).toMatchObject({ succeeded: 1, failed: 0 });
  expect((await itemsOf(res.id))[0]?.id).toBe(id);
  expect(linkedNow().has(id)).toBe(true);
});

test('the link check answers in the same lower-case form', async () => {
  const [id] = unlinkedAlerts(0, 1);
  if (!id) throw new Error('seed');
  await elsewhere('associate', [id]);
  const res = await post('/api/checks', {
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: incident.toUpperCase(),
    related_dataclass_type: 'alerts',
    ids: [id.toUpperCase(), id],
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ checked: 1, linked: [id], not_found: [] });
});

test('a malformed UUID is recorded invalid with the reason and never sent', async () => {
  const [id] = unlinkedAlerts(0, 1);
  if (!id) throw new Error('seed');
  const extended = `${id}a`; // 8-4-4-4-13: well-formed by the API's rule, not a UUID
  const res = await run([id, extended]);
  expect(res.counts).toMatchObject({ succeeded: 1, invalid: 1 });
  const invalid = await itemsOf(res.id, 'invalid');
  expect(invalid).toEqual([
    expect.objectContaining({ id: extended, message: expect.stringContaining('8-4-4-4-13') }),
  ]);
  const sent = ledger.db
    .prepare('SELECT ids_json FROM calls WHERE batch_id = ?')
    .all(res.id)
    .flatMap((r) => JSON.parse((r as { ids_json: string }).ids_json) as string[]);
  expect(sent).toEqual([id]);
});
