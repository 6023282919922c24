/**
 * The tables of the sessions the consoles share (with SESSION_KEY) and of their sign-in limits,
 * in the ledger's database: migration 4, `sessions`, written once for SQLite and PostgreSQL.
 *
 * - `sessions`: one row per session, keyed by the SHA-256 of its ID (the cookie is never stored:
 *   a read of the table gives no usable cookie). Who, whose, from where and until when are plain
 *   (the limits count them); the authoritative record, the IAM token with it, is `sealed`
 *   (AES-256-GCM, access/session-key.ts) under the key named by `key_id`. An ended session keeps
 *   its row until it expires, without its sealed record: the reason it ended, and for a renewed or
 *   evicted IAM session the hash of its successor, which the calls of its batches follow.
 * - `sign_in_attempts`: one row per counted attempt (a failed credential, a sign-in) per client
 *   address, within the limit's window: every console counts against the same limits.
 *
 * `SessionDatabase` runs queries built with Kysely on either engine: on SQLite, better-sqlite3
 * runs the compiled statements synchronously (as the ledger does: a transaction never waits on
 * the event loop, so it can never hold the file's write lock while other code of the process
 * waits for it); on PostgreSQL, pg. `exclusive` runs a short transaction that no other console's
 * runs alongside (the limits are checked and the new row written in it); its body is a generator
 * that yields each statement and receives its rows, so that one body serves both engines.
 */
import Database from 'better-sqlite3';
import {
  Kysely,
  PostgresDialect,
  sql,
  type ColumnType,
  type Compilable,
  type CompiledQuery,
} from 'kysely';
import pg from 'pg';
import { compilerFor, type DialectName, type Migration } from './migration';

/** Milliseconds since the epoch (`bigint`; pg hands it back as a string). */
type Millis = ColumnType<number | string, number, number>;
type NullableMillis = ColumnType<number | string | null, number | null, number | null>;

export interface SessionsTable {
  id_hash: string;
  method: string;
  user_name: string;
  owner: string;
  address: string;
  created_at: Millis;
  expires_at: Millis;
  key_id: string | null;
  sealed: string | null;
  ended_at: NullableMillis;
  end_reason: string | null;
  successor_hash: string | null;
}

export interface SignInAttemptsTable {
  slot: string;
  limiter: string;
  key: string;
  at: Millis;
}

export interface SessionTables {
  sessions: SessionsTable;
  sign_in_attempts: SignInAttemptsTable;
}

export const sessionsMigration: Migration = {
  version: 4,
  name: 'sessions',
  up(db: Kysely<unknown>): CompiledQuery[] {
    const s = db.schema;
    return [
      s
        .createTable('sessions')
        .ifNotExists()
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('sealed', 'text')
        .addColumn('ended_at', 'bigint')
        .addColumn('end_reason', 'text')
        .addColumn('successor_hash', 'text')
        .compile(),
      // The limits count live sessions: in all, per owner (oldest first), per address.
      s
        .createIndex('sessions_live_by_owner')
        .ifNotExists()
        .on('sessions')
        .columns(['owner', 'created_at'])
        .where(sql.ref('ended_at'), 'is', null)
        .compile(),
      s
        .createIndex('sessions_live_by_address')
        .ifNotExists()
        .on('sessions')
        .column('address')
        .where(sql.ref('ended_at'), 'is', null)
        .compile(),
      s
        .createIndex('sessions_by_expiry')
        .ifNotExists()
        .on('sessions')
        .column('expires_at')
        .compile(),
      s
        .createTable('sign_in_attempts')
        .ifNotExists()
        .addColumn('slot', 'text', (c) => c.primaryKey())
        .addColumn('limiter', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .compile(),
      s
        .createIndex('sign_in_attempts_by_key')
        .ifNotExists()
        .on('sign_in_attempts')
        .columns(['limiter', 'key', 'at'])
        .compile(),
      s
        .createIndex('sign_in_attempts_by_age')
        .ifNotExists()
        .on('sign_in_attempts')
        .columns(['limiter', 'at'])
        .compile(),
    ];
  },
};

/** The body of an `exclusive` transaction: yields statements, receives their rows. */
export type ExclusiveBody<R> = () => Generator<CompiledQuery, R, unknown[]>;

export interface SessionDatabase {
  readonly dialect: DialectName;
  /** Builds the queries (compile them, then `run` them or yield them in `exclusive`). */
  readonly q: Kysely<SessionTables>;
  /** One statement on its own (its own transaction): the rows it returns. */
  run<O>(query: Compilable<O>): Promise<O[]>;
  /**
   * Runs `body` in one transaction that excludes every other `exclusive` of the same `lock` name,
   * on every console: PostgreSQL, a transaction-scoped advisory lock on the name; SQLite, the
   * file's write lock taken before anything is read (`BEGIN IMMEDIATE`), the whole transaction
   * run without a pause. A throw in `body` rolls it back. Keep it short.
   */
  exclusive<R>(lock: string, body: ExclusiveBody<R>): Promise<R>;
  /** Closes the connections this opened. */
  close(): Promise<void>;
}

/** Inside an `exclusive` body: `const rows = yield* rowsOf(query)`. */
export function* rowsOf<O>(query: Compilable<O>): Generator<CompiledQuery, O[], unknown[]> {
  return (yield query.compile()) as O[];
}

/**
 * The sessions in a SQLite file (the ledger's: DATA_DIR/ledger.sqlite), on a connection of their
 * own that runs every statement synchronously.
 */
export function openSqliteSessionDatabase(file: string): SessionDatabase {
  const handle = new Database(file);
  handle.pragma('journal_mode = WAL');
  // A sign-out must survive a power cut as the ledger's writes do.
  handle.pragma('synchronous = FULL');
  handle.pragma('busy_timeout = 5000');
  const statements = new Map<string, Database.Statement>();
  const exec = (query: CompiledQuery): unknown[] => {
    let statement = statements.get(query.sql);
    if (!statement) {
      statement = handle.prepare(query.sql);
      statements.set(query.sql, statement);
    }
    const params = query.parameters as unknown[];
    if (statement.reader) return statement.all(...params);
    statement.run(...params);
    return [];
  };
  return {
    dialect: 'sqlite',
    q: compilerFor('sqlite') as unknown as Kysely<SessionTables>,
    run<O>(query: Compilable<O>): Promise<O[]> {
      try {
        return Promise.resolve(exec(query.compile()) as O[]);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    exclusive<R>(_lock: string, body: ExclusiveBody<R>): Promise<R> {
      try {
        const transaction = handle.transaction(() => {
          const steps = body();
          let step = steps.next();
          while (!step.done) step = steps.next(exec(step.value));
          return step.value;
        });
        return Promise.resolve(transaction.immediate());
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    close() {
      handle.close();
      return Promise.resolve();
    },
  };
}

/** The sessions in PostgreSQL (DATABASE_URL): a small pool of their own. */
export function openPostgresSessionDatabase(
  url: string,
  opts: { maxConnections?: number } = {},
): SessionDatabase {
  const pool = new pg.Pool({ connectionString: url, max: opts.maxConnections ?? 4 });
  pool.on('error', (error) =>
    console.error(`sessions: an idle database connection failed: ${error.message}`),
  );
  const db = new Kysely<SessionTables>({ dialect: new PostgresDialect({ pool }) });
  return postgresSessionDatabase(db, () => db.destroy());
}

/**
 * The sessions over a Kysely already open on PostgreSQL (e.g. the ledger's own pool,
 * server/db/postgres.ts). `close` is what `SessionDatabase.close` does (default: nothing, the
 * owner of the pool closes it).
 */
export function postgresSessionDatabase<Tables>(
  kysely: Kysely<Tables>,
  close: () => Promise<void> = () => Promise.resolve(),
): SessionDatabase {
  const db = kysely as unknown as Kysely<SessionTables>;
  return {
    dialect: 'postgres',
    q: db,
    async run<O>(query: Compilable<O>): Promise<O[]> {
      return [...(await db.executeQuery(query.compile())).rows];
    },
    exclusive<R>(lock: string, body: ExclusiveBody<R>): Promise<R> {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtextextended(${`secmaster:${lock}`}, 0))`.execute(
          trx,
        );
        const steps = body();
        let step = steps.next();
        while (!step.done) step = steps.next([...(await trx.executeQuery(step.value)).rows]);
        return step.value;
      });
    },
    close,
  };
}

/**
 * Creates the tables where missing, with migration 4's own statements (idempotent: `if not
 * exists`, so the migration runner applying migration 4 later changes nothing). Until migration 4
 * is in the ledger's list (server/db/migrations/index.ts), the console calls this when it opens its
 * session database. On PostgreSQL, consoles starting at once should rely on the runner instead
 * (it serialises them; two concurrent `create table if not exists` may collide there).
 */
export async function createSessionTables(sdb: SessionDatabase): Promise<void> {
  for (const statement of sessionsMigration.up(compilerFor(sdb.dialect), sdb.dialect)) {
    await sdb.run({ compile: () => statement });
  }
}

/** A `bigint` column's value as a number (pg returns int8 as a string). */
export function millis(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}
