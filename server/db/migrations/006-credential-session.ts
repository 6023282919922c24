/**
 * Migration 6: `batches.credential_session`, the IAM session a batch runs on (issue 14), as the
 * shared session store knows it: the SHA-256 of its ID (`sessions.id_hash`, sql-sessions.ts),
 * never the ID (the cookie) or the token. Null for a batch on the environment's credential, for one
 * recorded before this migration, and for every batch of a console whose sessions live in its
 * memory (no SESSION_KEY): nothing outside that process could open them.
 *
 * Why a column: a batch on a session used to record only its source (`session:<user>`), the
 * session itself living in the process's memory, so a restart (or another console taking the
 * batch over) interrupted it ("sign in to resume") even when the session survived in the shared
 * database. With the session's stored key, the console that runs the batch next asks the session
 * store for that session and continues on its token while it is live (access/credentials.ts).
 *
 * Nullable, no default, no index (read by primary key with the batch): on both dialects an
 * `add column` of this kind changes no existing row and takes no time on a large table.
 */
import { sql } from 'kysely';
import type { Migration } from '../migration';

export const credentialSession: Migration = {
  version: 6,
  name: 'credential-session',
  up(db, dialect) {
    // Text columns: byte order on PostgreSQL, as SQLite compares text (as migration 1).
    const text = dialect === 'postgres' ? sql`text collate "C"` : 'text';
    return [db.schema.alterTable('batches').addColumn('credential_session', text).compile()];
  },
};
