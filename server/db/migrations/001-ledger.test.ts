/**
 * Migration 1 is the ledger's schema: on SQLite the same schema the console created before
 * versioning (fixtures/ledger-before-versioning.sql), on PostgreSQL the same tables, columns, keys
 * and indexes, and the same group states derived by the triggers of both.
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { testDatabase } from '../../testing/pg-database';
import { migrateSqlite } from '../migrate';
import { openPostgres, migratePostgres } from '../postgres';
import { describeSqliteSchema } from '../sqlite-schema';
import type { LedgerTables } from '../tables';
import { ledger } from './001-ledger';
import { migrations } from './index';

const BEFORE_VERSIONING = readFileSync(
  join(import.meta.dirname, 'fixtures/ledger-before-versioning.sql'),
  'utf8',
);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'migration-1-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A file with migration 1 applied (and recorded). */
function migratedFile(name: string): Database.Database {
  const db = new Database(join(dir, name));
  expect(migrateSqlite(db, [ledger]).applied).toEqual([1]);
  return db;
}

test('on SQLite it gives the schema the console created before versioning', () => {
  const before = new Database(join(dir, 'before.sqlite'));
  before.exec(BEFORE_VERSIONING);
  const after = migratedFile('after.sqlite');
  const old = describeSqliteSchema(before);
  const now = describeSqliteSchema(after, { exclude: ['schema_migrations'] });
  expect(now).toEqual(old);
  // What the comparison covers (so that an empty description could not pass).
  expect(old.tables.map((t) => t.name)).toEqual([
    'batches',
    'calls',
    'idempotency_keys',
    'items',
    'runner_lock',
  ]);
  expect(old.triggers.map((t) => t.name)).toEqual([
    'group_running_after_insert',
    'group_state_after_insert',
    'group_state_after_update',
  ]);
  const batches = now.tables.find((t) => t.name === 'batches');
  expect(batches?.autoincrement).toBe(true);
  expect(batches?.columns.find((c) => c.name === 'kind')).toMatchObject({
    type: 'TEXT',
    notnull: 1,
    dflt_value: "'batch'",
  });
  expect(now.tables.find((t) => t.name === 'runner_lock')?.checks).toEqual(['check(one = 1)']);
  expect(
    now.tables.find((t) => t.name === 'items')?.indexes.find((i) => i.name === 'items_by_call')
      ?.where,
  ).toBe('call_id is not null');
  before.close();
  after.close();
});

test('the schema comparison tells a difference (a default, a partial index, a trigger)', () => {
  const reference = describeSqliteSchema(
    (() => {
      const db = new Database(':memory:');
      db.exec(BEFORE_VERSIONING);
      return db;
    })(),
  );
  for (const change of [
    (sql: string) => sql.replace(`kind TEXT NOT NULL DEFAULT 'batch'`, `kind TEXT NOT NULL`),
    (sql: string) =>
      sql.replace(`ON items (call_id) WHERE call_id IS NOT NULL`, `ON items (call_id)`),
    (sql: string) => sql.replace(`c.state = 'paused'`, `c.state = 'stopped'`),
    (sql: string) => sql.replace(`CHECK (one = 1)`, `CHECK (one = 2)`),
  ]) {
    const db = new Database(':memory:');
    const changed = change(BEFORE_VERSIONING);
    expect(changed).not.toBe(BEFORE_VERSIONING);
    db.exec(changed);
    expect(describeSqliteSchema(db)).not.toEqual(reference);
    db.close();
  }
});

const pgColumns = z.array(
  z.object({
    table_name: z.string(),
    column_name: z.string(),
    is_nullable: z.enum(['YES', 'NO']),
    column_default: z.string().nullable(),
    collation_name: z.string().nullable(),
  }),
);
const pgIndexes = z.array(
  z.object({
    table: z.string(),
    name: z.string(),
    columns: z.array(z.string()),
    partial: z.boolean(),
  }),
);

describe('on PostgreSQL', () => {
  test('it gives the same tables, columns (order, NOT NULL, defaults), keys and indexes as on SQLite', async () => {
    const url = await testDatabase('m1');
    const store = openPostgres(url);
    try {
      expect(await migratePostgres(store, [ledger])).toEqual({ from: 0, to: 1, applied: [1] });
      const sqlite = describeSqliteSchema(migratedFile('ledger.sqlite'), {
        exclude: ['schema_migrations'],
      });
      const { rows } = await store.pool.query(
        `SELECT table_name, column_name, is_nullable, column_default, collation_name
           FROM information_schema.columns WHERE table_schema = 'public'
             AND table_name <> 'schema_migrations'
           ORDER BY table_name, ordinal_position`,
      );
      const columns = pgColumns.parse(rows);
      for (const table of sqlite.tables) {
        const mine = columns.filter((c) => c.table_name === table.name);
        expect(mine.map((c) => c.column_name)).toEqual(table.columns.map((c) => c.name));
        for (const [i, c] of table.columns.entries()) {
          const other = mine[i];
          // SQLite lets a primary key column other than an INTEGER one hold NULL unless it says so;
          // PostgreSQL's primary keys are NOT NULL.
          expect(other?.is_nullable === 'NO', `${table.name}.${c.name}`).toBe(
            c.notnull === 1 || c.pk > 0,
          );
          expect(other?.column_default?.replace(/::text$/, '') ?? null).toBe(c.dflt_value);
        }
        // Text compares byte by byte, as SQLite's does.
        expect(mine.filter((c) => c.collation_name !== null).map((c) => c.collation_name)).toEqual(
          table.columns.filter((c) => c.type === 'TEXT').map(() => 'C'),
        );
      }
      const keys = await store.pool.query<{ table: string; type: string; columns: string[] }>(
        `SELECT c.conrelid::regclass::text AS table, c.contype AS type,
                array_agg(a.attname ORDER BY k.n)::text[] AS columns
           FROM pg_constraint c
           CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
          WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f')
            AND c.conrelid <> 'schema_migrations'::regclass
          GROUP BY c.oid, c.conrelid, c.contype ORDER BY 1, 2, 3`,
      );
      const sqliteKeys = sqlite.tables
        .flatMap((t) => [
          ...t.indexes
            .filter((i) => i.origin === 'pk' || i.origin === 'u')
            .map((i) => ({
              table: t.name,
              type: i.origin === 'pk' ? 'p' : 'u',
              columns: i.columns.filter((c) => c.key === 1).map((c) => c.name ?? ''),
            })),
          // An INTEGER PRIMARY KEY is the rowid: no index of its own.
          ...t.columns
            .filter((c) => c.pk === 1 && c.type === 'INTEGER')
            .map((c) => ({ table: t.name, type: 'p', columns: [c.name] })),
          ...t.foreignKeys.map((fk) => ({ table: t.name, type: 'f', columns: [fk.from] })),
        ])
        .sort((a, b) =>
          `${a.table} ${a.type} ${a.columns.join()}`.localeCompare(
            `${b.table} ${b.type} ${b.columns.join()}`,
          ),
        );
      expect(keys.rows).toEqual(sqliteKeys);
      const indexes = await store.pool.query(
        `SELECT t.relname AS table, i.relname AS name,
                array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                       ORDER BY k.n)::text[] AS columns,
                x.indpred IS NOT NULL AS partial
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
          WHERE t.relnamespace = 'public'::regnamespace
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
          ORDER BY 1, 2`,
      );
      expect(pgIndexes.parse(indexes.rows)).toEqual(
        sqlite.tables.flatMap((t) =>
          t.indexes
            .filter((i) => i.origin === 'c')
            .map((i) => ({
              table: t.name,
              name: i.name,
              columns: i.columns.filter((c) => c.key === 1).map((c) => c.name ?? ''),
              partial: i.partial === 1,
            })),
        ),
      );
      const check = await store.pool
        .query(`INSERT INTO runner_lock VALUES (2, 't', 1, 'h', 0)`)
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(check).toBeInstanceOf(pg.DatabaseError);
    } finally {
      await store.close();
    }
  });
});

/** A group's state over its children's changes, read after each step: what the triggers derive. */
async function groupStates(db: Kysely<LedgerTables>): Promise<unknown[]> {
  const row = {
    action: 'associate',
    workspace_id: 'w',
    dataclass_type: 'alerts',
    data_object_id: 'o',
    related_dataclass_type: 'incidents',
    reason: null,
    user: 'local',
    retry_of: null,
    total: 1,
    duplicates: 0,
    created_at: '2026-12-06T10:00:00.000Z',
    finished_at: null,
  };
  const seen: unknown[] = [];
  const look = async (id: string) =>
    seen.push(
      await db
        .selectFrom('batches')
        .select(['state', 'state_reason', 'finished_at'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
    );
  const set = (id: string, state: string, reason: string | null, finished: string | null) =>
    db
      .updateTable('batches')
      .set({ state, state_reason: reason, finished_at: finished })
      .where('id', '=', id)
      .execute();
  // Pairs: children run, pause, end in different states.
  await db
    .insertInto('batches')
    .values({ ...row, id: 'g', kind: 'pairs', state: 'done' })
    .execute();
  await db
    .insertInto('batches')
    .values({ ...row, id: 'a', group_id: 'g', state: 'running' })
    .execute();
  await look('g');
  await set('a', 'paused', 'waiting for the budget', null);
  await look('g');
  await db
    .insertInto('batches')
    .values({
      ...row,
      id: 'b',
      group_id: 'g',
      state: 'done',
      finished_at: '2026-12-06T10:05:00.000Z',
    })
    .execute();
  await look('g');
  await set('a', 'cancelled', 'stopped by the user', '2026-12-06T10:03:00.000Z');
  await look('g');
  await set('b', 'interrupted', 'sign in to resume', '2026-12-06T10:09:00.000Z');
  await look('g');
  // A move waits for its second phase, unless its first was interrupted.
  await db
    .insertInto('batches')
    .values({ ...row, id: 'm', kind: 'move', destination_id: 'd', state: 'running' })
    .execute();
  await db
    .insertInto('batches')
    .values({ ...row, id: 'm1', group_id: 'm', state: 'running' })
    .execute();
  await set('m1', 'done', null, '2026-12-06T11:00:00.000Z');
  await look('m');
  await set('m1', 'interrupted', 'sign in to resume', '2026-12-06T11:01:00.000Z');
  await look('m');
  return seen;
}

const expectedGroupStates = [
  { state: 'running', state_reason: null, finished_at: null },
  { state: 'paused', state_reason: 'waiting for the budget', finished_at: null },
  { state: 'paused', state_reason: 'waiting for the budget', finished_at: null },
  {
    state: 'cancelled',
    state_reason: 'stopped by the user',
    finished_at: '2026-12-06T10:05:00.000Z',
  },
  {
    state: 'interrupted',
    state_reason: 'sign in to resume',
    finished_at: '2026-12-06T10:09:00.000Z',
  },
  { state: 'running', state_reason: null, finished_at: null },
  {
    state: 'interrupted',
    state_reason: 'sign in to resume',
    finished_at: '2026-12-06T11:01:00.000Z',
  },
];

test('the group-state triggers derive the same states on SQLite and PostgreSQL', async () => {
  const sqlite = new Kysely<LedgerTables>({
    dialect: new SqliteDialect({ database: migratedFile('groups.sqlite') }),
  });
  try {
    expect(await groupStates(sqlite)).toEqual(expectedGroupStates);
  } finally {
    await sqlite.destroy();
  }
  const store = openPostgres(await testDatabase('m1g'));
  try {
    await migratePostgres(store, migrations);
    expect(await groupStates(store.kysely)).toEqual(expectedGroupStates);
  } finally {
    await store.close();
  }
});
