/**
 * A batch written straight to the ledger, for tests that need one without going through the API:
 * its IDs are recorded by the same rules as `POST /api/batches` (`itemsOfIds`: trimmed, UUIDs in
 * lower case, duplicates dropped, malformed IDs invalid), so a test's batch is one the product
 * could have made.
 */
import type { BatchAction, BatchSummary, DataclassType } from '../../src/api/schemas';
import type { Ledger } from '../batches/ledger';
import { itemsOfIds } from '../batches/service';
import { makeIds } from './fake-upstream';

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

/**
 * A batch of pairs written straight to the ledger: a group row and `n` children (running, not
 * started), each of one subject and one alert.
 */
export function newPairsGroup(ledger: Ledger, n: number): { group: string; children: string[] } {
  const common = {
    action: 'associate' as const,
    workspace_id: TEST_WORKSPACE,
    dataclass_type: 'incidents' as const,
    related_dataclass_type: 'alerts' as const,
    reason: null,
    user: 'local',
    retry_of: null,
    duplicates: 0,
  };
  const group = ledger.createBatch({ ...common, kind: 'pairs', data_object_id: '', items: [] }).id;
  const alerts = makeIds(n, 'b');
  const children = makeIds(n).map(
    (subject, i) =>
      ledger.createBatch({
        ...common,
        group_id: group,
        data_object_id: subject,
        items: [{ id: alerts[i] ?? '', idKey: alerts[i] ?? '', state: 'pending', message: null }],
      }).id,
  );
  return { group, children };
}
