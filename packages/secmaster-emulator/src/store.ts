/** All SQL of the emulator: reads and writes over the schema of db.ts. */
import { z } from 'zod';
import type { Database, Statement } from 'better-sqlite3';
import type { DataclassType } from './wire';
import type { CompiledSearch } from './search';

/** A JSON object (JSON.parse only ever yields string keys, so no per-key check is needed). */
function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const jsonRecord = z.string().transform((s, ctx): Record<string, unknown> => {
  const parsed: unknown = JSON.parse(s);
  if (isJsonObject(parsed)) return parsed;
  ctx.addIssue({ code: 'custom', message: 'stored data is not a JSON object' });
  return z.NEVER;
});

const workspaceRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  create_time: z.string(),
  data: jsonRecord,
});
export type WorkspaceRow = z.infer<typeof workspaceRowSchema>;

const dataclassRowSchema = z.object({
  id: z.string(),
  workspace_id: z.string(),
  dataclass_type: z.enum(['alerts', 'incidents', 'indicators']),
  name: z.string(),
  data: jsonRecord,
});
export type DataclassRow = z.infer<typeof dataclassRowSchema>;

const objectRowSchema = z.object({
  id: z.string(),
  workspace_id: z.string(),
  dataclass_type: z.enum(['alerts', 'incidents', 'indicators']),
  title: z.string(),
  create_time: z.string(),
  update_time: z.string(),
  origin_type: z.string(),
  version: z.number(),
  data: jsonRecord,
});
export type ObjectRow = z.infer<typeof objectRowSchema>;

const objectKeySchema = z.object({
  workspace_id: z.string(),
  dataclass_type: z.string(),
});

const countSchema = z.object({ n: z.number() });
const linkedIdSchema = z.object({ b_id: z.string() });

const OBJECT_COLUMNS =
  'o.id, o.workspace_id, o.dataclass_type, o.title, o.create_time, o.update_time, o.origin_type, o.version, o.data';

export interface Page<T> {
  total: number;
  rows: T[];
}

export interface Link {
  workspaceId: string;
  aClass: DataclassType;
  aId: string;
  bClass: DataclassType;
  bId: string;
}

export interface EmulatorStore {
  listWorkspaces(q: {
    offset: number;
    limit: number;
    name?: string;
    ids?: string[];
  }): Page<WorkspaceRow>;
  getWorkspace(id: string): WorkspaceRow | undefined;
  listDataclasses(
    workspaceId: string,
    q: { offset: number; limit: number; name?: string },
  ): Page<DataclassRow>;
  getDataclass(workspaceId: string, type: DataclassType): DataclassRow | undefined;
  getObject(id: string): ObjectRow | undefined;
  /** Where an object lives, without its body. */
  getObjectKey(id: string): { workspace_id: string; dataclass_type: string } | undefined;
  search(workspaceId: string, type: DataclassType, q: CompiledSearch): Page<ObjectRow>;
  searchRelated(
    subject: { workspaceId: string; type: DataclassType; id: string },
    related: DataclassType,
    q: CompiledSearch,
  ): Page<ObjectRow>;
  /** Links both directions; a link already there is kept (with its first date). */
  link(link: Link, at: string): void;
  /** Removes both directions; a missing link is fine. */
  unlink(link: Link): void;
  /** The IDs of `related` objects linked to `subject`, in ID order. */
  linkedIds(
    subject: { workspaceId: string; type: DataclassType; id: string },
    related: DataclassType,
  ): string[];
  /** Whether `link` is there. */
  isLinked(link: Link): boolean;
  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T;
}

export function createStore(db: Database): EmulatorStore {
  const stmt = (() => {
    const cache = new Map<string, Statement>();
    return (sql: string): Statement => {
      let s = cache.get(sql);
      if (!s) {
        s = db.prepare(sql);
        cache.set(sql, s);
      }
      return s;
    };
  })();

  const insertLink = db.prepare(
    `INSERT OR IGNORE INTO links (workspace_id, a_class, a_id, b_class, b_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const deleteLink = db.prepare(
    'DELETE FROM links WHERE workspace_id = ? AND a_class = ? AND a_id = ? AND b_class = ? AND b_id = ?',
  );

  function page<T>(
    schema: z.ZodType<T>,
    countSql: string,
    rowsSql: string,
    params: unknown[],
    limit: number,
    offset: number,
  ): Page<T> {
    const total = countSchema.parse(stmt(countSql).get(...params)).n;
    // Nothing past the end: no second pass over what the count just found empty.
    const rows =
      limit === 0 || offset >= total
        ? []
        : stmt(rowsSql)
            .all(...params, limit, offset)
            .map((row) => schema.parse(row));
    return { total, rows };
  }

  return {
    listWorkspaces({ offset, limit, name, ids }) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (name) {
        where.push('instr(lower(name), lower(?)) > 0');
        params.push(name);
      }
      if (ids && ids.length > 0) {
        where.push(`id IN (${ids.map(() => '?').join(', ')})`);
        params.push(...ids);
      }
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      return page(
        workspaceRowSchema,
        `SELECT count(*) AS n FROM workspaces ${filter}`,
        `SELECT id, name, create_time, data FROM workspaces ${filter} ORDER BY seq LIMIT ? OFFSET ?`,
        params,
        limit,
        offset,
      );
    },

    getWorkspace(id) {
      const row = stmt('SELECT id, name, create_time, data FROM workspaces WHERE id = ?').get(id);
      return row === undefined ? undefined : workspaceRowSchema.parse(row);
    },

    listDataclasses(workspaceId, { offset, limit, name }) {
      const params: unknown[] = [workspaceId];
      let filter = 'WHERE workspace_id = ?';
      if (name) {
        filter += ' AND instr(lower(name), lower(?)) > 0';
        params.push(name);
      }
      return page(
        dataclassRowSchema,
        `SELECT count(*) AS n FROM dataclasses ${filter}`,
        `SELECT id, workspace_id, dataclass_type, name, data FROM dataclasses ${filter}
         ORDER BY CASE dataclass_type WHEN 'alerts' THEN 0 WHEN 'incidents' THEN 1 ELSE 2 END
         LIMIT ? OFFSET ?`,
        params,
        limit,
        offset,
      );
    },

    getDataclass(workspaceId, type) {
      const row = stmt(
        'SELECT id, workspace_id, dataclass_type, name, data FROM dataclasses WHERE workspace_id = ? AND dataclass_type = ?',
      ).get(workspaceId, type);
      return row === undefined ? undefined : dataclassRowSchema.parse(row);
    },

    getObject(id) {
      const row = stmt(`SELECT ${OBJECT_COLUMNS} FROM objects o WHERE o.id = ?`).get(id);
      return row === undefined ? undefined : objectRowSchema.parse(row);
    },

    getObjectKey(id) {
      const row = stmt('SELECT workspace_id, dataclass_type FROM objects WHERE id = ?').get(id);
      return row === undefined ? undefined : objectKeySchema.parse(row);
    },

    search(workspaceId, type, q) {
      const filter = `FROM objects o WHERE o.workspace_id = ? AND o.dataclass_type = ? AND (${q.where})`;
      return page(
        objectRowSchema,
        `SELECT count(*) AS n ${filter}`,
        `SELECT ${OBJECT_COLUMNS} ${filter} ORDER BY ${q.orderBy} LIMIT ? OFFSET ?`,
        [workspaceId, type, ...q.params],
        q.limit,
        q.offset,
      );
    },

    searchRelated(subject, related, q) {
      const filter = `FROM links l JOIN objects o ON o.id = l.b_id
        WHERE l.workspace_id = ? AND l.a_class = ? AND l.a_id = ? AND l.b_class = ?
          AND o.workspace_id = l.workspace_id AND o.dataclass_type = l.b_class AND (${q.where})`;
      return page(
        objectRowSchema,
        `SELECT count(*) AS n ${filter}`,
        `SELECT ${OBJECT_COLUMNS} ${filter} ORDER BY ${q.orderBy} LIMIT ? OFFSET ?`,
        [subject.workspaceId, subject.type, subject.id, related, ...q.params],
        q.limit,
        q.offset,
      );
    },

    link({ workspaceId, aClass, aId, bClass, bId }, at) {
      insertLink.run(workspaceId, aClass, aId, bClass, bId, at);
      insertLink.run(workspaceId, bClass, bId, aClass, aId, at);
    },

    unlink({ workspaceId, aClass, aId, bClass, bId }) {
      deleteLink.run(workspaceId, aClass, aId, bClass, bId);
      deleteLink.run(workspaceId, bClass, bId, aClass, aId);
    },

    linkedIds(subject, related) {
      return stmt(
        'SELECT b_id FROM links WHERE workspace_id = ? AND a_class = ? AND a_id = ? AND b_class = ? ORDER BY b_id',
      )
        .all(subject.workspaceId, subject.type, subject.id, related)
        .map((row) => linkedIdSchema.parse(row).b_id);
    },

    isLinked({ workspaceId, aClass, aId, bClass, bId }) {
      return (
        stmt(
          'SELECT 1 FROM links WHERE workspace_id = ? AND a_class = ? AND a_id = ? AND b_class = ? AND b_id = ?',
        ).get(workspaceId, aClass, aId, bClass, bId) !== undefined
      );
    },

    transaction(fn) {
      return db.transaction(fn)();
    },
  };
}
