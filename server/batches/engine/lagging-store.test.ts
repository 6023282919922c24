/**
 * The runner on a store that answers later than it writes, as PostgreSQL's does (a round trip
 * after the commit): `sqliteStore` runs each write in the call, and the answer here comes a few
 * milliseconds later. What the runner checks and then does across such an await must stay right:
 * two workers never read (and claim) the same pending rows, a pause or cancel that answers has no
 * call of the batch sent after it, and a group's children still take their turns in the order
 * they were started.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STORE_METHODS, sqliteStore, type LedgerStore } from '../../db/store';
import { createUpstream, type Upstream } from '../../secmaster/client';
import { makeIds, startFakeUpstream, type FakeUpstream } from '../../testing/fake-upstream';
import { newBatch, newPairsGroup } from '../../testing/batches';
import { openLedger, type Ledger } from '../ledger';
import { DEFAULT_RETRY_POLICY } from '../retry';
import {
  CHILDREN_AT_ONCE,
  createRunner,
  sqliteStorage,
  type Runner,
  type RunnerOptions,
} from './runner';

const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

let fake: FakeUpstream;
let dir: string;
let ledger: Ledger;

beforeEach(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'lagging-store-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
});

afterEach(async () => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  await fake.close();
});

const after = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The SQLite store, each answer `lagMs(method, args)` ms after its write (0: as sqliteStore
 * answers). `onCall` is told of each call once its write is done, before the answer.
 */
function lagging(
  lagMs: (method: string, args: unknown[]) => number,
  onCall: (method: string, args: unknown[], answer: unknown) => void = () => undefined,
): LedgerStore {
  const inner = sqliteStore(ledger);
  const store: Record<string, unknown> = { ...inner };
  for (const name of STORE_METHODS) {
    const method = inner[name] as (...args: unknown[]) => Promise<unknown>;
    store[name] = async (...args: unknown[]) => {
      const answer = await method(...args);
      onCall(name, args, answer);
      const ms = lagMs(name, args);
      if (ms > 0) await after(ms);
      return answer;
    };
  }
  return store as LedgerStore;
}

/** The fake upstream, with the writes counted when they are sent (not when they arrive). */
function counted(): { upstream: Upstream; sent: string[][] } {
  const inner = createUpstream({
    endpoint: fake.url,
    projectId: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
    timeoutMs: 2_000,
    authToken: 'tok',
  });
  const sent: string[][] = [];
  return {
    sent,
    upstream: {
      call(op, opts) {
        if (op.op === 'associate' || op.op === 'cancel') sent.push([...op.ids]);
        return inner.call(op, opts);
      },
    },
  };
}

function runner(
  store: LedgerStore,
  upstream: Upstream,
  concurrency = 4,
  overrides: Partial<RunnerOptions> = {},
): Runner {
  return createRunner({
    store,
    storage: sqliteStorage(ledger),
    upstream,
    concurrency,
    backoffMs: () => 0,
    ...overrides,
  });
}

test('workers of one batch never read the same pending rows: every ID is sent once', async () => {
  const ids = makeIds(350);
  const batch = newBatch(ledger, { ids, subject: SUBJECT });
  const { upstream, sent } = counted();
  await runner(
    lagging(() => 2),
    upstream,
  ).start(batch.id);
  expect(ledger.getBatch(batch.id)).toMatchObject({ state: 'done', counts: { succeeded: 350 } });
  expect(sent.flat().sort()).toEqual([...ids].sort());
});

test.each(['pause', 'cancel'] as const)(
  '%s while a claim is under way: its call is sent before that answers, none after',
  async (how) => {
    const batch = newBatch(ledger, { ids: makeIds(250), subject: SUBJECT });
    const { upstream, sent } = counted();
    const seen: { runner?: Runner; control?: Promise<{ ok: boolean; sentThen: number }> } = {};
    // The first claim of a call is written; its answer comes 20 ms later, and meanwhile the user
    // pauses or stops the batch (whose own write answers at once).
    const store = lagging(
      (method) => (method === 'claimPreRead' ? 20 : 0),
      (method, _args, answer) => {
        const claimed = answer as { call: unknown } | null;
        const run = seen.runner;
        if (method !== 'claimPreRead' || !claimed?.call || seen.control || !run) return;
        seen.control = (how === 'pause' ? run.pause(batch.id) : run.cancel(batch.id)).then(
          (ok) => ({ ok, sentThen: sent.length }),
        );
      },
    );
    const r = runner(store, upstream, 1);
    seen.runner = r;
    await r.start(batch.id);
    await r.whenIdle(batch.id);
    const answered = await seen.control;
    expect(answered?.ok).toBe(true);
    // The call claimed before the control went out before it answered; nothing after it. The
    // window's second worker (WORKERS_PER_SLOT) may have had its claim under way too: sent before
    // the answer if the slot was free once it was known, else withdrawn, its IDs as before.
    const sentThen = answered?.sentThen ?? 0;
    expect([1, 2]).toContain(sentThen);
    expect(sent).toHaveLength(sentThen);
    const done = 100 * sentThen;
    expect(ledger.getBatch(batch.id)).toMatchObject(
      how === 'pause'
        ? { state: 'paused', counts: { succeeded: done, pending: 250 - done } }
        : { state: 'cancelled', counts: { succeeded: done, skipped: 250 - done } },
    );
  },
);

test("a group's children take their turns in the order they were started, however the store answers", async () => {
  const n = CHILDREN_AT_ONCE + 4;
  const { children } = newPairsGroup(ledger, n);
  // The later a child was started, the sooner its group is answered.
  const order = new Map(children.map((id, i) => [id, i]));
  const runStarts: string[] = [];
  const store = lagging(
    (method, args) => (method === 'groupOf' ? 2 * (n - (order.get(String(args[0])) ?? 0)) : 0),
    (method, args) => {
      if (method === 'strandInFlight') runStarts.push(String(args[0]));
    },
  );
  const r = runner(store, counted().upstream, 4);
  await Promise.all(children.map((id) => r.start(id)));
  // The first CHILDREN_AT_ONCE started are the first to run.
  expect(runStarts.slice(0, CHILDREN_AT_ONCE).sort()).toEqual(
    children.slice(0, CHILDREN_AT_ONCE).sort(),
  );
  expect(children.every((id) => ledger.getBatchState(id) === 'done')).toBe(true);
});

test("paused just as a throttle wait ends: the pause's reason stays (the wait's is cleared only while running)", async () => {
  const batch = newBatch(ledger, { ids: makeIds(2), subject: SUBJECT });
  fake.onWrite(() =>
    Response.json({ error_code: 'APIG.0308', error_msg: 'throttled' }, { status: 429 }),
  );
  const seen: { runner?: Runner; waited: boolean; paused: boolean } = {
    waited: false,
    paused: false,
  };
  // The batch's state is read after the wait; the user pauses right after that read.
  const store = lagging(
    () => 0,
    (method) => {
      if (method !== 'getBatchState' || !seen.waited || seen.paused || !seen.runner) return;
      seen.paused = true;
      void seen.runner.pause(batch.id);
    },
  );
  const r = runner(store, counted().upstream, 1, {
    maxAttempts: 1,
    sleep: (ms) => {
      if (ms === DEFAULT_RETRY_POLICY.throttleWaitMs) seen.waited = true;
      return Promise.resolve();
    },
  });
  seen.runner = r;
  await r.start(batch.id);
  expect(seen.paused).toBe(true);
  expect(ledger.getBatch(batch.id)).toMatchObject({
    state: 'paused',
    state_reason: 'paused by the user',
    counts: { pending: 2 },
  });
});
