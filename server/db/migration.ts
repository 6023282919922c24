/**
 * One schema for both stores of the ledger (issue 14): SQLite (embedded, the default) and
 * PostgreSQL (DATABASE_URL, several consoles). A migration is written once with Kysely's schema
 * builder and compiled for each dialect (`compilerFor`): the SQLite ledger stays synchronous
 * (better-sqlite3 runs the compiled statements), PostgreSQL runs them through `pg`. Migrations are
 * numbered; the database records which it has (see server/db/migrate.ts).
 */
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
} from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

export interface Migration {
  /** 1, 2, 3… in order, never reused. */
  readonly version: number;
  /** A short name for people (kept in the database with the version). */
  readonly name: string;
  /**
   * The statements that bring the schema from `version - 1` to `version` in this dialect, built
   * with `db` (compile-only: `.compile()` each builder, or `sql\`…\`.compile(db)`).
   */
  up(db: Kysely<unknown>, dialect: DialectName): CompiledQuery[];
}

/** A Kysely that only compiles (no connection): for writing migrations once for both dialects. */
export function compilerFor(dialect: DialectName): Kysely<unknown> {
  return new Kysely<unknown>({
    dialect:
      dialect === 'postgres'
        ? {
            createAdapter: () => new PostgresAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new PostgresIntrospector(db),
            createQueryCompiler: () => new PostgresQueryCompiler(),
          }
        : {
            createAdapter: () => new SqliteAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new SqliteIntrospector(db),
            createQueryCompiler: () => new SqliteQueryCompiler(),
          },
  });
}
