/**
 * What the emulator holds, read from outside it: checkers and tests ask here instead of running
 * SQL on its tables (the schema stays the emulator's own). Reads only.
 */
import { openEmulatorDb, type Database } from './db';
import { createStore, type Link } from './store';
import type { DataclassType } from './wire';

/** One object and the class of its links to read: the `related` objects linked to it. */
export interface LinkSubject {
  workspaceId: string;
  dataclass: DataclassType;
  objectId: string;
  related: DataclassType;
}

/** The IDs (as stored) of the `related` objects linked to the subject, in ID order. */
export function linksOf(db: Database, subject: LinkSubject): string[] {
  return createStore(db).linkedIds(
    { workspaceId: subject.workspaceId, type: subject.dataclass, id: subject.objectId },
    subject.related,
  );
}

/** Whether the link is there (a link reads the same from either end). */
export function isLinked(db: Database, link: Link): boolean {
  return createStore(db).isLinked(link);
}

/** `linksOf` over a store file (opened read-only, closed again), e.g. after its process stopped. */
export function linksInFile(file: string, subject: LinkSubject): string[] {
  const db = openEmulatorDb(file, { readonly: true });
  try {
    return linksOf(db, subject);
  } finally {
    db.close();
  }
}
