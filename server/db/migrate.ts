/**
 * Runs the ledger's numbered migrations (server/db/migrations/index.ts) against SQLite
 * (better-sqlite3, synchronously: the SQLite ledger opens synchronously) or PostgreSQL (`pg`).
 *
 * The table `schema_migrations` records each version applied (version, name, applied_at as ISO-8601
 * text, as the ledger's other times). Each migration applies in one transaction with its record: a
 * failure leaves the database at the previous version, whole. A database that records a version
 * this code does not know was written by a newer console: it is refused (SchemaTooNewError) before
 * anything is written. Several consoles may start at once on one PostgreSQL database: each
 * migration's transaction first takes a transaction-level advisory lock and reads the version again
 * under it, so each migration runs once; SQLite takes the write lock (BEGIN IMMEDIATE) instead.
 * A database already at the latest version is only read (no lock, no write).
 */
import type Database from 'better-sqlite3';
import type { CompiledQuery, Kysely } from 'kysely';
import type pg from 'pg';
import { z } from 'zod';
import { compilerFor, type DialectName, type Migration } from './migration';

export const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * The advisory lock (one bigint key, transaction-level) that serialises the migrations of the
 * consoles sharing one PostgreSQL database. Any fixed number would do; it only has to be the same
 * for every console.
 */
export const PG_MIGRATION_LOCK = '7204981365520141';

export interface MigrationOutcome {
  /** The version the database had before (0: none recorded). */
  readonly from: number;
  /** The version it has now: the latest this code knows. */
  readonly to: number;
  /** The versions this call applied (another console may have applied the others meanwhile). */
  readonly applied: readonly number[];
}

/** The database was written by a newer console: nothing was written to it. */
export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
  readonly databaseVersion: number;
  readonly knownVersion: number;
  constructor(databaseVersion: number, knownVersion: number, where?: string) {
    super(
      `The ledger's schema${where ? ` (${where})` : ''} is version ${String(databaseVersion)}, ` +
        `newer than this console knows (${String(knownVersion)}): it was written by a newer ` +
        'console. Run that version, or restore a backup made before the upgrade. Nothing was ' +
        'written to it.',
    );
    this.databaseVersion = databaseVersion;
    this.knownVersion = knownVersion;
  }
}

/** The latest version of `migrations`, once checked to be numbered 1, 2, 3… in order. */
export function latestVersion(migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(
        `migration "${m.name}" is number ${String(i + 1)} in the list but says version ` +
          `${String(m.version)}: migrations are numbered 1, 2, 3… in order`,
      );
    }
  });
  return migrations.length;
}

function refuseNewer(version: number, latest: number, where: string | undefined): void {
  if (version > latest) throw new SchemaTooNewError(version, latest, where);
}

// A type (not an interface): withTables wants an index signature.
type MigrationsTable = {
  schema_migrations: { version: number; name: string; applied_at: string };
};

function migrationsDb(dialect: DialectName): Kysely<MigrationsTable> {
  return compilerFor(dialect).withTables<MigrationsTable>();
}

function createMigrationsTable(dialect: DialectName): CompiledQuery {
  return migrationsDb(dialect)
    .schema.createTable(MIGRATIONS_TABLE)
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .compile();
}

function record(dialect: DialectName, m: Migration, at: Date): CompiledQuery {
  return migrationsDb(dialect)
    .insertInto('schema_migrations')
    .values({ version: m.version, name: m.name, applied_at: at.toISOString() })
    .compile();
}

const versionSchema = z.number().int().min(0);

// SQLite ----------------------------------------------------------------------------------------

/** The version a SQLite database records (0: none, or no `schema_migrations` table). Only reads. */
export function sqliteSchemaVersion(db: Database.Database): number {
  const table = db
    .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`)
    .get(MIGRATIONS_TABLE);
  if (table === undefined) return 0;
  return versionSchema.parse(
    db.prepare(`SELECT coalesce(max(version), 0) FROM ${MIGRATIONS_TABLE}`).pluck().get(),
  );
}

/** Throws SchemaTooNewError when the SQLite database is newer than `migrations`. Only reads. */
export function refuseNewerSqlite(
  db: Database.Database,
  migrations: readonly Migration[],
  where?: string,
): number {
  const version = sqliteSchemaVersion(db);
  refuseNewer(version, latestVersion(migrations), where);
  return version;
}

function runSqlite(db: Database.Database, q: CompiledQuery): void {
  db.prepare(q.sql).run(...q.parameters);
}

export interface SqliteMigrateOptions {
  /**
   * A database that records no version but already has the schema of this version (written before
   * versioning): migrations 1 to `baseline` are recorded as applied, without running them.
   */
  baseline?: number;
  /** Named in the refusal (the file). */
  where?: string;
  now?: () => Date;
}

/** Brings a SQLite database to the latest of `migrations`. Synchronous. */
export function migrateSqlite(
  db: Database.Database,
  migrations: readonly Migration[],
  opts: SqliteMigrateOptions = {},
): MigrationOutcome {
  const latest = latestVersion(migrations);
  const now = opts.now ?? (() => new Date());
  const baseline = opts.baseline ?? 0;
  if (baseline < 0 || baseline > latest) throw new Error(`no migration ${String(baseline)}`);
  const from = refuseNewerSqlite(db, migrations, opts.where);
  if (from === latest) return { from, to: latest, applied: [] };
  const compiler = compilerFor('sqlite');
  if (from === 0 && baseline > 0) {
    db.transaction(() => {
      if (refuseNewerSqlite(db, migrations, opts.where) > 0) return;
      runSqlite(db, createMigrationsTable('sqlite'));
      const at = now();
      for (const m of migrations.slice(0, baseline)) runSqlite(db, record('sqlite', m, at));
    }).immediate();
  }
  // After the baseline, its versions are recorded: the loop reads the version again in each
  // transaction anyway.
  const start = from === 0 ? baseline : from;
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= start) continue;
    const done = db
      .transaction(() => {
        const version = refuseNewerSqlite(db, migrations, opts.where);
        if (version >= m.version) return false;
        if (version === 0) runSqlite(db, createMigrationsTable('sqlite'));
        for (const q of m.up(compiler, 'sqlite')) runSqlite(db, q);
        runSqlite(db, record('sqlite', m, now()));
        return true;
      })
      .immediate();
    if (done) applied.push(m.version);
  }
  return { from, to: latest, applied };
}

// PostgreSQL ------------------------------------------------------------------------------------

/**
 * The version a PostgreSQL database records (0: none). Only reads.
 *
 * Whether `schema_migrations` exists is read from pg_class with the statement's snapshot, not with
 * to_regclass: name lookups without a lock use the session's catalog cache, which still says
 * "no such table" after another console created it while this one waited for the migration lock
 * (an advisory lock does not refresh that cache), and this console would then apply migration 1
 * again.
 */
export async function postgresSchemaVersion(client: pg.ClientBase): Promise<number> {
  const table = await client.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relname = $1 AND n.nspname = current_schema()) AS present`,
    [MIGRATIONS_TABLE],
  );
  if (table.rows[0]?.present !== true) return 0;
  const { rows } = await client.query<{ v: number }>(
    `SELECT coalesce(max(version), 0) AS v FROM ${MIGRATIONS_TABLE}`,
  );
  return versionSchema.parse(rows[0]?.v);
}

async function runPostgres(client: pg.ClientBase, q: CompiledQuery): Promise<void> {
  if (q.parameters.length === 0) await client.query(q.sql);
  else await client.query(q.sql, [...q.parameters]);
}

export interface PostgresMigrateOptions {
  /** Named in the refusal (host, port and database; never the password). */
  where?: string;
  now?: () => Date;
}

/** Brings a PostgreSQL database to the latest of `migrations`, on one connection of `pool`. */
export async function migratePostgresPool(
  pool: pg.Pool,
  migrations: readonly Migration[],
  opts: PostgresMigrateOptions = {},
): Promise<MigrationOutcome> {
  const latest = latestVersion(migrations);
  const now = opts.now ?? (() => new Date());
  const compiler = compilerFor('postgres');
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const from = await postgresSchemaVersion(client);
    refuseNewer(from, latest, opts.where);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= from) continue;
      try {
        // Inside the try: a BEGIN that fails (the connection broke) goes through the ROLLBACK
        // below, whose failure marks the connection broken for the pool.
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [PG_MIGRATION_LOCK]);
        const version = await postgresSchemaVersion(client);
        refuseNewer(version, latest, opts.where);
        if (version < m.version) {
          if (version === 0) await runPostgres(client, createMigrationsTable('postgres'));
          for (const q of m.up(compiler, 'postgres')) await runPostgres(client, q);
          await runPostgres(client, record('postgres', m, now()));
        }
        await client.query('COMMIT');
        if (version < m.version) applied.push(m.version);
      } catch (error) {
        await client.query('ROLLBACK').catch((rollback: unknown) => {
          // The connection itself failed: the pool must not hand it out again.
          broken = rollback instanceof Error ? rollback : new Error(String(rollback));
        });
        throw error;
      }
    }
    return { from, to: latest, applied };
  } finally {
    client.release(broken);
  }
}
