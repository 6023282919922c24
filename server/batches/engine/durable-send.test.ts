/**
 * Durable before sent (issue 12): an intent commits without waiting for the disk, the SQLite store
 * answers the claim once the ledger's write-ahead log has been flushed after it (store.ts,
 * wal-sync.ts), and the engine sends the call only then (feed.ts, call-chain.ts). What these tests
 * take as "on disk": the ledger's files as they were when a flush began (copied in that tick: every
 * byte of the copy was written before the flush started, so the flush covers it), once that flush
 * has completed. Opening such an image runs SQLite's crash recovery on it, as a restart after a
 * power cut would.
 */
import { afterEach, expect, test } from 'vitest';
import {
  copyFileSync,
  existsSync,
  fdatasync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { Upstream, UpstreamResponse } from '../../secmaster/client';
import type { UpstreamOperation } from '../../secmaster/operations';
import { newBatch } from '../../testing/batches';
import { makeIds } from '../../testing/fake-upstream';
import { openLedger, type Ledger } from '../ledger';
import { createRunner, onSqlite, type Runner } from './runner';

const SUBJECTS = [
  'c0ffee00-0000-4000-8000-000000000001',
  'c0ffee00-0000-4000-8000-000000000002',
  'c0ffee00-0000-4000-8000-000000000003',
];
const SUBJECT = SUBJECTS[0] ?? '';
const instant = () => Promise.resolve();
const meta = { httpStatus: 200, requestId: 'r1', errorCode: null };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-send-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function realDatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (err) => (err ? reject(err) : resolve()));
  });
}

/** Copies the ledger's files (the database and its -wal, not the -shm) into `dir`. */
function copyLedger(file: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const to = join(dir, 'ledger.sqlite');
  copyFileSync(file, to);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${to}-wal`);
  return to;
}

/** SecMaster in memory: each subject's links, every write recorded; write answers scriptable. */
function memoryUpstream() {
  const links = new Map<string, Set<string>>();
  const linksOf = (subject: string) => {
    let s = links.get(subject);
    if (!s) {
      s = new Set();
      links.set(subject, s);
    }
    return s;
  };
  const writes: string[][] = [];
  /** Every call in order: `read <subject>` or `write <subject>`. */
  const log: string[] = [];
  const hooks: {
    /** Called in the tick of each write's send (the runner calls `call` synchronously). */
    onSend: ((ids: readonly string[]) => void) | null;
    /** Replaces the answer of write number `n` (1-based); null: linked and succeeded. */
    answer: ((n: number) => UpstreamResponse | null) | null;
    /** A read of this subject answers once the promise returned settles (null: at once). */
    beforeRead: ((subject: string) => Promise<void> | null) | null;
  } = { onSend: null, answer: null, beforeRead: null };
  const upstream: Upstream = {
    call(op: UpstreamOperation): Promise<UpstreamResponse> {
      if (op.op === 'associate' || op.op === 'cancel') {
        hooks.onSend?.(op.ids);
        log.push(`write ${op.objectId}`);
        const n = writes.push([...op.ids]);
        const scripted = hooks.answer?.(n) ?? null;
        if (scripted) return Promise.resolve(scripted);
        for (const id of op.ids) linksOf(op.objectId).add(id);
        return Promise.resolve({
          status: 200,
          requestId: null,
          body: { code: '00000000', data: { success_ids: op.ids, error_ids: [] } },
        });
      }
      const subject = 'objectId' in op ? op.objectId : '';
      log.push(`read ${subject}`);
      const answer = () => {
        const data = [...linksOf(subject)].map((id) => ({ id, data_object: { id } }));
        return {
          status: 200,
          requestId: null,
          body: { code: '00000000', total: data.length, data },
        };
      };
      const held = hooks.beforeRead?.(subject) ?? null;
      return held ? held.then(answer) : Promise.resolve(answer());
    },
  };
  return { upstream, writes, log, hooks, linksOf };
}

/** How many times each ID was sent. */
function sends(writes: readonly (readonly string[])[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of writes) for (const id of w) out.set(id, (out.get(id) ?? 0) + 1);
  return out;
}

const callRow = z.object({ call_id: z.string(), ids_json: z.string(), state: z.string() });
const sameIds = (a: readonly string[], b: readonly string[]) =>
  JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
const itemRow = z.object({ id: z.string(), state: z.string(), call_id: z.string().nullable() });

/**
 * Whether the ledger image `file` (opened as after a crash) holds the intent of this send of `ids`,
 * sent `sentBefore` times before: one call row of exactly these IDs per send so far and this one
 * (each claim here led to a send), the newest still `sent`, every one of the IDs in flight under
 * it.
 */
function holdsIntent(file: string, ids: readonly string[], sentBefore: number, scratch: string) {
  const copy = copyLedger(file, scratch);
  const db = new Database(copy);
  try {
    const calls = db
      .prepare(`SELECT call_id, ids_json, state FROM calls ORDER BY rowid`)
      .all()
      .map((r) => callRow.parse(r))
      .filter((c) => sameIds(JSON.parse(c.ids_json) as string[], ids));
    const call = calls.at(-1);
    if (calls.length !== sentBefore + 1 || call?.state !== 'sent') return false;
    const items = db
      .prepare(`SELECT id, state, call_id FROM items WHERE call_id = ?`)
      .all(call.call_id)
      .map((r) => itemRow.parse(r));
    return items.length === ids.length && items.every((i) => i.state === 'in_flight');
  } finally {
    db.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A ledger whose flushes leave images: at the start of each flush the files are copied; once the
 * flush completes, that copy is what is on disk for sure (`onDisk()`, the newest such image).
 */
function imagedLedger(dir: string) {
  const file = join(dir, 'ledger.sqlite');
  let n = 0;
  let onDisk: string | null = null;
  const ledger = openLedger(file, {
    datasync: async (fd) => {
      const image = copyLedger(file, join(dir, 'images', String(++n)));
      await realDatasync(fd);
      // Flushes run one at a time, in order: the newest completed one is the newest image.
      onDisk = image;
    },
  });
  cleanups.push(() => ledger.close());
  return { file, ledger, onDisk: () => onDisk, flushes: () => n };
}

test('every write is sent only once its intent is on disk: first sends and retries, three batches, two at a time', async () => {
  const dir = tempDir();
  const { ledger, onDisk, flushes } = imagedLedger(dir);
  const up = memoryUpstream();
  // Some sends answered 500 (may have been applied, not applied here): retried under a new call.
  up.hooks.answer = (n) =>
    n % 4 === 2
      ? { status: 500, requestId: null, body: { error_code: 'SVC.500', error_msg: 'injected' } }
      : null;
  const checked: { ids: number; onDisk: boolean }[] = [];
  up.hooks.onSend = (ids) => {
    const sentBefore = up.writes.filter((w) => sameIds(w, ids)).length;
    const image = onDisk();
    const ok =
      image !== null &&
      holdsIntent(image, ids, sentBefore, join(dir, 'scratch', String(checked.length)));
    checked.push({ ids: ids.length, onDisk: ok });
  };
  const batches = SUBJECTS.map((subject, i) => {
    const ids = makeIds(250, `s${String(i)}-`);
    return { ids, id: newBatch(ledger, { ids, subject }).id };
  });
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: up.upstream,
    concurrency: 2,
    sleep: instant,
  });
  await Promise.all(batches.map((b) => runner.start(b.id)));

  for (const b of batches) {
    expect(ledger.getBatch(b.id)).toMatchObject({ state: 'done', counts: { succeeded: 250 } });
  }
  // 9 calls of up to 100 IDs, a quarter of the sends answered 500 and retried.
  expect(up.writes.length).toBeGreaterThan(9);
  expect(runner.stats().retries).toBeGreaterThan(0);
  expect(checked).toHaveLength(up.writes.length);
  expect(checked.filter((c) => !c.onDisk)).toEqual([]);
  // Several intents shared a flush at times; never more flushes than commits needing one.
  expect(flushes()).toBeGreaterThan(0);
});

/** A ledger whose first flush waits until `release()` (then flushes for real). */
function heldLedger(file: string) {
  let release: (() => void) | null = null;
  let held = false;
  const ledger = openLedger(file, {
    datasync: (fd) => {
      if (held) return realDatasync(fd);
      held = true;
      return new Promise<void>((resolve, reject) => {
        release = () => void realDatasync(fd).then(resolve, reject);
      });
    },
  });
  return {
    ledger,
    /** Resolves once the first flush is waiting. */
    async waiting(): Promise<() => void> {
      while (release === null) await new Promise((r) => setImmediate(r));
      return release;
    },
  };
}

const callStates = (ledger: Ledger) =>
  ledger.db.prepare(`SELECT state FROM calls ORDER BY sent_at, attempt`).pluck().all();

for (const how of ['pause', 'cancel', 'stop'] as const) {
  test(`${how} while the intent is being flushed: the call is sent once on disk (a slot is free), before the ${how} answers; nothing after`, async () => {
    const dir = tempDir();
    const file = join(dir, 'ledger.sqlite');
    const held = heldLedger(file);
    let ledger = held.ledger;
    cleanups.push(() => ledger.close());
    const up = memoryUpstream();
    const ids = makeIds(250);
    const id = newBatch(ledger, { ids, subject: SUBJECT }).id;
    let runner: Runner = createRunner({
      ...onSqlite(ledger),
      upstream: up.upstream,
      concurrency: 1,
      sleep: instant,
    });
    const done = runner.start(id);
    const release = await held.waiting();
    // The first call's intent is committed (its IDs in flight), not yet on disk, not sent. The
    // window's second worker (WORKERS_PER_SLOT) may have claimed the next call meanwhile, waiting
    // for the same flush: at most one call per worker.
    const first = ledger.counts(id);
    expect([100, 200]).toContain(first.in_flight);
    expect(first.pending).toBe(250 - first.in_flight);
    expect(up.writes).toEqual([]);
    let answered = -1;
    const asked =
      how === 'pause' ? runner.pause(id) : how === 'cancel' ? runner.cancel(id) : runner.stop();
    const told = asked.then(() => {
      answered = up.writes.length;
    });
    // The pause or cancel is written, and waits for the claim under way (I6).
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(-1);
    expect(up.writes).toEqual([]);
    release();
    await told;
    await done;
    await runner.whenIdle(id);
    // Sent once its intent was on disk (a slot free), before the answer; nothing after it. The
    // second worker's call (WORKERS_PER_SLOT), if claimed under way too, is sent before the answer
    // if the slot is free once it is on disk, else withdrawn, unsent, its IDs as before.
    expect([1, 2]).toContain(answered);
    expect(up.writes).toHaveLength(answered);
    const sent = 100 * answered;
    const expected = {
      pause: { state: 'paused', counts: { succeeded: sent, pending: 250 - sent, in_flight: 0 } },
      cancel: {
        state: 'cancelled',
        counts: { succeeded: sent, skipped: 250 - sent, in_flight: 0 },
      },
      stop: { state: 'running', counts: { succeeded: sent, pending: 250 - sent, in_flight: 0 } },
    }[how];
    expect(ledger.getBatch(id)).toMatchObject(expected);
    if (how === 'cancel') return;

    // It goes on from there: every ID sent once.
    if (how === 'pause') {
      expect(await runner.resume(id)).toBe(true);
    } else {
      ledger.close();
      ledger = openLedger(file);
      runner = createRunner({
        ...onSqlite(ledger),
        upstream: up.upstream,
        concurrency: 1,
        sleep: instant,
      });
      await runner.resumeAll();
    }
    await runner.whenIdle(id);
    expect(ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 250 } });
    expect([...sends(up.writes).values()].every((n) => n === 1)).toBe(true);
    expect(sends(up.writes).size).toBe(250);
  });
}

test('paused while its worker waits for a slot again after the flush: the call is withdrawn, unsent (IDs pending, no send counted); resume sends each ID once', async () => {
  const dir = tempDir();
  const held = heldLedger(join(dir, 'ledger.sqlite'));
  const ledger = held.ledger;
  cleanups.push(() => ledger.close());
  const up = memoryUpstream();
  const [s1 = '', s2 = ''] = SUBJECTS;
  // b's read hangs until the test lets it answer: b holds the one slot meanwhile.
  let answerRead: () => void = () => undefined;
  const readHeld = new Promise<void>((r) => (answerRead = r));
  up.hooks.beforeRead = (subject) => (subject === s2 ? readHeld : null);
  const a = newBatch(ledger, { ids: makeIds(100, 'a'), subject: s1 }).id;
  const b = newBatch(ledger, { ids: makeIds(100, 'b'), subject: s2 }).id;
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: up.upstream,
    concurrency: 1,
    sleep: instant,
  });
  const runs = Promise.all([runner.start(a), runner.start(b)]);
  const release = await held.waiting();
  // a's intent is being flushed; its slot went to b, whose read now hangs.
  for (let i = 0; i < 200 && !up.log.includes(`read ${s2}`); i++) {
    await new Promise((r) => setImmediate(r));
  }
  expect(up.log).toEqual([`read ${s1}`, `read ${s2}`]);
  release();
  // a's intent is on disk; its worker waits for the slot b holds. The pause cuts that wait.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  expect(await runner.pause(a)).toBe(true);
  expect(up.writes).toEqual([]);
  expect(callStates(ledger)).toEqual(['withdrawn']);
  expect(ledger.getBatch(a)).toMatchObject({ state: 'paused', counts: { pending: 100 } });
  expect(ledger.listItems(a, { offset: 0, limit: 200 }).items.every((i) => i.attempts === 0)).toBe(
    true,
  );
  answerRead();
  await runs;
  expect(ledger.getBatch(b)).toMatchObject({ state: 'done', counts: { succeeded: 100 } });
  expect(await runner.resume(a)).toBe(true);
  await runner.whenIdle(a);
  expect(ledger.getBatch(a)).toMatchObject({ state: 'done', counts: { succeeded: 100 } });
  expect(sends(up.writes).size).toBe(200);
  expect([...sends(up.writes).values()].every((n) => n === 1)).toBe(true);
});

test('the flush fails (EIO): nothing is sent, the batch is interrupted with the reason, health says it, for good; a restart then sends each ID once', async () => {
  const dir = tempDir();
  const file = join(dir, 'ledger.sqlite');
  const failing = openLedger(file, {
    datasync: () => Promise.reject(Object.assign(new Error('EIO: injected'), { code: 'EIO' })),
  });
  let ledger = failing;
  cleanups.push(() => ledger.close());
  const up = memoryUpstream();
  const ids = makeIds(250);
  const id = newBatch(ledger, { ids, subject: SUBJECT }).id;
  const logs: string[] = [];
  let runner = createRunner({
    ...onSqlite(ledger),
    upstream: up.upstream,
    concurrency: 2,
    sleep: instant,
    log: (m) => logs.push(m),
  });
  await runner.start(id);

  const reason = `the ledger's write-ahead log (${file}-wal) could not be flushed to disk (EIO): its latest writes may be lost; nothing more is recorded or sent until the server is restarted`;
  expect(up.writes).toEqual([]);
  expect(ledger.getBatch(id)).toMatchObject({ state: 'interrupted', state_reason: reason });
  expect(ledger.health.problems()).toEqual([reason]);
  // Withdrawn: pending again, no send counted.
  expect(ledger.counts(id)).toMatchObject({ pending: 250, in_flight: 0 });
  expect(callStates(ledger).every((s) => s === 'withdrawn')).toBe(true);
  // Resumed in the same process: refused (nothing more is recorded), nothing is sent.
  await expect(runner.resume(id)).rejects.toMatchObject({ code: 'EIO', reason });
  await runner.whenIdle(id);
  expect(up.writes).toEqual([]);
  expect(ledger.getBatch(id)?.state).toBe('interrupted');

  // The server restarted (the disk fixed): resumed by the user, every ID sent once.
  await runner.stop();
  ledger.close();
  ledger = openLedger(file);
  runner = createRunner({
    ...onSqlite(ledger),
    upstream: up.upstream,
    concurrency: 2,
    sleep: instant,
  });
  await runner.resumeAll();
  expect(ledger.health.problems()).toEqual([]);
  expect(await runner.resume(id)).toBe(true);
  await runner.whenIdle(id);
  expect(ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 250 } });
  expect(sends(up.writes).size).toBe(250);
  expect([...sends(up.writes).values()].every((n) => n === 1)).toBe(true);
  expect(ledger.listItems(id, { offset: 0, limit: 300 }).items.every((i) => i.attempts === 1)).toBe(
    true,
  );
});

test('a crash between the intent commit and its flush: whether the commit reached the disk or not, the restart sends each ID once', async () => {
  const dir = tempDir();
  const file = join(dir, 'ledger.sqlite');
  // The first flush never completes: the process dies first (here: the flush fails, so that the
  // first process sends nothing, as a dead one would not).
  let die: (() => void) | null = null;
  const real = openLedger(file, {
    datasync: () =>
      new Promise<void>((_resolve, reject) => {
        die = () => reject(Object.assign(new Error('EIO: the process died'), { code: 'EIO' }));
      }),
  });
  cleanups.push(() => real.close());
  const up = memoryUpstream();
  const ids = makeIds(250);
  const id = newBatch(real, { ids, subject: SUBJECT }).id;
  // Image "lost": the files just before the first intent's commit (its WAL frames never reached
  // the disk, or only part of them: SQLite's recovery drops an incomplete commit).
  const lost = join(dir, 'lost');
  let imaged = false;
  const ledger: Ledger = {
    ...real,
    claimPreRead(...args) {
      if (!imaged) {
        imaged = true;
        copyLedger(file, lost);
      }
      return real.claimPreRead(...args);
    },
  };
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: up.upstream,
    concurrency: 1,
    sleep: instant,
  });
  const done = runner.start(id);
  while (die === null) await new Promise((r) => setImmediate(r));
  // Image "kept": committed, its flush not yet done (the frames happened to reach the disk).
  const kept = join(dir, 'kept');
  copyLedger(file, kept);
  expect(up.writes).toEqual([]);
  (die as () => void)();
  await done;
  await runner.stop();
  expect(up.writes).toEqual([]);

  // Kept: the first intent, and the second worker's (WORKERS_PER_SLOT) if it claimed meanwhile.
  for (const [image, claimed] of [
    [lost, [0]],
    [kept, [100, 200]],
  ] as const) {
    const restarted = openLedger(join(image, 'ledger.sqlite'));
    cleanups.push(() => restarted.close());
    const inFlight = restarted.counts(id).in_flight;
    expect(claimed).toContain(inFlight);
    expect(restarted.counts(id)).toMatchObject({ in_flight: inFlight, pending: 250 - inFlight });
    const writesBefore = up.writes.length;
    const again = createRunner({
      ...onSqlite(restarted),
      upstream: up.upstream,
      concurrency: 1,
      sleep: instant,
    });
    await again.resumeAll();
    expect(restarted.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 250 } });
    // In flight after the crash: unknown, re-read (none linked: never sent), then sent.
    expect(again.stats().unknownSettled).toBe(inFlight);
    const mine = up.writes.slice(writesBefore);
    expect(sends(mine).size).toBe(250);
    expect([...sends(mine).values()].every((n) => n === 1)).toBe(true);
    // Each image's run linked them; unlink for the next image's run (a fresh SecMaster).
    up.linksOf(SUBJECT).clear();
  }
  expect(readdirSync(lost).length).toBeGreaterThan(0);
});

test('an outcome carried by an intent is told only once that commit is on disk', async () => {
  const dir = tempDir();
  const file = join(dir, 'ledger.sqlite');
  const held = heldLedger(file);
  const ledger = held.ledger;
  cleanups.push(() => ledger.close());
  const a = newBatch(ledger, { ids: makeIds(3), subject: SUBJECT }).id;
  const b = newBatch(ledger, { ids: makeIds(2, 'b'), subject: SUBJECT }).id;
  const call = ledger.claimChunk(a, 100);
  if (!call) throw new Error('claim');
  let told = false;
  const queued = ledger.queueOutcome(
    call.callId,
    call.ids.map((i) => ({ id: i, state: 'succeeded' as const, code: null, message: null })),
    meta,
  );
  void queued.then(() => {
    told = true;
  });
  // b's intent carries it (the intent itself commits without waiting for the disk).
  expect(ledger.claimChunk(b, 100)?.ids).toHaveLength(2);
  expect(ledger.counts(a).succeeded).toBe(3);
  const release = await held.waiting();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  expect(told).toBe(false);
  release();
  expect(await queued).toBe(3);
  expect(told).toBe(true);
});

test('withdrawCall: IDs back to pending (skipped when cancelled), the send uncounted, the call `withdrawn`; claims restore synchronous=FULL', () => {
  const dir = tempDir();
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  cleanups.push(() => ledger.close());
  const a = newBatch(ledger, { ids: makeIds(3), subject: SUBJECT }).id;
  const c1 = ledger.claimChunk(a, 2);
  if (!c1) throw new Error('claim');
  // The claim committed with synchronous=NORMAL, then put FULL back for every other write.
  expect(ledger.db.pragma('synchronous', { simple: true })).toBe(2);
  expect(ledger.withdrawCall(c1.callId)).toBe(2);
  expect(ledger.counts(a)).toMatchObject({ pending: 3, in_flight: 0 });
  expect(
    ledger.listItems(a, { offset: 0, limit: 5 }).items.map((i) => [i.state, i.attempts]),
  ).toEqual([
    ['pending', 0],
    ['pending', 0],
    ['pending', 0],
  ]);
  expect(callStates(ledger)).toEqual(['withdrawn']);

  const c3 = ledger.claimChunk(a, 100);
  if (!c3) throw new Error('claim');
  expect(ledger.cancelBatch(a)).toBe(true);
  expect(ledger.withdrawCall(c3.callId)).toBe(3);
  expect(ledger.counts(a)).toMatchObject({ skipped: 3, in_flight: 0 });
  // A call already withdrawn (or never claimed) changes nothing.
  expect(ledger.withdrawCall(c3.callId)).toBe(0);
});

test('strandInFlight with nothing in flight writes nothing: outcomes queued for the next intent are not committed by it (with a wait for the disk on the event loop)', async () => {
  const dir = tempDir();
  const file = join(dir, 'ledger.sqlite');
  const ledger = openLedger(file);
  cleanups.push(() => ledger.close());
  const a = newBatch(ledger, { ids: makeIds(3), subject: SUBJECT }).id;
  const b = newBatch(ledger, { ids: makeIds(2, 'b'), subject: SUBJECT }).id;
  const call = ledger.claimChunk(a, 100);
  if (!call) throw new Error('claim');
  const inFile = () => {
    const other = new Database(file, { readonly: true });
    try {
      return other
        .prepare(`SELECT COUNT(*) FROM items WHERE batch_id = ? AND state = 'succeeded'`)
        .pluck()
        .get(a);
    } finally {
      other.close();
    }
  };
  const queued = ledger.queueOutcome(
    call.callId,
    call.ids.map((i) => ({ id: i, state: 'succeeded' as const, code: null, message: null })),
    meta,
    { holdWhile: () => true, holdMs: 60_000 },
  );
  const changes = ledger.db.prepare('SELECT total_changes()').pluck();
  const before = changes.get();
  // b starts: nothing of it in flight.
  expect(ledger.strandInFlight(b)).toBe(0);
  expect(changes.get()).toBe(before);
  expect(inFile()).toBe(0);
  // The next intent carries the outcome.
  expect(ledger.claimChunk(b, 100)?.ids).toHaveLength(2);
  expect(inFile()).toBe(3);
  expect(await queued).toBe(3);
  // With something in flight, it strands it (and carries what is queued).
  expect(ledger.strandInFlight(b)).toBe(2);
  expect(ledger.counts(b)).toMatchObject({ unknown: 2, in_flight: 0 });
});

test('the slot is lent while an intent is flushed: with one slot, another batch reads meanwhile, and the call is sent once the flush is done and a slot is free', async () => {
  const dir = tempDir();
  const held = heldLedger(join(dir, 'ledger.sqlite'));
  const ledger = held.ledger;
  cleanups.push(() => ledger.close());
  const up = memoryUpstream();
  const [s1 = '', s2 = ''] = SUBJECTS;
  const a = newBatch(ledger, { ids: makeIds(100, 'a'), subject: s1 }).id;
  const b = newBatch(ledger, { ids: makeIds(100, 'b'), subject: s2 }).id;
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: up.upstream,
    concurrency: 1,
    sleep: instant,
  });
  const runs = Promise.all([runner.start(a), runner.start(b)]);
  const release = await held.waiting();
  // a's intent is being flushed (its read done, its write not sent): b's read takes the slot.
  for (let i = 0; i < 200 && !up.log.includes(`read ${s2}`); i++) {
    await new Promise((r) => setImmediate(r));
  }
  expect(up.log).toEqual([`read ${s1}`, `read ${s2}`]);
  expect(runner.stats().peakInFlight).toBe(1);
  release();
  await runs;
  expect(up.log).toEqual([`read ${s1}`, `read ${s2}`, `write ${s1}`, `write ${s2}`]);
  expect(ledger.getBatch(a)?.counts.succeeded).toBe(100);
  expect(ledger.getBatch(b)?.counts.succeeded).toBe(100);
  // Never more than the one slot's call at a time.
  expect(runner.stats().peakInFlight).toBe(1);
});

test('the -wal file truncated by a checkpoint, or deleted and made again (journal mode switched): each flush is of the file SQLite writes then', async () => {
  const dir = tempDir();
  const file = join(dir, 'ledger.sqlite');
  const wal = `${file}-wal`;
  /** What each flush was of: its descriptor's inode, and whether that file still has a name. */
  const flushed: { ino: number; linked: boolean }[] = [];
  const ledger = openLedger(file, {
    datasync: (fd) => {
      const st = fstatSync(fd);
      flushed.push({ ino: st.ino, linked: st.nlink > 0 });
      return realDatasync(fd);
    },
  });
  cleanups.push(() => ledger.close());
  const a = newBatch(ledger, { ids: makeIds(5), subject: SUBJECT }).id;
  const claimAndFlush = async () => {
    expect(ledger.claimChunk(a, 1)?.ids).toHaveLength(1);
    await ledger.durable();
    return flushed.at(-1);
  };
  const first = statSync(wal).ino;
  expect(await claimAndFlush()).toEqual({ ino: first, linked: true });
  // A checkpoint that empties the log (as journal_size_limit would): the same file, flushed again.
  ledger.db.pragma('wal_checkpoint(TRUNCATE)');
  expect(statSync(wal).size).toBe(0);
  expect(await claimAndFlush()).toEqual({ ino: first, linked: true });
  // The log deleted (leaving WAL mode checkpoints and deletes it) and made anew.
  ledger.db.pragma('journal_mode = DELETE');
  expect(existsSync(wal)).toBe(false);
  ledger.db.pragma('journal_mode = WAL');
  expect(ledger.claimChunk(a, 1)?.ids).toHaveLength(1);
  await ledger.durable();
  // The descriptor flushed is of the new file (the path's inode now), not of the deleted one.
  expect(flushed.at(-1)).toEqual({ ino: statSync(wal).ino, linked: true });
  expect(ledger.counts(a)).toMatchObject({ in_flight: 3, pending: 2 });
});
