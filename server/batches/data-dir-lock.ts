/**
 * One server per DATA_DIR (docs/operations.md, "One server per DATA_DIR"): a second server running
 * batches from the same ledger would send the same IDs again.
 *
 * The arbiter is an OS lock, not a timestamp: SQLite's EXCLUSIVE lock (POSIX fcntl) on
 * `DATA_DIR/console.lock`, taken by a connection in `locking_mode=EXCLUSIVE` that stays open for
 * the life of the process. The kernel releases it when the process ends, however it ends (kill -9
 * included); a suspended process (Ctrl-Z, SIGSTOP) keeps it; clocks play no part. The ledger's
 * `runner_lock` row only says which process holds it, for people and for the message of a refused
 * start.
 *
 * POSIX drops every lock a process holds on a file as soon as the process closes *any* descriptor
 * of that file: nothing in this process may open `console.lock` other than through the lock's own
 * connection (stat is fine; readFileSync is not). And the file is never deleted: a server that
 * deleted it on the way out could race one that had just opened it.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { HEARTBEAT_MS, type Ledger } from './ledger';
import { diskFull, fullDisk, writeProblem } from './storage-health';

export const LOCK_FILE = 'console.lock';

/** Another process holds the DATA_DIR: this server must not start (exit code 3). */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

export interface DataDirLock {
  readonly file: string;
  /**
   * null while this process holds the lock; otherwise why it no longer does (the file was removed or
   * replaced, so another server may take a lock of its own). A stat, cheap enough to ask before
   * every send.
   */
  check(): string | null;
  /** Lets go of the lock (shutdown). */
  release(): void;
}

const holderSchema = z.object({ pid: z.number(), host: z.string(), heartbeat_at: z.number() });

function sqliteCode(error: unknown): string {
  return error instanceof Database.SqliteError ? error.code : '';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

/**
 * Who holds the DATA_DIR, as its ledger row says: read through a read-only connection that gives up
 * at once, so that a refused start writes nothing (not even the ledger's schema).
 */
function describeHolder(dataDir: string, now: number): string {
  let db: Database.Database | null = null;
  try {
    db = new Database(join(dataDir, 'ledger.sqlite'), {
      readonly: true,
      fileMustExist: true,
      timeout: 100,
    });
    const row = holderSchema.safeParse(
      db.prepare('SELECT pid, host, heartbeat_at FROM runner_lock WHERE one = 1').get(),
    );
    if (!row.success) return 'it has not said which process it is yet';
    const { pid, host, heartbeat_at } = row.data;
    // The row outlives a server killed with -9: when it names a process that is gone, the holder is
    // a server still starting (its row is written once it listens).
    if (host === hostname() && !alive(pid))
      return `a server that is still starting (the ledger names pid ${String(pid)}, which has ended)`;
    const ago = Math.max(0, Math.round((now - heartbeat_at) / 1000));
    return `pid ${String(pid)} on ${host}, last heartbeat ${String(ago)} s ago by its clock`;
  } catch {
    return 'it has not said which process it is yet';
  } finally {
    db?.close();
  }
}

/**
 * Takes the DATA_DIR lock, or throws DataDirLockedError (naming the holder) when another process
 * holds it. Never waits, and writes nothing when refused.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    // In EXCLUSIVE locking mode the lock a write transaction takes is kept after it ends, until the
    // connection closes.
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    db?.close();
    const code = sqliteCode(error);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new DataDirLockedError(
        `another console server is running batches from this DATA_DIR (${dataDir}): ` +
          `${describeHolder(dataDir, Date.now())}. Stop it first: one server per DATA_DIR ` +
          `(${file} is held by that process for as long as it runs).`,
      );
    }
    if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
      throw new Error(
        `${file} is not the console's lock file (${code}). If no console server runs on this ` +
          'DATA_DIR, remove it and start again.',
        { cause: error },
      );
    }
    throw new Error(
      `the DATA_DIR lock (${file}) could not be taken: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const held = statSync(file);
  const conn = db;
  let released = false;
  return {
    file,
    check() {
      if (released) return `${file} was released`;
      try {
        const now = statSync(file);
        if (now.ino === held.ino && now.dev === held.dev) return null;
        return `${file} was replaced by another file`;
      } catch (error) {
        const code = error instanceof Error && 'code' in error ? String(error.code) : 'error';
        return code === 'ENOENT' ? `${file} was removed` : `${file} cannot be checked (${code})`;
      }
    },
    release() {
      if (released) return;
      released = true;
      conn.close();
    },
  };
}

export interface DataDirWatchOptions {
  lock: DataDirLock;
  ledger: Ledger;
  /** The lock is checked this often (default 1 s); the holder row is written every heartbeatMs. */
  intervalMs?: number;
  /** Heartbeat of the holder row while writes pass (default HEARTBEAT_MS); every tick while not. */
  heartbeatMs?: number;
  /** Called once, when the lock is found lost: the caller stops sending at once. */
  onLost(reason: string): void;
  log?(message: string): void;
}

export interface DataDirWatch {
  /** null while this server holds the DATA_DIR; otherwise why not (asked before every send too). */
  check(): string | null;
  /** Writes the holder row now and then on a timer (once the server listens). */
  start(): void;
  /** Stops the timer and removes the holder row (shutdown). */
  stop(): void;
}

/**
 * Keeps the DATA_DIR under watch while the server runs: checks that the lock is still this
 * process's, and writes the holder row as a heartbeat. A write that fails (a full disk, another
 * process's write lock) is reported to /api/health and tried again every tick until it passes;
 * it never ends the process.
 */
export function watchDataDir(options: DataDirWatchOptions): DataDirWatch {
  const { lock, ledger, onLost } = options;
  const log = options.log ?? (() => undefined);
  const intervalMs = options.intervalMs ?? 1_000;
  const beatEvery = Math.max(1, Math.round((options.heartbeatMs ?? HEARTBEAT_MS) / intervalMs));
  const token = randomUUID();
  let lost: string | null = null;
  let failing: string | null = null;
  let ticks = 0;
  let timer: ReturnType<typeof setInterval> | null = null;

  function check(): string | null {
    if (lost !== null) return lost;
    const reason = lock.check();
    if (reason === null) return null;
    lost = reason;
    const problem = `this server lost its DATA_DIR lock (${reason}): it sends nothing more; stop it and start one server on this DATA_DIR`;
    ledger.health.report('DATA_DIR lock', problem);
    log(problem);
    onLost(reason);
    return lost;
  }

  function beat(): void {
    let reason: string | null;
    try {
      ledger.noWait(() => ledger.writeHolder(token));
      // A small write may still pass on a full disk (into room the WAL file already has).
      reason = diskFull(dirname(ledger.db.name)) ? fullDisk(ledger.db.name).reason : null;
    } catch (error) {
      if (!ledger.db.open) return;
      reason =
        writeProblem(error, ledger.db.name)?.reason ??
        `the DATA_DIR heartbeat failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (reason !== failing) log(reason ?? 'the ledger can be written again');
    failing = reason;
    ledger.health.report('DATA_DIR heartbeat', reason);
  }

  function tick(): void {
    if (check() !== null) {
      if (timer) clearInterval(timer);
      timer = null;
      return;
    }
    ticks++;
    if (failing !== null || ticks % beatEvery === 0) beat();
  }

  return {
    check,
    start() {
      if (timer || check() !== null) return;
      beat();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (lost !== null || !ledger.db.open) return;
      try {
        ledger.noWait(() => ledger.dropHolder(token));
      } catch {
        // a full disk or a busy ledger at shutdown: the row stays, as after a crash (information only)
      }
    },
  };
}
