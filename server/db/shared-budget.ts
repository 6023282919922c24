/**
 * What all consoles on one PostgreSQL share of the upstream (issue 14): SecMaster's limits are per
 * account, not per console.
 *
 * - Concurrency: `upstream_slots` holds N rows per pool (a pool: one account's calls). A call takes a
 *   free slot (`acquireSlot`: one UPDATE, `FOR UPDATE SKIP LOCKED`, no waiting on other takers) and
 *   gives it back (`releaseSlot`). A slot is leased with an expiry, so a dead console's slots come
 *   back by themselves: the lease must outlast a call (the per-attempt timeout) or be renewed
 *   (`renewSlots`, one UPDATE for all of a console's slots). Each take bumps the slot's `token`, so a
 *   late release of an expired slot that someone else took since changes nothing. A console waiting
 *   for a slot polls `freeSlots` (a read) and takes one only once one is free
 *   (server/batches/shared-upstream.ts).
 * - Retry budget: `retry_budget` holds one row per pool, the AWS-style retry quota of
 *   server/batches/retry.ts (`RetryBudget`) made shared: a retry takes its cost (`takeRetry`: one
 *   conditional UPDATE, never below zero), a success refunds (`refundRetry`, a no-op without a row
 *   lock while the bucket is full). It does not refill with time: successes refill it.
 *
 * Every call is one statement in its own transaction (autocommit); times are the database's clock.
 * Those statements commit without waiting for the WAL flush (`synchronous_commit = off` for that
 * statement's transaction only, never for a caller's transaction): slots and tokens are soft state,
 * and a PostgreSQL crash losing their last fraction of a second of changes leaves at worst a slot
 * taken until its expiry, a call not counted until it ends, or a few tokens off. That saves a disk
 * flush per call (measured: see the report of issue 14).
 * PostgreSQL only, like server/db/leases.ts: on SQLite one console runs every batch and keeps the
 * in-memory limiter and `RetryBudget` (the migration still creates the tables there: one schema).
 */
import { sql, type ColumnType, type Kysely } from 'kysely';
import { dbTimeIn, type Db } from './leases';
import type { Migration } from './migration';

/** `bigint` columns: `pg` returns them as strings; written as numbers. */
type Int8 = ColumnType<string | number, number, number>;

export interface UpstreamSlotTable {
  pool: string;
  slot: number;
  /** The console holding the slot; null: free. */
  holder: string | null;
  /** Bumped by every take: a release names the take it ends. */
  token: Int8;
  /** The database's time the slot comes back by itself; null while free. */
  expires_at: Date | null;
}

export interface RetryBudgetTable {
  pool: string;
  tokens: number;
  capacity: number;
}

export interface SharedBudgetTables {
  upstream_slots: UpstreamSlotTable;
  retry_budget: RetryBudgetTable;
}

export const sharedBudgetMigration: Migration = {
  version: 3,
  name: 'shared upstream budget',
  up(db, dialect) {
    return [
      db.schema
        .createTable('upstream_slots')
        .addColumn('pool', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('holder', 'text')
        .addColumn('token', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('expires_at', dialect === 'postgres' ? 'timestamptz' : 'text')
        .addPrimaryKeyConstraint('upstream_slots_pk', ['pool', 'slot'])
        .compile(),
      db.schema
        .createTable('retry_budget')
        .addColumn('pool', 'text', (c) => c.primaryKey())
        .addColumn('tokens', 'integer', (c) => c.notNull())
        .addColumn('capacity', 'integer', (c) => c.notNull())
        .addCheckConstraint('retry_budget_bounds', sql`tokens >= 0 and tokens <= capacity`)
        .compile(),
    ];
  },
};

/** The pool used when none is named (the console's one SecMaster account). */
export const DEFAULT_POOL = 'secmaster';

interface PoolOption {
  /** Whose limits: one pool per SecMaster account (default `DEFAULT_POOL`). */
  pool?: string;
}

function budgetOf<DB extends SharedBudgetTables>(db: Db<DB>): Kysely<SharedBudgetTables> {
  return db as unknown as Kysely<SharedBudgetTables>;
}

/**
 * A condition that is always true and makes the statement's own transaction commit without waiting
 * for the WAL flush (set_config(…, true) lasts until that commit, which reads the setting). Inside a
 * caller's transaction it is a plain `true`: its other writes keep their durability. It holds for
 * every row the statement changes (a row is only changed once all its conditions held).
 */
function softCommit(db: { isTransaction: boolean }) {
  return db.isTransaction
    ? sql<boolean>`true`
    : sql<boolean>`set_config('synchronous_commit', 'off', true) = 'off'`;
}

function checkCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name}: ${n}`);
}

/** A console's hold on one upstream slot: one call in flight. */
export interface SlotLease {
  readonly pool: string;
  readonly slot: number;
  readonly token: number;
  /** The console holding it. */
  readonly holder: string;
}

/**
 * Makes the pool have exactly `n` slots (every console calls it at start with the configured
 * concurrency; the last call wins). Slots above `n` are removed even if taken: their releases then
 * change nothing, and the pool may run above `n` until those calls end.
 */
export async function setSlotCount<DB extends SharedBudgetTables>(
  db: Db<DB>,
  n: number,
  opts: PoolOption = {},
): Promise<void> {
  checkCount('n', n);
  const pool = opts.pool ?? DEFAULT_POOL;
  const both = async (trx: Kysely<SharedBudgetTables>) => {
    if (n > 0) {
      await trx
        .insertInto('upstream_slots')
        .values(Array.from({ length: n }, (_, slot) => ({ pool, slot, token: 0 })))
        .onConflict((oc) => oc.columns(['pool', 'slot']).doNothing())
        .execute();
    }
    await trx
      .deleteFrom('upstream_slots')
      .where('pool', '=', pool)
      .where('slot', '>=', n)
      .execute();
  };
  const k = budgetOf(db);
  await (k.isTransaction ? both(k) : k.transaction().execute(both));
}

/**
 * Takes a free slot (never held, released, or expired) for `leaseMs`, or null when all N are taken.
 * Never waits: slots another taker has locked are skipped.
 */
export async function acquireSlot<DB extends SharedBudgetTables>(
  db: Db<DB>,
  consoleId: string,
  leaseMs: number,
  opts: PoolOption = {},
): Promise<SlotLease | null> {
  if (!(leaseMs > 0)) throw new RangeError(`leaseMs: ${leaseMs}`);
  const pool = opts.pool ?? DEFAULT_POOL;
  const k = budgetOf(db);
  const row = await k
    .with(
      (cte) => cte('picked').materialized(),
      (qb) =>
        qb
          .selectFrom('upstream_slots')
          .select('slot')
          .where('pool', '=', pool)
          .where(sql<boolean>`(holder is null or expires_at <= clock_timestamp())`)
          .limit(1)
          .forUpdate()
          .skipLocked(),
    )
    .updateTable('upstream_slots')
    .from('picked')
    .set({
      holder: consoleId,
      token: sql`upstream_slots.token + 1`,
      expires_at: dbTimeIn(leaseMs),
    })
    .where('upstream_slots.pool', '=', pool)
    .whereRef('upstream_slots.slot', '=', 'picked.slot')
    .where(softCommit(k))
    .returning(['upstream_slots.slot', 'upstream_slots.token'])
    .executeTakeFirst();
  return row ? { pool, slot: row.slot, token: Number(row.token), holder: consoleId } : null;
}

/**
 * Gives a slot back; false if it had expired and been taken again (nothing changed then). The holder
 * is checked with the token: a token can repeat after a PostgreSQL crash lost a take's commit.
 */
export async function releaseSlot<DB extends SharedBudgetTables>(
  db: Db<DB>,
  lease: SlotLease,
): Promise<boolean> {
  const k = budgetOf(db);
  const r = await k
    .updateTable('upstream_slots')
    .set({ holder: null, expires_at: null })
    .where('pool', '=', lease.pool)
    .where('slot', '=', lease.slot)
    .where('holder', '=', lease.holder)
    .where('token', '=', lease.token)
    .where(softCommit(k))
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Extends every live slot `consoleId` holds in the pool by `leaseMs`; returns how many. */
export async function renewSlots<DB extends SharedBudgetTables>(
  db: Db<DB>,
  consoleId: string,
  leaseMs: number,
  opts: PoolOption = {},
): Promise<number> {
  if (!(leaseMs > 0)) throw new RangeError(`leaseMs: ${leaseMs}`);
  const k = budgetOf(db);
  const r = await k
    .updateTable('upstream_slots')
    .set({ expires_at: dbTimeIn(leaseMs) })
    .where('pool', '=', opts.pool ?? DEFAULT_POOL)
    .where('holder', '=', consoleId)
    .where('expires_at', '>', sql<Date>`clock_timestamp()`)
    .where(softCommit(k))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** How many slots of the pool are taken now. */
export async function slotsInUse<DB extends SharedBudgetTables>(
  db: Db<DB>,
  opts: PoolOption = {},
): Promise<number> {
  const row = await budgetOf(db)
    .selectFrom('upstream_slots')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('pool', '=', opts.pool ?? DEFAULT_POOL)
    .where('holder', 'is not', null)
    .where('expires_at', '>', sql<Date>`clock_timestamp()`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * How many slots of the pool are free now (never held, released, or expired): a read, no lock. A
 * console waiting for a slot polls it, and takes one (`acquireSlot`) only once one is free.
 */
export async function freeSlots<DB extends SharedBudgetTables>(
  db: Db<DB>,
  opts: PoolOption = {},
): Promise<number> {
  const row = await budgetOf(db)
    .selectFrom('upstream_slots')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('pool', '=', opts.pool ?? DEFAULT_POOL)
    .where(sql<boolean>`(holder is null or expires_at <= clock_timestamp())`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Makes the pool's retry budget hold `capacity` tokens at most (every console calls it at start).
 * A new budget starts full; an existing one keeps its tokens (cut to the new capacity).
 */
export async function setRetryBudget<DB extends SharedBudgetTables>(
  db: Db<DB>,
  capacity: number,
  opts: PoolOption = {},
): Promise<void> {
  checkCount('capacity', capacity);
  await budgetOf(db)
    .insertInto('retry_budget')
    .values({ pool: opts.pool ?? DEFAULT_POOL, tokens: capacity, capacity })
    .onConflict((oc) =>
      oc.column('pool').doUpdateSet({
        capacity,
        tokens: sql<number>`least(retry_budget.tokens, excluded.capacity)`,
      }),
    )
    .execute();
}

/**
 * Takes `cost` tokens for one retry: true if the budget could pay it, false (nothing taken) if not.
 * Throws if the pool has no budget (`setRetryBudget` was never called).
 */
export async function takeRetry<DB extends SharedBudgetTables>(
  db: Db<DB>,
  cost = 1,
  opts: PoolOption = {},
): Promise<boolean> {
  return (await takeRetryLeft(db, cost, opts)).taken;
}

/** `takeRetry`, also telling the tokens left after it (a runner's stats show them). */
export async function takeRetryLeft<DB extends SharedBudgetTables>(
  db: Db<DB>,
  cost = 1,
  opts: PoolOption = {},
): Promise<{ taken: boolean; tokens: number }> {
  checkCount('cost', cost);
  const pool = opts.pool ?? DEFAULT_POOL;
  const k = budgetOf(db);
  const row = await k
    .updateTable('retry_budget')
    .set({ tokens: sql<number>`tokens - ${cost}` })
    .where('pool', '=', pool)
    .where('tokens', '>=', cost)
    .where(softCommit(k))
    .returning('tokens')
    .executeTakeFirst();
  if (row) return { taken: true, tokens: row.tokens };
  // Empty, or missing: only this (rare) path pays a second query to tell them apart.
  const tokens = await retryTokens(db, opts);
  if (tokens === null) {
    throw new Error(`no retry budget for pool ${pool}: call setRetryBudget first`);
  }
  return { taken: false, tokens };
}

/**
 * Gives `tokens` back (a success refunds), up to the capacity. Coalesce them where calls are many.
 * Returns the tokens after it, or null when nothing changed (the bucket was full, or the pool has
 * no budget).
 */
export async function refundRetry<DB extends SharedBudgetTables>(
  db: Db<DB>,
  tokens = 1,
  opts: PoolOption = {},
): Promise<number | null> {
  checkCount('tokens', tokens);
  if (tokens === 0) return null;
  const k = budgetOf(db);
  const row = await k
    .updateTable('retry_budget')
    .set({ tokens: sql<number>`least(capacity, tokens + ${tokens})` })
    .where('pool', '=', opts.pool ?? DEFAULT_POOL)
    .where(sql<boolean>`tokens < capacity`)
    .where(softCommit(k))
    .returning('tokens')
    .executeTakeFirst();
  return row ? row.tokens : null;
}

/** The tokens left in the pool's retry budget, or null if it has none. */
export async function retryTokens<DB extends SharedBudgetTables>(
  db: Db<DB>,
  opts: PoolOption = {},
): Promise<number | null> {
  const row = await budgetOf(db)
    .selectFrom('retry_budget')
    .select('tokens')
    .where('pool', '=', opts.pool ?? DEFAULT_POOL)
    .executeTakeFirst();
  return row ? row.tokens : null;
}
