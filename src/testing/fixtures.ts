import {
  emptyItemCounts,
  type BatchSummary,
  type ItemCounts,
  type MoveSummary,
} from '../api/schemas';

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

/** A running move of 2 alerts between two incidents; tests override what they need. */
export function moveSummary(over: Partial<MoveSummary> = {}): MoveSummary {
  return {
    kind: 'move',
    id: '77777777-8888-4999-8aaa-bbbbbbbbbbbb',
    state: 'running',
    state_reason: null,
    workspace_id: 'ws000000000000000000000000000001',
    dataclass_type: 'incidents',
    source_id: 'incident00000000000000000000000001',
    destination_id: 'incident00000000000000000000000002',
    related_dataclass_type: 'alerts',
    reason: null,
    user: 'local',
    retry_of: null,
    undo_of: null,
    undone_by: null,
    total: 2,
    duplicates: 0,
    created_at: '2026-01-01T00:00:00.000Z',
    finished_at: null,
    link_batch_id: null,
    unlink_batch_id: null,
    counts: itemCounts({ pending: 2 }),
    results: { pending: 2, moved: 0, already_at_destination: 0, kept_at_source: 0, invalid: 0 },
    ...over,
  };
}
