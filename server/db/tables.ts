/**
 * The ledger's tables as Kysely sees them (migration 1, server/db/migrations/001-ledger.ts), for
 * queries written once for both stores. Values are as stored: times are ISO-8601 text (except
 * `runner_lock.heartbeat_at`, epoch ms), flags are 0/1, states and kinds are the strings of
 * src/api/schemas.ts (the store parses what it reads). PostgreSQL's bigint columns (`batches.n`,
 * `heartbeat_at`) read as numbers through openPostgres (server/db/postgres.ts).
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface BatchesTable {
  /** Insertion order (SQLite's AUTOINCREMENT rowid, PostgreSQL's identity). */
  n: Generated<number>;
  id: string;
  action: string;
  state: string;
  state_reason: string | null;
  workspace_id: string;
  dataclass_type: string;
  data_object_id: string;
  related_dataclass_type: string;
  reason: string | null;
  user: string;
  retry_of: string | null;
  total: number;
  duplicates: number;
  created_at: string;
  finished_at: string | null;
  /** 1: the runner read each call's IDs first (default); 0: recorded before it did. */
  changes_recorded: Generated<number>;
  undo_of: string | null;
  credential_source: string | null;
  /**
   * The IAM session the batch runs on, by its key in the shared session store (the SHA-256 of its
   * ID, never the ID or the token), or null (migration 6).
   */
  credential_session: string | null;
  /** `batch` (default), `pairs` or `move`. */
  kind: Generated<string>;
  group_id: string | null;
  destination_id: string | null;
}

export interface ItemsTable {
  batch_id: string;
  seq: number;
  id: string;
  id_key: string;
  state: string;
  call_id: string | null;
  attempts: Generated<number>;
  /** 1 once a send of this batch may have reached SecMaster and been applied. */
  maybe_applied: Generated<number>;
  code: string | null;
  message: string | null;
  request_id: string | null;
  updated_at: string;
}

export interface CallsTable {
  call_id: string;
  batch_id: string;
  chunk_no: number;
  attempt: number;
  ids_json: string;
  state: string;
  sent_at: string;
  http_status: number | null;
  request_id: string | null;
  error_code: string | null;
  finished_at: string | null;
}

export interface IdempotencyKeysTable {
  user: string;
  key: string;
  body_sha256: string;
  batch_id: string;
  created_at: string;
}

export interface RunnerLockTable {
  /** Always 1: one row. */
  one: number;
  token: string;
  pid: number;
  host: string;
  /** Epoch ms. */
  heartbeat_at: number;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

export interface LedgerTables {
  batches: BatchesTable;
  items: ItemsTable;
  calls: CallsTable;
  idempotency_keys: IdempotencyKeysTable;
  runner_lock: RunnerLockTable;
  schema_migrations: SchemaMigrationsTable;
}

export type BatchRow = Selectable<BatchesTable>;
export type NewBatchRow = Insertable<BatchesTable>;
export type BatchUpdate = Updateable<BatchesTable>;
export type ItemRow = Selectable<ItemsTable>;
export type NewItemRow = Insertable<ItemsTable>;
export type CallRow = Selectable<CallsTable>;
