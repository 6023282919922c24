/**
 * The ledger's reads over groups (server/batches/group-records.ts, `openGroupRecords`: moves and
 * batches of pairs), asynchronous and on either store: each query is written once with Kysely over
 * the ledger's tables, so that the same code answers from the SQLite ledger (`sqliteKysely`,
 * server/db/sqlite-kysely.ts) and from PostgreSQL (the Kysely of `openPostgres`). Same names, same
 * results, same order, same paging and search as the synchronous reads; group-records-store.test.ts
 * runs one suite on both databases and compares each answer with `openGroupRecords`'s.
 *
 * What differs between the dialects, and how:
 * - the ID search is a case-insensitive substring: SQLite's LIKE folds ASCII case (and only ASCII);
 *   PostgreSQL's LIKE folds nothing, its ILIKE folds by the column's collation, "C" for every text
 *   column of the ledger (migration 1), which folds ASCII only: LIKE there, ILIKE here (`contains`);
 * - lists (`idsInStates`' states) are bound as `IN (…)` on both (SQLite's json_each has no
 *   PostgreSQL counterpart of the same syntax, and the lists are a few item states); an empty list
 *   is answered without a query, as `IN ()` is an error on PostgreSQL;
 * - flags are computed in JavaScript from columns (`group_id IS NULL`, whether a move runs) rather
 *   than selected: SQLite answers a comparison with 0/1, PostgreSQL with a boolean;
 * - counts are cast to integer: PostgreSQL's COUNT is a bigint, which `pg` reads as text unless told
 *   otherwise.
 *
 * Rows are parsed into results (a pair's subject from its key, a move item's message) by
 * group-records.ts's own functions: both stores select the same columns.
 */
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import {
  batchItemSchema,
  moveResultSchema,
  moveResults,
  type ItemState,
  type MoveResult,
} from '../../src/api/schemas';
import {
  moveItemOf,
  subjectOfOwnKey,
  type GroupRecords,
  type MovePhases,
  type PairItem,
} from '../batches/group-records';
import type { Promised, StoreDialect } from './store';
import type { LedgerTables } from './tables';
import { escapeLike } from './like';

/** The reads of `GroupRecords`, each answered by a promise; `ownPairPages` an asynchronous one. */
export type GroupRecordsStore = Promised<Omit<GroupRecords, 'ownPairPages'>> & {
  /** The group row's own items, a page at a time (keyset on seq). */
  ownPairPages(groupId: string, pageRows: number): AsyncGenerator<PairItem[], void, undefined>;
};

const pairRowSchema = batchItemSchema.extend({
  batch_id: z.string(),
  data_object_id: z.string(),
  id_key: z.string(),
  group_id: z.string().nullable(),
});
const kindRowSchema = z.object({ kind: z.string(), group_id: z.string().nullable() });
const countRowSchema = z.object({ n: z.number() });
const resultCountRowSchema = z.object({ result: moveResultSchema, n: z.number() });

/**
 * A pair's row as an item: a child's pair has the child's subject; a pair recorded on the group row
 * itself (no group_id) has the subject of its key.
 */
function pairOf(row: unknown): PairItem {
  const { id_key, group_id, ...item } = pairRowSchema.parse(row);
  return group_id === null ? { ...item, data_object_id: subjectOfOwnKey(id_key) } : item;
}

export function openGroupRecordsStore(
  db: Kysely<LedgerTables>,
  dialect: StoreDialect,
): GroupRecordsStore {
  /**
   * `column` contains `text` (`%`, `_` and `\` in it literal), ASCII case folded on both dialects
   * (see the module comment): `\` escapes in both (a one-character literal on PostgreSQL, whose
   * standard_conforming_strings is on since 9.1).
   */
  const contains = (column: string, text: string): RawBuilder<SqlBool> => {
    const like = dialect === 'postgres' ? sql`ilike` : sql`like`;
    return sql<SqlBool>`${sql.ref(column)} ${like} ${`%${escapeLike(text)}%`} escape '\\'`;
  };

  /**
   * The rows holding a pairs group's items: its children and the group row itself. A UNION ALL as
   * in group-records.ts, so that SQLite plans it the same (one index probe per row of the list);
   * the group's ID cast to text so that PostgreSQL types the parameter.
   */
  const inGroup = (groupId: string) =>
    db
      .selectFrom('batches')
      .select('id')
      .where('group_id', '=', groupId)
      .unionAll(db.selectNoFrom(sql<string>`cast(${groupId} as text)`.as('id')));

  /** A pairs group's items (both lists' FROM and WHERE), filtered. */
  const pairsQuery = (groupId: string, state: ItemState | undefined, q: string | undefined) =>
    db
      .selectFrom('items as i')
      .innerJoin('batches as b', 'b.id', 'i.batch_id')
      .where('i.batch_id', 'in', inGroup(groupId))
      .$if(state !== undefined, (qb) => qb.where('i.state', '=', state ?? ''))
      .$if(Boolean(q), (qb) =>
        qb.where((eb) =>
          eb.or([contains('i.id_key', q ?? ''), contains('b.data_object_id', q ?? '')]),
        ),
      );

  /**
   * A move item's result from its two phases (see docs/api.md), as group-records.ts's RESULT_SQL.
   * Whether the move runs and whether its second phase exists are known here, so their branches are
   * chosen in JavaScript: while it runs, an ID whose outcome may still change is pending.
   */
  const moveRows = (p: MovePhases) => {
    const unlink = p.unlinkId ?? '';
    const running = p.running;
    const lit = (r: MoveResult) => sql.lit(r);
    return db
      .selectFrom('items as l')
      .leftJoin('items as u', (join) =>
        join.on('u.batch_id', '=', unlink).onRef('u.id_key', '=', 'l.id_key'),
      )
      .where('l.batch_id', '=', p.linkId)
      .select((eb) => [
        'l.seq',
        'l.id',
        'l.state as link_state',
        'l.message as link_message',
        'u.state as unlink_state',
        'u.message as unlink_message',
        eb
          .case()
          .when('l.state', '=', 'invalid')
          .then(lit('invalid'))
          .when('l.state', 'in', ['pending', 'in_flight'])
          .then(lit('pending'))
          .when('l.state', '=', 'unknown')
          .then(lit(running ? 'pending' : 'kept_at_source'))
          .when('l.state', 'in', ['failed', 'skipped'])
          .then(lit('kept_at_source'))
          .when('u.state', 'is', null)
          .then(lit(running && unlink === '' ? 'pending' : 'kept_at_source'))
          .when(
            'u.state',
            'in',
            running ? ['pending', 'in_flight', 'unknown'] : ['pending', 'in_flight'],
          )
          .then(lit('pending'))
          .when(
            eb.and([
              eb('u.state', 'in', ['succeeded', 'unchanged']),
              eb('l.state', '=', 'succeeded'),
            ]),
          )
          .then(lit('moved'))
          .when('u.state', 'in', ['succeeded', 'unchanged'])
          .then(lit('already_at_destination'))
          .else(lit('kept_at_source'))
          .end()
          .as('result'),
      ]);
  };

  return {
    async kindOf(id) {
      const row = await db
        .selectFrom('batches')
        .select(['kind', 'group_id'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? null : kindRowSchema.parse(row);
    },

    async movesWaiting() {
      const rows = await db
        .selectFrom('batches as m')
        .select('m.id')
        .where('m.kind', '=', 'move')
        .where('m.state', '=', 'running')
        .where(
          (eb) =>
            eb
              .selectFrom('batches as c')
              .select((c) => c.fn.countAll().as('n'))
              .whereRef('c.group_id', '=', 'm.id'),
          '<',
          2,
        )
        .orderBy('m.n')
        .execute();
      return z.array(z.string()).parse(rows.map((r) => r.id));
    },

    async children(groupId) {
      const rows = await db
        .selectFrom('batches')
        .select('id')
        .where('group_id', '=', groupId)
        .orderBy('n')
        .execute();
      return z.array(z.string()).parse(rows.map((r) => r.id));
    },

    async runningChildren(groupId) {
      const rows = await db
        .selectFrom('batches')
        .select('id')
        .where('group_id', '=', groupId)
        .where('state', '=', 'running')
        .orderBy('n')
        .execute();
      return z.array(z.string()).parse(rows.map((r) => r.id));
    },

    async ownItems(groupId) {
      const row = await db
        .selectFrom('items')
        .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('n'))
        .where('batch_id', '=', groupId)
        .executeTakeFirstOrThrow();
      return countRowSchema.parse(row).n;
    },

    async idsInStates(batchId, states) {
      if (states.length === 0) return [];
      const rows = await db
        .selectFrom('items')
        .select('id')
        .where('batch_id', '=', batchId)
        .where('state', 'in', states)
        .orderBy('seq')
        .execute();
      return z.array(z.string()).parse(rows.map((r) => r.id));
    },

    async listPairs(groupId, query) {
      const filtered = pairsQuery(groupId, query.state, query.q);
      // The page and the total are two reads, as in group-records.ts (on PostgreSQL on two
      // connections at once): a write between them may make them disagree by its rows.
      const [rows, count] = await Promise.all([
        filtered
          .select([
            'i.id',
            'i.state',
            'i.code',
            'i.message',
            'i.request_id',
            'i.attempts',
            'i.batch_id',
            'i.id_key',
            'b.data_object_id',
            'b.group_id',
          ])
          .orderBy('b.n')
          .orderBy('i.seq')
          .limit(query.limit)
          .offset(query.offset)
          .execute(),
        filtered
          .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('n'))
          .executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map(pairOf), total: countRowSchema.parse(count).n };
    },

    async *ownPairPages(groupId, pageRows) {
      let after = -1;
      for (;;) {
        const rows = await db
          .selectFrom('items')
          .select(['seq', 'id', 'state', 'code', 'message', 'request_id', 'attempts'])
          .select(['batch_id', 'id_key'])
          .where('batch_id', '=', groupId)
          .where('seq', '>', after)
          .orderBy('seq')
          .limit(pageRows)
          .execute();
        // The group row's own: no group, and the subject is the key's.
        if (rows.length > 0)
          yield rows.map((r) => pairOf({ ...r, group_id: null, data_object_id: '' }));
        if (rows.length < pageRows) return;
        after = rows[rows.length - 1]?.seq ?? after;
      }
    },

    async listMoveItems(phases, query) {
      const filtered = db
        .selectFrom(moveRows(phases).as('m'))
        .$if(query.result !== undefined, (qb) =>
          qb.where('m.result', '=', query.result ?? 'pending'),
        )
        .$if(Boolean(query.q), (qb) => qb.where(contains('m.id', query.q ?? '')));
      const [rows, count] = await Promise.all([
        filtered
          .selectAll()
          .where('m.seq', '>', query.afterSeq ?? -1)
          .orderBy('m.seq')
          .limit(query.limit)
          .offset(query.offset)
          .execute(),
        filtered
          .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('n'))
          .executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map(moveItemOf), total: countRowSchema.parse(count).n };
    },

    async moveResults(phases) {
      const out = Object.fromEntries(moveResults.map((r) => [r, 0])) as Record<MoveResult, number>;
      const rows = await db
        .selectFrom(moveRows(phases).as('m'))
        .select((eb) => ['m.result', eb.cast<number>(eb.fn.countAll(), 'integer').as('n')])
        .groupBy('m.result')
        .execute();
      for (const row of rows) {
        const r = resultCountRowSchema.parse(row);
        out[r.result] = r.n;
      }
      return out;
    },
  };
}
