/**
 * The batch ledger: one SQLite file, the audit trail of every batch and every ID's outcome.
 * better-sqlite3 is synchronous: every transaction below is short and never awaits
 * (a write lock held across a network call would stall every other batch). The runner's network
 * calls sit between two transactions.
 */
import Database from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { migrateSqlite, refuseNewerSqlite } from '../db/migrate';
import { compilerFor } from '../db/migration';
import { migrations } from '../db/migrations';
import {
  GROUP_TRIGGERS,
  MOVE_WAITS_UNLESS_INTERRUPTED,
  groupSchema,
  ledgerTables,
  undoIndex,
} from '../db/migrations/001-ledger';
import { damagedOnOpen } from '../integrity';
import { StorageHealth } from './storage-health';
import { walSyncer, type WalSyncOptions, type WalSyncer } from './wal-sync';
import { historyWhere, type HistoryColumns, type HistoryFilter } from './history-filter';
import {
  batchItemSchema,
  batchActionSchema,
  batchStateSchema,
  dataclassTypeSchema,
  itemStateSchema,
  itemStates,
  type BatchAction,
  type BatchItem,
  type BatchState,
  type BatchSummary,
  type DataclassType,
  emptyItemCounts,
  type ItemCounts,
  type ItemState,
} from '../../src/api/schemas';
import { escapeLike } from '../db/like';

export type LedgerDb = Database.Database;

/** Heartbeat period of the DATA_DIR holder row (what another server's refusal reports as its age). */
export const HEARTBEAT_MS = 5_000;

export const MSG_SKIPPED_BY_USER = 'stopped by the user before it was sent';
export const MSG_CONFIRMED = 'confirmed by re-read';
export const MSG_UNKNOWN_RECHECK = 'Outcome unknown — re-check';

export interface NewBatch {
  action: BatchAction;
  workspace_id: string;
  dataclass_type: DataclassType;
  data_object_id: string;
  related_dataclass_type: DataclassType;
  reason: string | null;
  user: string;
  retry_of: string | null;
  /** The batch this one reverts (an undo); none by default. */
  undo_of?: string | null;
  /** `batch` (default), or a group: `pairs`, `move` (groups.ts). */
  kind?: BatchKind;
  /** A child batch's group; none (a top-level row) by default. */
  group_id?: string | null;
  /** A move's destination subject (its `data_object_id` is the source). */
  destination_id?: string | null;
  /** A group's `total` (its distinct pairs or IDs); by default, the number of items. */
  total?: number;
  /**
   * Where the credential it runs on comes from (`env-aksk`, `env-token`, `session:<user>`,
   * `none`); unrecorded by default.
   */
  credential_source?: string | null;
  /**
   * The IAM session it runs on, by its key in the shared session store (`SessionStore.storedKey`:
   * the SHA-256 of its ID, never the ID or the token); null (default) for none, or sessions that
   * live in one process's memory.
   */
  credential_session?: string | null;
  duplicates: number;
  /** Distinct IDs in input order; `invalid` ones carry their message and are never sent. */
  items: readonly {
    id: string;
    idKey: string;
    state: 'pending' | 'invalid';
    message: string | null;
  }[];
}

export interface ItemsQuery {
  state?: ItemState | undefined;
  q?: string | undefined;
  offset: number;
  limit: number;
}

export interface ItemOutcome {
  id: string;
  state: 'succeeded' | 'failed' | 'unknown';
  code: string | null;
  message: string | null;
}

export interface ClaimedCall {
  callId: string;
  chunkNo: number;
  ids: string[];
}

/** A pending item as the runner reads it before claiming it. */
export interface PendingRow {
  seq: number;
  id: string;
  /** Sends so far (an ID put back to pending after a refused or unknown send). */
  attempts: number;
  /**
   * A send of this batch may have been applied (its outcome was unknown, or it was answered 5xx):
   * false when every send so far was refused before being applied (429, connect failure, 401).
   */
  mayBeApplied: boolean;
}

/**
 * A pending item settled without being sent now: `unchanged` (the pre-read found it already so),
 * `succeeded` (already so after an earlier send of this batch) or `failed` (the read refused).
 */
export interface SettledRow {
  seq: number;
  state: 'unchanged' | 'succeeded' | 'failed';
  code: string;
  message: string;
}

/** A row of `batches`: an ordinary batch, or a group of batches (groups.ts). */
export const batchKinds = ['batch', 'pairs', 'move'] as const;
export type BatchKind = (typeof batchKinds)[number];

/** A row of `batches` as read (both stores parse it so). */
export const batchRowSchema = z.object({
  id: z.string(),
  action: batchActionSchema,
  state: batchStateSchema,
  state_reason: z.string().nullable(),
  workspace_id: z.string(),
  dataclass_type: dataclassTypeSchema,
  data_object_id: z.string(),
  related_dataclass_type: dataclassTypeSchema,
  reason: z.string().nullable(),
  user: z.string(),
  retry_of: z.string().nullable(),
  total: z.number(),
  duplicates: z.number(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  changes_recorded: z.number().transform((n) => n !== 0),
  undo_of: z.string().nullable(),
  credential_source: z.string().nullable(),
  kind: z.enum(batchKinds),
  group_id: z.string().nullable(),
  destination_id: z.string().nullable(),
});

/** An item row as the API shows it: exactly the wire contract. */
const itemRowSchema = batchItemSchema;

const countRowSchema = z.object({ state: itemStateSchema, n: z.number() });
const totalRowSchema = z.object({ n: z.number() });
const pendingRowSchema = z.object({ seq: z.number(), id: z.string() });
const idRowSchema = z.object({ id: z.string() });

export const UNKNOWN_AFTER_CRASH =
  'outcome unknown: the server stopped while this call was in flight';
export const UNKNOWN_NOT_RECORDED =
  'outcome unknown: the ledger could not record the answer to this call';

/**
 * The SQLite result code of a ledger failure (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`, …), or null when
 * the error did not come from SQLite.
 */
/**
 * A call's outcomes grouped by (state, code, message), for one statement per distinct outcome
 * (usually one per call): the first outcome of an ID wins, as when each was applied in turn (a
 * settled row is no longer in_flight).
 */
export function groupOutcomes(
  outcomes: readonly ItemOutcome[],
): Iterable<{ o: ItemOutcome; ids: string[] }> {
  const groups = new Map<string, { o: ItemOutcome; ids: string[] }>();
  const seen = new Set<string>();
  for (const o of outcomes) {
    if (seen.has(o.id)) continue;
    seen.add(o.id);
    const key = JSON.stringify([o.state, o.code, o.message]);
    const g = groups.get(key);
    if (g) g.ids.push(o.id);
    else groups.set(key, { o, ids: [o.id] });
  }
  return groups.values();
}

export function sqliteErrorCode(err: unknown): string | null {
  return err instanceof Database.SqliteError ? err.code : null;
}

/** A batch as the ledger holds it: the summary, the batch it undoes and its credential source. */
export type BatchRecord = BatchSummary & {
  undo_of: string | null;
  credential_source: string | null;
  kind: BatchKind;
  /** A child batch's group, or null (a top-level row). */
  group_id: string | null;
  /** A move's destination subject, else null. */
  destination_id: string | null;
};

export interface Ledger {
  readonly db: LedgerDb;
  createBatch(input: NewBatch): BatchRecord;
  /**
   * A group row and its children (each an ordinary batch of the group, with its items) in one
   * transaction (a savepoint inside a caller's), as createBatch would write them one by one, without
   * reading each back; returns the group row.
   */
  createGroup(group: NewBatch, children: readonly Omit<NewBatch, 'group_id'>[]): BatchRecord;
  getBatch(id: string): BatchRecord | null;
  /** The (first) batch whose `undo_of` is `batchId`, or null: a batch is undone once. */
  undoneBy(batchId: string): string | null;
  /**
   * Records where the credential a batch now runs on comes from (a resume by another caller), and
   * which IAM session it is, by its stored key (`credential_session`; null: none, or a session
   * only this process knows). Both are replaced: a batch resumed on the environment's credential
   * no longer names the session it ran on before.
   */
  setCredentialSource(batchId: string, source: string, session?: string | null): void;
  /** Where a batch's credential comes from, or null (unrecorded, or no such batch): one row read. */
  credentialSourceOf(batchId: string): string | null;
  /**
   * The stored key of the IAM session a batch runs on (`credential_session`), or null (none
   * recorded, or no such batch): one row read.
   */
  credentialSessionOf(batchId: string): string | null;
  /**
   * A page of the history: top-level rows (batches and groups, not a group's children), newest
   * first, and how many rows match `filter` (default: all).
   */
  listBatches(
    offset: number,
    limit: number,
    filter?: HistoryFilter,
  ): { items: BatchRecord[]; total: number };
  listItems(batchId: string, query: ItemsQuery): { items: BatchItem[]; total: number };
  counts(batchId: string): ItemCounts;
  /**
   * T1 (intent): claims up to `max` pending IDs in input order, records the call, marks them
   * in_flight. Like every intent (claimPreRead, retryCall), committed without waiting for the disk:
   * the call may be sent only once `durable()` has resolved after it.
   */
  claimChunk(batchId: string, max: number): ClaimedCall | null;
  /** Up to `max` pending items after `afterSeq`, in input order (read only: nothing is claimed). */
  peekPending(batchId: string, afterSeq: number, max: number): PendingRow[];
  /**
   * T1 after a pre-read (one transaction, only while the batch runs): `settle` rows become
   * `unchanged` or `failed` (never sent), and `send` rows are claimed as one call (in_flight). Every
   * row must still be pending. Null when the batch is not running (nothing written); `call` is null
   * when there was nothing to send.
   */
  claimPreRead(
    batchId: string,
    send: readonly PendingRow[],
    settle: readonly SettledRow[],
  ): { call: ClaimedCall | null } | null;
  /**
   * A first call of its IDs whose intent was committed but which is not sent (the flush that would
   * make its intent durable failed, or the batch was paused, cancelled or stopped while its worker
   * waited for a slot to send it): its IDs go back to pending (skipped when the batch was
   * cancelled), the send they were claimed for uncounted (`attempts`); the call row says
   * `withdrawn`. Only a call still `sent`; one transaction; returns the items changed.
   */
  withdrawCall(callId: string): number;
  /**
   * Resolves once every commit made before this call is on disk. Intents (claimChunk,
   * claimPreRead, retryCall) and grouped outcomes commit without waiting for the disk: the ledger's
   * write-ahead log is flushed off the event loop (wal-sync.ts), one flush shared by the commits made
   * meanwhile. Rejects when the flush fails, and from then on always (the reason is in `health`):
   * nothing may be sent on such an intent. From then on every write is refused with that failure
   * too, but a batch's interruption and a call's withdrawal, until the server restarts (wal-sync.ts,
   * "After a failed flush"). Resolves at once for a ledger not kept in a WAL file.
   */
  durable(): Promise<void>;
  /**
   * Re-sends a call's IDs under a new call_id (a retry); returns null if the call was superseded.
   * `mayBeApplied`: the send being retried may have been applied (a 5xx), so the IDs keep that
   * even if the retry is then refused and they go back to pending.
   */
  retryCall(callId: string, mayBeApplied: boolean): ClaimedCall | null;
  /** T2 (outcome), fenced by call_id: rows of a superseded call are untouched. Returns rows changed. */
  recordOutcome(
    callId: string,
    outcomes: readonly ItemOutcome[],
    meta: { httpStatus: number | null; requestId: string | null; errorCode: string | null },
  ): number;
  /**
   * T2 grouped with the ledger's next write (group commit): the outcome waits in memory and is
   * committed at the start of the next write transaction of this ledger (usually another call's
   * intent), or on its own once this turn of the event loop ends (setImmediate), whichever comes
   * first; queued outcomes are applied in order, before that write. Resolves with the rows changed
   * once committed and on disk (that commit does not wait for the disk: see `durable`); rejects if
   * that commit or its flush failed. Until then the call's items stay `in_flight` in
   * the file: a crash meanwhile leaves them for the re-read, as a crash during the call does.
   * `finish`: in the same transaction, the batch becomes `done` if it is running and no item is
   * left pending, in flight or unknown (what finishIfDrained would do next, one commit earlier).
   */
  queueOutcome(
    callId: string,
    outcomes: readonly ItemOutcome[],
    meta: { httpStatus: number | null; requestId: string | null; errorCode: string | null },
    opts?: {
      finish?: boolean;
      /**
       * While this says another write is coming, the outcome waits for it past the end of its
       * turn, at most `holdMs` (when every queued outcome may wait; a commit that happens anyway
       * takes them all).
       */
      holdWhile?: () => boolean;
      holdMs?: number;
    },
  ): Promise<number>;
  /**
   * Whether this call's IDs are all its batch has left: nothing else pending, in flight or unknown
   * (read only).
   */
  isLastCall(callId: string): boolean;
  /** Puts a call's in_flight IDs back to pending (the call was refused before being applied). */
  releaseCall(
    callId: string,
    meta: { httpStatus: number | null; requestId: string | null; errorCode: string | null },
  ): number;
  getBatchState(batchId: string): BatchState | null;
  /** The group a batch belongs to (null: none, or no such batch). */
  groupOf(batchId: string): string | null;
  /** Marks the batch done when nothing is pending or in flight; returns true if it did. */
  finishIfDrained(batchId: string): boolean;
  /**
   * Startup: every in_flight item (a crash mid-call) becomes unknown; returns the running batches
   * (kind `batch`: a group row is never run).
   */
  recoverAfterCrash(): string[];
  /** The batches recorded as running, oldest first (read only). */
  runningBatchIds(): string[];
  /**
   * Cancelled batches that still hold `unknown` items (calls in flight when they were cancelled,
   * whose outcome a crash lost): only a re-read can settle them, since nothing more is sent.
   */
  cancelledWithUnknown(): string[];
  /**
   * Before a batch (re)starts in this process: its in_flight items, whose call is no longer awaited
   * (the outcome could not be recorded), become unknown (UNKNOWN_NOT_RECORDED) and its open calls
   * `unknown`. Returns the items changed.
   */
  strandInFlight(batchId: string): number;
  /**
   * Changes the batch state only if it is currently one of `from` (atomic); returns true if it did.
   * `paused`/`running` keep finished_at null; terminal states set it.
   */
  transitionBatch(
    batchId: string,
    from: readonly BatchState[],
    to: BatchState,
    reason: string | null,
  ): boolean;
  /** User stop: running/paused/interrupted → cancelled, pending IDs → skipped, in one transaction. */
  cancelBatch(batchId: string): boolean;
  /** Reason shown while the batch is running but waiting (retry budget empty); null clears it. */
  setStateReason(batchId: string, reason: string | null): void;
  /** IDs of the batch's `unknown` items, in input order (at most `max`, after `afterSeq`). */
  unknownIds(batchId: string, max: number, afterSeq?: number): { seq: number; id: string }[];
  /**
   * Settles `unknown` items from a re-read: `succeeded` ones are confirmed, `resend` ones go back to
   * pending (skipped when the batch was cancelled), `failed` ones fail with the given code/message.
   * Only rows still `unknown` change. Returns rows changed.
   */
  settleUnknown(
    batchId: string,
    settle: {
      succeeded: readonly string[];
      resend: readonly string[];
      failed: readonly { id: string; code: string | null; message: string | null }[];
    },
  ): number;
  /** Re-read impossible for now: the message says so (state stays unknown). */
  markUnknownUnsettled(batchId: string, ids: readonly string[]): number;
  /**
   * Items of the batch at these seqs, in the order asked (a seq asked twice listed twice, one not
   * in the batch left out): each one primary-key read. (By seq, not by ID: no index leads with
   * (batch_id, id), and a lookup by ID read every row of the batch, 1.9 s for 100 IDs of a
   * 100,000-ID batch on SQLite, the event loop held.)
   */
  listItemsBySeqs(batchId: string, seqs: readonly number[]): BatchItem[];
  /**
   * Writes the `runner_lock` row: this process (pid, host) and the time, under `token`. Information
   * for people and for a refused second server only: the DATA_DIR lock (data-dir-lock.ts) decides
   * which server runs batches, never this row.
   */
  writeHolder(token: string): void;
  /** Removes the `runner_lock` row if it is still `token`'s (clean shutdown). */
  dropHolder(token: string): void;
  /**
   * Runs `write` without waiting for another process's write lock on the file (SQLITE_BUSY at once
   * instead of after busy_timeout): heartbeats and probes must not stall the event loop for 5 s.
   * A store call made in `write` that the ledger's gate defers runs in a `noWait` of its own
   * (store.ts `sqliteStore`, `noWaiting`).
   */
  noWait<T>(write: () => T): T;
  /** Whether a `noWait` is under way now: a write started now would not wait for the lock. */
  noWaiting(): boolean;
  /**
   * A caller's own transaction on this ledger's connection has just ended (server/db/
   * service-stores.ts: BEGIN … COMMIT spanning awaits). The commit of queued outcomes skips while a
   * transaction is open (it could still be rolled back after they were told): one that came due
   * meanwhile is scheduled again, for the end of this turn, instead of waiting for the next write.
   */
  afterTransaction(): void;
  /** Problems met writing this ledger and its DATA_DIR, reported by /api/health. */
  readonly health: StorageHealth;
  ping(): boolean;
  close(): void;
}

/**
 * Brings a ledger file written by an older console up to this schema:
 * - batches recorded before the runner read each call's IDs first get `changes_recorded = 0`:
 *   their `succeeded` IDs may include IDs that were already in the asked state;
 * - the undo links and credential sources, once kept in tables of their own (`batch_undos`,
 *   `batch_credentials`), become the batches' `undo_of` and `credential_source` columns, in the
 *   same transaction that drops those tables (a crash leaves either the old shape or the new);
 * - items get `maybe_applied`; an open item (pending, in_flight, unknown) already sent keeps the
 *   rule it was recorded under (sent before: possibly applied), since the file does not say whether
 *   those sends were refused.
 * First the tables and indexes a file lacks (`ledgerTables` with IF NOT EXISTS, as the console
 * created them on every open before versioning).
 *
 * This upgrade runs on every open of a file that holds the ledger's tables, not only on files that
 * record no version: it writes nothing to a file already in migration 1's shape, and a file edited
 * into an older shape (the tests build them so from new files) gets the same upgrade as before. It
 * checks and makes only objects of migration 1: a later migration that changes or drops one of them
 * must limit this upgrade to the files below its version.
 */
function upgradeOlderShapes(db: LedgerDb): void {
  const sqlite = compilerFor('sqlite');
  const run = (statements: readonly CompiledQuery[]) => {
    for (const q of statements) db.prepare(q.sql).run(...q.parameters);
  };
  run(ledgerTables(sqlite, 'sqlite', true));
  const columnsOf = (table: string) =>
    z
      .array(z.object({ name: z.string() }))
      .parse(db.prepare(`PRAGMA table_info(${table})`).all())
      .map((c) => c.name);
  const names = (sql: string) => new Set(z.array(z.string()).parse(db.prepare(sql).pluck().all()));
  const tables = names(`SELECT name FROM sqlite_master WHERE type = 'table'`);
  const indexes = names(`SELECT name FROM sqlite_master WHERE type = 'index'`);
  const columns = columnsOf('batches');
  const itemsMissing = !columnsOf('items').includes('maybe_applied');
  const missing = [
    'changes_recorded',
    'undo_of',
    'credential_source',
    'kind',
    'group_id',
    'destination_id',
  ].filter((c) => !columns.includes(c));
  const sideTables = ['batch_undos', 'batch_credentials'].filter((t) => tables.has(t));
  const triggers = names(`SELECT name FROM sqlite_master WHERE type = 'trigger'`);
  // Group-state triggers written before an interrupted first phase made its move interrupted.
  const staleTriggers = z.array(z.string()).parse(
    db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'group_state_%'
             AND instr(sql, ?) = 0`,
      )
      .pluck()
      .all(MOVE_WAITS_UNLESS_INTERRUPTED),
  );
  // A file already in this shape is opened without taking the write lock: another process may
  // hold it (the start-up then waits in the runner's recovery rather than failing here).
  if (
    missing.length === 0 &&
    !itemsMissing &&
    sideTables.length === 0 &&
    indexes.has('batches_by_undo_of') &&
    indexes.has('batches_by_group') &&
    indexes.has('batches_by_group_state') &&
    GROUP_TRIGGERS.every((t) => triggers.has(t)) &&
    staleTriggers.length === 0
  )
    return;
  db.transaction(() => {
    // Rows written before groups existed are ordinary, top-level batches.
    if (missing.includes('kind'))
      db.exec(`ALTER TABLE batches ADD COLUMN kind TEXT NOT NULL DEFAULT 'batch'`);
    if (missing.includes('group_id')) db.exec(`ALTER TABLE batches ADD COLUMN group_id TEXT`);
    if (missing.includes('destination_id'))
      db.exec(`ALTER TABLE batches ADD COLUMN destination_id TEXT`);
    for (const t of staleTriggers) db.exec(`DROP TRIGGER IF EXISTS ${t}`);
    run(groupSchema(sqlite, 'sqlite', true));
    if (missing.includes('changes_recorded')) {
      db.exec(`ALTER TABLE batches ADD COLUMN changes_recorded INTEGER NOT NULL DEFAULT 0`);
    }
    if (missing.includes('undo_of')) db.exec(`ALTER TABLE batches ADD COLUMN undo_of TEXT`);
    if (itemsMissing) {
      db.exec(`ALTER TABLE items ADD COLUMN maybe_applied INTEGER NOT NULL DEFAULT 0;
               UPDATE items SET maybe_applied = 1
                 WHERE attempts > 0 AND state IN ('pending', 'in_flight', 'unknown');`);
    }
    if (missing.includes('credential_source')) {
      db.exec(`ALTER TABLE batches ADD COLUMN credential_source TEXT`);
    }
    if (sideTables.includes('batch_undos')) {
      db.exec(`UPDATE batches SET undo_of = (SELECT u.undo_of FROM batch_undos u WHERE u.batch_id = batches.id)
               WHERE undo_of IS NULL AND id IN (SELECT batch_id FROM batch_undos);
               DROP TABLE batch_undos;`);
    }
    if (sideTables.includes('batch_credentials')) {
      db.exec(`UPDATE batches SET credential_source =
                 (SELECT c.source FROM batch_credentials c WHERE c.batch_id = batches.id)
               WHERE credential_source IS NULL AND id IN (SELECT batch_id FROM batch_credentials);
               DROP TABLE batch_credentials;`);
    }
    // "Undone by": the first batch whose undo_of is this one.
    run([undoIndex(sqlite, true)]);
  }).immediate();
}

/**
 * Brings the file to the latest schema (server/db/migrations). A file written by a newer console is
 * refused first, untouched (SchemaTooNewError, naming the file and both versions). A file holding
 * the ledger's tables goes through the upgrade of older shapes; one written before versioning is
 * then recorded as version 1 (the schema migration 1 makes), without running migration 1. Then the migrations it lacks, each in a
 * transaction with its record. A file already at the latest version is only read.
 */
function bringToSchema(db: LedgerDb, file: string): void {
  const where = file === ':memory:' ? undefined : resolve(file);
  refuseNewerSqlite(db, migrations, where);
  // Any of migration 1's tables: a file the console wrote before versioning.
  const existing =
    db
      .prepare(
        `SELECT 1 FROM sqlite_master WHERE type = 'table'
           AND name IN ('batches', 'items', 'calls', 'idempotency_keys', 'runner_lock')`,
      )
      .get() !== undefined;
  if (existing) upgradeOlderShapes(db);
  migrateSqlite(db, migrations, { baseline: existing ? 1 : 0, where });
}

/**
 * Opens the file and brings it to this schema. A damaged file (SQLITE_CORRUPT, SQLITE_NOTADB)
 * throws DamagedDatabaseError, which names the file and what to do.
 */
function openLedgerDb(file: string): LedgerDb {
  let db: LedgerDb | null = null;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    bringToSchema(db, file);
    return db;
  } catch (error) {
    db?.close();
    throw damagedOnOpen(error, file, 'ledger');
  }
}

export function openLedger(
  file: string,
  opts: {
    now?: () => Date;
    /** How the write-ahead log is flushed (tests inject faults and watch flushes here). */
    datasync?: WalSyncOptions['datasync'];
  } = {},
): Ledger {
  const db = openLedgerDb(file);
  /**
   * Flushes the write-ahead log off the event loop, for the commits that do not wait for the disk
   * (`lazily` below). None for a ledger not kept in a WAL file (`:memory:`): every commit is then
   * as it was (synchronous = FULL, for what that is worth there).
   */
  const syncer: WalSyncer | null =
    db.memory || db.pragma('journal_mode', { simple: true }) !== 'wal'
      ? null
      : walSyncer(`${db.name}-wal`, opts.datasync ? { datasync: opts.datasync } : {});
  const commitsLazily = db.prepare('PRAGMA synchronous = NORMAL');
  const commitsDurably = db.prepare('PRAGMA synchronous = FULL');
  const now = () => (opts.now ?? (() => new Date()))().toISOString();

  const insertBatch = db.prepare(
    `INSERT INTO batches (id, action, state, state_reason, workspace_id, dataclass_type, data_object_id,
       related_dataclass_type, reason, user, retry_of, total, duplicates, created_at, finished_at,
       changes_recorded, undo_of, credential_source, credential_session, kind, group_id, destination_id)
     VALUES (@id, @action, @state, NULL, @workspace_id, @dataclass_type, @data_object_id,
       @related_dataclass_type, @reason, @user, @retry_of, @total, @duplicates, @created_at, @finished_at, 1,
       @undo_of, @credential_source, @credential_session, @kind, @group_id, @destination_id)`,
  );
  const insertItem = db.prepare(
    `INSERT INTO items (batch_id, seq, id, id_key, state, message, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectBatch = db.prepare(
    `SELECT id, action, state, state_reason, workspace_id, dataclass_type, data_object_id, related_dataclass_type,
       reason, user, retry_of, total, duplicates, created_at, finished_at, changes_recorded, undo_of, credential_source,
       kind, group_id, destination_id
       FROM batches WHERE id = ?`,
  );
  // The history (history-filter.ts): the optional columns its filters use (groups, contract A).
  const columnNames = new Set(
    z
      .array(z.object({ name: z.string() }))
      .parse(db.prepare(`PRAGMA table_info(batches)`).all())
      .map((c) => c.name),
  );
  const historyColumns: HistoryColumns = {
    kind: columnNames.has('kind'),
    groupId: columnNames.has('group_id'),
    destinationId: columnNames.has('destination_id'),
  };
  const batchColumns = [
    `b.id, b.action, b.state, b.state_reason, b.workspace_id, b.dataclass_type, b.data_object_id,
     b.related_dataclass_type, b.reason, b.user, b.retry_of, b.total, b.duplicates, b.created_at,
     b.finished_at, b.changes_recorded, b.undo_of, b.credential_source`,
    ...(historyColumns.kind ? ['b.kind'] : []),
    ...(historyColumns.groupId ? ['b.group_id'] : []),
    ...(historyColumns.destinationId ? ['b.destination_id'] : []),
  ].join(', ');
  const selectBatchPage = db.prepare(
    `SELECT ${batchColumns} FROM batches b ${historyWhere({}, historyColumns).where}
     ORDER BY b.n DESC LIMIT ? OFFSET ?`,
  );
  const countBatches = db.prepare(
    `SELECT COUNT(*) AS n FROM batches b ${historyWhere({}, historyColumns).where}`,
  );
  const selectBatchByN = db.prepare(`SELECT ${batchColumns} FROM batches b WHERE b.n = ?`);
  /** The `n` of every row matching a filter, newest first: one statement per shape of filter. */
  const historyMatches = new Map<string, Database.Statement>();
  function historyMatchesFor(where: string): Database.Statement {
    let s = historyMatches.get(where);
    if (!s) {
      s = db.prepare(`SELECT b.n FROM batches b ${where} ORDER BY b.n DESC`).pluck();
      historyMatches.set(where, s);
    }
    return s;
  }
  const selectUndoneBy = db
    .prepare(`SELECT id FROM batches WHERE undo_of = ? ORDER BY n LIMIT 1`)
    .pluck();
  const updateCredentialSource = db.prepare(
    `UPDATE batches SET credential_source = ?, credential_session = ? WHERE id = ?`,
  );
  const selectCredentialSource = db
    .prepare(`SELECT credential_source FROM batches WHERE id = ?`)
    .pluck();
  const selectCredentialSession = db
    .prepare(`SELECT credential_session FROM batches WHERE id = ?`)
    .pluck();
  const selectCounts = db.prepare(
    `SELECT state, COUNT(*) AS n FROM items WHERE batch_id = ? GROUP BY state`,
  );
  const selectChildIds = db.prepare(`SELECT id FROM batches WHERE group_id = ? ORDER BY n`).pluck();
  const selectPending = db
    .prepare(
      `SELECT seq, id FROM items WHERE batch_id = ? AND state = 'pending' ORDER BY seq LIMIT ?`,
    )
    .raw();
  // Raw rows, checked by hand: a pairs run reads 100,000 of them, and a schema parse per row was a
  // third of this read's time.
  const selectPendingAfter = db
    .prepare(
      `SELECT seq, id, attempts, maybe_applied FROM items WHERE batch_id = ? AND state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`,
    )
    .raw();
  function peekRow(row: unknown[]): PendingRow {
    const [seq, id, attempts, maybeApplied] = row;
    if (
      typeof seq !== 'number' ||
      typeof id !== 'string' ||
      typeof attempts !== 'number' ||
      typeof maybeApplied !== 'number'
    )
      throw new Error('ledger: malformed pending row');
    return { seq, id, attempts, mayBeApplied: maybeApplied !== 0 };
  }
  // Seeks items_by_state: does the batch have anything in flight?
  const anyInFlight = db
    .prepare(`SELECT EXISTS (SELECT 1 FROM items WHERE batch_id = ? AND state = 'in_flight')`)
    .pluck();
  const markSeqsInFlight = db.prepare(
    `UPDATE items SET state = 'in_flight', call_id = ?, attempts = attempts + 1, updated_at = ?
     WHERE batch_id = ? AND seq IN (SELECT value FROM json_each(?)) AND state = 'pending'`,
  );
  const settleSeqs = db.prepare(
    `UPDATE items SET state = ?, code = ?, message = ?, updated_at = ?
     WHERE batch_id = ? AND seq IN (SELECT value FROM json_each(?)) AND state = 'pending'`,
  );
  const nextChunkNo = db.prepare(`SELECT COUNT(*) AS n FROM calls WHERE batch_id = ?`);
  const insertCall = db.prepare(
    `INSERT INTO calls (call_id, batch_id, chunk_no, attempt, ids_json, state, sent_at) VALUES (?, ?, ?, ?, ?, 'sent', ?)`,
  );
  // The claimed rows are the first pending ones in seq order, read in this same transaction: every
  // pending row between the first and the last claimed seq is one of them. One range UPDATE on the
  // primary key instead of one statement per ID.
  const markInFlight = db.prepare(
    `UPDATE items SET state = 'in_flight', call_id = ?, attempts = attempts + 1, updated_at = ?
     WHERE batch_id = ? AND seq >= ? AND seq <= ? AND state = 'pending'`,
  );
  const selectCall = db.prepare(
    `SELECT batch_id, chunk_no, attempt, state FROM calls WHERE call_id = ?`,
  );
  const callRowSchema = z.object({
    batch_id: z.string(),
    chunk_no: z.number(),
    attempt: z.number(),
    state: z.string(),
  });
  const selectCallItems = db.prepare(
    `SELECT id FROM items WHERE call_id = ? AND state = 'in_flight' ORDER BY seq`,
  );
  const finishCall = db.prepare(
    `UPDATE calls SET state = ?, http_status = ?, request_id = ?, error_code = ?, finished_at = ? WHERE call_id = ?`,
  );
  const moveToCall = db.prepare(
    `UPDATE items SET call_id = ?, attempts = attempts + 1, maybe_applied = MAX(maybe_applied, ?), updated_at = ?
     WHERE call_id = ? AND state = 'in_flight'`,
  );
  // One statement per distinct outcome (usually one per call): the call's in_flight rows (the
  // items_by_call index) whose id is in the JSON array. Fenced by call_id as before.
  const settleItems = db.prepare(
    `UPDATE items SET state = ?, code = ?, message = ?, request_id = ?, updated_at = ?
     WHERE call_id = ? AND state = 'in_flight' AND id IN (SELECT value FROM json_each(?))`,
  );
  const uncountSend = db.prepare(
    `UPDATE items SET attempts = attempts - 1, updated_at = ? WHERE call_id = ? AND state = 'in_flight' AND attempts > 0`,
  );
  const releaseItems = db.prepare(
    `UPDATE items SET state = 'pending', call_id = NULL, updated_at = ? WHERE call_id = ? AND state = 'in_flight'`,
  );
  const updateBatchState = db.prepare(
    `UPDATE batches SET state = ?, state_reason = ?, finished_at = ? WHERE id = ?`,
  );
  const countOpen = db.prepare(
    `SELECT COUNT(*) AS n FROM items WHERE batch_id = ? AND state IN ('pending', 'in_flight')`,
  );
  // Seeks on items_by_state: anything pending or unknown, or in flight in another call.
  const othersLeft = db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM items WHERE batch_id = @batch AND state IN ('pending', 'unknown'))
         OR EXISTS (SELECT 1 FROM items WHERE batch_id = @batch AND state = 'in_flight'
           AND call_id IS NOT @call)`,
    )
    .pluck();
  // Three seeks on items_by_state: is anything left for the runner (a re-read included)?
  const anyLeft = db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM items WHERE batch_id = ? AND state IN ('pending', 'in_flight', 'unknown'))`,
    )
    .pluck();
  const finishBatch = db.prepare(
    `UPDATE batches SET state = 'done', finished_at = ? WHERE id = ? AND state = 'running'`,
  );
  const crashItems = db.prepare(
    `UPDATE items SET state = 'unknown', code = 'UNKNOWN_AFTER_RESTART', message = ?, updated_at = ? WHERE state = 'in_flight'`,
  );
  const crashCalls = db.prepare(
    `UPDATE calls SET state = 'unknown', finished_at = ? WHERE state = 'sent'`,
  );
  const strandItems = db.prepare(
    `UPDATE items SET state = 'unknown', code = 'UNKNOWN_NOT_RECORDED', message = ?, updated_at = ?
     WHERE batch_id = ? AND state = 'in_flight'`,
  );
  const strandCalls = db.prepare(
    `UPDATE calls SET state = 'unknown', finished_at = ? WHERE batch_id = ? AND state = 'sent'`,
  );
  const selectState = db.prepare(`SELECT state FROM batches WHERE id = ?`);
  const selectGroupOf = db.prepare(`SELECT group_id FROM batches WHERE id = ?`).pluck();
  const stateRowSchema = z.object({ state: batchStateSchema });
  // The runner never picks a group row: only its children are batches it runs.
  const runningBatches = db.prepare(
    `SELECT id FROM batches WHERE state = 'running' AND kind = 'batch' ORDER BY n`,
  );
  const cancelledUnknown = db.prepare(
    `SELECT id FROM batches b WHERE state = 'cancelled'
       AND EXISTS (SELECT 1 FROM items i WHERE i.batch_id = b.id AND i.state = 'unknown')
     ORDER BY n`,
  );
  const skipCallItems = db.prepare(
    `UPDATE items SET state = 'skipped', code = 'CANCELLED', message = ?, call_id = NULL, updated_at = ?
     WHERE call_id = ? AND state = 'in_flight'`,
  );
  const skipPending = db.prepare(
    `UPDATE items SET state = 'skipped', code = 'CANCELLED', message = ?, updated_at = ?
     WHERE batch_id = ? AND state = 'pending'`,
  );
  const setReason = db.prepare(`UPDATE batches SET state_reason = ? WHERE id = ?`);
  const selectUnknown = db.prepare(
    `SELECT seq, id FROM items WHERE batch_id = ? AND state = 'unknown' AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const confirmUnknown = db.prepare(
    `UPDATE items SET state = 'succeeded', code = NULL, message = ?, updated_at = ?
     WHERE batch_id = ? AND id = ? AND state = 'unknown'`,
  );
  // An unknown outcome: the send may have been applied (late, too), whatever the re-read found.
  const resendUnknown = db.prepare(
    `UPDATE items SET state = ?, code = ?, message = ?, call_id = NULL, maybe_applied = 1, updated_at = ?
     WHERE batch_id = ? AND id = ? AND state = 'unknown'`,
  );
  const failUnknown = db.prepare(
    `UPDATE items SET state = 'failed', code = ?, message = ?, updated_at = ?
     WHERE batch_id = ? AND id = ? AND state = 'unknown'`,
  );
  const unsettledUnknown = db.prepare(
    `UPDATE items SET message = ?, updated_at = ? WHERE batch_id = ? AND id = ? AND state = 'unknown'`,
  );
  const upsertHolder = db.prepare(
    `INSERT INTO runner_lock (one, token, pid, host, heartbeat_at) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (one) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host,
       heartbeat_at = excluded.heartbeat_at`,
  );
  const deleteHolder = db.prepare(`DELETE FROM runner_lock WHERE one = 1 AND token = ?`);
  const clock = () => (opts.now ?? (() => new Date()))().getTime();
  const health = new StorageHealth();
  /** Resolves once every commit so far is on disk; a failed flush is said in `health`, for good. */
  function durable(): Promise<void> {
    if (syncer === null) return Promise.resolve();
    return syncer.sync().catch((err: unknown) => {
      if (syncer.failed) health.report('ledger write-ahead log', syncer.failed.reason);
      throw err;
    });
  }

  function stateOf(batchId: string): BatchState | null {
    const row = selectState.get(batchId);
    return row === undefined ? null : stateRowSchema.parse(row).state;
  }

  const transitionTx = db.transaction(
    (batchId: string, from: readonly BatchState[], to: BatchState, reason: string | null) => {
      const cur = stateOf(batchId);
      if (cur === null || !from.includes(cur)) return false;
      const terminal = to === 'done' || to === 'cancelled' || to === 'interrupted';
      updateBatchState.run(to, reason, terminal ? now() : null, batchId);
      return true;
    },
  );

  const cancelTx = db.transaction((batchId: string): boolean => {
    const cur = stateOf(batchId);
    if (cur !== 'running' && cur !== 'paused' && cur !== 'interrupted') return false;
    const at = now();
    updateBatchState.run('cancelled', 'stopped by the user', at, batchId);
    skipPending.run(MSG_SKIPPED_BY_USER, at, batchId);
    return true;
  });

  const settleTx = db.transaction(
    (
      batchId: string,
      settle: {
        succeeded: readonly string[];
        resend: readonly string[];
        failed: readonly { id: string; code: string | null; message: string | null }[];
      },
    ): number => {
      const at = now();
      const cancelled = stateOf(batchId) === 'cancelled';
      let changed = 0;
      for (const id of settle.succeeded)
        changed += confirmUnknown.run(MSG_CONFIRMED, at, batchId, id).changes;
      for (const id of settle.resend) {
        changed += (
          cancelled
            ? resendUnknown.run('skipped', 'CANCELLED', MSG_SKIPPED_BY_USER, at, batchId, id)
            : resendUnknown.run('pending', null, null, at, batchId, id)
        ).changes;
      }
      for (const f of settle.failed)
        changed += failUnknown.run(f.code, f.message, at, batchId, f.id).changes;
      return changed;
    },
  );

  const unsettledTx = db.transaction((batchId: string, ids: readonly string[]): number => {
    const at = now();
    let changed = 0;
    for (const id of ids)
      changed += unsettledUnknown.run(MSG_UNKNOWN_RECHECK, at, batchId, id).changes;
    return changed;
  });

  // listItems: one statement per shape, each on an index (docs/performance.md).
  const itemColumns = 'id, state, code, message, request_id, attempts';
  const selectBatchTotal = db.prepare(`SELECT total AS n FROM batches WHERE id = ?`);
  const selectSeqRange = db.prepare(
    `SELECT ${itemColumns} FROM items WHERE batch_id = ? AND seq >= ? AND seq < ? ORDER BY seq`,
  );
  const countInState = db.prepare(
    `SELECT COUNT(*) AS n FROM items INDEXED BY items_by_state WHERE batch_id = ? AND state = ?`,
  );
  const selectInState = db.prepare(
    `SELECT ${itemColumns} FROM items INDEXED BY items_by_state WHERE batch_id = ? AND state = ?
     ORDER BY seq LIMIT ? OFFSET ?`,
  );
  const searchSeqs = db
    .prepare(
      `SELECT seq FROM items INDEXED BY items_search WHERE batch_id = ? AND id_key LIKE ? ESCAPE '\\'
       ORDER BY seq`,
    )
    .pluck();
  const searchSeqsInState = db
    .prepare(
      `SELECT seq FROM items INDEXED BY items_by_state WHERE batch_id = ? AND state = ?
         AND id_key LIKE ? ESCAPE '\\' ORDER BY seq`,
    )
    .pluck();
  const selectItemBySeq = db.prepare(
    `SELECT ${itemColumns} FROM items WHERE batch_id = ? AND seq = ?`,
  );

  function countsOf(rows: unknown[]): ItemCounts {
    const out = emptyItemCounts();
    for (const row of rows) {
      const r = countRowSchema.parse(row);
      out[r.state] = r.n;
    }
    return out;
  }

  /**
   * Item counts per batch, kept between reads: a pairs group's summary adds up its children's
   * (1,000 of them for 100,000 pairs), and the UI polls it twice a second; a count over the
   * group's 100,000 rows held the event loop 30-400 ms per poll (docs/performance.md, "Run:
   * 100,000 pairs"). Every ledger write drops the counts of the batch whose items it may change
   * (`writing` below); a change this object did not make — any other statement on this connection
   * (total_changes()) or a commit on another one (data_version) — drops them all. Never filled
   * inside a transaction (it may still roll back).
   */
  const countsCache = new Map<string, ItemCounts>();
  const MAX_CACHED_COUNTS = 20_000;
  const selectTotalChanges = db.prepare('SELECT total_changes()').pluck();
  const selectDataVersion = db.prepare('PRAGMA data_version').pluck();
  const changeMark = () => `${String(selectTotalChanges.get())}/${String(selectDataVersion.get())}`;
  let knownMark = changeMark();
  /** Drops every cached count when something other than this ledger's writes changed the file. */
  function dropIfChangedElsewhere(): void {
    const mark = changeMark();
    if (mark === knownMark) return;
    countsCache.clear();
    knownMark = mark;
  }
  /** No batch's items: the DATA_DIR holder row. */
  const NO_ITEMS = '';
  /**
   * Once a flush of the write-ahead log has failed, until the server restarts (wal-sync.ts, "After
   * a failed flush"): the failure, said in `health`, refuses the write, and the outcomes waiting for
   * a write (queueOutcome) with it. `stopping`: a write that only stops what would go on (a batch
   * interrupted, a call never sent withdrawn) still runs, on its own.
   */
  function refuseAfterFailedFlush(stopping: boolean): void {
    const failed = syncer?.failed ?? null;
    if (failed === null) return;
    health.report('ledger write-ahead log', failed.reason);
    // Inside a caller's transaction they stay queued: refused by the first write after it, or by
    // their own commit (afterTransaction).
    if (!db.inTransaction) for (const q of queued.splice(0)) q.reject(failed);
    if (!stopping) throw failed;
  }

  /**
   * Runs one of this ledger's writes, then drops the cached counts of `batchId` (of every batch:
   * null) if it changed anything. `stopping`: see refuseAfterFailedFlush.
   */
  function writing<T>(batchId: string | null, write: () => T, lazily = false, stopping = false): T {
    refuseAfterFailedFlush(stopping);
    dropIfChangedElsewhere();
    // Lazily: the commit writes the WAL and returns without waiting for the disk
    // (synchronous = NORMAL); what depends on it being durable waits for `durable()`. Only for a
    // transaction of its own (a caller's transaction commits as that caller's does).
    const lazy = lazily && syncer !== null && !db.inTransaction;
    // Outcomes waiting for a write (queueOutcome) go first, in this write's transaction.
    // Not inside a caller's transaction: it could still roll them back after they were told. Not
    // in a write that must not wait (noWait: a heartbeat, a probe): its SQLITE_BUSY would refuse
    // outcomes that have nothing to do with it; they commit with the next write or on their own.
    const grouped = db.inTransaction || noWaitDepth > 0 ? [] : queued.splice(0);
    if (lazy) commitsLazily.run();
    try {
      return grouped.length === 0 ? write() : withQueued(grouped, write, lazy);
    } finally {
      if (lazy) commitsDurably.run();
      const mark = changeMark();
      if (mark !== knownMark) {
        if (batchId === null) countsCache.clear();
        else countsCache.delete(batchId);
        for (const q of grouped) countsCache.delete(q.batchId);
        knownMark = mark;
      }
    }
  }

  /** An outcome waiting to be committed with the ledger's next write (queueOutcome). */
  interface QueuedOutcome {
    callId: string;
    batchId: string;
    outcomes: readonly ItemOutcome[];
    meta: { httpStatus: number | null; requestId: string | null; errorCode: string | null };
    finish: boolean;
    /** May wait past its turn while this says another write is coming, until `holdUntil`. */
    holdWhile: (() => boolean) | null;
    holdUntil: number;
    resolve: (changed: number) => void;
    reject: (err: unknown) => void;
  }
  const queued: QueuedOutcome[] = [];
  let flushScheduled = false;
  /** Inside noWait: writes leave the queued outcomes alone. */
  let noWaitDepth = 0;

  /**
   * One transaction: the queued outcomes, then `write` (itself a transaction: a savepoint here).
   * When `write` throws, its savepoint is rolled back and the outcomes are still committed; the
   * error is thrown after. When the outcomes or the commit fail, every part fails.
   */
  const groupTx = db.transaction(
    (
      grouped: readonly QueuedOutcome[],
      write: () => unknown,
    ): { changed: number[]; out: unknown; failed: unknown } => {
      const changed = grouped.map((q) => applyOutcome(q.callId, q.outcomes, q.meta, q.finish));
      try {
        return { changed, out: write(), failed: undefined };
      } catch (err: unknown) {
        return { changed, out: undefined, failed: err ?? new Error('ledger: write failed') };
      }
    },
  );
  function withQueued<T>(grouped: readonly QueuedOutcome[], write: () => T, lazy: boolean): T {
    let r: { changed: number[]; out: unknown; failed: unknown };
    try {
      r = groupTx.immediate(grouped, write);
    } catch (err: unknown) {
      for (const q of grouped) q.reject(err);
      throw err;
    }
    // Committed lazily: each outcome is told once it is on disk (the call chain goes on only then).
    const told = lazy ? durable() : Promise.resolve();
    grouped.forEach((q, i) => {
      void told.then(() => q.resolve(r.changed[i] ?? 0), q.reject);
    });
    if (r.failed !== undefined) throw r.failed;
    return r.out as T;
  }
  let holdTimer: NodeJS.Timeout | null = null;
  /**
   * Commits the queued outcomes on their own (no other write came in this turn), unless each may
   * wait for a write that is coming: then at the first one's limit, if that write has not come.
   */
  function flushQueued(force = false): void {
    flushScheduled = false;
    if (holdTimer !== null) clearTimeout(holdTimer);
    holdTimer = null;
    if (queued.length === 0 || !db.open) return;
    const t = Date.now();
    const waitMs = Math.min(
      ...queued.map((q) => (q.holdWhile?.() && q.holdUntil > t ? q.holdUntil - t : 0)),
    );
    if (waitMs > 0 && !force) {
      holdTimer = setTimeout(() => flushQueued(), waitMs);
      return;
    }
    try {
      // On their own: lazily too (each is told once on disk), unless the ledger is closing.
      writing(NO_ITEMS, () => undefined, !force);
    } catch {
      // Told to each outcome's caller (rejected).
    }
  }
  const batchOfCall = (callId: string): string | null => {
    const call = selectCall.get(callId);
    return call === undefined ? null : callRowSchema.parse(call).batch_id;
  };

  /**
   * A batch's own item counts (shared: never changed by callers). `checked`: the caller has just
   * called dropIfChangedElsewhere (a group's children are read after one check, not one each).
   */
  function itemCounts(batchId: string, checked = false): ItemCounts {
    if (db.inTransaction) return countsOf(selectCounts.all(batchId));
    if (!checked) dropIfChangedElsewhere();
    let c = countsCache.get(batchId);
    if (c === undefined) {
      c = countsOf(selectCounts.all(batchId));
      if (countsCache.size >= MAX_CACHED_COUNTS) countsCache.clear();
      countsCache.set(batchId, c);
    }
    return c;
  }

  const counts = (batchId: string): ItemCounts => ({ ...itemCounts(batchId) });

  /**
   * A group's counts: its own items (a pairs group's pairs whose subject is not a well-formed ID)
   * and its children's.
   */
  function groupCounts(groupId: string): ItemCounts {
    const out = counts(groupId);
    for (const child of selectChildIds.all(groupId) as string[]) {
      const c = itemCounts(child, true);
      for (const state of itemStates) out[state] += c[state];
    }
    return out;
  }

  function summary(row: unknown): BatchRecord {
    const b = batchRowSchema.parse(row);
    return { ...b, counts: b.kind === 'batch' ? counts(b.id) : groupCounts(b.id) };
  }

  function getBatch(id: string): BatchRecord | null {
    const row = selectBatch.get(id);
    return row === undefined ? null : summary(row);
  }

  /** A batch row and its items (inside a transaction). */
  function insertBatchRows(input: NewBatch, id: string, at: string): void {
    const pending = input.items.some((i) => i.state === 'pending');
    insertBatch.run({
      id,
      action: input.action,
      state: pending ? 'running' : 'done',
      workspace_id: input.workspace_id,
      dataclass_type: input.dataclass_type,
      data_object_id: input.data_object_id,
      related_dataclass_type: input.related_dataclass_type,
      reason: input.reason,
      user: input.user,
      retry_of: input.retry_of,
      undo_of: input.undo_of ?? null,
      credential_source: input.credential_source?.slice(0, 200) ?? null,
      credential_session: input.credential_session?.slice(0, 200) ?? null,
      kind: input.kind ?? 'batch',
      group_id: input.group_id ?? null,
      destination_id: input.destination_id ?? null,
      total: input.total ?? input.items.length,
      duplicates: input.duplicates,
      created_at: at,
      finished_at: pending ? null : at,
    });
    input.items.forEach((item, seq) => {
      insertItem.run(id, seq, item.id, item.idKey, item.state, item.message, at);
    });
  }
  const createTx = db.transaction(insertBatchRows);
  const createGroupTx = db.transaction(
    (group: NewBatch, children: readonly NewBatch[], ids: readonly string[], at: string) => {
      const groupId = ids[0] ?? '';
      insertBatchRows(group, groupId, at);
      children.forEach((child, i) => {
        insertBatchRows({ ...child, group_id: groupId }, ids[i + 1] ?? '', at);
      });
    },
  );

  /** The counts of items as they are created (pending or invalid). */
  function newCounts(items: NewBatch['items']): ItemCounts {
    const out = emptyItemCounts();
    for (const item of items) out[item.state]++;
    return out;
  }

  const claimTx = db.transaction((batchId: string, max: number): ClaimedCall | null => {
    // I6: the intent is only written while the batch runs (pause/cancel are transactions too).
    if (stateOf(batchId) !== 'running') return null;
    const rows = selectPending.all(batchId, max) as unknown[][];
    if (rows.length === 0) return null;
    const ids: string[] = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const id = (rows[i] as unknown[])[1];
      if (typeof id !== 'string') throw new Error('ledger: malformed pending row');
      ids[i] = id;
    }
    const firstSeq = (rows[0] as unknown[])[0];
    const lastSeq = (rows[rows.length - 1] as unknown[])[0];
    if (typeof firstSeq !== 'number' || typeof lastSeq !== 'number')
      throw new Error('ledger: malformed pending row');
    const callId = randomUUID();
    const chunkNo = totalRowSchema.parse(nextChunkNo.get(batchId)).n;
    const at = now();
    insertCall.run(callId, batchId, chunkNo, 1, JSON.stringify(ids), at);
    const marked = markInFlight.run(callId, at, batchId, firstSeq, lastSeq).changes;
    if (marked !== rows.length) throw new Error('ledger: claimed rows changed under the claim');
    return { callId, chunkNo, ids };
  });

  const claimPreReadTx = db.transaction(
    (
      batchId: string,
      send: readonly PendingRow[],
      settle: readonly SettledRow[],
    ): { call: ClaimedCall | null } | null => {
      // I6: the intent is only written while the batch runs (pause/cancel are transactions too).
      if (stateOf(batchId) !== 'running') return null;
      const at = now();
      const groups = new Map<string, { row: SettledRow; seqs: number[] }>();
      for (const r of settle) {
        const key = JSON.stringify([r.state, r.code, r.message]);
        const g = groups.get(key);
        if (g) g.seqs.push(r.seq);
        else groups.set(key, { row: r, seqs: [r.seq] });
      }
      let settled = 0;
      for (const { row, seqs } of groups.values()) {
        settled += settleSeqs.run(
          row.state,
          row.code,
          row.message,
          at,
          batchId,
          JSON.stringify(seqs),
        ).changes;
      }
      if (settled !== settle.length)
        throw new Error('ledger: pre-read rows changed under the claim');
      if (send.length === 0) return { call: null };
      const ids = send.map((r) => r.id);
      const callId = randomUUID();
      const chunkNo = totalRowSchema.parse(nextChunkNo.get(batchId)).n;
      insertCall.run(callId, batchId, chunkNo, 1, JSON.stringify(ids), at);
      const marked = markSeqsInFlight.run(
        callId,
        at,
        batchId,
        JSON.stringify(send.map((r) => r.seq)),
      ).changes;
      if (marked !== send.length) throw new Error('ledger: claimed rows changed under the claim');
      return { call: { callId, chunkNo, ids } };
    },
  );

  const retryTx = db.transaction((oldCallId: string, mayBeApplied: boolean): ClaimedCall | null => {
    const call = selectCall.get(oldCallId);
    if (call === undefined) return null;
    const c = callRowSchema.parse(call);
    if (c.state !== 'sent') return null;
    if (stateOf(c.batch_id) !== 'running') return null;
    const ids = selectCallItems.all(oldCallId).map((r) => idRowSchema.parse(r).id);
    const at = now();
    finishCall.run('retried', null, null, null, at, oldCallId);
    if (ids.length === 0) return null;
    const callId = randomUUID();
    insertCall.run(callId, c.batch_id, c.chunk_no, c.attempt + 1, JSON.stringify(ids), at);
    moveToCall.run(callId, mayBeApplied ? 1 : 0, at, oldCallId);
    return { callId, chunkNo: c.chunk_no, ids };
  });

  /**
   * T2 inside a transaction; `finish`: the batch becomes done when running and nothing is left
   * pending, in flight or unknown.
   */
  function applyOutcome(
    callId: string,
    outcomes: readonly ItemOutcome[],
    meta: { httpStatus: number | null; requestId: string | null; errorCode: string | null },
    finish = false,
  ): number {
    const changed = settleOutcome(callId, outcomes, meta);
    if (finish) {
      const batchId = batchOfCall(callId);
      if (batchId !== null && anyLeft.get(batchId) === 0) finishBatch.run(now(), batchId);
    }
    return changed;
  }

  const outcomeTx = db.transaction(
    (
      callId: string,
      outcomes: readonly ItemOutcome[],
      meta: { httpStatus: number | null; requestId: string | null; errorCode: string | null },
    ): number => settleOutcome(callId, outcomes, meta),
  );

  function settleOutcome(
    callId: string,
    outcomes: readonly ItemOutcome[],
    meta: { httpStatus: number | null; requestId: string | null; errorCode: string | null },
  ): number {
    const at = now();
    let changed = 0;
    for (const { o, ids } of groupOutcomes(outcomes)) {
      changed += settleItems.run(
        o.state,
        o.code,
        o.message,
        meta.requestId,
        at,
        callId,
        JSON.stringify(ids),
      ).changes;
    }
    finishCall.run('done', meta.httpStatus, meta.requestId, meta.errorCode, at, callId);
    return changed;
  }

  const withdrawTx = db.transaction((callId: string): number => {
    const call = selectCall.get(callId);
    if (call === undefined) return 0;
    const c = callRowSchema.parse(call);
    // Only a call still open (claimed, not answered, not superseded).
    if (c.state !== 'sent') return 0;
    const at = now();
    // Never sent: the send its IDs were claimed for is not one of their sends.
    uncountSend.run(at, callId);
    const changed =
      stateOf(c.batch_id) === 'cancelled'
        ? skipCallItems.run(MSG_SKIPPED_BY_USER, at, callId).changes
        : releaseItems.run(at, callId).changes;
    finishCall.run('withdrawn', null, null, null, at, callId);
    return changed;
  });

  const releaseTx = db.transaction(
    (
      callId: string,
      meta: { httpStatus: number | null; requestId: string | null; errorCode: string | null },
    ) => {
      const at = now();
      const call = selectCall.get(callId);
      const batchId = call === undefined ? null : callRowSchema.parse(call).batch_id;
      const cancelled = batchId !== null && stateOf(batchId) === 'cancelled';
      const changed = cancelled
        ? skipCallItems.run(MSG_SKIPPED_BY_USER, at, callId).changes
        : releaseItems.run(at, callId).changes;
      finishCall.run('refused', meta.httpStatus, meta.requestId, meta.errorCode, at, callId);
      return changed;
    },
  );

  const finishTx = db.transaction((batchId: string): boolean => {
    if (totalRowSchema.parse(countOpen.get(batchId)).n > 0) return false;
    return finishBatch.run(now(), batchId).changes > 0;
  });

  const recoverTx = db.transaction((): string[] => {
    const at = now();
    crashItems.run(UNKNOWN_AFTER_CRASH, at);
    crashCalls.run(at);
    return runningBatches.all().map((r) => idRowSchema.parse(r).id);
  });

  const strandTx = db.transaction((batchId: string): number => {
    const at = now();
    const changed = strandItems.run(UNKNOWN_NOT_RECORDED, at, batchId).changes;
    strandCalls.run(at, batchId);
    return changed;
  });

  return {
    db,
    createBatch(input) {
      const id = randomUUID();
      writing(id, () => createTx.immediate(input, id, now()));
      const created = getBatch(id);
      if (!created) throw new Error('batch vanished after insert');
      return created;
    },
    createGroup(group, children) {
      const ids = [randomUUID(), ...children.map(() => randomUUID())];
      const id = ids[0] ?? '';
      // Outside a caller's transaction, this one's commit is final: the counts of what it wrote are
      // kept (a 1,000-child group's summary is then read without a count per child).
      const outermost = !db.inTransaction;
      writing(id, () => createGroupTx.immediate(group, children, ids, now()));
      const own = newCounts(group.items);
      const counts = { ...own };
      children.forEach((child, i) => {
        const c = newCounts(child.items);
        for (const state of itemStates) counts[state] += c[state];
        if (outermost && countsCache.size < MAX_CACHED_COUNTS) countsCache.set(ids[i + 1] ?? '', c);
      });
      if (outermost && countsCache.size < MAX_CACHED_COUNTS) countsCache.set(id, own);
      const row = selectBatch.get(id);
      if (row === undefined) throw new Error('group vanished after insert');
      return { ...batchRowSchema.parse(row), counts };
    },
    getBatch,
    runningBatchIds() {
      return runningBatches.all().map((r) => idRowSchema.parse(r).id);
    },
    undoneBy(batchId) {
      const id: unknown = selectUndoneBy.get(batchId);
      return typeof id === 'string' ? id : null;
    },
    setCredentialSource(batchId, source, session = null) {
      writing(batchId, () =>
        updateCredentialSource.run(source.slice(0, 200), session?.slice(0, 200) ?? null, batchId),
      );
    },
    credentialSourceOf(batchId) {
      const source: unknown = selectCredentialSource.get(batchId);
      return typeof source === 'string' ? source : null;
    },
    credentialSessionOf(batchId) {
      const session: unknown = selectCredentialSession.get(batchId);
      return typeof session === 'string' ? session : null;
    },
    listBatches(offset, limit, filter = {}) {
      if (Object.values(filter).every((v) => v === undefined)) {
        const items = selectBatchPage.all(limit, offset).map(summary);
        return { items, total: totalRowSchema.parse(countBatches.get()).n };
      }
      // Filtered: one pass over the matches gives both the total and the page (a second pass
      // to count would scan the batches' text again), then the page is read by primary key.
      const { where, params } = historyWhere(filter, historyColumns);
      const ns = z.array(z.number()).parse(historyMatchesFor(where).all(params));
      const items = ns
        .slice(offset, offset + limit)
        .map((n) => selectBatchByN.get(n))
        .filter((row) => row !== undefined)
        .map(summary);
      return { items, total: ns.length };
    },
    listItems(batchId, query) {
      const limit = Math.max(0, query.limit);
      const offset = Math.max(0, query.offset);
      if (!query.state && !query.q) {
        // Unfiltered: seq runs 0..total-1 in each batch, so a page is a primary-key range and the
        // total is the batch's own (no COUNT over 100,000 rows).
        const b = selectBatchTotal.get(batchId);
        const total = b === undefined ? 0 : totalRowSchema.parse(b).n;
        const rows = selectSeqRange.all(batchId, offset, offset + limit);
        return { items: rows.map((r) => itemRowSchema.parse(r)), total };
      }
      if (!query.q) {
        // State filter: both statements walk the (batch_id, state, seq) index.
        const total = totalRowSchema.parse(countInState.get(batchId, query.state)).n;
        const rows = selectInState.all(batchId, query.state, limit, offset);
        return { items: rows.map((r) => itemRowSchema.parse(r)), total };
      }
      // ID search (substring, case-insensitive: LIKE folds ASCII case and IDs are ASCII). A
      // substring cannot seek a B-tree, so one pass over the covering index items_search collects
      // the matching seqs in input order (count and page from the same pass), then the page is read
      // by primary key. About 25 ms for 100,000 IDs (bench/results.ts).
      const pattern = `%${escapeLike(query.q)}%`;
      const seqs = (
        query.state
          ? searchSeqsInState.all(batchId, query.state, pattern)
          : searchSeqs.all(batchId, pattern)
      ) as number[];
      const page = seqs.slice(offset, offset + limit);
      const items: BatchItem[] = [];
      for (const seq of page) {
        const row = selectItemBySeq.get(batchId, seq);
        if (row !== undefined) items.push(itemRowSchema.parse(row));
      }
      return { items, total: seqs.length };
    },
    counts,
    claimChunk: (batchId, max) => writing(batchId, () => claimTx.immediate(batchId, max), true),
    peekPending: (batchId, afterSeq, max) =>
      (selectPendingAfter.all(batchId, afterSeq, max) as unknown[][]).map(peekRow),
    claimPreRead: (batchId, send, settle) =>
      writing(batchId, () => claimPreReadTx.immediate(batchId, send, settle), true),
    retryCall: (callId, mayBeApplied) =>
      writing(batchOfCall(callId), () => retryTx.immediate(callId, mayBeApplied), true),
    withdrawCall: (callId) =>
      writing(batchOfCall(callId), () => withdrawTx.immediate(callId), false, true),
    durable,
    recordOutcome: (callId, outcomes, meta) =>
      writing(batchOfCall(callId), () => outcomeTx.immediate(callId, outcomes, meta)),
    queueOutcome(callId, outcomes, meta, opts = {}) {
      return new Promise<number>((resolve, reject) => {
        const batchId = batchOfCall(callId) ?? NO_ITEMS;
        queued.push({
          callId,
          batchId,
          outcomes,
          meta,
          finish: opts.finish === true,
          holdWhile: opts.holdWhile ?? null,
          holdUntil: Date.now() + (opts.holdMs ?? 0),
          resolve,
          reject,
        });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(() => flushQueued());
        }
      });
    },
    isLastCall(callId) {
      const batchId = batchOfCall(callId);
      return batchId !== null && othersLeft.get({ batch: batchId, call: callId }) === 0;
    },
    releaseCall: (callId, meta) =>
      writing(batchOfCall(callId), () => releaseTx.immediate(callId, meta)),
    getBatchState: stateOf,
    groupOf(batchId) {
      const g: unknown = selectGroupOf.get(batchId);
      return typeof g === 'string' ? g : null;
    },
    finishIfDrained: (batchId) => writing(batchId, () => finishTx.immediate(batchId)),
    recoverAfterCrash: () => writing(null, () => recoverTx.immediate()),
    cancelledWithUnknown: () => cancelledUnknown.all().map((r) => idRowSchema.parse(r).id),
    // Nothing in flight (every start of a batch that ended cleanly): no write. A write would also
    // carry the outcomes queued for the next intent, committed here with a wait for the disk.
    strandInFlight: (batchId) =>
      anyInFlight.get(batchId) === 0 ? 0 : writing(batchId, () => strandTx.immediate(batchId)),
    transitionBatch: (batchId, from, to, reason) =>
      writing(
        batchId,
        () => transitionTx.immediate(batchId, from, to, reason),
        false,
        to === 'interrupted',
      ),
    cancelBatch: (batchId) => writing(batchId, () => cancelTx.immediate(batchId)),
    setStateReason(batchId, reason) {
      writing(batchId, () => setReason.run(reason, batchId));
    },
    unknownIds(batchId, max, afterSeq = -1) {
      return selectUnknown.all(batchId, afterSeq, max).map((r) => pendingRowSchema.parse(r));
    },
    settleUnknown: (batchId, settle) => writing(batchId, () => settleTx.immediate(batchId, settle)),
    markUnknownUnsettled: (batchId, ids) =>
      writing(batchId, () => unsettledTx.immediate(batchId, ids)),
    listItemsBySeqs(batchId, seqs) {
      const out: BatchItem[] = [];
      for (const seq of seqs) {
        const row = selectItemBySeq.get(batchId, seq);
        if (row !== undefined) out.push(itemRowSchema.parse(row));
      }
      return out;
    },
    writeHolder(token) {
      writing(NO_ITEMS, () => upsertHolder.run(token, process.pid, hostname(), clock()));
    },
    dropHolder(token) {
      writing(NO_ITEMS, () => deleteHolder.run(token));
    },
    noWait(write) {
      const waitMs = db.pragma('busy_timeout', { simple: true });
      db.pragma('busy_timeout = 0');
      noWaitDepth++;
      try {
        return write();
      } finally {
        noWaitDepth--;
        db.pragma(`busy_timeout = ${String(waitMs)}`);
      }
    },
    noWaiting: () => noWaitDepth > 0,
    afterTransaction() {
      if (queued.length === 0 || flushScheduled || db.inTransaction) return;
      flushScheduled = true;
      setImmediate(() => flushQueued());
    },
    health,
    ping() {
      try {
        // Reads what the history and the items read first (the newest batch, the last item), a few
        // pages: a damaged file (SQLITE_CORRUPT) or a lost disk fails here, not only in the routes.
        db.prepare(
          `SELECT (SELECT n FROM batches ORDER BY n DESC LIMIT 1), (SELECT max(rowid) FROM items)`,
        ).get();
        return true;
      } catch {
        return false;
      }
    },
    close() {
      flushQueued(true);
      syncer?.close();
      db.close();
    },
  };
}
