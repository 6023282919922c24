/**
 * The history's filters through `GET /api/batches` on a real ledger: each filter alone, together,
 * with paging, the refusals (400 naming the parameter), and the indexes the lookups use.
 */
import { Hono } from 'hono';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { apiErrorBodySchema, batchListSchema, type BatchSummary } from '../../src/api/schemas';
import type { CallIdentity } from '../access/credentials';
import type { Upstream } from '../secmaster/client';
import { newBatch, type NewBatchOptions } from '../testing/batches';
import { openLedger, type Ledger } from './ledger';
import { sqliteServiceStores } from '../db/service-stores';
import { registerBatchRoutes } from './routes';

const SUBJECT_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const SUBJECT_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ALERT_1 = '11111111-1111-4111-8111-111111111111';
const ALERT_2 = '22222222-2222-4222-8222-222222222222';
const ALERT_3 = 'alert333333333333333333333333333333';

let dir: string;
let file: string;
let ledger: Ledger;
let app: Hono;
/** The ledger's clock: each batch is created at the time set here. */
let clock = new Date('2026-12-01T10:00:00.000Z');

function open(): void {
  ledger = openLedger(file, { now: () => clock });
  app = new Hono();
  registerBatchRoutes(app, {
    stores: sqliteServiceStores(ledger),
    runner: {
      start: () => Promise.resolve(),
      pause: () => Promise.resolve(false),
      resume: () => Promise.resolve(false),
      cancel: () => Promise.resolve(false),
    },
    identityOf: () => null as unknown as CallIdentity,
    upstreamOf: () => ({}) as Upstream,
    credentials: { assign: () => Promise.resolve() },
    userOf: () => 'test',
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'history-'));
  file = join(dir, 'ledger.sqlite');
  open();
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function batchAt(at: string, o: NewBatchOptions): BatchSummary {
  clock = new Date(at);
  return newBatch(ledger, o);
}

/** The ids of the listed batches (newest first) and the total, for a query string. */
async function list(query: string): Promise<{ ids: string[]; total: number }> {
  const res = await app.request(`/api/batches?${query}`);
  expect(res.status).toBe(200);
  const body = batchListSchema.parse(await res.json());
  return { ids: body.items.map((b) => b.id), total: body.total };
}

/** Four batches over three days, by two users, on two subjects. */
function seed() {
  const first = batchAt('2026-12-01T08:00:00.000Z', {
    subject: SUBJECT_A,
    ids: [ALERT_1, ALERT_2],
    user: 'alice',
    reason: 'Phishing wave, ticket SOC-4411',
  });
  const second = batchAt('2026-12-02T00:00:00.000Z', {
    subject: SUBJECT_B,
    ids: [ALERT_2.toUpperCase(), ALERT_3],
    user: 'bob',
    reason: null,
  });
  const third = batchAt('2026-12-02T23:59:59.999Z', {
    subject: SUBJECT_A,
    ids: [ALERT_3],
    action: 'cancel',
    user: 'alice.smith',
    reason: 'cleanup 100%',
  });
  const fourth = batchAt('2026-12-03T00:00:00.000Z', {
    subject: SUBJECT_B,
    ids: ['not an id'],
    user: 'carol',
  });
  // `fourth` holds only an invalid ID: it is done at once. The others run.
  ledger.transitionBatch(second.id, ['running'], 'interrupted', 'authentication failed');
  return { first, second, third, fourth };
}

test('no filter lists every batch, newest first', async () => {
  const { first, second, third, fourth } = seed();
  expect(await list('')).toEqual({ ids: [fourth.id, third.id, second.id, first.id], total: 4 });
});

test('touches: the batches with that ID among their items (any case for a UUID), or as subject', async () => {
  const { first, second, third } = seed();
  expect(await list(`touches=${ALERT_2}`)).toEqual({ ids: [second.id, first.id], total: 2 });
  expect(await list(`touches=${ALERT_2.toUpperCase()}`)).toEqual({
    ids: [second.id, first.id],
    total: 2,
  });
  expect(await list(`touches=${ALERT_3}`)).toEqual({ ids: [third.id, second.id], total: 2 });
  // Not a UUID: compared exactly, as SecMaster does.
  expect((await list(`touches=${ALERT_3.toUpperCase()}`)).total).toBe(0);
  expect(await list(`touches=${SUBJECT_A}`)).toEqual({ ids: [third.id, first.id], total: 2 });
  expect((await list(`touches=${'9'.repeat(32)}`)).total).toBe(0);
});

test('q: a substring of the reason, user, subject or id (any case), or exactly a touched ID', async () => {
  const { first, second, third, fourth } = seed();
  expect((await list('q=phishing WAVE')).ids).toEqual([first.id]);
  expect((await list('q=soc-4411')).ids).toEqual([first.id]);
  expect((await list('q=alice')).ids).toEqual([third.id, first.id]);
  expect((await list('q=CAROL')).ids).toEqual([fourth.id]);
  expect((await list(`q=${SUBJECT_B.slice(0, 12)}`)).ids).toEqual([fourth.id, second.id]);
  expect((await list(`q=${second.id.slice(0, 8)}`)).ids).toContain(second.id);
  // An ID the batch touched: exact (a UUID in any case), never a substring of the items.
  expect((await list(`q=${ALERT_1.toUpperCase()}`)).ids).toEqual([first.id]);
  expect((await list(`q=${ALERT_1.slice(0, 20)}`)).total).toBe(0);
  // LIKE's wildcards are plain characters.
  expect((await list('q=100%25')).ids).toEqual([third.id]);
  expect((await list('q=%25')).ids).toEqual([third.id]);
  expect((await list('q=_')).total).toBe(0);
  expect((await list('q=nothing-like-this')).total).toBe(0);
});

test('subject, user and state are exact; kind "batch" is every plain batch', async () => {
  const { first, second, third, fourth } = seed();
  expect((await list(`subject=${SUBJECT_A.toUpperCase()}`)).ids).toEqual([third.id, first.id]);
  // Subject is not "touched": an item ID is not a subject.
  expect((await list(`subject=${ALERT_1}`)).total).toBe(0);
  expect((await list('user=alice')).ids).toEqual([first.id]);
  expect((await list('user=ALICE')).total).toBe(0);
  expect((await list('state=interrupted')).ids).toEqual([second.id]);
  expect((await list('state=done')).ids).toEqual([fourth.id]);
  expect((await list('state=running')).ids).toEqual([third.id, first.id]);
  expect((await list('kind=batch')).total).toBe(4);
  expect((await list('kind=move')).total).toBe(0);
});

test('from/to are inclusive; a date as `to` is the whole day (UTC)', async () => {
  const { first, second, third, fourth } = seed();
  expect((await list('from=2026-12-02&to=2026-12-02')).ids).toEqual([third.id, second.id]);
  expect((await list('to=2026-12-01')).ids).toEqual([first.id]);
  expect((await list('from=2026-12-03')).ids).toEqual([fourth.id]);
  expect((await list('from=2026-12-02T00:00:00Z&to=2026-12-02T00:00:00Z')).ids).toEqual([
    second.id,
  ]);
  // A time zone other than UTC: 2026-12-03T01:00+01:00 is midnight UTC.
  expect((await list('from=2026-12-03T01:00%2B01:00')).ids).toEqual([fourth.id]);
  expect((await list('from=2026-12-04')).total).toBe(0);
});

test('filters are AND-ed, and the total counts every match while a page is cut', async () => {
  const { first, third } = seed();
  expect(await list(`subject=${SUBJECT_A}&state=running&q=alice`)).toEqual({
    ids: [third.id, first.id],
    total: 2,
  });
  expect(await list(`subject=${SUBJECT_A}&q=alice&limit=1`)).toEqual({ ids: [third.id], total: 2 });
  expect(await list(`subject=${SUBJECT_A}&q=alice&offset=1&limit=1`)).toEqual({
    ids: [first.id],
    total: 2,
  });
  expect((await list(`touches=${ALERT_3}&user=bob&from=2026-12-03`)).total).toBe(0);
  // Blank parameters are absent.
  expect((await list('q=&user=&state=&from=&to=&touches=')).total).toBe(4);
});

test('a bad parameter is a 400 that names it', async () => {
  seed();
  const cases: [string, string, RegExp][] = [
    ['state=stopped', 'state', /one of running, paused, done, cancelled, interrupted/],
    ['kind=group', 'kind', /one of batch, pairs, move/],
    ['touches=abc', 'touches', /not an ID/],
    ['subject=has%20space%20in%20it%20and%20is%20long%20enough', 'subject', /not an ID/],
    [`q=${'x'.repeat(201)}`, 'q', /at most 200 characters/],
    [`user=${'x'.repeat(201)}`, 'user', /at most 200 characters/],
    ['q=a%00b', 'q', /NUL character/],
    ['user=a%00', 'user', /NUL character/],
    ['from=yesterday', 'from', /ISO date/],
    ['from=2026-02-30', 'from', /ISO date/],
    ['to=2026-12-02T10:00:00', 'to', /time zone/],
    ['to=2026-12-02T25:00:00Z', 'to', /ISO date/],
    ['from=2026-12-03&to=2026-12-02', 'to', /earlier than from/],
    ['limit=x', 'limit', /non-negative integer/],
  ];
  for (const [query, field, message] of cases) {
    const res = await app.request(`/api/batches?${query}`);
    expect(res.status, query).toBe(400);
    const body = apiErrorBodySchema.parse(await res.json());
    expect(body, query).toMatchObject({ code: 'INVALID_QUERY', field });
    expect(body.message, query).toMatch(new RegExp(`^${field}: `));
    expect(body.message, query).toMatch(message);
  }
});

test('an ID is looked up in the items by index, and a ledger from before gets the indexes', () => {
  // A file written before the history's indexes existed.
  ledger.db.exec('DROP INDEX items_by_id_key; DROP INDEX batches_by_subject');
  ledger.close();
  open();
  const names = ledger.db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`)
    .pluck()
    .all();
  expect(names).toEqual(expect.arrayContaining(['items_by_id_key', 'batches_by_subject']));
  const plan = ledger.db
    .prepare(
      `EXPLAIN QUERY PLAN SELECT id FROM batches b WHERE b.id IN
         (SELECT batch_id FROM items WHERE id_key = ? UNION SELECT s.id FROM batches s WHERE s.data_object_id = ?)`,
    )
    .all(ALERT_1, ALERT_1)
    .map((r) => JSON.stringify(r))
    .join('\n');
  expect(plan).toContain('items_by_id_key');
  expect(plan).toContain('batches_by_subject');
  expect(plan).not.toMatch(/SCAN items\b/);
});

describe('with the groups columns (kind, group_id, destination_id)', () => {
  /**
   * Adds the columns as contract A describes them (those the ledger does not have yet), and
   * reopens the ledger so that it sees them.
   */
  function addGroupColumns() {
    const has = (name: string) =>
      ledger.db.prepare(`SELECT 1 FROM pragma_table_info('batches') WHERE name = ?`).get(name) !==
      undefined;
    const columns = {
      kind: `kind TEXT NOT NULL DEFAULT 'batch'`,
      group_id: 'group_id TEXT',
      destination_id: 'destination_id TEXT',
    };
    for (const [name, definition] of Object.entries(columns))
      if (!has(name)) ledger.db.exec(`ALTER TABLE batches ADD COLUMN ${definition}`);
    ledger.close();
    open();
  }

  test('only top-level rows are listed; a child touching an ID finds its group; kind and destination filter', async () => {
    const { first, second, third, fourth } = seed();
    addGroupColumns();
    // `second` and `third` become the two phases of a move from A to B (`first` is its row).
    const setMove = ledger.db.prepare(
      `UPDATE batches SET kind = 'move', destination_id = ? WHERE id = ?`,
    );
    setMove.run(SUBJECT_B, first.id);
    ledger.db
      .prepare(`UPDATE batches SET group_id = ? WHERE id IN (?, ?)`)
      .run(first.id, second.id, third.id);

    expect(await list('')).toEqual({ ids: [fourth.id, first.id], total: 2 });
    // ALERT_3 is only in the children's items.
    expect((await list(`touches=${ALERT_3}`)).ids).toEqual([first.id]);
    expect((await list(`q=${ALERT_3}`)).ids).toEqual([first.id]);
    expect((await list('kind=move')).ids).toEqual([first.id]);
    expect((await list('kind=batch')).ids).toEqual([fourth.id]);
    // The move's destination is one of its subjects.
    expect((await list(`subject=${SUBJECT_B}`)).ids).toEqual([fourth.id, first.id]);
    expect((await list(`touches=${SUBJECT_B}`)).ids).toEqual([fourth.id, first.id]);
  });
});
