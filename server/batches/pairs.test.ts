/**
 * Batches of pairs end to end (the API on a console against the real emulator and ledger): one
 * child batch per subject, duplicates and malformed pairs, IDs already linked, the group's
 * items and export, retry and undo of the whole group, and the history's top-level rows.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import {
  MAX_PAIRS_SUBJECTS,
  batchItemSchema,
  batchListSchema,
  batchSummarySchema,
} from '../../src/api/schemas';
import { API_HEADERS, startConsoleOn, type ConsoleHarness } from '../testing/emulator-console';
import { PAIRS_CSV_HEADER } from './group-routes';

const WS = SEED_WORKSPACES[0].id;

const pairsSummarySchema = batchSummarySchema.extend({
  kind: z.literal('pairs'),
  subjects: z.number(),
  invalid_pairs: z.number(),
  group_id: z.null(),
});
const pairItemsSchema = z.object({
  items: z.array(batchItemSchema.extend({ data_object_id: z.string(), batch_id: z.string() })),
  total: z.number(),
});

let h: ConsoleHarness;
let incidents: string[];
let alerts: string[];

/** A console on `kind` of ledger for each test of the describe that calls it. */
function consoleOn(kind: 'sqlite' | 'postgres'): void {
  beforeEach(async () => {
    h = await startConsoleOn(kind, {
      prefix: 'pairs_',
      seed: { alerts: 200, incidents: 10, indicators: 2 },
    });
    incidents = seedObjectIds(0, 'incidents', 10);
    alerts = seedObjectIds(0, 'alerts', 200);
  });
  afterEach(() => h.close());
}

function pairsBody(pairs: [string, string][], action: 'associate' | 'cancel' = 'associate') {
  return {
    action,
    workspace_id: WS,
    dataclass_type: 'incidents',
    related_dataclass_type: 'alerts',
    pairs: pairs.map(([data_object_id, id]) => ({ data_object_id, id })),
  };
}

/** Creates a pairs group and waits until every child has ended. */
async function runPairs(body: unknown) {
  const res = await h.post('/api/batches', body);
  expect(res.status).toBe(201);
  const created = pairsSummarySchema.parse(await res.json());
  await h.console.groups.whenIdle(created.id);
  return {
    created,
    done: pairsSummarySchema.parse(await h.getJson(`/api/batches/${created.id}`)),
  };
}

const [s1, s2, s3] = [0, 1, 2];

// The same tests on both ledgers: SQLite in DATA_DIR, and PostgreSQL (DATABASE_URL), where each
// child batch runs under a lease of its own.
describe.each(['sqlite', 'postgres'] as const)('on %s', (kind) => {
  consoleOn(kind);
  test('pairs of 3 subjects: one child batch each, duplicates dropped, malformed IDs and subjects invalid, items and export across subjects', async () => {
    const [a, b, c] = [incidents[s1] ?? '', incidents[s2] ?? '', incidents[s3] ?? ''];
    const mine = alerts.slice(100, 109);
    const before = [a, b, c].map((s) => h.linksOf(s));
    const pairs: [string, string][] = [
      ...mine.slice(0, 5).map((id): [string, string] => [a, id]),
      ...mine.slice(5, 8).map((id): [string, string] => [b, id]),
      [c, mine[8] ?? ''],
      [a.toUpperCase(), (mine[0] ?? '').toUpperCase()], // duplicate (UUIDs compare in any case)
      [b, 'not-an-id'], // malformed ID: invalid in b's batch
      ['bad-subject', mine[0] ?? ''], // malformed subject: invalid on the group
    ];
    const { created, done } = await runPairs(pairsBody(pairs));
    expect(created).toMatchObject({
      kind: 'pairs',
      data_object_id: '',
      subjects: 3,
      invalid_pairs: 1,
      total: 11,
      duplicates: 1,
    });
    expect(done.state).toBe('done');
    expect(done.finished_at).not.toBeNull();
    expect(done.counts.succeeded + done.counts.unchanged).toBe(9);
    expect(done.counts).toMatchObject({ invalid: 2, failed: 0, pending: 0, unknown: 0 });
    // Each subject now holds its own alerts, and only the links it had plus those.
    const expected = [mine.slice(0, 5), mine.slice(5, 8), mine.slice(8, 9)];
    [a, b, c].forEach((subject, i) => {
      const links = h.linksOf(subject);
      for (const id of expected[i] ?? []) expect(links.has(id)).toBe(true);
      expect(links.size).toBe(new Set([...(before[i] ?? []), ...(expected[i] ?? [])]).size);
    });

    // Items: every pair with its subject and child batch; q matches either ID.
    const all = pairItemsSchema.parse(await h.getJson(`/api/batches/${created.id}/items`));
    expect(all.total).toBe(11);
    expect(new Set(all.items.map((i) => i.batch_id)).size).toBe(4); // 3 children + the group
    const ofB = pairItemsSchema.parse(await h.getJson(`/api/batches/${created.id}/items?q=${b}`));
    expect(ofB.items.map((i) => i.id).sort()).toEqual([...mine.slice(5, 8), 'not-an-id'].sort());
    expect(ofB.items.every((i) => i.data_object_id === b)).toBe(true);
    const byId = pairItemsSchema.parse(
      await h.getJson(`/api/batches/${created.id}/items?q=${mine[6] ?? ''}`),
    );
    expect(byId.items).toEqual([expect.objectContaining({ id: mine[6], data_object_id: b })]);
    const invalid = pairItemsSchema.parse(
      await h.getJson(`/api/batches/${created.id}/items?state=invalid`),
    );
    expect(invalid.items.map((i) => i.data_object_id).sort()).toEqual(['bad-subject', b].sort());

    const csv = await (await h.app.request(`/api/batches/${created.id}/export?format=csv`)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(PAIRS_CSV_HEADER);
    expect(lines).toHaveLength(12);
    expect(lines.filter((l) => l.startsWith(`"${c}",`))).toEqual([
      expect.stringContaining(`"${mine[8] ?? ''}"`),
    ]);

    // History: the group is one row; its children are not listed.
    const history = batchListSchema.parse(await h.getJson('/api/batches'));
    expect(history.total).toBe(1);
    expect(history.items[0]).toMatchObject({ id: created.id, kind: 'pairs' });
  });

  test('pairs already linked are No change; pairs of a cancel unlink what is linked', async () => {
    const subject = incidents[3] ?? '';
    const ids = alerts.slice(120, 126);
    // Link the first three first (a plain batch).
    const first = await h.post('/api/batches', {
      action: 'associate',
      workspace_id: WS,
      dataclass_type: 'incidents',
      data_object_id: subject,
      related_dataclass_type: 'alerts',
      ids: ids.slice(0, 3),
    });
    const plain = batchSummarySchema.parse(await first.json());
    expect(plain).toMatchObject({ kind: 'batch', group_id: null, group_kind: null });
    await h.runner.whenIdle(plain.id);

    const { done } = await runPairs(pairsBody(ids.map((id) => [subject, id])));
    expect(done.counts).toMatchObject({ succeeded: 3, unchanged: 3 });
    const unchanged = pairItemsSchema.parse(
      await h.getJson(`/api/batches/${done.id}/items?state=unchanged`),
    );
    expect(unchanged.items.map((i) => i.id).sort()).toEqual(ids.slice(0, 3).sort());

    const { done: cancelled } = await runPairs(
      pairsBody(
        ids.slice(0, 2).map((id) => [subject, id]),
        'cancel',
      ),
    );
    expect(cancelled.counts).toMatchObject({ succeeded: 2 });
    const links = h.linksOf(subject);
    expect(ids.filter((id) => links.has(id)).sort()).toEqual(ids.slice(2).sort());
  });

  test('retry of a pairs group carries each subject’s failures; undo reverts exactly what it changed, once', async () => {
    const [a, b] = [incidents[4] ?? '', incidents[5] ?? ''];
    const stranger = '00000000-0000-4000-8000-00000000beef';
    const ids = alerts.slice(140, 144);
    const before = { a: h.linksOf(a), b: h.linksOf(b) };
    const { done } = await runPairs(
      pairsBody([
        [a, ids[0] ?? ''],
        [a, ids[1] ?? ''],
        [b, ids[2] ?? ''],
        [b, stranger],
      ]),
    );
    expect(done.counts).toMatchObject({ succeeded: 3, failed: 1 });

    // The stranger failed for good (not found): a retry leaves it out unless asked.
    const preview = z
      .object({ permanent: z.number(), ids: z.number() })
      .parse(await h.getJson(`/api/batches/${done.id}/retry-preview`));
    expect(preview).toEqual({ permanent: 1, ids: 0 });
    const refused = await h.post(`/api/batches/${done.id}/retry`);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'NOTHING_TO_RETRY' });
    const retryRes = await h.post(`/api/batches/${done.id}/retry`, { include_permanent: true });
    expect(retryRes.status).toBe(201);
    const retry = pairsSummarySchema.parse(await retryRes.json());
    expect(retry).toMatchObject({ retry_of: done.id, subjects: 1, total: 1 });
    await h.console.groups.whenIdle(retry.id);
    const retryItems = pairItemsSchema.parse(await h.getJson(`/api/batches/${retry.id}/items`));
    expect(retryItems.items).toEqual([
      expect.objectContaining({ id: stranger, data_object_id: b, state: 'failed' }),
    ]);

    // Undo: one new group of the children's undos; the subjects hold what they held before.
    const undoRes = await h.post(`/api/batches/${done.id}/undo`);
    expect(undoRes.status).toBe(201);
    const undo = pairsSummarySchema.parse(await undoRes.json());
    expect(undo).toMatchObject({ undo_of: done.id, action: 'cancel', subjects: 2 });
    expect(undo.total).toBe(done.counts.succeeded);
    await h.console.groups.whenIdle(undo.id);
    const undone = pairsSummarySchema.parse(await h.getJson(`/api/batches/${undo.id}`));
    expect(undone).toMatchObject({ state: 'done' });
    expect(undone.counts.succeeded).toBe(done.counts.succeeded);
    expect([...h.linksOf(a)].sort()).toEqual([...before.a].sort());
    expect([...h.linksOf(b)].sort()).toEqual([...before.b].sort());
    expect(pairsSummarySchema.parse(await h.getJson(`/api/batches/${done.id}`)).undone_by).toBe(
      undo.id,
    );
    const again = await h.post(`/api/batches/${done.id}/undo`);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'ALREADY_UNDONE' });
  });

  test('a pairs group is not undone while one of its batches is interrupted', async () => {
    const [a, b] = [incidents[4] ?? '', incidents[5] ?? ''];
    const ids = alerts.slice(100, 104);
    // Created while the runner is stopped; the batch of subject a is interrupted (as a restart
    // interrupts a batch that ran on an IAM session), then the next start runs the other one.
    await h.console.close();
    const res = await h.post(
      '/api/batches',
      pairsBody([
        [a, ids[0] ?? ''],
        [a, ids[1] ?? ''],
        [b, ids[2] ?? ''],
        [b, ids[3] ?? ''],
      ]),
    );
    const created = pairsSummarySchema.parse(await res.json());
    const [childA = ''] = await h.console.groups.records.children(created.id);
    expect(await h.getJson(`/api/batches/${childA}`)).toMatchObject({
      group_id: created.id,
      group_kind: 'pairs',
    });
    expect(
      await h.store.transitionBatch(childA, ['running'], 'interrupted', 'sign in to resume'),
    ).toBe(true);
    await h.restart();
    await h.console.resumeAll();
    await h.console.groups.whenIdle(created.id);
    const group = pairsSummarySchema.parse(await h.getJson(`/api/batches/${created.id}`));
    expect(group).toMatchObject({ state: 'interrupted', counts: { succeeded: 2, pending: 2 } });

    const refused = await h.post(`/api/batches/${created.id}/undo`);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/interrupted/),
    });
    const preview = await h.app.request(`/api/batches/${created.id}/undo-preview`);
    expect(preview.status).toBe(409);
    expect(h.linksOf(b).has(ids[2] ?? '')).toBe(true);
  });

  test('pause, resume and stop act on every child of a pairs group', async () => {
    // A console whose runner has stopped: the children stay running in the ledger, unsent, so each
    // control is seen on every child.
    await h.console.close();
    const ids = alerts.slice(160, 190);
    const res = await h.post(
      '/api/batches',
      pairsBody(ids.map((id, i) => [incidents[6 + (i % 3)] ?? '', id])),
    );
    const created = pairsSummarySchema.parse(await res.json());
    const children = await h.console.groups.records.children(created.id);
    expect(children).toHaveLength(3);
    const states = () => Promise.all(children.map((id) => h.store.getBatchState(id)));
    const summary = async (path: string) => {
      const r = await h.post(`/api/batches/${created.id}/${path}`);
      expect(r.status, path).toBe(200);
      return pairsSummarySchema.parse(await r.json());
    };
    expect((await summary('pause')).state).toBe('paused');
    expect(await states()).toEqual(['paused', 'paused', 'paused']);
    expect((await summary('resume')).state).toBe('running');
    expect(await states()).toEqual(['running', 'running', 'running']);
    const stopped = await summary('stop');
    expect(stopped.state).toBe('cancelled');
    expect(stopped.counts).toMatchObject({ skipped: 30, pending: 0 });
    expect(await states()).toEqual(['cancelled', 'cancelled', 'cancelled']);
    const resumed = await h.post(`/api/batches/${created.id}/resume`);
    expect(resumed.status).toBe(409);
    expect(await resumed.json()).toMatchObject({ code: 'INVALID_STATE' });
  });

  test('a pairs body is checked: blank, too many fields, unknown group', async () => {
    const blank = await h.post('/api/batches', pairsBody([[' ', ' ']]));
    expect(blank.status).toBe(400);
    expect(await blank.json()).toMatchObject({ field: 'pairs' });
    const extra = await h.post('/api/batches', {
      ...pairsBody([[incidents[0] ?? '', alerts[0] ?? '']]),
      ids: [],
    });
    expect(extra.status).toBe(400);
    // One subject more than a batch of pairs takes: refused whole, naming the limit.
    const many = await h.post(
      '/api/batches',
      pairsBody(
        Array.from({ length: MAX_PAIRS_SUBJECTS + 1 }, (_, i): [string, string] => [
          `5ab1ec70-0000-4000-8000-${String(i).padStart(12, '0')}`,
          alerts[0] ?? '',
        ]),
      ),
    );
    expect(many.status).toBe(400);
    expect(await many.json()).toMatchObject({
      field: 'pairs',
      message: expect.stringContaining('at most 2,000 subjects') as unknown,
    });
    const missing = await h.app.request(
      `/api/batches/${'0'.repeat(8)}-0000-4000-8000-000000000000/items`,
    );
    expect(missing.status).toBe(404);
  });
});

// Its size is the point (the request, the children recorded), not the ledger: SQLite only.
describe('on sqlite', () => {
  consoleOn('sqlite');
  test('100,000 pairs of UUIDs across 1,000 subjects fit in one request: one group, 1,000 batches', async () => {
    // Recorded only: this console's runner has stopped, so nothing is sent.
    await h.console.close();
    const subjects = Array.from(
      { length: 1000 },
      (_, i) => `5ab1ec70-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const pairs = Array.from({ length: 100_000 }, (_, i): [string, string] => [
      subjects[i % 1000] ?? '',
      `a1e47000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    ]);
    const body = JSON.stringify(pairsBody(pairs));
    expect(body.length).toBeGreaterThan(8 * 1024 * 1024);
    const res = await h.app.request('/api/batches', { method: 'POST', headers: API_HEADERS, body });
    expect(res.status).toBe(201);
    const created = pairsSummarySchema.parse(await res.json());
    expect(created).toMatchObject({ subjects: 1000, total: 100_000, counts: { pending: 100_000 } });
    expect(await h.console.groups.records.children(created.id)).toHaveLength(1000);
    expect(
      (await h.store.getBatch((await h.console.groups.records.children(created.id))[7] ?? ''))
        ?.total,
    ).toBe(100);
  }, 60_000);
});
