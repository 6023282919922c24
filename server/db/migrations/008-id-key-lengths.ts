/**
 * Migration 8: each batch's longest item key (`item_key_lengths.longest`, the most characters of
 * any of its items' `id_key`), kept by PostgreSQL itself, so that the results page's ID search can
 * seek instead of scanning.
 *
 * Why: the search is a case-insensitive substring of `id_key` (pg-store.ts `listItems`, ILIKE
 * '%q%'): a B-tree cannot seek it, and one over a 100,000-ID batch read 100,000 index entries,
 * 104–131 ms at load 9–12 where the target is 100 ms (docs/performance.md). But q can only be part
 * of a key at least as long as q: when no key of the batch is longer than q (a pasted whole ID in a
 * batch of IDs of one length, the common case), the keys that contain q are those equal to it but
 * for the case of ASCII letters, a few range seeks on an index of id_key (like.ts,
 * `caseVariantRanges`). Same rows, same order and total: only how they are found changes.
 *
 * Why triggers, as migration 5's counts: the bound must never be below a key of the batch, whoever
 * inserts items (createBatch today, a write path added later, another console of another version);
 * a bound a write path forgot would silently drop matches. It is only an upper bound: items are
 * never deleted, and one that were would leave it valid.
 * - INSERT: a statement-level trigger with a transition table, one aggregate per statement (a
 *   batch's creation inserts 20,000 rows a statement), raising the batch's row only when the new
 *   keys are longer (`ON CONFLICT … WHERE`).
 * - UPDATE of `id_key` or `batch_id` (no write path does it): a row trigger on those columns only,
 *   so a claim or an outcome (which set neither) does not fire it. A statement trigger with a
 *   transition table cannot name columns and would run on every claim and outcome.
 * What it costs writes: within the noise of a 2-vCPU shared machine for a 100,000-ID createBatch
 * and 200 claims + outcomes (docs/performance.md, bench/pg-id-search.ts).
 *
 * Why not a trigram index (`pg_trgm`, GIN on id_key): measured in the same runs, a 100,000-ID
 * createBatch took 1.5–1.8× as long with it, claims and outcomes 1.1× (every item update adds an
 * index entry per trigram: items' updates are not HOT, `state` being indexed); its posting lists,
 * and so each search, grow with the whole ledger rather than the batch; and `CREATE EXTENSION`
 * needs the contrib package and CREATE on the database (pg_trgm is a trusted extension), which an
 * application role that does not own the database may lack.
 *
 * The migration fills the table from the items already there, in the transaction that creates the
 * triggers (CREATE TRIGGER locks `items` against writes until it commits: nothing is missed); a
 * batch without a row (none here after the fill) is searched by the scan, as before.
 *
 * SQLite: the table is created (one schema for both dialects, as migration 5's `item_counts`) and
 * stays empty: the SQLite ledger's search scans its covering index within the target (34–68 ms at
 * load 9–12 for 100,000 IDs), and row triggers there would add a write per inserted item.
 */
import { sql } from 'kysely';
import type { Migration } from '../migration';

/** `item_key_lengths` as Kysely sees it (PostgreSQL's readers). */
export interface ItemKeyLengthsTable {
  batch_id: string;
  longest: number;
}

/** Raises each batch's `longest` to its longest key in `source` (columns batch_id, id_key). */
const raise = (source: string) => `
    INSERT INTO item_key_lengths AS l (batch_id, longest)
      SELECT batch_id, max(char_length(id_key)) FROM ${source}
       GROUP BY batch_id ORDER BY batch_id
    ON CONFLICT (batch_id) DO UPDATE SET longest = EXCLUDED.longest
      WHERE EXCLUDED.longest > l.longest;`;

export const idKeyLengths: Migration = {
  version: 8,
  name: 'id key lengths',
  up(db, dialect) {
    const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
    const table = db.schema
      .createTable('item_key_lengths')
      .addColumn('batch_id', text, (c) => c.primaryKey().references('batches.id'))
      .addColumn('longest', 'integer', (c) => c.notNull())
      .compile();
    if (dialect === 'sqlite') return [table];
    const raw = (statement: string) => sql.raw(statement).compile(db);
    return [
      table,
      raw(`CREATE FUNCTION item_key_lengths_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN ${raise('new_items')}
    RETURN NULL;
  END $$`),
      raw(`CREATE TRIGGER item_key_lengths_after_insert
  AFTER INSERT ON items REFERENCING NEW TABLE AS new_items
  FOR EACH STATEMENT EXECUTE FUNCTION item_key_lengths_after_insert()`),
      raw(`CREATE FUNCTION item_key_lengths_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN ${raise('(SELECT NEW.batch_id, NEW.id_key) AS t(batch_id, id_key)')}
    RETURN NULL;
  END $$`),
      raw(`CREATE TRIGGER item_key_lengths_after_update
  AFTER UPDATE OF id_key, batch_id ON items FOR EACH ROW
  WHEN (NEW.id_key IS DISTINCT FROM OLD.id_key OR NEW.batch_id IS DISTINCT FROM OLD.batch_id)
  EXECUTE FUNCTION item_key_lengths_after_update()`),
      raw(`INSERT INTO item_key_lengths (batch_id, longest)
  SELECT batch_id, max(char_length(id_key)) FROM items GROUP BY batch_id ORDER BY batch_id`),
    ];
  },
};
