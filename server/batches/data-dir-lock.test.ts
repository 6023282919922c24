/**
 * The DATA_DIR lock and its watch, in process (the real server processes: two-servers.test.ts):
 * the OS lock is the arbiter (no clock, no heartbeat age), a refused start writes nothing, the
 * heartbeat's write errors are reported and never thrown, and a lost lock stops the runner's sends
 * at once.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEMO_PROJECT_ID } from '../config';
import {
  startEmulator,
  openEmulatorDb,
  SEED_WORKSPACES,
  seedEmulator,
  seedObjectIds,
} from 'secmaster-emulator';
import { createUpstream } from '../secmaster/client';
import { checkInvariants, formatReport } from '../testing/checker';
import {
  DataDirLockedError,
  acquireDataDirLock,
  watchDataDir,
  type DataDirLock,
} from './data-dir-lock';
import { newBatch } from '../testing/batches';
import { openLedger, type Ledger } from './ledger';
import { ledgerDump } from '../testing/process-harness';
import { createRunner, onSqlite } from './engine/runner';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function lockOf(dir: string): DataDirLock {
  const lock = acquireDataDirLock(dir);
  cleanups.push(() => lock.release());
  return lock;
}

function ledgerIn(dir: string): Ledger {
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  cleanups.push(() => ledger.close());
  return ledger;
}

/** Waits (short polls) until `done`, at most `ms`. */
async function until(done: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('held → a second taker is refused (exit-3 error) with who holds it; released → taken again', () => {
  const dir = dataDir();
  const first = acquireDataDirLock(dir);
  expect(first.check()).toBeNull();
  expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError);
  expect(() => acquireDataDirLock(dir)).toThrow(
    `another console server is running batches from this DATA_DIR (${dir})`,
  );
  first.release();
  expect(first.check()).toMatch(/was released/);
  lockOf(dir);
});

test('a refused start writes nothing, whatever the age of the holder row: time is not the arbiter', () => {
  const dir = dataDir();
  const lock = lockOf(dir);
  const ledger = ledgerIn(dir);
  const watch = watchDataDir({ lock, ledger, intervalMs: 60_000, onLost: () => undefined });
  watch.start();
  cleanups.push(() => watch.stop());
  // As if the holder had been suspended for an hour, or the newcomer's clock ran an hour ahead.
  ledger.db.prepare('UPDATE runner_lock SET heartbeat_at = heartbeat_at - 3600000').run();
  const before = ledgerDump(dir);
  expect(() => acquireDataDirLock(dir)).toThrow(
    new RegExp(`pid ${String(process.pid)} on ${hostname()}, last heartbeat 3600 s ago`),
  );
  expect(ledgerDump(dir)).toBe(before);
  expect(lock.check()).toBeNull();
});

test('the holder row names a process that has ended (kill -9): the message says the holder is still starting', () => {
  const dir = dataDir();
  const ledger = ledgerIn(dir);
  ledger.writeHolder('an-old-token');
  ledger.db.prepare('UPDATE runner_lock SET pid = ? WHERE one = 1').run(2 ** 22 + 12345);
  lockOf(dir);
  expect(() => acquireDataDirLock(dir)).toThrow(/a server that is still starting/);
});

test('a file in the way that is not a lock file: a clear error, not a refusal', () => {
  const dir = dataDir();
  writeFileSync(
    join(dir, 'console.lock'),
    'not a database, but long enough to have a header\n'.repeat(4),
  );
  expect(() => acquireDataDirLock(dir)).toThrow(/is not the console's lock file/);
});

test('the lock file removed or replaced: check() says the lock is lost (another server could take one)', () => {
  const dir = dataDir();
  const lock = lockOf(dir);
  rmSync(join(dir, 'console.lock'));
  expect(lock.check()).toBe(`${join(dir, 'console.lock')} was removed`);
  const other = lockOf(dir); // exactly why the first must stop sending
  expect(other.check()).toBeNull();

  const dir2 = dataDir();
  const lock2 = lockOf(dir2);
  writeFileSync(join(dir2, 'elsewhere'), '');
  renameSync(join(dir2, 'elsewhere'), join(dir2, 'console.lock'));
  expect(lock2.check()).toBe(`${join(dir2, 'console.lock')} was replaced by another file`);
});

test('heartbeat against another connection holding the write lock: no throw, health names it, clears when let go', async () => {
  const dir = dataDir();
  const ledger = ledgerIn(dir);
  const logs: string[] = [];
  const watch = watchDataDir({
    lock: lockOf(dir),
    ledger,
    intervalMs: 5,
    heartbeatMs: 5,
    onLost: () => undefined,
    log: (m) => logs.push(m),
  });
  watch.start();
  cleanups.push(() => watch.stop());
  const shell = new Database(join(dir, 'ledger.sqlite'));
  cleanups.push(() => {
    shell.close();
  });
  shell.exec('BEGIN IMMEDIATE');
  const started = Date.now();
  await until(() => ledger.health.problems().length > 0);
  // noWait: the heartbeat gave up at once, it did not stall the event loop for busy_timeout.
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(ledger.health.problems()).toEqual([
    `another process holds a write lock on the ledger (${join(dir, 'ledger.sqlite')}): nothing can be recorded until it lets go`,
  ]);
  shell.exec('COMMIT');
  await until(() => ledger.health.problems().length === 0);
  expect(logs).toEqual([
    expect.stringContaining('another process holds a write lock'),
    'the ledger can be written again',
  ]);
});

test('heartbeat on a full disk (injected SQLITE_FULL): no throw, health says full, clears with room', async () => {
  const dir = dataDir();
  const real = ledgerIn(dir);
  let full = true;
  const ledger: Ledger = {
    ...real,
    writeHolder(token) {
      if (full) throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      real.writeHolder(token);
    },
  };
  const watch = watchDataDir({
    lock: lockOf(dir),
    ledger,
    intervalMs: 5,
    heartbeatMs: 50,
    onLost: () => undefined,
  });
  watch.start(); // the first write fails at once: no throw
  cleanups.push(() => watch.stop());
  expect(ledger.health.problems()).toEqual([
    `the disk holding DATA_DIR (${dir}) is full: the ledger cannot be written`,
  ]);
  full = false;
  // Retried every tick (not every heartbeatMs) while it fails.
  await until(() => ledger.health.problems().length === 0, 40);
});

test('a lost lock is said once (health, onLost), and the holder row is no longer written', async () => {
  const dir = dataDir();
  const ledger = ledgerIn(dir);
  const onLost = vi.fn();
  // The watch's own timer, driven by hand: what happens after the loss is seen, not waited for.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  cleanups.push(() => {
    vi.useRealTimers();
  });
  const watch = watchDataDir({ lock: lockOf(dir), ledger, intervalMs: 5, heartbeatMs: 5, onLost });
  watch.start();
  cleanups.push(() => watch.stop());
  const row = () => ledger.db.prepare('SELECT heartbeat_at FROM runner_lock').get();
  vi.advanceTimersByTime(20);
  rmSync(join(dir, 'console.lock'));
  vi.advanceTimersByTime(5);
  expect(onLost).toHaveBeenCalledWith(`${join(dir, 'console.lock')} was removed`);
  expect(watch.check()).toMatch(/was removed/);
  expect(ledger.health.problems()).toEqual([
    `this server lost its DATA_DIR lock (${join(dir, 'console.lock')} was removed): it sends nothing more; stop it and start one server on this DATA_DIR`,
  ]);
  // The watch let go of its timer: however much time passes, the row is never written again.
  expect(vi.getTimerCount()).toBe(0);
  const last = row();
  vi.advanceTimersByTime(1_000);
  expect(row()).toEqual(last);
  expect(onLost).toHaveBeenCalledTimes(1);
});

test('the runner asks before every send: once the lock is lost it sends nothing more and leaves the batch running', async () => {
  const dir = dataDir();
  const ledger = ledgerIn(dir);
  const emulatorDb = openEmulatorDb(':memory:');
  seedEmulator(emulatorDb, { alerts: 600, incidents: 40, indicators: 20 });
  const emulator = await startEmulator({ db: emulatorDb, projectId: DEMO_PROJECT_ID, port: 0 });
  cleanups.push(async () => {
    await emulator.close();
    emulatorDb.close();
  });
  let writes = 0;
  let lost: string | null = null;
  const upstream = createUpstream({
    endpoint: emulator.url,
    projectId: DEMO_PROJECT_ID,
    timeoutMs: 2_000,
    fetchImpl: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (init?.method !== 'GET' && !url.endsWith('/search')) {
        // The lock goes while the second write is in flight.
        if (++writes === 2) lost = 'console.lock was removed';
      }
      return fetch(input, init);
    },
  });
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream,
    concurrency: 1,
    dataDirLost: () => lost,
  });
  cleanups.push(() => runner.stop());
  const ids = seedObjectIds(0, 'alerts', 500);
  const batchId = newBatch(ledger, {
    ids,
    subject: seedObjectIds(0, 'incidents', 40)[33] ?? '',
    workspace: SEED_WORKSPACES[0].id,
  }).id;
  await runner.start(batchId);
  expect(writes).toBe(2);
  const b = ledger.getBatch(batchId);
  // The call in flight was recorded; the rest waits, still running, for the next holder.
  expect(b?.state).toBe('running');
  expect(b?.counts.in_flight).toBe(0);
  expect(b?.counts.pending).toBeGreaterThan(0);
  await runner.start(batchId); // a start asked for later sends nothing either
  expect(writes).toBe(2);

  // The next holder (a new runner on the same ledger) finishes it.
  const next = createRunner({ ...onSqlite(ledger), upstream, concurrency: 1 });
  cleanups.push(() => next.stop());
  await next.resumeAll();
  expect(ledger.getBatch(batchId)?.state).toBe('done');
  const report = checkInvariants({ ledger, batchId, inputIds: ids, emulatorDb });
  expect(report.ok, formatReport(report)).toBe(true);
});
