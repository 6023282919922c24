/**
 * openLedger brings its file to the versioned schema (server/db/migrate.ts): a new file gets the
 * migrations; a file written before versioning (today's shape, or an older one) is upgraded as
 * before and recorded as version 1; a file written by a newer console is refused, untouched, and
 * the real server stops at start with the message (exit 2).
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { z } from 'zod';
import { SchemaTooNewError, migrateSqlite, sqliteSchemaVersion } from '../db/migrate';
import { migrations } from '../db/migrations';
import { describeSqliteSchema } from '../db/sqlite-schema';
import { makeIds } from '../testing/fake-upstream';
import { openLedger } from './ledger';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'server/db/migrations/fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const LATEST = migrations.length;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-schema-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const recorded = (db: Database.Database) =>
  z
    .array(z.object({ version: z.number(), name: z.string() }))
    .parse(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all());

/** The schema a new file gets from the migrations (the reference for the upgraded ones). */
function newFileSchema(opts: { ignoreColumnOrder?: boolean } = {}) {
  const db = new Database(':memory:');
  migrateSqlite(db, migrations);
  const schema = describeSqliteSchema(db, { ...opts, exclude: ['schema_migrations'] });
  db.close();
  return schema;
}

const batch = {
  action: 'associate' as const,
  workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
  dataclass_type: 'alerts' as const,
  data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
  related_dataclass_type: 'incidents' as const,
  reason: null,
  user: 'local',
  retry_of: null,
  duplicates: 0,
};

test('a new file gets every migration, recorded', () => {
  const file = join(dir, 'ledger.sqlite');
  const ledger = openLedger(file);
  expect(recorded(ledger.db)).toEqual(
    migrations.map((m) => ({ version: m.version, name: m.name })),
  );
  expect(recorded(ledger.db)[0]).toEqual({ version: 1, name: 'ledger' });
  ledger.close();
});

test('a file written before versioning, in today’s shape, is recorded as version 1: its schema and rows unchanged', () => {
  const file = join(dir, 'ledger.sqlite');
  const raw = new Database(file);
  raw.exec(fixture('ledger-before-versioning.sql'));
  raw
    .prepare(
      `INSERT INTO batches (id, action, state, workspace_id, dataclass_type, data_object_id,
         related_dataclass_type, user, total, duplicates, created_at)
       VALUES ('b1', 'associate', 'done', 'w', 'alerts', 'o', 'incidents', 'local', 0, 0, 'x')`,
    )
    .run();
  const before = describeSqliteSchema(raw);
  raw.close();

  const ledger = openLedger(file);
  expect(recorded(ledger.db).map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  // Migration 1 was not run on it (its tables were there): the same schema as a new file's.
  expect(describeSqliteSchema(ledger.db, { exclude: ['schema_migrations'] })).toEqual(
    newFileSchema(),
  );
  expect(before.tables.map((t) => t.name)).toEqual([
    'batches',
    'calls',
    'idempotency_keys',
    'items',
    'runner_lock',
  ]);
  expect(ledger.getBatch('b1')).toMatchObject({ state: 'done', kind: 'batch', total: 0 });
  ledger.close();
});

test('a file of an older shape (side tables, no group columns) is upgraded as before, then recorded as version 1', () => {
  const file = join(dir, 'ledger.sqlite');
  const raw = new Database(file);
  raw.exec(fixture('ledger-2026-12-04.sql'));
  const insertBatch = raw.prepare(
    `INSERT INTO batches (id, action, state, workspace_id, dataclass_type, data_object_id,
       related_dataclass_type, user, total, duplicates, created_at, finished_at)
     VALUES (?, 'associate', 'done', 'w', 'alerts', 'o', 'incidents', 'alice', 1, 0,
       '2026-12-04T10:00:00.000Z', '2026-12-04T10:01:00.000Z')`,
  );
  insertBatch.run('a');
  insertBatch.run('u');
  raw
    .prepare(
      `INSERT INTO items (batch_id, seq, id, id_key, state, attempts, updated_at)
       VALUES ('a', 0, 'X1', 'x1', 'succeeded', 1, 'x'), ('u', 0, 'X1', 'x1', 'pending', 1, 'x')`,
    )
    .run();
  raw.prepare(`INSERT INTO batch_undos VALUES ('u', 'a', 'x')`).run();
  raw.prepare(`INSERT INTO batch_credentials VALUES ('a', 'session:alice', 'x')`).run();
  raw.close();

  const ledger = openLedger(file);
  expect(sqliteSchemaVersion(ledger.db)).toBe(LATEST);
  expect(recorded(ledger.db)[0]).toEqual({ version: 1, name: 'ledger' });
  expect(ledger.getBatch('a')).toMatchObject({
    kind: 'batch',
    group_id: null,
    credential_source: 'session:alice',
    undo_of: null,
  });
  expect(ledger.getBatch('u')).toMatchObject({ undo_of: 'a', credential_source: null });
  expect(ledger.undoneBy('a')).toBe('u');
  // Sent before, still open: possibly applied.
  expect(ledger.peekPending('u', -1, 10).map((r) => r.mayBeApplied)).toEqual([true]);
  // The same schema as a new file's, but for the order of the columns ALTER TABLE added.
  expect(
    describeSqliteSchema(ledger.db, { exclude: ['schema_migrations'], ignoreColumnOrder: true }),
  ).toEqual(newFileSchema({ ignoreColumnOrder: true }));
  // A new batch and a group work in it.
  const group = ledger.createBatch({ ...batch, kind: 'pairs', data_object_id: '', items: [] });
  ledger.createBatch({
    ...batch,
    group_id: group.id,
    items: makeIds(1).map((id) => ({ id, idKey: id, state: 'pending', message: null })),
  });
  expect(ledger.getBatchState(group.id)).toBe('running');
  ledger.close();

  // Opened again: nothing more to do, nothing written.
  const hash = sha256(file);
  openLedger(file).close();
  expect(sha256(file)).toBe(hash);
});

/** A ledger file written by a console that knows one more migration than this one. */
function newerLedger(file: string): void {
  const writer = new Database(file);
  writer.pragma('journal_mode = WAL');
  migrateSqlite(writer, [
    ...migrations,
    {
      version: LATEST + 1,
      name: 'from the future',
      up: (db) => [db.schema.createTable('future').addColumn('x', 'integer').compile()],
    },
  ]);
  writer.close();
}

test('a file written by a newer console is refused, naming it and both versions, and not written', () => {
  const file = join(dir, 'ledger.sqlite');
  newerLedger(file);
  const hash = sha256(file);
  let refusal: unknown = null;
  try {
    openLedger(file).close();
  } catch (error) {
    refusal = error;
  }
  expect(refusal).toBeInstanceOf(SchemaTooNewError);
  expect(String(refusal)).toContain(
    `The ledger's schema (${file}) is version ${String(LATEST + 1)}, newer than this console ` +
      `knows (${String(LATEST)}): it was written by a newer console. Run that version, or ` +
      'restore a backup made before the upgrade.',
  );
  expect(sha256(file)).toBe(hash);
});

test('the server stops at start on a ledger written by a newer console: exit 2 and the message', async () => {
  const file = join(dir, 'ledger.sqlite');
  newerLedger(file);
  const hash = sha256(file);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dir,
      PORT: '0',
      EMULATOR_PORT: '0',
      HOST: '127.0.0.1',
      EMULATOR_SEED: JSON.stringify({ alerts: 5, incidents: 2, indicators: 2 }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('association console on')) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(stdout).not.toContain('association console on');
  expect(code).toBe(2);
  expect(stderr).toContain(
    `The ledger's schema (${file}) is version ${String(LATEST + 1)}, newer than this console knows`,
  );
  expect(sha256(file)).toBe(hash);
}, 60_000);
