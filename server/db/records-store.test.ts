/**
 * The records store (records-store.ts) on both databases: one suite, run on a SQLite ledger file and
 * on PostgreSQL, with rows written straight into the tables (server/testing/ledger-rows.ts). The
 * last test compares every read with the synchronous `openRecords` on the same rows.
 */
import type { CompiledQuery } from 'kysely';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { PERMANENT_FAILURE_CODES, itemStates, type BatchItem } from '../../src/api/schemas';
import { EXPORT_PAGE_ROWS, openRecords } from '../batches/records';
import {
  insertBatches,
  seededRandom,
  testUuid,
  type BatchSeed,
  type ItemSeed,
} from '../testing/ledger-rows';
import { DIALECTS, openTestLedger, sqliteTwin, type TestLedger } from '../testing/test-ledgers';
import { openRecordsStore, type RecordsStore } from './records-store';
import { sqliteKysely } from './sqlite-kysely';

const alert = (n: number) => `alert-${String(n).padStart(26, '0')}`;

async function collect<T>(pages: AsyncGenerator<T[], void, undefined>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

/** Batches of random items: states, failure codes (permanent, transient, none), outcome fields. */
function randomSeeds(seed: number): BatchSeed[] {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const codes = [null, ...PERMANENT_FAILURE_CODES, 'RATE_LIMITED', 'INTERNAL_ERROR'];
  const sizes = [0, 1, 7, EXPORT_PAGE_ROWS - 1, EXPORT_PAGE_ROWS, EXPORT_PAGE_ROWS * 2 + 3];
  return sizes.map((size, b) => ({
    id: testUuid(b + 1),
    items: Array.from({ length: size }, (_, n): ItemSeed => {
      const state = pick(itemStates);
      return {
        id: alert(b * 10_000 + n),
        state,
        code: state === 'failed' || state === 'succeeded' ? pick(codes) : null,
        message: random() < 0.5 ? null : `message ${String(n)}`,
        request_id: random() < 0.5 ? null : `req-${String(n)}`,
        attempts: Math.floor(random() * 4),
      };
    }),
  }));
}

describe.each(DIALECTS)('the records store on %s', (dialect) => {
  let t: TestLedger;
  let store: RecordsStore;
  const closing: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    t = await openTestLedger(dialect);
    closing.push(t);
    store = openRecordsStore(t.kysely);
  });
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((l) => l.close()));
  });

  test('itemPages and idsInState read in input order, a page at a time', async () => {
    const ids = Array.from({ length: 2500 }, (_, n) => alert(n));
    await insertBatches(t.kysely, [
      { id: testUuid(1), items: ids.map((id) => ({ id, state: 'pending' })) },
      // Another batch's items are never read with this one's.
      { id: testUuid(2), items: [{ id: alert(9999), state: 'pending' }] },
    ]);
    const pages = await collect(store.itemPages(testUuid(1)));
    expect(pages.map((p) => p.length)).toEqual([1000, 1000, 500]);
    expect(pages.flat().map((i) => i.id)).toEqual(ids);
    expect(await store.idsInState(testUuid(1), 'pending')).toEqual(ids);
    expect(await store.idsInState(testUuid(1), 'succeeded')).toEqual([]);
  });

  test('pages end on a page boundary without an empty page; an unknown batch has none', async () => {
    const ids = Array.from({ length: EXPORT_PAGE_ROWS * 2 }, (_, n) => alert(n));
    await insertBatches(t.kysely, [
      { id: testUuid(1), items: ids.map((id) => ({ id, state: 'succeeded' })) },
    ]);
    const pages = await collect(store.itemPages(testUuid(1)));
    expect(pages.map((p) => p.length)).toEqual([1000, 1000]);
    expect(await store.idsInState(testUuid(1), 'succeeded')).toEqual(ids);
    expect(await collect(store.itemPages(testUuid(9)))).toEqual([]);
    expect(await store.idsInState(testUuid(9), 'succeeded')).toEqual([]);
  });

  test('idsInState pages on seq across rows of other states', async () => {
    // Every other row failed: 1,250 failed IDs spread over 2,500 rows, read in pages of 1,000.
    const items = Array.from({ length: 2500 }, (_, n): ItemSeed => ({
      id: alert(n),
      state: n % 2 === 0 ? 'failed' : 'succeeded',
    }));
    await insertBatches(t.kysely, [{ id: testUuid(1), items }]);
    const failed = await store.idsInState(testUuid(1), 'failed');
    expect(failed).toEqual(items.filter((i) => i.state === 'failed').map((i) => i.id));
    expect(failed).toHaveLength(1250);
  });

  test('an item page carries each outcome (state, code, message, request ID, attempts), not its seq', async () => {
    await insertBatches(t.kysely, [
      {
        id: testUuid(1),
        items: [
          { id: alert(1), state: 'succeeded', request_id: 'req-1', attempts: 1 },
          {
            id: alert(2),
            state: 'failed',
            code: 'NOT_FOUND',
            message: 'no such alert',
            attempts: 2,
          },
          { id: 'not an id', state: 'invalid', message: 'not a well-formed ID' },
        ],
      },
    ]);
    const pages = await collect(store.itemPages(testUuid(1)));
    expect(pages).toStrictEqual([
      [
        {
          id: alert(1),
          state: 'succeeded',
          code: null,
          message: null,
          request_id: 'req-1',
          attempts: 1,
        },
        {
          id: alert(2),
          state: 'failed',
          code: 'NOT_FOUND',
          message: 'no such alert',
          request_id: null,
          attempts: 2,
        },
        {
          id: 'not an id',
          state: 'invalid',
          code: null,
          message: 'not a well-formed ID',
          request_id: null,
          attempts: 0,
        },
      ] satisfies BatchItem[],
    ]);
  });

  describe('retries', () => {
    const [permanentA = '', permanentB = ''] = PERMANENT_FAILURE_CODES;
    // One row of each kind, in this input order.
    const rows: ItemSeed[] = [
      { id: alert(0), state: 'succeeded' },
      { id: alert(1), state: 'failed', code: permanentA },
      { id: alert(2), state: 'unknown' },
      { id: alert(3), state: 'failed', code: 'RATE_LIMITED' },
      { id: alert(4), state: 'skipped' },
      { id: alert(5), state: 'failed', code: null },
      { id: alert(6), state: 'invalid' },
      { id: alert(7), state: 'failed', code: permanentB },
      { id: alert(8), state: 'pending' },
      { id: alert(9), state: 'unchanged' },
      { id: alert(10), state: 'in_flight' },
      { id: alert(11), state: 'unknown' },
      // A succeeded row's code is never a permanent failure.
      { id: alert(12), state: 'succeeded', code: permanentA },
    ];
    beforeEach(async () => {
      await insertBatches(t.kysely, [{ id: testUuid(1), items: rows }]);
    });

    test('retry IDs: skipped, and failed with a transient or no cause; unknown and permanent failures only when asked; input order', async () => {
      expect(await store.retryIds(testUuid(1), false, false)).toEqual([
        alert(3),
        alert(4),
        alert(5),
      ]);
      expect(await store.retryIds(testUuid(1), false, true)).toEqual([
        alert(2),
        alert(3),
        alert(4),
        alert(5),
        alert(11),
      ]);
      expect(await store.retryIds(testUuid(1), true, false)).toEqual([
        alert(1),
        alert(3),
        alert(4),
        alert(5),
        alert(7),
      ]);
      expect(await store.retryIds(testUuid(1), true, true)).toEqual([
        alert(1),
        alert(2),
        alert(3),
        alert(4),
        alert(5),
        alert(7),
        alert(11),
      ]);
      expect(await store.retryIds(testUuid(9), true, true)).toEqual([]);
    });

    test('retry counts: permanent failures apart from the failed ones a retry would carry', async () => {
      expect(await store.retryCounts(testUuid(1))).toEqual({
        failed: 2,
        unknown: 2,
        skipped: 1,
        permanent: 2,
      });
      expect(await store.retryCounts(testUuid(9))).toEqual({
        failed: 0,
        unknown: 0,
        skipped: 0,
        permanent: 0,
      });
    });
  });

  test('every read answers what the synchronous openRecords answers on the same rows', async () => {
    const seeds = randomSeeds(14);
    await insertBatches(t.kysely, seeds);
    // The synchronous reads run on SQLite: this ledger, or the same rows in a SQLite ledger.
    const twin = await sqliteTwin(t, seeds);
    closing.push(twin);
    const oracle = openRecords(twin.ledger.db);
    let compared = 0;
    for (const batchId of [...seeds.map((s) => s.id), testUuid(999)]) {
      const pages = await collect(store.itemPages(batchId));
      expect(pages).toStrictEqual([...oracle.itemPages(batchId)]);
      for (const state of itemStates)
        expect(await store.idsInState(batchId, state)).toStrictEqual(
          oracle.idsInState(batchId, state),
        );
      for (const permanent of [false, true])
        for (const unknown of [false, true])
          expect(await store.retryIds(batchId, permanent, unknown)).toStrictEqual(
            oracle.retryIds(batchId, permanent, unknown),
          );
      expect(await store.retryCounts(batchId)).toStrictEqual(oracle.retryCounts(batchId));
      compared += pages.flat().length;
    }
    // The comparison covered every seeded row (not an empty ledger on both sides).
    expect(compared).toBe(seeds.reduce((n, s) => n + (s.items?.length ?? 0), 0));
  });
});

test('on SQLite, retry IDs are read by seeks on items_by_state, never by walking the batch', async () => {
  const t = await openTestLedger('sqlite');
  try {
    const db = t.sqlite?.db;
    if (!db) throw new Error('a SQLite test ledger has its database');
    await insertBatches(t.kysely, randomSeeds(3));
    const ran: CompiledQuery[] = [];
    const kysely = sqliteKysely(db, {
      log: (event) => {
        if (event.level === 'query') ran.push(event.query);
      },
    });
    const store = openRecordsStore(kysely);
    for (const permanent of [false, true])
      for (const unknown of [false, true]) await store.retryIds(testUuid(6), permanent, unknown);
    expect(ran).toHaveLength(4);
    for (const query of ran) {
      // Without statistics SQLite would rather walk the batch on its primary key in seq order than
      // seek each state and sort (~20 ms instead of ~0.1 ms for a few failures among 100,000).
      const plan = z
        .array(z.object({ detail: z.string() }))
        .parse(db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.parameters))
        .map((r) => r.detail);
      const reads = plan.filter((d) => /\bitems\b/.test(d));
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) expect(read).toMatch(/^SEARCH items USING INDEX items_by_state /);
    }
  } finally {
    await t.close();
  }
});
