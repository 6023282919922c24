import { emptyItemCounts, type BatchSummary, type ItemCounts } from '../api/schemas';

/** Counts per item state: zero for every state not given. */
export function itemCounts(over: Partial<ItemCounts> = {}): ItemCounts {
  return { ...emptyItemCounts(), ...over };
}

/**
 * A finished associate batch (3 succeeded, 2 failed, 1 unknown) recorded with change tracking
 * (`changes_recorded`); tests override what they need.
 */
export function batchSummary(over: Partial<BatchSummary> = {}): BatchSummary {
  return {
    id: '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10',
    action: 'associate',
    state: 'done',
    state_reason: null,
    workspace_id: 'ws000000000000000000000000000001',
    dataclass_type: 'incidents',
    data_object_id: 'incident00000000000000000000000001',
    related_dataclass_type: 'alerts',
    reason: 'phishing wave',
    user: 'analyst',
    retry_of: null,
    total: 6,
    duplicates: 0,
    counts: itemCounts({ succeeded: 3, failed: 2, unknown: 1 }),
    changes_recorded: true,
    created_at: '2025-01-01T10:00:00.000Z',
    finished_at: '2025-01-01T10:00:05.000Z',
    ...over,
  };
}
