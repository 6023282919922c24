/**
 * The ledger as one asynchronous store, the seam between the batch engine and where the ledger
 * lives (issue 14): SQLite in DATA_DIR (`sqliteStore`, the synchronous better-sqlite3 ledger of
 * server/batches/ledger.ts behind promises) or PostgreSQL (server/db/pg-store.ts, Kysely over a
 * `pg` pool, the same schema and migrations).
 *
 * The store's methods and their meaning are the SQLite ledger's (`Ledger` in ledger.ts documents
 * each one): every method below is that method, answered by a promise. Written as a mapped type so
 * that the two cannot drift: a method added to the ledger and to `STORE_METHODS` is a method of
 * every store, checked by the compiler.
 *
 * Left out, because they are SQLite's own: the raw database handle (`db`), `noWait` (SQLite's write
 * lock), `writeHolder`/`dropHolder` (the DATA_DIR holder row; on PostgreSQL a batch's lease says
 * which console runs it, server/db/leases.ts) and `health` (the DATA_DIR's disk).
 */
import type { Ledger } from '../batches/ledger';

/** The ledger methods every store has, asynchronous. */
export const STORE_METHODS = [
  'createBatch',
  'createGroup',
  'getBatch',
  'undoneBy',
  'setCredentialSource',
  'credentialSourceOf',
  'listBatches',
  'listItems',
  'counts',
  'claimChunk',
  'peekPending',
  'claimPreRead',
  'retryCall',
  'recordOutcome',
  'queueOutcome',
  'isLastCall',
  'releaseCall',
  'getBatchState',
  'groupOf',
  'finishIfDrained',
  'recoverAfterCrash',
  'runningBatchIds',
  'cancelledWithUnknown',
  'strandInFlight',
  'transitionBatch',
  'cancelBatch',
  'setStateReason',
  'unknownIds',
  'settleUnknown',
  'markUnknownUnsettled',
  'listItemsByIds',
] as const satisfies readonly (keyof Ledger)[];

export type StoreMethod = (typeof STORE_METHODS)[number];

/** `T`'s methods, each answered by a promise of what it returns. */
export type Promised<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export type StoreDialect = 'sqlite' | 'postgres';

export type LedgerStore = Promised<Pick<Ledger, StoreMethod>> & {
  /** Which database answers. */
  readonly dialect: StoreDialect;
  /** Whether the database answers a trivial query. */
  ping(): Promise<boolean>;
  /** Ends the store's connections (the SQLite store leaves its ledger to its owner). */
  close(): Promise<void>;
};

/**
 * The SQLite ledger as a store: each method runs the synchronous one and answers with its result
 * (a thrown error becomes a rejection). The ledger stays its owner's to close.
 */
export function sqliteStore(ledger: Ledger): LedgerStore {
  const store: Record<string, unknown> = {
    dialect: 'sqlite',
    ping: () => Promise.resolve().then(() => ledger.ping()),
    close: () => Promise.resolve(),
  };
  for (const name of STORE_METHODS) {
    const method = ledger[name] as (...args: unknown[]) => unknown;
    store[name] = (...args: unknown[]) =>
      new Promise((resolve) => resolve(method.apply(ledger, args)));
  }
  return store as LedgerStore;
}
