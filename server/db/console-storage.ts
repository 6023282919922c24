/**
 * The ledger's storage as the console's server sees it, whichever database holds the ledger:
 * whether it answers and what keeps it from being written (GET /api/health), what a request's
 * failed write means to the caller (503 "try again, nothing was recorded" rather than an
 * unexplained 500), and the runner's `LedgerStorage` (engine/context.ts: which failed writes a
 * batch waits out).
 *
 * - SQLite (`sqliteConsoleStorage`): the DATA_DIR's disk, another process's write lock, the
 *   write-ahead log's flush (batches/storage-health.ts), as before.
 * - PostgreSQL (`pgConsoleStorage`): the database out of reach, out of room or refusing a
 *   transaction for a moment (db/pg-problems.ts). Problems met by the runner are kept in this
 *   console's memory (the other consoles meet their own); /api/health also asks the database.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Ledger } from '../batches/ledger';
import type { LedgerStorage } from '../batches/engine/context';
import { sqliteStorage } from '../batches/engine/runner';
import { StorageHealth, writeProblem, type WriteProblem } from '../batches/storage-health';
import { WalSyncError } from '../batches/wal-sync';
import { pgWriteProblem } from './pg-problems';

export interface RequestProblem {
  message: string;
  /** It passes by itself (a Retry-After is sent); false: the operator must act. */
  transient: boolean;
}

export interface ConsoleStorage {
  /** Whether the ledger can be read now. */
  ping(): Promise<boolean>;
  /** What keeps the ledger from being written, as met so far (empty when all is well). */
  problems(): string[];
  /**
   * What a request's error means to its caller when the storage caused it (503: nothing was
   * recorded), and whether to try again in a moment (it passes by itself); null when the storage
   * did not cause it.
   */
  requestProblem(err: unknown): RequestProblem | null;
  /** The runner's storage (engine/context.ts). */
  readonly runner: LedgerStorage;
}

/** The SQLite ledger in DATA_DIR. */
export function sqliteConsoleStorage(ledger: Ledger): ConsoleStorage {
  return {
    ping: () => Promise.resolve(ledger.ping()),
    problems: () => ledger.health.problems(),
    requestProblem(err) {
      // A failed flush of the ledger's log: nothing more is recorded until a restart (wal-sync.ts).
      if (err instanceof WalSyncError) {
        return {
          message:
            "the console's disk failed while recording: nothing was recorded, and nothing more will be until the operator has fixed the disk and restarted the server",
          transient: false,
        };
      }
      const p = writeProblem(err, ledger.db.name);
      if (!p?.transient) return null;
      return {
        message:
          p.kind === 'full'
            ? "the console's disk is full: nothing was recorded; try again once the operator has made room"
            : 'another process holds the batch ledger: nothing was recorded; try again in a moment',
        transient: true,
      };
    },
    runner: sqliteStorage(ledger),
  };
}

/** How long /api/health waits for the database's answer. */
export const PG_PING_TIMEOUT_MS = 3_000;
/**
 * How long a ping's answer is reused: /api/health needs no sign-in, and each ping takes one of the
 * pool's connections, which the console's leases and batches need; a flood of health checks then
 * costs at most one query a second (and those under way at once share one).
 */
export const PG_PING_REUSE_MS = 1_000;

/** The ledger on PostgreSQL at `where` (`PostgreSQL host:port/db`). */
export function pgConsoleStorage<DB>(
  db: Kysely<DB>,
  where: string,
  now: () => number = () => performance.now(),
): ConsoleStorage {
  const health = new StorageHealth();
  const problemOf = (err: unknown): WriteProblem | null => pgWriteProblem(err, where);
  /** The latest ping: under way, or answered at `at` (PG_PING_REUSE_MS). */
  let last: { answer: Promise<boolean>; at: number | null } | null = null;
  async function askDatabase(): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), PG_PING_TIMEOUT_MS);
    });
    const answer = sql`select 1`.execute(db).then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    ping() {
      const t = now();
      if (last && (last.at === null || t - last.at < PG_PING_REUSE_MS)) return last.answer;
      const entry: { answer: Promise<boolean>; at: number | null } = {
        answer: askDatabase(),
        at: null,
      };
      void entry.answer.then(() => {
        entry.at = now();
      });
      last = entry;
      return entry.answer;
    },
    problems: () => health.problems(),
    requestProblem(err) {
      const p = problemOf(err);
      if (!p?.transient) return null;
      return {
        message:
          p.kind === 'full'
            ? "the console's database is out of room: nothing was recorded; try again once the operator has made room"
            : "the console's database cannot be used for now: nothing was recorded; try again in a moment",
        transient: true,
      };
    },
    runner: {
      report: (source, reason) => health.report(source, reason),
      noWait: (write) => write(),
      file: null,
      problemOf,
    },
  };
}
