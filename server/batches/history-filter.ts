/**
 * The history's filters (`GET /api/batches?q=&subject=&touches=&user=&state=&kind=&from=&to=`):
 * parsing the query (each refusal names its parameter) and the SQL that the ledger's list runs.
 * Every filter is optional and they are AND-ed.
 *
 * Speed (docs/performance.md, bench/history.ts): the batches table is small (a row per batch), so
 * its own columns are filtered by a scan in `n` order; the IDs a batch touched are looked up in
 * the `items_by_id_key` index (one seek per query, never a scan of the items).
 */
import { batchStates, idKey, isWellFormedId, type BatchState } from '../../src/api/schemas';
import { escapeLike } from '../db/like';

/** What a history row is (contract: a plain batch, a group of pairs, or a move). */
export const historyKinds = ['batch', 'pairs', 'move'] as const;
export type HistoryKind = (typeof historyKinds)[number];

/** Longest `q` and `user` accepted. */
export const MAX_HISTORY_TEXT = 200;

export interface HistoryFilter {
  /**
   * Free text: a case-insensitive substring of the batch's id, subject (or destination), user or
   * reason, or exactly an ID the batch touched.
   */
  q?: string | undefined;
  /** Exactly the batch's subject (or a move's destination, or a child's subject). */
  subject?: string | undefined;
  /** Exactly an ID the batch touched: one of its items (or its children's), or its subject. */
  touches?: string | undefined;
  /** Exactly who started the batch. */
  user?: string | undefined;
  state?: BatchState | undefined;
  kind?: HistoryKind | undefined;
  /** Inclusive bounds on `created_at`, as `Date#toISOString` writes it. */
  from?: string | undefined;
  to?: string | undefined;
}

export type HistoryFilterResult =
  { ok: true; filter: HistoryFilter } | { ok: false; field: string; message: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

/** True when `yyyy-mm-dd` names a day of the calendar (no 2026-02-30). */
function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.toISOString().slice(0, 10) === value;
}

/**
 * The instant a `from`/`to` value stands for (as `toISOString` writes it), or null when it is
 * neither an ISO date nor an ISO date-time with a time zone. A bare date is its first millisecond
 * (`from`) or its last (`to`, so the whole day is in), in UTC.
 */
export function instantOf(value: string, bound: 'from' | 'to'): string | null {
  if (DATE.test(value)) {
    if (!isCalendarDate(value)) return null;
    return bound === 'from' ? `${value}T00:00:00.000Z` : `${value}T23:59:59.999Z`;
  }
  const m = DATE_TIME.exec(value);
  if (!m || !isCalendarDate(m[1] ?? '')) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const iso = new Date(ms).toISOString();
  // Years outside 0000–9999 are written `+010000-…`, which would not compare as text.
  return /^\d{4}-/.test(iso) ? iso : null;
}

const ID_RULE = 'not an ID (32 to 64 letters, digits, "-" or "_")';

/**
 * The filter of a history request, from its query parameters (`get` answers one, or undefined).
 * Blank values are absent; text is trimmed. A bad value is refused with the parameter's name.
 */
export function parseHistoryFilter(get: (name: string) => string | undefined): HistoryFilterResult {
  const value = (name: string): string | undefined => {
    const v = get(name)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const refuse = (field: string, message: string): HistoryFilterResult => ({
    ok: false,
    field,
    message: `${field}: ${message}`,
  });
  const filter: HistoryFilter = {};

  for (const field of ['q', 'user'] as const) {
    const v = value(field);
    if (v === undefined) continue;
    if (v.length > MAX_HISTORY_TEXT) return refuse(field, `at most ${MAX_HISTORY_TEXT} characters`);
    // PostgreSQL refuses a NUL in a text parameter; no batch's text holds one.
    if (v.includes('\0')) return refuse(field, 'must not contain a NUL character');
    filter[field] = v;
  }
  for (const field of ['subject', 'touches'] as const) {
    const v = value(field);
    if (v === undefined) continue;
    if (!isWellFormedId(v)) return refuse(field, ID_RULE);
    filter[field] = idKey(v);
  }
  const state = value('state');
  if (state !== undefined) {
    const s = batchStates.find((x) => x === state);
    if (s === undefined) return refuse('state', `one of ${batchStates.join(', ')}`);
    filter.state = s;
  }
  const kind = value('kind');
  if (kind !== undefined) {
    const k = historyKinds.find((x) => x === kind);
    if (k === undefined) return refuse('kind', `one of ${historyKinds.join(', ')}`);
    filter.kind = k;
  }
  for (const field of ['from', 'to'] as const) {
    const v = value(field);
    if (v === undefined) continue;
    const at = instantOf(v, field);
    if (at === null)
      return refuse(
        field,
        'an ISO date (2026-12-05) or date-time with a time zone (2026-12-05T17:00:00Z)',
      );
    filter[field] = at;
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.to < filter.from)
    return refuse('to', 'earlier than from');
  return { ok: true, filter };
}

/** Which optional columns the ledger's `batches` table has (groups: contract A). */
export interface HistoryColumns {
  kind: boolean;
  groupId: boolean;
  destinationId: boolean;
}

export interface HistoryQuerySql {
  /** `WHERE …` (or '') over `batches b`. */
  where: string;
  params: Record<string, string>;
}

/**
 * The WHERE clause (over `batches b`) and its named parameters for `filter`. The SQL text depends
 * only on which filters are set, so the ledger can keep one statement per shape.
 */
export function historyWhere(filter: HistoryFilter, cols: HistoryColumns): HistoryQuerySql {
  const params: Record<string, string> = {};
  const and: string[] = [];
  /** A row's subject columns (a move's destination too). */
  const subjectCols = (alias: string) =>
    cols.destinationId
      ? [`${alias}.data_object_id`, `${alias}.destination_id`]
      : [`${alias}.data_object_id`];
  /**
   * Rows (of any level) that touched the ID in `param` themselves: an item, or the subject. Each
   * arm is an index seek (items_by_id_key, batches_by_subject) or, for a destination, a scan of the
   * small batches table.
   */
  const touchedBy = (param: string) =>
    `SELECT batch_id FROM items WHERE id_key = ${param}` +
    subjectCols('s')
      .map((col) => ` UNION SELECT s.id FROM batches s WHERE ${col} = ${param}`)
      .join('');
  /** `b` is in the set of rows `set`, or is the group of one of them. */
  const selfOrChildIn = (set: string) =>
    cols.groupId
      ? `(b.id IN (${set}) OR b.id IN (SELECT c.group_id FROM batches c
           WHERE c.group_id IS NOT NULL AND c.id IN (${set})))`
      : `b.id IN (${set})`;

  // The history lists top-level rows: a group's children are read through their group.
  if (cols.groupId) and.push('b.group_id IS NULL');
  if (filter.touches !== undefined) {
    params.touches = filter.touches;
    and.push(selfOrChildIn(touchedBy('@touches')));
  }
  if (filter.subject !== undefined) {
    params.subject = filter.subject;
    and.push(
      selfOrChildIn(
        subjectCols('s')
          .map((col) => `SELECT s.id FROM batches s WHERE ${col} = @subject`)
          .join(' UNION '),
      ),
    );
  }
  if (filter.q !== undefined) {
    params.q_like = `%${escapeLike(filter.q)}%`;
    params.q_key = idKey(filter.q);
    const text = ['b.id', ...subjectCols('b'), 'b.user', 'b.reason'].map(
      (col) => `${col} LIKE @q_like ESCAPE '\\'`,
    );
    and.push(`(${[...text, selfOrChildIn(touchedBy('@q_key'))].join(' OR ')})`);
  }
  if (filter.user !== undefined) {
    params.user = filter.user;
    and.push('b.user = @user');
  }
  if (filter.state !== undefined) {
    params.state = filter.state;
    and.push('b.state = @state');
  }
  if (filter.kind !== undefined) {
    if (cols.kind) {
      params.kind = filter.kind;
      and.push('b.kind = @kind');
    } else if (filter.kind !== 'batch') {
      // A ledger without groups holds plain batches only.
      and.push('0');
    }
  }
  if (filter.from !== undefined) {
    params.from = filter.from;
    and.push('b.created_at >= @from');
  }
  if (filter.to !== undefined) {
    params.to = filter.to;
    and.push('b.created_at <= @to');
  }
  return { where: and.length === 0 ? '' : `WHERE ${and.join(' AND ')}`, params };
}
