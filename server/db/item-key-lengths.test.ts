/**
 * `item_key_lengths` (migration 8, 008-id-key-lengths.ts): each batch's longest item key, which
 * lets the ID search of a whole ID seek (pg-store.ts `listItems`). Kept by PostgreSQL's triggers
 * whoever writes items: the store's createBatch and createGroup, an insert by another writer into a
 * batch that exists, an update of a key; and filled by the migration for batches created before
 * it. If it were below a key of its batch, the search would miss that key's rows: each test
 * searches for such a row.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, test } from 'vitest';
import { openPgTestStore, type PgTestStore } from '../testing/stores';
import { compilerFor } from './migration';
import { idKeyLengths } from './migrations/008-id-key-lengths';
import { batchOf, common, makeIds, pending } from './store-contract/helpers';

const opened: PgTestStore[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function open(): Promise<PgTestStore> {
  const t = await openPgTestStore();
  opened.push(t);
  return t;
}

/** The table against the longest key of each batch's items, read now. */
async function tableMatches(t: PgTestStore): Promise<void> {
  const kept = await sql<{ batch_id: string; longest: number }>`
    select batch_id, longest from item_key_lengths order by batch_id`.execute(t.db);
  const fresh = await sql<{ batch_id: string; longest: number }>`
    select batch_id, max(char_length(id_key)) as longest from items group by batch_id
     order by batch_id`.execute(t.db);
  expect(kept.rows).toEqual(fresh.rows);
}

/** Every item of `batchId` whose key holds `q` (any case): the search's answer, page and total. */
async function searchFinds(t: PgTestStore, batchId: string, q: string, ids: string[]) {
  expect(await t.store.listItems(batchId, { q, offset: 0, limit: 100 })).toMatchObject({
    items: ids.map((id) => ({ id })),
    total: ids.length,
  });
}

describe('item_key_lengths (PostgreSQL): the longest key of each batch, kept by every write', () => {
  test('createBatch and createGroup record each batch’s longest key (a group’s and each child’s)', async () => {
    const t = await open();
    await t.store.createBatch(batchOf(makeIds(30), ['x'.repeat(70)]));
    await t.store.createBatch(batchOf(makeIds(3)));
    await t.store.createGroup(
      {
        ...common,
        kind: 'pairs',
        data_object_id: '',
        total: 8,
        items: [{ id: 'x', idKey: '["?","x"]', state: 'invalid', message: 'subject: bad' }],
      },
      [
        { ...common, data_object_id: makeIds(1, 's')[0] ?? '', items: makeIds(5).map(pending) },
        { ...common, data_object_id: makeIds(2, 's')[1] ?? '', items: [pending('b'.repeat(40))] },
      ],
    );
    await tableMatches(t);
    const lengths = await sql<{ longest: number }>`
      select longest from item_key_lengths order by longest`.execute(t.db);
    expect(lengths.rows.map((r) => r.longest)).toEqual([9, 36, 36, 40, 70]);
  });

  test('an item another writer inserts into a batch that exists raises its bound: the search finds it', async () => {
    const t = await open();
    const ids = makeIds(20);
    const one = ids[4] ?? '';
    const id = (await t.store.createBatch(batchOf(ids))).id;
    await searchFinds(t, id, one.toUpperCase(), [one]);
    const longer = `${one}-more`;
    await t.db
      .insertInto('items')
      .values({
        batch_id: id,
        seq: 20,
        id: longer,
        id_key: longer,
        state: 'pending',
        message: null,
        updated_at: new Date().toISOString(),
      })
      .execute();
    await tableMatches(t);
    await searchFinds(t, id, one.toUpperCase(), [one, longer]);
  });

  test('a key updated to a longer one raises its batch’s bound: the search finds it', async () => {
    const t = await open();
    const ids = makeIds(20);
    const one = ids[4] ?? '';
    const id = (await t.store.createBatch(batchOf(ids))).id;
    const longer = `x${one}`;
    await t.db
      .updateTable('items')
      .set({ id_key: longer })
      .where('batch_id', '=', id)
      .where('seq', '=', 9)
      .execute();
    await tableMatches(t);
    await searchFinds(t, id, one.toUpperCase(), [one, ids[9] ?? '']);
    // Claims and outcomes do not change keys (nor the bound).
    await t.store.claimChunk(id, 5);
    await tableMatches(t);
  });

  test('a batch without a row is searched by the scan; the migration’s fill gives each batch its row', async () => {
    const t = await open();
    const ids = makeIds(20);
    const one = ids[4] ?? '';
    const id = (await t.store.createBatch(batchOf(ids, [`${one} and more`]))).id;
    const short = (await t.store.createBatch(batchOf(ids.slice(0, 5)))).id;
    // As a database migrated before this migration holds it: no rows; then the migration's fill.
    await sql`delete from item_key_lengths`.execute(t.db);
    await searchFinds(t, id, one.toUpperCase(), [one, `${one} and more`]);
    const fill = idKeyLengths.up(compilerFor('postgres'), 'postgres').at(-1);
    if (fill === undefined) throw new Error('the migration has no statements');
    await t.db.executeQuery(fill);
    await tableMatches(t);
    expect((await sql`select 1 from item_key_lengths`.execute(t.db)).rows).toHaveLength(2);
    await searchFinds(t, id, one.toUpperCase(), [one, `${one} and more`]);
    await searchFinds(t, short, one.toUpperCase(), [one]);
  });
});
