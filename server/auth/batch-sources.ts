/**
 * Where each batch's credential came from (`env-aksk`, `env-token`, `session:<user>`), in its own
 * table of the ledger's SQLite file (the ledger's tables are not touched). On a restart the IAM
 * sessions are gone, so running batches that used one become `interrupted` ("sign in to resume").
 */
import { z } from 'zod';
import type { Ledger, LedgerDb } from '../batches/ledger';
import { SIGN_IN_TO_RESUME } from './context';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batch_credentials (
  batch_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`;
const rowSchema = z.object({ source: z.string() });

export interface BatchSources {
  record(batchId: string, source: string): void;
  get(batchId: string): string | null;
}

export function openBatchSources(db: LedgerDb): BatchSources {
  db.exec(SCHEMA);
  const upsert = db.prepare(
    `INSERT INTO batch_credentials (batch_id, source, updated_at) VALUES (?, ?, ?)
     ON CONFLICT(batch_id) DO UPDATE SET source = excluded.source, updated_at = excluded.updated_at`,
  );
  const select = db.prepare('SELECT source FROM batch_credentials WHERE batch_id = ?');
  return {
    record(batchId, source) {
      upsert.run(batchId, source.slice(0, 200), new Date().toISOString());
    },
    get(batchId) {
      const row = select.get(batchId);
      return row === undefined ? null : rowSchema.parse(row).source;
    },
  };
}

/**
 * Startup, before the runner resumes: crash recovery (in-flight IDs become unknown), then every
 * running batch whose credential is gone becomes interrupted with "sign in to resume": all
 * `session:*` batches (sessions live in memory), and environment batches when the environment
 * has no credential now. Returns the IDs it interrupted.
 */
export function interruptOrphans(
  ledger: Ledger,
  sources: BatchSources,
  envHasCredential: boolean,
): string[] {
  const running = ledger.recoverAfterCrash();
  const interrupted: string[] = [];
  for (const id of running) {
    const source = sources.get(id) ?? 'env-legacy';
    const usable = source.startsWith('env-') && envHasCredential;
    if (!usable && ledger.transitionBatch(id, ['running'], 'interrupted', SIGN_IN_TO_RESUME)) {
      interrupted.push(id);
    }
  }
  return interrupted;
}
