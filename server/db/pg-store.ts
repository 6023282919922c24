/**
 * The ledger on PostgreSQL (issue 14): the `LedgerStore` of server/db/store.ts over Kysely and a
 * `pg` pool, with the SQLite ledger's meaning for every method (`Ledger` in
 * server/batches/ledger.ts documents each one; the statements below carry its reasons over, and
 * server/db/store-contract/ runs one behaviour suite on both stores).
 *
 * Several consoles share the database, so what SQLite got from its one writer is made explicit:
 *
 * - Every write of a batch's items, calls or state is one transaction that first locks the batch's
 *   row (`SELECT … FOR UPDATE`). Writes of one batch are thereby serialised across consoles: a
 *   user's cancel or pause on one console and the runner's claim on another take turns, and what a
 *   transaction checks after the lock (the batch is running, these rows are still pending, the
 *   call is still `sent`) stays true until it commits. In READ COMMITTED (PostgreSQL's default,
 *   which the leases need too) each statement after the lock sees what the previous holder
 *   committed.
 * - The fence (`opts.fence`, the runner passes its LeaseKeeper's): called right after that lock in
 *   every transaction that writes intents or outcomes (claimChunk, claimPreRead, retryCall,
 *   recordOutcome, queueOutcome, releaseCall, withdrawCall, settleUnknown, markUnknownUnsettled,
 *   strandInFlight, finishIfDrained), before anything is written; when it throws (LeaseLostError) the transaction
 *   rolls back and the method rejects: a console that lost its batch's lease records nothing. A
 *   batch that does not exist is not fenced (nothing can be written for it).
 * - A group's row: the group-state triggers (migration 1) derive a group's state from its
 *   children's in an UPDATE of the group row. In READ COMMITTED that statement reads the children
 *   as of its start, and then waits for the group row's lock: two children changing state at once
 *   (two children finishing, on two consoles or two connections of one) would each miss the other's
 *   change, and the group would stay `running` with every child done. So a transaction that
 *   changes a child's state, or adds a child, first locks the group's row (`lockGroupOf`), right
 *   before that statement: the trigger then starts after every sibling change has committed.
 *   Claims and outcomes that leave the state alone do not lock it (a group's children run at once).
 * - Lock order: the batch's row, then its lease row (the fence, FOR SHARE), then its group's row.
 *   Each transaction here locks one batch (and its group); a lease renewal locks lease rows only.
 *   Whoever withdraws a batch's lease in the transaction that writes the batch (a cancel on another
 *   console) must lock the batch's row first too, or it can deadlock against a fenced write.
 * - recoverAfterCrash touches every batch: it locks the `batches` table (EXCLUSIVE: plain reads go
 *   on, every writing transaction here waits, as each starts with a row lock) so that no claim or
 *   outcome interleaves with its two statements. It is the start-up of a lone console: on a shared
 *   database it would turn other consoles' calls in flight to unknown; consoles sharing one
 *   run `strandInFlight` (fenced) on each batch whose lease they take instead.
 *
 * queueOutcome (the SQLite ledger's group commit into its next write) is a group commit per batch
 * here: an outcome is committed at once in a transaction of its batch's, unless one is already
 * committing; the outcomes of that batch queued meanwhile then go together, in order, into the next
 * one (one row lock, one fence, one commit for all of them). It does not wait for the store's next
 * write, nor group several batches:
 * - one batch's writes are serialised by its row lock, each holding it through its commit's WAL
 *   flush: a transaction per outcome made the runner's concurrent calls of one batch queue on that
 *   lock (bench/pg-store.ts, 200 outcomes of one batch 16 at a time: a transaction each took about
 *   twice as long as one at a time, grouped about half as long); grouping them needs no lock
 *   beyond the batch's own;
 * - outcomes of several batches in one transaction would lock and fence several batches (a wider
 *   lock set to order) and tie their fates: one batch's lost lease or failed statement would refuse
 *   the others' outcomes; PostgreSQL already shares a WAL flush between commits that wait for one at
 *   the same time;
 * - holding an outcome for a write that is coming (`holdWhile`/`holdMs`) would only delay its
 *   batch's end here: those options are accepted and not needed.
 * The contract is kept: it resolves with the rows changed once committed and rejects if that
 * transaction failed (the call's items then stay in flight; the outcomes grouped with it, of the
 * same batch and under the same lease, fail with it, as on SQLite); `finish` ends a drained batch in
 * the same transaction; one call's outcomes apply in the order queued (outcomes of different calls
 * touch different items, and `finish` decides under the batch's lock after the others, so their
 * relative order changes nothing); and, as on SQLite where the next write carries them,
 * every later write of this store starts after the outcomes queued before it have committed or
 * failed (a restart's strandInFlight never strands items whose answer was already queued).
 *
 * A batch's counts per state (`counts`, and those of getBatch and listBatches) are read from
 * `item_counts`, which triggers keep in every transaction that writes items (migration 5,
 * server/db/migrations/005-item-counts.ts, says why): a poll reads a few rows, not 100,000.
 *
 * Times are written as the SQLite ledger writes them (`now().toISOString()`). COUNT(*)s and sums
 * are read as numbers whether the pool parses bigint (openPostgres) or not (`countSchema`).
 */
import { Kysely, sql, type ExpressionBuilder, type SqlBool, type Transaction } from 'kysely';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  batchItemSchema,
  batchStateSchema,
  emptyItemCounts,
  itemStateSchema,
  itemStates,
  type BatchItem,
  type BatchState,
  type ItemCounts,
} from '../../src/api/schemas';
import type { HistoryFilter } from '../batches/history-filter';
import {
  batchRowSchema,
  groupOutcomes,
  MSG_CONFIRMED,
  MSG_SKIPPED_BY_USER,
  MSG_UNKNOWN_RECHECK,
  UNKNOWN_AFTER_CRASH,
  UNKNOWN_NOT_RECORDED,
  type BatchRecord,
  type ClaimedCall,
  type ItemOutcome,
  type ItemsQuery,
  type NewBatch,
  type PendingRow,
  type SettledRow,
} from '../batches/ledger';
import { historyCondition } from './history-query';
import type { LeaseSeen } from './leases';
import type { PostgresLedgerDb } from './postgres';
import type { LedgerStore } from './store';
import type { LedgerTables, NewBatchRow } from './tables';
import { caseVariantRanges, escapeLike } from './like';
import type { ItemCountsTable } from './migrations/005-item-counts';
import type { ItemKeyLengthsTable } from './migrations/008-id-key-lengths';

export type LedgerTx = Transaction<LedgerTables>;

export interface PgStoreOptions {
  now?: () => Date;
  /**
   * Called inside every transaction that writes intents or outcomes for a batch, after its row is
   * locked and before anything is written; throwing rolls the transaction back. `seen`: the
   * batch's lease row, read and locked (FOR SHARE) in the statement that locked the batch's row
   * (one round trip fewer under the lock); undefined when the batch has no lease row (the fence
   * reads it itself, and finds none).
   */
  fence?: (trx: LedgerTx, batchId: string, seen?: LeaseSeen) => Promise<void>;
}

type Meta = { httpStatus: number | null; requestId: string | null; errorCode: string | null };

type BatchRow = z.infer<typeof batchRowSchema>;

const BATCH_COLUMNS = [
  'id',
  'action',
  'state',
  'state_reason',
  'workspace_id',
  'dataclass_type',
  'data_object_id',
  'related_dataclass_type',
  'reason',
  'user',
  'retry_of',
  'total',
  'duplicates',
  'created_at',
  'finished_at',
  'changes_recorded',
  'undo_of',
  'credential_source',
  'kind',
  'group_id',
  'destination_id',
] as const;
const B_COLUMNS = BATCH_COLUMNS.map((c) => `b.${c}` as const);
const ITEM_COLUMNS = ['id', 'state', 'code', 'message', 'request_id', 'attempts'] as const;

/** A COUNT(*) as a number (a string from a pool without openPostgres's bigint parser). */
const countSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    ctx.addIssue({ code: 'custom', message: `not a count: ${String(v)}` });
    return z.NEVER;
  }
  return n;
});

/** `q` with `item_counts` (migration 5) among its tables. */
function withCounts(q: Kysely<LedgerTables> | LedgerTx) {
  return q.withTables<{ item_counts: ItemCountsTable }>();
}

/** `q` with `item_key_lengths` (migration 8) among its tables. */
function withKeyLengths(q: Kysely<LedgerTables>) {
  return q.withTables<{ item_key_lengths: ItemKeyLengthsTable }>();
}

/**
 * Batch rows inserted by one statement: 22 parameters each (`credential_session` since migration
 * 6), under PostgreSQL's 65,535 per statement.
 */
const BATCH_ROWS_PER_INSERT = 2_900;
/**
 * Items inserted by one statement: six arrays (`unnest`), so the parameter limit does not apply;
 * the chunk bounds the size of one statement's arrays.
 */
const ITEMS_PER_INSERT = 20_000;

/**
 * A call's IDs still in flight, not sent after all (refused, or withdrawn unsent): back to pending,
 * or skipped when the batch was stopped by its user meanwhile. Returns the items changed.
 */
async function unsendCallItems(
  trx: LedgerTx,
  callId: string,
  state: string | null,
  at: string,
): Promise<number> {
  const changed =
    state === 'cancelled'
      ? await trx
          .updateTable('items')
          .set({
            state: 'skipped',
            code: 'CANCELLED',
            message: MSG_SKIPPED_BY_USER,
            call_id: null,
            updated_at: at,
          })
          .where('call_id', '=', callId)
          .where('state', '=', 'in_flight')
          .executeTakeFirst()
      : await trx
          .updateTable('items')
          .set({ state: 'pending', call_id: null, updated_at: at })
          .where('call_id', '=', callId)
          .where('state', '=', 'in_flight')
          .executeTakeFirst();
  return changes(changed);
}

/** How many calls' batches a store keeps in memory (openPgStore's callBatches). */
const CALL_BATCHES_KEPT = 10_000;

/** `affected` of an UPDATE as a number. */
const changes = (r: { numUpdatedRows: bigint }) => Number(r.numUpdatedRows);

/**
 * Items of one batch named by seq (`seq = ANY(…)`: a claim's, a pre-read's settled rows), also
 * bounded by the list's lowest and highest seq, so that whichever index the planner takes for
 * them (the primary key, items_search, items_by_state: all lead with batch_id, then seq or
 * state, seq) reads only that range of the batch. The statistics of a ledger whose batches have
 * ended hold no row of a new batch (until the next ANALYZE: autovacuum's comes after a tenth of
 * the table has changed) and say almost no item is pending: the planner then took an index on
 * batch_id (and state) alone, filtered by the list, and read every (pending) row of the batch for
 * each claim; 100,000 of them, about 25 ms a claim instead of 2 ms (pg-store.test.ts).
 */
function seqsAmong(seqs: readonly number[]) {
  let low = Infinity;
  let high = -Infinity;
  for (const seq of seqs) {
    if (seq < low) low = seq;
    if (seq > high) high = seq;
  }
  return ({ eb, fn, and }: ExpressionBuilder<LedgerTables, 'items'>) =>
    seqs.length === 0
      ? eb('seq', '=', fn.any(eb.val(seqs)))
      : and([eb('seq', '>=', low), eb('seq', '<=', high), eb('seq', '=', fn.any(eb.val(seqs)))]);
}

export function openPgStore(
  db: PostgresLedgerDb | Kysely<LedgerTables>,
  opts: PgStoreOptions = {},
): LedgerStore {
  const kysely = db instanceof Kysely ? db : db.kysely;
  const end = db instanceof Kysely ? () => db.destroy() : () => db.close();
  const now = () => (opts.now ?? (() => new Date()))().toISOString();
  /**
   * One transaction of `body`; on a store bound to a caller's transaction (`db` is a Kysely
   * Transaction: server/db/service-stores.ts), that transaction: its statements commit or roll back
   * with the caller's, and the row locks they take are held until then.
   */
  const transact = <T>(body: (trx: LedgerTx) => Promise<T>): Promise<T> =>
    kysely.isTransaction ? body(kysely as LedgerTx) : kysely.transaction().execute(body);
  /**
   * Reads of `body` from one snapshot (a read-only REPEATABLE READ transaction); on a store bound
   * to a caller's transaction, in that transaction.
   */
  const readSnapshot = <T>(body: (db: Kysely<LedgerTables>) => Promise<T>): Promise<T> =>
    kysely.isTransaction
      ? body(kysely)
      : kysely
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute(body);

  // --- queued outcomes (see the module comment) -------------------------------------------------

  /** Queued outcomes not yet committed or failed. */
  const queued = new Set<Promise<unknown>>();
  /**
   * The last queued outcome of each call, until it is in its batch's queue: the next one of that
   * call is queued after it.
   */
  const callTails = new Map<string, Promise<unknown>>();
  /** An outcome waiting in its batch's queue. */
  interface QueuedOutcome {
    callId: string;
    outcomes: readonly ItemOutcome[];
    meta: Meta;
    finish: boolean;
    resolve: (changed: number) => void;
    reject: (err: unknown) => void;
  }
  /** Each batch's outcomes waiting for its current outcome transaction to end. */
  const batchQueues = new Map<string, QueuedOutcome[]>();
  /** Resolves once the outcomes queued so far have committed or failed. */
  async function afterQueued(): Promise<void> {
    if (queued.size > 0) await Promise.allSettled([...queued]);
  }

  /**
   * Commits a batch's queued outcomes: all those waiting, in order, in one transaction; then those
   * queued meanwhile, in the next; until none is left.
   */
  async function commitQueued(batchId: string, waiting: QueuedOutcome[]): Promise<void> {
    for (;;) {
      const group = waiting.splice(0);
      if (group.length === 0) break;
      try {
        const changed = await lockedTx(batchId, true, async (trx, locked) => {
          let state = locked;
          const out: number[] = [];
          for (const q of group) {
            out.push(await settleOutcome(trx, q.callId, q.outcomes, q.meta));
            if (q.finish) state = await finishIfNothingLeft(trx, batchId, state);
          }
          return out;
        });
        group.forEach((q, i) => q.resolve(changed[i] ?? 0));
      } catch (err) {
        for (const q of group) q.reject(err);
      }
    }
    batchQueues.delete(batchId);
  }

  // --- transactions -----------------------------------------------------------------------------

  /**
   * One transaction of a write to `batchId`: its row locked first (FOR UPDATE), then the fence when
   * `fenced` and the batch exists; `body` gets the batch's state as of the lock (null: no batch).
   */
  async function batchTx<T>(
    batchId: string,
    fenced: boolean,
    body: (trx: LedgerTx, state: BatchState | null) => Promise<T>,
  ): Promise<T> {
    await afterQueued();
    return lockedTx(batchId, fenced, body);
  }

  function lockedTx<T>(
    batchId: string,
    fenced: boolean,
    body: (trx: LedgerTx, state: BatchState | null) => Promise<T>,
  ): Promise<T> {
    const fence = fenced ? opts.fence : undefined;
    return transact(async (trx) => {
      // Fenced: the batch's row and its lease row in one statement, locked in the module's order
      // (the batch's FOR UPDATE, then the lease's FOR SHARE).
      if (fence) {
        const both = await sql<LeaseSeen & { state: string }>`
          select b.state, l.holder, l.epoch, l.ended, l.expires_at > clock_timestamp() as live
            from batches b join batch_leases l on l.batch_id = b.id
           where b.id = ${batchId}
             for update of b for share of l`.execute(trx);
        const seen = both.rows[0];
        if (seen !== undefined) {
          const { state, ...lease } = seen;
          await fence(trx, batchId, { ...lease, live: lease.live === true });
          return body(trx, batchStateSchema.parse(state));
        }
      }
      const row = await trx
        .selectFrom('batches')
        .select('state')
        .where('id', '=', batchId)
        .forUpdate()
        .executeTakeFirst();
      const state = row === undefined ? null : batchStateSchema.parse(row.state);
      if (fence && row !== undefined) await fence(trx, batchId);
      return body(trx, state);
    });
  }

  /**
   * The batches of the calls this store wrote lately (a call's batch never changes): a call's
   * outcome and the question whether it was its batch's last need no read of it. Set once the
   * call's transaction has committed; the oldest forgotten beyond CALL_BATCHES_KEPT.
   */
  const callBatches = new Map<string, string>();
  function rememberCall(callId: string, batchId: string): void {
    // On a store bound to a caller's transaction the call is not committed yet (and may never be).
    if (kysely.isTransaction) return;
    callBatches.set(callId, batchId);
    if (callBatches.size > CALL_BATCHES_KEPT) {
      const oldest = callBatches.keys().next();
      if (oldest.done !== true) callBatches.delete(oldest.value);
    }
  }

  /** The batch of a call (a call's batch never changes: read before the call's transaction). */
  async function batchOfCall(callId: string): Promise<string | null> {
    const known = callBatches.get(callId);
    if (known !== undefined) return known;
    const row = await kysely
      .selectFrom('calls')
      .select('batch_id')
      .where('call_id', '=', callId)
      .executeTakeFirst();
    return row?.batch_id ?? null;
  }

  /**
   * Locks the row of `batchId`'s group, if it has one (module comment: before a child's state
   * changes, so that the group-state trigger sees its siblings' committed changes).
   */
  async function lockGroupOf(trx: LedgerTx, batchId: string): Promise<void> {
    await trx
      .selectFrom('batches as g')
      .select('g.id')
      .where('g.id', '=', (eb) =>
        eb.selectFrom('batches as c').select('c.group_id').where('c.id', '=', batchId),
      )
      .forUpdate()
      .execute();
  }

  // --- reads ------------------------------------------------------------------------------------

  /**
   * Batch rows with their counts: a batch's own items, a group's own and its children's, read from
   * `item_counts` (migration 5, kept by triggers in every transaction that writes items): a few
   * rows per batch, not a GROUP BY over its items. One read for the rows' own counts and, when
   * there are groups, one for their children's.
   */
  async function summaries(
    q: Kysely<LedgerTables> | LedgerTx,
    rows: readonly unknown[],
  ): Promise<BatchRecord[]> {
    const parsed = rows.map((r) => batchRowSchema.parse(r));
    if (parsed.length === 0) return [];
    const ids = parsed.map((b) => b.id);
    const groups = parsed.filter((b) => b.kind !== 'batch').map((b) => b.id);
    const own = await withCounts(q)
      .selectFrom('item_counts')
      .select(['batch_id as owner', 'state', 'n'])
      .where(({ eb, fn }) => eb('batch_id', '=', fn.any(eb.val(ids))))
      .execute();
    const children =
      groups.length === 0
        ? []
        : await withCounts(q)
            .selectFrom('batches as c')
            .innerJoin('item_counts as ic', 'ic.batch_id', 'c.id')
            .select(({ fn }) => ['c.group_id as owner', 'ic.state', fn.sum('ic.n').as('n')])
            .where(({ eb, fn }) => eb('c.group_id', '=', fn.any(eb.val(groups))))
            .groupBy(['c.group_id', 'ic.state'])
            .execute();
    const counts = new Map(parsed.map((b) => [b.id, emptyItemCounts()]));
    for (const r of [...own, ...children]) {
      const c = r.owner === null ? undefined : counts.get(r.owner);
      if (c) c[itemStateSchema.parse(r.state)] += countSchema.parse(r.n);
    }
    return parsed.map((b) => ({ ...b, counts: counts.get(b.id) ?? emptyItemCounts() }));
  }

  async function getBatch(id: string): Promise<BatchRecord | null> {
    const row = await kysely
      .selectFrom('batches')
      .select(BATCH_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return null;
    return (await summaries(kysely, [row]))[0] ?? null;
  }

  async function stateOf(batchId: string): Promise<BatchState | null> {
    const row = await kysely
      .selectFrom('batches')
      .select('state')
      .where('id', '=', batchId)
      .executeTakeFirst();
    return row === undefined ? null : batchStateSchema.parse(row.state);
  }

  /** A batch's own counts: its rows of `item_counts` (see summaries). */
  async function counts(batchId: string): Promise<ItemCounts> {
    const rows = await withCounts(kysely)
      .selectFrom('item_counts')
      .select(['state', 'n'])
      .where('batch_id', '=', batchId)
      .execute();
    const out = emptyItemCounts();
    for (const r of rows) out[itemStateSchema.parse(r.state)] = countSchema.parse(r.n);
    return out;
  }

  /**
   * A page of item rows in input order and how many rows match. The matching rows' `seq`s are
   * counted and cut in one pass over an index (items_by_state, or items_search whose id_key the
   * search reads, or the ranges of `keys` on an index of id_key), narrow rows only (`count(*) over ()`
   * on wide rows spilled a deep page to disk); the page's rows are then read by primary key. When
   * the page is empty, the count is read on its own. `keys`: ranges of id_key that hold every
   * match (a condition the rows must meet besides `pattern`, never instead of it).
   */
  async function itemPage(
    db: Kysely<LedgerTables>,
    batchId: string,
    state: string | undefined,
    pattern: string | null,
    keys: readonly (readonly [string, string])[] | null,
    offset: number,
    limit: number,
  ): Promise<{ items: BatchItem[]; total: number }> {
    const matching = db
      .selectFrom('items')
      .where('batch_id', '=', batchId)
      .$if(state !== undefined, (qb) => qb.where('state', '=', state ?? ''))
      .$if(pattern !== null, (qb) =>
        qb.where(sql<SqlBool>`id_key ilike ${pattern ?? ''} escape '\\'`),
      )
      .$if(keys !== null, (qb) =>
        qb.where((eb) =>
          eb.or(
            (keys ?? []).map(([lo, hi]) =>
              eb.and([eb('id_key', '>=', lo), eb('id_key', '<=', hi)]),
            ),
          ),
        ),
      );
    const rows = await db
      .selectFrom(
        matching
          .select(({ fn }) => ['seq', fn.countAll().over().as('matching')])
          .orderBy('seq')
          .limit(limit)
          .offset(offset)
          .as('m'),
      )
      .innerJoin('items as i', (join) =>
        join.onRef('i.seq', '=', 'm.seq').on('i.batch_id', '=', batchId),
      )
      .select([...ITEM_COLUMNS.map((c) => `i.${c}` as const), 'm.matching'])
      .orderBy('i.seq')
      .execute();
    const first = rows[0];
    const total =
      first !== undefined
        ? countSchema.parse(first.matching)
        : countSchema.parse(
            (await matching.select(({ fn }) => fn.countAll().as('n')).executeTakeFirstOrThrow()).n,
          );
    return {
      items: rows.map(({ matching: _, ...item }) => batchItemSchema.parse(item)),
      total,
    };
  }

  // --- writes -----------------------------------------------------------------------------------

  function batchRowOf(input: NewBatch, id: string, at: string): NewBatchRow {
    const pending = input.items.some((i) => i.state === 'pending');
    return {
      id,
      action: input.action,
      state: pending ? 'running' : 'done',
      state_reason: null,
      workspace_id: input.workspace_id,
      dataclass_type: input.dataclass_type,
      data_object_id: input.data_object_id,
      related_dataclass_type: input.related_dataclass_type,
      reason: input.reason,
      user: input.user,
      retry_of: input.retry_of,
      total: input.total ?? input.items.length,
      duplicates: input.duplicates,
      created_at: at,
      finished_at: pending ? null : at,
      changes_recorded: 1,
      undo_of: input.undo_of ?? null,
      credential_source: input.credential_source?.slice(0, 200) ?? null,
      credential_session: input.credential_session?.slice(0, 200) ?? null,
      kind: input.kind ?? 'batch',
      group_id: input.group_id ?? null,
      destination_id: input.destination_id ?? null,
    };
  }

  /**
   * Batch rows (`rows`, in this order: a group's row before its children, whose triggers read it)
   * and their items, in bulk: the items of all the batches in statements of ITEMS_PER_INSERT rows,
   * each an INSERT … SELECT from `unnest` of one array per column.
   */
  async function insertBatches(
    trx: LedgerTx,
    batches: readonly { row: NewBatchRow; items: NewBatch['items'] }[],
    at: string,
  ): Promise<void> {
    for (let i = 0; i < batches.length; i += BATCH_ROWS_PER_INSERT) {
      await trx
        .insertInto('batches')
        .values(batches.slice(i, i + BATCH_ROWS_PER_INSERT).map((b) => b.row))
        .execute();
    }
    let cols = newItemColumns();
    const flush = async () => {
      if (cols.seq.length === 0) return;
      const c = cols;
      cols = newItemColumns();
      await trx
        .insertInto('items')
        .columns(['batch_id', 'seq', 'id', 'id_key', 'state', 'message', 'updated_at'])
        .expression(
          sql`select batch_id, seq, id, id_key, state, message, ${at}
                from unnest(${c.batch}::text[], ${c.seq}::integer[], ${c.id}::text[],
                            ${c.key}::text[], ${c.state}::text[], ${c.message}::text[])
                  as t(batch_id, seq, id, id_key, state, message)`,
        )
        .execute();
    };
    for (const { row, items } of batches) {
      for (let seq = 0; seq < items.length; seq++) {
        const item = items[seq];
        if (item === undefined) continue;
        cols.batch.push(row.id);
        cols.seq.push(seq);
        cols.id.push(item.id);
        cols.key.push(item.idKey);
        cols.state.push(item.state);
        cols.message.push(item.message);
        if (cols.seq.length >= ITEMS_PER_INSERT) await flush();
      }
    }
    await flush();
  }

  /** The counts of items as they are created (pending or invalid). */
  function newCounts(items: NewBatch['items']): ItemCounts {
    const out = emptyItemCounts();
    for (const item of items) out[item.state]++;
    return out;
  }

  async function readRow(q: Kysely<LedgerTables> | LedgerTx, id: string): Promise<BatchRow> {
    const row = await q
      .selectFrom('batches')
      .select(BATCH_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new Error('batch vanished after insert');
    return batchRowSchema.parse(row);
  }

  /**
   * A call's row (`sent`); its chunk number. A batch's next call (`chunkNo` null) is numbered by the
   * calls the batch has, counted in the same statement (under the batch's lock); a retry keeps its
   * call's number.
   */
  async function insertCall(
    trx: LedgerTx,
    c: { callId: string; batchId: string; chunkNo: number | null; attempt: number; ids: string[] },
    at: string,
  ): Promise<number> {
    const row = await trx
      .insertInto('calls')
      .values((eb) => ({
        call_id: c.callId,
        batch_id: c.batchId,
        chunk_no:
          c.chunkNo ??
          eb
            .selectFrom('calls')
            .select(sql<number>`count(*)::int`.as('n'))
            .where('batch_id', '=', c.batchId),
        attempt: c.attempt,
        ids_json: JSON.stringify(c.ids),
        state: 'sent',
        sent_at: at,
      }))
      .returning('chunk_no')
      .executeTakeFirstOrThrow();
    return countSchema.parse(row.chunk_no);
  }

  /** What a call's row says once it ended (`state`: done, retried, refused…). */
  const ended = (state: string, meta: Meta, at: string) => ({
    state,
    http_status: meta.httpStatus,
    request_id: meta.requestId,
    error_code: meta.errorCode,
    finished_at: at,
  });

  async function finishCall(
    trx: LedgerTx,
    callId: string,
    state: string,
    meta: Meta,
    at: string,
  ): Promise<void> {
    await trx
      .updateTable('calls')
      .set(ended(state, meta, at))
      .where('call_id', '=', callId)
      .execute();
  }

  /** T2 inside the call's batch transaction; returns the rows changed. */
  async function settleOutcome(
    trx: LedgerTx,
    callId: string,
    outcomes: readonly ItemOutcome[],
    meta: Meta,
  ): Promise<number> {
    const at = now();
    let changed = 0;
    // One statement per distinct outcome on the call's in_flight rows (items_by_call): fenced by
    // call_id, so the rows of a superseded call are untouched. The last one also marks the call
    // done (a statement of its own when there is no outcome).
    const groups = [...groupOutcomes(outcomes)];
    if (groups.length === 0) await finishCall(trx, callId, 'done', meta, at);
    for (const [i, { o, ids }] of groups.entries()) {
      const settled = {
        state: o.state,
        code: o.code,
        message: o.message,
        request_id: meta.requestId,
        updated_at: at,
      };
      const ofCall = sql<SqlBool>`${sql.ref('items.call_id')} = ${callId}
        and ${sql.ref('items.state')} = 'in_flight' and ${sql.ref('items.id')} = any(${ids})`;
      const update =
        i < groups.length - 1
          ? trx.updateTable('items').set(settled).where(ofCall)
          : trx
              .with('finished', (q) =>
                q
                  .updateTable('calls')
                  .set(ended('done', meta, at))
                  .where('call_id', '=', callId)
                  .returning('call_id'),
              )
              .updateTable('items')
              .set(settled)
              .where(ofCall);
      changed += changes(await update.executeTakeFirst());
    }
    return changed;
  }

  /** The batch becomes done if it is running and nothing is left pending, in flight or unknown. */
  /**
   * In the batch's transaction (its row locked, `state` as of then): the batch becomes done if it
   * is running and nothing is left pending, in flight or unknown. Returns its state after.
   */
  async function finishIfNothingLeft(
    trx: LedgerTx,
    batchId: string,
    state: BatchState | null,
  ): Promise<BatchState | null> {
    if (state !== 'running') return state;
    const left = await trx
      .selectFrom('items')
      .select('seq')
      .where('batch_id', '=', batchId)
      .where('state', 'in', ['pending', 'in_flight', 'unknown'])
      .limit(1)
      .executeTakeFirst();
    if (left !== undefined) return state;
    await lockGroupOf(trx, batchId);
    await trx
      .updateTable('batches')
      .set({ state: 'done', finished_at: now() })
      .where('id', '=', batchId)
      .where('state', '=', 'running')
      .execute();
    return 'done';
  }

  /** recordOutcome: T2 in its batch's transaction (0 when the call does not exist). */
  async function outcomeTx(
    callId: string,
    outcomes: readonly ItemOutcome[],
    meta: Meta,
  ): Promise<number> {
    const batchId = await batchOfCall(callId);
    if (batchId === null) return 0;
    return lockedTx(batchId, true, (trx) => settleOutcome(trx, callId, outcomes, meta));
  }

  /**
   * Marks rows of a batch in flight under `callId` (only rows still pending): these `seqs`, or every
   * pending row in a seq range (one range UPDATE on the primary key); rows changed.
   */
  async function markSeqsInFlight(
    trx: LedgerTx,
    batchId: string,
    callId: string,
    seqs: readonly number[] | { first: number; last: number },
    at: string,
  ): Promise<number> {
    let update = trx
      .updateTable('items')
      .set((eb) => ({
        state: 'in_flight',
        call_id: callId,
        attempts: eb('attempts', '+', 1),
        updated_at: at,
      }))
      .where('batch_id', '=', batchId)
      .where('state', '=', 'pending');
    update =
      'first' in seqs
        ? update.where('seq', '>=', seqs.first).where('seq', '<=', seqs.last)
        : update.where(seqsAmong(seqs));
    return changes(await update.executeTakeFirst());
  }

  const store: LedgerStore = {
    dialect: 'postgres',

    async createBatch(input) {
      await afterQueued();
      const id = randomUUID();
      const at = now();
      const row = await transact(async (trx) => {
        // A child: its group's row first (the group-state trigger of its insert, module comment).
        if (input.group_id != null) {
          await trx
            .selectFrom('batches')
            .select('id')
            .where('id', '=', input.group_id)
            .forUpdate()
            .execute();
        }
        await insertBatches(trx, [{ row: batchRowOf(input, id, at), items: input.items }], at);
        return readRow(trx, id);
      });
      // The counts of what was just written (a 100,000-ID batch is not counted back).
      return { ...row, counts: newCounts(input.items) };
    },

    async createGroup(group, children) {
      await afterQueued();
      const groupId = randomUUID();
      const at = now();
      const row = await transact(async (trx) => {
        await insertBatches(
          trx,
          [
            { row: batchRowOf(group, groupId, at), items: group.items },
            ...children.map((child) => ({
              row: batchRowOf({ ...child, group_id: groupId }, randomUUID(), at),
              items: child.items,
            })),
          ],
          at,
        );
        // Read in the transaction: the triggers have set the group's state from its children.
        return readRow(trx, groupId);
      });
      const counts = newCounts(group.items);
      for (const child of children) {
        const c = newCounts(child.items);
        for (const state of itemStates) counts[state] += c[state];
      }
      return { ...row, counts };
    },

    getBatch,

    async undoneBy(batchId) {
      const row = await kysely
        .selectFrom('batches')
        .select('id')
        .where('undo_of', '=', batchId)
        .orderBy('n')
        .limit(1)
        .executeTakeFirst();
      return row?.id ?? null;
    },

    async setCredentialSource(batchId, source, session = null) {
      await afterQueued();
      await kysely
        .updateTable('batches')
        .set({
          credential_source: source.slice(0, 200),
          credential_session: session?.slice(0, 200) ?? null,
        })
        .where('id', '=', batchId)
        .execute();
    },

    async credentialSessionOf(batchId) {
      const row = await kysely
        .selectFrom('batches')
        .select('credential_session')
        .where('id', '=', batchId)
        .executeTakeFirst();
      return row?.credential_session ?? null;
    },

    async credentialSourceOf(batchId) {
      const row = await kysely
        .selectFrom('batches')
        .select('credential_source')
        .where('id', '=', batchId)
        .executeTakeFirst();
      return row?.credential_source ?? null;
    },

    async listBatches(offset, limit, filter: HistoryFilter = {}) {
      // One pass gives the page and how many rows match (count(*) over ()); newest first.
      const matching = kysely
        .selectFrom('batches as b')
        .where((eb) => historyCondition(eb, filter, 'postgres'));
      const rows = await matching
        .select([...B_COLUMNS, ({ fn }) => fn.countAll().over().as('matching')])
        .orderBy('b.n', 'desc')
        .limit(Math.max(0, limit))
        .offset(Math.max(0, offset))
        .execute();
      const first = rows[0];
      const total =
        first !== undefined
          ? countSchema.parse(first.matching)
          : countSchema.parse(
              (await matching.select(({ fn }) => fn.countAll().as('n')).executeTakeFirstOrThrow())
                .n,
            );
      return { items: await summaries(kysely, rows), total };
    },

    async listItems(batchId, query: ItemsQuery) {
      const limit = Math.max(0, query.limit);
      const offset = Math.max(0, query.offset);
      if (!query.state && !query.q) {
        // Unfiltered: seq runs 0..total-1 in each batch, so a page is a primary-key range and the
        // total is the batch's own (no COUNT over 100,000 rows).
        const b = await kysely
          .selectFrom('batches')
          .select('total')
          .where('id', '=', batchId)
          .executeTakeFirst();
        const rows = await kysely
          .selectFrom('items')
          .select(ITEM_COLUMNS)
          .where('batch_id', '=', batchId)
          .where('seq', '>=', offset)
          .where('seq', '<', offset + limit)
          .orderBy('seq')
          .execute();
        return { items: rows.map((r) => batchItemSchema.parse(r)), total: b?.total ?? 0 };
      }
      const state = query.state || undefined;
      const q = query.q;
      // A state only: items_by_state.
      if (!q) return itemPage(kysely, batchId, state, null, null, offset, limit);
      // An ID search, with or without a state: a case-insensitive substring of id_key (ILIKE under
      // the column's collation C: ASCII letters only fold, as SQLite's LIKE), LIKE's wildcards
      // taken literally. q can only be part of a key at least as long: when none of the batch's
      // keys is longer than q (item_key_lengths, kept by migration 8's triggers), a key containing
      // q is q but for the case of its letters, found by a few range seeks (`caseVariantRanges`)
      // instead of a pass over every key of the batch. The ILIKE stays the condition either way. The bound and the rows are read from one snapshot, so the bound
      // holds for the rows it lets the search skip.
      const pattern = `%${escapeLike(q)}%`;
      return readSnapshot(async (db) => {
        const bound = await withKeyLengths(db)
          .selectFrom('item_key_lengths')
          .select(sql<boolean>`longest <= char_length(${q}::text)`.as('within'))
          .where('batch_id', '=', batchId)
          .executeTakeFirst();
        const keys = bound?.within === true ? caseVariantRanges(q) : null;
        return itemPage(db, batchId, state, pattern, keys, offset, limit);
      });
    },

    counts,

    async claimChunk(batchId, max) {
      const claimed = await batchTx(batchId, true, async (trx, state) => {
        // I6: the intent is only written while the batch runs (pause/cancel lock the row too).
        if (state !== 'running') return null;
        const rows = await trx
          .selectFrom('items')
          .select(['seq', 'id'])
          .where('batch_id', '=', batchId)
          .where('state', '=', 'pending')
          .orderBy('seq')
          .limit(Math.max(0, max))
          .execute();
        const firstRow = rows[0];
        const lastRow = rows[rows.length - 1];
        if (firstRow === undefined || lastRow === undefined) return null;
        const ids = rows.map((r) => r.id);
        const callId = randomUUID();
        const at = now();
        const chunkNo = await insertCall(
          trx,
          { callId, batchId, chunkNo: null, attempt: 1, ids },
          at,
        );
        // The claimed rows are the first pending ones in seq order, read under the batch's lock:
        // every pending row between the first and the last claimed seq is one of them. One range
        // UPDATE on the primary key instead of a list of seqs.
        const marked = await markSeqsInFlight(
          trx,
          batchId,
          callId,
          { first: firstRow.seq, last: lastRow.seq },
          at,
        );
        if (marked !== rows.length) throw new Error('ledger: claimed rows changed under the claim');
        return { callId, chunkNo, ids };
      });
      if (claimed) rememberCall(claimed.callId, batchId);
      return claimed;
    },

    async peekPending(batchId, afterSeq, max) {
      const rows = await kysely
        .selectFrom('items')
        .select(['seq', 'id', 'attempts', 'maybe_applied'])
        .where('batch_id', '=', batchId)
        .where('state', '=', 'pending')
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(Math.max(0, max))
        .execute();
      return rows.map((r): PendingRow => ({
        seq: r.seq,
        id: r.id,
        attempts: r.attempts,
        mayBeApplied: r.maybe_applied !== 0,
      }));
    },

    async claimPreRead(batchId, send: readonly PendingRow[], settle: readonly SettledRow[]) {
      const claimed = await batchTx(batchId, true, async (trx, state) => {
        // I6: the intent is only written while the batch runs.
        if (state !== 'running') return null;
        const at = now();
        const groups = new Map<string, { row: SettledRow; seqs: number[] }>();
        for (const r of settle) {
          const key = JSON.stringify([r.state, r.code, r.message]);
          const g = groups.get(key);
          if (g) g.seqs.push(r.seq);
          else groups.set(key, { row: r, seqs: [r.seq] });
        }
        let settled = 0;
        for (const { row, seqs } of groups.values()) {
          settled += changes(
            await trx
              .updateTable('items')
              .set({ state: row.state, code: row.code, message: row.message, updated_at: at })
              .where('batch_id', '=', batchId)
              .where(seqsAmong(seqs))
              .where('state', '=', 'pending')
              .executeTakeFirst(),
          );
        }
        // Every row must still be pending: else the whole claim rolls back.
        if (settled !== settle.length)
          throw new Error('ledger: pre-read rows changed under the claim');
        if (send.length === 0) return { call: null };
        const ids = send.map((r) => r.id);
        const callId = randomUUID();
        const chunkNo = await insertCall(
          trx,
          { callId, batchId, chunkNo: null, attempt: 1, ids },
          at,
        );
        const seqs = send.map((r) => r.seq);
        const marked = await markSeqsInFlight(trx, batchId, callId, seqs, at);
        if (marked !== send.length) throw new Error('ledger: claimed rows changed under the claim');
        return { call: { callId, chunkNo, ids } satisfies ClaimedCall };
      });
      if (claimed?.call) rememberCall(claimed.call.callId, batchId);
      return claimed;
    },

    async retryCall(oldCallId, mayBeApplied) {
      await afterQueued();
      const batchId = await batchOfCall(oldCallId);
      if (batchId === null) return null;
      const retry = await lockedTx(batchId, true, async (trx, state) => {
        // Read under the batch's lock: an outcome, release or strand of this call commits first.
        const c = await trx
          .selectFrom('calls')
          .select(['chunk_no', 'attempt', 'state'])
          .where('call_id', '=', oldCallId)
          .executeTakeFirstOrThrow();
        if (c.state !== 'sent') return null;
        if (state !== 'running') return null;
        const ids = (
          await trx
            .selectFrom('items')
            .select('id')
            .where('call_id', '=', oldCallId)
            .where('state', '=', 'in_flight')
            .orderBy('seq')
            .execute()
        ).map((r) => r.id);
        const at = now();
        await finishCall(
          trx,
          oldCallId,
          'retried',
          { httpStatus: null, requestId: null, errorCode: null },
          at,
        );
        if (ids.length === 0) return null;
        const callId = randomUUID();
        await insertCall(
          trx,
          { callId, batchId, chunkNo: c.chunk_no, attempt: c.attempt + 1, ids },
          at,
        );
        await trx
          .updateTable('items')
          .set((eb) => ({
            call_id: callId,
            attempts: eb('attempts', '+', 1),
            maybe_applied: eb.fn('greatest', ['maybe_applied', eb.val(mayBeApplied ? 1 : 0)]),
            updated_at: at,
          }))
          .where('call_id', '=', oldCallId)
          .where('state', '=', 'in_flight')
          .execute();
        return { callId, chunkNo: c.chunk_no, ids };
      });
      if (retry) rememberCall(retry.callId, batchId);
      return retry;
    },

    async recordOutcome(callId, outcomes, meta) {
      await afterQueued();
      return outcomeTx(callId, outcomes, meta);
    },

    queueOutcome(callId, outcomes, meta, o = {}) {
      // Into its batch's queue, after the previous outcome of this call (module comment); every
      // later write of this store waits for it (`afterQueued`).
      let resolveQueued: () => void = () => {};
      const inQueue = new Promise<void>((resolve) => (resolveQueued = resolve));
      const previous = callTails.get(callId) ?? Promise.resolve();
      callTails.set(callId, inQueue);
      const p = new Promise<number>((resolve, reject) => {
        const enqueue = async () => {
          const batchId = await batchOfCall(callId);
          if (batchId === null) return resolve(0);
          const entry = { callId, outcomes, meta, finish: o.finish === true, resolve, reject };
          const waiting = batchQueues.get(batchId);
          if (waiting) waiting.push(entry);
          else {
            const fresh = [entry];
            batchQueues.set(batchId, fresh);
            void commitQueued(batchId, fresh);
          }
        };
        void previous
          .then(enqueue)
          .catch(reject)
          .finally(() => {
            resolveQueued();
            if (callTails.get(callId) === inQueue) callTails.delete(callId);
          });
      });
      queued.add(p);
      const done = () => queued.delete(p);
      p.then(done, done);
      return p;
    },

    async isLastCall(callId) {
      const batchId = await batchOfCall(callId);
      if (batchId === null) return false;
      // Seeks on items_by_state: anything pending or unknown, or in flight in another call.
      const row = await kysely
        .selectNoFrom(({ exists, selectFrom, or }) =>
          or([
            exists(
              selectFrom('items')
                .select('seq')
                .where('batch_id', '=', batchId)
                .where('state', 'in', ['pending', 'unknown']),
            ),
            exists(
              selectFrom('items')
                .select('seq')
                .where('batch_id', '=', batchId)
                .where('state', '=', 'in_flight')
                .where('call_id', 'is distinct from', callId),
            ),
          ]).as('others'),
        )
        .executeTakeFirstOrThrow();
      return row.others === false;
    },

    async releaseCall(callId, meta) {
      await afterQueued();
      const batchId = await batchOfCall(callId);
      if (batchId === null) return 0;
      return lockedTx(batchId, true, async (trx, state) => {
        const at = now();
        // A batch stopped by its user while the call was refused: its IDs are skipped, not sent.
        const changed = await unsendCallItems(trx, callId, state, at);
        await finishCall(trx, callId, 'refused', meta, at);
        return changed;
      });
    },

    async withdrawCall(callId) {
      await afterQueued();
      const batchId = await batchOfCall(callId);
      if (batchId === null) return 0;
      return lockedTx(batchId, true, async (trx, state) => {
        // Only a call still open (claimed, not answered, not superseded), read under the lock.
        const c = await trx
          .selectFrom('calls')
          .select('state')
          .where('call_id', '=', callId)
          .executeTakeFirstOrThrow();
        if (c.state !== 'sent') return 0;
        const at = now();
        // Never sent: the send its IDs were claimed for is not one of their sends.
        await trx
          .updateTable('items')
          .set((eb) => ({ attempts: eb('attempts', '-', 1), updated_at: at }))
          .where('call_id', '=', callId)
          .where('state', '=', 'in_flight')
          .where('attempts', '>', 0)
          .execute();
        const changed = await unsendCallItems(trx, callId, state, at);
        await finishCall(
          trx,
          callId,
          'withdrawn',
          { httpStatus: null, requestId: null, errorCode: null },
          at,
        );
        return changed;
      });
    },

    getBatchState: stateOf,

    async groupOf(batchId) {
      const row = await kysely
        .selectFrom('batches')
        .select('group_id')
        .where('id', '=', batchId)
        .executeTakeFirst();
      return row?.group_id ?? null;
    },

    async finishIfDrained(batchId) {
      return batchTx(batchId, true, async (trx, state) => {
        // Only a running batch finishes.
        if (state !== 'running') return false;
        const open = await trx
          .selectFrom('items')
          .select('seq')
          .where('batch_id', '=', batchId)
          .where('state', 'in', ['pending', 'in_flight'])
          .limit(1)
          .executeTakeFirst();
        if (open !== undefined) return false;
        await lockGroupOf(trx, batchId);
        const r = await trx
          .updateTable('batches')
          .set({ state: 'done', finished_at: now() })
          .where('id', '=', batchId)
          .where('state', '=', 'running')
          .executeTakeFirst();
        return changes(r) > 0;
      });
    },

    async recoverAfterCrash() {
      await afterQueued();
      return transact(async (trx) => {
        // Every writing transaction starts by locking a batch row: with the table locked, none
        // interleaves with the two statements below (module comment).
        await sql`lock table batches in exclusive mode`.execute(trx);
        const at = now();
        await trx
          .updateTable('items')
          .set({
            state: 'unknown',
            code: 'UNKNOWN_AFTER_RESTART',
            message: UNKNOWN_AFTER_CRASH,
            updated_at: at,
          })
          .where('state', '=', 'in_flight')
          .execute();
        await trx
          .updateTable('calls')
          .set({ state: 'unknown', finished_at: at })
          .where('state', '=', 'sent')
          .execute();
        return runningBatchIds(trx);
      });
    },

    runningBatchIds: () => runningBatchIds(kysely),

    async cancelledWithUnknown() {
      const rows = await kysely
        .selectFrom('batches as b')
        .select('b.id')
        .where('b.state', '=', 'cancelled')
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('items as i')
              .select('i.seq')
              .whereRef('i.batch_id', '=', 'b.id')
              .where('i.state', '=', 'unknown'),
          ),
        )
        .orderBy('b.n')
        .execute();
      return rows.map((r) => r.id);
    },

    async strandInFlight(batchId) {
      return batchTx(batchId, true, async (trx) => {
        const at = now();
        const changed = changes(
          await trx
            .updateTable('items')
            .set({
              state: 'unknown',
              code: 'UNKNOWN_NOT_RECORDED',
              message: UNKNOWN_NOT_RECORDED,
              updated_at: at,
            })
            .where('batch_id', '=', batchId)
            .where('state', '=', 'in_flight')
            .executeTakeFirst(),
        );
        await trx
          .updateTable('calls')
          .set({ state: 'unknown', finished_at: at })
          .where('batch_id', '=', batchId)
          .where('state', '=', 'sent')
          .execute();
        return changed;
      });
    },

    async transitionBatch(batchId, from, to, reason) {
      return batchTx(batchId, false, async (trx, state) => {
        if (state === null || !from.includes(state)) return false;
        const terminal = to === 'done' || to === 'cancelled' || to === 'interrupted';
        await lockGroupOf(trx, batchId);
        await trx
          .updateTable('batches')
          .set({ state: to, state_reason: reason, finished_at: terminal ? now() : null })
          .where('id', '=', batchId)
          .execute();
        return true;
      });
    },

    async cancelBatch(batchId) {
      return batchTx(batchId, false, async (trx, state) => {
        if (state !== 'running' && state !== 'paused' && state !== 'interrupted') return false;
        const at = now();
        await lockGroupOf(trx, batchId);
        await trx
          .updateTable('batches')
          .set({ state: 'cancelled', state_reason: 'stopped by the user', finished_at: at })
          .where('id', '=', batchId)
          .execute();
        await trx
          .updateTable('items')
          .set({
            state: 'skipped',
            code: 'CANCELLED',
            message: MSG_SKIPPED_BY_USER,
            updated_at: at,
          })
          .where('batch_id', '=', batchId)
          .where('state', '=', 'pending')
          .execute();
        return true;
      });
    },

    async setStateReason(batchId, reason) {
      await afterQueued();
      await kysely
        .updateTable('batches')
        .set({ state_reason: reason })
        .where('id', '=', batchId)
        .execute();
    },

    async unknownIds(batchId, max, afterSeq = -1) {
      return kysely
        .selectFrom('items')
        .select(['seq', 'id'])
        .where('batch_id', '=', batchId)
        .where('state', '=', 'unknown')
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(Math.max(0, max))
        .execute();
    },

    async settleUnknown(batchId, settle) {
      return batchTx(batchId, true, async (trx, state) => {
        const at = now();
        const cancelled = state === 'cancelled';
        const unknownOf = (ids: readonly string[]) =>
          trx
            .updateTable('items')
            .where('batch_id', '=', batchId)
            .where(({ eb, fn }) => eb('id', '=', fn.any(eb.val(ids))))
            .where('state', '=', 'unknown');
        let changed = 0;
        // In the SQLite ledger's order (succeeded, resend, failed), each only on rows still
        // unknown: an ID listed twice is settled by its first listing.
        if (settle.succeeded.length > 0) {
          changed += changes(
            await unknownOf(settle.succeeded)
              .set({ state: 'succeeded', code: null, message: MSG_CONFIRMED, updated_at: at })
              .executeTakeFirst(),
          );
        }
        if (settle.resend.length > 0) {
          // An unknown outcome: the send may have been applied (late, too), whatever the re-read
          // found. Skipped, not pending, when the batch was stopped.
          changed += changes(
            await unknownOf(settle.resend)
              .set({
                state: cancelled ? 'skipped' : 'pending',
                code: cancelled ? 'CANCELLED' : null,
                message: cancelled ? MSG_SKIPPED_BY_USER : null,
                call_id: null,
                maybe_applied: 1,
                updated_at: at,
              })
              .executeTakeFirst(),
          );
        }
        const failed = new Map<string, { f: (typeof settle.failed)[number]; ids: string[] }>();
        const seen = new Set<string>();
        for (const f of settle.failed) {
          if (seen.has(f.id)) continue;
          seen.add(f.id);
          const key = JSON.stringify([f.code, f.message]);
          const g = failed.get(key);
          if (g) g.ids.push(f.id);
          else failed.set(key, { f, ids: [f.id] });
        }
        for (const { f, ids } of failed.values()) {
          changed += changes(
            await unknownOf(ids)
              .set({ state: 'failed', code: f.code, message: f.message, updated_at: at })
              .executeTakeFirst(),
          );
        }
        return changed;
      });
    },

    async markUnknownUnsettled(batchId, ids) {
      return batchTx(batchId, true, async (trx) => {
        if (ids.length === 0) return 0;
        const rows = await trx
          .updateTable('items')
          .set({ message: MSG_UNKNOWN_RECHECK, updated_at: now() })
          .where('batch_id', '=', batchId)
          .where(({ eb, fn }) => eb('id', '=', fn.any(eb.val(ids))))
          .where('state', '=', 'unknown')
          .returning('id')
          .execute();
        // Counted per ID asked, as the SQLite ledger's one UPDATE per ID does (a row stays
        // unknown, so an ID asked twice counts twice).
        const hit = new Set(rows.map((r) => r.id));
        return ids.filter((id) => hit.has(id)).length;
      });
    },

    async listItemsBySeqs(batchId, seqs) {
      if (seqs.length === 0) return [];
      const rows = await kysely
        .selectFrom('items')
        .select(['seq', ...ITEM_COLUMNS])
        .where('batch_id', '=', batchId)
        .where(seqsAmong(seqs))
        .execute();
      // In the order asked, a seq asked twice listed twice (as the SQLite ledger's one read each).
      const bySeq = new Map<number, BatchItem>();
      for (const { seq, ...r } of rows) bySeq.set(seq, batchItemSchema.parse(r));
      return seqs.flatMap((seq) => {
        const item = bySeq.get(seq);
        return item === undefined ? [] : [item];
      });
    },

    async ping() {
      try {
        // Reads what the history and the items read first (the newest batch, the last item).
        await kysely
          .selectNoFrom((eb) => [
            eb.selectFrom('batches').select('n').orderBy('n', 'desc').limit(1).as('batch'),
            eb.selectFrom('items').select('seq').limit(1).as('item'),
          ])
          .execute();
        return true;
      } catch {
        return false;
      }
    },

    async close() {
      await afterQueued();
      await end();
    },
  };

  async function runningBatchIds(q: Kysely<LedgerTables> | LedgerTx): Promise<string[]> {
    // The runner never picks a group row: only its children are batches it runs.
    const rows = await q
      .selectFrom('batches')
      .select('id')
      .where('state', '=', 'running')
      .where('kind', '=', 'batch')
      .orderBy('n')
      .execute();
    return rows.map((r) => r.id);
  }

  return store;
}

function newItemColumns() {
  return {
    batch: [] as string[],
    seq: [] as number[],
    id: [] as string[],
    key: [] as string[],
    state: [] as string[],
    message: [] as (string | null)[],
  };
}
