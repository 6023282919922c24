/**
 * The ledger's two stores for tests (server/db/store.ts): each factory opens a new, empty ledger
 * and gives the store, the service's stores (server/db/service-stores.ts) and a Kysely on the same
 * database, for a test's own reads and writes (one typed query for both dialects).
 * `describe.each(storeFactories)` runs a suite on both (server/db/store-contract/).
 *
 * - SQLite: `sqliteServiceStores(openLedger(file))` on a file in a temporary directory; the Kysely
 *   runs on the ledger's own connection, outside the ledger's gate (server/db/sqlite-gate.ts).
 * - PostgreSQL: `pgServiceStores` on a database of the run's cluster (server/testing/pg-database.ts),
 *   copied from a template migrated once per test file (CREATE DATABASE … TEMPLATE: a copy is
 *   cheaper than running the migrations for every test).
 */
import { Kysely, SqliteDialect } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { openLedger, type Ledger } from '../batches/ledger';
import type { PgStoreOptions } from '../db/pg-store';
import { pgServiceStores, sqliteServiceStores, type ServiceStores } from '../db/service-stores';
import { migratePostgres, openPostgres, type PostgresLedgerDb } from '../db/postgres';
import type { LedgerStore, StoreDialect } from '../db/store';
import type { LedgerTables } from '../db/tables';
import { testDatabase } from './pg-database';

export interface TestStore {
  readonly store: LedgerStore;
  /** The service's stores on the same database (`stores.ledger` is `store`). */
  readonly stores: ServiceStores;
  /** The store's database, for the test's own queries. */
  readonly db: Kysely<LedgerTables>;
  /** Closes the store (and removes what the factory made). */
  close(): Promise<void>;
}

export interface StoreFactory {
  readonly name: StoreDialect;
  open(opts?: { now?: () => Date }): Promise<TestStore>;
}

export interface SqliteTestStore extends TestStore {
  readonly ledger: Ledger;
}

export function openSqliteTestStore(opts: { now?: () => Date } = {}): SqliteTestStore {
  const dir = mkdtempSync(join(tmpdir(), 'store-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'), opts);
  // Kysely's SqliteDialect on the ledger's connection: closing the ledger closes it.
  const db = new Kysely<LedgerTables>({ dialect: new SqliteDialect({ database: ledger.db }) });
  const stores = sqliteServiceStores(ledger, opts);
  const { ledger: store } = stores;
  return {
    store,
    stores,
    db,
    ledger,
    async close() {
      await store.close();
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PgTestStore extends TestStore {
  /** The database's URL (another console: `openPgTestStore` on it again). */
  readonly url: string;
  readonly pg: PostgresLedgerDb;
}

let template: Promise<string> | null = null;

/** A database migrated to the latest schema (a copy of this file's template). */
export async function migratedTestDatabase(): Promise<string> {
  template ??= (async () => {
    const url = await testDatabase('tmpl');
    const db = openPostgres(url, { max: 1 });
    try {
      await migratePostgres(db);
    } finally {
      await db.close();
    }
    return url;
  })();
  const from = new URL(await template);
  const name = `s_${Math.random().toString(16).slice(2, 14)}`;
  const client = new pg.Client({ connectionString: inject('pgUrl') });
  await client.connect();
  try {
    // PostgreSQL waits a moment for the template's last backend to exit (its pool is closed).
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${from.pathname.slice(1)}`);
  } finally {
    await client.end();
  }
  from.pathname = `/${name}`;
  return from.toString();
}

/** A PostgreSQL store on `url` (default: a new migrated database). */
export async function openPgTestStore(
  opts: PgStoreOptions & { url?: string; max?: number } = {},
): Promise<PgTestStore> {
  const url = opts.url ?? (await migratedTestDatabase());
  const db = openPostgres(url, { max: opts.max ?? 4 });
  const stores = pgServiceStores(db, opts);
  const { ledger: store } = stores;
  return { store, stores, db: db.kysely, url, pg: db, close: () => store.close() };
}

export const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  open: (opts) => Promise.resolve(openSqliteTestStore(opts)),
};

export const postgresFactory: StoreFactory = {
  name: 'postgres',
  open: (opts) => openPgTestStore(opts),
};

export const storeFactories: readonly StoreFactory[] = [sqliteFactory, postgresFactory];
