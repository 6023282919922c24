/**
 * The stores the batch service and the group service read and write the ledger through (issue 14:
 * the same code on the SQLite ledger and on PostgreSQL): the ledger's methods (`LedgerStore`,
 * store.ts), the service's reads (records-store.ts, group-records-store.ts), the idempotency keys,
 * and `transaction(fn)`, for what must happen at once or not at all: a batch and its idempotency
 * key, a move's row and its link batch, a move's second phase created once, an undo created only
 * if none exists yet.
 *
 * `transaction(fn)` runs `fn` with the same stores bound to one transaction (`TxStores`): what
 * `fn` reads sees what it wrote; everything it wrote commits when it resolves, and nothing does when
 * it rejects (the rejection passes on). `fn` must use only the stores it is given.
 *
 * - PostgreSQL: a Kysely transaction on one pooled connection (READ COMMITTED, as pg-store's). The
 *   bound stores run their statements on it (pg-store's own transactions become part of it, its
 *   row locks are held to its end). `lock` names a batch whose row is locked first (FOR UPDATE),
 *   as pg-store's `lockedTx` does: then what `fn` checks of that batch and its children (no undo
 *   yet, the second phase not created yet) stays true until it commits, across consoles. Lock order
 *   stays pg-store's: a batch's row first, its lease (only the runner's fenced writes take it), then
 *   its group's row (a child created in `fn` locks its group's row after `lock`'s: for a move's
 *   second phase, `lock` is that same group row). A statement that fails aborts the transaction:
 *   `fn` must not go on after a store call rejected.
 * - SQLite: BEGIN IMMEDIATE … COMMIT on the ledger's one connection, behind the ledger's gate
 *   (sqlite-gate.ts): while it is open, every other store call on that ledger (the runner's, an
 *   export's) waits for its end, or it would run inside it. `fn` is meant to await nothing but its
 *   stores, which settle in microtasks on SQLite: no timer or I/O callback runs meanwhile and the
 *   write lock is held for no longer than the synchronous transactions it replaces. When it ends,
 *   the ledger's commit of queued outcomes, which skips while a transaction is open, is re-armed
 *   (`Ledger.afterTransaction`).
 *
 * `idempotent` is records.ts's `idempotent` on these stores: the key is read, the batch created
 * and the key recorded in one transaction; of two requests with one key at once, the one whose key
 * insert fails on the primary key (the other committed first: on PostgreSQL, which READ COMMITTED
 * does not serialise otherwise) answers the other's batch.
 */
import { Kysely } from 'kysely';
import type { Ledger } from '../batches/ledger';
import { IDEMPOTENCY_TTL_MS, type IdempotentResult } from '../batches/records';
import { openGroupRecordsStore, type GroupRecordsStore } from './group-records-store';
import { openPgStore, type PgStoreOptions } from './pg-store';
import type { PostgresLedgerDb } from './postgres';
import {
  isDuplicateKey,
  openIdempotencyKeys,
  openRecordsStore,
  type IdempotencyKeyRow,
  type IdempotencyKeys,
  type RecordsStore,
} from './records-store';
import { gateOf, type SqliteGate } from './sqlite-gate';
import { sqliteKysely } from './sqlite-kysely';
import { sqliteStore, ungatedSqliteStore, type LedgerStore, type StoreDialect } from './store';
import type { LedgerTables } from './tables';

/** The ledger's methods a transaction's function may use: creating batches and reading rows. */
export type TxLedger = Pick<
  LedgerStore,
  | 'createBatch'
  | 'createGroup'
  | 'getBatch'
  | 'getBatchState'
  | 'undoneBy'
  | 'credentialSourceOf'
  | 'credentialSessionOf'
>;

/** The stores bound to one transaction (see the module comment). */
export interface TxStores {
  readonly ledger: TxLedger;
  readonly records: RecordsStore;
  readonly groups: GroupRecordsStore;
  readonly keys: IdempotencyKeys;
}

export interface ServiceStores {
  readonly dialect: StoreDialect;
  readonly ledger: LedgerStore;
  readonly records: RecordsStore;
  readonly groups: GroupRecordsStore;
  readonly keys: IdempotencyKeys;
  /**
   * Runs `fn` in one transaction (module comment). `lock`: the batch whose row is locked first on
   * PostgreSQL (SQLite's BEGIN IMMEDIATE already holds the whole ledger).
   */
  transaction<T>(fn: (tx: TxStores) => Promise<T>, opts?: { lock?: string }): Promise<T>;
  /** Now, as the stores write it (the idempotency keys' age). */
  now(): Date;
}

/** Every function property of `target` called through the gate (`pages`: its page generators). */
function gated<T extends object>(gate: SqliteGate, target: T, pages: readonly (keyof T)[]): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') {
      out[name] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => unknown;
    out[name] = pages.includes(name as keyof T)
      ? (...args: unknown[]) =>
          gate.pages(fn.apply(target, args) as AsyncGenerator<unknown, void, undefined>)
      : (...args: unknown[]) => gate.call(() => fn.apply(target, args) as Promise<unknown>);
  }
  return out as T;
}

/**
 * The service's stores over the SQLite ledger (its owner closes it). Every store over the ledger
 * (this one's and the runner's `sqliteStore`) shares the ledger's gate.
 */
export function sqliteServiceStores(
  ledger: Ledger,
  opts: { now?: () => Date } = {},
): ServiceStores {
  const gate = gateOf(ledger);
  const kysely = sqliteKysely(ledger.db);
  const bound: TxStores = {
    ledger: ungatedSqliteStore(ledger),
    records: openRecordsStore(kysely),
    groups: openGroupRecordsStore(kysely, 'sqlite'),
    keys: openIdempotencyKeys(kysely),
  };
  const { db } = ledger;
  return {
    dialect: 'sqlite',
    ledger: sqliteStore(ledger),
    records: gated(gate, bound.records, ['itemPages']),
    groups: gated(gate, bound.groups, ['ownPairPages']),
    keys: gated(gate, bound.keys, []),
    now: opts.now ?? (() => new Date()),
    transaction: (fn) =>
      gate.exclusive(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn(bound);
          db.exec('COMMIT');
          return out;
        } catch (err) {
          // A failed COMMIT, or an error SQLite already rolled back for (SQLITE_FULL…).
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        } finally {
          ledger.afterTransaction();
        }
      }),
  };
}

/** The service's stores on PostgreSQL (`close` of `ledger` ends the pool). */
export function pgServiceStores(
  db: PostgresLedgerDb | Kysely<LedgerTables>,
  opts: PgStoreOptions = {},
): ServiceStores {
  const kysely = db instanceof Kysely ? db : db.kysely;
  return {
    dialect: 'postgres',
    ledger: openPgStore(db, opts),
    records: openRecordsStore(kysely),
    groups: openGroupRecordsStore(kysely, 'postgres'),
    keys: openIdempotencyKeys(kysely),
    now: opts.now ?? (() => new Date()),
    transaction: (fn, o) =>
      kysely.transaction().execute(async (trx) => {
        if (o?.lock !== undefined) {
          await trx
            .selectFrom('batches')
            .select('id')
            .where('id', '=', o.lock)
            .forUpdate()
            .execute();
        }
        // Bound to the transaction: no fence (the service writes no intent or outcome).
        return fn({
          ledger: openPgStore(trx, { now: opts.now }),
          records: openRecordsStore(trx),
          groups: openGroupRecordsStore(trx, 'postgres'),
          keys: openIdempotencyKeys(trx),
        });
      }),
  };
}

/**
 * records.ts's `idempotent` on the stores: runs `create` (which creates one batch or group through
 * the transaction's stores and returns it) unless `key` was used by `user` in the last 24 hours:
 * then the earlier batch's ID (`replayed`, or `mismatch` when the body differs). `lock`: see
 * `transaction`.
 */
export async function idempotent<T extends { id: string }>(
  stores: ServiceStores,
  request: { user: string; key: string; hash: string; lock?: string | undefined },
  create: (tx: TxStores) => Promise<T>,
): Promise<IdempotentResult<T>> {
  const { user, key, hash } = request;
  const answer = (found: IdempotencyKeyRow): IdempotentResult<T> => ({
    kind: found.body_sha256 === hash ? 'replayed' : 'mismatch',
    batchId: found.batch_id,
  });
  try {
    return await stores.transaction(
      async (tx): Promise<IdempotentResult<T>> => {
        const at = stores.now();
        await tx.keys.purge(new Date(at.getTime() - IDEMPOTENCY_TTL_MS).toISOString());
        const found = await tx.keys.find(user, key);
        if (found) return answer(found);
        const value = await create(tx);
        await tx.keys.insert({
          user,
          key,
          body_sha256: hash,
          batch_id: value.id,
          created_at: at.toISOString(),
        });
        return { kind: 'created', value };
      },
      request.lock === undefined ? {} : { lock: request.lock },
    );
  } catch (err) {
    // Another request (another connection, another console) stored the key first: its batch wins.
    if (isDuplicateKey(err)) {
      const found = await stores.keys.find(user, key);
      if (found) return answer(found);
    }
    throw err;
  }
}
