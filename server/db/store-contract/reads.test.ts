/**
 * What the UI reads, on both stores: a batch's items (page, state, ID search) and the history (a
 * page, newest first, and its filters as the route parses them).
 */
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { parseHistoryFilter, type HistoryFilter } from '../../batches/history-filter';
import { itemsOfIds } from '../../batches/service';
import { storeFactories, type TestStore } from '../../testing/stores';
import { SUBJECT, common, create, makeIds, useStore } from './helpers';

const ids = Array.from({ length: 500 }, (_, n) =>
  n % 3 === 0 ? `Alert_${String(n).padStart(30, '0')}` : `alert-${String(n).padStart(30, '0')}`,
);

/** Two batches of the same 500 IDs; in the second, every 7th is failed. Returns the second. */
async function seedItems(t: TestStore): Promise<string> {
  const batch = {
    ...common,
    workspace_id: 'w'.repeat(32),
    data_object_id: 'x'.repeat(32),
    items: ids.map((id) => ({ id, idKey: id, state: 'pending' as const, message: null })),
  };
  expect((await t.store.createBatch(batch)).total).toBe(500);
  const b = await t.store.createBatch(batch);
  const failed = ids.flatMap((_, n) => (n % 7 === 0 ? [n] : []));
  await t.db
    .updateTable('items')
    .set({ state: 'failed' })
    .where('batch_id', '=', b.id)
    .where('seq', 'in', failed)
    .execute();
  return b.id;
}

describe.each(storeFactories)('$name store: items', (factory) => {
  const s = useStore(factory);

  test('an unfiltered page is a range of the input order; the total is the batch size', async () => {
    const id = await seedItems(s.current);
    const page = await s.current.store.listItems(id, { offset: 450, limit: 100 });
    expect(page.total).toBe(500);
    expect(page.items.map((i) => i.id)).toEqual(ids.slice(450));
    expect((await s.current.store.listItems(id, { offset: 600, limit: 100 })).items).toEqual([]);
    expect(await s.current.store.listItems('no-such-batch', { offset: 0, limit: 10 })).toEqual({
      items: [],
      total: 0,
    });
  });

  test('the state filter counts and pages only that state', async () => {
    const id = await seedItems(s.current);
    const failed = ids.filter((_, n) => n % 7 === 0);
    const page = await s.current.store.listItems(id, { state: 'failed', offset: 10, limit: 5 });
    expect(page.total).toBe(failed.length);
    expect(page.items.map((i) => i.id)).toEqual(failed.slice(10, 15));
    // A page past the end still tells how many match.
    expect(
      await s.current.store.listItems(id, { state: 'failed', offset: 1000, limit: 5 }),
    ).toEqual({ items: [], total: failed.length });
    expect(await s.current.store.listItems(id, { state: 'unknown', offset: 0, limit: 5 })).toEqual({
      items: [],
      total: 0,
    });
  });

  test('the ID search is a case-insensitive substring, in input order, with or without a state', async () => {
    const id = await seedItems(s.current);
    const { store } = s.current;
    const hits = ids.filter((x) => x.toLowerCase().includes('alert_'));
    const page = await store.listItems(id, { q: 'ALERT_', offset: 5, limit: 10 });
    expect(page.total).toBe(hits.length);
    expect(page.items.map((i) => i.id)).toEqual(hits.slice(5, 15));
    expect((await store.listItems(id, { q: 'ALERT_', offset: 500, limit: 10 })).total).toBe(
      hits.length,
    );

    const exact = await store.listItems(id, { q: ids[123]?.toUpperCase(), offset: 0, limit: 10 });
    expect(exact.items.map((i) => i.id)).toEqual([ids[123]]);

    const both = await store.listItems(id, { state: 'failed', q: '9', offset: 0, limit: 1000 });
    expect(both.items.map((i) => i.id)).toEqual(
      ids.filter((x, n) => n % 7 === 0 && x.includes('9')),
    );
    expect(both.total).toBe(both.items.length);
  });

  test('LIKE wildcards in the search are taken literally', async () => {
    const { store } = s.current;
    const id = await seedItems(s.current);
    expect((await store.listItems(id, { q: '%', offset: 0, limit: 10 })).total).toBe(0);
    expect((await store.listItems(id, { q: '_0000', offset: 0, limit: 10 })).total).toBe(
      ids.filter((x) => x.toLowerCase().includes('_0000')).length,
    );
    const odd = await create(s.current, makeIds(30), ['not_an_id%', 'x_y', 'back\\slash']);
    expect(
      (await store.listItems(odd, { state: 'invalid', offset: 0, limit: 10 })).items.map(
        (i) => i.id,
      ),
    ).toEqual(['not_an_id%', 'x_y', 'back\\slash']);
    expect((await store.listItems(odd, { q: '%', offset: 0, limit: 10 })).total).toBe(1);
    expect((await store.listItems(odd, { q: '_', offset: 0, limit: 10 })).total).toBe(2);
    expect((await store.listItems(odd, { q: '\\', offset: 0, limit: 10 })).total).toBe(1);
    expect((await store.listItems(odd, { q: 'AAAA', offset: 0, limit: 10 })).total).toBe(30);
    const p = await store.listItems(odd, { offset: 10, limit: 5 });
    expect(p.total).toBe(33);
  });
});

/** A UUID with letters in it, the same every run (n's MD5 in the UUID's groups). */
function uuidOf(n: number): string {
  const h = createHash('md5').update(`id ${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** ASCII letters to lower case, nothing else (what LIKE and ILIKE under collation C fold). */
const fold = (s: string) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());

type Item = ReturnType<typeof itemsOfIds>['items'][number];

/** What the search finds: the items whose key contains `q` but for case, in input order. */
const containing = (items: readonly Item[], q: string) =>
  items.filter((i) => fold(i.idKey).includes(fold(q))).map((i) => i.id);

/**
 * The ID search of a whole ID. On PostgreSQL, when no key of the batch is longer than q, it seeks
 * the keys equal to q but for case instead of reading every key (pg-store.ts): each case below
 * has an answer that a wrong shortcut would change (only the equal key, only one case of it, a
 * longer key containing q left out, a wildcard taken as one).
 */
describe.each(storeFactories)('$name store: the ID search of a whole ID', (factory) => {
  const s = useStore(factory);

  /** A batch of `tokens` as the service makes it (UUIDs' keys in lower case, others as given). */
  async function batchOfTokens(tokens: readonly string[]): Promise<{ id: string; items: Item[] }> {
    const { items } = itemsOfIds(tokens);
    expect(items).toHaveLength(tokens.length);
    const id = (await s.current.store.createBatch({ ...common, data_object_id: SUBJECT, items }))
      .id;
    return { id, items };
  }

  const search = (id: string, q: string, more: { offset?: number; limit?: number } = {}) =>
    s.current.store.listItems(id, { q, offset: more.offset ?? 0, limit: more.limit ?? 1000 });

  test('a whole UUID in any case finds its item alone; with a state, paged; one not there finds nothing', async () => {
    const tokens = Array.from({ length: 300 }, (_, n) => uuidOf(n));
    const { id } = await batchOfTokens(tokens);
    const one = tokens[123] ?? '';
    for (const q of [one.toUpperCase(), one, `${one.slice(0, 18).toUpperCase()}${one.slice(18)}`])
      expect(await search(id, q)).toMatchObject({ items: [{ id: one }], total: 1 });
    const { store } = s.current;
    expect(
      await store.listItems(id, { state: 'pending', q: one.toUpperCase(), offset: 0, limit: 5 }),
    ).toMatchObject({ items: [{ id: one }], total: 1 });
    expect(
      await store.listItems(id, { state: 'failed', q: one.toUpperCase(), offset: 0, limit: 5 }),
    ).toEqual({ items: [], total: 0 });
    expect(await search(id, one.toUpperCase(), { offset: 1 })).toEqual({ items: [], total: 1 });
    expect(await search(id, uuidOf(999).toUpperCase())).toEqual({ items: [], total: 0 });
    // Longer than every key of the batch.
    expect(await search(id, `${one}0`)).toEqual({ items: [], total: 0 });
  });

  test('a whole ID that is part of longer IDs of the batch finds them all, in input order; a part of an ID finds every ID holding it', async () => {
    const uuids = Array.from({ length: 50 }, (_, n) => uuidOf(n));
    const one = uuids[10] ?? '';
    const tokens = [
      ...uuids.slice(0, 3),
      `${one.toUpperCase()}-x`, // a longer well-formed ID (not a UUID: its key keeps its case)
      ...uuids.slice(3),
      `X${one}`,
      `see ${one} here`, // malformed: an invalid item, searched as the others
    ];
    const { id, items } = await batchOfTokens(tokens);
    const want = [`${one.toUpperCase()}-x`, one, `X${one}`, `see ${one} here`];
    expect(containing(items, one.toUpperCase())).toEqual(want);
    expect(await search(id, one.toUpperCase())).toMatchObject({
      items: want.map((x) => ({ id: x })),
      total: 4,
    });
    expect(await search(id, one, { offset: 1, limit: 2 })).toMatchObject({
      items: want.slice(1, 3).map((x) => ({ id: x })),
      total: 4,
    });
    for (const q of [one.slice(9, 23).toUpperCase(), uuids[7]?.slice(0, 8) ?? '', '4', 'ab']) {
      const found = containing(items, q);
      expect(found.length).toBeGreaterThan(0);
      expect(await search(id, q)).toMatchObject({
        items: found.map((x) => ({ id: x })),
        total: found.length,
      });
    }
  });

  test('IDs of mixed lengths, some equal but for case: every whole ID in any case finds every key holding it', async () => {
    const hex = (n: number) => createHash('md5').update(`hex ${n}`).digest('hex');
    const letters = 'AbCdEfGhIjKlMnOpQrStUvWxYz'.repeat(3).slice(0, 64);
    const swapped = letters.replace(/[a-z]|[A-Z]/g, (ch) =>
      ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase(),
    );
    const digits = '0'.repeat(33);
    const lengths: Record<string, string[]> = {
      // Not UUIDs: each key keeps its case, so these are distinct IDs equal but for case.
      32: [hex(1), hex(1).toUpperCase(), hex(2), hex(3).toUpperCase()],
      36: [uuidOf(1), uuidOf(2), uuidOf(3)],
      40: [`Alert_${digits}1`, `ALERT_${digits}1`, `alert_${digits}1`, `alertX${digits}1`],
      64: [
        letters,
        swapped,
        // `_` is not a wildcard: the first is not found by the second, nor the second by the first.
        `${'w'.repeat(30)}_${'w'.repeat(33)}`,
        `${'w'.repeat(30)}Z${'w'.repeat(33)}`,
      ],
    };
    const mixed = Object.values(lengths).flatMap((ts, k) => (k % 2 ? [...ts].reverse() : ts));
    // One batch of each length (no key longer than a whole ID of it), and one of them all.
    for (const tokens of [...Object.values(lengths), mixed]) {
      const { id, items } = await batchOfTokens(tokens);
      for (const token of tokens) {
        for (const q of [token, token.toUpperCase(), token.toLowerCase()]) {
          const found = containing(items, q);
          expect(found).toContain(token);
          expect(await search(id, q)).toMatchObject({
            items: found.map((x) => ({ id: x })),
            total: found.length,
          });
        }
      }
      // As long as the longest key, and in no key.
      const longest = Math.max(...tokens.map((t) => t.length));
      expect(await search(id, 'q'.repeat(longest))).toEqual({ items: [], total: 0 });
    }
    // The three cases of one ID, paged.
    const { id } = await batchOfTokens(lengths[40] ?? []);
    expect(await search(id, `ALERT_${digits}1`, { offset: 1, limit: 1 })).toMatchObject({
      items: [{ id: `ALERT_${digits}1` }],
      total: 3,
    });
  });
});

const SUBJECT_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const SUBJECT_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ALERT_1 = '11111111-1111-4111-8111-111111111111';
const ALERT_2 = '22222222-2222-4222-8222-222222222222';
const ALERT_3 = 'alert333333333333333333333333333333';

describe.each(storeFactories)('$name store: history', (factory) => {
  let clock = new Date('2026-12-01T10:00:00.000Z');
  const s = useStore(factory, { now: () => clock });

  async function batchAt(
    at: string,
    o: { subject: string; ids: string[]; user: string; reason?: string | null; action?: 'cancel' },
  ): Promise<string> {
    clock = new Date(at);
    const { items, duplicates } = itemsOfIds(o.ids);
    return (
      await s.current.store.createBatch({
        ...common,
        action: o.action ?? 'associate',
        data_object_id: o.subject,
        user: o.user,
        reason: o.reason ?? null,
        duplicates,
        items,
      })
    ).id;
  }

  /** Four batches over three days, by two users, on two subjects (history.test.ts's). */
  async function seed() {
    const first = await batchAt('2026-12-01T08:00:00.000Z', {
      subject: SUBJECT_A,
      ids: [ALERT_1, ALERT_2],
      user: 'alice',
      reason: 'Phishing wave, ticket SOC-4411',
    });
    const second = await batchAt('2026-12-02T00:00:00.000Z', {
      subject: SUBJECT_B,
      ids: [ALERT_2.toUpperCase(), ALERT_3],
      user: 'bob',
      reason: null,
    });
    const third = await batchAt('2026-12-02T23:59:59.999Z', {
      subject: SUBJECT_A,
      ids: [ALERT_3],
      action: 'cancel',
      user: 'alice.smith',
      reason: 'cleanup 100%',
    });
    const fourth = await batchAt('2026-12-03T00:00:00.000Z', {
      subject: SUBJECT_B,
      ids: ['not an id'],
      user: 'carol',
    });
    // `fourth` holds only an invalid ID: it is done at once. The others run.
    await s.current.store.transitionBatch(
      second,
      ['running'],
      'interrupted',
      'authentication failed',
    );
    return { first, second, third, fourth };
  }

  /** The ids listed (newest first) and the total for a query string, parsed as the route does. */
  async function list(query: string): Promise<{ ids: string[]; total: number }> {
    const params = new URLSearchParams(query);
    const parsed = parseHistoryFilter((name) => params.get(name) ?? undefined);
    if (!parsed.ok) throw new Error(parsed.message);
    const offset = Number(params.get('offset') ?? 0);
    const limit = Number(params.get('limit') ?? 50);
    const page = await s.current.store.listBatches(offset, limit, parsed.filter);
    return { ids: page.items.map((b) => b.id), total: page.total };
  }

  test('batches list newest first, a page at a time, with the total', async () => {
    const a = await create(s.current, makeIds(1, 'a'));
    const b = await create(s.current, makeIds(1, 'b'));
    const c = await create(s.current, makeIds(1, 'c'));
    const page = await s.current.store.listBatches(0, 2);
    expect(page.total).toBe(3);
    expect(page.items.map((x) => x.id)).toEqual([c, b]);
    expect(page.items[0]).toEqual(await s.current.store.getBatch(c));
    expect((await s.current.store.listBatches(2, 2)).items.map((x) => x.id)).toEqual([a]);
    expect(await s.current.store.listBatches(5, 2)).toEqual({ items: [], total: 3 });
    expect(await s.current.store.listBatches(0, 0)).toEqual({ items: [], total: 3 });
  });

  test('no filter lists every batch, newest first', async () => {
    const { first, second, third, fourth } = await seed();
    expect(await list('')).toEqual({ ids: [fourth, third, second, first], total: 4 });
  });

  test('touches: the batches with that ID among their items (any case for a UUID), or as subject', async () => {
    const { first, second, third } = await seed();
    expect(await list(`touches=${ALERT_2}`)).toEqual({ ids: [second, first], total: 2 });
    expect(await list(`touches=${ALERT_2.toUpperCase()}`)).toEqual({
      ids: [second, first],
      total: 2,
    });
    expect(await list(`touches=${ALERT_3}`)).toEqual({ ids: [third, second], total: 2 });
    // Not a UUID: compared exactly, as SecMaster does.
    expect((await list(`touches=${ALERT_3.toUpperCase()}`)).total).toBe(0);
    expect(await list(`touches=${SUBJECT_A}`)).toEqual({ ids: [third, first], total: 2 });
    expect((await list(`touches=${'9'.repeat(32)}`)).total).toBe(0);
  });

  test('q: a substring of the reason, user, subject or id (any case), or exactly a touched ID', async () => {
    const { first, second, third, fourth } = await seed();
    expect((await list('q=phishing WAVE')).ids).toEqual([first]);
    expect((await list('q=soc-4411')).ids).toEqual([first]);
    expect((await list('q=alice')).ids).toEqual([third, first]);
    expect((await list('q=CAROL')).ids).toEqual([fourth]);
    expect((await list(`q=${SUBJECT_B.slice(0, 12)}`)).ids).toEqual([fourth, second]);
    expect((await list(`q=${second.slice(0, 8)}`)).ids).toContain(second);
    // An ID the batch touched: exact (a UUID in any case), never a substring of the items.
    expect((await list(`q=${ALERT_1.toUpperCase()}`)).ids).toEqual([first]);
    expect((await list(`q=${ALERT_1.slice(0, 20)}`)).total).toBe(0);
    // LIKE's wildcards are plain characters.
    expect((await list('q=100%25')).ids).toEqual([third]);
    expect((await list('q=%25')).ids).toEqual([third]);
    expect((await list('q=_')).total).toBe(0);
    expect((await list('q=nothing-like-this')).total).toBe(0);
  });

  test('q folds ASCII case only, as SQLite’s LIKE does (the text columns are collate "C" on PostgreSQL)', async () => {
    const accented = await batchAt('2026-12-01T08:00:00.000Z', {
      subject: SUBJECT_A,
      ids: [ALERT_1],
      user: 'zoé',
      reason: 'Équipe rouge',
    });
    expect((await list('q=Équipe ROUGE')).ids).toEqual([accented]);
    expect((await list('q=équipe')).total).toBe(0);
    expect((await list('q=ZOé')).ids).toEqual([accented]);
    expect((await list('q=zoÉ')).total).toBe(0);
  });

  test('subject, user and state are exact; kind "batch" is every plain batch', async () => {
    const { first, second, third, fourth } = await seed();
    expect((await list(`subject=${SUBJECT_A.toUpperCase()}`)).ids).toEqual([third, first]);
    // Subject is not "touched": an item ID is not a subject.
    expect((await list(`subject=${ALERT_1}`)).total).toBe(0);
    expect((await list('user=alice')).ids).toEqual([first]);
    expect((await list('user=ALICE')).total).toBe(0);
    expect((await list('state=interrupted')).ids).toEqual([second]);
    expect((await list('state=done')).ids).toEqual([fourth]);
    expect((await list('state=running')).ids).toEqual([third, first]);
    expect((await list('kind=batch')).total).toBe(4);
    expect((await list('kind=move')).total).toBe(0);
  });

  test('from/to are inclusive; a date as `to` is the whole day (UTC)', async () => {
    const { first, second, third, fourth } = await seed();
    expect((await list('from=2026-12-02&to=2026-12-02')).ids).toEqual([third, second]);
    expect((await list('to=2026-12-01')).ids).toEqual([first]);
    expect((await list('from=2026-12-03')).ids).toEqual([fourth]);
    expect((await list('from=2026-12-02T00:00:00Z&to=2026-12-02T00:00:00Z')).ids).toEqual([second]);
    // A time zone other than UTC: 2026-12-03T01:00+01:00 is midnight UTC.
    expect((await list('from=2026-12-03T01:00%2B01:00')).ids).toEqual([fourth]);
    expect((await list('from=2026-12-04')).total).toBe(0);
  });

  test('filters are AND-ed, and the total counts every match while a page is cut', async () => {
    const { first, third } = await seed();
    expect(await list(`subject=${SUBJECT_A}&state=running&q=alice`)).toEqual({
      ids: [third, first],
      total: 2,
    });
    expect(await list(`subject=${SUBJECT_A}&q=alice&limit=1`)).toEqual({ ids: [third], total: 2 });
    expect(await list(`subject=${SUBJECT_A}&q=alice&offset=1&limit=1`)).toEqual({
      ids: [first],
      total: 2,
    });
    expect(await list(`subject=${SUBJECT_A}&q=alice&offset=2&limit=1`)).toEqual({
      ids: [],
      total: 2,
    });
    expect((await list(`touches=${ALERT_3}&user=bob&from=2026-12-03`)).total).toBe(0);
    // Blank parameters are absent.
    expect((await list('q=&user=&state=&from=&to=&touches=')).total).toBe(4);
  });

  test('groups: only top-level rows are listed; a child touching an ID finds its group; kind and destination filter', async () => {
    const { first, second, third, fourth } = await seed();
    // `second` and `third` become the two phases of a move from A to B (`first` is its row).
    await s.current.db
      .updateTable('batches')
      .set({ kind: 'move', destination_id: SUBJECT_B })
      .where('id', '=', first)
      .execute();
    await s.current.db
      .updateTable('batches')
      .set({ group_id: first })
      .where('id', 'in', [second, third])
      .execute();

    expect(await list('')).toEqual({ ids: [fourth, first], total: 2 });
    // ALERT_3 is only in the children's items.
    expect((await list(`touches=${ALERT_3}`)).ids).toEqual([first]);
    expect((await list(`q=${ALERT_3}`)).ids).toEqual([first]);
    expect((await list('kind=move')).ids).toEqual([first]);
    expect((await list('kind=batch')).ids).toEqual([fourth]);
    // The move's destination is one of its subjects.
    expect((await list(`subject=${SUBJECT_B}`)).ids).toEqual([fourth, first]);
    expect((await list(`touches=${SUBJECT_B}`)).ids).toEqual([fourth, first]);
  });

  test('a filter given directly (not parsed) with every field set', async () => {
    const { first } = await seed();
    const filter: HistoryFilter = {
      q: 'phishing',
      subject: SUBJECT_A,
      touches: ALERT_1,
      user: 'alice',
      state: 'running',
      kind: 'batch',
      from: '2026-12-01T00:00:00.000Z',
      to: '2026-12-01T23:59:59.999Z',
    };
    const page = await s.current.store.listBatches(0, 10, filter);
    expect(page.items.map((b) => b.id)).toEqual([first]);
    expect(page.total).toBe(1);
    expect(page.items[0]?.counts.pending).toBe(2);
  });
});
