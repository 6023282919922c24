/**
 * Batch leases for several consoles on one PostgreSQL ledger (issue 14): a batch runs on exactly one
 * console at a time.
 *
 * - `batch_leases` has a row for every batch that has ever been offered: created when the batch
 *   starts running (`offerBatch`, or `claimBatch` by the console that starts it), marked `ended`
 *   (holder null) when it ends (`endBatch`, or `withdrawBatch` by anyone: a cancel on another
 *   console), and reopened by the next `offerBatch` (a resume). The row is never deleted, so its
 *   epoch only grows: a (batch, epoch, holder) never comes back, and a write under a lease lost
 *   before a pause/resume cannot pass the fence of a later claim by the same console.
 * - A console claims rows not ended whose lease is absent (never claimed, released) or expired
 *   (`claimBatches`, `SELECT … FOR UPDATE SKIP LOCKED`: claimers never wait on each other and never
 *   take the same row). Each claim bumps the row's `epoch`: the fencing token.
 * - A lease given up with a wait (`releaseWithWait`: its run stopped while the batch still runs,
 *   an interruption the ledger did not take) is unheld with `expires_at` set: offered, claimable
 *   from then on, and holding its subject's newer batches back meanwhile as an offered one does.
 *   The wait doubles with each such stop in a row (`stops`, migration 9). A start
 *   (`clearRetryWait`) or the batch's end clears the wait and the count.
 * - One subject, one console: a claim does not take a batch while another console holds a batch of
 *   the same subject (workspace, class, object, related class: runner.ts `subjectKey`), nor while
 *   an older batch of that subject waits unheld (creation order). See `heldBack` for the rule
 *   and `lockSubjects` for why two consoles claiming at once cannot both take one subject.
 * - Every intent and outcome write runs `assertLease` first in its transaction: it locks the lease
 *   row `FOR SHARE` and checks holder, epoch and expiry, or throws `LeaseLostError` so the write
 *   rolls back. The share lock makes a claim skip the row until the write commits: a write either
 *   commits before another console's claim or is refused after it, never both.
 * - `LeaseKeeper` renews all of a console's leases in one statement every `leaseMs / 3` and calls
 *   `onLost` at once when a renewal finds a lease gone, or when no renewal has confirmed it for
 *   `leaseMs` (measured on this host's monotonic clock from when the last good renewal was *sent*,
 *   so the local deadline never falls after the database's).
 *
 * Expiry is always the database's wall clock (`clock_timestamp()`), never a console's: hosts' clocks
 * differ. A step of the database host's clock moves every expiry at once (a step forward expires
 * live leases early, a step back keeps dead ones alive), so that host needs NTP that slews (chronyd
 * or ntpd with stepping off after boot), never steps. The keeper's local validity
 * (`holds`, `fence`) runs on the console's monotonic clock from when a renewal was *sent*, a margin
 * that keeps it at or before the database's deadline.
 *
 * Lock order: a claim or renewal locks lease rows in `batch_id` order. A transaction fences (calls
 * `assertLease`/`LeaseKeeper.fence`) at most one batch, or fences several in `batch_id` order, so
 * it cannot deadlock against a renewal. A claim's subject locks are only ever tried, never waited
 * for (`lockSubjects`). Transactions must be READ COMMITTED (PostgreSQL's default): the fence
 * relies on a locking read seeing the latest committed row, and a claim on its second statement
 * seeing what was committed before it took its subject locks.
 *
 * SQLite: the migration compiles for both dialects (one schema, the table stays empty there), but
 * these functions are PostgreSQL only (row locks, SKIP LOCKED, advisory locks, `clock_timestamp()`,
 * intervals). On SQLite one process holds the DATA_DIR lock (server/batches/data-dir-lock.ts) and
 * is the only runner, so its lease is trivial: every batch is its own, the fence is a no-op,
 * nothing expires.
 */
import { sql, type ColumnType, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Migration } from './migration';
import type { BatchesTable } from './tables';

/** `bigint` columns: `pg` returns them as strings; written as numbers. */
type Int8 = ColumnType<string | number, number, number>;

export interface BatchLeaseTable {
  batch_id: string;
  /** The console running the batch; null: nobody (offered, or released). */
  holder: string | null;
  /** Bumped by every claim: the fencing token of intent and outcome writes. */
  epoch: Int8;
  /**
   * The database's time the lease ends; with no holder, the time from which it may be claimed
   * (`releaseWithWait`), null when it may be at once.
   */
  expires_at: Date | null;
  /** The batch ended or was withdrawn (holder null): nobody may claim it until it is offered again. */
  ended: ColumnType<boolean, boolean | undefined, boolean>;
  /**
   * Its runs' stops in a row while it still ran (`releaseWithWait`; migration 9, PostgreSQL
   * only): 0 once it is started again or ends.
   */
  stops: ColumnType<number, number | undefined, number>;
}

export interface LeaseTables {
  batch_leases: BatchLeaseTable;
  /**
   * The ledger's batches (migration 1), read by the claims only: a batch's subject and creation
   * order (`n`).
   */
  batches: BatchesTable;
}

export const leasesMigration: Migration = {
  version: 2,
  name: 'batch leases',
  up(db, dialect) {
    return [
      db.schema
        .createTable('batch_leases')
        .addColumn('batch_id', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text')
        .addColumn('epoch', 'bigint', (c) => c.notNull().defaultTo(0))
        // SQLite keeps times as ISO text, like the rest of its ledger (the table is unused there).
        .addColumn('expires_at', dialect === 'postgres' ? 'timestamptz' : 'text')
        .addColumn('ended', 'boolean', (c) => c.notNull().defaultTo(false))
        .compile(),
    ];
  },
};

/** A console's hold on one batch. */
export interface Lease {
  readonly batchId: string;
  /** The fencing token: every write of this console for the batch carries it. */
  readonly epoch: number;
  /** The console holding it. */
  readonly holder: string;
}

export type LeaseLostReason =
  /** Not renewed in time (the database's clock). */
  | 'expired'
  /** Another console (or this one again) claimed it since: a higher epoch. */
  | 'taken'
  /** Given up by its holder (`releaseLease`). */
  | 'released'
  /** The batch ended or was withdrawn (its row is marked ended, or missing). */
  | 'ended'
  /** This console keeps no lease on the batch (never claimed here, or already found lost). */
  | 'not held';

/** Why `LeaseKeeper` gave a lease up. */
export type KeeperLostReason =
  | LeaseLostReason
  /** A renewal got through but did not extend it (expired, taken, released or ended). */
  | 'not renewed'
  /** No renewal confirmed it for `leaseMs` (the database unreachable, or this process paused). */
  | 'unconfirmed';

/** A write under a lease this console no longer holds: the transaction must roll back. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly batchId: string,
    readonly epoch: number,
    readonly reason: LeaseLostReason,
  ) {
    super(`the lease on batch ${batchId} (epoch ${epoch}) is lost: ${reason}`);
  }
}

/**
 * A Kysely or a transaction of it (spelt out: TypeScript infers `DB` from a `Transaction` only
 * against `Transaction`).
 */
export type Db<DB> = Kysely<DB> | Transaction<DB>;

/**
 * The functions take any Kysely whose database has the lease table (the ledger's own, or a
 * transaction of it) and write that table only; the claims read `batches` too.
 */
function leasesOf<DB extends LeaseTables>(db: Db<DB>): Kysely<LeaseTables> {
  return db as unknown as Kysely<LeaseTables>;
}

function checkLeaseMs(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs: ${leaseMs}`);
}

/** The database's now plus `ms`. */
export function dbTimeIn(ms: number): RawBuilder<Date> {
  return sql<Date>`clock_timestamp() + make_interval(secs => ${ms / 1000})`;
}

/**
 * Whether the lease row `t` may be claimed now: its `expires_at` has passed (held and expired, or
 * unheld after its wait), or it has none (unheld, never held or released).
 */
const FREE = (t: string) =>
  sql<boolean>`coalesce(${sql.ref(`${t}.expires_at`)} <= clock_timestamp(), ${sql.ref(`${t}.holder`)} is null)`;

/**
 * The lease rows not ended (`open`: few, the batches running or waiting now; migration 7's partial
 * index), each with its batch's subject and creation order `n` (null for a lease row whose batch
 * has no row in `batches`: none the console offers; the lease tests) and whether it is `free`
 * (may be claimed now: never claimed, released, or expired; an unheld row given up with a wait
 * only once the wait is over, `FREE`). Read once per statement, with the statement's snapshot and
 * one reading of the database's clock.
 *
 * Each open row's batch is looked up by its ID (a LATERAL subquery: `LIMIT 1`, harmless as `id`
 * is unique, keeps the planner from turning it into a join), so that a claim's cost follows the
 * open rows, not the ledger's size, whatever the planner estimates: as a plain join it may hash the
 * whole of `batches` instead (it did with 10,000 narrow rows: a sequential scan on every claim
 * statement for some 50 open rows). `batches.id` is `text collate "C"` (migration 1),
 * `o.batch_id` the database's default collation: the lookup compares under "C", so that it uses
 * the unique index on `batches.id` whatever collation the database was created with (equality is
 * the same under both).
 */
const OPEN_LEASES = sql`open as materialized (
    select o.batch_id, o.holder, ob.n, ob.workspace_id, ob.dataclass_type, ob.data_object_id,
           ob.related_dataclass_type,
           ${FREE('o')} as free
      from batch_leases o
      left join lateral (
             select n, workspace_id, dataclass_type, data_object_id, related_dataclass_type
               from batches where id = o.batch_id collate "C" limit 1) ob on true
     where not o.ended)`;

/**
 * The subject rule of a claim: whether the open lease row `c` (of `OPEN_LEASES`) is held back for
 * `consoleId` by another open row `o` of the same subject (the four columns of runner.ts
 * `subjectKey` equal), which is the case when
 * - another console holds `o` now (a live lease): the subject is that console's until `o` ends, is
 *   released or expires. A batch of the subject that `consoleId` itself holds does not hold `c`
 *   back: that console's runner runs a subject's batches one at a time, in the order it started
 *   them;
 * - or `o`'s batch is older (`n`, creation order) and nobody holds `o` (offered, released,
 *   expired, or given up with a wait not over yet): the older batch goes first, so that a
 *   subject's batches apply in the order they were created, across consoles too, as an analyst
 *   expects. Without it a console could take a newer batch while an older one waits, and run it
 *   first. So a round takes at most one unheld batch per subject, the oldest; the next one goes in
 *   a later round (its runner would hold it until the older one is done anyway).
 *
 * Ended rows (the batch done, paused, cancelled and settled) never hold anything back, and nothing
 * waits for ever: a subject's oldest unheld batch is held back only by another console's live
 * lease, so that console may take it, and anyone may once those leases end or expire (and its own
 * wait, if its lease was given up with one, is over). A row with
 * no subject (no batch row: null columns, never equal) is never held back and holds nothing back.
 *
 * Read with the statement's snapshot, this alone is not race-free (two consoles may each miss the
 * other's claim, not committed yet): `lockSubjects` makes it so.
 */
function heldBack(consoleId: string): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from open o
     where o.batch_id <> c.batch_id
       and o.workspace_id = c.workspace_id and o.dataclass_type = c.dataclass_type
       and o.data_object_id = c.data_object_id
       and o.related_dataclass_type = c.related_dataclass_type
       and case when o.free or o.holder is null then o.n < c.n else o.holder <> ${consoleId} end)`;
}

/**
 * Tries to lock, until `trx` ends, the subjects of the batches `consoleId` may claim now (the one
 * given, or the `max` oldest: a round takes the batches that have waited longest); returns those
 * whose subject it locked (and those without one).
 *
 * Why: the subject rule (`heldBack`) reads other rows than the one claimed, with the statement's
 * snapshot, so two consoles claiming at once could each miss the other's claim not yet committed
 * and both take the subject: two new batches of one subject started on two consoles at once (each
 * offered and claimed in its own transaction), or a batch claimed while another console claims an
 * older one of the subject whose lease just expired. With this lock, claims of one subject run one
 * after the other, and the claim's second statement (`claimLocked`), which reads the rule again,
 * has a snapshot taken after the lock was granted: it sees every claim of the subject committed
 * before (a transaction's commit is visible before its locks are released). Only claims make a
 * lease held; the other writes end, release or offer rows, which only holds claims back more, and
 * expiry is read at the database's clock in that second statement.
 *
 * Why an advisory lock per subject rather than locks on the subject's lease rows: a claim must be
 * kept off rows that are not there yet (a batch another console is offering and claiming in one
 * transaction), which no row lock covers; and locking every lease row of a subject would make
 * claims wait on the holder's renewals and fenced writes, or skip them. Transaction-scoped
 * (`pg_try_advisory_xact_lock`): released at commit or rollback, never left behind by a console
 * that dies or a claim rolled back. Only tried, never waited for, like SKIP LOCKED: a subject
 * another claim is taking a batch of right now (a short transaction) is left to a later claim
 * round, and no claim can deadlock on it (nor wait on a console paused inside a claim). A start
 * that meets such a claim is refused, its batch taken by a later round: it would have waited for
 * the other claim's batch of its subject anyway. The key is a 64-bit hash of the subject: two subjects whose keys
 * collide only serialise their claims.
 */
async function lockSubjects(
  trx: Kysely<LeaseTables>,
  consoleId: string,
  which: { batchId: string } | { max: number },
): Promise<string[]> {
  const { rows } = await sql<{ batch_id: string }>`
    with ${OPEN_LEASES},
    candidates as materialized (
      select c.batch_id,
             hashtextextended('secmaster:batch-subject:' || c.workspace_id || '/' ||
               c.dataclass_type || '/' || c.data_object_id || '/' || c.related_dataclass_type, 0)
               as lock_key
        from open c
       where c.free and not ${heldBack(consoleId)}
             ${'batchId' in which ? sql`and c.batch_id = ${which.batchId}` : sql``}
       order by c.n
       ${'max' in which ? sql`limit ${which.max}` : sql``})
    select batch_id from candidates
     where lock_key is null or pg_try_advisory_xact_lock(lock_key)`.execute(trx);
  return rows.map((r) => r.batch_id);
}

/**
 * Takes those of `batchIds` (their subjects locked by `lockSubjects` in `trx`) that `consoleId` may
 * still claim, the rule read again with a snapshot taken under the subject locks. Whether the row
 * itself is free is read on the lease row, not on `open`: a row another transaction changed
 * meanwhile is read again once locked.
 */
async function claimLocked(
  trx: Kysely<LeaseTables>,
  consoleId: string,
  batchIds: readonly string[],
  leaseMs: number,
): Promise<Lease[]> {
  if (batchIds.length === 0) return [];
  const { rows } = await sql<{ batch_id: string; epoch: string | number }>`
    with ${OPEN_LEASES},
    picked as materialized (
      select l.batch_id from batch_leases l join open c on c.batch_id = l.batch_id
       where l.batch_id = any(${batchIds}::text[])
         and not l.ended and ${FREE('l')}
         and not ${heldBack(consoleId)}
         for update of l skip locked)
    update batch_leases
       set holder = ${consoleId}, epoch = batch_leases.epoch + 1, expires_at = ${dbTimeIn(leaseMs)}
      from picked
     where batch_leases.batch_id = picked.batch_id
    returning batch_leases.batch_id, batch_leases.epoch`.execute(trx);
  return rows.map((r) => ({ batchId: r.batch_id, epoch: Number(r.epoch), holder: consoleId }));
}

/** Runs `fn` in `db` if it is a transaction, else in a transaction of its own. */
function inTransaction<T>(
  db: Kysely<LeaseTables>,
  fn: (trx: Kysely<LeaseTables>) => Promise<T>,
): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * A batch that should run (the batches row `b`): `running`, or cancelled with items left open (in
 * flight or unknown: their outcomes are to be re-read and settled by whoever claims them). Group
 * rows are never run.
 */
const SHOULD_RUN = sql`b.kind = 'batch'
      and (
        b.state = 'running'
        or (
          b.state = 'cancelled'
          and exists (
            select 1 from items i
            where i.batch_id = b.id and i.state in ('in_flight', 'unknown')
          )
        )
      )`;

/**
 * Puts a runnable batch up for any console to claim: a new row, or an ended one reopened with its
 * epoch kept (the next claim goes on from it); a no-op if it is already offered or held.
 */
export async function offerBatch<DB extends LeaseTables>(
  db: Db<DB>,
  batchId: string,
): Promise<void> {
  await leasesOf(db)
    .insertInto('batch_leases')
    .values({ batch_id: batchId, holder: null, epoch: 0, expires_at: null, ended: false })
    .onConflict((oc) =>
      oc.column('batch_id').doUpdateSet({ ended: false }).where('batch_leases.ended', '=', true),
    )
    .execute();
}

/**
 * Offers the batches `which` picks among those that should run (SHOULD_RUN) and have no open lease
 * (none at all, or an ended one); returns how many were offered.
 */
async function offerRunnableWhere<DB>(db: Db<DB>, which: RawBuilder<unknown>): Promise<number> {
  const result = await sql`
    insert into batch_leases (batch_id, holder, epoch, expires_at, ended)
    select b.id, null, 0, null, false from batches b
    where ${which} and ${SHOULD_RUN}
    on conflict (batch_id) do update set ended = false where batch_leases.ended
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * `offerBatch` only if the batch still needs a run (SHOULD_RUN), read in the same statement: a
 * cancel made on a console that does not hold the batch offers it for the re-read of its open
 * items, and the holder may settle the last of them and end the lease between the cancel's read
 * of the counts and its offer, which must then not reopen it.
 */
export async function offerIfRunnable<DB>(db: Db<DB>, batchId: string): Promise<void> {
  await offerRunnableWhere(db, sql`b.id = ${batchId}`);
}

/**
 * Offers every batch that should run but has no open lease. A batch recorded by a console that
 * stopped (or died) before it offered it would otherwise wait for ever. One statement; returns how
 * many were offered.
 */
export function offerRunnable<DB>(db: Db<DB>): Promise<number> {
  return offerRunnableWhere(db, sql`true`);
}

/**
 * Takes up to `max` batches nobody holds (offered, released, or whose lease expired) for
 * `consoleId`, each with a new epoch, oldest first, those the subject rule allows only
 * (`heldBack`: none while another console holds a batch of its subject or an older one of it
 * waits). Rows another transaction has locked (being claimed, renewed, or written under their
 * lease) and subjects another console is claiming in right now are skipped, never waited for.
 * Runs in a transaction of its own, or in `db` if it is one (READ COMMITTED; the subject locks then
 * last until it ends: keep it short).
 */
export async function claimBatches<DB extends LeaseTables>(
  db: Db<DB>,
  consoleId: string,
  max: number,
  leaseMs: number,
): Promise<Lease[]> {
  checkLeaseMs(leaseMs);
  if (!(max >= 1)) return [];
  return inTransaction(leasesOf(db), async (trx) => {
    const batchIds = await lockSubjects(trx, consoleId, { max: Math.floor(max) });
    return claimLocked(trx, consoleId, batchIds, leaseMs);
  });
}

/**
 * Takes one given batch if nobody holds it and the subject rule allows it (the console that
 * starts a batch runs it), else null: held elsewhere, another console holds a batch of its subject,
 * an older batch of the subject waits unheld, or its row or subject is being claimed or written
 * right now (not waited for). A batch refused stays as it is: offered, it is taken in a later
 * claim round by whoever may. Transactions as `claimBatches`.
 */
export async function claimBatch<DB extends LeaseTables>(
  db: Db<DB>,
  consoleId: string,
  batchId: string,
  leaseMs: number,
): Promise<Lease | null> {
  checkLeaseMs(leaseMs);
  return inTransaction(leasesOf(db), async (trx) => {
    const batchIds = await lockSubjects(trx, consoleId, { batchId });
    const [lease] = await claimLocked(trx, consoleId, batchIds, leaseMs);
    return lease ?? null;
  });
}

/**
 * Extends those of `leases` (all held by `consoleId`) that are still live by `leaseMs`, in one
 * statement; returns the ones extended. A lease missing from the answer is lost.
 */
export async function renewLeases<DB extends LeaseTables>(
  db: Db<DB>,
  consoleId: string,
  leases: readonly Lease[],
  leaseMs: number,
): Promise<Lease[]> {
  checkLeaseMs(leaseMs);
  const mine = leases.filter((l) => l.holder === consoleId);
  if (mine.length === 0) return [];
  // The rows are locked in batch_id order first (the lock order of the module comment): an UPDATE
  // alone locks them in scan order and could deadlock against a write fencing two batches.
  const rows = await leasesOf(db)
    .with(
      (cte) => cte('locked').materialized(),
      (qb) =>
        qb
          .selectFrom('batch_leases')
          .select('batch_id')
          .where('holder', '=', consoleId)
          .where('expires_at', '>', sql<Date>`clock_timestamp()`)
          .where(({ eb, refTuple, tuple }) =>
            eb(
              refTuple('batch_id', 'epoch'),
              'in',
              mine.map((l) => tuple(l.batchId, l.epoch)),
            ),
          )
          .orderBy('batch_id')
          .forUpdate(),
    )
    .updateTable('batch_leases')
    .from('locked')
    .set({ expires_at: dbTimeIn(leaseMs) })
    .whereRef('batch_leases.batch_id', '=', 'locked.batch_id')
    .returning(['batch_leases.batch_id', 'batch_leases.epoch'])
    .execute();
  const renewed = new Set(rows.map((r) => `${r.batch_id}\u0000${Number(r.epoch)}`));
  return mine.filter((l) => renewed.has(`${l.batchId}\u0000${l.epoch}`));
}

/** Extends one lease by `leaseMs`; false once it is lost (expired, taken, released, ended). */
export async function renewLease<DB extends LeaseTables>(
  db: Db<DB>,
  lease: Lease,
  leaseMs: number,
): Promise<boolean> {
  return (await renewLeases(db, lease.holder, [lease], leaseMs)).length === 1;
}

/**
 * A batch's lease row as a fenced write read it, locked FOR SHARE in its transaction (pg-store.ts
 * reads it with the batch's row lock, in the same statement).
 */
export interface LeaseSeen {
  holder: string | null;
  epoch: number | string;
  ended: boolean;
  /**
   * expires_at is after the database's clock, as of the statement's read of the row: before its
   * wait for the batch's row lock, when it waited (PostgreSQL reads a locked row again only if it
   * changed meanwhile). A lease that lapsed during that wait, with nobody claiming it since, is
   * taken as live: a claim meanwhile would have changed the row (its epoch), and once this
   * transaction holds the row FOR SHARE a claim skips it. The keeper checks its own deadline
   * first (LeaseKeeper.fence).
   */
  live: boolean;
}

/**
 * The fence: call it inside the transaction of an intent or outcome write, before committing. It
 * locks the lease row (FOR SHARE, until the transaction ends: a claim skips the row meanwhile) and
 * throws `LeaseLostError` unless `lease` is still the live one, so the transaction rolls back.
 * `seen`: the row as the transaction has already read and locked it (FOR SHARE): not read again.
 */
export async function assertLease<DB extends LeaseTables>(
  trx: Db<DB>,
  lease: Lease,
  seen?: LeaseSeen,
): Promise<void> {
  if (!trx.isTransaction) {
    throw new Error('assertLease fences a write: call it inside the write’s transaction');
  }
  const row =
    seen ??
    (await leasesOf(trx)
      .selectFrom('batch_leases')
      .select(['holder', 'epoch', 'ended', sql<boolean>`expires_at > clock_timestamp()`.as('live')])
      .where('batch_id', '=', lease.batchId)
      .forShare()
      .executeTakeFirst());
  if (!row || row.ended) throw new LeaseLostError(lease.batchId, lease.epoch, 'ended');
  if (row.holder === null) {
    const reason = Number(row.epoch) === lease.epoch ? 'released' : 'taken';
    throw new LeaseLostError(lease.batchId, lease.epoch, reason);
  }
  if (row.holder !== lease.holder || Number(row.epoch) !== lease.epoch) {
    throw new LeaseLostError(lease.batchId, lease.epoch, 'taken');
  }
  if (row.live !== true) throw new LeaseLostError(lease.batchId, lease.epoch, 'expired');
}

/**
 * Gives the batch up (clean shutdown): any console may claim it at once, with a new epoch. False
 * if `lease` was no longer held.
 */
export async function releaseLease<DB extends LeaseTables>(
  db: Db<DB>,
  lease: Lease,
): Promise<boolean> {
  const r = await leasesOf(db)
    .updateTable('batch_leases')
    .set({ holder: null, expires_at: null })
    .where('batch_id', '=', lease.batchId)
    .where('holder', '=', lease.holder)
    .where('epoch', '=', lease.epoch)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * Gives the batch up because its run stopped while it still runs (an interruption the ledger did
 * not take): nobody may claim it for `firstMs` (the database's clock), doubling with each such
 * stop in a row (`stops`), at most `maxMs` (see the module comment). The wait set, in ms; null if
 * `lease` was no longer held.
 */
export async function releaseWithWait<DB extends LeaseTables>(
  db: Db<DB>,
  lease: Lease,
  wait: { firstMs: number; maxMs: number },
): Promise<number | null> {
  if (!(wait.firstMs > 0 && wait.maxMs >= wait.firstMs)) {
    throw new RangeError(`wait: ${wait.firstMs} ms, at most ${wait.maxMs} ms`);
  }
  // The wait after `n` stops before this one: `stops` as the row had it before this update (SET
  // reads the old row, RETURNING the new one, hence `stops - 1` there).
  const after = (n: RawBuilder<number>) =>
    sql<number>`least(${wait.maxMs}::float8, ${wait.firstMs}::float8 * power(2, least(${n}, 40)))`;
  const { rows } = await sql<{ wait_ms: number }>`
    update batch_leases
       set holder = null, stops = stops + 1,
           expires_at = clock_timestamp() + make_interval(secs => ${after(sql`stops`)} / 1000)
     where batch_id = ${lease.batchId} and holder = ${lease.holder} and epoch = ${lease.epoch}
    returning ${after(sql`stops - 1`)} as wait_ms`.execute(db);
  const row = rows[0];
  return row === undefined ? null : Number(row.wait_ms);
}

/**
 * A start asked now (a user's resume, a new batch): a wait its lease was given up with
 * (`releaseWithWait`) no longer holds its claim back, and the next one starts from the first
 * again. A held lease is left alone.
 */
export async function clearRetryWait<DB extends LeaseTables>(
  db: Db<DB>,
  batchId: string,
): Promise<void> {
  await leasesOf(db)
    .updateTable('batch_leases')
    .set({ expires_at: null, stops: 0 })
    .where('batch_id', '=', batchId)
    .where('holder', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is not', null), eb('stops', '>', 0)]))
    .execute();
}

/**
 * The batch ended (done, cancelled by its runner): marks its lease row ended (kept, so its epoch
 * never repeats). Fenced like a write (call
 * it in the transaction that records the end): throws `LeaseLostError` unless `lease` is still the
 * live one.
 */
export async function endBatch<DB extends LeaseTables>(trx: Db<DB>, lease: Lease): Promise<void> {
  await assertLease(trx, lease);
  await leasesOf(trx)
    .updateTable('batch_leases')
    .set({ holder: null, expires_at: null, ended: true, stops: 0 })
    .where('batch_id', '=', lease.batchId)
    .execute();
}

/**
 * Ends a batch's lease whoever holds it (a cancel on another console, an operator): its holder's
 * next write or renewal finds the lease lost and stops. Waits for writes in progress under the
 * lease (their share lock) to commit first. True if it was not ended yet.
 */
export async function withdrawBatch<DB extends LeaseTables>(
  db: Db<DB>,
  batchId: string,
): Promise<boolean> {
  const r = await leasesOf(db)
    .updateTable('batch_leases')
    .set({ holder: null, expires_at: null, ended: true, stops: 0 })
    .where('batch_id', '=', batchId)
    .where('ended', '=', false)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Schedules `fn` after `ms`; returns a cancel function (the pacer's `Schedule` shape). */
export type Schedule = (ms: number, fn: () => void) => () => void;

const realSchedule: Schedule = (ms, fn) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export interface LeaseKeeperOptions<DB extends LeaseTables> {
  db: Kysely<DB>;
  consoleId: string;
  leaseMs: number;
  /**
   * A lease of this console is lost (called once per lease, at once): stop sending that batch.
   */
  onLost: (batchId: string, reason: KeeperLostReason) => void;
  /** Renewal period (default leaseMs / 3). */
  renewEveryMs?: number;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
  schedule?: Schedule;
  /** Renews leases (default: `renewLeases` on `db`); returns those renewed. For tests. */
  renew?: (leases: readonly Lease[]) => Promise<readonly Lease[]>;
  log?: (message: string) => void;
}

interface Held {
  lease: Lease;
  /** Local monotonic time before which the database surely still has the lease. */
  validUntil: number;
}

/**
 * Keeps this console's leases: renews them all in one statement every `renewEveryMs`, and calls
 * `onLost` at once when one is gone or has gone unconfirmed for `leaseMs`.
 *
 * A renewal that is still running when the next one is due is not doubled (configure the pool's
 * `query_timeout` below the lease so a stuck one ends); the local deadline does not wait for it.
 */
export class LeaseKeeper<DB extends LeaseTables> {
  private readonly db: Kysely<DB>;
  private readonly consoleId: string;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly onLost: LeaseKeeperOptions<DB>['onLost'];
  private readonly now: () => number;
  private readonly schedule: Schedule;
  private readonly renew: (leases: readonly Lease[]) => Promise<readonly Lease[]>;
  private readonly log: (message: string) => void;
  private readonly held = new Map<string, Held>();
  private renewing = false;
  private stopped = false;
  private cancelTick: (() => void) | null = null;
  private cancelDeadline: (() => void) | null = null;
  private deadlineAt = Infinity;
  /** Since when renewals have been failing (local ms), or null. */
  private failingSince: number | null = null;

  constructor(o: LeaseKeeperOptions<DB>) {
    checkLeaseMs(o.leaseMs);
    this.db = o.db;
    this.consoleId = o.consoleId;
    this.leaseMs = o.leaseMs;
    this.renewEveryMs = o.renewEveryMs ?? o.leaseMs / 3;
    if (!(this.renewEveryMs > 0 && this.renewEveryMs < this.leaseMs)) {
      throw new RangeError(`renewEveryMs must lie in (0, leaseMs): ${this.renewEveryMs}`);
    }
    this.onLost = o.onLost;
    this.now = o.now ?? (() => performance.now());
    this.schedule = o.schedule ?? realSchedule;
    this.renew =
      o.renew ?? ((leases) => renewLeases(this.db, this.consoleId, leases, this.leaseMs));
    this.log = o.log ?? (() => {});
    this.armTick();
  }

  /** Claims up to `max` free batches the subject rule allows (`claimBatches`) and keeps them. */
  async claim(max: number): Promise<Lease[]> {
    this.checkRunning();
    const sentAt = this.now();
    const leases = await claimBatches(this.db, this.consoleId, max, this.leaseMs);
    if (this.stopped) {
      // Stopped while claiming: nobody keeps these, so give them up now rather than strand them
      // until they expire.
      await Promise.all(leases.map((l) => releaseLease(this.db, l)));
      return [];
    }
    for (const l of leases) this.track(l, sentAt);
    return leases;
  }

  /**
   * Claims one given batch if nobody holds it and the subject rule allows it (`claimBatch`), and
   * keeps it.
   */
  async claimOne(batchId: string): Promise<Lease | null> {
    this.checkRunning();
    const sentAt = this.now();
    const lease = await claimBatch(this.db, this.consoleId, batchId, this.leaseMs);
    if (lease && this.stopped) {
      await releaseLease(this.db, lease); // as in `claim`
      return null;
    }
    if (lease) this.track(lease, sentAt);
    return lease;
  }

  /**
   * Keeps a lease obtained elsewhere; `sentAt`: this keeper's `now()` when the claim was sent (the
   * lease is taken as confirmed from then).
   */
  track(lease: Lease, sentAt: number): void {
    this.checkRunning();
    if (lease.holder !== this.consoleId) {
      throw new Error(`lease of ${lease.holder}, not ${this.consoleId}`);
    }
    this.held.set(lease.batchId, { lease, validUntil: sentAt + this.leaseMs });
    this.armDeadline();
  }

  /** The lease kept for a batch, if any (and not yet known lost). */
  lease(batchId: string): Lease | undefined {
    return this.held.get(batchId)?.lease;
  }

  /** Whether the batch's lease is surely still held now: check it right before each send. */
  holds(batchId: string): boolean {
    const h = this.held.get(batchId);
    return h !== undefined && this.now() < h.validUntil;
  }

  /** Batches kept now. */
  batches(): string[] {
    return [...this.held.keys()];
  }

  /** Since when renewals have been failing (local ms), or null while they get through. */
  renewalsFailingSince(): number | null {
    return this.failingSince;
  }

  /**
   * The fence for a write under `lease` (the one the writing worker started with), in the write's
   * transaction (see `assertLease`). Refused unless this keeper still keeps that very lease (same
   * epoch: a worker of an earlier lease this console lost and then claimed again is refused) and the
   * database agrees. A lost lease calls `onLost` before the error is thrown.
   */
  async fence(trx: Kysely<DB>, lease: Lease, seen?: LeaseSeen): Promise<void> {
    this.checkDeadlines();
    const h = this.held.get(lease.batchId);
    if (!h) throw new LeaseLostError(lease.batchId, lease.epoch, 'not held');
    // A newer lease of this console on the batch: the worker's own one was lost before it.
    if (h.lease.epoch !== lease.epoch || h.lease.holder !== lease.holder) {
      throw new LeaseLostError(lease.batchId, lease.epoch, 'taken');
    }
    try {
      await assertLease(trx, lease, seen);
    } catch (err) {
      if (err instanceof LeaseLostError) this.lost(lease.batchId, lease.epoch, err.reason);
      throw err;
    }
  }

  /** Stops keeping a batch without a callback (it ended: `endBatch` marked its row ended). */
  forget(batchId: string): void {
    this.held.delete(batchId);
    this.armDeadline();
  }

  /** Gives a batch up (see `releaseLease`); false if it was no longer held. */
  async release(batchId: string): Promise<boolean> {
    const h = this.held.get(batchId);
    if (!h) return false;
    this.forget(batchId);
    return releaseLease(this.db, h.lease);
  }

  /** Gives a batch up with a wait (see `releaseWithWait`): the wait in ms, null if not held. */
  async releaseWithWait(
    batchId: string,
    wait: { firstMs: number; maxMs: number },
  ): Promise<number | null> {
    const h = this.held.get(batchId);
    if (!h) return null;
    this.forget(batchId);
    return releaseWithWait(this.db, h.lease, wait);
  }

  /** Stops renewing. `release`: give every lease up first (clean shutdown: others take over now). */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    this.cancelDeadline?.();
    this.cancelTick = this.cancelDeadline = null;
    const leases = [...this.held.values()].map((h) => h.lease);
    this.held.clear();
    if (opts.release) await Promise.all(leases.map((l) => releaseLease(this.db, l)));
  }

  private checkRunning(): void {
    if (this.stopped) throw new Error('the lease keeper is stopped');
  }

  private lost(batchId: string, epoch: number, reason: KeeperLostReason): void {
    const h = this.held.get(batchId);
    if (!h || h.lease.epoch !== epoch) return;
    this.held.delete(batchId);
    this.log(`lease on batch ${batchId} (epoch ${epoch}) lost: ${reason}`);
    try {
      this.onLost(batchId, reason);
    } catch (err) {
      // The other leases still need their callbacks and the timers their next turn.
      this.log(`onLost(${batchId}) threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Leases whose local deadline has passed are lost. */
  private checkDeadlines(): void {
    const now = this.now();
    for (const [batchId, h] of [...this.held]) {
      if (now >= h.validUntil) this.lost(batchId, h.lease.epoch, 'unconfirmed');
    }
    this.armDeadline();
  }

  private armDeadline(): void {
    if (this.stopped) return;
    let at = Infinity;
    for (const h of this.held.values()) at = Math.min(at, h.validUntil);
    if (at === this.deadlineAt) return;
    this.cancelDeadline?.();
    this.cancelDeadline = null;
    this.deadlineAt = at;
    if (at === Infinity) return;
    this.cancelDeadline = this.schedule(Math.max(0, at - this.now()), () => {
      this.cancelDeadline = null;
      this.deadlineAt = Infinity;
      this.checkDeadlines();
    });
  }

  private armTick(): void {
    if (this.stopped) return;
    this.cancelTick = this.schedule(this.renewEveryMs, () => {
      this.armTick();
      void this.renewAll();
    });
  }

  private async renewAll(): Promise<void> {
    // A paused process wakes up here late: what it can no longer vouch for is lost first.
    this.checkDeadlines();
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    const sentAt = this.now();
    const asked = [...this.held.values()].map((h) => h.lease);
    try {
      const renewed = await this.renew(asked);
      this.failingSince = null;
      const ok = new Set(renewed.map((l) => `${l.batchId}\u0000${l.epoch}`));
      for (const l of asked) {
        const h = this.held.get(l.batchId);
        if (!h || h.lease.epoch !== l.epoch) continue;
        if (ok.has(`${l.batchId}\u0000${l.epoch}`)) {
          h.validUntil = Math.max(h.validUntil, sentAt + this.leaseMs);
        } else {
          this.lost(l.batchId, l.epoch, 'not renewed');
        }
      }
    } catch (err) {
      this.failingSince ??= sentAt;
      this.log(`lease renewal failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.renewing = false;
    }
    if (!this.stopped) this.checkDeadlines();
  }
}
