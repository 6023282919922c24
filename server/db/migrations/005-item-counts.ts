/**
 * Migration 5: each batch's items counted per state (`item_counts`), kept by PostgreSQL itself.
 *
 * Why: the batch page polls a running batch every 500 ms (each open batch, on every console), and
 * each poll's counts were a GROUP BY over the batch's items: 13–37 ms for 100,000 IDs on
 * PostgreSQL, growing with the batch. With a row per (batch, state) a poll reads at most seven rows.
 *
 * Why triggers, not the store's own writes: every statement that inserts, updates or deletes items
 * changes the counts in the same transaction, whoever runs it — each of pg-store's write paths
 * (create, claim, pre-read claim, outcome, queued outcome, release, retry, strand, crash recovery,
 * cancel, settle), a write path added later, another console of another version. A count kept by
 * each write path would be one forgotten UPDATE away from wrong, silently, on every console.
 * A short-lived cache invalidated by a version column would need that same bump in every write
 * path, and a running batch changes every few tens of milliseconds: a poll every 500 ms would
 * almost always miss the cache and pay the full GROUP BY.
 *
 * How: statement-level AFTER triggers with transition tables (one aggregate per statement, not one
 * upsert per row: a claim moves 100 rows, a batch's creation inserts 20,000 per statement). The
 * update trigger adds +1 per new row and -1 per old row per (batch, state) and writes only the
 * states that changed (a message or call_id update writes nothing). `INSERT … ON CONFLICT DO
 * UPDATE SET n = n + delta` is exact under concurrency: in READ COMMITTED the upsert waits for a
 * concurrent holder of the row and adds to the committed value. Rows are written in (batch_id,
 * state) order, so two statements touching several batches lock them in one order. No new lock
 * waits in practice: every write of a batch's items already holds the batch's row lock
 * (pg-store.ts), and crash recovery locks the table.
 *
 * Reading: a batch's counts are its rows of `item_counts` (a state with no row, or n = 0, has
 * none), read in one statement, so they are one committed state of the batch.
 *
 * The migration fills the table from the items already there, in the transaction that creates the
 * triggers (CREATE TRIGGER locks `items` against writes until it commits: nothing is missed).
 *
 * SQLite: the table is created (one schema for both dialects, as migration 2's leases) and stays
 * empty: the SQLite ledger has a single writer and counts with its own GROUP BY (ledger.ts); the
 * triggers are PostgreSQL's only (SQLite has no statement-level triggers, and row triggers would
 * add an upsert per row to a 100,000-ID batch's creation for a table nobody reads there).
 */
import { sql } from 'kysely';
import type { Migration } from '../migration';

/** `item_counts` as Kysely sees it (PostgreSQL's readers; a bigint-free count per row). */
export interface ItemCountsTable {
  batch_id: string;
  state: string;
  n: number;
}

/** The trigger and function names (the same for each). */
export const ITEM_COUNT_TRIGGERS = [
  'item_counts_after_insert',
  'item_counts_after_update',
  'item_counts_after_delete',
] as const;

/** Adds `delta`s per (batch_id, state) from `source` (columns batch_id, state, d). */
const upsertDeltas = (source: string) => `
    INSERT INTO item_counts AS c (batch_id, state, n)
      SELECT batch_id, state, sum(d) FROM (${source}) AS t
       GROUP BY batch_id, state HAVING sum(d) <> 0
       ORDER BY batch_id, state
    ON CONFLICT (batch_id, state) DO UPDATE SET n = c.n + EXCLUDED.n;`;

const bodies: Record<(typeof ITEM_COUNT_TRIGGERS)[number], string> = {
  item_counts_after_insert: upsertDeltas('SELECT batch_id, state, 1 AS d FROM new_items'),
  item_counts_after_update: upsertDeltas(
    `SELECT batch_id, state, 1 AS d FROM new_items
      UNION ALL SELECT batch_id, state, -1 FROM old_items`,
  ),
  item_counts_after_delete: upsertDeltas('SELECT batch_id, state, -1 AS d FROM old_items'),
};

const transitions: Record<(typeof ITEM_COUNT_TRIGGERS)[number], string> = {
  item_counts_after_insert: 'AFTER INSERT ON items REFERENCING NEW TABLE AS new_items',
  item_counts_after_update:
    'AFTER UPDATE ON items REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items',
  item_counts_after_delete: 'AFTER DELETE ON items REFERENCING OLD TABLE AS old_items',
};

export const itemCounts: Migration = {
  version: 5,
  name: 'item counts',
  up(db, dialect) {
    const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
    const table = db.schema
      .createTable('item_counts')
      .addColumn('batch_id', text, (c) => c.notNull().references('batches.id'))
      .addColumn('state', text, (c) => c.notNull())
      .addColumn('n', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('item_counts_pkey', ['batch_id', 'state'] as never[])
      .compile();
    if (dialect === 'sqlite') return [table];
    const raw = (statement: string) => sql.raw(statement).compile(db);
    return [
      table,
      ...ITEM_COUNT_TRIGGERS.flatMap((name) => [
        raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN ${bodies[name]}
    RETURN NULL;
  END $$`),
        raw(`CREATE TRIGGER ${name} ${transitions[name]}
  FOR EACH STATEMENT EXECUTE FUNCTION ${name}()`),
      ]),
      raw(`INSERT INTO item_counts (batch_id, state, n)
  SELECT batch_id, state, count(*) FROM items GROUP BY batch_id, state ORDER BY batch_id, state`),
    ];
  },
};
