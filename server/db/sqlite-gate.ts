/**
 * The gate of a SQLite ledger's asynchronous transactions (server/db/service-stores.ts). The ledger
 * has one connection: a transaction on it (BEGIN … COMMIT) that awaits between its statements
 * would take into itself every statement any other caller runs on that connection meanwhile (a
 * runner's intent, a page of an export), commit them with it or, worse, roll them back after their
 * callers were told they were written. So, per ledger, one gate that every store over it passes
 * (`sqliteStore`, the Kysely reads of records-store and group-records-store):
 *
 * - no transaction open or waiting: a store call runs at once, synchronously for the ledger's own
 *   methods (as before the gate: `noWait` still wraps the write it is given, a write still starts
 *   in the call);
 * - a transaction waiting or open: a store call waits until it has ended (committed or rolled
 *   back), then runs. A call made inside the ledger's `noWait` (a heartbeat, the runner's probe of
 *   a blocked ledger, start-up recovery) runs then inside a `noWait` of its own (`now`'s
 *   `noWait`): the one it was made in has ended by then, and the deferred write would otherwise
 *   wait out busy_timeout on another process's write lock, stalling the event loop;
 * - a transaction starts once the calls already running through the gate have settled (a Kysely
 *   read takes a few microtasks between its call and its statement: begun meanwhile, the
 *   transaction would take that read into itself and the read would see its uncommitted writes),
 *   and once the transaction before it has ended.
 *
 * A call on the gated store from inside the transaction's own function would wait for that
 * transaction to end, forever: it is refused with an error instead (AsyncLocalStorage tells the
 * transaction's own continuations). Inside, the transaction's function uses the stores bound to
 * it, which do not pass the gate.
 *
 * What the gate cannot hold: synchronous calls of the ledger made without a store (the DATA_DIR
 * holder's heartbeat, the ledger's own flush of queued outcomes) run whenever their timer fires.
 * The service's transactions await nothing but store calls, which on SQLite settle in microtasks:
 * no timer or I/O callback runs while one is open. The ledger's flush of queued outcomes skips
 * while a transaction is open (ledger.ts `writing`); `afterTransaction` re-arms it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Runs a write without waiting for another process's write lock (the ledger's `noWait`). */
export type NoWait = <T>(write: () => T) => T;

export class SqliteGate {
  /** Gated asynchronous calls started and not yet settled. */
  #running = 0;
  /** Resolves when `#running` drops to 0 (set while a transaction waits for it). */
  #drained: (() => void) | null = null;
  /** The transaction waiting or open, as the promise of its end; null when none. */
  #tx: Promise<void> | null = null;
  readonly #inside = new AsyncLocalStorage<SqliteGate>();

  /** Whether a transaction is waiting to start or open. */
  get closed(): boolean {
    return this.#tx !== null;
  }

  #refuseFromInside(): Error | null {
    return this.#inside.getStore() === this
      ? new Error(
          'a store call inside its own transaction on the gated store: use the stores the transaction gives',
        )
      : null;
  }

  /**
   * Runs the synchronous `call` at once when the gate is open (its result, or its error, as a
   * promise), else once the transaction has ended. `noWait`: the call was made inside the ledger's
   * `noWait` (which runs it at once); deferred, it runs inside this one (module comment).
   */
  now<T>(call: () => T, noWait?: NoWait): Promise<T> {
    if (this.#tx === null) return new Promise((resolve) => resolve(call()));
    const refused = this.#refuseFromInside();
    if (refused) return Promise.reject(refused);
    const deferred = noWait ? () => noWait(call) : call;
    return this.#afterTx().then(() => this.now(deferred));
  }

  /**
   * Runs the asynchronous `call` (several microtasks from its call to its statement) when the gate
   * is open, counted until it settles; else once the transaction has ended.
   */
  call<T>(call: () => Promise<T>): Promise<T> {
    if (this.#tx !== null) {
      const refused = this.#refuseFromInside();
      if (refused) return Promise.reject(refused);
      return this.#afterTx().then(() => this.call(call));
    }
    this.#running++;
    let p: Promise<T>;
    try {
      p = call();
    } catch (err) {
      this.#settled();
      return Promise.reject(err as Error);
    }
    return p.finally(() => this.#settled());
  }

  /** A page at a time of `pages`, each read through the gate (`call`). */
  async *pages<T>(pages: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
    try {
      for (;;) {
        const next = await this.call(() => pages.next());
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      await pages.return(undefined);
    }
  }

  /**
   * Runs `fn` alone on the ledger: after the transaction before it and the gated calls running
   * now, while every other gated call waits; `fn`'s continuations are known as inside it.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const refused = this.#refuseFromInside();
    if (refused) throw refused;
    while (this.#tx !== null) await this.#tx.catch(() => undefined);
    let end!: () => void;
    this.#tx = new Promise<void>((resolve) => {
      end = resolve;
    });
    try {
      if (this.#running > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      }
      return await this.#inside.run(this, fn);
    } finally {
      this.#tx = null;
      end();
    }
  }

  #afterTx(): Promise<void> {
    return (this.#tx ?? Promise.resolve()).catch(() => undefined);
  }

  #settled(): void {
    this.#running--;
    if (this.#running === 0 && this.#drained) {
      const drained = this.#drained;
      this.#drained = null;
      drained();
    }
  }
}

const gates = new WeakMap<object, SqliteGate>();

/** The one gate of a ledger (every store over it shares it). */
export function gateOf(ledger: object): SqliteGate {
  let gate = gates.get(ledger);
  if (!gate) {
    gate = new SqliteGate();
    gates.set(ledger, gate);
  }
  return gate;
}
