/**
 * Migration 9: `batch_leases.stops`, how many times in a row a batch's run stopped while the batch
 * still ran (an interruption the ledger did not take: batches/engine/lease-host.ts, "End"). The
 * wait before anybody may claim such a batch again doubles with each (leases.ts
 * `releaseWithWait`); a start or the batch's end sets it back to 0.
 *
 * Why in the lease row: it is the one row every console's claim reads, and the batch's own writes,
 * which are what fails then, do not touch it. A count in each console's memory let every console
 * start the doubling over (two consoles taking turns waited the lease time twice as often), and a
 * restart forget it.
 *
 * A column with a constant default: PostgreSQL adds it without rewriting the table. Not indexed,
 * so renewals and claims stay HOT (migration 7). PostgreSQL only: the SQLite ledger has a single
 * runner and never claims (its `batch_leases` stays empty).
 */
import type { Migration } from '../migration';

export const leaseStops: Migration = {
  version: 9,
  name: 'lease stops',
  up(db, dialect) {
    if (dialect === 'sqlite') return [];
    return [
      db.schema
        .alterTable('batch_leases')
        .addColumn('stops', 'integer', (c) => c.notNull().defaultTo(0))
        .compile(),
    ];
  },
};
