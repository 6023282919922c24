/**
 * Makes the ledger's commits durable off the event loop (issue 12). A call's intent commits
 * without waiting for the disk (`synchronous = NORMAL`: in WAL mode the commit writes its frames to
 * the -wal file and returns); the call is sent only once a flush of that file (`fdatasync`, on
 * libuv's thread pool) that began after the commit has completed (ledger.ts `durable`). Commits
 * made while a flush is under way share the next one (group sync): one flush at a time, and every
 * caller that asked during it waits for the one after, which starts when it ends.
 *
 * Why a descriptor of our own works: on Linux, fsync and fdatasync write back the file's (the
 * inode's) dirty pages whichever descriptor asks, so flushing ours flushes what SQLite wrote
 * through its own.
 *
 * What may happen to the -wal file between a commit and the flush that covers it, and why the
 * commit is on disk all the same once that flush completes:
 * - a checkpoint copies frames into the database file: SQLite flushes the WAL before it copies and
 *   the database file after (with synchronous NORMAL as with FULL);
 * - a WAL restart (the next writer after a complete checkpoint writes from the start again, with
 *   new salts): only once every frame is in the (flushed) database file; SQLite flushes the new
 *   header itself;
 * - the file truncated (journal_size_limit, a TRUNCATE checkpoint): the same inode, after a
 *   checkpoint;
 * - the file deleted and made again (the last connection closed, the journal mode changed): after a
 *   complete checkpoint again, but our descriptor would then name the old inode. So each flush
 *   first compares the path's inode with the descriptor's and opens the file again when they
 *   differ. The comparison is made after the commit, in the tick the flush starts: the commit's
 *   frames are in that inode, or were checkpointed before it was replaced.
 *
 * A failed flush is final for this process: the kernel may have dropped the pages it could not
 * write (and reports that once), and every later WAL frame chains its checksum on them, so a later
 * flush that passes would prove nothing about the commits after them. Every flush after a failure
 * fails with the same error (nothing more is sent); a restart of the server, once the disk is
 * fixed, recovers the ledger from what the disk holds (calls not sent: pending or, in flight,
 * re-read).
 *
 * After a failed flush the ledger records nothing more (ledger.ts `refuseAfterFailedFlush`), not
 * only what waits for this syncer: a commit with synchronous = FULL whose own fsync passes also
 * chains its frames on the ones that may be lost, and SQLite's recovery stops at the first frame
 * whose checksum does not match, so such a commit, told it succeeded, could be lost all the same.
 * Every write is refused with the failure, which `ledger.health` reports (source `ledger
 * write-ahead log`, `walSyncReason`): a new batch, a pause, resume or stop, an intent, an outcome
 * (queued ones too: the answer to a call sent before the failure stays in flight in the file and is
 * re-read after the restart), the DATA_DIR heartbeat. Two writes still run, on their own, because
 * they only stop what would otherwise go on, and a restart that finds them lost recovers as after
 * a crash: a batch's interruption (the runner's batches stop as `interrupted` with the reason,
 * rather than running on; lost, the batch is found running and resumed, its calls re-read) and the
 * withdrawal of a call claimed but never sent (lost, its IDs are re-read as in flight).
 *
 * What clears it: only a restart of the server (the operator fixes the disk first), whose SQLite
 * recovery reads the -wal file as the disk holds it, checksums and all. Not a later fsync or
 * checkpoint that passes: a checkpoint copies the frames as this process reads them, from pages
 * the kernel may still hold in memory though they never reached the disk, or may have dropped
 * (then as stale as the disk), so its success says nothing about what a restart would find.
 */
import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';

/** A flush of the ledger's write-ahead log failed (or the ledger was closed): nothing is on disk. */
export class WalSyncError extends Error {
  /** The error code of the flush (`EIO`, `ENOSPC`, …), or `CLOSED`. */
  readonly code: string;
  /** The -wal file. */
  readonly file: string;
  /** What /api/health and a stopped batch say. */
  readonly reason: string;
  constructor(file: string, code: string, reason: string) {
    super(reason);
    this.name = 'WalSyncError';
    this.code = code;
    this.file = file;
    this.reason = reason;
  }
}

/** The reason a failed flush gives (health, the batch's state reason). */
export function walSyncReason(file: string, code: string): string {
  return `the ledger's write-ahead log (${file}) could not be flushed to disk (${code}): its latest writes may be lost; nothing more is recorded or sent until the server is restarted`;
}

export interface WalSyncer {
  /**
   * Resolves once everything written to the -wal file before this call is on disk: a flush that
   * starts now, or, when one is under way (it may have started before the caller's write), the
   * next one, shared by every caller meanwhile. Rejects with a WalSyncError when that flush fails,
   * and from then on always.
   */
  sync(): Promise<void>;
  /** The failure that ended flushing, or null. */
  readonly failed: WalSyncError | null;
  /** Flushes started so far (tests, benchmarks). */
  readonly flushes: number;
  /** No flush starts after this; waiters not yet flushed are refused (CLOSED). */
  close(): void;
}

export interface WalSyncOptions {
  /** Flushes a descriptor (default: fs.fdatasync, on libuv's thread pool); tests inject faults. */
  datasync?: (fd: number) => Promise<void>;
}

function defaultDatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

function codeOf(err: unknown): string {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return 'EIO';
}

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A flush nobody awaits (every caller withdrew) must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** A syncer of the write-ahead log `walFile` (the ledger's file name + `-wal`). */
export function walSyncer(walFile: string, opts: WalSyncOptions = {}): WalSyncer {
  const datasync = opts.datasync ?? defaultDatasync;
  let fd: number | null = null;
  let inode: { dev: number; ino: number } | null = null;
  /** The flush under way (null: none). */
  let running: Promise<void> | null = null;
  /** Callers that asked while a flush was under way: the next flush is theirs. */
  let next: Waiters | null = null;
  let failed: WalSyncError | null = null;
  let closed = false;
  let flushes = 0;

  function closeFd(): void {
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      // already gone
    }
    fd = null;
    inode = null;
  }

  /**
   * The descriptor of the -wal file the path names now (opened again if the file was replaced).
   * Throws when it cannot be opened (gone: a ledger whose log was deleted under it).
   */
  function descriptor(): number {
    const now = statSync(walFile);
    if (fd !== null && inode !== null && (now.ino !== inode.ino || now.dev !== inode.dev)) {
      closeFd();
    }
    if (fd === null) {
      fd = openSync(walFile, 'r');
      const st = fstatSync(fd);
      inode = { dev: st.dev, ino: st.ino };
    }
    return fd;
  }

  function fail(err: unknown): WalSyncError {
    if (err instanceof WalSyncError) return err;
    const code = codeOf(err);
    return new WalSyncError(walFile, code, walSyncReason(walFile, code));
  }

  /** Starts a flush now for `w`; when it ends, the next one (if anyone asked meanwhile). */
  function start(w: Waiters): void {
    if (failed) {
      w.reject(failed);
      return;
    }
    if (closed) {
      w.reject(new WalSyncError(walFile, 'CLOSED', 'the ledger was closed'));
      return;
    }
    let flush: Promise<void>;
    try {
      // Synchronously, in the caller's tick: the inode compared after the caller's commit.
      const d = descriptor();
      flushes++;
      flush = datasync(d);
    } catch (err: unknown) {
      flush = Promise.reject(fail(err));
    }
    running = flush.then(
      () => {
        running = null;
        w.resolve();
        startNext();
      },
      (err: unknown) => {
        running = null;
        failed ??= fail(err);
        w.reject(failed);
        startNext();
      },
    );
  }

  function startNext(): void {
    const w = next;
    next = null;
    if (w) start(w);
    if (running === null && closed) closeFd();
  }

  return {
    sync() {
      if (failed) return Promise.reject(failed);
      if (running === null) {
        const w = waiters();
        start(w);
        return w.promise;
      }
      next ??= waiters();
      return next.promise;
    },
    get failed() {
      return failed;
    },
    get flushes() {
      return flushes;
    },
    close() {
      closed = true;
      // A flush under way keeps the descriptor until it ends (the thread pool is using it).
      if (running === null) closeFd();
    },
  };
}
