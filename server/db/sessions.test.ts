/**
 * Migration 4 (`sessions`) through the ledger's migration runner, after the ledger's own three, on
 * a real SQLite file and the run's PostgreSQL: from empty, and on a database whose tables
 * `createSessionTables` already made at open (what the console does until migration 4 is in the
 * ledger's list): the runner then records it and changes nothing.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { testDatabase } from '../testing/pg-database';
import { migratePostgresPool, migrateSqlite } from './migrate';
import { migrations } from './migrations';
import {
  createSessionTables,
  openPostgresSessionDatabase,
  openSqliteSessionDatabase,
  sessionsMigration,
} from './sessions';

const all = migrations;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

test('migration 4 is the ledger’s fourth migration', () => {
  expect(migrations[3]).toBe(sessionsMigration);
  expect(sessionsMigration.version).toBe(4);
  expect(sessionsMigration.name).toBe('sessions');
});

describe('on SQLite', () => {
  const file = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sessions-migration-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'ledger.sqlite');
  };

  test.each([false, true])('tables made at open first: %s', async (madeAtOpen) => {
    const path = file();
    if (madeAtOpen) {
      const sdb = openSqliteSessionDatabase(path);
      await createSessionTables(sdb);
      await sdb.close();
    }
    const db = new Database(path);
    cleanups.push(() => {
      db.close();
    });
    expect(migrateSqlite(db, all).to).toBe(all.length);
    expect(migrateSqlite(db, all).applied).toEqual([]);
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .pluck()
      .all();
    expect(tables).toEqual(expect.arrayContaining(['sessions', 'sign_in_attempts']));
  });
});

describe('on PostgreSQL', () => {
  test.each([false, true])('tables made at open first: %s', async (madeAtOpen) => {
    const url = await testDatabase('sessions_migration');
    if (madeAtOpen) {
      const sdb = openPostgresSessionDatabase(url);
      await createSessionTables(sdb);
      await sdb.close();
    }
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    cleanups.push(() => pool.end());
    expect((await migratePostgresPool(pool, all)).to).toBe(all.length);
    expect((await migratePostgresPool(pool, all)).applied).toEqual([]);
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_tables WHERE tablename IN ('sessions', 'sign_in_attempts')`,
    );
    expect(Number(rows[0]?.n)).toBe(2);
  });
});
