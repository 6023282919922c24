/**
 * The migration runner on real SQLite files and the run's real PostgreSQL: from empty, a second run
 * that does nothing, a database newer than the code refused without a write, a failing migration
 * rolled back whole, and consoles starting at once on one PostgreSQL database.
 */
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { z } from 'zod';
import { testDatabase } from '../testing/pg-database';
import {
  PG_MIGRATION_LOCK,
  SchemaTooNewError,
  latestVersion,
  migratePostgresPool,
  migrateSqlite,
  postgresSchemaVersion,
  sqliteSchemaVersion,
} from './migrate';
import type { Migration } from './migration';
import { migrations } from './migrations';

/** Two small migrations: a table, then another table and a row in the first. */
const one: Migration = {
  version: 1,
  name: 'one',
  up: (db) => [db.schema.createTable('one').addColumn('x', 'integer').compile()],
};
const two: Migration = {
  version: 2,
  name: 'two',
  up: (db) => [
    db.schema.createTable('two').addColumn('y', 'text').compile(),
    sql`insert into one (x) values (2)`.compile(db),
  ],
};
/** Creates a table and writes a row, then fails: nothing of it may stay. */
const failing: Migration = {
  version: 2,
  name: 'fails halfway',
  up: (db) => [
    db.schema.createTable('half').addColumn('z', 'integer').compile(),
    sql`insert into one (x) values (3)`.compile(db),
    sql`insert into no_such_table (x) values (1)`.compile(db),
  ],
};
const newer = (name = 'three'): Migration => ({
  version: 3,
  name,
  up: () => [],
});

const at = new Date('2026-12-06T10:00:00.000Z');
const recordRow = z.object({ version: z.number(), name: z.string(), applied_at: z.string() });

test('the list must be numbered 1, 2, 3… in order', () => {
  expect(latestVersion([one, two])).toBe(2);
  expect(latestVersion([])).toBe(0);
  expect(() => latestVersion([two])).toThrow('migration "two" is number 1 in the list');
  expect(() => latestVersion([one, one])).toThrow('says version 1');
  // The ledger's own list.
  expect(latestVersion(migrations)).toBe(migrations.length);
});

describe('SQLite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'migrate-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (name = 'db.sqlite') => {
    const db = new Database(join(dir, name));
    db.pragma('journal_mode = WAL');
    return db;
  };
  const records = (db: Database.Database) =>
    z.array(recordRow).parse(db.prepare('SELECT * FROM schema_migrations ORDER BY version').all());
  const tables = (db: Database.Database) =>
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();

  test('from empty: every migration applied and recorded; a second run only reads', () => {
    const db = open();
    expect(sqliteSchemaVersion(db)).toBe(0);
    expect(migrateSqlite(db, [one, two], { now: () => at })).toEqual({
      from: 0,
      to: 2,
      applied: [1, 2],
    });
    expect(records(db)).toEqual([
      { version: 1, name: 'one', applied_at: '2026-12-06T10:00:00.000Z' },
      { version: 2, name: 'two', applied_at: '2026-12-06T10:00:00.000Z' },
    ]);
    expect(db.prepare('SELECT x FROM one').pluck().all()).toEqual([2]);

    // Another connection holds the write lock: a run with nothing to do neither waits nor writes.
    const other = open();
    other.exec('BEGIN IMMEDIATE');
    db.pragma('busy_timeout = 0');
    try {
      expect(migrateSqlite(db, [one, two])).toEqual({ from: 2, to: 2, applied: [] });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(db.prepare('SELECT x FROM one').pluck().all()).toEqual([2]);
    // A later console with one more migration applies only that one.
    const more: Migration = {
      ...newer(),
      up: (k) => [sql`insert into one (x) values (3)`.compile(k)],
    };
    expect(migrateSqlite(db, [one, two, more])).toMatchObject({ from: 2, applied: [3] });
    db.close();
  });

  test('a database newer than the code is refused, naming both versions, and not written', () => {
    const file = join(dir, 'newer.sqlite');
    const writer = open('newer.sqlite');
    migrateSqlite(writer, [one, two, newer()]);
    writer.close();
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    const db = open('newer.sqlite');
    const refusal = (() => {
      try {
        migrateSqlite(db, [one, two], { where: file });
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refusal).toBeInstanceOf(SchemaTooNewError);
    expect(refusal).toMatchObject({ databaseVersion: 3, knownVersion: 2 });
    expect(String(refusal)).toContain(
      `The ledger's schema (${file}) is version 3, newer than this console knows (2): it was ` +
        'written by a newer console. Run that version, or restore a backup made before the upgrade.',
    );
    // Even with a baseline to record (an "unversioned" file is not assumed).
    expect(() => migrateSqlite(db, [one, two], { baseline: 2 })).toThrow(SchemaTooNewError);
    db.close();
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
  });

  test('a failing migration is rolled back whole: the version, tables and rows of before', () => {
    const db = open();
    migrateSqlite(db, [one]);
    db.prepare('INSERT INTO one (x) VALUES (1)').run();
    expect(() => migrateSqlite(db, [one, failing])).toThrow('no such table: no_such_table');
    expect(sqliteSchemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['one', 'schema_migrations']);
    expect(db.prepare('SELECT x FROM one').pluck().all()).toEqual([1]);
    // The right migration 2 applies afterwards.
    expect(migrateSqlite(db, [one, two]).applied).toEqual([2]);
    db.close();
  });

  test('a failure in the first migration leaves the file empty (not even schema_migrations)', () => {
    const db = open();
    expect(() => migrateSqlite(db, [{ ...failing, version: 1 }])).toThrow();
    expect(tables(db)).toEqual([]);
    db.close();
  });

  test('a baseline records the versions of a database written before versioning without running them', () => {
    const db = open();
    db.exec('CREATE TABLE one (x integer)');
    expect(migrateSqlite(db, [one, two], { baseline: 1, now: () => at })).toEqual({
      from: 0,
      to: 2,
      applied: [2],
    });
    expect(records(db).map((r) => [r.version, r.name])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
    db.close();
  });
});

describe('PostgreSQL', () => {
  const pools: pg.Pool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });
  const pool = (url: string) => {
    const p = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(p);
    return p;
  };
  const records = async (p: pg.Pool) =>
    z
      .array(recordRow)
      .parse((await p.query('SELECT * FROM schema_migrations ORDER BY version')).rows);
  const tables = async (p: pg.Pool) =>
    (
      await p.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
      )
    ).rows.map((r) => r.name);

  test('from empty: every migration applied and recorded; a second run changes nothing', async () => {
    const p = pool(await testDatabase('mig'));
    const client = await p.connect();
    try {
      expect(await postgresSchemaVersion(client)).toBe(0);
    } finally {
      client.release();
    }
    expect(await migratePostgresPool(p, [one, two], { now: () => at })).toEqual({
      from: 0,
      to: 2,
      applied: [1, 2],
    });
    expect(await records(p)).toEqual([
      { version: 1, name: 'one', applied_at: '2026-12-06T10:00:00.000Z' },
      { version: 2, name: 'two', applied_at: '2026-12-06T10:00:00.000Z' },
    ]);
    const xmin = async () =>
      (await p.query<{ x: string }>('SELECT xmin::text AS x FROM schema_migrations ORDER BY 1'))
        .rows;
    const before = await xmin();
    expect(await migratePostgresPool(p, [one, two])).toEqual({ from: 2, to: 2, applied: [] });
    expect(await xmin()).toEqual(before);
    expect((await p.query('SELECT x FROM one')).rows).toEqual([{ x: 2 }]);
  });

  test('the ledger’s migrations apply from empty, and again do nothing', async () => {
    const p = pool(await testDatabase('mig'));
    const latest = migrations.length;
    expect(await migratePostgresPool(p, migrations)).toMatchObject({ from: 0, to: latest });
    expect(await migratePostgresPool(p, migrations)).toEqual({
      from: latest,
      to: latest,
      applied: [],
    });
    expect(await tables(p)).toEqual(
      expect.arrayContaining(['batches', 'items', 'calls', 'schema_migrations']),
    );
  });

  test('a database newer than the code is refused, naming both versions, and not written', async () => {
    const p = pool(await testDatabase('mig'));
    await migratePostgresPool(p, [one, two, newer()]);
    const before = await records(p);
    await expect(
      migratePostgresPool(p, [one, two], { where: 'PostgreSQL 127.0.0.1:5432/ledger' }),
    ).rejects.toThrow(
      "The ledger's schema (PostgreSQL 127.0.0.1:5432/ledger) is version 3, newer than this " +
        'console knows (2): it was written by a newer console.',
    );
    const error = await migratePostgresPool(p, [one, two]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toMatchObject({ databaseVersion: 3, knownVersion: 2 });
    expect(await records(p)).toEqual(before);
    expect(await tables(p)).toEqual(['one', 'schema_migrations', 'two']);
  });

  test('a database that became newer while this console waited for the lock is refused too', async () => {
    const url = await testDatabase('mig');
    const [p, watcher] = [pool(url), pool(url)];
    await migratePostgresPool(p, [one]);
    // Another console holds the migration lock and is applying versions 2 and 3.
    const other = await p.connect();
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock($1)', [PG_MIGRATION_LOCK]);
    const mine = migratePostgresPool(p, [one, two]).catch((e: unknown) => e);
    await waitForLockWaiters(watcher, 1);
    await other.query(`CREATE TABLE two (y text)`);
    await other.query(`INSERT INTO schema_migrations VALUES (2, 'two', 'x'), (3, 'three', 'x')`);
    await other.query('COMMIT');
    other.release();
    expect(await mine).toBeInstanceOf(SchemaTooNewError);
    expect((await records(p)).map((r) => r.name)).toEqual(['one', 'two', 'three']);
  });

  test('a failing migration is rolled back whole: the version, tables and rows of before', async () => {
    const p = pool(await testDatabase('mig'));
    await migratePostgresPool(p, [one]);
    await p.query('INSERT INTO one (x) VALUES (1)');
    await expect(migratePostgresPool(p, [one, failing])).rejects.toThrow(
      'relation "no_such_table" does not exist',
    );
    expect((await records(p)).map((r) => r.version)).toEqual([1]);
    expect(await tables(p)).toEqual(['one', 'schema_migrations']);
    expect((await p.query('SELECT x FROM one')).rows).toEqual([{ x: 1 }]);
    // The connection went back to the pool usable, and the right migration 2 applies.
    expect((await migratePostgresPool(p, [one, two])).applied).toEqual([2]);
  });

  test('consoles that found an empty database and then waited for the lock: the first applies, the others find it done', async () => {
    const url = await testDatabase('mig');
    const [held, ...consoles] = [pool(url), pool(url), pool(url), pool(url)];
    // The lock is held while the three read the version (none: no schema_migrations yet) and
    // queue for it; then each gets it in turn.
    const holder = await held.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK]);
    const runs = consoles.map((p) => migratePostgresPool(p, migrations));
    try {
      await waitForLockWaiters(held, consoles.length);
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATION_LOCK]);
      holder.release();
    }
    const outcomes = await Promise.all(runs);
    expect(outcomes.map((o) => [o.from, o.to])).toEqual(consoles.map(() => [0, migrations.length]));
    expect(outcomes.flatMap((o) => o.applied).sort()).toEqual(migrations.map((m) => m.version));
    expect((await records(held)).map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  test('two consoles starting at once on one database: one applies each migration, both end at the latest', async () => {
    const url = await testDatabase('mig');
    const [a, b, held] = [pool(url), pool(url), pool(url)];
    // Migration 1 waits on a lock the test holds, so that both consoles are under way at once:
    // one inside its migration, the other waiting for the migration lock.
    const gate = '4242';
    const gated: Migration = {
      ...one,
      up: (db) => [
        sql`select pg_advisory_xact_lock(${sql.lit(Number(gate))})`.compile(db),
        ...one.up(db, 'postgres'),
      ],
    };
    const holder = await held.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [gate]);
    const runs = [a, b].map((p) => migratePostgresPool(p, [gated, two]));
    try {
      // One waits for the gate (inside migration 1), the other for the migration lock.
      await waitForLockWaiters(held, 2);
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [gate]);
      holder.release();
    }
    const outcomes = await Promise.all(runs);
    expect(outcomes.map((o) => o.to)).toEqual([2, 2]);
    expect(outcomes.flatMap((o) => o.applied).sort()).toEqual([1, 2]);
    // Migration 1 was applied by one console only (the other read the version again under the
    // lock and found it done).
    expect(outcomes.filter((o) => o.applied.includes(1))).toHaveLength(1);
    expect((await records(a)).map((r) => r.version)).toEqual([1, 2]);
    expect((await a.query('SELECT x FROM one')).rows).toEqual([{ x: 2 }]);
  });

  test('the ledger’s migrations from four consoles at once: applied once, all at the latest', async () => {
    const url = await testDatabase('mig');
    const all = [pool(url), pool(url), pool(url), pool(url)];
    const outcomes = await Promise.all(all.map((p) => migratePostgresPool(p, migrations)));
    expect(outcomes.every((o) => o.to === migrations.length)).toBe(true);
    expect(outcomes.flatMap((o) => o.applied).sort()).toEqual(migrations.map((m) => m.version));
    expect((await records(all[0] as pg.Pool)).map((r) => r.version)).toEqual(
      migrations.map((m) => m.version),
    );
  });
});

/** Waits until `count` sessions of this database wait for an advisory lock. */
async function waitForLockWaiters(p: pg.Pool, count: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const { rows } = await p.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND NOT granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(rows[0]?.n).toBe(count);
    },
    { timeout: 10_000, interval: 20 },
  );
}
