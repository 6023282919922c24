/**
 * Two consoles (two runners, each with its own SQLite ledger and its own connection pool) on one
 * PostgreSQL: the account's upstream slots and retry budget (shared-upstream.ts) hold across both.
 * SecMaster is one in-memory stand-in for both, which counts the calls in flight at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateQueryNode, sql, type Kysely, type KyselyPlugin } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UpstreamError, type Upstream, type UpstreamResponse } from '../secmaster/client';
import type { UpstreamOperation } from '../secmaster/operations';
import { pacedUpstream } from '../secmaster/paced';
import { Pacer } from '../secmaster/pacer';
import {
  acquireSlot,
  retryTokens,
  sharedBudgetMigration,
  slotsInUse,
  type SharedBudgetTables,
} from '../db/shared-budget';
import { newBatch } from '../testing/batches';
import { makeIds } from '../testing/fake-upstream';
import { closeConsole, closeConsoles, twoConsoles as twoPgConsoles } from '../testing/pg-consoles';
import { createRunner, onSqlite, type Runner } from './engine/runner';
import { openLedger, type Ledger } from './ledger';
import { DEFAULT_RETRY_POLICY, RetryBudget, type RetryPolicy } from './retry';
import {
  SLOT_LEASE_MS,
  SharedRetryBudget,
  SharedUpstreamSlots,
  sharedUpstream,
  slotLeaseFor,
} from './shared-upstream';

type DB = SharedBudgetTables;

const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

function twoConsoles(): Promise<[Kysely<DB>, Kysely<DB>]> {
  return twoPgConsoles<DB>('upstream', [sharedBudgetMigration]);
}

/** Calls held open by tests, answered after each (before the runners stop: they wait for them). */
const answerHeld: (() => void)[] = [];
/** Whether `hanging` answers hold calls open (`secmaster().hold()`). */
let holding = false;
/** What each test opened, undone after it, last first. */
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  holding = false;
  for (const go of answerHeld.splice(0)) go();
  for (const undo of cleanups.splice(0).reverse()) await undo();
  await closeConsoles();
});

type Answer = (op: UpstreamOperation) => UpstreamResponse | Promise<UpstreamResponse>;

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes succeed, reads find nothing linked (every ID is sent). */
const accepting: Answer = (op) =>
  op.op === 'associate' || op.op === 'cancel'
    ? {
        status: 200,
        requestId: null,
        body: { code: '00000000', data: { success_ids: op.ids, error_ids: [] } },
      }
    : { status: 200, requestId: null, body: { code: '00000000', total: 0, data: [] } };

const throttled: Answer = () => ({
  status: 429,
  requestId: null,
  body: {
    error_code: 'APIG.0308',
    error_msg:
      'The throttling threshold has been reached: policy user over ratelimit,limit:5,time:1 second',
  },
});

const unavailable: Answer = () => ({ status: 503, requestId: null, body: {} });

interface Call {
  who: string;
  op: string;
  start: number;
  end: number | null;
}

/**
 * SecMaster for every console: each call answers after `latencyMs` (its console's `answer`);
 * records each call and the most in flight at once, across consoles. A console `kill`ed no longer
 * counts: its calls in flight are gone with it (they never answer).
 */
function secmaster(latencyMs: number) {
  const calls: Call[] = [];
  const dead = new Set<string>();
  let most = 0;
  let overlapped = false;
  const inFlight = () => calls.filter((c) => c.end === null && !dead.has(c.who));
  return {
    calls,
    get most() {
      return most;
    },
    /** Whether calls of two consoles were in flight at the same moment. */
    get overlapped() {
      return overlapped;
    },
    inFlightOf: (who: string) => inFlight().filter((c) => c.who === who).length,
    of: (who: string) => calls.filter((c) => c.who === who),
    /** An answer that, while `hold()` holds, waits until `letGo()` (or the test's end). */
    hanging: (async (op) => {
      if (holding) await new Promise<void>((r) => answerHeld.push(r));
      return accepting(op);
    }) satisfies Answer,
    hold() {
      holding = true;
    },
    letGo() {
      holding = false;
      for (const go of answerHeld.splice(0)) go();
    },
    kill(who: string) {
      dead.add(who);
    },
    upstream(who: string, answer: Answer = accepting): Upstream {
      return {
        async call(op) {
          const c: Call = { who, op: op.op, start: performance.now(), end: null };
          calls.push(c);
          const now = inFlight();
          most = Math.max(most, now.length);
          if (new Set(now.map((x) => x.who)).size > 1) overlapped = true;
          try {
            await wait(latencyMs);
            return await answer(op);
          } finally {
            c.end = performance.now();
          }
        },
      };
    },
  };
}

interface ConsoleOptions {
  /** Upstream slots of the account (every console sets the same). */
  slots: number;
  /** This console's window (BATCH_CONCURRENCY). */
  concurrency: number;
  upstream: Upstream;
  leaseMs?: number;
  renewMs?: number;
  pollMinMs?: number;
  pollMaxMs?: number;
  retry?: Partial<RetryPolicy>;
  /** The retry budget is shared too (default: the runner's own). */
  sharedRetry?: boolean;
  chunkSize?: number;
}

interface TestConsole {
  ledger: Ledger;
  runner: Runner;
  slots: SharedUpstreamSlots<DB>;
  budget: SharedRetryBudget<DB> | null;
  logs: string[];
  batch(n: number, prefix?: string): string;
}

/** A console: its own ledger, runner and slots over `db` (its own pool). */
async function openConsole(db: Kysely<DB>, o: ConsoleOptions): Promise<TestConsole> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  const slots = new SharedUpstreamSlots(db, o.slots, {
    ...(o.leaseMs === undefined ? {} : { leaseMs: o.leaseMs }),
    ...(o.renewMs === undefined ? {} : { renewMs: o.renewMs }),
    ...(o.pollMinMs === undefined ? {} : { pollMinMs: o.pollMinMs }),
    ...(o.pollMaxMs === undefined ? {} : { pollMaxMs: o.pollMaxMs }),
    log,
  });
  await slots.ready;
  let budget: SharedRetryBudget<DB> | null = null;
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: o.upstream,
    concurrency: o.concurrency,
    chunkSize: o.chunkSize ?? 1,
    backoffMs: () => 0,
    retry: o.retry ?? {},
    log,
    upstreamSlots: slots,
    ...(o.sharedRetry
      ? {
          retryBudget: (policy: RetryPolicy) =>
            (budget = new SharedRetryBudget(db, policy, { log })),
        }
      : {}),
  });
  cleanups.push(() => {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  cleanups.push(() => slots.close());
  cleanups.push(() => runner.stop());
  let subjects = 0;
  return {
    ledger,
    runner,
    slots,
    get budget() {
      return budget;
    },
    logs,
    batch(n, prefix = 'a') {
      subjects++;
      return newBatch(ledger, {
        ids: makeIds(n, prefix),
        subject: SUBJECT.slice(0, -2) + String(subjects).padStart(2, '0'),
      }).id;
    },
  };
}

describe.each(['unpaced', 'paced'] as const)('shared upstream slots, two consoles (%s)', (how) => {
  const through = (up: Upstream) => (how === 'paced' ? pacedUpstream(up, new Pacer()) : up);

  it('never has more than N calls in flight across both, and both make progress', async () => {
    const [dbA, dbB] = await twoConsoles();
    const N = 3;
    const sm = secmaster(10);
    const o = { slots: N, concurrency: N, pollMinMs: 5, pollMaxMs: 20 };
    const a = await openConsole(dbA, { ...o, upstream: through(sm.upstream('A')) });
    const b = await openConsole(dbB, { ...o, upstream: through(sm.upstream('B')) });
    const batchA = a.batch(30);
    const batchB = b.batch(30, 'b');
    await Promise.all([a.runner.start(batchA), b.runner.start(batchB)]);
    expect(a.ledger.getBatch(batchA)).toMatchObject({ state: 'done', counts: { succeeded: 30 } });
    expect(b.ledger.getBatch(batchB)).toMatchObject({ state: 'done', counts: { succeeded: 30 } });
    // Each alone could have N in flight: 2N together without the shared slots.
    expect(sm.of('A').length).toBeGreaterThanOrEqual(60); // a read and a write per ID
    expect(sm.of('B').length).toBeGreaterThanOrEqual(60);
    expect(sm.most).toBeLessThanOrEqual(N);
    // Both made progress side by side: neither waited for the other to finish.
    expect(sm.overlapped).toBe(true);
    const endOf = (who: string) => Math.max(...sm.of(who).map((c) => c.end ?? Infinity));
    const before = (who: string, t: number) => sm.of(who).filter((c) => c.start < t).length;
    expect(before('B', endOf('A'))).toBeGreaterThan(0);
    expect(before('A', endOf('B'))).toBeGreaterThan(0);
    // Every slot went back (the last releases may still be under way).
    expect(a.slots.held + b.slots.held).toBe(0);
    await Promise.all([a.slots.close(), b.slots.close()]);
    expect(await slotsInUse(dbA)).toBe(0);
  });

  it('pause, cancel and stop end a wait for a shared slot at once', async () => {
    const [dbA, dbB] = await twoConsoles();
    const sm = secmaster(1);
    // Polls far apart: a wait not cut short by the pause would outlast the test's timeout.
    const o = { slots: 1, concurrency: 2, pollMinMs: 600_000, pollMaxMs: 600_000 };
    const b = await openConsole(dbB, { ...o, upstream: through(sm.upstream('B')) });
    // Another console holds the account's one slot.
    expect(await acquireSlot(dbA, 'other', 60_000)).not.toBeNull();
    for (const stop of ['pause', 'cancel', 'stop'] as const) {
      const id = b.batch(4, { pause: 'c', cancel: 'd', stop: 'e' }[stop]);
      const done = b.runner.start(id);
      await vi.waitFor(() => expect(b.slots.waiting).toBeGreaterThan(0), { interval: 5 });
      if (stop === 'pause') expect(await b.runner.pause(id)).toBe(true);
      if (stop === 'cancel') expect(await b.runner.cancel(id)).toBe(true);
      if (stop === 'stop') await b.runner.stop();
      await done;
      await b.runner.whenIdle(id);
      expect(b.slots.waiting).toBe(0);
      expect(b.slots.held).toBe(0);
      expect(b.ledger.getBatch(id)?.state).toBe(
        { pause: 'paused', cancel: 'cancelled', stop: 'running' }[stop],
      );
    }
    expect(sm.calls).toEqual([]);
    expect(b.slots.polls).toBe(0);
    expect(await slotsInUse(dbB)).toBe(1); // the other console's, only
  });
});

describe('shared upstream slots, one console', () => {
  it('a slot given back here wakes a worker waiting for one at once, without a poll', async () => {
    const [db] = await twoConsoles();
    const sm = secmaster(2);
    // One slot, two workers: one waits for the other's slot through every call. Polls far apart:
    // only the wake of a release lets the batch finish within the test's timeout.
    const a = await openConsole(db, {
      slots: 1,
      concurrency: 2,
      pollMinMs: 600_000,
      pollMaxMs: 600_000,
      upstream: sm.upstream('A'),
    });
    const id = a.batch(10);
    await a.runner.start(id);
    await a.slots.close();
    expect(a.ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 10 } });
    expect(sm.calls.length).toBeGreaterThanOrEqual(20);
    expect(sm.most).toBe(1);
    expect(a.slots.polls).toBe(0);
    expect(a.runner.stats().peakInFlight).toBe(2); // both workers held the window's slots
  });

  it.each([
    ['a timeout', () => Promise.reject(new UpstreamError('timeout', 'no answer in time'))],
    ['a 503', () => Promise.resolve(unavailable({ op: 'listWorkspaces' }))],
    ['a throw', () => Promise.reject(new TypeError('the upstream broke'))],
  ] as const)('gives every slot back when calls end in %s', async (how, fail) => {
    const [db] = await twoConsoles();
    const sm = secmaster(1);
    let n = 0;
    // Every other call fails (reads and writes), the batch's retries included.
    const answer: Answer = (op) => (n++ % 2 ? fail() : accepting(op));
    const a = await openConsole(db, {
      slots: 2,
      concurrency: 2,
      retry: { budgetWaitMs: 600_000, rereadAttempts: 1 },
      upstream: sm.upstream('A', answer),
    });
    const id = a.batch(6);
    void a.runner.start(id);
    await vi.waitFor(
      () => {
        expect(sm.calls.length).toBeGreaterThanOrEqual(2);
        // A throw interrupts the batch (an internal error); the others are retried or re-read.
        if (how === 'a throw') expect(a.ledger.getBatch(id)?.state).toBe('interrupted');
      },
      { interval: 5 },
    );
    await a.runner.stop();
    expect(a.slots.held).toBe(0);
    await a.slots.close();
    expect(await slotsInUse(db)).toBe(0);
    expect(a.logs.filter((l) => /lapsed|could not/.test(l))).toEqual([]);
  });

  it('renews its slots while their calls run, with one UPDATE for all of them', async () => {
    const [db] = await twoConsoles();
    const sm = secmaster(1);
    sm.hold();
    const a = await openConsole(db, {
      slots: 2,
      concurrency: 2,
      leaseMs: 1_000,
      renewMs: 100,
      upstream: sm.upstream('A', sm.hanging),
    });
    const id = a.batch(2);
    const done = a.runner.start(id);
    await vi.waitFor(() => expect(sm.inFlightOf('A')).toBe(2), { interval: 5 });
    const expiries = async () =>
      (
        await db
          .selectFrom('upstream_slots')
          .select(sql<number>`extract(epoch from expires_at)`.as('at'))
          .where('holder', '=', a.slots.consoleId)
          .execute()
      ).map((r) => Number(r.at));
    const first = await expiries();
    expect(first).toHaveLength(2);
    // Renewed: both leases end later than they first did, and together (one UPDATE).
    await vi.waitFor(
      async () => {
        const now = await expiries();
        expect(now).toHaveLength(2);
        for (const [i, at] of now.entries()) expect(at).toBeGreaterThan(first[i]!);
        expect(Math.abs(now[0]! - now[1]!)).toBeLessThan(0.001);
      },
      { timeout: 5_000, interval: 20 },
    );
    sm.letGo();
    await done;
    await a.slots.close();
    expect(a.ledger.getBatch(id)?.state).toBe('done');
    expect(await slotsInUse(db)).toBe(0);
    expect(a.logs.filter((l) => /lapsed|could not/.test(l))).toEqual([]);
  });
});

describe('SharedUpstreamSlots', () => {
  it('a take that found none while a slot given back here was released waits for no poll', async () => {
    const [db] = await twoConsoles();
    // The answers of the takes (acquireSlot: the one UPDATE with a CTE) wait while `gate` is shut.
    const takes = new WeakSet<object>();
    let gate: Promise<void> | null = null;
    let answered = 0;
    const slowTakes: KyselyPlugin = {
      transformQuery({ node, queryId }) {
        if (UpdateQueryNode.is(node) && node.with) takes.add(queryId);
        return node;
      },
      async transformResult({ queryId, result }) {
        if (takes.has(queryId)) {
          answered++;
          if (gate) await gate;
        }
        return result;
      },
    };
    const slots = new SharedUpstreamSlots(db.withPlugin(slowTakes), 1, {
      pollMinMs: 600_000,
      pollMaxMs: 600_000,
    });
    cleanups.push(() => slots.close());
    const mine = await slots.tryTake();
    expect(mine).not.toBeNull();
    let open!: () => void;
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // A take finds the one slot held; its answer is held back while the slot is given back.
    const late = slots.tryTake();
    await vi.waitFor(() => expect(answered).toBe(2), { interval: 5 });
    const never = new AbortController();
    const first = slots.whenFree(never.signal);
    mine?.release();
    await first; // the release is committed, and told
    open();
    expect(await late).toBeNull();
    // The take looked before the release: its wait ends at once (else: the next poll, 10 min).
    const again = slots.whenFree(never.signal);
    expect(slots.waiting).toBe(0);
    await again;
    expect(await slots.tryTake()).not.toBeNull();
  });
});

describe('sharedUpstream (what a console on PostgreSQL passes its runner)', () => {
  it('leases slots for longer than a call, shares the retry budget, and hands back on close', async () => {
    const [db] = await twoConsoles();
    expect(slotLeaseFor(20_000)).toBe(SLOT_LEASE_MS);
    expect(slotLeaseFor(120_000)).toBe(130_000);
    // Short batch leases: a dead console's slots come back about when its batches can be taken
    // over and sent again (the lease, then a call timeout's grace), not 30 s later.
    expect(slotLeaseFor(1_500, 3_000)).toBe(4_500);
    expect(slotLeaseFor(20_000, 15_000)).toBe(SLOT_LEASE_MS);
    expect(slotLeaseFor(1_000, 60_000)).toBe(60_000);
    const shared = sharedUpstream(db, { slots: 2, callTimeoutMs: 120_000 });
    cleanups.push(() => shared.close());
    const sm = secmaster(1);
    sm.hold();
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    const ledger = openLedger(join(dir, 'ledger.sqlite'));
    cleanups.push(() => {
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const runner = createRunner({
      ...onSqlite(ledger),
      upstream: sm.upstream('A', sm.hanging),
      concurrency: 4,
      chunkSize: 1,
      retry: { budgetTokens: 40 },
      upstreamSlots: shared.upstreamSlots,
      retryBudget: shared.retryBudget,
    });
    cleanups.push(() => runner.stop());
    const id = newBatch(ledger, { ids: makeIds(4), subject: SUBJECT }).id;
    const done = runner.start(id);
    await vi.waitFor(() => expect(sm.inFlightOf('A')).toBe(2), { interval: 5 });
    const { rows } = await sql<{ far: boolean }>`
      select bool_and(expires_at > clock_timestamp() + interval '100 seconds') as far
      from upstream_slots where holder is not null`.execute(db);
    expect(rows).toEqual([{ far: true }]);
    // The budget's row is written as the runner makes its budget, without being waited for (a
    // retry's take waits for it): the calls may be in flight first on a busy machine.
    await vi.waitFor(async () => expect(await retryTokens(db)).toBe(40), { interval: 5 });
    sm.letGo();
    await done;
    expect(ledger.getBatch(id)?.state).toBe('done');
    await shared.close();
    expect(await slotsInUse(db)).toBe(0);
  });
});

describe('a console killed while holding slots', () => {
  it('keeps them while it lives (renewed), and the other console gets them once their lease ends', async () => {
    const [dbA, dbB] = await twoConsoles();
    const N = 2;
    const sm = secmaster(2);
    const lease = { leaseMs: 600, renewMs: 100, pollMinMs: 10, pollMaxMs: 50 };
    const a = await openConsole(dbA, {
      slots: N,
      concurrency: N,
      ...lease,
      upstream: sm.upstream('A', sm.hanging),
    });
    const b = await openConsole(dbB, {
      slots: N,
      concurrency: N,
      ...lease,
      upstream: sm.upstream('B'),
    });
    // A's calls hang: A holds both slots.
    sm.hold();
    const batchA = a.batch(4);
    void a.runner.start(batchA);
    await vi.waitFor(() => expect(sm.inFlightOf('A')).toBe(N), { interval: 5 });
    const firstEnd = await dbA
      .selectFrom('upstream_slots')
      .select(sql<Date>`max(expires_at)`.as('at'))
      .executeTakeFirstOrThrow();
    const batchB = b.batch(4, 'b');
    const doneB = b.runner.start(batchB);
    const polledFrom = performance.now();
    const pollsBefore = b.slots.polls;
    // Past the end of A's first leases: A, alive, renewed them; B waited.
    await vi.waitFor(
      async () => {
        const { rows } = await sql<{ past: boolean }>`
          select clock_timestamp() > ${firstEnd.at}::timestamptz + interval '300 milliseconds' as past`.execute(
          dbB,
        );
        expect(rows[0]?.past).toBe(true);
      },
      { timeout: 5_000, interval: 50 },
    );
    expect(sm.of('B')).toEqual([]);
    expect(await slotsInUse(dbB)).toBe(N);
    // B's wait polled, with a backoff: nowhere near a query per event-loop turn.
    const polls = b.slots.polls - pollsBefore;
    expect(polls).toBeGreaterThan(0);
    expect(polls).toBeLessThanOrEqual(
      (performance.now() - polledFrom) / (lease.pollMinMs * 0.75) + 1,
    );
    // A dies: its pool closes (no more renewals), its calls are gone.
    const killedAt = performance.now();
    sm.kill('A');
    await closeConsole(dbA);
    await doneB;
    expect(b.ledger.getBatch(batchB)).toMatchObject({ state: 'done', counts: { succeeded: 4 } });
    expect(Math.min(...sm.of('B').map((c) => c.start))).toBeGreaterThan(killedAt);
    expect(sm.most).toBeLessThanOrEqual(N);
    expect(a.logs.some((l) => l.startsWith('could not renew the upstream slots'))).toBe(true);
  });
});

describe('the shared retry budget', () => {
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    budgetTokens: 12,
    retryCost: 5,
    timeoutRetryCost: 10,
    successRefund: 1,
  };

  it('follows RetryBudget’s rules, across two consoles', async () => {
    const [dbA, dbB] = await twoConsoles();
    const a = new SharedRetryBudget(dbA, policy);
    const b = new SharedRetryBudget(dbB, policy);
    const mem = new RetryBudget(policy);
    type Step = [SharedRetryBudget<DB>, 'take' | 'takeTimeout' | 'success'];
    const steps: Step[] = [
      [a, 'take'],
      [b, 'takeTimeout'],
      [b, 'take'],
      [a, 'take'],
      [a, 'success'],
      [b, 'success'],
      [a, 'success'],
      [b, 'take'],
      ...Array.from({ length: 20 }, (_, i): Step => [i % 2 ? a : b, 'success']),
      [a, 'takeTimeout'],
      [b, 'take'],
      [a, 'takeTimeout'],
    ];
    const shared: (boolean | number)[] = [];
    const inMemory: (boolean | number)[] = [];
    for (const [who, what] of steps) {
      if (what === 'success') {
        who.onSuccess();
        mem.onSuccess();
        continue;
      }
      // Each console's refunds count before its own next take; the other's, once written.
      await Promise.all([a.settled(), b.settled()]);
      shared.push(await who.tryAcquire(what === 'takeTimeout'), who.available);
      inMemory.push(mem.tryAcquire(what === 'takeTimeout'), mem.available);
    }
    await Promise.all([a.settled(), b.settled()]);
    expect(shared).toEqual(inMemory);
    expect(await retryTokens(dbA)).toBe(mem.available);
    expect(inMemory).toContain(false); // the bucket ran dry on the way
  });

  it('a take waits for the refunds before it, not for those that keep coming after it', async () => {
    const [db] = await twoConsoles();
    const budget = new SharedRetryBudget(db, policy);
    expect(await budget.tryAcquire(false)).toBe(true);
    // Successes all the time (a busy console): there is always a refund to write.
    let producing = true;
    const until = performance.now() + 10_000;
    const producer = (async () => {
      while (producing && performance.now() < until) {
        budget.onSuccess();
        await new Promise<void>((r) => setImmediate(r));
      }
      producing = false;
    })();
    await vi.waitFor(() => expect(budget.available).toBe(policy.budgetTokens), { interval: 5 });
    expect(await budget.tryAcquire(false)).toBe(true);
    const tookWhileProducing = producing;
    producing = false;
    await producer;
    expect(tookWhileProducing).toBe(true);
    await budget.settled();
  });

  it('gathers successes into one refund for refundEveryMs; a take, or settled, has them written at once', async () => {
    const [dbA, dbB] = await twoConsoles();
    // A window no test run reaches: what is written is what a take or settled asked for.
    const a = new SharedRetryBudget(dbA, policy, { refundEveryMs: 600_000 });
    const b = new SharedRetryBudget(dbB, policy, { refundEveryMs: 600_000 });
    expect(await a.tryAcquire(false)).toBe(true); // 12 - 5
    expect(await b.tryAcquire(false)).toBe(true); // 7 - 5
    for (let i = 0; i < 3; i++) a.onSuccess();
    b.onSuccess();
    // Gathered, not written: the row still holds what the takes left.
    expect(await retryTokens(dbA)).toBe(2);
    // A's take writes A's three refunds first (5), then takes 5; B's success is still gathered.
    expect(await a.tryAcquire(false)).toBe(true);
    expect(await retryTokens(dbA)).toBe(0);
    await b.settled();
    expect(await retryTokens(dbA)).toBe(1);
    expect(b.available).toBe(1);
  });

  it('with no refund per success, a take after successes does not wait for one', async () => {
    const [db] = await twoConsoles();
    const budget = new SharedRetryBudget(db, { ...policy, successRefund: 0 });
    budget.onSuccess();
    // Before: the take awaited a refund round that nothing would ever start, in a loop on a
    // settled promise (the event loop held for ever).
    expect(await budget.tryAcquire(false)).toBe(true);
    expect(budget.available).toBe(policy.budgetTokens - policy.retryCost);
  });

  it('drained by one console’s throttled retries, refuses the other’s retries', async () => {
    const [dbA, dbB] = await twoConsoles();
    const sm = secmaster(1);
    const o = {
      slots: 4,
      concurrency: 1,
      sharedRetry: true,
      retry: { ...policy, budgetTokens: 10, budgetWaitMs: 600_000 },
    };
    const a = await openConsole(dbA, { ...o, upstream: sm.upstream('A', throttled) });
    const b = await openConsole(dbB, { ...o, upstream: sm.upstream('B', unavailable) });
    const batchA = a.batch(1);
    void a.runner.start(batchA);
    // A's read throttled, and retried twice (5 tokens each): then refused, A waits.
    await vi.waitFor(() => expect(a.runner.stats().budgetWaits).toBe(1), { interval: 5 });
    expect(sm.of('A')).toHaveLength(3);
    expect(await retryTokens(dbA)).toBe(0);
    expect(a.budget?.available).toBe(0);
    // B's read meets a 503: its retry is refused by the budget A drained, and B waits.
    const batchB = b.batch(1, 'b');
    void b.runner.start(batchB);
    await vi.waitFor(() => expect(b.runner.stats().budgetWaits).toBe(1), { interval: 5 });
    expect(sm.of('B')).toHaveLength(1);
    expect(b.runner.stats()).toMatchObject({ retries: 0, budgetTokens: 0 });
    expect(b.ledger.getBatch(batchB)).toMatchObject({ state: 'running', counts: { pending: 1 } });
  });
});
