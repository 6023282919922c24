/**
 * historyCondition (Kysely, both dialects) picks the same rows as historyWhere (the SQLite ledger's
 * SQL) on one SQLite ledger, for every filter alone and a few together; PostgreSQL runs it through
 * the store contract (store-contract/reads.test.ts).
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { historyWhere, type HistoryFilter } from '../batches/history-filter';
import { itemsOfIds } from '../batches/service';
import { openSqliteTestStore, type SqliteTestStore } from '../testing/stores';
import { historyCondition } from './history-query';
import { common } from './store-contract/helpers';

let t: SqliteTestStore;
beforeEach(() => {
  t = openSqliteTestStore();
});
afterEach(async () => {
  await t.close();
});

const SUBJECT_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const SUBJECT_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ALERT_1 = '11111111-1111-4111-8111-111111111111';
const ALERT_3 = 'alert333333333333333333333333333333';

async function seed(): Promise<void> {
  const add = (o: { subject: string; ids: string[]; user: string; reason: string | null }) => {
    const { items, duplicates } = itemsOfIds(o.ids);
    return t.store.createBatch({
      ...common,
      data_object_id: o.subject,
      user: o.user,
      reason: o.reason,
      duplicates,
      items,
    });
  };
  const first = await add({ subject: SUBJECT_A, ids: [ALERT_1], user: 'alice', reason: 'A_b%c' });
  await add({ subject: SUBJECT_B, ids: [ALERT_3], user: 'bob', reason: null });
  await add({ subject: SUBJECT_A, ids: ['bad id'], user: 'Alice', reason: 'Équipe x\\y' });
  const move = await t.store.createBatch({
    ...common,
    kind: 'move',
    data_object_id: SUBJECT_B,
    destination_id: SUBJECT_A,
    items: [],
  });
  await t.store.createBatch({
    ...common,
    group_id: move.id,
    data_object_id: SUBJECT_A,
    items: itemsOfIds([ALERT_3]).items,
  });
  await t.store.transitionBatch(first.id, ['running'], 'paused', null);
}

const filters: HistoryFilter[] = [
  {},
  { q: 'alice' },
  { q: 'ALICE' },
  { q: 'a_b%' },
  { q: '%' },
  { q: '_' },
  { q: '\\' },
  { q: 'équipe' },
  { q: 'Équipe X' },
  { q: ALERT_1.toUpperCase() },
  { q: ALERT_3 },
  { q: SUBJECT_B.slice(3, 12) },
  { touches: ALERT_3 },
  { touches: SUBJECT_A },
  { touches: ALERT_1 },
  { subject: SUBJECT_A },
  { subject: SUBJECT_B },
  { user: 'alice' },
  { state: 'paused' },
  { state: 'running' },
  { kind: 'move' },
  { kind: 'batch' },
  { kind: 'pairs' },
  { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' },
  { to: '2000-01-01T00:00:00.000Z' },
  { subject: SUBJECT_A, q: 'alice', state: 'running' },
  { touches: ALERT_3, kind: 'move' },
];

test('the same rows as historyWhere for every filter', async () => {
  await seed();
  const columns = { kind: true, groupId: true, destinationId: true };
  const sizes = new Set<number>();
  for (const filter of filters) {
    const { where, params } = historyWhere(filter, columns);
    const expected = t.ledger.db
      .prepare(`SELECT b.n FROM batches b ${where} ORDER BY b.n DESC`)
      .pluck()
      .all(params);
    const rows = await t.db
      .selectFrom('batches as b')
      .select('b.n')
      .where((eb) => historyCondition(eb, filter, 'sqlite'))
      .orderBy('b.n', 'desc')
      .execute();
    expect(
      rows.map((r) => r.n),
      JSON.stringify(filter),
    ).toEqual(expected);
    sizes.add(expected.length);
  }
  // The filters tell the rows apart: some match none, some one, some several.
  expect([...sizes].sort()).toEqual([0, 1, 2, 3, 4]);
});
