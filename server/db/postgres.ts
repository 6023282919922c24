/**
 * The ledger on PostgreSQL (DATABASE_URL, issue 14): a pool of `pg` connections and a Kysely over
 * it, typed by the ledger's tables. main.ts opens one per console (and a short-lived one for the
 * migrations, whose statements must not time out).
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migratePostgresPool, type MigrationOutcome } from './migrate';
import type { Migration } from './migration';
import { migrations as ledgerMigrations } from './migrations';
import type { LedgerTables } from './tables';

export interface PostgresLedgerDb {
  readonly kysely: Kysely<LedgerTables>;
  readonly pool: pg.Pool;
  /** Where it is, for messages: host, port and database, never the user's password. */
  readonly where: string;
  /** Ends the pool's connections (after the queries under way). */
  close(): Promise<void>;
}

/** `postgres://host:port/database` without the credentials and parameters, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL is not a URL)';
  }
}

/**
 * bigint (int8) columns read as numbers: the ledger's are an identity and epoch milliseconds, far
 * below 2^53, as are COUNT(*)s. A value beyond that is an error rather than a rounded number.
 */
function ledgerTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} is beyond 2^53`);
    return n;
  });
  return types;
}

export interface OpenPostgresOptions {
  /** Connections in the pool (pg's default: 10). */
  max?: number;
  /**
   * An idle connection failed (the server went away, a network cut): the pool drops it and opens
   * another when needed. Without a listener, `pg` would end the process.
   */
  onIdleError?: (error: Error) => void;
  /**
   * The longest a statement may run, on the server (statement_timeout) and, a little later, on
   * this side (a network cut leaves a query unanswered, not failed). Default: none.
   */
  statementTimeoutMs?: number;
  /**
   * A transaction left idle this long is ended by the server (idle_in_transaction_session_timeout):
   * a console paused in the middle of one must not hold its batch's rows past its lease.
   */
  idleInTransactionMs?: number;
  /** How long to wait for a new connection before the query fails (default: for ever). */
  connectTimeoutMs?: number;
}

/** Opens a pool on `url` (nothing connects until the first query). */
export function openPostgres(url: string, opts: OpenPostgresOptions = {}): PostgresLedgerDb {
  const pool = new pg.Pool({
    connectionString: url,
    ...(opts.max === undefined ? {} : { max: opts.max }),
    ...(opts.statementTimeoutMs === undefined
      ? {}
      : {
          statement_timeout: opts.statementTimeoutMs,
          query_timeout: opts.statementTimeoutMs + 2_000,
        }),
    ...(opts.idleInTransactionMs === undefined
      ? {}
      : { idle_in_transaction_session_timeout: opts.idleInTransactionMs }),
    ...(opts.connectTimeoutMs === undefined
      ? {}
      : { connectionTimeoutMillis: opts.connectTimeoutMs }),
    // A peer gone without a word (a network cut) is found by the keepalives (the first probe after
    // 10 s idle; the operating system's interval and count after that), not only by a query.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types: ledgerTypes(),
  });
  const where = describeUrl(url);
  pool.on(
    'error',
    opts.onIdleError ??
      ((error) => console.error(`${where}: an idle connection failed: ${error.message}`)),
  );
  // A connection that fails while checked out but between two queries (the server ends a
  // transaction left idle, idle_in_transaction_session_timeout, while this process was paused; an
  // administrator's pg_terminate_backend) emits `error` with no query to fail and no pool listener:
  // without one here the process would end. Its next query fails instead, and the pool drops it
  // when it is given back (no longer queryable).
  pool.on('connect', (client) => client.on('error', () => undefined));
  const kysely = new Kysely<LedgerTables>({ dialect: new PostgresDialect({ pool }) });
  let closed: Promise<void> | null = null;
  return {
    kysely,
    pool,
    where,
    // Kysely's destroy ends the pool only once Kysely has run a query (its driver takes the pool
    // then): a pool used only directly (a migration) is ended here.
    close: () => (closed ??= kysely.destroy().then(() => (pool.ending ? undefined : pool.end()))),
  };
}

/**
 * Brings the database to the latest of the ledger's migrations (run at start by every console;
 * serialised between them, server/db/migrate.ts). Throws SchemaTooNewError, naming the database,
 * when it was written by a newer console.
 */
export function migratePostgres(
  db: Pick<PostgresLedgerDb, 'pool' | 'where'>,
  migrations: readonly Migration[] = ledgerMigrations,
): Promise<MigrationOutcome> {
  return migratePostgresPool(db.pool, migrations, { where: db.where });
}
