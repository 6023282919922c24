/**
 * A batch written straight to the ledger, for tests that need one without going through the API:
 * its IDs are recorded by the same rules as `POST /api/batches` (`itemsOfIds`: trimmed, UUIDs in
 * lower case, duplicates dropped, malformed IDs invalid), so a test's batch is one the product
 * could have made.
 */
import type { BatchAction, BatchSummary, DataclassType } from '../../src/api/schemas';
import type { Ledger } from '../batches/ledger';
import { itemsOfIds } from '../batches/service';

/** A workspace ID for tests that do not care which. */
export const TEST_WORKSPACE = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';

export interface NewBatchOptions {
  ids: readonly string[];
  /** The subject (`data_object_id`). */
  subject: string;
  /** Default `associate`. */
  action?: BatchAction;
  /** Default `TEST_WORKSPACE`. */
  workspace?: string;
  /** The subject's class; default `incidents`. */
  dataclass?: DataclassType;
  /** The related IDs' class; default `alerts`. */
  related?: DataclassType;
  /** Default `test`. */
  user?: string;
  reason?: string | null;
}

/** A new batch (`running` when an ID is pending), not started: no runner is told about it. */
export function newBatch(ledger: Ledger, o: NewBatchOptions): BatchSummary {
  const { items, duplicates } = itemsOfIds(o.ids);
  return ledger.createBatch({
    action: o.action ?? 'associate',
    workspace_id: o.workspace ?? TEST_WORKSPACE,
    dataclass_type: o.dataclass ?? 'incidents',
    data_object_id: o.subject,
    related_dataclass_type: o.related ?? 'alerts',
    reason: o.reason ?? null,
    user: o.user ?? 'test',
    retry_of: null,
    duplicates,
    items,
  });
}
