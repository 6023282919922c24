/** A finished 100,000-ID batch written straight into a ledger file (benchmarks only). */
import { randomUUID } from 'node:crypto';
import type { Ledger, NewBatch } from '../server/batches/ledger.ts';

export const LARGE_BATCH = 100_000;

/** The benches' batch of `ids` (all pending), on one fixed subject. */
export function benchBatch(ids: readonly string[]): NewBatch {
  return {
    action: 'associate',
    workspace_id: 'ws000000000000000000000000000001',
    dataclass_type: 'incidents',
    data_object_id: 'incident00000000000000000000000001',
    related_dataclass_type: 'alerts',
    reason: 'benchmark',
    user: 'bench',
    retry_of: null,
    duplicates: 0,
    items: ids.map((id) => ({ id, idKey: id, state: 'pending', message: null })),
  };
}

/**
 * Creates a `done` batch of `n` UUIDs: 90% succeeded, 8% failed (with a message), 2% invalid.
 * Returns its id and its IDs in input order.
 */
export function seedFinishedBatch(ledger: Ledger, n = LARGE_BATCH): { id: string; ids: string[] } {
  const ids = Array.from({ length: n }, () => randomUUID());
  const batch = ledger.createBatch(benchBatch(ids));
  const at = new Date().toISOString();
  ledger.db.transaction(() => {
    ledger.db
      .prepare(
        `UPDATE items SET
           state = CASE WHEN seq % 50 = 0 THEN 'invalid' WHEN seq % 12 = 0 THEN 'failed' ELSE 'succeeded' END,
           code = CASE WHEN seq % 50 <> 0 AND seq % 12 = 0 THEN 'SecMaster.20030005' END,
           message = CASE WHEN seq % 50 <> 0 AND seq % 12 = 0
             THEN 'SecMaster rejected this ID (no reason given)' END,
           request_id = 'req-' || (seq / 500), attempts = 1, updated_at = ?
         WHERE batch_id = ?`,
      )
      .run(at, batch.id);
    ledger.db
      .prepare(`UPDATE batches SET state = 'done', finished_at = ? WHERE id = ?`)
      .run(at, batch.id);
  })();
  return { id: batch.id, ids };
}
