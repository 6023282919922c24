/**
 * The group records store (group-records-store.ts) on both databases: one suite, run on a SQLite
 * ledger file and on PostgreSQL, with rows written straight into the tables
 * (server/testing/ledger-rows.ts): a move's per-ID results in each phase, a pairs group's items with
 * their paging and search (LIKE's wildcards literal, ASCII case folded), the group reads. The last
 * test compares every read with the synchronous `openGroupRecords` on the same random rows.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  idKey,
  itemStates,
  moveResults,
  type ItemState,
  type MoveResult,
} from '../../src/api/schemas';
import {
  MSG_NOT_REMOVED,
  MSG_NOT_SENT_TO_SOURCE,
  MSG_SOURCE_UNKNOWN,
  MSG_STOPPED_BEFORE_SOURCE,
  openGroupRecords,
  ownPairKey,
  type GroupRecords,
  type MoveItem,
  type MovePhases,
  type PairItem,
} from '../batches/group-records';
import type { Ledger } from '../batches/ledger';
import {
  insertBatches,
  seededRandom,
  testUuid,
  type BatchSeed,
  type ItemSeed,
} from '../testing/ledger-rows';
import { DIALECTS, openTestLedger, sqliteTwin, type TestLedger } from '../testing/test-ledgers';
import { openGroupRecordsStore, type GroupRecordsStore } from './group-records-store';

const alert = (n: number) => `alert-${String(n).padStart(26, '0')}`;
const SOURCE = 'c0ffee00-0000-4000-8000-0000000000a1';
const DESTINATION = 'c0ffee00-0000-4000-8000-0000000000b2';

async function collect<T>(pages: AsyncGenerator<T[], void, undefined>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

// --- a move: one row per case of the result rules (docs/api.md) --------------------------------

/**
 * One ID of a move: its first phase (link), its second (unlink, absent: not part of it), and its
 * result with the second phase created or not, while the move runs or once it stopped.
 */
interface MoveCase {
  link: ItemState;
  linkMessage?: string;
  unlink: ItemState | null;
  unlinkMessage?: string;
  /** [running, stopped] with only the first phase created. */
  firstOnly: [MoveResult, MoveResult];
  /** [running, stopped] with both phases created. */
  both: [MoveResult, MoveResult];
  /** Its message when kept at the source (or invalid), with both phases created. */
  keptMessage?: string | null;
}

const K = 'kept_at_source';
const MOVE_CASES: MoveCase[] = [
  {
    link: 'invalid',
    linkMessage: 'not a well-formed ID',
    unlink: null,
    firstOnly: ['invalid', 'invalid'],
    both: ['invalid', 'invalid'],
    keptMessage: 'not a well-formed ID',
  },
  {
    link: 'pending',
    unlink: null,
    firstOnly: ['pending', 'pending'],
    both: ['pending', 'pending'],
  },
  {
    link: 'in_flight',
    unlink: null,
    firstOnly: ['pending', 'pending'],
    both: ['pending', 'pending'],
  },
  {
    link: 'unknown',
    linkMessage: 'Outcome unknown — re-check',
    unlink: null,
    firstOnly: ['pending', K],
    both: ['pending', K],
    keptMessage: 'Outcome unknown — re-check',
  },
  {
    link: 'failed',
    linkMessage: 'denied',
    unlink: null,
    firstOnly: [K, K],
    both: [K, K],
    keptMessage: 'denied',
  },
  { link: 'skipped', unlink: null, firstOnly: [K, K], both: [K, K], keptMessage: null },
  {
    link: 'succeeded',
    unlink: null,
    firstOnly: ['pending', K],
    both: [K, K],
    keptMessage: MSG_NOT_SENT_TO_SOURCE,
  },
  {
    link: 'succeeded',
    unlink: 'pending',
    firstOnly: ['pending', K],
    both: ['pending', 'pending'],
  },
  {
    link: 'succeeded',
    unlink: 'in_flight',
    firstOnly: ['pending', K],
    both: ['pending', 'pending'],
  },
  {
    link: 'succeeded',
    unlink: 'unknown',
    firstOnly: ['pending', K],
    both: ['pending', K],
    keptMessage: MSG_SOURCE_UNKNOWN,
  },
  {
    link: 'succeeded',
    unlink: 'succeeded',
    firstOnly: ['pending', K],
    both: ['moved', 'moved'],
  },
  {
    link: 'unchanged',
    unlink: 'succeeded',
    firstOnly: ['pending', K],
    both: ['already_at_destination', 'already_at_destination'],
  },
  {
    link: 'succeeded',
    unlink: 'unchanged',
    firstOnly: ['pending', K],
    both: ['moved', 'moved'],
  },
  {
    link: 'unchanged',
    unlink: 'unchanged',
    firstOnly: ['pending', K],
    both: ['already_at_destination', 'already_at_destination'],
  },
  {
    link: 'succeeded',
    unlink: 'failed',
    unlinkMessage: 'upstream 500',
    firstOnly: ['pending', K],
    both: [K, K],
    keptMessage: `${MSG_NOT_REMOVED}upstream 500`,
  },
  {
    link: 'succeeded',
    unlink: 'failed',
    firstOnly: ['pending', K],
    both: [K, K],
    keptMessage: `${MSG_NOT_REMOVED}failed`,
  },
  {
    link: 'unchanged',
    unlink: 'skipped',
    firstOnly: ['pending', K],
    both: [K, K],
    keptMessage: MSG_STOPPED_BEFORE_SOURCE,
  },
  {
    link: 'succeeded',
    unlink: 'invalid',
    unlinkMessage: 'odd',
    firstOnly: ['pending', K],
    both: [K, K],
    keptMessage: `${MSG_NOT_REMOVED}odd`,
  },
];

const MOVE = testUuid(0x100);
const LINK = testUuid(0x101);
const UNLINK = testUuid(0x102);

function moveSeeds(): BatchSeed[] {
  const linkItems = MOVE_CASES.map((c, n): ItemSeed => ({
    id: alert(n),
    state: c.link,
    message: c.linkMessage ?? null,
    callId: c.link === 'in_flight' ? 'call-link' : null,
  }));
  const unlinkItems = MOVE_CASES.flatMap((c, n): ItemSeed[] =>
    c.unlink === null
      ? []
      : [
          {
            id: alert(n),
            state: c.unlink,
            message: c.unlinkMessage ?? null,
            callId: c.unlink === 'in_flight' ? 'call-unlink' : null,
          },
        ],
  );
  // Not in the first phase: never one of the move's IDs.
  unlinkItems.push({ id: alert(999), state: 'succeeded' });
  const common = { data_object_id: SOURCE, group_id: MOVE };
  return [
    { id: MOVE, kind: 'move', data_object_id: SOURCE, destination_id: DESTINATION },
    { ...common, id: LINK, action: 'associate', state: 'done', items: linkItems },
    { ...common, id: UNLINK, action: 'cancel', state: 'done', items: unlinkItems },
  ];
}

/** The expected items of the move in one scenario. */
function expectedMoveItems(both: boolean, running: boolean): (MoveItem & { seq: number })[] {
  return MOVE_CASES.map((c, n) => {
    const result = (both ? c.both : c.firstOnly)[running ? 0 : 1];
    const linked = c.link === 'succeeded' || c.link === 'unchanged';
    const keptMessage = both || !linked ? (c.keptMessage ?? null) : MSG_NOT_SENT_TO_SOURCE;
    return {
      seq: n,
      id: alert(n),
      result,
      message: result === K || result === 'invalid' ? keptMessage : null,
      link_state: c.link,
      unlink_state: both ? c.unlink : null,
    };
  });
}

const SCENARIOS = [false, true].flatMap((both) =>
  [false, true].map((running) => ({
    both,
    running,
    name: `${both ? 'both phases' : 'the first phase only'}, ${running ? 'running' : 'stopped'}`,
    phases: { linkId: LINK, unlinkId: both ? UNLINK : null, running } satisfies MovePhases,
  })),
);

// --- a pairs group: its own invalid pairs and two children ---------------------------------------

const PAIRS = testUuid(0x200);
const CHILD_A = testUuid(0x201);
const CHILD_B = testUuid(0x202);
const SUBJECT_A = 'c0ffee00-0000-4000-8000-00000000000a';
const SUBJECT_B = 'c0ffee00-0000-4000-8000-00000000000b';
/** Subjects that are not well-formed IDs: their pairs are recorded on the group row. */
const BAD_SUBJECTS = ['not a subject', '50%_off'];

function pairsSeeds(): BatchSeed[] {
  const own = BAD_SUBJECTS.map((subject, n): ItemSeed => ({
    id: alert(900 + n),
    idKey: ownPairKey(subject, alert(900 + n)),
    state: 'invalid',
    message: 'the subject is not a well-formed ID',
  }));
  const a: ItemSeed[] = [
    { id: 'x%y', state: 'succeeded' },
    { id: 'x_y', state: 'failed', code: 'NOT_FOUND', message: 'no such alert' },
    { id: 'xay', state: 'succeeded' },
    { id: 'x\\y', state: 'unknown' },
    { id: 'ABC', state: 'pending' },
  ];
  const b: ItemSeed[] = [
    { id: 'abc', state: 'succeeded', request_id: 'req-b1', attempts: 1 },
    { id: 'édith', state: 'failed' },
    { id: 'Édith', state: 'succeeded' },
    { id: 'xby', state: 'skipped' },
  ];
  return [
    { id: PAIRS, kind: 'pairs', data_object_id: '', items: own },
    { id: CHILD_A, group_id: PAIRS, data_object_id: SUBJECT_A, items: a },
    { id: CHILD_B, group_id: PAIRS, data_object_id: SUBJECT_B, items: b },
  ];
}

/** All the group's pairs, as listed: its own first, then each child's, in input order. */
function allPairs(seeds: BatchSeed[]): PairItem[] {
  return seeds.flatMap((s) =>
    (s.items ?? []).map((i): PairItem => ({
      id: i.id,
      state: i.state,
      code: i.code ?? null,
      message: i.message ?? null,
      request_id: i.request_id ?? null,
      attempts: i.attempts ?? 0,
      batch_id: s.id,
      data_object_id:
        s.group_id === undefined
          ? (BAD_SUBJECTS[Number(i.id.slice(-3)) - 900] ?? '')
          : (s.data_object_id ?? ''),
    })),
  );
}

describe.each(DIALECTS)('the group records store on %s', (dialect) => {
  let t: TestLedger;
  let store: GroupRecordsStore;
  const closing: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    t = await openTestLedger(dialect);
    closing.push(t);
    store = openGroupRecordsStore(t.kysely, dialect);
  });
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((l) => l.close()));
  });

  describe('a move', () => {
    beforeEach(async () => {
      await insertBatches(t.kysely, moveSeeds());
    });

    test.each(SCENARIOS)(
      'per-ID results and messages: $name',
      async ({ both, running, phases }) => {
        const expected = expectedMoveItems(both, running);
        const page = await store.listMoveItems(phases, { offset: 0, limit: 100 });
        expect(page).toStrictEqual({ items: expected, total: MOVE_CASES.length });
        const counts = Object.fromEntries(moveResults.map((r) => [r, 0]));
        for (const item of expected) counts[item.result] = (counts[item.result] ?? 0) + 1;
        expect(await store.moveResults(phases)).toStrictEqual(counts);
        for (const result of moveResults) {
          const only = expected.filter((i) => i.result === result);
          expect(
            await store.listMoveItems(phases, { result, offset: 0, limit: 100 }),
          ).toStrictEqual({ items: only, total: only.length });
        }
      },
    );

    test('move items: offset and limit, keyset after a seq (the total ignores it), ID search', async () => {
      const phases = SCENARIOS[3]?.phases ?? { linkId: LINK, unlinkId: UNLINK, running: true };
      const all = expectedMoveItems(true, true);
      expect(await store.listMoveItems(phases, { offset: 5, limit: 4 })).toStrictEqual({
        items: all.slice(5, 9),
        total: all.length,
      });
      expect(
        await store.listMoveItems(phases, { offset: 0, limit: 3, afterSeq: 10 }),
      ).toStrictEqual({ items: all.slice(11, 14), total: all.length });
      expect(
        await store.listMoveItems(phases, { result: 'moved', offset: 0, limit: 10, afterSeq: 10 }),
      ).toStrictEqual({ items: all.filter((i) => i.seq === 12), total: 2 });
      // A substring of the ID, ASCII case folded; `_` is a character, not a wildcard.
      expect(await store.listMoveItems(phases, { q: '0017', offset: 0, limit: 10 })).toStrictEqual({
        items: all.filter((i) => i.id.endsWith('0017')),
        total: 1,
      });
      expect(
        (await store.listMoveItems(phases, { q: 'ALERT-', offset: 0, limit: 100 })).total,
      ).toBe(all.length);
      expect(
        await store.listMoveItems(phases, { q: 'alert_', offset: 0, limit: 10 }),
      ).toStrictEqual({ items: [], total: 0 });
      expect(await store.listMoveItems(phases, { q: '%', offset: 0, limit: 10 })).toStrictEqual({
        items: [],
        total: 0,
      });
    });

    test('a move without items, or an unknown one: no items, every result counted zero', async () => {
      const phases = { linkId: testUuid(0x999), unlinkId: null, running: true };
      expect(await store.listMoveItems(phases, { offset: 0, limit: 10 })).toStrictEqual({
        items: [],
        total: 0,
      });
      expect(await store.moveResults(phases)).toStrictEqual(
        Object.fromEntries(moveResults.map((r) => [r, 0])),
      );
    });
  });

  describe('a pairs group', () => {
    const seeds = pairsSeeds();
    const all = allPairs(seeds);
    beforeEach(async () => {
      await insertBatches(t.kysely, seeds);
    });

    test('its pairs: its own first (their subject from their key), then each child’s, in input order; paged', async () => {
      expect(await store.listPairs(PAIRS, { offset: 0, limit: 100 })).toStrictEqual({
        items: all,
        total: all.length,
      });
      expect(await store.listPairs(PAIRS, { offset: 1, limit: 3 })).toStrictEqual({
        items: all.slice(1, 4),
        total: all.length,
      });
      expect(await store.listPairs(PAIRS, { offset: 100, limit: 3 })).toStrictEqual({
        items: [],
        total: all.length,
      });
      expect(
        await store.listPairs(PAIRS, { state: 'failed', offset: 0, limit: 100 }),
      ).toStrictEqual({ items: all.filter((p) => p.state === 'failed'), total: 2 });
      expect(await store.ownItems(PAIRS)).toBe(BAD_SUBJECTS.length);
      expect(await store.ownItems(CHILD_B)).toBe(4);
    });

    test.each([
      // LIKE's wildcards and escape are characters of the search.
      { q: '%', ids: [alert(901), 'x%y'] },
      { q: '_', ids: [alert(901), 'x_y'] },
      { q: '\\', ids: ['x\\y'] },
      { q: 'x_', ids: ['x_y'] },
      // ASCII case folded both ways; other letters compared as they are (as SQLite's LIKE does).
      { q: 'abc', ids: ['ABC', 'abc'] },
      { q: 'aBC', ids: ['ABC', 'abc'] },
      { q: 'édith', ids: ['édith'] },
      { q: 'ÉDITH', ids: ['Édith'] },
      // A child's subject matches all its pairs; an own pair's subject, in its key, matches it.
      { q: SUBJECT_B.slice(-6).toUpperCase(), ids: ['abc', 'édith', 'Édith', 'xby'] },
      { q: 'NOT A SUBJ', ids: [alert(900)] },
      { q: 'no-such-thing', ids: [] },
    ])('search $q: a substring of the ID or the subject', async ({ q, ids }) => {
      const found = all.filter((p) => ids.includes(p.id));
      expect(found).toHaveLength(ids.length);
      expect(await store.listPairs(PAIRS, { q, offset: 0, limit: 100 })).toStrictEqual({
        items: found,
        total: ids.length,
      });
    });

    test('search with a state filter, and paging of the matches', async () => {
      expect(
        await store.listPairs(PAIRS, { q: 'x', state: 'succeeded', offset: 0, limit: 100 }),
      ).toStrictEqual({
        items: all.filter((p) => ['x%y', 'xay'].includes(p.id)),
        total: 2,
      });
      const xs = all.filter((p) => p.id.startsWith('x'));
      expect(await store.listPairs(PAIRS, { q: 'X', offset: 2, limit: 2 })).toStrictEqual({
        items: xs.slice(2, 4),
        total: xs.length,
      });
    });

    test('its own pairs a page at a time, pages ending on a boundary without an empty page', async () => {
      const own = all.slice(0, BAD_SUBJECTS.length);
      expect(await collect(store.ownPairPages(PAIRS, 1))).toStrictEqual(own.map((p) => [p]));
      expect(await collect(store.ownPairPages(PAIRS, 2))).toStrictEqual([own]);
      expect(await collect(store.ownPairPages(PAIRS, 1000))).toStrictEqual([own]);
      expect(await collect(store.ownPairPages(testUuid(0x999), 10))).toStrictEqual([]);
    });

    test('kinds, children and the IDs in some states', async () => {
      expect(await store.kindOf(PAIRS)).toStrictEqual({ kind: 'pairs', group_id: null });
      expect(await store.kindOf(CHILD_A)).toStrictEqual({ kind: 'batch', group_id: PAIRS });
      expect(await store.kindOf(testUuid(0x999))).toBeNull();
      expect(await store.children(PAIRS)).toStrictEqual([CHILD_A, CHILD_B]);
      expect(await store.children(CHILD_A)).toStrictEqual([]);
      expect(await store.idsInStates(CHILD_A, ['unknown', 'failed', 'pending'])).toStrictEqual([
        'x_y',
        'x\\y',
        'ABC',
      ]);
      expect(await store.idsInStates(CHILD_A, ['succeeded'])).toStrictEqual(['x%y', 'xay']);
      expect(await store.idsInStates(CHILD_A, [])).toStrictEqual([]);
    });
  });

  test('moves waiting for their second phase: running, fewer than two children, oldest first', async () => {
    const m = (n: number) => testUuid(0x300 + n);
    const child = (group: string, n: number, state: BatchSeed['state']): BatchSeed => ({
      id: testUuid(0x400 + n),
      group_id: group,
      state,
      items: [{ id: alert(n), state: state === 'running' ? 'pending' : 'succeeded' }],
    });
    await insertBatches(t.kysely, [
      // Its first phase done: the ledger keeps it running, waiting.
      { id: m(2), kind: 'move' },
      child(m(2), 1, 'done'),
      // No phase yet.
      { id: m(0), kind: 'move' },
      // Its first phase running.
      { id: m(1), kind: 'move' },
      child(m(1), 2, 'running'),
      // Its first phase interrupted: waits to be resumed, not for a second phase.
      { id: m(3), kind: 'move' },
      child(m(3), 3, 'interrupted'),
      // Both phases: done, or the second running.
      { id: m(4), kind: 'move' },
      child(m(4), 4, 'done'),
      child(m(4), 5, 'done'),
      { id: m(5), kind: 'move' },
      child(m(5), 6, 'done'),
      child(m(5), 7, 'running'),
      // A running pairs group with one child is not a move.
      { id: m(6), kind: 'pairs' },
      child(m(6), 8, 'running'),
    ]);
    expect(await store.kindOf(m(3))).toStrictEqual({ kind: 'move', group_id: null });
    expect(await store.movesWaiting()).toStrictEqual([m(2), m(0), m(1)]);
  });
});

describe.each(DIALECTS)('the group records store on %s, against openGroupRecords', (dialect) => {
  // Random rows, read by the store and by the synchronous reads (on SQLite: the same ledger; on
  // PostgreSQL: a SQLite ledger given the same rows): every answer must be the same.
  let seeds: BatchSeed[] = [];
  let t: TestLedger | undefined;
  let twin: { ledger: Ledger; close(): Promise<void> } | undefined;
  let store: GroupRecordsStore;
  let oracle: GroupRecords;
  beforeAll(async () => {
    seeds = randomGroupSeeds(14);
    t = await openTestLedger(dialect);
    await insertBatches(t.kysely, seeds);
    twin = await sqliteTwin(t, seeds);
    store = openGroupRecordsStore(t.kysely, dialect);
    oracle = openGroupRecords(twin.ledger.db);
  });
  afterAll(async () => {
    await twin?.close();
    await t?.close();
  });
  const same = async <T>(answer: Promise<T>, expected: T) => {
    expect(await answer).toStrictEqual(expected);
  };

  test('kinds, children, own items, the IDs in some states, the moves waiting', async () => {
    /** Groups some of whose children are no longer running (the running ones are fewer). */
    let someStopped = 0;
    await same(store.movesWaiting(), oracle.movesWaiting());
    expect(oracle.movesWaiting()).not.toEqual([]);
    for (const id of [...seeds.map((s) => s.id), testUuid(0x999)]) {
      await same(store.kindOf(id), oracle.kindOf(id));
      await same(store.children(id), oracle.children(id));
      await same(store.runningChildren(id), oracle.runningChildren(id));
      if (oracle.runningChildren(id).length < oracle.children(id).length) someStopped++;
      await same(store.ownItems(id), oracle.ownItems(id));
      for (const states of STATE_SETS)
        await same(store.idsInStates(id, states), oracle.idsInStates(id, states));
    }
    expect(someStopped).toBeGreaterThan(0);
  });

  test('a pairs group’s own pages, and its pairs by state, search and page', async () => {
    let read = 0;
    for (const group of seeds.filter((s) => s.kind === 'pairs')) {
      for (const pageRows of [1, 3, 1000])
        await same(collect(store.ownPairPages(group.id, pageRows)), [
          ...oracle.ownPairPages(group.id, pageRows),
        ]);
      for (const state of PAIR_STATES)
        for (const q of SEARCHES)
          for (const paging of PAGINGS) {
            const query = { state, q, ...paging };
            const expected = oracle.listPairs(group.id, query);
            await same(store.listPairs(group.id, query), expected);
            read += expected.items.length;
          }
    }
    // The comparisons read rows (not two empty answers throughout).
    expect(read).toBeGreaterThan(500);
  });

  test('a move’s items by result, search and page, and its result counts, in each phase', async () => {
    let read = 0;
    for (const move of seeds.filter((s) => s.kind === 'move')) {
      const [linkId = '', unlinkId = null] = oracle.children(move.id);
      for (const running of [false, true])
        for (const unlink of [unlinkId, null]) {
          const phases = { linkId, unlinkId: unlink, running };
          await same(store.moveResults(phases), oracle.moveResults(phases));
          const queries = [
            ...[undefined, ...moveResults].flatMap((result) =>
              MOVE_PAGINGS.map((paging) => ({ result, ...paging })),
            ),
            ...MOVE_SEARCHES.flatMap((q) => MOVE_PAGINGS.map((paging) => ({ q, ...paging }))),
            { result: 'kept_at_source' as const, q: 'a', offset: 0, limit: 1000 },
            { result: 'pending' as const, q: '%', offset: 0, limit: 1000 },
            { result: 'moved' as const, q: 'É', offset: 1, limit: 3, afterSeq: 5 },
          ];
          for (const query of queries) {
            const expected = oracle.listMoveItems(phases, query);
            await same(store.listMoveItems(phases, query), expected);
            read += expected.items.length;
          }
        }
    }
    expect(read).toBeGreaterThan(500);
  });
});

const STATE_SETS: ItemState[][] = [
  [],
  ['succeeded', 'unchanged'],
  ['failed', 'unknown', 'skipped', 'pending', 'in_flight', 'invalid'],
  [...itemStates],
];
/** Searches over IDs made of the fragments below: wildcards, the escape, case, non-ASCII letters. */
const SEARCHES = [undefined, '', '%', '_', '\\', 'a', 'A', 'é', 'É', 'b%', 'x_', 'a\\'];
/** Fewer for a move's IDs (six result filters, four phase scenarios per move). */
const MOVE_SEARCHES = ['%', '_', 'a', 'É', 'x_'];
const MOVE_PAGINGS = [
  { offset: 0, limit: 1000 },
  { offset: 3, limit: 5 },
  { offset: 0, limit: 7, afterSeq: 20 },
];
/** The state filters compared (none, and states present in every random group). */
const PAIR_STATES = [undefined, 'succeeded', 'failed', 'invalid', 'pending'] as const;
const PAGINGS = [
  { offset: 0, limit: 1000 },
  { offset: 3, limit: 5 },
  { offset: 10_000, limit: 5 },
];
const FRAGMENTS = ['a', 'A', 'b', 'B', 'x', '_', '%', '\\', 'é', 'É', '-', '1'];

/** Pairs groups and moves of random items (IDs from FRAGMENTS), in random states. */
function randomGroupSeeds(seed: number): BatchSeed[] {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  let next = 0x1000;
  const uuid = () => testUuid(next++);
  const randomIds = (n: number): string[] => {
    const ids = new Set<string>();
    while (ids.size < n)
      ids.add(Array.from({ length: 2 + Math.floor(random() * 5) }, () => pick(FRAGMENTS)).join(''));
    return [...ids];
  };
  const outcome = (id: string, state: ItemState): ItemSeed => ({
    id,
    state,
    code: state === 'failed' ? pick([null, 'NOT_FOUND', 'INTERNAL_ERROR']) : null,
    message: random() < 0.5 ? null : `why ${id}`,
    request_id: random() < 0.3 ? null : `req-${id}`,
    attempts: Math.floor(random() * 3),
  });
  const seeds: BatchSeed[] = [];

  for (let g = 0; g < 2; g++) {
    const group = uuid();
    const own = randomIds(3).map((id, n) => ({
      ...outcome(id, 'invalid'),
      idKey: ownPairKey(`bad %_ subject ${String(n)}`, idKey(id)),
    }));
    seeds.push({ id: group, kind: 'pairs', data_object_id: '', items: own });
    for (let c = 0; c < 3; c++) {
      const subject = `${pick(FRAGMENTS)}c0ffee${String(g)}${String(c)}${pick(FRAGMENTS)}`;
      seeds.push({
        id: uuid(),
        group_id: group,
        data_object_id: subject,
        state: pick(['running', 'done', 'paused', 'cancelled', 'interrupted'] as const),
        items: randomIds(40).map((id) => outcome(id, pick(itemStates))),
      });
    }
  }

  for (let m = 0; m < 2; m++) {
    const move = uuid();
    seeds.push({ id: move, kind: 'move', data_object_id: SOURCE, destination_id: DESTINATION });
    const linked = randomIds(120).map((id) => outcome(id, pick(itemStates)));
    seeds.push({ id: uuid(), group_id: move, action: 'associate', state: 'done', items: linked });
    const second = linked
      .filter((i) => (i.state === 'succeeded' || i.state === 'unchanged') && random() < 0.8)
      .map((i) => outcome(i.id, pick(itemStates)));
    seeds.push({ id: uuid(), group_id: move, action: 'cancel', state: 'done', items: second });
  }
  // A move still in its first phase.
  const waiting = uuid();
  seeds.push({ id: waiting, kind: 'move', data_object_id: SOURCE, destination_id: DESTINATION });
  seeds.push({
    id: uuid(),
    group_id: waiting,
    action: 'associate',
    items: randomIds(30).map((id) =>
      outcome(id, pick(['pending', 'succeeded', 'unknown'] as const)),
    ),
  });
  return seeds;
}

describe('the search on a PostgreSQL database whose default locale folds more than ASCII', () => {
  test('folds as the ledger’s columns (collation "C") do: ASCII only, as SQLite’s LIKE', async () => {
    const t = await openTestLedger('postgres', { pgLocale: 'C.utf8' });
    try {
      // The database's own collation folds É (else this test would prove nothing).
      const folds = await sql<{ folds: boolean }>`select 'ÉDITH' ilike 'édith' as folds`.execute(
        t.kysely,
      );
      expect(folds.rows).toEqual([{ folds: true }]);
      await insertBatches(t.kysely, pairsSeeds());
      const store = openGroupRecordsStore(t.kysely, 'postgres');
      const found = async (q: string) =>
        (await store.listPairs(PAIRS, { q, offset: 0, limit: 100 })).items.map((p) => p.id);
      expect(await found('ÉDITH')).toEqual(['Édith']);
      expect(await found('édith')).toEqual(['édith']);
      expect(await found('aBc')).toEqual(['ABC', 'abc']);
    } finally {
      await t.close();
    }
  });
});
