/**
 * F10, one server per DATA_DIR, with real server processes (docs/operations.md, "One server per
 * DATA_DIR"): a live holder never loses the DATA_DIR (not when suspended past any heartbeat, not
 * to a server whose clock is ahead); a start that fails, refused or not, changes nothing in the
 * ledger; a holder killed with -9 frees it at once; a holder that finds its lock gone stops sending
 * at once and says so. Every batch ends with every ID accounted for and sent once (I1–I5).
 */
import { afterEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { seedObjectIds } from 'secmaster-emulator';
import {
  health,
  kill9,
  ledgerDump,
  pollBatch,
  pollHealth,
  postBatch,
  startServer,
  stopServer,
  type ServerProcess,
  seededBatch,
} from '../testing/process-harness';
import { expectAccounted } from '../testing/accounted';

const procs: ServerProcess[] = [];
const blockers: Server[] = [];
let dir = '';
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.signalCode === null && p.child.exitCode === null) p.child.kill('SIGCONT');
    await stopServer(p);
  }
  for (const b of blockers.splice(0)) await new Promise((r) => b.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

/**
 * Slow enough that a batch of a few hundred IDs is still running a second or two after its start,
 * with one call in flight (the servers below set BATCH_CONCURRENCY 1: the default lets the pacer
 * run 8 at once, and the batch would end before the fault these tests make).
 */
const SLOW = JSON.stringify({ seed: 5, latency_ms: 120 });
const CLOCK_SKEW = ['--import', './server/batches/clock-skew.ts'];

/** How many calls (writes) the ledger records: sent ones, whatever their answer. */
function callCount(dataDir: string): number {
  const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true });
  try {
    return z.object({ n: z.number() }).parse(db.prepare('SELECT COUNT(*) AS n FROM calls').get()).n;
  } finally {
    db.close();
  }
}

const holderRow = z.object({ token: z.string(), pid: z.number(), host: z.string() });

function holder(dataDir: string): z.infer<typeof holderRow> | null {
  const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true });
  try {
    const row = db.prepare('SELECT token, pid, host FROM runner_lock WHERE one = 1').get();
    return row === undefined ? null : holderRow.parse(row);
  } finally {
    db.close();
  }
}

/** Waits (short polls) until the server has printed a line matching `pattern`. */
async function pollOutput(p: ServerProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(p.output())) {
    if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A start that must be refused: its exit code and what it printed. */
async function refusedStart(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<string> {
  const started = startServer(env, { nodeArgs, startTimeoutMs: 30_000 });
  const error = await started.then(
    (p) => {
      procs.push(p);
      return null;
    },
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  expect(error, 'the second server started').not.toBeNull();
  return error ?? '';
}

test('a second server while the first runs — on its port, or with a clock 20 s ahead — exits 3, names the first, and changes nothing', async () => {
  dir = mkdtempSync(join(tmpdir(), 'two-servers-'));
  const first = await startServer({ DATA_DIR: dir });
  procs.push(first);
  const ids = seedObjectIds(0, 'alerts', 150);
  const batch = await postBatch(first.url, seededBatch(ids, 20));
  await pollBatch(first.url, batch.id, (b) => b.state === 'done', 20_000);
  const row = holder(dir);
  expect(row?.pid).toBe(first.child.pid);
  // The first rewrites the heartbeat column of its row on its own; nothing else may change.
  const before = ledgerDump(dir, ['runner_lock.heartbeat_at']);
  const port = new URL(first.url).port;

  // On the first's port: refused for the DATA_DIR before it even tries to listen.
  const samePort = await refusedStart({ DATA_DIR: dir, PORT: port });
  expect(samePort).toMatch(/server exited \(3\)/);
  expect(samePort).toContain(`is running batches from this DATA_DIR (${dir})`);
  expect(samePort).toContain(`pid ${String(first.child.pid)}`);
  expect(ledgerDump(dir, ['runner_lock.heartbeat_at'])).toBe(before);

  // A clock 20 s ahead sees the first's heartbeat as 20 s old: no matter, time is not the arbiter.
  const ahead = await refusedStart({ DATA_DIR: dir, CLOCK_SKEW_MS: '20000' }, CLOCK_SKEW);
  expect(ahead).toMatch(/server exited \(3\)[\s\S]*is running batches from this DATA_DIR/);
  expect(ledgerDump(dir, ['runner_lock.heartbeat_at'])).toBe(before);
  expect(holder(dir)).toEqual(row);

  expect(await health(first.url)).toMatchObject({ code: 200, status: 'ok' });
}, 40_000);

test('the first suspended (SIGSTOP), its heartbeat 20 s old to the second, keeps the DATA_DIR: a second server exits 3 and writes nothing; resumed, the first finishes its batch alone', async () => {
  dir = mkdtempSync(join(tmpdir(), 'two-servers-'));
  const env = { DATA_DIR: dir, EMULATOR_FAULTS: SLOW, BATCH_CONCURRENCY: '1' };
  const first = await startServer(env);
  procs.push(first);
  const ids = seedObjectIds(0, 'alerts', 400);
  const batch = await postBatch(first.url, seededBatch(ids, 21));
  await pollBatch(
    first.url,
    batch.id,
    (b) => b.counts.succeeded + b.counts.unchanged >= 100,
    20_000,
  );

  first.child.kill('SIGSTOP');
  // The first is frozen: the ledger's bytes cannot change unless the second writes. The second's
  // clock runs 20 s ahead, so the frozen first's last heartbeat looks 20 s old to it — past the
  // 15 s after which the old heartbeat row was taken over — without waiting for it.
  const before = ledgerDump(dir);
  const second = await refusedStart({ ...env, CLOCK_SKEW_MS: '20000' }, CLOCK_SKEW);
  expect(second).toMatch(/server exited \(3\)[\s\S]*is running batches from this DATA_DIR/);
  expect(ledgerDump(dir)).toBe(before);

  first.child.kill('SIGCONT');
  const done = await pollBatch(first.url, batch.id, (b) => b.state !== 'running', 30_000);
  expect(done.state).toBe('done');
  expect(await health(first.url)).toMatchObject({ code: 200, status: 'ok' });
  await stopServer(first);
  expectAccounted(dir, batch.id, ids);
}, 60_000);

test('a start that fails to listen (port in use) changes nothing; after kill -9 of the holder a new server starts and finishes the batch', async () => {
  dir = mkdtempSync(join(tmpdir(), 'two-servers-'));
  const env = { DATA_DIR: dir, EMULATOR_FAULTS: SLOW, BATCH_CONCURRENCY: '1' };
  const first = await startServer(env);
  procs.push(first);
  const ids = seedObjectIds(0, 'alerts', 600);
  const batch = await postBatch(first.url, seededBatch(ids, 22));
  await pollBatch(
    first.url,
    batch.id,
    (b) => b.counts.succeeded + b.counts.unchanged >= 100,
    20_000,
  );
  await kill9(first);
  const before = ledgerDump(dir);

  const blocker = createServer();
  blockers.push(blocker);
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const busyPort = String((blocker.address() as AddressInfo).port);
  const failed = await refusedStart({ ...env, PORT: busyPort });
  expect(failed).toMatch(/server exited \(1\)[\s\S]*EADDRINUSE/);
  // Not the holder row, not the running batch, not its calls in flight: nothing.
  expect(ledgerDump(dir)).toBe(before);

  const next = await startServer(env);
  procs.push(next);
  const done = await pollBatch(next.url, batch.id, (b) => b.state !== 'running', 30_000);
  expect(done.state).toBe('done');
  expect(holder(dir)?.pid).toBe(next.child.pid);
  await stopServer(next);
  expectAccounted(dir, batch.id, ids);
}, 60_000);

test('the lock file removed under a running server: it stops sending at once and says so in /api/health; a new server takes over and finishes', async () => {
  dir = mkdtempSync(join(tmpdir(), 'two-servers-'));
  const env = { DATA_DIR: dir, EMULATOR_FAULTS: SLOW, BATCH_CONCURRENCY: '1' };
  const first = await startServer(env);
  procs.push(first);
  const ids = seedObjectIds(0, 'alerts', 1000);
  const batch = await postBatch(first.url, seededBatch(ids, 23));
  await pollBatch(
    first.url,
    batch.id,
    (b) => b.counts.succeeded + b.counts.unchanged >= 100,
    20_000,
  );

  rmSync(join(dir, 'console.lock'));
  const lost = await pollHealth(first.url, (h) => h.code !== 200, 5_000);
  expect(lost).toMatchObject({ code: 503, status: 'degraded' });
  expect(lost.reason).toMatch(/lost its DATA_DIR lock \(.*console\.lock was removed\)/);
  // Calls already sent are recorded; no new one is sent, and the batch is left running for the
  // server that holds the DATA_DIR next.
  // The runner said it stopped sending, and what it had sent is recorded: from then on no call
  // can start (the lock is asked before every send).
  await pollOutput(first, /lost its DATA_DIR lock \([^)]*\): it sends nothing more/, 5_000);
  // A call answered meanwhile is recorded. One claimed but not yet sent when the lock went (the
  // lock is asked again just before the send) is never sent and stays in flight, as after a
  // crash: the next server re-reads it. So: wait until nothing in flight is left to answer (no
  // change for well over a call's 120 ms latency).
  let last = '';
  let sameSince = Date.now();
  await pollBatch(
    first.url,
    batch.id,
    (b) => {
      const now = JSON.stringify(b.counts);
      if (now !== last) [last, sameSince] = [now, Date.now()];
      return b.counts.in_flight === 0 || Date.now() - sameSince > 2_000;
    },
    10_000,
  );
  const calls = callCount(dir);
  expect((await health(first.url)).status).toBe('degraded');
  expect(callCount(dir)).toBe(calls);
  expect(first.child.exitCode).toBeNull();
  const left = await pollBatch(first.url, batch.id, () => true, 1_000);
  expect(left.state).toBe('running');
  expect(left.counts.pending).toBeGreaterThan(0);
  // It records nothing more: a new batch (or a resume, pause, stop) is refused with the reason.
  const refused = await fetch(`${first.url}/api/batches`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'test' },
    body: JSON.stringify(seededBatch(seedObjectIds(0, 'alerts', 5), 23)),
  });
  expect(refused.status).toBe(503);
  expect(((await refused.json()) as { code: string }).code).toBe('DATA_DIR_LOST');
  const paused = await fetch(`${first.url}/api/batches/${batch.id}/pause`, {
    method: 'POST',
    headers: { 'X-Requested-With': 'test' },
  });
  expect(paused.status).toBe(503);
  expect(await pollBatch(first.url, batch.id, () => true, 1_000)).toMatchObject({
    state: 'running',
  });

  const next = await startServer(env);
  procs.push(next);
  const done = await pollBatch(next.url, batch.id, (b) => b.state !== 'running', 30_000);
  expect(done.state).toBe('done');
  await stopServer(next);
  await stopServer(first);
  expectAccounted(dir, batch.id, ids);
}, 60_000);
