/**
 * Migration 1: the ledger's schema as it was when versioning came (issue 14), for SQLite and
 * PostgreSQL. On SQLite it is exactly the schema ledger.ts created before (its CREATE statements and
 * its upgrade of older shapes; server/db/migrations/001-ledger.test.ts compares the two), so a file
 * written before versioning is recorded as version 1 without running these statements.
 *
 * Once released, a migration never changes: a later change to the schema is a new migration.
 *
 * Representations, the same in both dialects: timestamps are ISO-8601 text (`created_at`…) except
 * `runner_lock.heartbeat_at` (epoch ms); flags are integers 0/1 (`changes_recorded`,
 * `maybe_applied`), so that one query reads and writes them on both. Where the dialects differ:
 * - integers: SQLite's INTEGER; on PostgreSQL `integer` for counts, positions and statuses, and
 *   `bigint` for `batches.n` (an identity, SQLite's AUTOINCREMENT rowid) and epoch ms;
 * - text: on PostgreSQL `collate "C"` (byte order, as SQLite's BINARY): comparisons, MAX() and
 *   uniqueness give the same answers whatever locale the database was created with;
 * - the group-state triggers: SQLite's trigger bodies; on PostgreSQL the same statements in PL/pgSQL
 *   functions called by triggers of the same names.
 */
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { DialectName, Migration } from '../migration';

/** Text columns: byte order on PostgreSQL, as SQLite compares text. */
function text(dialect: DialectName) {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}

/**
 * The tables and their first indexes: what ledger.ts created with `CREATE … IF NOT EXISTS` on every
 * open before versioning (its upgrade of older shapes still does, `ifNotExists`).
 */
export function ledgerTables(
  db: Kysely<unknown>,
  dialect: DialectName,
  ifNotExists = false,
): CompiledQuery[] {
  const t = text(dialect);
  const pg = dialect === 'postgres';
  const table = (name: string) => {
    const b = db.schema.createTable(name);
    return ifNotExists ? b.ifNotExists() : b;
  };
  const index = (name: string) => {
    const b = db.schema.createIndex(name);
    return ifNotExists ? b.ifNotExists() : b;
  };
  return [
    table('batches')
      // Insertion order: the history's order and its page cursor.
      .addColumn('n', pg ? 'bigint' : 'integer', (c) =>
        pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
      )
      .addColumn('id', t, (c) => c.notNull().unique())
      .addColumn('action', t, (c) => c.notNull())
      .addColumn('state', t, (c) => c.notNull())
      .addColumn('state_reason', t)
      .addColumn('workspace_id', t, (c) => c.notNull())
      .addColumn('dataclass_type', t, (c) => c.notNull())
      .addColumn('data_object_id', t, (c) => c.notNull())
      .addColumn('related_dataclass_type', t, (c) => c.notNull())
      .addColumn('reason', t)
      .addColumn('user', t, (c) => c.notNull())
      .addColumn('retry_of', t)
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('duplicates', 'integer', (c) => c.notNull())
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('finished_at', t)
      .addColumn('changes_recorded', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('undo_of', t)
      .addColumn('credential_source', t)
      .addColumn('kind', t, (c) => c.notNull().defaultTo('batch'))
      .addColumn('group_id', t)
      .addColumn('destination_id', t)
      .compile(),
    table('items')
      .addColumn('batch_id', t, (c) => c.notNull().references('batches.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('id', t, (c) => c.notNull())
      .addColumn('id_key', t, (c) => c.notNull())
      .addColumn('state', t, (c) => c.notNull())
      .addColumn('call_id', t)
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      // 1 once a send of this batch may have reached SecMaster and been applied (not a 429 or a
      // connect failure): what tells "this batch's own write did it" from "already so" (settle.ts).
      .addColumn('maybe_applied', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('code', t)
      .addColumn('message', t)
      .addColumn('request_id', t)
      .addColumn('updated_at', t, (c) => c.notNull())
      .addPrimaryKeyConstraint('items_pkey', ['batch_id', 'seq'] as never[])
      .addUniqueConstraint('items_batch_id_id_key_key', ['batch_id', 'id_key'] as never[])
      .compile(),
    index('items_by_state').on('items').columns(['batch_id', 'state', 'seq']).compile(),
    // The ID search scans this covering index (no table reads) in input order: one pass gives both
    // the matching count and the page (docs/performance.md).
    index('items_search').on('items').columns(['batch_id', 'seq', 'id_key']).compile(),
    index('items_by_call')
      .on('items')
      .column('call_id')
      .where(sql.ref('call_id'), 'is not', null)
      .compile(),
    // The history's filters (history-filter.ts): the batches that touched an ID, and a subject's
    // batches. On id_key alone (the few matching rows are read for their batch_id): a narrower index
    // costs a 100,000-ID batch's creation about half as much as (id_key, batch_id) did
    // (docs/performance.md).
    index('items_by_id_key').on('items').column('id_key').compile(),
    index('batches_by_subject').on('batches').column('data_object_id').compile(),
    table('calls')
      .addColumn('call_id', t, (c) => c.primaryKey())
      .addColumn('batch_id', t, (c) => c.notNull().references('batches.id'))
      .addColumn('chunk_no', 'integer', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('ids_json', t, (c) => c.notNull())
      .addColumn('state', t, (c) => c.notNull())
      .addColumn('sent_at', t, (c) => c.notNull())
      .addColumn('http_status', 'integer')
      .addColumn('request_id', t)
      .addColumn('error_code', t)
      .addColumn('finished_at', t)
      .compile(),
    index('calls_by_batch').on('calls').columns(['batch_id', 'chunk_no']).compile(),
    table('idempotency_keys')
      .addColumn('user', t, (c) => c.notNull())
      .addColumn('key', t, (c) => c.notNull())
      .addColumn('body_sha256', t, (c) => c.notNull())
      .addColumn('batch_id', t, (c) => c.notNull())
      .addColumn('created_at', t, (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pkey', ['user', 'key'] as never[])
      .compile(),
    index('idempotency_keys_by_age').on('idempotency_keys').column('created_at').compile(),
    // Who holds the DATA_DIR (information for people and for a refused second server).
    table('runner_lock')
      .addColumn('one', 'integer', (c) => c.primaryKey().check(sql`one = 1`))
      .addColumn('token', t, (c) => c.notNull())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('host', t, (c) => c.notNull())
      .addColumn('heartbeat_at', pg ? 'bigint' : 'integer', (c) => c.notNull())
      .compile(),
  ];
}

/** The names of the group-state triggers (the same on both dialects). */
export const GROUP_TRIGGERS = [
  'group_running_after_insert',
  'group_state_after_insert',
  'group_state_after_update',
] as const;

/** A move waits for its second phase unless its first was interrupted (then it waits to be resumed). */
export const MOVE_WAITS_UNLESS_INTERRUPTED = `NOT EXISTS (SELECT 1 FROM batches c
          WHERE c.group_id = batches.id AND c.state = 'interrupted')`;

/**
 * A group's state, derived from its children's by the database itself (the runner and the
 * per-batch rules change a child's state without knowing about groups): running while a child runs,
 * paused while one is paused, running while a move waits for its second phase (fewer than two
 * children, the first not interrupted: an interrupted first phase waits to be resumed), then the
 * worst terminal state (interrupted > cancelled > done), with the reason of the first child in that
 * state and the last child's finished_at.
 */
const groupStateBody = `
  UPDATE batches SET state = CASE
      WHEN EXISTS (SELECT 1 FROM batches c WHERE c.group_id = batches.id AND c.state = 'running')
        THEN 'running'
      WHEN EXISTS (SELECT 1 FROM batches c WHERE c.group_id = batches.id AND c.state = 'paused')
        THEN 'paused'
      WHEN batches.kind = 'move' AND (SELECT COUNT(*) FROM batches c WHERE c.group_id = batches.id) < 2
        AND ${MOVE_WAITS_UNLESS_INTERRUPTED}
        THEN 'running'
      WHEN EXISTS (SELECT 1 FROM batches c WHERE c.group_id = batches.id AND c.state = 'interrupted')
        THEN 'interrupted'
      WHEN EXISTS (SELECT 1 FROM batches c WHERE c.group_id = batches.id AND c.state = 'cancelled')
        THEN 'cancelled'
      ELSE 'done' END
    WHERE id = NEW.group_id;
  UPDATE batches SET
      state_reason = CASE WHEN state = 'running' THEN NULL ELSE (SELECT c.state_reason FROM batches c
        WHERE c.group_id = batches.id AND c.state = batches.state AND c.state_reason IS NOT NULL
        ORDER BY c.n LIMIT 1) END,
      finished_at = CASE WHEN state IN ('running', 'paused') THEN NULL
        ELSE (SELECT MAX(c.finished_at) FROM batches c WHERE c.group_id = batches.id) END
    WHERE id = NEW.group_id;`;
const groupRunningBody = `
    UPDATE batches SET state = 'running', state_reason = NULL, finished_at = NULL
      WHERE id = NEW.group_id AND state <> 'running';`;

/**
 * A group's children (two partial indexes) and the triggers that keep its state. On SQLite,
 * `ifNotExists` gives the statements ledger.ts's upgrade of older shapes runs.
 */
export function groupSchema(
  db: Kysely<unknown>,
  dialect: DialectName,
  ifNotExists = false,
): CompiledQuery[] {
  const index = (name: string) => {
    const b = db.schema.createIndex(name);
    return ifNotExists ? b.ifNotExists() : b;
  };
  const indexes = [
    index('batches_by_group')
      .on('batches')
      .columns(['group_id', 'n'])
      .where(sql.ref('group_id'), 'is not', null)
      .compile(),
    // The triggers' "is a child running / paused / …" and "its first child in that state" are seeks
    // on this index: by (group_id, n) alone each child's update read its siblings' rows, so a group
    // of 1,000 children cost O(children^2) row reads over its run (docs/performance.md).
    index('batches_by_group_state')
      .on('batches')
      .columns(['group_id', 'state', 'n'])
      .where(sql.ref('group_id'), 'is not', null)
      .compile(),
  ];
  const raw = (statement: string) => sql.raw(statement).compile(db);
  if (dialect === 'sqlite') {
    const create = `CREATE TRIGGER${ifNotExists ? ' IF NOT EXISTS' : ''}`;
    return [
      ...indexes,
      raw(`${create} group_running_after_insert AFTER INSERT ON batches
  WHEN NEW.group_id IS NOT NULL AND NEW.state = 'running' BEGIN${groupRunningBody}
  END`),
      raw(`${create} group_state_after_insert AFTER INSERT ON batches
  WHEN NEW.group_id IS NOT NULL AND NEW.state <> 'running' BEGIN ${groupStateBody} END`),
      raw(`${create} group_state_after_update AFTER UPDATE OF state ON batches
  WHEN NEW.group_id IS NOT NULL BEGIN ${groupStateBody} END`),
    ];
  }
  // PostgreSQL runs AFTER … FOR EACH ROW triggers at the end of the statement rather than after each
  // row; each run derives the group's state from all its children, so the result is the same. The
  // parent's own update does not fire them again: a group row has no group_id.
  return [
    ...indexes,
    raw(`CREATE FUNCTION group_running_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN${groupRunningBody}
    RETURN NULL;
  END $$`),
    raw(`CREATE FUNCTION group_state_from_children() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN ${groupStateBody}
    RETURN NULL;
  END $$`),
    raw(`CREATE TRIGGER group_running_after_insert AFTER INSERT ON batches FOR EACH ROW
  WHEN (NEW.group_id IS NOT NULL AND NEW.state = 'running')
  EXECUTE FUNCTION group_running_after_insert()`),
    raw(`CREATE TRIGGER group_state_after_insert AFTER INSERT ON batches FOR EACH ROW
  WHEN (NEW.group_id IS NOT NULL AND NEW.state <> 'running')
  EXECUTE FUNCTION group_state_from_children()`),
    raw(`CREATE TRIGGER group_state_after_update AFTER UPDATE OF state ON batches FOR EACH ROW
  WHEN (NEW.group_id IS NOT NULL)
  EXECUTE FUNCTION group_state_from_children()`),
  ];
}

/** "Undone by": the first batch whose undo_of is this one. */
export function undoIndex(db: Kysely<unknown>, ifNotExists = false): CompiledQuery {
  const b = db.schema.createIndex('batches_by_undo_of');
  return (ifNotExists ? b.ifNotExists() : b)
    .on('batches')
    .columns(['undo_of', 'n'])
    .where(sql.ref('undo_of'), 'is not', null)
    .compile();
}

export const ledger: Migration = {
  version: 1,
  name: 'ledger',
  up: (db, dialect) => [...ledgerTables(db, dialect), ...groupSchema(db, dialect), undoIndex(db)],
};
