import { expect, test } from 'vitest';
import {
  batchSummarySchema,
  createBatchRequestSchema,
  idKey,
  isWellFormedId,
  MAX_BATCH_IDS,
  parseUpstreamError,
  relationWriteResponseSchema,
  searchResponseSchema,
} from './schemas';

const UUID = 'f60bf0e7-73b8-4832-8fc4-8c2a12830552';

test('the ID rule: 32 to 64 letters, digits, "-" and "_"', () => {
  expect(isWellFormedId(UUID)).toBe(true);
  expect(isWellFormedId('a'.repeat(32))).toBe(true);
  expect(isWellFormedId('A_b-'.repeat(16))).toBe(true);
  expect(isWellFormedId('a'.repeat(31))).toBe(false);
  expect(isWellFormedId('a'.repeat(65))).toBe(false);
  expect(isWellFormedId(`${UUID.slice(0, 35)}.`)).toBe(false);
  expect(isWellFormedId(`${UUID} `)).toBe(false);
  expect(isWellFormedId(`${UUID}\n`)).toBe(false);
  expect(isWellFormedId('é'.repeat(32))).toBe(false);
});

test('UUIDs de-duplicate case-insensitively; other IDs exactly', () => {
  expect(idKey(UUID.toUpperCase())).toBe(UUID);
  expect(idKey('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345')).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345');
});

test('associate answers parse whether code is a number or a string, with missing lists', () => {
  const numeric = relationWriteResponseSchema.parse({
    code: 0,
    message: 'Error message',
    request_id: 'x',
    success: false,
    total: 41,
    limit: 3,
    offset: 10,
    data: { success_ids: [UUID], error_ids: [UUID] },
    unknown_key: true,
  });
  expect(numeric.code).toBe('0');
  expect(numeric.data?.success_ids).toEqual([UUID]);
  const sparse = relationWriteResponseSchema.parse({ code: '00000000', data: {} });
  expect(sparse.data).toEqual({ success_ids: [], error_ids: [] });
});

test('search answers accept both paging styles and keep unknown keys', () => {
  const item = { id: UUID, data_object: { id: UUID, title: 'x', extra: 1 } };
  const newer = searchResponseSchema.parse({ total: 1, size: 10, page: 0, data: [item] });
  const older = searchResponseSchema.parse({ total: 1, limit: 10, offset: 0, data: [item] });
  expect(newer.data[0]?.data_object.title).toBe('x');
  expect(older.limit).toBe(10);
  expect(searchResponseSchema.parse({ total: 0 }).data).toEqual([]);
});

test('both error shapes read as one', () => {
  expect(parseUpstreamError({ code: 'SecMaster.20030005', message: 'not found' })).toEqual({
    code: 'SecMaster.20030005',
    message: 'not found',
    request_id: null,
  });
  expect(
    parseUpstreamError({ error_code: 'APIG.0308', error_msg: 'throttled', request_id: 'r1' }),
  ).toEqual({ code: 'APIG.0308', message: 'throttled', request_id: 'r1' });
  expect(parseUpstreamError('<html>')).toBeNull();
});

test('a batch request is strict: each problem names its field', () => {
  const good = {
    action: 'associate',
    workspace_id: UUID,
    dataclass_type: 'incidents',
    data_object_id: UUID,
    related_dataclass_type: 'alerts',
    ids: ['anything', UUID],
  };
  expect(createBatchRequestSchema.safeParse(good).success).toBe(true);
  const cases: [Record<string, unknown>, string][] = [
    [{ ...good, action: 'merge' }, 'action'],
    [{ ...good, workspace_id: '../etc' }, 'workspace_id'],
    [{ ...good, dataclass_type: 'vulnerabilities' }, 'dataclass_type'],
    [{ ...good, ids: [] }, 'ids'],
    [{ ...good, ids: ['x'.repeat(1025)] }, 'ids'],
    [{ ...good, ids: Array.from({ length: MAX_BATCH_IDS + 1 }, () => UUID) }, 'ids'],
    [{ ...good, extra: 1 }, ''],
    [{ ...good, retry_of: 'not-a-uuid' }, 'retry_of'],
  ];
  for (const [body, field] of cases) {
    const r = createBatchRequestSchema.safeParse(body);
    expect(r.success, JSON.stringify(field)).toBe(false);
    if (!r.success) expect(String(r.error.issues[0]?.path[0] ?? '')).toBe(field);
  }
});

test('a batch summary parses with and without the later optional fields', () => {
  const summary = {
    id: UUID,
    action: 'cancel',
    state: 'done',
    state_reason: null,
    workspace_id: UUID,
    dataclass_type: 'alerts',
    data_object_id: UUID,
    related_dataclass_type: 'indicators',
    reason: null,
    user: 'local',
    retry_of: null,
    total: 1,
    duplicates: 0,
    counts: {
      pending: 0,
      in_flight: 0,
      succeeded: 1,
      failed: 0,
      unknown: 0,
      invalid: 0,
      skipped: 0,
    },
    created_at: '2026-11-22T00:00:00.000Z',
    finished_at: '2026-11-22T00:00:01.000Z',
  };
  expect(batchSummarySchema.parse(summary).counts.succeeded).toBe(1);
  // A server that did not read before writing sends neither: no change recorded, and its
  // successes are not known to be changes.
  expect(batchSummarySchema.parse(summary)).toMatchObject({
    counts: { unchanged: 0 },
    changes_recorded: false,
  });
  expect(
    batchSummarySchema.parse({
      ...summary,
      counts: { ...summary.counts, unchanged: 2 },
      changes_recorded: true,
    }),
  ).toMatchObject({ counts: { unchanged: 2 }, changes_recorded: true });
  expect(batchSummarySchema.safeParse({ ...summary, state: 'exploded' }).success).toBe(false);
});
