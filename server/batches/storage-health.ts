/**
 * What keeps this server from writing its DATA_DIR as it should (a full disk, another process's
 * write lock on the ledger, a lost DATA_DIR lock), as met by the code that writes it: the DATA_DIR
 * heartbeat (data-dir-lock.ts) and the batch runner. `/api/health` reports it (docs/operations.md,
 * "When the disk is full"). Each source clears its own problem once its writes pass again.
 */
import Database from 'better-sqlite3';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { WalSyncError } from './wal-sync';

export class StorageHealth {
  readonly #problems = new Map<string, string>();

  /** Sets the problem `source` met, or clears it (null). */
  report(source: string, problem: string | null): void {
    if (problem === null) this.#problems.delete(source);
    else this.#problems.set(source, problem);
  }

  /** The problems now, each said once, in the order they were met; empty when all is well. */
  problems(): string[] {
    return [...new Set(this.#problems.values())];
  }
}

export interface WriteProblem {
  /**
   * `full`: no room left on the disk holding DATA_DIR (or the database's); `busy`: another process
   * holds the ledger's write lock (or another transaction what this one needed); `unreachable`: the
   * ledger's database (PostgreSQL, db/pg-problems.ts) cannot be reached for now; `other`: an I/O
   * error, a damaged or read-only file.
   */
  kind: 'full' | 'busy' | 'unreachable' | 'other';
  /** Names the problem and the file or directory, for the log and /api/health. */
  reason: string;
  /**
   * A full disk or another process's write lock passes by itself: a batch waits for it and then
   * continues. Anything else interrupts the batch.
   */
  transient: boolean;
}

/** Less free space than this on the DATA_DIR's file system counts as a full disk. */
export const MIN_FREE_BYTES = 1 << 20;

/**
 * Bytes this process may still write on the file system holding `dir` (root may use the blocks
 * reserved for it), or null when it cannot be told.
 */
export function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return (process.getuid?.() === 0 ? s.bfree : s.bavail) * s.bsize;
  } catch {
    return null;
  }
}

/** Whether the file system holding `dir` has less than MIN_FREE_BYTES left. */
export function diskFull(dir: string): boolean {
  const free = freeBytes(dir);
  return free !== null && free < MIN_FREE_BYTES;
}

/** The problem of a full disk under the ledger `file` (one wording, so /api/health says it once). */
export function fullDisk(file: string): WriteProblem {
  return {
    kind: 'full',
    reason: `the disk holding DATA_DIR (${dirname(file)}) is full: the ledger cannot be written`,
    transient: true,
  };
}

function errorCode(err: unknown): string | null {
  if (err instanceof Database.SqliteError) return err.code;
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return null;
}

/**
 * What a failed write of the ledger `file` means, or null when the error did not come from the
 * storage (a bug, a refused call).
 */
export function writeProblem(err: unknown, file: string): WriteProblem | null {
  // A failed flush of the write-ahead log does not pass by itself, even on a full disk: its
  // writes may be lost, and nothing is sent until a restart (wal-sync.ts).
  if (err instanceof WalSyncError) return { kind: 'other', reason: err.reason, transient: false };
  const code = errorCode(err);
  if (code === null) return null;
  // SQLite reports ENOSPC as SQLITE_FULL, and a failure to grow its shared-memory file as an I/O
  // error.
  if (
    code === 'SQLITE_FULL' ||
    code === 'ENOSPC' ||
    ((code.startsWith('SQLITE_IOERR') || code === 'EIO') && diskFull(dirname(file)))
  ) {
    return fullDisk(file);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return {
      kind: 'busy',
      reason: `another process holds a write lock on the ledger (${file}): nothing can be recorded until it lets go`,
      transient: true,
    };
  }
  if (code.startsWith('SQLITE_') || /^E[A-Z]+$/.test(code)) {
    return {
      kind: 'other',
      reason: `the ledger (${file}) cannot be written: ${code}`,
      transient: false,
    };
  }
  return null;
}
