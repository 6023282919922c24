/**
 * F8 disk errors against the real emulator over loopback HTTP: the
 * ledger fails with a real SQLITE_FULL (`PRAGMA max_page_count`; a read-only DATA_DIR does not stop
 * root), a real SQLITE_BUSY (another connection holding the write lock), or errors injected at the
 * ledger layer. Asserts: no upstream write without a committed intent; on a full disk or a write
 * lock the batch waits (still `running`, the reason in its state and in the ledger's health) and
 * continues by itself once writes pass; on other errors it is `interrupted` with the reason; I1–I5
 * after the disk is fixed. Deterministic: the faults are keyed on call counts, no sleeps. The real
 * server process on a really full file system: full-disk.test.ts.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { DEMO_PROJECT_ID } from '../config';
import {
  startEmulator,
  type RunningEmulator,
  openEmulatorDb,
  SEED_WORKSPACES,
  seedEmulator,
  seedObjectIds,
  seededRandom,
} from 'secmaster-emulator';
import { createUpstream, type Upstream } from '../secmaster/client';
import { checkInvariants, formatReport, linkedIds, type ObservedWrite } from '../testing/checker';
import { newBatch } from '../testing/batches';
import { openLedger, type Ledger } from './ledger';
import { createRunner, onSqlite, type Runner, type RunnerOptions } from './engine/runner';

const WS = SEED_WORKSPACES[0].id;
const ALERTS = seedObjectIds(0, 'alerts', 600);
const INCIDENTS = seedObjectIds(0, 'incidents', 40);
const instant = () => Promise.resolve();
const NO_LIMIT = 1_073_741_823;

interface Harness {
  file: string;
  /** The ledger as the test sees it (unwrapped). */
  ledger: Ledger;
  runner: Runner;
  upstream: Upstream;
  emulatorDb: ReturnType<typeof openEmulatorDb>;
  writes: ObservedWrite[];
  /** Write sends are held while this returns a promise. */
  gate: { hold: ((n: number) => Promise<void> | null) | null };
  /** Replaces an answer before the network. */
  inject: { answer: ((n: number) => Response | null) | null };
  /** A new runner on a reopened ledger file (a server restart), wrapped like the first. */
  restart(): Ledger;
  close(): Promise<void>;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  throw new Error('unexpected request body type');
}

const open: Harness[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

async function harness(
  opts: { wrap?: (l: Ledger) => Ledger; runner?: Partial<RunnerOptions> } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'disk-faults-'));
  const file = join(dir, 'ledger.sqlite');
  const emulatorDb = openEmulatorDb(':memory:');
  seedEmulator(emulatorDb, { alerts: 600, incidents: 40, indicators: 20 });
  const emulator: RunningEmulator = await startEmulator({
    db: emulatorDb,
    projectId: DEMO_PROJECT_ID,
    port: 0,
  });
  const writes: ObservedWrite[] = [];
  const gate: Harness['gate'] = { hold: null };
  const inject: Harness['inject'] = { answer: null };
  let clock = 0;
  const fetchImpl: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const url = String(input instanceof Request ? input.url : input);
    if ((method === 'POST' || method === 'DELETE') && !url.endsWith('/search')) {
      const ids = (JSON.parse(bodyText(init?.body)) as { ids: string[] }).ids;
      const n = writes.push({ at: ++clock, ids });
      const answer = inject.answer?.(n);
      if (answer) return answer;
      const held = gate.hold?.(n);
      if (held) await held;
    }
    return fetch(input, init);
  };
  const upstream = createUpstream({
    endpoint: emulator.url,
    projectId: DEMO_PROJECT_ID,
    timeoutMs: 2_000,
    fetchImpl,
  });
  const wrap = opts.wrap ?? ((l: Ledger) => l);
  const makeRunner = (l: Ledger) =>
    createRunner({
      ...onSqlite(wrap(l)),
      upstream,
      concurrency: 1,
      sleep: instant,
      random: seededRandom('disk'),
      ...opts.runner,
    });
  const ledger = openLedger(file);
  const h: Harness = {
    file,
    ledger,
    runner: makeRunner(ledger),
    upstream,
    emulatorDb,
    writes,
    gate,
    inject,
    restart() {
      h.ledger.close();
      h.ledger = openLedger(file);
      h.runner = makeRunner(h.ledger);
      return h.ledger;
    },
    async close() {
      await h.runner.stop();
      await emulator.close();
      h.ledger.close();
      emulatorDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.push(h);
  return h;
}

function createBatch(ledger: Ledger, ids: readonly string[], subject: string): string {
  return newBatch(ledger, { ids, subject, workspace: WS }).id;
}

function subjectAt(i: number): string {
  const s = INCIDENTS[i];
  if (!s) throw new Error('seed');
  return s;
}

/** How many of `ids` the emulator links to the subject. */
function linkedCount(h: Harness, subject: string, ids: readonly string[]): number {
  const linked = linkedIds(h.emulatorDb, {
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: subject,
    related: 'alerts',
  });
  return ids.filter((x) => linked.has(x.toLowerCase())).length;
}

/**
 * `n` alerts from `from` on that are not linked to the subject: the runner records linked ones as
 * unchanged without sending them, and these tests count the writes.
 */
function unlinked(h: Harness, subject: string, from: number, n: number): string[] {
  const linked = linkedIds(h.emulatorDb, {
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: subject,
    related: 'alerts',
  });
  const out = ALERTS.slice(from)
    .filter((x) => !linked.has(x.toLowerCase()))
    .slice(0, n);
  if (out.length < n) throw new Error('seed: not enough unlinked alerts');
  return out;
}

const callIdsRow = z.object({ ids_json: z.string() });

/**
 * No upstream write without a committed intent: every write on the wire matches a call row that a
 * second connection reads from the file (so it was committed, not just pending in the runner's
 * connection), and there are no more writes than call rows.
 */
function expectEveryWriteHasIntent(h: Harness): void {
  const reader = new Database(h.file, { readonly: true });
  try {
    const committed = reader
      .prepare('SELECT ids_json FROM calls')
      .all()
      .map((r) => JSON.stringify((JSON.parse(callIdsRow.parse(r).ids_json) as string[]).sort()));
    const left = [...committed];
    const orphans = h.writes.filter((w) => {
      const i = left.indexOf(JSON.stringify([...w.ids].sort()));
      if (i < 0) return true;
      left.splice(i, 1);
      return false;
    });
    expect(orphans, 'writes sent without a committed intent').toEqual([]);
    expect(h.writes.length).toBeLessThanOrEqual(committed.length);
  } finally {
    reader.close();
  }
}

function expectInvariants(h: Harness, batchId: string, ids: readonly string[]): void {
  const report = checkInvariants({
    ledger: h.ledger,
    batchId,
    inputIds: ids,
    emulatorDb: h.emulatorDb,
    writes: h.writes.filter((w) => w.ids.every((x) => ids.includes(x))),
  });
  expect(report.ok, formatReport(report)).toBe(true);
}

function fullDisk(db: Ledger['db']): void {
  const pages = db.pragma('page_count', { simple: true });
  db.pragma(`max_page_count = ${String(pages)}`);
}

function sqliteError(code: string): Error {
  return new Database.SqliteError(`injected ${code}`, code);
}

/** The runner's pause while it waits for the ledger: recognisable in the `sleep` hook. */
const LEDGER_WAIT_MS = 7;

/** What a batch waiting for the ledger looked like, seen from the first pause of its wait. */
interface WaitSnapshot {
  state: string | undefined;
  stateReason: string | null | undefined;
  counts: Record<string, number> | undefined;
  writes: number;
  health: string[];
}

/**
 * Runner options under which the first pause of a ledger wait takes a snapshot, then runs `fix`
 * (frees the disk, lets go of the lock): the batch must continue by itself, with no resume.
 */
function waitThenFix(
  h: () => Harness,
  batchId: () => string,
  fix: () => void,
  seen: WaitSnapshot[],
): Partial<RunnerOptions> {
  return {
    ledgerWaitMs: LEDGER_WAIT_MS,
    ledgerWaitMaxMs: LEDGER_WAIT_MS,
    sleep: (ms) => {
      if (ms === LEDGER_WAIT_MS && seen.length === 0) {
        const b = h().ledger.getBatch(batchId());
        seen.push({
          state: b?.state,
          stateReason: b?.state_reason,
          counts: b?.counts,
          writes: h().writes.length,
          health: h().ledger.health.problems(),
        });
        fix();
      }
      return instant();
    },
  };
}

describe('F8 SQLITE_FULL (PRAGMA max_page_count) on the ledger: the batch waits, then continues by itself', () => {
  test('on the intent: the chunk is not sent, the batch waits (health says the disk is full); room again → drains, I1–I5', async () => {
    let outcomes = 0;
    let id = '';
    const seen: WaitSnapshot[] = [];
    const h: Harness = await harness({
      // The real disk fills right after the second outcome commits: the third claim (T1) fails.
      wrap: (l) => ({
        ...l,
        async queueOutcome(...args) {
          const changed = await l.queueOutcome(...args);
          if (++outcomes === 2) fullDisk(l.db);
          return changed;
        },
      }),
      runner: waitThenFix(
        () => h,
        () => id,
        () => h.ledger.db.pragma(`max_page_count = ${String(NO_LIMIT)}`),
        seen,
      ),
    });
    const subject = subjectAt(1);
    const ids = unlinked(h, subject, 0, 500);
    id = createBatch(h.ledger, ids, subject);
    await h.runner.start(id);

    // While the disk was full: still running (resumable, nothing to click), T1 rolled back as a
    // whole (no half-claimed chunk), nothing sent without an intent, and the reason said.
    const [wait] = seen;
    expect(wait?.state).toBe('running');
    expect(wait?.counts).toMatchObject({ succeeded: 200, pending: 300, in_flight: 0, unknown: 0 });
    expect(wait?.writes).toBe(2);
    expect(wait?.stateReason).toMatch(/^waiting: the disk holding DATA_DIR \(.+\) is full/);
    expect(wait?.stateReason).toContain('continues by itself');
    expect(wait?.health).toEqual([
      `the disk holding DATA_DIR (${dirname(h.file)}) is full: the ledger cannot be written`,
    ]);

    expect(h.ledger.getBatch(id)).toMatchObject({ state: 'done', state_reason: null });
    expect(h.ledger.getBatch(id)?.counts.succeeded).toBe(500);
    expect(h.writes).toHaveLength(5);
    expect(h.ledger.health.problems()).toEqual([]);
    expect(h.runner.stats().ledgerWaits).toBe(1);
    expectEveryWriteHasIntent(h);
    expectInvariants(h, id, ids);
  });

  for (const at of [1, 3]) {
    test(`on the outcome: the disk fills while call ${String(at)} is in flight; its IDs stay in_flight while the batch waits, then are re-read, none sent twice`, async () => {
      let id = '';
      const seen: WaitSnapshot[] = [];
      const h: Harness = await harness({
        runner: waitThenFix(
          () => h,
          () => id,
          () => h.ledger.db.pragma(`max_page_count = ${String(NO_LIMIT)}`),
          seen,
        ),
      });
      h.gate.hold = (n) => {
        if (n === at) fullDisk(h.ledger.db);
        return null;
      };
      const ids = unlinked(h, subjectAt(2 + at), 0, 500);
      id = createBatch(h.ledger, ids, subjectAt(2 + at));
      await h.runner.start(id);
      // T2 needed a new page and failed; the applied call's intent is committed, its IDs in flight.
      // So is the next call's if the window's second worker (WORKERS_PER_SLOT) claimed it before
      // the disk filled (else its T1 rolled back); it may have been sent as call `at` ended, before
      // its outcome failed. Nothing more is sent, and no ID sent is pending.
      const [wait] = seen;
      expect(wait?.state).toBe('running');
      const inFlight = wait?.counts?.in_flight ?? 0;
      expect([100, 200]).toContain(inFlight);
      expect(wait?.counts).toMatchObject({ succeeded: 100 * (at - 1) });
      expect([at, at + 1]).toContain(wait?.writes);
      expect((wait?.writes ?? 0) * 100).toBeLessThanOrEqual(100 * (at - 1) + inFlight);
      expect(wait?.health.join('\n')).toContain(
        `the disk holding DATA_DIR (${dirname(h.file)}) is full`,
      );

      expect(h.ledger.getBatch(id)?.state).toBe('done');
      expect(h.ledger.getBatch(id)?.counts.succeeded).toBe(500);
      expect(h.writes).toHaveLength(5);
      const items = h.ledger.listItems(id, { offset: 0, limit: 600 }).items;
      expect(items.every((i) => i.attempts === 1)).toBe(true);
      expect(h.ledger.health.problems()).toEqual([]);
      expectEveryWriteHasIntent(h);
      expectInvariants(h, id, ids);
    });
  }

  test('pause while the batch waits for the disk: it stays paused with its IDs pending; resume drains', async () => {
    let id = '';
    let outcomes = 0;
    const h: Harness = await harness({
      wrap: (l) => ({
        ...l,
        async queueOutcome(...args) {
          const changed = await l.queueOutcome(...args);
          if (++outcomes === 1) fullDisk(l.db);
          return changed;
        },
      }),
      runner: {
        ledgerWaitMs: LEDGER_WAIT_MS,
        sleep: (ms) => {
          if (ms === LEDGER_WAIT_MS && h.ledger.getBatchState(id) === 'running') {
            // The user pauses; a pause is a small write that a full disk may still take.
            return h.runner.pause(id).then((paused) => {
              expect(paused).toBe(true);
            });
          }
          return instant();
        },
      },
    });
    const ids = unlinked(h, subjectAt(8), 0, 300);
    id = createBatch(h.ledger, ids, subjectAt(8));
    await h.runner.start(id);
    // The second call was claimed (WORKERS_PER_SLOT) and sent before the disk filled; its outcome
    // was committed with the first's, or could not be written (in flight, re-read on resume).
    // Nothing more was sent.
    const paused = h.ledger.getBatch(id);
    expect(paused).toMatchObject({ state: 'paused', counts: { pending: 100 } });
    expect((paused?.counts.succeeded ?? 0) + (paused?.counts.in_flight ?? 0)).toBe(200);
    expect(h.writes).toHaveLength(2);
    expect(h.ledger.health.problems()).toEqual([]); // it no longer waits: nothing to report
    h.ledger.db.pragma(`max_page_count = ${String(NO_LIMIT)}`);
    expect(await h.runner.resume(id)).toBe(true);
    await h.runner.whenIdle(id);
    expect(h.ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 300 } });
    expectEveryWriteHasIntent(h);
    expectInvariants(h, id, ids);
  });
});

describe('F8 another process holds the ledger write lock longer than busy_timeout (SQLITE_BUSY)', () => {
  test('nothing is sent while it holds it, health names the lock; let go → the batch continues by itself', async () => {
    let id = '';
    let outcomes = 0;
    const seen: WaitSnapshot[] = [];
    let other: Database.Database | null = null;
    const h: Harness = await harness({
      wrap: (l) => ({
        ...l,
        async queueOutcome(...args) {
          const changed = await l.queueOutcome(...args);
          if (++outcomes === 1) {
            // An operator's sqlite3 shell: BEGIN IMMEDIATE and nothing more.
            other = new Database(h.file);
            other.exec('BEGIN IMMEDIATE');
          }
          return changed;
        },
      }),
      runner: waitThenFix(
        () => h,
        () => id,
        () => {
          other?.exec('COMMIT');
          other?.close();
        },
        seen,
      ),
    });
    // The 5 s of busy_timeout would stall this test; the code path is the same at 50 ms.
    h.ledger.db.pragma('busy_timeout = 50');
    const ids = unlinked(h, subjectAt(9), 0, 300);
    id = createBatch(h.ledger, ids, subjectAt(9));
    await h.runner.start(id);
    // The second call was claimed (WORKERS_PER_SLOT) and sent before the lock was taken; its
    // outcome was committed with the first's, or is not yet (in flight). Nothing was sent while
    // the lock was held.
    const [wait] = seen;
    expect(wait?.state).toBe('running');
    expect(wait?.counts).toMatchObject({ pending: 100 });
    expect((wait?.counts?.succeeded ?? 0) + (wait?.counts?.in_flight ?? 0)).toBe(200);
    expect(wait?.writes).toBe(2);
    expect(wait?.health).toEqual([
      `another process holds a write lock on the ledger (${h.file}): nothing can be recorded until it lets go`,
    ]);
    expect(h.ledger.getBatch(id)).toMatchObject({
      state: 'done',
      state_reason: null,
      counts: { succeeded: 300 },
    });
    expect(h.writes).toHaveLength(3);
    expect(h.ledger.health.problems()).toEqual([]);
    expectEveryWriteHasIntent(h);
    expectInvariants(h, id, ids);
  });
});

test('F8 a restart on a full disk: start-up recovery waits (health says so), then resumes the batch by itself', async () => {
  let recoveries = 0;
  const healthAtWaits: string[][] = [];
  let h: Harness | null = null;
  h = await harness({
    wrap: (l) => ({
      ...l,
      recoverAfterCrash() {
        if (++recoveries <= 2) throw sqliteError('SQLITE_FULL');
        return l.recoverAfterCrash();
      },
    }),
    runner: {
      ledgerWaitMs: LEDGER_WAIT_MS,
      sleep: (ms) => {
        if (ms >= LEDGER_WAIT_MS && h) healthAtWaits.push(h.ledger.health.problems());
        return instant();
      },
    },
  });
  const subject = subjectAt(14);
  const ids = unlinked(h, subject, 0, 150);
  const id = createBatch(h.ledger, ids, subject);
  let firstRuns = 0;
  await h.runner.resumeAll(() => {
    firstRuns++;
  });
  expect(firstRuns).toBe(3); // run again with the recovery each time
  expect(healthAtWaits.slice(0, 2)).toEqual([
    [`the disk holding DATA_DIR (${dirname(h.file)}) is full: the ledger cannot be written`],
    [`the disk holding DATA_DIR (${dirname(h.file)}) is full: the ledger cannot be written`],
  ]);
  expect(h.ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 150 } });
  expect(h.ledger.health.problems()).toEqual([]);
  expectInvariants(h, id, ids);
});

test('F8 a batch started while start-up recovery waits for the ledger is held until recovery has run: no outcome lost, no ID sent twice', async () => {
  let recoveries = 0;
  let recovered = () => undefined as void;
  const recoveryRan = new Promise<void>((resolve) => {
    recovered = resolve;
  });
  const logs: string[] = [];
  let h: Harness | null = null;
  let started: Promise<void> | null = null;
  let id = '';
  let ids: string[] = [];
  h = await harness({
    wrap: (l) => ({
      ...l,
      recoverAfterCrash() {
        if (++recoveries === 1) throw sqliteError('SQLITE_BUSY');
        const running = l.recoverAfterCrash();
        recovered();
        return running;
      },
    }),
    runner: {
      ledgerWaitMs: LEDGER_WAIT_MS,
      log: (message) => logs.push(message),
      sleep: async (ms) => {
        if (ms < LEDGER_WAIT_MS || !h || started !== null) return;
        // While recovery waits, the server already answers: someone creates and starts a batch.
        // Its first write is held until recovery has run. Recovery goes on once that write is on
        // the wire, or once the runner said the batch waits for recovery.
        const subject = subjectAt(16);
        ids = unlinked(h, subject, 0, 250);
        id = createBatch(h.ledger, ids, subject);
        h.gate.hold = (n) => (n === 1 ? recoveryRan : null);
        started = h.runner.start(id);
        const harnessNow = h;
        const deadline = Date.now() + 10_000;
        while (
          harnessNow.writes.length === 0 &&
          !logs.some((m) => m.includes(`batch ${id} starts once start-up recovery has run`))
        ) {
          if (Date.now() > deadline) throw new Error('the batch neither wrote nor waited');
          await new Promise((r) => setTimeout(r, 2));
        }
      },
    },
  });
  await h.runner.resumeAll();
  await started;
  await h.runner.whenIdle(id);
  expect(recoveries).toBe(2);
  expect(h.ledger.getBatch(id)).toMatchObject({
    state: 'done',
    counts: { succeeded: 250, unknown: 0 },
  });
  const sent = h.writes.flatMap((w) => w.ids);
  expect(sent).toHaveLength(250);
  expect(new Set(sent).size).toBe(250);
  expect(logs.filter((m) => m.includes('superseded'))).toEqual([]);
  expectInvariants(h, id, ids);
});

describe('F8 outcome write fails after the send (injected SQLITE_IOERR_WRITE)', () => {
  for (const how of ['resume', 'restart'] as const) {
    test(`items stay in_flight, batch interrupted; ${how} → unknown → re-read → succeeded once`, async () => {
      let outcomes = 0;
      const h = await harness({
        wrap: (l) => ({
          ...l,
          queueOutcome(...args) {
            if (++outcomes === 2) return Promise.reject(sqliteError('SQLITE_IOERR_WRITE'));
            return l.queueOutcome(...args);
          },
        }),
      });
      const subject = subjectAt(10);
      const ids = unlinked(h, subject, 0, 300);
      const id = createBatch(h.ledger, ids, subject);
      await h.runner.start(id);
      const b = h.ledger.getBatch(id);
      expect(b?.state).toBe('interrupted');
      expect(b?.state_reason).toMatch(
        /ledger could not be written \(disk error\?\): SQLITE_IOERR_WRITE/,
      );
      // The second call was applied upstream; its intent is committed, its outcome is not.
      expect(b?.counts).toMatchObject({ succeeded: 100, in_flight: 100, pending: 100 });
      expect(linkedCount(h, subject, ids.slice(0, 200))).toBe(200);
      expect(h.writes).toHaveLength(2);
      expectEveryWriteHasIntent(h);

      let runner = h.runner;
      if (how === 'resume') {
        expect(await runner.resume(id)).toBe(true);
        await runner.whenIdle(id);
      } else {
        h.restart();
        runner = h.runner;
        await runner.resumeAll();
        // Interrupted batches wait for the user; the lost outcome is now unknown, not in flight.
        expect(h.ledger.getBatch(id)).toMatchObject({
          state: 'interrupted',
          counts: { in_flight: 0, unknown: 100 },
        });
        expect(await runner.resume(id)).toBe(true);
        await runner.whenIdle(id);
      }
      const after = h.ledger.getBatch(id);
      expect(after?.state).toBe('done');
      expect(after?.counts).toMatchObject({ succeeded: 300, unknown: 0, failed: 0 });
      expect(h.writes).toHaveLength(3); // only the third chunk: the second was confirmed by re-read
      const items = h.ledger.listItems(id, { offset: 0, limit: 400 }).items;
      expect(items.every((i) => i.attempts === 1)).toBe(true);
      expect(items.slice(100, 200).every((i) => i.message === 'confirmed by re-read')).toBe(true);
      expect(runner.stats().unknownSettled).toBe(100);
      expectEveryWriteHasIntent(h);
      expectInvariants(h, id, ids);
    });
  }

  test('a failed retry intent sends nothing; the unapplied IDs are re-read as absent and re-sent', async () => {
    let retries = 0;
    const h = await harness({
      wrap: (l) => ({
        ...l,
        retryCall(callId, mayBeApplied) {
          if (++retries === 1) throw sqliteError('SQLITE_IOERR_WRITE');
          return l.retryCall(callId, mayBeApplied);
        },
      }),
    });
    h.inject.answer = (n) =>
      n === 1 ? Response.json({ error_code: 'X', error_msg: 'busy' }, { status: 503 }) : null;
    const ids = unlinked(h, subjectAt(11), 300, 150);
    const id = createBatch(h.ledger, ids, subjectAt(11));
    await h.runner.start(id);
    expect(h.ledger.getBatch(id)).toMatchObject({
      state: 'interrupted',
      counts: { in_flight: 100, pending: 50 },
    });
    expect(h.writes).toHaveLength(1);
    expectEveryWriteHasIntent(h);
    h.inject.answer = null;
    expect(await h.runner.resume(id)).toBe(true);
    await h.runner.whenIdle(id);
    expect(h.ledger.getBatch(id)?.counts.succeeded).toBe(150);
    expect(h.writes).toHaveLength(3);
    expectEveryWriteHasIntent(h);
    expectInvariants(h, id, ids);
  });
});

test('F8 the interruption itself cannot be written: kept in memory, no crash, other batches go on', async () => {
  let victim = '';
  let claims = 0;
  const logs: string[] = [];
  const h = await harness({
    runner: { concurrency: 2, log: (m) => logs.push(m) },
    wrap: (l) => ({
      ...l,
      claimPreRead(batchId, send, settle) {
        if (batchId === victim && send.length > 0 && ++claims >= 2)
          throw sqliteError('SQLITE_IOERR_WRITE');
        return l.claimPreRead(batchId, send, settle);
      },
      transitionBatch(batchId, from, to, reason) {
        if (batchId === victim && to === 'interrupted') throw sqliteError('SQLITE_IOERR_WRITE');
        return l.transitionBatch(batchId, from, to, reason);
      },
    }),
  });
  const a = unlinked(h, subjectAt(12), 0, 300);
  const b = unlinked(h, subjectAt(13), 300, 280)
    .filter((x) => !a.includes(x))
    .slice(0, 250);
  expect(b).toHaveLength(250);
  victim = createBatch(h.ledger, a, subjectAt(12));
  const other = createBatch(h.ledger, b, subjectAt(13));
  await Promise.all([h.runner.start(victim), h.runner.start(other)]);
  expect(h.ledger.getBatch(other)).toMatchObject({ state: 'done', counts: { succeeded: 250 } });
  // The row still says running; the runner knows why it stopped and logged it. The first claim's
  // call is sent if it got its slot before the second claim failed, else withdrawn (the batch
  // halted meanwhile): pending again. Nothing was sent after.
  const sentOfVictim = h.writes.filter((w) => w.ids.some((x) => a.includes(x))).length;
  expect(sentOfVictim).toBeLessThanOrEqual(1);
  expect(h.ledger.getBatch(victim)).toMatchObject({
    state: 'running',
    counts: { succeeded: 100 * sentOfVictim, pending: 300 - 100 * sentOfVictim, in_flight: 0 },
  });
  expect(h.runner.unrecordedInterruption(victim)).toContain('SQLITE_IOERR_WRITE');
  expect(logs.some((m) => m.includes('could not record the interruption'))).toBe(true);
  expectEveryWriteHasIntent(h);

  const victimId = victim;
  victim = ''; // the disk is fixed
  expect(await h.runner.resume(other)).toBe(false); // done: nothing to resume
  expect(await h.runner.resume(victimId)).toBe(true);
  expect(h.runner.unrecordedInterruption(victimId)).toBeNull();
  await h.runner.whenIdle(victimId);
  expect(h.ledger.getBatch(victimId)?.state).toBe('done');
  expectInvariants(h, victimId, a);
  expectInvariants(h, other, b);
});
