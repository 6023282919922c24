/**
 * A SQLite database's schema as data, for tests that compare two files (migration 1 against the
 * schema the console created before versioning; an upgraded old file against a new one). What
 * SQLite itself says of each table (PRAGMA table_list, table_info, foreign_key_list, index_list,
 * index_xinfo), plus what only the statement text holds, normalized (case, quotes, spacing,
 * comments): CHECK constraints, AUTOINCREMENT, partial indexes' WHERE, triggers.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';

/** Lower case, no quotes or comments, one space at most and none next to brackets or commas. */
export function normalizeSql(text: string): string {
  return text
    .replace(/--[^\n]*/g, ' ')
    .replaceAll('"', '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),;])\s*/g, '$1')
    .trim();
}

/** The `check (…)` clauses of a CREATE TABLE (normalized), in order. */
function checks(normalized: string): string[] {
  const found: string[] = [];
  let at = normalized.indexOf('check(');
  while (at >= 0) {
    let depth = 0;
    let end = at + 'check'.length;
    for (; end < normalized.length; end++) {
      if (normalized[end] === '(') depth++;
      if (normalized[end] === ')' && --depth === 0) break;
    }
    found.push(normalized.slice(at, end + 1));
    at = normalized.indexOf('check(', end);
  }
  return found;
}

const objectRow = z.object({ type: z.string(), name: z.string(), sql: z.string().nullable() });
const listRow = z.object({
  name: z.string(),
  ncol: z.number(),
  wr: z.number(),
  strict: z.number(),
});
const columnRow = z.object({
  cid: z.number(),
  name: z.string(),
  type: z.string(),
  notnull: z.number(),
  dflt_value: z.string().nullable(),
  pk: z.number(),
});
const foreignKeyRow = z.object({
  id: z.number(),
  seq: z.number(),
  table: z.string(),
  from: z.string(),
  to: z.string().nullable(),
  on_update: z.string(),
  on_delete: z.string(),
  match: z.string(),
});
const indexRow = z.object({
  name: z.string(),
  unique: z.number(),
  origin: z.string(),
  partial: z.number(),
});
const indexColumnRow = z.object({
  seqno: z.number(),
  cid: z.number(),
  name: z.string().nullable(),
  desc: z.number(),
  coll: z.string().nullable(),
  key: z.number(),
});

export interface DescribeOptions {
  /** Tables left out (e.g. `schema_migrations`, which the other file may not have). */
  exclude?: readonly string[];
  /**
   * Compare columns by name, not by position: a column added by ALTER TABLE comes last in an
   * upgraded file. Column positions (cid) are then left out.
   */
  ignoreColumnOrder?: boolean;
}

/** The schema of `db` (tables, their columns, keys, indexes and triggers), sorted by name. */
export function describeSqliteSchema(db: Database.Database, opts: DescribeOptions = {}) {
  const exclude = new Set(opts.exclude ?? []);
  const byOrder = !opts.ignoreColumnOrder;
  const objects = z
    .array(objectRow)
    .parse(db.prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY type, name`).all())
    .filter((o) => !exclude.has(o.name));
  const tableNames = objects
    .filter((o) => o.type === 'table' && !o.name.startsWith('sqlite_'))
    .map((o) => o.name)
    .filter((name) => !exclude.has(name));
  const sqlOf = (name: string) => normalizeSql(objects.find((o) => o.name === name)?.sql ?? '');
  const tables = tableNames.map((name) => {
    const list = listRow.parse(db.prepare(`PRAGMA table_list(${name})`).get());
    const columns = z
      .array(columnRow)
      .parse(db.prepare(`PRAGMA table_info(${name})`).all())
      .map((c) => ({
        ...(byOrder ? { cid: c.cid } : {}),
        name: c.name,
        // SQLite reads declared types without regard to case (type affinity).
        type: c.type.toUpperCase(),
        notnull: c.notnull,
        dflt_value: c.dflt_value,
        pk: c.pk,
      }))
      .sort((a, b) => (byOrder ? 0 : a.name.localeCompare(b.name)));
    const foreignKeys = z
      .array(foreignKeyRow)
      .parse(db.prepare(`PRAGMA foreign_key_list(${name})`).all())
      .map(({ id: _id, ...fk }) => fk)
      .sort((a, b) => a.from.localeCompare(b.from));
    const indexes = z
      .array(indexRow)
      .parse(db.prepare(`PRAGMA index_list(${name})`).all())
      .map((index) => ({
        ...index,
        columns: z
          .array(indexColumnRow)
          .parse(db.prepare(`PRAGMA index_xinfo(${JSON.stringify(index.name)})`).all())
          .map(({ cid, ...column }) => ({ ...(byOrder ? { cid } : {}), ...column })),
        where: index.partial ? sqlOf(index.name).replace(/^.*?\)where /, '') : null,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const sql = sqlOf(name);
    return {
      name,
      withoutRowid: list.wr,
      strict: list.strict,
      ncol: list.ncol,
      autoincrement: /\bautoincrement\b/.test(sql),
      checks: checks(sql),
      columns,
      foreignKeys,
      indexes,
    };
  });
  const triggers = objects
    .filter((o) => o.type === 'trigger')
    .map((o) => ({ name: o.name, sql: normalizeSql(o.sql ?? '') }));
  const views = objects
    .filter((o) => o.type === 'view')
    .map((o) => ({ name: o.name, sql: normalizeSql(o.sql ?? '') }));
  return { tables, triggers, views };
}
