/**
 * The ledger's gate (sqlite-gate.ts) and `noWait`: a store write made inside the ledger's `noWait`
 * that the gate defers (a transaction is open) must still not wait for another process's write
 * lock when it runs. The other process is a worker thread with its own connection: it holds the
 * lock on its own event loop while this one is blocked, and lets go by itself after a while, so
 * that a write that waits for the lock (busy_timeout) passes instead of being refused.
 */
import { afterEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openLedger } from '../batches/ledger';
import { newBatch } from '../testing/batches';
import { makeIds } from '../testing/fake-upstream';
import { gateOf } from './sqlite-gate';
import { sqliteStore, ungatedSqliteStore } from './store';

const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** The worker: BEGIN IMMEDIATE on the file, COMMIT when told or after `holdMs`, whichever first. */
const HOLDER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.exec('BEGIN IMMEDIATE');
let held = true;
function release() {
  if (!held) return;
  held = false;
  db.exec('COMMIT');
  db.close();
  parentPort.postMessage('released');
  parentPort.close();
}
const timer = setTimeout(release, workerData.holdMs);
parentPort.on('message', () => {
  clearTimeout(timer);
  release();
});
parentPort.postMessage('locked');
`;

interface Holder {
  /** Whether it has let go (by itself, or told). */
  readonly released: boolean;
  /** Lets go now (if it still holds the lock) and ends. */
  release(): Promise<void>;
}

/** Another process's write lock on `file`, held until released or for `holdMs` at most. */
async function holdWriteLock(file: string, holdMs: number): Promise<Holder> {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(HOLDER, { eval: true, workerData: { file, module, holdMs } });
  let released = false;
  const ended = new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m) => {
      if (m === 'locked') resolve();
      if (m === 'released') released = true;
    });
    worker.once('error', reject);
  });
  const holder: Holder = {
    get released() {
      return released;
    },
    async release() {
      worker.postMessage('release');
      await ended;
    },
  };
  cleanups.push(() => holder.release());
  return holder;
}

test("a noWait write the gate defers (queued behind a transaction) still fails at once on another process's write lock, not after busy_timeout", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-gate-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ledger.sqlite');
  const ledger = openLedger(file);
  cleanups.push(() => ledger.close());
  const id = newBatch(ledger, { ids: makeIds(3), subject: SUBJECT }).id;
  const store = sqliteStore(ledger);
  const busyTimeout = Number(ledger.db.pragma('busy_timeout', { simple: true }));
  expect(busyTimeout).toBe(5000);

  // A transaction through the gate (the service's): it writes, and ends once the other process
  // holds the lock.
  let lockedElsewhere = () => undefined as void;
  const elsewhere = new Promise<void>((resolve) => (lockedElsewhere = resolve));
  const tx = gateOf(ledger).exclusive(async () => {
    await ungatedSqliteStore(ledger).setStateReason(id, 'written by the transaction');
    await elsewhere;
  });
  // Queued behind it: a write that must not wait for the lock (the runner's probe of a blocked
  // ledger, engine/runner.ts).
  const probe = ledger.noWait(() => store.transitionBatch(id, ['running'], 'running', 'probe'));
  // The other process takes the lock, and would let go by itself well within busy_timeout: a
  // probe that waited for it would pass.
  const holder = await holdWriteLock(file, busyTimeout / 2);
  lockedElsewhere();
  await tx;
  await expect(probe).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
  // Refused while the other process still held the lock: it did not wait for it.
  expect(holder.released).toBe(false);
  await holder.release();
  // The connection's own busy timeout is back, and the write passes once the lock is free.
  expect(ledger.db.pragma('busy_timeout', { simple: true })).toBe(busyTimeout);
  expect(await store.transitionBatch(id, ['running'], 'running', 'probe')).toBe(true);
  expect(ledger.getBatch(id)?.state_reason).toBe('probe');
});
