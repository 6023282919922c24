/**
 * `DataobjectSearch` bodies: parsed with zod and compiled to a parameterised SQL filter over the
 * `objects` table (alias `o`). Field names never reach the SQL text: indexed fields map to fixed
 * column names, every other (dotted) field is read with `json_extract` and a bound JSON path.
 */
import { z } from 'zod';

export const MAX_SEARCH_LIMIT = 1000;
export const DEFAULT_SEARCH_LIMIT = 10;

export class SearchError extends Error {
  override name = 'SearchError';
}

const conditionValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

export const searchBodySchema = z.looseObject({
  limit: z.number().int().min(0).max(MAX_SEARCH_LIMIT).optional(),
  offset: z.number().int().min(0).optional(),
  sort_by: z.enum(['create_time', 'update_time']).optional(),
  order: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['ASC', 'DESC']))
    .optional(),
  from_date: z.string().optional(),
  to_date: z.string().optional(),
  condition: z
    .looseObject({
      conditions: z
        .array(
          z.looseObject({
            name: z.string().min(1).max(64),
            data: z.tuple([z.string().min(1), z.string().min(1), conditionValue]),
          }),
        )
        .max(999)
        .nullish(),
      logics: z.array(z.string().max(100)).max(999).nullish(),
    })
    .nullish(),
  /** Only in the indicator search (`IndicatorListSearchRequest`): restrict to these IDs. */
  ids: z.array(z.string()).max(MAX_SEARCH_LIMIT).nullish(),
});
export type SearchBody = z.infer<typeof searchBodySchema>;

export interface CompiledSearch {
  /** SQL boolean expression over alias `o` (`1` when nothing filters). */
  where: string;
  params: (string | number)[];
  orderBy: string;
  limit: number;
  offset: number;
}

/** Columns copied out of `data` (see db.ts); the rest is read from the JSON. */
const COLUMNS: Record<string, string> = {
  id: 'o.id',
  title: 'o.title',
  name: 'o.title',
  severity: 'o.severity',
  handle_status: 'o.status',
  status: 'o.status',
  create_time: 'o.create_time',
  update_time: 'o.update_time',
};

const FIELD_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const NUMBER_PATTERN = /^-?\d+(\.\d+)?$/;
const COMPARISONS: Record<string, string> = {
  '=': '=',
  '!=': 'IS NOT',
  '>=': '>=',
  '<=': '<=',
  '>': '>',
  '<': '<',
};

const DATE_PATTERN =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z)?(?:([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Parses SecMaster's time strings into ISO UTC with milliseconds: `2023-02-20T00:00:00.000Z`,
 * `2023-04-18T13:00:00.000Z+0800` (Terraform: a literal `Z`, then the offset that applies),
 * `2024-08-15T19:18:38Z+0800`, `+08:00` offsets, or no zone (UTC). Returns null if unparseable.
 */
export function parseSecmasterTime(value: string): string | null {
  const m = DATE_PATTERN.exec(value.trim());
  if (!m) return null;
  const [, date, hm = '00:00', sec = '00', frac = '', , sign, oh, om] = m;
  const ms = (frac + '000').slice(0, 3);
  const zone = sign && oh && om ? `${sign}${oh}:${om}` : 'Z';
  const t = Date.parse(`${date}T${hm}:${sec}.${ms}${zone}`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function isTimeField(field: string): boolean {
  return field.endsWith('_time') || field.endsWith('_date');
}

function compileCondition(data: readonly [string, string, string]): {
  sql: string;
  params: (string | number)[];
} {
  const [field, rawOp, rawValue] = data;
  if (!FIELD_PATTERN.test(field))
    throw new SearchError(`condition field "${field}" is not a field name`);
  const op = rawOp.trim().toLowerCase();
  const column = COLUMNS[field];
  const params: (string | number)[] = [];
  let expr: string;
  if (column) {
    expr = column;
  } else {
    expr = 'json_extract(o.data, ?)';
    params.push(`$.${field}`);
  }
  let value = rawValue;
  if (isTimeField(field) && op !== 'contains' && op !== 'in') {
    const t = parseSecmasterTime(value);
    if (t === null) throw new SearchError(`condition value "${value}" is not a time`);
    value = t;
  }

  if (op === 'contains') {
    // LIKE folds ASCII case as lower() does, and is cheaper per row; the text's own wildcards
    // are escaped, so it is matched as typed.
    return {
      sql: `${expr} LIKE ? ESCAPE '\\'`,
      params: [...params, `%${value.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`],
    };
  }
  if (op === 'in') {
    const values = value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (values.length === 0) return { sql: '0', params: [] };
    return {
      sql: `${expr} IN (${values.map(() => '?').join(', ')})`,
      params: [...params, ...values],
    };
  }
  const cmp = COMPARISONS[op];
  if (!cmp) throw new SearchError(`condition operator "${rawOp}" is not supported`);
  if (!column && NUMBER_PATTERN.test(value)) {
    // JSON numbers compare as numbers, JSON strings as text.
    return {
      sql: `(CASE WHEN typeof(${expr}) IN ('integer', 'real') THEN ${expr} ${cmp} ? ELSE ${expr} ${cmp} ? END)`,
      params: [...params, ...params, Number(value), ...params, value],
    };
  }
  return { sql: `${expr} ${cmp} ?`, params: [...params, value] };
}

/** Combines the named conditions as `logics` says (`and` binds tighter than `or`). */
function compileLogic(condition: SearchBody['condition']): {
  sql: string;
  params: (string | number)[];
} {
  const conditions = condition?.conditions ?? [];
  if (conditions.length === 0) return { sql: '1', params: [] };
  const byName = new Map<string, { sql: string; params: (string | number)[] }>();
  for (const c of conditions) {
    if (!byName.has(c.name)) byName.set(c.name, compileCondition(c.data));
  }
  const logics = (condition?.logics ?? []).map((t) => t.trim()).filter((t) => t !== '');
  const tokens =
    logics.length > 0 ? logics : [...byName.keys()].flatMap((n, i) => (i === 0 ? [n] : ['and', n]));
  const sql: string[] = [];
  const params: (string | number)[] = [];
  tokens.forEach((token, i) => {
    if (i % 2 === 1) {
      const word = token.toLowerCase();
      if (word !== 'and' && word !== 'or')
        throw new SearchError(`logics: expected "and" or "or", got "${token}"`);
      sql.push(word.toUpperCase());
      return;
    }
    const compiled = byName.get(token);
    if (!compiled) throw new SearchError(`logics: no condition named "${token}"`);
    sql.push(`(${compiled.sql})`);
    params.push(...compiled.params);
  });
  if (tokens.length % 2 === 0) throw new SearchError('logics must not end with an operator');
  return { sql: sql.join(' '), params };
}

/** Compiles a parsed body; throws SearchError on a condition or date it cannot understand. */
export function compileSearch(body: SearchBody): CompiledSearch {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  const cond = compileLogic(body.condition);
  if (cond.sql !== '1') {
    parts.push(`(${cond.sql})`);
    params.push(...cond.params);
  }
  for (const [key, op] of [
    ['from_date', '>='],
    ['to_date', '<='],
  ] as const) {
    const raw = body[key];
    if (raw === undefined || raw.trim() === '') continue;
    const t = parseSecmasterTime(raw);
    if (t === null) throw new SearchError(`${key} "${raw}" is not a time`);
    parts.push(`o.create_time ${op} ?`);
    params.push(t);
  }
  if (body.ids && body.ids.length > 0) {
    parts.push(`o.id IN (${body.ids.map(() => '?').join(', ')})`);
    params.push(...body.ids);
  }
  const order = body.order ?? 'DESC';
  const sortColumn = body.sort_by === 'update_time' ? 'o.update_time' : 'o.create_time';
  return {
    where: parts.length > 0 ? parts.join(' AND ') : '1',
    params,
    orderBy: `${sortColumn} ${order}, o.id ${order}`,
    limit: body.limit ?? DEFAULT_SEARCH_LIMIT,
    offset: body.offset ?? 0,
  };
}
