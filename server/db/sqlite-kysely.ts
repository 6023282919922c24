/**
 * A Kysely over the SQLite ledger's open better-sqlite3 database, for queries written once for both
 * stores (server/db/records-store.ts, server/db/group-records-store.ts). Kysely runs each query
 * synchronously on the ledger's one connection (its SqliteDriver takes a mutex per query, and reads
 * hold no transaction between queries), so a read through it sees what the synchronous ledger wrote.
 *
 * Reads only: a Kysely transaction here would run BEGIN on the ledger's one connection and await
 * between its statements, and any synchronous ledger write meanwhile (an intent, an outcome) would
 * silently become part of it. Transactions that span awaits need the transaction-bound store that
 * comes with moving the service onto the store (issue 14).
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
