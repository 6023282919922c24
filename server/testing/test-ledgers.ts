/**
 * Ledgers for tests of the stores' reads on both databases: a SQLite ledger file opened by
 * `openLedger` (the real schema, triggers included) or a PostgreSQL database of its own
 * (`testDatabase()`, migrated), to be given rows by ledger-rows.ts.
 */
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { openLedger, type Ledger } from '../batches/ledger';
import { openPostgres, migratePostgres } from '../db/postgres';
import { sqliteKysely } from '../db/sqlite-kysely';
import type { StoreDialect } from '../db/store';
import type { LedgerTables } from '../db/tables';
import { insertBatches, type BatchSeed } from './ledger-rows';
import { testDatabase } from './pg-database';

export const DIALECTS: readonly StoreDialect[] = ['sqlite', 'postgres'];

export interface TestLedger {
  readonly dialect: StoreDialect;
  readonly kysely: Kysely<LedgerTables>;
  /** The SQLite ledger (what the synchronous reads run on); null on PostgreSQL. */
  readonly sqlite: Ledger | null;
  close(): Promise<void>;
}

/**
 * A new PostgreSQL database whose default collation and character classes are `locale`'s (the
 * run's cluster defaults to C), on the run's cluster; its URL.
 */
async function databaseInLocale(locale: string): Promise<string> {
  const base = inject('pgUrl');
  if (!base) {
    throw new Error(`The test run's PostgreSQL did not start: ${inject('pgUnavailable')}`);
  }
  const name = `rows_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(
      `CREATE DATABASE ${name} TEMPLATE template0 LC_COLLATE '${locale}' LC_CTYPE '${locale}'`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * An empty ledger: a temporary SQLite file, or a new PostgreSQL database at the latest schema
 * (created with `pgLocale` as its default locale when given).
 */
export async function openTestLedger(
  dialect: StoreDialect,
  opts: { pgLocale?: string } = {},
): Promise<TestLedger> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-rows-'));
    const ledger = openLedger(join(dir, 'ledger.sqlite'));
    const kysely = sqliteKysely(ledger.db);
    return {
      dialect,
      kysely,
      sqlite: ledger,
      async close() {
        await kysely.destroy();
        ledger.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url =
    opts.pgLocale === undefined
      ? await testDatabase('rows')
      : await databaseInLocale(opts.pgLocale);
  const db = openPostgres(url, { max: 4 });
  try {
    await migratePostgres(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { dialect, kysely: db.kysely, sqlite: null, close: () => db.close() };
}

/**
 * The SQLite ledger holding the rows of `seeds` (already written to `t`), for the synchronous reads
 * to answer from: `t`'s own on SQLite; on PostgreSQL a new SQLite ledger given the same rows, which
 * the caller closes (`close`, a no-op for `t`'s own).
 */
export async function sqliteTwin(
  t: TestLedger,
  seeds: readonly BatchSeed[],
): Promise<{ ledger: Ledger; close(): Promise<void> }> {
  if (t.sqlite !== null) return { ledger: t.sqlite, close: () => Promise.resolve() };
  const twin = await openTestLedger('sqlite');
  try {
    await insertBatches(twin.kysely, seeds);
  } catch (error) {
    await twin.close();
    throw error;
  }
  if (twin.sqlite === null) throw new Error('a SQLite test ledger has its ledger');
  return { ledger: twin.sqlite, close: () => twin.close() };
}
