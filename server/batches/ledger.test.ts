import { afterEach, beforeEach, expect, test } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { makeIds } from '../testing/fake-upstream';
import { openLedger, type Ledger, type NewBatch } from './ledger';

let dir: string;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
});

afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The fields of a group row or child batch that these tests do not vary. */
const common = {
  action: 'associate' as const,
  workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
  dataclass_type: 'alerts' as const,
  related_dataclass_type: 'incidents' as const,
  reason: null,
  user: 'local',
  retry_of: null,
  duplicates: 0,
};

function create(ids: string[], invalid: string[] = []): string {
  const items: NewBatch['items'][number][] = [
    ...ids.map((id) => ({ id, idKey: id.toLowerCase(), state: 'pending' as const, message: null })),
    ...invalid.map((id) => ({ id, idKey: id, state: 'invalid' as const, message: 'bad' })),
  ];
  return ledger.createBatch({
    action: 'associate',
    workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
    dataclass_type: 'alerts',
    data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
    related_dataclass_type: 'incidents',
    reason: 'r',
    user: 'local',
    retry_of: null,
    duplicates: 0,
    items,
  }).id;
}

test('crash-safe pragmas: WAL, synchronous=FULL, busy_timeout', () => {
  expect(ledger.db.pragma('journal_mode', { simple: true })).toBe('wal');
  expect(ledger.db.pragma('synchronous', { simple: true })).toBe(2);
  expect(ledger.db.pragma('busy_timeout', { simple: true })).toBe(5000);
});

// How fast this is, is measured by `npm run bench` (bench/results.ts), not asserted here.
test('a 100,000-ID batch is created whole, and its pages, searches and first chunk read right', () => {
  const ids = makeIds(100_000);
  const id = create(ids);
  const b = ledger.getBatch(id);
  expect(b?.total).toBe(100_000);
  expect(b?.counts.pending).toBe(100_000);

  const page = ledger.listItems(id, { state: 'pending', offset: 99_000, limit: 1000 });
  const hit = ledger.listItems(id, {
    q: ids[54_321]?.slice(-12).toUpperCase(),
    offset: 0,
    limit: 10,
  });
  const chunk = ledger.claimChunk(id, 100);
  expect(page.items).toHaveLength(1000);
  expect(page.items[0]?.id).toBe(ids[99_000]);
  expect(hit.items.map((i) => i.id)).toEqual([ids[54_321]]);
  expect(chunk?.ids).toEqual(ids.slice(0, 100));
});

test('items: state filter, case-insensitive substring search (LIKE wildcards are literal), paging in input order', () => {
  const ids = makeIds(30);
  const id = create(ids, ['not_an_id%', 'x_y']);
  expect(
    ledger.listItems(id, { state: 'invalid', offset: 0, limit: 10 }).items.map((i) => i.id),
  ).toEqual(['not_an_id%', 'x_y']);
  expect(ledger.listItems(id, { q: '%', offset: 0, limit: 10 }).total).toBe(1);
  expect(ledger.listItems(id, { q: '_', offset: 0, limit: 10 }).total).toBe(2);
  expect(ledger.listItems(id, { q: 'AAAA', offset: 0, limit: 10 }).total).toBe(30);
  const p = ledger.listItems(id, { offset: 10, limit: 5 });
  expect(p.total).toBe(32);
  expect(p.items.map((i) => i.id)).toEqual(ids.slice(10, 15));
});

test('a batch with only invalid IDs is done at once', () => {
  const id = create([], ['bad']);
  expect(ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { invalid: 1 } });
});

test('batches list newest first', () => {
  const a = create(makeIds(1, 'a'));
  const b = create(makeIds(1, 'b'));
  const c = create(makeIds(1, 'c'));
  const page = ledger.listBatches(0, 2);
  expect(page.total).toBe(3);
  expect(page.items.map((x) => x.id)).toEqual([c, b]);
  expect(ledger.listBatches(2, 2).items.map((x) => x.id)).toEqual([a]);
});

test('a ledger file with undo links and credential sources in side tables opens with them as columns, the side tables gone', () => {
  const [a, b] = [create(makeIds(1)), create(makeIds(1, 'u'))];
  const file = join(dir, 'ledger.sqlite');
  ledger.close();
  // The shape an older console wrote: no columns, two tables of their own.
  const raw = new Database(file);
  raw.exec(`
    DROP INDEX IF EXISTS batches_by_undo_of;
    ALTER TABLE batches DROP COLUMN undo_of;
    ALTER TABLE batches DROP COLUMN credential_source;
    CREATE TABLE batch_undos (batch_id TEXT PRIMARY KEY, undo_of TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE batch_credentials (batch_id TEXT PRIMARY KEY, source TEXT NOT NULL, updated_at TEXT NOT NULL);
  `);
  raw.prepare(`INSERT INTO batch_undos VALUES (?, ?, '2026-01-01T00:00:00Z')`).run(b, a);
  raw
    .prepare(`INSERT INTO batch_credentials VALUES (?, 'session:alice', '2026-01-01T00:00:00Z')`)
    .run(a);
  raw.close();

  ledger = openLedger(file);
  expect(ledger.getBatch(a)).toMatchObject({ undo_of: null, credential_source: 'session:alice' });
  expect(ledger.getBatch(b)).toMatchObject({ undo_of: a, credential_source: null });
  expect(ledger.undoneBy(a)).toBe(b);
  const tables = ledger.db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .pluck()
    .all();
  expect(tables).not.toContain('batch_undos');
  expect(tables).not.toContain('batch_credentials');
  // Opening it again changes nothing more.
  ledger.close();
  ledger = openLedger(file);
  expect(ledger.getBatch(b)?.undo_of).toBe(a);
});

test('maybe_applied: set by a retry after a send that may have applied and by a re-send after an unknown outcome, never by a release after a refusal', () => {
  const meta = { httpStatus: 429, requestId: null, errorCode: 'APIG.0308' };
  const peek = (id: string) =>
    ledger.peekPending(id, -1, 10).map((r) => [r.attempts, r.mayBeApplied]);
  /** A send answered as `first` says, then its retry refused (429) and released. */
  const refusedRetry = (prefix: string, firstMayBeApplied: boolean) => {
    const id = create(makeIds(1, prefix));
    const first = ledger.claimChunk(id, 100);
    const retry = first && ledger.retryCall(first.callId, firstMayBeApplied);
    if (!retry) throw new Error('no claim');
    ledger.releaseCall(retry.callId, meta);
    return peek(id);
  };
  // Refused (429) on the first send and on its retry: sent twice, never applied.
  expect(refusedRetry('r', false)).toEqual([[2, false]]);
  // A 5xx, then a refused retry: the first send may have applied.
  expect(refusedRetry('s', true)).toEqual([[2, true]]);
  // An unknown outcome, found absent by the re-read: pending again, possibly applied (late).
  const unknown = create(makeIds(1, 't'));
  const c = ledger.claimChunk(unknown, 100);
  if (!c) throw new Error('no claim');
  const [cid] = c.ids as [string];
  ledger.recordOutcome(c.callId, [{ id: cid, state: 'unknown', code: 'TIMEOUT', message: 't' }], {
    httpStatus: null,
    requestId: null,
    errorCode: null,
  });
  ledger.settleUnknown(unknown, { succeeded: [], resend: [cid], failed: [] });
  expect(peek(unknown)).toEqual([[1, true]]);
});

test('a ledger file written before maybe_applied opens; its open items already sent keep the rule they were recorded under', () => {
  const [sent, never] = makeIds(2);
  const id = create([sent as string, never as string]);
  const file = join(dir, 'ledger.sqlite');
  ledger.close();
  const raw = new Database(file);
  raw.exec(
    `ALTER TABLE items DROP COLUMN maybe_applied; UPDATE items SET attempts = 1 WHERE seq = 0;`,
  );
  raw.close();

  ledger = openLedger(file);
  expect(ledger.peekPending(id, -1, 10).map((r) => [r.id, r.attempts, r.mayBeApplied])).toEqual([
    [sent, 1, true],
    [never, 0, false],
  ]);
  // Opening it again changes nothing more.
  ledger.close();
  ledger = openLedger(file);
  expect(ledger.peekPending(id, -1, 10).map((r) => r.mayBeApplied)).toEqual([true, false]);
});

test('a ledger file already in this shape opens while another process holds its write lock', () => {
  const id = create(makeIds(1));
  const file = join(dir, 'ledger.sqlite');
  ledger.close();
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  try {
    ledger = openLedger(file);
    expect(ledger.getBatch(id)?.total).toBe(1);
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
});

test('a ledger file written before groups opens with its batches as top-level batches, and keeps a group state derived from its children', () => {
  const a = create(makeIds(2));
  const file = join(dir, 'ledger.sqlite');
  ledger.close();
  // The shape an older console wrote: no kind, group_id, destination_id, no group triggers.
  const raw = new Database(file);
  raw.exec(`
    DROP TRIGGER IF EXISTS group_running_after_insert;
    DROP TRIGGER IF EXISTS group_state_after_insert;
    DROP TRIGGER IF EXISTS group_state_after_update;
    DROP INDEX IF EXISTS batches_by_group;
    DROP INDEX IF EXISTS batches_by_group_state;
    ALTER TABLE batches DROP COLUMN kind;
    ALTER TABLE batches DROP COLUMN group_id;
    ALTER TABLE batches DROP COLUMN destination_id;
  `);
  raw.close();

  ledger = openLedger(file);
  expect(
    ledger.db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'batches_by_group%'`,
      )
      .pluck()
      .all(),
  ).toEqual(expect.arrayContaining(['batches_by_group', 'batches_by_group_state']));
  expect(ledger.getBatch(a)).toMatchObject({ kind: 'batch', group_id: null, destination_id: null });
  expect(ledger.listBatches(0, 10).items.map((b) => b.id)).toEqual([a]);
  expect(ledger.runningBatchIds()).toEqual([a]);

  // The migrated file keeps a group's state from its children's, and lists only the group.
  const group = ledger.createBatch({ ...common, kind: 'pairs', data_object_id: '', items: [] });
  const child = ledger.createBatch({
    ...common,
    group_id: group.id,
    data_object_id: 'c0ffee00-0000-4000-8000-000000000002',
    items: makeIds(1).map((id) => ({ id, idKey: id, state: 'pending', message: null })),
  });
  expect(ledger.getBatch(group.id)).toMatchObject({ state: 'running', counts: { pending: 1 } });
  expect(ledger.cancelBatch(child.id)).toBe(true);
  expect(ledger.getBatch(group.id)).toMatchObject({
    state: 'cancelled',
    state_reason: 'stopped by the user',
    counts: { skipped: 1 },
  });
  expect(ledger.getBatch(group.id)?.finished_at).not.toBeNull();
  expect(ledger.listBatches(0, 10).items.map((b) => b.id)).toEqual([group.id, a]);
  expect(ledger.runningBatchIds()).toEqual([a]);
});

test('a ledger file whose group triggers kept a move running with its first phase interrupted gets the new triggers', () => {
  const file = join(dir, 'ledger.sqlite');
  ledger.close();
  // The trigger an earlier console wrote: a move with fewer than two children was running.
  const raw = new Database(file);
  const interruptedClause =
    /AND NOT EXISTS \(SELECT 1 FROM batches c\s+WHERE c\.group_id = batches\.id AND c\.state = 'interrupted'\)/;
  for (const name of ['group_state_after_insert', 'group_state_after_update']) {
    const sql = String(
      raw.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).pluck().get(name),
    );
    expect(sql).toMatch(interruptedClause);
    raw.exec(`DROP TRIGGER ${name}; ${sql.replace(interruptedClause, '')};`);
  }
  raw.close();

  ledger = openLedger(file);
  const common = {
    action: 'associate' as const,
    workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
    dataclass_type: 'incidents' as const,
    related_dataclass_type: 'alerts' as const,
    reason: null,
    user: 'local',
    retry_of: null,
    duplicates: 0,
  };
  const move = ledger.createBatch({
    ...common,
    kind: 'move',
    data_object_id: 'c0ffee00-0000-4000-8000-000000000003',
    destination_id: 'c0ffee00-0000-4000-8000-000000000004',
    items: [],
  });
  const link = ledger.createBatch({
    ...common,
    group_id: move.id,
    data_object_id: 'c0ffee00-0000-4000-8000-000000000004',
    items: makeIds(1).map((id) => ({ id, idKey: id, state: 'pending', message: null })),
  });
  expect(ledger.getBatchState(move.id)).toBe('running');
  expect(ledger.transitionBatch(link.id, ['running'], 'interrupted', 'sign in to resume')).toBe(
    true,
  );
  expect(ledger.getBatch(move.id)).toMatchObject({
    state: 'interrupted',
    state_reason: 'sign in to resume',
  });
});

test('item counts kept between reads follow every change: the ledger’s writes, another statement on its connection, another connection’s commit', () => {
  const ids = makeIds(6);
  const a = create(ids.slice(0, 3));
  const b = create(ids.slice(3), ['bad id']);
  const exact = (id: string) =>
    Object.fromEntries(
      z
        .array(z.object({ state: z.string(), n: z.number() }))
        .parse(
          ledger.db
            .prepare(`SELECT state, COUNT(*) AS n FROM items WHERE batch_id = ? GROUP BY state`)
            .all(id),
        )
        .map((r) => [r.state, r.n]),
    );
  const shown = (id: string) =>
    Object.fromEntries(Object.entries(ledger.counts(id)).filter(([, n]) => n > 0));
  expect(shown(a)).toEqual({ pending: 3 });
  expect(shown(b)).toEqual({ pending: 3, invalid: 1 });

  // The ledger's own writes: a claim, an outcome, a stop.
  const call = ledger.claimChunk(a, 2);
  expect(shown(a)).toEqual(exact(a));
  expect(shown(a)).toEqual({ pending: 1, in_flight: 2 });
  ledger.recordOutcome(
    call?.callId ?? '',
    [{ id: ids[0] ?? '', state: 'succeeded', code: null, message: null }],
    { httpStatus: 200, requestId: null, errorCode: null },
  );
  expect(shown(a)).toEqual({ pending: 1, in_flight: 1, succeeded: 1 });
  ledger.cancelBatch(b);
  expect(shown(b)).toEqual({ skipped: 3, invalid: 1 });

  // Another statement on the same connection (no ledger method knows of it).
  ledger.db
    .prepare(`UPDATE items SET state = 'failed' WHERE batch_id = ? AND state = 'skipped'`)
    .run(b);
  expect(shown(b)).toEqual({ failed: 3, invalid: 1 });
  expect(shown(a)).toEqual(exact(a));

  // A commit on another connection to the same file.
  const other = new Database(join(dir, 'ledger.sqlite'));
  other
    .prepare(`UPDATE items SET state = 'unknown' WHERE batch_id = ? AND state = 'in_flight'`)
    .run(a);
  other.close();
  expect(shown(a)).toEqual({ pending: 1, unknown: 1, succeeded: 1 });
  expect(ledger.getBatch(a)?.counts).toEqual(ledger.counts(a));
});

test('a group’s counts are its own items’ and its children’s, and follow a child’s changes', () => {
  const ids = makeIds(5);
  const group = ledger.createBatch({
    ...common,
    kind: 'pairs',
    data_object_id: '',
    items: [{ id: 'x', idKey: '["?","x"]', state: 'invalid', message: 'subject: bad' }],
  }).id;
  const child = (subject: string, some: string[]) =>
    ledger.createBatch({
      ...common,
      group_id: group,
      data_object_id: subject,
      items: some.map((id) => ({ id, idKey: id, state: 'pending' as const, message: null })),
    }).id;
  const first = child('c0ffee00-0000-4000-8000-000000000001', ids.slice(0, 2));
  child('c0ffee00-0000-4000-8000-000000000002', ids.slice(2));
  expect(ledger.getBatch(group)?.counts).toMatchObject({ pending: 5, invalid: 1, succeeded: 0 });
  const call = ledger.claimChunk(first, 2);
  ledger.recordOutcome(
    call?.callId ?? '',
    (call?.ids ?? []).map((id) => ({ id, state: 'succeeded' as const, code: null, message: null })),
    { httpStatus: 200, requestId: null, errorCode: null },
  );
  expect(ledger.getBatch(group)?.counts).toMatchObject({ pending: 3, invalid: 1, succeeded: 2 });
});

test('a write that must not wait (noWait: heartbeat, probe) leaves the queued outcomes alone: its SQLITE_BUSY is its own, and they commit after', async () => {
  const id = create(makeIds(3));
  const call = ledger.claimChunk(id, 100);
  if (!call) throw new Error('nothing claimed');
  const outcome = ledger.queueOutcome(
    call.callId,
    call.ids.map((i) => ({ id: i, state: 'succeeded' as const, code: null, message: null })),
    { httpStatus: 200, requestId: null, errorCode: null },
  );
  // In this turn (before the outcome's own commit): another process holds the write lock, and a
  // heartbeat that must not wait for it fails at once.
  const other = new Database(join(dir, 'ledger.sqlite'));
  other.exec('BEGIN IMMEDIATE');
  let code: unknown = null;
  try {
    ledger.noWait(() => ledger.writeHolder('token'));
  } catch (err) {
    code = (err as { code?: unknown }).code;
  }
  other.exec('COMMIT');
  other.close();
  expect(code).toBe('SQLITE_BUSY');
  // The outcome was not part of that failed write: it commits on its own.
  await expect(outcome).resolves.toBe(3);
  expect(ledger.counts(id)).toMatchObject({ succeeded: 3, in_flight: 0 });
});

test('createGroup writes a group and its children in one transaction; its counts (kept from what it wrote) match the file', () => {
  const ids = makeIds(7);
  const item = (id: string) => ({ id, idKey: id, state: 'pending' as const, message: null });
  const subject = (n: number) => `c0ffee00-0000-4000-8000-00000000000${n}`;
  const group = ledger.createGroup(
    {
      ...common,
      kind: 'pairs',
      data_object_id: '',
      total: 8,
      items: [{ id: 'x', idKey: '["?","x"]', state: 'invalid', message: 'subject: bad' }],
    },
    [
      { ...common, data_object_id: subject(1), items: ids.slice(0, 3).map(item) },
      {
        ...common,
        data_object_id: subject(2),
        items: [...ids.slice(3).map(item), { id: 'y', idKey: 'y', state: 'invalid', message: 'm' }],
      },
    ],
  );
  const fromFile = (sql: string, ...params: string[]) =>
    Object.fromEntries(
      z
        .array(z.object({ state: z.string(), n: z.number() }))
        .parse(ledger.db.prepare(sql).all(...params))
        .map((r) => [r.state, r.n]),
    );
  const children = z
    .array(z.string())
    .parse(
      ledger.db
        .prepare(`SELECT id FROM batches WHERE group_id = ? ORDER BY n`)
        .pluck()
        .all(group.id),
    );
  const inGroup = `SELECT state, COUNT(*) AS n FROM items WHERE batch_id = ?
    OR batch_id IN (SELECT id FROM batches WHERE group_id = ?) GROUP BY state`;
  expect(children).toHaveLength(2);
  expect(group).toMatchObject({ kind: 'pairs', state: 'running', total: 8 });
  expect(group.counts).toMatchObject({ pending: 7, invalid: 2 });
  expect(ledger.getBatch(group.id)?.counts).toEqual(group.counts);
  expect(ledger.getBatch(group.id)?.counts).toMatchObject(fromFile(inGroup, group.id, group.id));
  for (const child of children) {
    expect(ledger.getBatch(child)).toMatchObject({ group_id: group.id, state: 'running' });
    expect(ledger.counts(child)).toMatchObject(
      fromFile(`SELECT state, COUNT(*) AS n FROM items WHERE batch_id = ? GROUP BY state`, child),
    );
  }
  // A child's items change: the group's counts follow.
  const call = ledger.claimChunk(children[0] ?? '', 3);
  ledger.recordOutcome(
    call?.callId ?? '',
    (call?.ids ?? []).map((id) => ({ id, state: 'succeeded' as const, code: null, message: null })),
    { httpStatus: 200, requestId: null, errorCode: null },
  );
  expect(ledger.getBatch(group.id)?.counts).toMatchObject({ pending: 4, succeeded: 3, invalid: 2 });
  expect(ledger.getBatch(group.id)?.counts).toMatchObject(fromFile(inGroup, group.id, group.id));

  // Inside a caller's transaction that then rolls back: nothing of the group is left, nor counted.
  let rolledBack = '';
  expect(() =>
    ledger.db.transaction(() => {
      rolledBack = ledger.createGroup({ ...common, kind: 'pairs', data_object_id: '', items: [] }, [
        { ...common, data_object_id: subject(3), items: makeIds(2).map(item) },
      ]).id;
      throw new Error('no');
    })(),
  ).toThrow('no');
  expect(rolledBack).not.toBe('');
  expect(ledger.getBatch(rolledBack)).toBeNull();
});
