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
import type { ClaimedCall, Ledger } from '../batches/ledger';
import { gateOf, type NoWait } from './sqlite-gate';

/** The ledger methods every store has, asynchronous. */
export const STORE_METHODS = [
  'createBatch',
  'createGroup',
  'getBatch',
  'undoneBy',
  'setCredentialSource',
  'credentialSourceOf',
  'credentialSessionOf',
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
  'withdrawCall',
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
  'listItemsBySeqs',
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
 * The call an intent (claimChunk, claimPreRead, retryCall) claimed, if it claimed one: the SQLite
 * ledger commits these without waiting for the disk (ledger.ts `durable`).
 */
const INTENTS: Partial<Record<StoreMethod, (answer: unknown) => string | null>> = {
  claimChunk: (a) => (a as ClaimedCall | null)?.callId ?? null,
  claimPreRead: (a) => (a as { call: ClaimedCall | null } | null)?.call?.callId ?? null,
  retryCall: (a) => (a as ClaimedCall | null)?.callId ?? null,
};

/**
 * The SQLite ledger as a store: each method runs the synchronous one and answers with its result
 * (a thrown error becomes a rejection). The ledger stays its owner's to close.
 *
 * A claim is answered once its intent is on disk: the ledger commits it without waiting for the
 * disk, and its write-ahead log is flushed off the event loop (wal-sync.ts, one flush shared by the
 * intents committed meanwhile), so the engine, which sends a call when its claim is answered, sends
 * nothing whose intent a power cut could lose. A flush that fails refuses the claim with its error
 * and withdraws the call first (its IDs as before the claim; nothing was sent).
 *
 * Every call passes the ledger's gate (server/db/sqlite-gate.ts): at once, in the call, unless an
 * asynchronous transaction on the ledger is waiting or open (server/db/service-stores.ts), then
 * once it has ended. Every `sqliteStore` of one ledger shares its gate. (The wait for the disk comes
 * after the gate: the claim is committed, and the flush holds no one.) A call made inside the
 * ledger's `noWait` and deferred by the gate runs inside a `noWait` too (sqlite-gate.ts).
 */
export function sqliteStore(ledger: Ledger): LedgerStore {
  const gate = gateOf(ledger);
  const noWait: NoWait = (write) => ledger.noWait(write);
  return storeOver(ledger, (call) => gate.now(call, ledger.noWaiting() ? noWait : undefined));
}

/**
 * The SQLite ledger as a store that does not pass its gate: the store of a transaction's own
 * function (server/db/service-stores.ts), which runs while the gate holds every other caller.
 */
export function ungatedSqliteStore(ledger: Ledger): LedgerStore {
  return storeOver(ledger, (call) => new Promise((resolve) => resolve(call())));
}

function storeOver(ledger: Ledger, run: <T>(call: () => T) => Promise<T>): LedgerStore {
  const store: Record<string, unknown> = {
    dialect: 'sqlite',
    ping: () => run(() => ledger.ping()),
    close: () => Promise.resolve(),
  };
  for (const name of STORE_METHODS) {
    const method = ledger[name] as (...args: unknown[]) => unknown;
    const claimed = INTENTS[name];
    store[name] = claimed
      ? async (...args: unknown[]) => {
          const answer = await run(() => method.apply(ledger, args));
          const callId = claimed(answer);
          if (callId !== null) await durableOrWithdrawn(ledger, callId, run);
          return answer;
        }
      : (...args: unknown[]) => run(() => method.apply(ledger, args));
  }
  return store as LedgerStore;
}

/** Resolves once the call's intent is on disk; else withdraws the call and rejects. */
async function durableOrWithdrawn(
  ledger: Ledger,
  callId: string,
  run: <T>(call: () => T) => Promise<T>,
): Promise<void> {
  try {
    await ledger.durable();
  } catch (err: unknown) {
    try {
      // Through the gate, as every write: not inside a transaction another caller has open.
      await run(() => ledger.withdrawCall(callId));
    } catch {
      // Its IDs stay in flight, never sent: re-read as unknown on resume or restart.
    }
    throw err;
  }
}
