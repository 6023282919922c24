/**
 * A Kysely over the SQLite ledger's open better-sqlite3 database, for queries written once for both
 * stores (server/db/records-store.ts, server/db/group-records-store.ts). Kysely runs each query
 * synchronously on the ledger's one connection (its SqliteDriver takes a mutex per query, and reads
 * hold no transaction between queries), so a read through it sees what the synchronous ledger wrote.
 */
import { Kysely, SqliteDialect, type KyselyConfig, type SqliteDatabase } from 'kysely';
import type { LedgerDb } from '../batches/ledger';
import type { LedgerTables } from './tables';

/**
 * The ledger's database as Kysely's SQLite dialect sees it. `close` does nothing: Kysely's
 * `destroy()` closes its database, and the database is the ledger's (its owner closes it).
 */
function borrowed(db: LedgerDb): SqliteDatabase {
  return {
    prepare: (sql) => db.prepare(sql),
    close: () => undefined,
  };
}

/** `log`: Kysely's query log (a test reads the statements a store runs, to check their plans). */
export function sqliteKysely(
  db: LedgerDb,
  opts: Pick<KyselyConfig, 'log'> = {},
): Kysely<LedgerTables> {
  return new Kysely<LedgerTables>({
    dialect: new SqliteDialect({ database: borrowed(db) }),
    ...opts,
  });
}
