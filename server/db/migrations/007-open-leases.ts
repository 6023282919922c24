/**
 * Migration 7: `batch_leases_open`, an index of the lease rows not ended (issue 14), for the claims
 * of server/db/leases.ts.
 *
 * Why: every console runs a claim round every few seconds, and each of a claim's statements reads
 * the rows not ended (free ones to take, and the open rows of their subjects: `heldBack`). A row
 * stays in `batch_leases` for good once its batch was offered, ended when the batch stops, so the
 * open rows are a few (the batches running or waiting now) among every batch ever run: without the
 * index every claim statement read the whole table. bench/pg-claims.ts, 100,000 batches of which
 * 52 open: a round 16–28 ms without the index, 2–4 ms with it (two runs on a loaded two-core
 * machine); the claim before the subject rule took 14–18 ms without it, about 1 ms with it.
 *
 * Partial and on `batch_id` alone: it holds the open rows only, and no column a renewal or a claim
 * changes (`holder`, `epoch`, `expires_at`), so those updates stay HOT (no index entry written for
 * the renewal of every held lease every few seconds); only an end or a reopening (`ended`) touches
 * it.
 *
 * PostgreSQL only: the SQLite ledger has a single runner and never claims (its `batch_leases`
 * stays empty).
 */
import { sql } from 'kysely';
import type { Migration } from '../migration';

export const openLeases: Migration = {
  version: 7,
  name: 'open leases',
  up(db, dialect) {
    if (dialect === 'sqlite') return [];
    return [
      db.schema
        .createIndex('batch_leases_open')
        .on('batch_leases')
        .column('batch_id')
        .where(sql<boolean>`not ended`)
        .compile(),
    ];
  },
};
