/** The emulator's SQLite store: schema and connection settings. */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { resolve } from 'node:path';
import { DamagedStoreError } from './errors';

export type { Database } from 'better-sqlite3';

/**
 * Objects keep their class-specific body as JSON in `data`; the fields searched and sorted most
 * often are copied into columns so that they can be indexed. `status` holds `handle_status` for
 * alerts and incidents and `status` for indicators; `title` holds an indicator's `name`.
 * Links are stored in both directions, so a link shows from either end with one indexed lookup.
 */
/**
 * Secondary indexes of `objects`; the seed drops them for a bulk load and builds them after.
 * `objects_by_time` holds the default order in full (create_time, then id) and the title, so a
 * search in that order reads no row it does not return, and a title `contains` (or its count)
 * reads the index only, not the objects' JSON: 100,000 alerts scan in tens of milliseconds.
 */
export const OBJECT_INDEXES = `
CREATE INDEX IF NOT EXISTS objects_by_time ON objects (workspace_id, dataclass_type, create_time, id, title);
CREATE INDEX IF NOT EXISTS objects_by_update ON objects (workspace_id, dataclass_type, update_time);
CREATE INDEX IF NOT EXISTS objects_by_title ON objects (workspace_id, dataclass_type, title);
`;
export const DROP_OBJECT_INDEXES = `
DROP INDEX IF EXISTS objects_by_time;
DROP INDEX IF EXISTS objects_by_update;
DROP INDEX IF EXISTS objects_by_title;
`;
/** An index of earlier versions, superseded by `objects_by_time` (dropped when a file opens). */
const SUPERSEDED_INDEX = 'objects_by_create';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS workspaces (
  id          TEXT PRIMARY KEY,
  seq         INTEGER NOT NULL,
  name        TEXT NOT NULL,
  create_time TEXT NOT NULL,
  data        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS dataclasses (
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT NOT NULL,
  dataclass_type TEXT NOT NULL,
  name           TEXT NOT NULL,
  data           TEXT NOT NULL,
  UNIQUE (workspace_id, dataclass_type)
);

CREATE TABLE IF NOT EXISTS objects (
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT NOT NULL,
  dataclass_type TEXT NOT NULL CHECK (dataclass_type IN ('alerts', 'incidents', 'indicators')),
  title          TEXT NOT NULL,
  severity       TEXT,
  status         TEXT,
  create_time    TEXT NOT NULL,
  update_time    TEXT NOT NULL,
  origin_type    TEXT NOT NULL,
  version        INTEGER NOT NULL,
  data           TEXT NOT NULL
);
${OBJECT_INDEXES}

CREATE TABLE IF NOT EXISTS links (
  workspace_id TEXT NOT NULL,
  a_class      TEXT NOT NULL,
  a_id         TEXT NOT NULL,
  b_class      TEXT NOT NULL,
  b_id         TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (workspace_id, a_class, a_id, b_class, b_id)
) WITHOUT ROWID;
`;

/** A SQLite error that means the file's content is damaged or is not a SQLite database at all. */
function isDamageError(error: unknown): error is Error {
  if (!(error instanceof Database.SqliteError)) return false;
  return error.code.startsWith('SQLITE_CORRUPT') || error.code.startsWith('SQLITE_NOTADB');
}

/**
 * Opens (and creates if needed) the emulator database. `':memory:'` is fine for tests. A damaged
 * file (SQLITE_CORRUPT, SQLITE_NOTADB) throws DamagedStoreError, which names the file and what to
 * do. `readonly`: an existing file, for reading only (no schema, no pragma that writes).
 */
export function openEmulatorDb(file: string, options: { readonly?: boolean } = {}): Db {
  let db: Db | null = null;
  try {
    if (options.readonly) {
      db = new Database(file, { readonly: true, fileMustExist: true });
      // SQLite reads the file's header on the first statement: a damaged file shows here.
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return db;
    }
    db = new Database(file);
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -65536');
    const upgrading =
      db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?")
        .get(SUPERSEDED_INDEX) !== undefined;
    db.exec(SCHEMA);
    if (upgrading) {
      // A file of an earlier version: its new index was just built; give the planner its figures.
      db.exec(`DROP INDEX IF EXISTS ${SUPERSEDED_INDEX}`);
      db.exec('ANALYZE objects');
    }
    return db;
  } catch (error) {
    db?.close();
    if (isDamageError(error)) throw new DamagedStoreError(resolve(file), error.message);
    throw error;
  }
}
