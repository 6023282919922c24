/**
 * The history's filters (server/batches/history-filter.ts) as a Kysely condition over `batches b`,
 * for both dialects: the same rows as `historyWhere`'s SQL for the SQLite ledger
 * (server/db/history-query.test.ts compares the two on SQLite).
 *
 * The one difference between the dialects is the case-insensitive substring of `q`: SQLite's LIKE
 * folds ASCII case, PostgreSQL's is case-sensitive and its ILIKE folds case. The ledger's text
 * columns are `collate "C"` on PostgreSQL, whose ILIKE folds ASCII letters only, as SQLite's LIKE
 * does. The pattern's `%`, `_` and `\` are escaped (a backslash, the ESCAPE character of both).
 *
 * Written for a ledger in migration 1's shape (kind, group_id and destination_id present), which is
 * every PostgreSQL ledger; the SQLite ledger still reads older files through `historyWhere`.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { idKey } from '../../src/api/schemas';
import type { HistoryFilter } from '../batches/history-filter';
import type { DialectName } from './migration';
import type { LedgerTables } from './tables';
import { escapeLike } from './like';

/** The history's query: `batches` as `b`. */
export type HistoryScope = LedgerTables & { b: LedgerTables['batches'] };

/**
 * The rows of `filter` (AND of every filter set), top-level rows only (a group's children are read
 * through their group).
 */
export function historyCondition(
  eb: ExpressionBuilder<HistoryScope, 'b'>,
  filter: HistoryFilter,
  dialect: DialectName,
): Expression<SqlBool> {
  const and: Expression<SqlBool>[] = [eb('b.group_id', 'is', null)];

  /** Rows whose subject (or a move's destination) is `id`. */
  const subjectIs = (id: string) =>
    eb
      .selectFrom('batches as s')
      .select('s.id')
      .where('s.data_object_id', '=', id)
      .union(eb.selectFrom('batches as s').select('s.id').where('s.destination_id', '=', id));
  /**
   * The rows (of any level) that touched `id` themselves: a subject, or one of their items (a seek
   * on items_by_id_key).
   */
  const touchedBy = (id: string) =>
    subjectIs(id).union(
      eb.selectFrom('items').select('items.batch_id as id').where('items.id_key', '=', id),
    );
  /** `b` is one of `set`, or the group of one of them. */
  const selfOrChildIn = (set: () => ReturnType<typeof subjectIs>) =>
    eb.or([
      eb('b.id', 'in', set()),
      eb(
        'b.id',
        'in',
        eb
          .selectFrom('batches as c')
          .select('c.group_id')
          .where('c.group_id', 'is not', null)
          .where('c.id', 'in', set()),
      ),
    ]);

  if (filter.touches !== undefined) {
    const id = filter.touches;
    and.push(selfOrChildIn(() => touchedBy(id)));
  }
  if (filter.subject !== undefined) {
    const id = filter.subject;
    and.push(selfOrChildIn(() => subjectIs(id)));
  }
  if (filter.q !== undefined) {
    const pattern = `%${escapeLike(filter.q)}%`;
    const key = idKey(filter.q);
    const like = dialect === 'postgres' ? sql`ilike` : sql`like`;
    const text = (
      ['b.id', 'b.data_object_id', 'b.destination_id', 'b.user', 'b.reason'] as const
    ).map((col) => sql<SqlBool>`${eb.ref(col)} ${like} ${pattern} escape '\\'`);
    and.push(eb.or([...text, selfOrChildIn(() => touchedBy(key))]));
  }
  if (filter.user !== undefined) and.push(eb('b.user', '=', filter.user));
  if (filter.state !== undefined) and.push(eb('b.state', '=', filter.state));
  if (filter.kind !== undefined) and.push(eb('b.kind', '=', filter.kind));
  if (filter.from !== undefined) and.push(eb('b.created_at', '>=', filter.from));
  if (filter.to !== undefined) and.push(eb('b.created_at', '<=', filter.to));
  return eb.and(and);
}
