/**
 * Issue 14 with real processes: console servers (`node --import tsx server/main.ts`) sharing one
 * PostgreSQL ledger (DATABASE_URL) and one SecMaster (one emulator process, with a request log that
 * tells the consoles apart by their AK: server/testing/logged-emulator.ts). Short leases (3 s) and
 * call timeouts (1.5 s) so that takeovers are quick.
 *
 * - A console killed (SIGKILL) mid-batch, one of its writes left hanging (never applied): the other
 *   takes the batch over, re-reads what was in flight and finishes it. Every ID accounted for
 *   (I1–I8 on the shared ledger and the emulator), no ID written by the second console without a
 *   re-read after the first's write ended, and a third console answers the history and the
 *   results as the second does.
 * - A console paused (SIGSTOP) past its lease mid-batch: the other takes it over; continued
 *   (SIGCONT), the first sends nothing more at all, and the batch ends with every ID accounted for.
 * - Pause, resume and cancel asked on one console of batches running on another: the states are
 *   the same on both, and nothing is sent after the pause or cancel answered beyond the calls
 *   claimed before it.
 *
 * The tests share one stand (emulator, database, consoles A and B started once; C, the third, is
 * started by the first test and runs the batches of the next two), in order.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  SEED_WORKSPACES,
  openEmulatorDb,
  seedObjectIds,
  type LinkSubject,
} from 'secmaster-emulator';
import type { BatchSummary } from '../../src/api/schemas';
import { formatReport, linkedIds } from '../testing/checker';
import { startLoggedEmulator, type LoggedEmulator } from '../testing/logged-emulator';
import { PgTerminalWatch, checkSharedBatch, claimedCalls } from '../testing/pg-ledger-check';
import { testDatabase } from '../testing/pg-database';
import {
  controlBatch,
  getBatch,
  getText,
  kill9,
  pollBatch,
  pollOutput,
  pollUntil,
  postBatch,
  seededBatch,
} from '../testing/process-harness';
import {
  checkResends,
  observedWrites,
  requestsFor,
  sentAfter,
  unclaimedLateWrites,
} from '../testing/request-log';
import { SharedConsoles, type SharedConsole } from '../testing/shared-consoles';

const LEASE_MS = 3_000;
/** Also the takeover's grace; a hanging write stays open this long (the window to kill A in). */
const CALL_TIMEOUT_MS = 1_500;
/**
 * The account's calls in flight (BATCH_CONCURRENCY: the pool's slot count is set by each console
 * at its start, the last one's wins). A runs 2 workers of the pool's 3: a killed console's slots
 * stay taken until their own lease ends (at least 30 s, shared-upstream.ts), which the taker
 * would wait out before its first call with the same setting on every console (the soak's `--pg`
 * run measures that); here B has the third slot at once.
 */
const CONCURRENCY = 3;
const A_CONCURRENCY = 2;
/** Every write waits this long: a batch of 2,000 IDs lasts a few seconds. */
const LATENCY_MS = 300;
/**
 * With this seed the 7th write of the run hangs (p_hang draws: 6, 31, ...; only writes draw), so
 * console A, the only one sending then, has a write that is never applied in flight when killed.
 */
const FAULTS = { seed: 18, latency_ms: LATENCY_MS, p_hang: 0.1 };

let emulator: LoggedEmulator;
let databaseUrl: string;
let consoles: SharedConsoles;
let A: SharedConsole;
let B: SharedConsole;
let C: SharedConsole | null = null;

beforeAll(async () => {
  databaseUrl = await testDatabase('pgconsoles');
  emulator = await startLoggedEmulator({ seed: { alerts: 2_500 }, faults: FAULTS });
  consoles = new SharedConsoles({
    emulatorUrl: emulator.url,
    databaseUrl,
    leaseMs: LEASE_MS,
    callTimeoutMs: CALL_TIMEOUT_MS,
    concurrency: CONCURRENCY,
  });
  // A first: B's BATCH_CONCURRENCY sets the pool's slot count after A's.
  A = await consoles.start('A', { env: { BATCH_CONCURRENCY: String(A_CONCURRENCY) } });
  B = await consoles.start('B');
}, 90_000);

afterAll(async () => {
  await consoles?.close();
  await emulator?.stop();
}, 30_000);

/** The third console (started by the first test; by whichever test needs it first). */
async function consoleC(): Promise<SharedConsole> {
  C ??= await consoles.start('C');
  return C;
}

function subjectOf(body: ReturnType<typeof seededBatch>): LinkSubject {
  return {
    workspaceId: SEED_WORKSPACES[0].id,
    dataclass: 'incidents',
    objectId: body.data_object_id ?? '',
    related: 'alerts',
  };
}

/** The subject's links before the batch (I8). */
function linkedNow(body: ReturnType<typeof seededBatch>): Set<string> {
  const db = openEmulatorDb(emulator.emulatorFile, { readonly: true });
  try {
    return linkedIds(db, subjectOf(body));
  } finally {
    db.close();
  }
}

/** I1–I8 on the shared ledger, the I5 wire check from the log, and no resend without a re-read. */
async function expectAccounted(
  batch: BatchSummary,
  ids: readonly string[],
  body: ReturnType<typeof seededBatch>,
  watch: PgTerminalWatch,
  linkedBefore: ReadonlySet<string>,
): Promise<ReturnType<typeof checkResends>> {
  const subject = body.data_object_id ?? '';
  const log = emulator.log();
  const { report, figures } = await checkSharedBatch({
    databaseUrl,
    batchId: batch.id,
    inputIds: ids,
    emulatorFile: emulator.emulatorFile,
    watch,
    check: { writes: observedWrites(log, subject), linkedBefore },
  });
  expect(report.ok, formatReport(report)).toBe(true);
  expect(figures.counts).toMatchObject({ pending: 0, in_flight: 0, unknown: 0, failed: 0 });
  const resends = checkResends(log, subject);
  expect(resends.ok, resends.detail).toBe(true);
  return resends;
}

/** A console's answer to `path` once the other's is the same (the ledger is the same). */
async function sameAnswer(p: SharedConsole, q: SharedConsole, path: string): Promise<string> {
  const [a, b] = await Promise.all([getText(p.url, path), getText(q.url, path)]);
  expect(a.status, `${p.name} ${path}`).toBe(200);
  expect(b.status, `${q.name} ${path}`).toBe(200);
  expect(a.text, `${p.name} and ${q.name} answer ${path} differently`).toBe(b.text);
  return a.text;
}

test('SIGKILL of the console running a batch: the other takes it over, re-reads what was in flight, finishes it; a third console answers the history and the results as it does', async () => {
  const ids = seedObjectIds(0, 'alerts', 2_000);
  const body = seededBatch(ids, 5);
  const subject = body.data_object_id ?? '';
  const linkedBefore = linkedNow(body);
  const batch = await postBatch(A.url, body);
  const watch = new PgTerminalWatch(databaseUrl, batch.id);
  watch.start();
  try {
    // A write of A hanging (open well past the latency): never applied; killed with it in flight.
    const hung = await pollUntil(
      'a hanging write of console A',
      () => {
        const open = requestsFor(emulator.log(), subject).find(
          (r) =>
            r.ak === A.ak &&
            r.op === 'write' &&
            r.end === null &&
            Date.now() - r.at > LATENCY_MS + 200,
        );
        return open;
      },
      30_000,
    );
    const killedAt = Date.now();
    await kill9(A);
    // Once B holds the batch, the third console starts meanwhile (it cannot claim it from a live B).
    await pollOutput(B, new RegExp(`batch ${batch.id}: lease claimed`), 20_000);
    const third = consoleC();
    const done = await pollBatch(B.url, batch.id, (b) => b.state !== 'running', 40_000);
    expect(done.state).toBe('done');
    await watch.stop();

    const log = requestsFor(emulator.log(), subject);
    // A ran it until the kill, B after: each sent writes.
    expect(log.filter((r) => r.ak === A.ak && r.op === 'write').length).toBeGreaterThan(0);
    expect(log.some((r) => r.ak === B.ak && r.op === 'write' && r.at > killedAt)).toBe(true);
    expect(log.some((r) => r.ak === B.ak && r.at < killedAt)).toBe(false);
    const resends = await expectAccounted(done, ids, body, watch, linkedBefore);
    // The hanging write's IDs (not applied) were sent again by B, each after a re-read of it.
    expect(resends.resentAcross).toBeGreaterThanOrEqual(hung.ids.length);

    // Another console (never involved) answers as B does: the history, the batch, its results.
    const c = await third;
    const history = await sameAnswer(B, c, '/api/batches?limit=100');
    expect(history).toContain(batch.id);
    await sameAnswer(B, c, `/api/batches/${batch.id}`);
    const items = await sameAnswer(B, c, `/api/batches/${batch.id}/items?limit=1000&offset=1000`);
    expect(items).toContain(ids[1999]);
    await sameAnswer(B, c, `/api/batches/${batch.id}/export?format=json`);
  } finally {
    await watch.stop();
  }
}, 90_000);

test('SIGSTOP of the console running a batch past its lease: the other takes it over; continued, the first sends nothing more, and every ID is accounted for', async () => {
  const c = await consoleC();
  const ids = seedObjectIds(0, 'alerts', 1_500);
  const body = seededBatch(ids, 6);
  const subject = body.data_object_id ?? '';
  const linkedBefore = linkedNow(body);
  const batch = await postBatch(c.url, body);
  const watch = new PgTerminalWatch(databaseUrl, batch.id);
  watch.start();
  let stopped = false;
  try {
    await pollUntil(
      "console C's writes on the wire",
      () =>
        requestsFor(emulator.log(), subject).filter((r) => r.ak === c.ak && r.op === 'write')
          .length >= 3
          ? true
          : undefined,
      30_000,
    );
    c.child.kill('SIGSTOP');
    stopped = true;
    // B claims it once the lease has expired (a claim round every lease/3).
    await pollOutput(B, new RegExp(`batch ${batch.id}: lease claimed`), 20_000);
    const continuedAt = Date.now();
    c.child.kill('SIGCONT');
    stopped = false;
    // C finds its lease lost as soon as it runs again.
    await pollOutput(c, new RegExp(`batch ${batch.id}: lease lost`), 10_000);
    const done = await pollBatch(B.url, batch.id, (b) => b.state !== 'running', 40_000);
    expect(done.state).toBe('done');
    // C answers (its event loop has run since) and reads the same batch.
    expect((await getBatch(c.url, batch.id)).state).toBe('done');
    await watch.stop();

    const after = sentAfter(emulator.log(), c.ak, continuedAt);
    expect(after.map((r) => `#${r.n} ${r.method} ${r.op} ${r.ids.length} IDs`)).toEqual([]);
    expect(
      requestsFor(emulator.log(), subject).some((r) => r.ak === B.ak && r.op === 'write'),
    ).toBe(true);
    await expectAccounted(done, ids, body, watch, linkedBefore);
    await sameAnswer(B, c, `/api/batches/${batch.id}`);
  } finally {
    if (stopped) c.child.kill('SIGCONT');
    await watch.stop();
  }
}, 90_000);

test('pause and resume on one console of a batch running on another, cancel of another: the same states on both, nothing sent after the answer beyond what was claimed before', async () => {
  const c = await consoleC();
  const writesOf = (subject: string) =>
    requestsFor(emulator.log(), subject).filter((r) => r.op === 'write');

  // --- pause on B of a batch running on C, then resume on B ---
  const pIds = seedObjectIds(0, 'alerts', 1_200);
  const pBody = seededBatch(pIds, 7);
  const pSubject = pBody.data_object_id ?? '';
  const pLinked = linkedNow(pBody);
  const p = await postBatch(c.url, pBody);
  const pWatch = new PgTerminalWatch(databaseUrl, p.id);
  pWatch.start();
  try {
    await pollUntil(
      "console C's writes of the first batch",
      () => (writesOf(pSubject).filter((r) => r.ak === c.ak).length >= 2 ? true : undefined),
      30_000,
    );
    const paused = await controlBatch(B.url, p.id, 'pause');
    const pauseAckAt = Date.now();
    expect(paused.status).toBe(200);
    expect(paused.batch?.state).toBe('paused');
    // Both read it paused; what was in flight on C is recorded by C.
    const pausedB = await pollBatch(B.url, p.id, (b) => b.counts.in_flight === 0, 10_000);
    expect(pausedB.state).toBe('paused');
    expect((await getBatch(c.url, p.id)).state).toBe('paused');
    expect(pausedB.counts.pending).toBeGreaterThan(0);
    const sentWhilePaused = writesOf(pSubject).length;
    const beforeResume = writesOf(pSubject);
    const resumedAt = Date.now();
    const resumed = await controlBatch(B.url, p.id, 'resume');
    // Between the pause's answer and the resume: only sends of calls claimed before the answer.
    expect(
      unclaimedLateWrites(beforeResume, await claimedCalls(databaseUrl, p.id), pauseAckAt),
    ).toEqual([]);
    expect(beforeResume.every((r) => r.at < resumedAt)).toBe(true);
    expect(resumed.status).toBe(200);
    expect(resumed.batch?.state).toBe('running');
    const pDone = await pollBatch(B.url, p.id, (b) => b.state !== 'running', 40_000);
    expect(pDone.state).toBe('done');
    expect((await getBatch(c.url, p.id)).state).toBe('done');
    expect(writesOf(pSubject).length).toBeGreaterThan(sentWhilePaused);
    await pWatch.stop();
    await expectAccounted(pDone, pIds, pBody, pWatch, pLinked);
    await sameAnswer(B, c, `/api/batches/${p.id}`);
  } finally {
    await pWatch.stop();
  }

  // --- cancel on B of a batch running on C ---
  const qIds = seedObjectIds(0, 'alerts', 1_200).slice(200);
  const qBody = seededBatch(qIds, 8);
  const qSubject = qBody.data_object_id ?? '';
  const q = await postBatch(c.url, qBody);
  await pollUntil(
    "console C's writes of the second batch",
    () => (writesOf(qSubject).filter((r) => r.ak === c.ak).length >= 2 ? true : undefined),
    30_000,
  );
  const cancelled = await controlBatch(B.url, q.id, 'stop');
  const cancelAckAt = Date.now();
  expect(cancelled.status).toBe(200);
  expect(cancelled.batch?.state).toBe('cancelled');
  // Whatever was in flight is settled (by C, or re-read by whoever claims it): nothing left open.
  const qEnd = await pollBatch(
    B.url,
    q.id,
    (b) => b.counts.in_flight + b.counts.unknown + b.counts.pending === 0,
    20_000,
  );
  expect(qEnd.state).toBe('cancelled');
  expect(qEnd.counts.skipped).toBeGreaterThan(0);
  expect((await getBatch(c.url, q.id)).state).toBe('cancelled');
  await sameAnswer(B, c, `/api/batches/${q.id}`);
  const late = writesOf(qSubject).filter((r) => r.at > cancelAckAt);
  expect(late.length).toBeLessThanOrEqual(CONCURRENCY);
  expect(
    unclaimedLateWrites(writesOf(qSubject), await claimedCalls(databaseUrl, q.id), cancelAckAt),
  ).toEqual([]);
  const { report } = await checkSharedBatch({
    databaseUrl,
    batchId: q.id,
    inputIds: qIds,
    emulatorFile: emulator.emulatorFile,
    check: { writes: observedWrites(emulator.log(), qSubject) },
  });
  expect(report.ok, formatReport(report)).toBe(true);
  expect(checkResends(emulator.log(), qSubject).ok).toBe(true);
}, 90_000);
