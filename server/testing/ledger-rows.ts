/**
 * Ledger rows for tests (and benchmarks) of the stores' reads, written straight into `batches`,
 * `items` and `calls` with Kysely (no store involved), on either database. The same seeds give the
 * same rows on both, in the same order (`batches.n` follows the order of the seeds), so that a
 * query's answer can be compared across them. The ledgers to write them to: test-ledgers.ts.
 */
import type { Kysely } from 'kysely';
import { idKey, type BatchState, type ItemState } from '../../src/api/schemas';
import type { LedgerTables, NewItemRow } from '../db/tables';

export interface ItemSeed {
  id: string;
  /** By default the ledger's key of the ID (UUIDs lower-cased). */
  idKey?: string;
  state: ItemState;
  code?: string | null;
  message?: string | null;
  request_id?: string | null;
  attempts?: number;
  /** The call that carried it (a `calls` row is written for each call named). */
  callId?: string | null;
}

export interface BatchSeed {
  id: string;
  kind?: 'batch' | 'pairs' | 'move';
  action?: string;
  /** `running` by default (a group's is then derived by the ledger's triggers from its children). */
  state?: BatchState;
  group_id?: string | null;
  data_object_id?: string;
  destination_id?: string | null;
  undo_of?: string | null;
  items?: readonly ItemSeed[];
}

const AT = '2026-11-22T10:00:00.000Z';
const WORKSPACE = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
/** Rows per INSERT (well under SQLite's and PostgreSQL's limits on bound parameters). */
const ROWS_PER_INSERT = 500;

/** A batch row, its items (seq 0, 1, 2… in the given order) and the calls they name. */
export async function insertBatch(db: Kysely<LedgerTables>, seed: BatchSeed): Promise<void> {
  const state = seed.state ?? 'running';
  const items = seed.items ?? [];
  const finished = state === 'running' || state === 'paused' ? null : AT;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('batches')
      .values({
        id: seed.id,
        action: seed.action ?? 'associate',
        state,
        state_reason: null,
        workspace_id: WORKSPACE,
        dataclass_type: 'incidents',
        data_object_id: seed.data_object_id ?? 'c0ffee00-0000-4000-8000-000000000001',
        related_dataclass_type: 'alerts',
        reason: null,
        user: 'local',
        retry_of: null,
        total: items.length,
        duplicates: 0,
        created_at: AT,
        finished_at: finished,
        undo_of: seed.undo_of ?? null,
        credential_source: null,
        kind: seed.kind ?? 'batch',
        group_id: seed.group_id ?? null,
        destination_id: seed.destination_id ?? null,
      })
      .execute();
    const calls = [...new Set(items.flatMap((i) => (i.callId ? [i.callId] : [])))];
    for (const [chunkNo, callId] of calls.entries()) {
      await trx
        .insertInto('calls')
        .values({
          call_id: callId,
          batch_id: seed.id,
          chunk_no: chunkNo,
          attempt: 1,
          ids_json: JSON.stringify(items.filter((i) => i.callId === callId).map((i) => i.id)),
          state: 'sent',
          sent_at: AT,
          http_status: null,
          request_id: null,
          error_code: null,
          finished_at: null,
        })
        .execute();
    }
    const rows: NewItemRow[] = items.map((item, seq) => ({
      batch_id: seed.id,
      seq,
      id: item.id,
      id_key: item.idKey ?? idKey(item.id),
      state: item.state,
      call_id: item.callId ?? null,
      attempts: item.attempts ?? 0,
      code: item.code ?? null,
      message: item.message ?? null,
      request_id: item.request_id ?? null,
      updated_at: AT,
    }));
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      await trx
        .insertInto('items')
        .values(rows.slice(i, i + ROWS_PER_INSERT))
        .execute();
    }
  });
}

/** The seeds' rows, in order. */
export async function insertBatches(
  db: Kysely<LedgerTables>,
  seeds: readonly BatchSeed[],
): Promise<void> {
  for (const seed of seeds) await insertBatch(db, seed);
}

/** A deterministic UUID for test rows: `n` in its last group. */
export function testUuid(n: number): string {
  return `0b0e0c7a-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A small deterministic pseudo-random generator (mulberry32): the same rows on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
