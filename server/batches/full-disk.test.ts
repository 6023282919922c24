/**
 * A DATA_DIR that cannot be written (docs/operations.md, "When the disk is full"): the server stays
 * up, /api/health says why (503 `degraded`), running batches wait with nothing sent, and they
 * continue by themselves once the ledger can be written again, every ID accounted for (I1–I5).
 *
 * - Another process's write lock on the ledger (an operator's sqlite3 shell), held for longer than
 *   the heartbeat: a real server process.
 * - A really full file system: a small tmpfs mounted as DATA_DIR, with a real server process. Only
 *   root can mount; where the mount fails the test says why in its output and runs the simulated
 *   variant in its place, so it asserts on every machine (CI runs as root, so it mounts there).
 * - The simulated full disk, everywhere: `PRAGMA max_page_count` for the batch's writes and an
 *   injected SQLITE_FULL for the heartbeat (whose row update needs no new page), in process.
 */
import { afterEach, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEMO_PROJECT_ID, loadConfig } from '../config';
import { createConsole } from '../console';
import {
  startEmulator,
  openEmulatorDb,
  SEED_WORKSPACES,
  seedEmulator,
  seedObjectIds,
} from 'secmaster-emulator';
import { checkInvariants, formatReport } from '../testing/checker';
import { acquireDataDirLock, watchDataDir } from './data-dir-lock';
import { newBatch } from '../testing/batches';
import { openLedger, type Ledger } from './ledger';
import {
  health,
  pollBatch,
  pollHealth,
  postBatch,
  startServer,
  stopServer,
  type ServerProcess,
  seededBatch,
} from '../testing/process-harness';
import { expectAccounted } from '../testing/accounted';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function server(env: Record<string, string>): Promise<ServerProcess> {
  const p = await startServer(env);
  cleanups.push(() => stopServer(p));
  return p;
}

/** Slow, with one call in flight (BATCH_CONCURRENCY 1 below), so the batch outlasts the disk filling up. */
const SLOW = JSON.stringify({ seed: 7, latency_ms: 100 });
const NO_LIMIT = 1_073_741_823;

/** One short poll interval (polls only: never a wait for something to happen). */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('another process holds the ledger write lock longer than the heartbeat: the server stays up, /api/health says so, then recovers', async () => {
  const dir = tempDir('write-lock-');
  const first = await server({ DATA_DIR: dir });
  // An operator's sqlite3 shell in a write transaction.
  const shell = new Database(join(dir, 'ledger.sqlite'));
  cleanups.push(() => {
    if (shell.inTransaction) shell.exec('ROLLBACK');
    shell.close();
  });
  shell.exec('BEGIN IMMEDIATE');
  const degraded = await pollHealth(first.url, (h) => h.code !== 200, 8_000);
  expect(degraded).toMatchObject({ code: 503, status: 'degraded' });
  expect(degraded.reason).toContain(
    `another process holds a write lock on the ledger (${join(dir, 'ledger.sqlite')})`,
  );
  // The heartbeat met the lock and said so instead of throwing: a heartbeat that waited the busy
  // timeout (5 s) and threw would end the process before health could say anything.
  expect(first.child.exitCode).toBeNull();
  expect((await health(first.url)).status).toBe('degraded');

  shell.exec('COMMIT');
  expect(await pollHealth(first.url, (h) => h.code === 200, 3_000)).toMatchObject({
    status: 'ok',
  });
  // And it runs batches again.
  const ids = seedObjectIds(0, 'alerts', 120);
  const batch = await postBatch(first.url, seededBatch(ids, 30));
  await pollBatch(first.url, batch.id, (b) => b.state === 'done', 15_000);
  await stopServer(first);
  expectAccounted(dir, batch.id, ids);
}, 40_000);

/** Mounts a tmpfs of `size` on `dir`; null when mounted, otherwise why it could not be. */
function mountTmpfs(dir: string, size: string): string | null {
  if (process.platform !== 'linux') return `${process.platform} is not Linux`;
  const uid = process.getuid?.();
  if (uid !== 0) return `mount needs root and this runs as uid ${String(uid)}`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (r.error) return `mount could not be run: ${r.error.message}`;
  if (r.status !== 0) return `mount failed: ${(r.stderr || r.stdout).trim()}`;
  return null;
}

function umount(dir: string): void {
  const r = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('umount', ['-l', dir]);
}

/** Writes `file` until the file system holding it has no byte left. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [1 << 20, 4096, 512]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if (!(error instanceof Error && 'code' in error && error.code === 'ENOSPC')) throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** The real server on a tmpfs DATA_DIR that fills up in the middle of a batch. */
async function realFullDisk(base: string, dataDir: string): Promise<void> {
  // The embedded emulator stands in for a SecMaster on another machine: its store stays on a disk
  // with room (SQLite follows the link), so that only the console's own DATA_DIR fills up.
  const elsewhere = join(base, 'secmaster');
  mkdirSync(elsewhere);
  symlinkSync(join(elsewhere, 'emulator.sqlite'), join(dataDir, 'emulator.sqlite'));
  const env = { DATA_DIR: dataDir, EMULATOR_FAULTS: SLOW, BATCH_CONCURRENCY: '1' };
  const first = await server(env);
  const ids = seedObjectIds(0, 'alerts', 1000);
  const batch = await postBatch(first.url, seededBatch(ids, 31));
  await pollBatch(
    first.url,
    batch.id,
    (b) => b.counts.succeeded + b.counts.unchanged >= 150,
    20_000,
  );

  const filler = join(dataDir, 'filler');
  fillDisk(filler);
  const full = await pollHealth(first.url, (h) => h.code !== 200, 10_000);
  expect(full).toMatchObject({ code: 503, status: 'degraded' });
  expect(full.reason).toContain(`the disk holding DATA_DIR (${dataDir}) is full`);
  // Waiting, not interrupted: nothing for the user to resume.
  const waiting = await pollBatch(first.url, batch.id, () => true, 1_000);
  expect(waiting.state).toBe('running');
  expect(waiting.counts.pending).toBeGreaterThan(0);
  // The heartbeat met SQLITE_FULL and said so, rather than throwing and ending the process.
  expect(first.child.exitCode).toBeNull();
  expect((await health(first.url)).reason).toContain('is full');

  rmSync(filler);
  const done = await pollBatch(first.url, batch.id, (b) => b.state !== 'running', 30_000);
  expect(done.state).toBe('done');
  expect(await pollHealth(first.url, (h) => h.code === 200, 3_000)).toMatchObject({
    status: 'ok',
  });
  await stopServer(first);
  expectAccounted(dataDir, batch.id, ids);
}

/**
 * The same story in process, on any machine: the ledger fills (`max_page_count`) after the second
 * outcome, the heartbeat's writes fail (injected: its row update needs no new page), then room.
 */
async function simulatedFullDisk(): Promise<void> {
  const dir = tempDir('full-disk-sim-');
  const emulatorDb = openEmulatorDb(':memory:');
  seedEmulator(emulatorDb, { alerts: 600, incidents: 40, indicators: 20 });
  const emulator = await startEmulator({ db: emulatorDb, projectId: DEMO_PROJECT_ID, port: 0 });
  cleanups.push(async () => {
    await emulator.close();
    emulatorDb.close();
  });
  const real = openLedger(join(dir, 'ledger.sqlite'));
  cleanups.push(() => real.close());
  let full = false;
  let outcomes = 0;
  const ledger: Ledger = {
    ...real,
    writeHolder(token) {
      if (full) throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      real.writeHolder(token);
    },
    async queueOutcome(...args) {
      const changed = await real.queueOutcome(...args);
      if (++outcomes === 2) {
        full = true;
        real.db.pragma(
          `max_page_count = ${String(real.db.pragma('page_count', { simple: true }))}`,
        );
      }
      return changed;
    },
  };
  const lock = acquireDataDirLock(dir);
  cleanups.push(() => lock.release());
  const watch = watchDataDir({
    lock,
    ledger,
    intervalMs: 10,
    heartbeatMs: 10,
    onLost: () => void server.close(),
  });
  const config = loadConfig({
    SECMASTER_MODE: 'secmaster',
    SECMASTER_ENDPOINT: emulator.url,
    SECMASTER_PROJECT_ID: DEMO_PROJECT_ID,
    SECMASTER_AUTH_TOKEN: 'full-disk-test',
    BATCH_CONCURRENCY: '1',
    BATCH_CALL_TIMEOUT_MS: '2000',
    DATA_DIR: dir,
  });
  const server = createConsole(config, {
    ledger,
    dataDirLost: () => watch.check(),
    runner: { ledgerWaitMs: 10, ledgerWaitMaxMs: 20 },
  });
  const { app, runner } = server;
  cleanups.push(async () => {
    await server.close();
    watch.stop();
  });
  const healthNow = async () => {
    const res = await app.request('/api/health');
    const body: unknown = await res.json();
    return { code: res.status, body };
  };
  watch.start();
  expect(await healthNow()).toEqual({ code: 200, body: { status: 'ok' } });

  const ids = seedObjectIds(0, 'alerts', 500);
  const batchId = newBatch(ledger, {
    ids,
    subject: seedObjectIds(0, 'incidents', 40)[32] ?? '',
    workspace: SEED_WORKSPACES[0].id,
  }).id;
  const running = runner.start(batchId);
  const deadline = Date.now() + 10_000;
  while (!full || ledger.health.problems().length === 0) {
    if (Date.now() > deadline) throw new Error('the disk never looked full');
    await pause(5);
  }
  // Several waits of the batch, and heartbeats, each failed: none ended anything.
  const waitsBy = Date.now() + 10_000;
  while (runner.stats().ledgerWaits < 3) {
    if (Date.now() > waitsBy) throw new Error('the batch never waited three times');
    await pause(5);
  }
  const degraded = await healthNow();
  expect(degraded.code).toBe(503);
  expect(degraded.body).toEqual({
    status: 'degraded',
    reason: `the disk holding DATA_DIR (${dir}) is full: the ledger cannot be written`,
  });
  expect(ledger.getBatch(batchId)).toMatchObject({ state: 'running' });
  expect(ledger.getBatch(batchId)?.counts.pending).toBeGreaterThan(0);

  full = false;
  real.db.pragma(`max_page_count = ${String(NO_LIMIT)}`);
  await running;
  expect(ledger.getBatch(batchId)).toMatchObject({
    state: 'done',
    state_reason: null,
    counts: { pending: 0, in_flight: 0, unknown: 0 },
  });
  // The next heartbeat's write passes: health is ok again.
  const okBy = Date.now() + 10_000;
  while ((await healthNow()).code !== 200) {
    if (Date.now() > okBy) throw new Error('health never came back');
    await pause(5);
  }
  expect(await healthNow()).toEqual({ code: 200, body: { status: 'ok' } });
  expect(runner.stats().ledgerWaits).toBeGreaterThan(0);
  const report = checkInvariants({ ledger, batchId, inputIds: ids, emulatorDb });
  expect(report.ok, formatReport(report)).toBe(true);
}

test('a really full DATA_DIR (tmpfs) mid-batch: the server stays up, health says the disk is full, the batch waits and finishes once there is room', async () => {
  const base = tempDir('full-disk-');
  const dataDir = join(base, 'data');
  mkdirSync(dataDir);
  const whyNot = mountTmpfs(dataDir, '40m');
  if (whyNot !== null) {
    console.warn(
      `full-disk test: the real tmpfs variant did NOT run (${whyNot}); the simulated variant ran in its place`,
    );
    await simulatedFullDisk();
    return;
  }
  cleanups.push(() => umount(dataDir));
  await realFullDisk(base, dataDir);
}, 60_000);

test('a simulated full disk (max_page_count, injected SQLITE_FULL on the heartbeat), in process: health says full, the batch waits, continues with room', async () => {
  await simulatedFullDisk();
});
