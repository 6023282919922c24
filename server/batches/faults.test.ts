/**
 * Fault cases F2–F13 (each named in its test) against the real emulator over loopback HTTP,
 * with seeded fault schedules, an instant `sleep`, short timeouts, and the invariant checker.
 * (F1, the real process kill, is kill.test.ts; the full counts run in `npm run soak`.)
 */
import { afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PROJECT_ID } from '../config';
import {
  startEmulator,
  type RunningEmulator,
  openEmulatorDb,
  createFaultInjector,
  parseFaults,
  SEED_WORKSPACES,
  seedEmulator,
  seedObjectIds,
  seededRandom,
  createStore,
} from 'secmaster-emulator';
import { createUpstream } from '../secmaster/client';
import {
  checkInvariants,
  formatReport,
  linkedIds,
  TerminalWatch,
  type ObservedWrite,
} from '../testing/checker';
import { openLedger, type Ledger } from './ledger';
import { MSG_EXISTS_REJECTED, MSG_NOT_FOUND } from './reconcile';
import { createRunner, onSqlite, type Runner, type RunnerOptions } from './engine/runner';
import { newBatch } from '../testing/batches';

const WS = SEED_WORKSPACES[0].id;
const ALERTS = seedObjectIds(0, 'alerts', 600);
const INCIDENTS = seedObjectIds(0, 'incidents', 40);
const instant = () => Promise.resolve();

interface Harness {
  dir: string;
  ledger: Ledger;
  runner: Runner;
  emulator: RunningEmulator;
  emulatorDb: ReturnType<typeof openEmulatorDb>;
  writes: ObservedWrite[];
  /** Logical clock of the wire (I6). */
  tick(): number;
  /** Write sends are held while this returns a promise (cancel/pause tests). */
  gate: { hold: ((ids: string[]) => Promise<void> | null) | null };
  /** Replaces an answer before the network (auth failure tests). */
  inject: { answer: ((n: number) => Response | null) | null };
  watch?: TerminalWatch;
  close(): Promise<void>;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(body));
  throw new Error('unexpected request body type');
}

const open: Harness[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

async function harness(
  opts: {
    faults?: Record<string, unknown>;
    random?: () => number;
    timeoutMs?: number;
    runner?: Partial<RunnerOptions>;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'faults-'));
  const emulatorDb = openEmulatorDb(':memory:');
  seedEmulator(emulatorDb, { alerts: 600, incidents: 40, indicators: 20 });
  const injector = opts.faults
    ? createFaultInjector(parseFaults(opts.faults), { random: opts.random })
    : undefined;
  const emulator = await startEmulator({
    db: emulatorDb,
    projectId: DEMO_PROJECT_ID,
    port: 0,
    faults: injector,
  });
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  let clock = 0;
  const writes: ObservedWrite[] = [];
  const gate: Harness['gate'] = { hold: null };
  const inject: Harness['inject'] = { answer: null };
  let writeNo = 0;
  const h = { watch: undefined as TerminalWatch | undefined };
  const fetchImpl: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const url = String(input instanceof Request ? input.url : input);
    if ((method === 'POST' || method === 'DELETE') && !url.endsWith('/search')) {
      const ids = (JSON.parse(bodyText(init?.body)) as { ids: string[] }).ids;
      writes.push({ at: ++clock, ids });
      h.watch?.sample();
      const n = ++writeNo;
      const answer = inject.answer?.(n);
      if (answer) return answer;
      const held = gate.hold?.(ids);
      if (held) await held;
    }
    return fetch(input, init);
  };
  const upstream = createUpstream({
    endpoint: emulator.url,
    projectId: DEMO_PROJECT_ID,
    timeoutMs: opts.timeoutMs ?? 150,
    fetchImpl,
  });
  const rnd = seededRandom('runner');
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream,
    concurrency: 2,
    sleep: instant,
    random: rnd,
    ...opts.runner,
  });
  const harness: Harness = {
    dir,
    ledger,
    runner,
    emulator,
    emulatorDb,
    writes,
    tick: () => ++clock,
    gate,
    inject,
    get watch() {
      return h.watch;
    },
    set watch(w) {
      h.watch = w;
    },
    async close() {
      await runner.stop();
      await emulator.close();
      ledger.close();
      emulatorDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.push(harness);
  return harness;
}

/** The subject's links when each batch was created (I8). */
const linkedAtCreation = new Map<string, ReadonlySet<string>>();

function createBatch(
  h: Harness,
  ids: readonly string[],
  subject: string,
  action: 'associate' | 'cancel' = 'associate',
  related: 'alerts' | 'incidents' | 'indicators' = 'alerts',
): string {
  const id = newBatch(h.ledger, { ids, subject, action, related, workspace: WS }).id;
  linkedAtCreation.set(
    id,
    linkedIds(h.emulatorDb, {
      workspaceId: WS,
      dataclass: 'incidents',
      objectId: subject,
      related,
    }),
  );
  return id;
}

/** The first `n` alerts from `from` on that are not linked to the subject (exact counts). */
function unlinked(h: Harness, subject: string, from: number, n: number): string[] {
  const linked = linkedIds(h.emulatorDb, {
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: subject,
    related: 'alerts',
  });
  return ALERTS.slice(from)
    .filter((x) => !linked.has(x))
    .slice(0, n);
}

/** How many of these IDs were linked to the batch's subject when it was created. */
function linkedBefore(batchId: string, ids: readonly string[]): number {
  const before = linkedAtCreation.get(batchId);
  if (!before) throw new Error('no snapshot');
  return ids.filter((x) => before.has(x.toLowerCase())).length;
}

function subjectAt(i: number): string {
  const s = INCIDENTS[i];
  if (!s) throw new Error('seed');
  return s;
}

function expectInvariants(
  h: Harness,
  batchId: string,
  ids: readonly string[],
  extra: { cancelAckAt?: number } = {},
) {
  const report = checkInvariants({
    ledger: h.ledger,
    batchId,
    inputIds: ids,
    emulatorDb: h.emulatorDb,
    writes: h.writes,
    watch: h.watch,
    linkedBefore: linkedAtCreation.get(batchId),
    ...extra,
  });
  expect(report.ok, formatReport(report)).toBe(true);
  return report;
}

const SINGLE_FAULTS = [
  'p500',
  'p429',
  'p_throttle',
  'p_hang',
  'p_reset',
  'p_apply_then_hang',
  'p_apply_then_500',
] as const;

describe('each fault type alone (seeded), then I1–I7', () => {
  for (const fault of SINGLE_FAULTS) {
    for (const seed of [1, 2]) {
      test(`${fault} = 0.3, seed ${seed}`, async () => {
        const h = await harness({ faults: { seed, [fault]: 0.3 } });
        const ids = ALERTS.slice(0, 350);
        const id = createBatch(h, ids, subjectAt(seed));
        h.watch = new TerminalWatch(h.ledger, id);
        await h.runner.start(id);
        const b = h.ledger.getBatch(id);
        expect(b?.state).toBe('done');
        expectInvariants(h, id, ids);
        // Nothing is lost or failed by transient faults alone with these shares; IDs linked
        // before the batch are unchanged, never counted as its successes (I8 checks which).
        const pre = linkedBefore(id, ids);
        expect(b?.counts.succeeded).toBe(350 - pre);
        expect(b?.counts.unchanged).toBe(pre);
      });
    }
  }
});

describe('F5 mixed chaos', () => {
  // 20 seeds in `npm test`, enough to meet each fault kind; `npm run soak` runs 200.
  for (const seed of Array.from({ length: 20 }, (_, i) => 11 + i)) {
    test(`seed ${seed}`, async () => {
      const h = await harness({
        faults: {
          seed,
          p500: 0.08,
          p429: 0.05,
          p_throttle: 0.05,
          p_hang: 0.04,
          p_reset: 0.04,
          p_apply_then_hang: 0.04,
          p_apply_then_500: 0.04,
        },
      });
      const ids = [...ALERTS.slice(0, 400), '00000000-0000-4000-8000-00000000beef'];
      const id = createBatch(h, ids, subjectAt(3 + seed));
      h.watch = new TerminalWatch(h.ledger, id);
      await h.runner.start(id);
      expect(h.ledger.getBatch(id)?.state).toBe('done');
      expectInvariants(h, id, ids);
      const failed = h.ledger.listItems(id, { state: 'failed', offset: 0, limit: 10 }).items;
      // Only the stranger fails; transient faults never fail an ID that exists.
      expect(failed.map((f) => f.id)).toEqual(['00000000-0000-4000-8000-00000000beef']);
    });
  }
});

test('F3 apply-then-timeout: unknown → re-read → succeeded once, never re-sent', async () => {
  const h = await harness({ faults: { seed: 5, p_apply_then_hang: 1 }, timeoutMs: 100 });
  const ids = unlinked(h, subjectAt(20), 0, 150);
  const id = createBatch(h, ids, subjectAt(20));
  await h.runner.start(id);
  const b = h.ledger.getBatch(id);
  expect(b?.counts).toMatchObject({ succeeded: 150, unknown: 0, failed: 0 });
  expect(h.writes).toHaveLength(2); // one per chunk: the re-read confirmed both
  const items = h.ledger.listItems(id, { offset: 0, limit: 200 }).items;
  expect(items.every((i) => i.message === 'confirmed by re-read' && i.attempts === 1)).toBe(true);
  expect(h.runner.stats().unknownSettled).toBe(150);
  expectInvariants(h, id, ids);
});

test('F3 hang without applying: unknown → re-read absent → re-sent under a new call_id', async () => {
  let n = 0;
  // The first write hangs (not applied), the rest pass.
  const h = await harness({
    faults: { p_hang: 0.5 },
    random: () => (n++ === 0 ? 0.1 : 0.9),
    timeoutMs: 100,
  });
  const ids = ALERTS.slice(0, 50);
  const id = createBatch(h, ids, subjectAt(21));
  await h.runner.start(id);
  expect(h.ledger.getBatch(id)?.counts.succeeded).toBe(50);
  expect(h.writes).toHaveLength(2);
  const calls = h.ledger.db.prepare('SELECT call_id, state FROM calls ORDER BY sent_at').all();
  expect(calls).toHaveLength(2);
  expect(new Set(calls.map((c) => (c as { call_id: string }).call_id)).size).toBe(2);
  expectInvariants(h, id, ids);
});

describe('F4 throttle storm', () => {
  test('every call throttled for a while, then healthy: nothing failed, concurrency within the limit', async () => {
    let n = 0;
    const h = await harness({
      faults: { p429: 0.4, p_throttle: 0.4, retry_after_s: 1 },
      random: () => (n++ < 40 ? (n % 2 ? 0.1 : 0.5) : 0.95),
      runner: { concurrency: 3, retry: { budgetTokens: 60 } },
    });
    const delays: number[] = [];
    const ids = ALERTS.slice(0, 500);
    const id = createBatch(h, ids, subjectAt(22));
    await h.runner.start(id);
    void delays;
    const b = h.ledger.getBatch(id);
    expect(b?.state).toBe('done');
    expect(b?.counts).toMatchObject({
      succeeded: 500 - linkedBefore(id, ids),
      unchanged: linkedBefore(id, ids),
      failed: 0,
    });
    const stats = h.runner.stats();
    expect(stats.peakInFlight).toBeLessThanOrEqual(3);
    expect(stats.budgetWaits).toBeGreaterThan(0); // the budget ran dry: the batch waited
    expect(b?.state_reason).toBeNull();
    expectInvariants(h, id, ids);
  });

  test('Retry-After is a floor of the throttled backoff; AIMD halves the window', async () => {
    let n = 0;
    const delays: number[] = [];
    const h = await harness({
      faults: { p429: 0.5, retry_after_s: 7 },
      random: () => (n++ < 3 ? 0.1 : 0.9),
      runner: {
        concurrency: 4,
        sleep: (ms) => {
          delays.push(ms);
          return Promise.resolve();
        },
      },
    });
    const ids = ALERTS.slice(0, 100);
    const id = createBatch(h, ids, subjectAt(23));
    await h.runner.start(id);
    expect(h.ledger.getBatch(id)?.counts.succeeded).toBe(100);
    expect(delays.length).toBe(3);
    expect(delays.every((d) => d >= 7_000)).toBe(true);
    expect(h.runner.stats().concurrencyLimit).toBeLessThan(4);
  });
});

test('F6 auth failure mid-batch: no retry, interrupted with the reason, unsent IDs pending; resume finishes', async () => {
  const h = await harness({ runner: { concurrency: 1 } });
  h.inject.answer = (n) =>
    n === 3
      ? Response.json(
          { error_code: 'APIG.0301', error_msg: 'Incorrect IAM authentication information' },
          { status: 401 },
        )
      : null;
  const ids = unlinked(h, subjectAt(24), 0, 500);
  const id = createBatch(h, ids, subjectAt(24));
  await h.runner.start(id);
  const b = h.ledger.getBatch(id);
  expect(b?.state).toBe('interrupted');
  expect(b?.state_reason).toContain('APIG.0301');
  expect(b?.counts).toMatchObject({ succeeded: 200, pending: 300, failed: 0, in_flight: 0 });
  expect(h.writes).toHaveLength(3);
  h.inject.answer = null;
  expect(await h.runner.resume(id)).toBe(true);
  await h.runner.whenIdle(id);
  expect(h.ledger.getBatch(id)?.counts.succeeded).toBe(500);
  expectInvariants(h, id, ids);
});

test('F12 cancel while in flight: the in-flight call is recorded, the rest skipped, no write after the cancel', async () => {
  const h = await harness({ runner: { concurrency: 1 } });
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let held = 0;
  h.gate.hold = () => (++held === 2 ? released : null);
  const ids = unlinked(h, subjectAt(25), 0, 500);
  const id = createBatch(h, ids, subjectAt(25));
  const done = h.runner.start(id);
  await expect.poll(() => held, { timeout: 5_000 }).toBe(2);
  expect(await h.runner.cancel(id)).toBe(true);
  const cancelAckAt = h.tick();
  expect(await h.runner.cancel(id)).toBe(false);
  expect(await h.runner.pause(id)).toBe(false);
  expect(await h.runner.resume(id)).toBe(false);
  release();
  await done;
  const b = h.ledger.getBatch(id);
  expect(b?.state).toBe('cancelled');
  expect(b?.counts).toMatchObject({ succeeded: 200, skipped: 300, in_flight: 0, pending: 0 });
  expectInvariants(h, id, ids, { cancelAckAt });
});

test('pause: in flight finishes and is recorded, nothing new is sent; resume continues', async () => {
  const h = await harness({ runner: { concurrency: 1 } });
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let held = 0;
  h.gate.hold = () => (++held === 2 ? released : null);
  const ids = unlinked(h, subjectAt(26), 0, 400);
  const id = createBatch(h, ids, subjectAt(26));
  const done = h.runner.start(id);
  await expect.poll(() => held, { timeout: 5_000 }).toBe(2);
  expect(await h.runner.pause(id)).toBe(true);
  expect(await h.runner.pause(id)).toBe(false);
  release();
  await done;
  expect(h.ledger.getBatch(id)).toMatchObject({
    state: 'paused',
    counts: { succeeded: 200, pending: 200 },
  });
  expect(h.writes).toHaveLength(2);
  expect(await h.runner.resume(id)).toBe(true);
  await h.runner.whenIdle(id);
  expect(h.ledger.getBatch(id)?.state).toBe('done');
  expect(h.writes).toHaveLength(4);
  expectInvariants(h, id, ids);
});

test('batches on the same subject run one at a time, in creation order', async () => {
  const h = await harness({ runner: { concurrency: 2 } });
  const subject = subjectAt(27);
  const a = createBatch(h, ALERTS.slice(0, 300), subject);
  const b = createBatch(h, ALERTS.slice(300, 500), subject);
  const other = createBatch(h, ALERTS.slice(0, 100), subjectAt(28));
  await Promise.all([h.runner.start(a), h.runner.start(b), h.runner.start(other)]);
  const firstOfB = h.writes.findIndex((w) => w.ids[0] === ALERTS[300]);
  const aWrites = h.writes
    .map((w, i) => ({ w, i }))
    .filter(({ w }) => ALERTS.slice(0, 300).includes(w.ids[0] ?? '') && w.ids.length === 100);
  expect(firstOfB).toBeGreaterThan(Math.max(...aWrites.slice(0, 3).map((x) => x.i)));
  for (const x of [a, b, other]) expect(h.ledger.getBatch(x)?.state).toBe('done');
});

test('failure reasons: one follow-up search labels each rejected ID', async () => {
  const h = await harness();
  const subject = subjectAt(29);
  const stranger = '00000000-0000-4000-8000-0000000000aa';
  const incident = subjectAt(30);
  const ids = [ALERTS[0] ?? '', stranger, incident, subject];
  // Related class incidents: the subject itself is rejected although it exists in the class.
  const id = createBatch(h, ids, subject, 'associate', 'incidents');
  await h.runner.start(id);
  const byId = new Map(
    h.ledger.listItems(id, { offset: 0, limit: 10 }).items.map((i) => [i.id, i] as const),
  );
  expect(byId.get(ALERTS[0] ?? '')).toMatchObject({
    state: 'failed',
    code: 'WRONG_CLASS',
    message: 'is not an incident',
  });
  expect(byId.get(stranger)).toMatchObject({ code: 'NOT_FOUND', message: MSG_NOT_FOUND });
  expect(byId.get(subject)).toMatchObject({ code: 'REJECTED', message: MSG_EXISTS_REJECTED });
  expect(byId.get(incident)).toMatchObject({ state: 'succeeded' });
});

describe('F2 crash windows (deterministic hooks), then resumeAll', () => {
  async function crashAfterIntent(
    h: Harness,
    ids: string[],
    apply: boolean | number,
    opts: { cancel?: boolean; pause?: boolean } = {},
  ) {
    const id = createBatch(h, ids, subjectAt(31));
    const claimed = h.ledger.claimChunk(id, 100);
    if (!claimed) throw new Error('claim');
    if (apply !== false) {
      // (b)/(c): the emulator applied the write (all of it, or its first `apply` IDs); the reply
      // (or T2) was lost with the process.
      applied(h, subjectAt(31), apply === true ? claimed.ids : claimed.ids.slice(0, apply));
    }
    // (d): the analyst cancelled while the call was in flight, then the process died.
    if (opts.cancel) expect(h.ledger.cancelBatch(id)).toBe(true);
    // (e): paused mid-call, then the process died.
    if (opts.pause) expect(h.ledger.transitionBatch(id, ['running'], 'paused', null)).toBe(true);
    const file = join(h.dir, 'ledger.sqlite');
    h.ledger.close();
    const ledger = openLedger(file);
    h.ledger = ledger;
    const runner = createRunner({
      ...onSqlite(ledger),
      upstream: createUpstream({
        endpoint: h.emulator.url,
        projectId: DEMO_PROJECT_ID,
        timeoutMs: 500,
      }),
      concurrency: 2,
      sleep: instant,
    });
    h.runner = runner;
    await runner.resumeAll();
    return { id, runner };
  }

  test('(a) after T1, before send: re-read finds nothing, the IDs are re-sent', async () => {
    const h = await harness();
    const ids = ALERTS.slice(100, 250);
    const { id, runner } = await crashAfterIntent(h, ids, false);
    expect(h.ledger.getBatch(id)?.counts).toMatchObject({ succeeded: 150, unknown: 0 });
    expect(runner.stats()).toMatchObject({ writes: 2, unknownSettled: 100 });
    expectInvariants(h, id, ids);
  });

  test('(b)/(c) applied, reply or outcome lost: unknown → re-read → succeeded once', async () => {
    const h = await harness();
    const ids = ALERTS.slice(100, 250);
    const { id, runner } = await crashAfterIntent(h, ids, true);
    const items = h.ledger.listItems(id, { offset: 0, limit: 200 }).items;
    expect(items.slice(0, 100).every((i) => i.state === 'succeeded' && i.attempts === 1)).toBe(
      true,
    );
    expect(items[0]?.message).toBe('confirmed by re-read');
    expect(runner.stats().writes).toBe(1); // only the second chunk
    expectInvariants(h, id, ids);
  });

  test('(d) cancelled mid-call, then a crash: the restart re-reads the unknowns, sends nothing', async () => {
    const h = await harness();
    const ids = ALERTS.slice(100, 250);
    // 60 of the 100 in flight were applied; the other 50 IDs were still pending at the cancel.
    const { id, runner } = await crashAfterIntent(h, ids, 60, { cancel: true });
    const b = h.ledger.getBatch(id);
    expect(b?.state).toBe('cancelled');
    expect(b?.counts).toMatchObject({ succeeded: 60, skipped: 90, unknown: 0, pending: 0 });
    expect(runner.stats()).toMatchObject({ writes: 0, unknownSettled: 100 });
    const items = h.ledger.listItems(id, { offset: 0, limit: 200 }).items;
    expect(items.slice(0, 60).every((i) => i.message === 'confirmed by re-read')).toBe(true);
    expect(items.slice(60, 100).every((i) => i.state === 'skipped')).toBe(true);
    expectInvariants(h, id, ids);
  });

  /** The emulator applies `ids` to incident `subject` (a call that went through, reply lost). */
  function applied(h: Harness, subject: string, ids: readonly string[]) {
    const store = createStore(h.emulatorDb);
    store.transaction(() => {
      for (const x of ids)
        store.link(
          { workspaceId: WS, aClass: 'incidents', aId: subject, bClass: 'alerts', bId: x },
          '2026-11-01T00:00:00.000Z',
        );
    });
  }

  /** `n` alerts from `from` on that the seed did not link to incident `subject`. */
  test('(f) cancelled while its run waits behind another batch of the subject: re-read after', async () => {
    const h = await harness();
    const subject = subjectAt(34);
    let open = () => undefined as void;
    const heldA = new Promise<void>((resolve) => (open = resolve));
    h.gate.hold = () => heldA;
    const a = createBatch(h, ALERTS.slice(300, 320), subject);
    const b = createBatch(h, unlinked(h, subject, 400, 50), subject);
    // B's intent was written by an earlier run whose call is awaited by nobody now.
    const claimed = h.ledger.claimChunk(b, 100);
    if (!claimed) throw new Error('claim');
    applied(h, subject, claimed.ids.slice(0, 20));
    const runA = h.runner.start(a);
    void h.runner.start(b); // waits for A: one batch at a time per subject
    expect(await h.runner.cancel(b)).toBe(true);
    open();
    await runA;
    await h.runner.whenIdle(b);
    expect(h.ledger.getBatch(b)?.counts).toMatchObject({
      succeeded: 20,
      skipped: 30,
      unknown: 0,
      in_flight: 0,
    });
    expect(h.ledger.getBatch(a)?.counts.succeeded).toBe(20);
  });

  test('(g) interrupted with IDs in flight, then cancelled: the cancel re-reads them', async () => {
    const h = await harness();
    const subject = subjectAt(35);
    const b = createBatch(h, unlinked(h, subject, 450, 70), subject);
    const claimed = h.ledger.claimChunk(b, 50);
    if (!claimed) throw new Error('claim');
    applied(h, subject, claimed.ids.slice(0, 10));
    // A run halted (its outcome write failed) and left the chunk in flight.
    expect(h.ledger.transitionBatch(b, ['running'], 'interrupted', 'disk full')).toBe(true);
    expect(await h.runner.cancel(b)).toBe(true);
    await h.runner.whenIdle(b);
    expect(h.ledger.getBatch(b)?.counts).toMatchObject({
      succeeded: 10,
      skipped: 60,
      unknown: 0,
      in_flight: 0,
    });
    expect(h.runner.stats().writes).toBe(0);
  });

  test('(e) paused mid-call, a crash, then cancelled: the cancel re-reads the unknowns', async () => {
    const h = await harness();
    const ids = ALERTS.slice(100, 250);
    const { id, runner } = await crashAfterIntent(h, ids, 60, { pause: true });
    expect(h.ledger.getBatch(id)?.counts).toMatchObject({ unknown: 100, pending: 50 });
    expect(await runner.cancel(id)).toBe(true);
    await runner.whenIdle(id);
    expect(h.ledger.getBatch(id)?.counts).toMatchObject({
      succeeded: 60,
      skipped: 90,
      unknown: 0,
    });
    expect(runner.stats().writes).toBe(0);
    expectInvariants(h, id, ids);
  });
});

test('F13 late reply after supersede: the fencing token ignores it (I7)', async () => {
  let n = 0;
  const h = await harness({
    faults: { p_hang: 0.5 },
    random: () => (n++ === 0 ? 0.1 : 0.9),
    timeoutMs: 100,
  });
  const ids = ALERTS.slice(0, 30);
  const id = createBatch(h, ids, subjectAt(32));
  h.watch = new TerminalWatch(h.ledger, id);
  await h.runner.start(id);
  const first = h.ledger.db
    .prepare('SELECT call_id FROM calls WHERE batch_id = ? ORDER BY sent_at, rowid LIMIT 1')
    .get(id) as { call_id: string };
  h.watch.sample();
  // Attempt 1's reply arrives now, claiming failure: nothing changes.
  const changed = h.ledger.recordOutcome(
    first.call_id,
    ids.map((x) => ({ id: x, state: 'failed', code: 'LATE', message: 'late' })),
    { httpStatus: 500, requestId: null, errorCode: 'LATE' },
  );
  expect(changed).toBe(0);
  expect(h.ledger.getBatch(id)?.counts.succeeded).toBe(30);
  expectInvariants(h, id, ids);
});

describe('the race between the pre-read and the write (README: "The race")', () => {
  test('linked by someone else in between: recorded succeeded; unlinked in between: recorded unchanged and left unlinked', async () => {
    const h = await harness({ runner: { concurrency: 1 } });
    const subject = subjectAt(35);
    const ids = unlinked(h, subject, 0, 4);
    const [a, b] = ids as [string, string];
    // b is linked before the batch; a is not.
    const direct = createUpstream({
      endpoint: h.emulator.url,
      projectId: DEMO_PROJECT_ID,
      timeoutMs: 5_000,
    });
    const link = async (op: 'associate' | 'cancel', x: string) => {
      const r = await direct.call({
        op,
        workspaceId: WS,
        dataclass: 'incidents',
        objectId: subject,
        related: 'alerts',
        ids: [x],
      });
      expect(r.status).toBe(200);
    };
    await link('associate', b);
    const id = createBatch(h, ids, subject);
    // Between the runner's read and its write: someone links a and unlinks b.
    h.gate.hold = () =>
      Promise.all([link('associate', a), link('cancel', b)]).then(() => undefined);
    await h.runner.start(id);
    const byId = new Map(
      h.ledger.listItems(id, { offset: 0, limit: 10 }).items.map((i) => [i.id, i] as const),
    );
    // SecMaster answers "success" for a, which it found linked: the ledger cannot tell.
    expect(byId.get(a)?.state).toBe('succeeded');
    // b was linked at the read: no change recorded, nothing sent, and b ends unlinked.
    expect(byId.get(b)).toMatchObject({ state: 'unchanged', message: 'already linked' });
    expect(h.writes.flatMap((w) => w.ids)).not.toContain(b);
    const now = linkedIds(h.emulatorDb, {
      workspaceId: WS,
      dataclass: 'incidents',
      objectId: subject,
      related: 'alerts',
    });
    expect(now.has(b)).toBe(false);
  });
});
