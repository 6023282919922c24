/**
 * Several consoles on one PostgreSQL database in a test: each console is its own Kysely over its
 * own pool (as two server processes would be), on a fresh database with the given migrations' own
 * statements run. `closeConsoles()` (in an afterEach) ends every pool opened here.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { compilerFor, type Migration } from '../db/migration';
import { testDatabase } from './pg-database';

const opened: Kysely<never>[] = [];

/** One console's connection pool on `url`. */
export function connectConsole<DB>(url: string): Kysely<DB> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client's error (the server ending it) must not crash the test worker: the next query
  // on the pool fails and says so.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  opened.push(db as unknown as Kysely<never>);
  return db;
}

/** Ends every pool `connectConsole` opened (after the queries under way). */
export async function closeConsoles(): Promise<void> {
  await Promise.all(opened.splice(0).map((db) => db.destroy()));
}

/** Ends one console's pool now (a console that dies in the test). */
export async function closeConsole<DB>(db: Kysely<DB>): Promise<void> {
  const i = opened.indexOf(db as unknown as Kysely<never>);
  if (i >= 0) opened.splice(i, 1);
  await db.destroy();
}

/**
 * A fresh database (named after `prefix`) with `migrations`' statements run in order, and two
 * consoles on it.
 */
export async function twoConsoles<DB>(
  prefix: string,
  migrations: readonly Migration[],
): Promise<[Kysely<DB>, Kysely<DB>]> {
  const url = await testDatabase(prefix);
  const a = connectConsole<DB>(url);
  for (const m of migrations) {
    for (const q of m.up(compilerFor('postgres'), 'postgres')) await a.executeQuery(q);
  }
  return [a, connectConsole<DB>(url)];
}
