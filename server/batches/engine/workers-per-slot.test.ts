/**
 * Two workers per slot of a batch's window (WORKERS_PER_SLOT, runner.ts): a claim is a ledger
 * write the store answers once its intent is durable, made with no slot held; meanwhile the slot
 * carries another worker's call, so that the ledger's work overlaps SecMaster's. Told by the order
 * of events (claims written, calls sent and answered), not by timing.
 */
import { afterEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteStore } from '../../db/store';
import { createUpstream, type Upstream, type UpstreamResponse } from '../../secmaster/client';
import type { UpstreamOperation } from '../../secmaster/operations';
import { newBatch } from '../../testing/batches';
import { makeIds, startFakeUpstream, writeAnswer } from '../../testing/fake-upstream';
import { openLedger } from '../ledger';
import type { BatchSummary } from '../../../src/api/schemas';
import { AimdLimiter } from '../limiter';
import { newControl, type Engine } from './context';
import { newSlot } from './paced-slot';
import { preRead } from './pre-read';
import { createRunner, sqliteStorage } from './runner';

const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';
const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

test('a claim is written while another worker’s call holds the window’s one slot; never more calls in flight than the window', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'workers-per-slot-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => ledger.close());

  /** Calls sent and not yet answered, and claims being written, at each moment. */
  let inFlight = 0;
  let peakInFlight = 0;
  /** Claims written (from the store's call to its answer) while a call was in flight. */
  let overlapped = 0;
  const sent = new Map<string, number>();

  // A slow claim: its answer comes a little after its commit, as a PostgreSQL commit's or the
  // SQLite log's flush does.
  const store = sqliteStore(ledger);
  const claimPreRead = store.claimPreRead;
  store.claimPreRead = async (...args) => {
    const claimed = await claimPreRead(...args);
    await wait(20);
    // A call in flight at the end of the claim: the slot went to another worker's call meanwhile.
    if (claimed?.call && inFlight > 0) overlapped++;
    return claimed;
  };

  // SecMaster: no ID linked yet (the pre-reads find nothing); each write answers after a while.
  const upstream: Upstream = {
    async call(op: UpstreamOperation): Promise<UpstreamResponse> {
      if (op.op === 'associate' || op.op === 'cancel') {
        inFlight++;
        peakInFlight = Math.max(peakInFlight, inFlight);
        for (const id of op.ids) sent.set(id, (sent.get(id) ?? 0) + 1);
        await wait(60);
        inFlight--;
        return {
          status: 200,
          requestId: null,
          body: { code: '00000000', data: { success_ids: op.ids, error_ids: [] } },
        };
      }
      return { status: 200, requestId: null, body: { code: '00000000', total: 0, data: [] } };
    },
  };

  const ids = makeIds(500);
  const id = newBatch(ledger, { ids, subject: SUBJECT }).id;
  const runner = createRunner({
    store,
    storage: sqliteStorage(ledger),
    upstream,
    concurrency: 1,
    chunkSize: 50,
  });
  await runner.start(id);

  expect(ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 500 } });
  expect(sent.size).toBe(500);
  expect([...sent.values()].every((n) => n === 1)).toBe(true);
  // The window's one slot: one call in flight at a time, whatever the workers.
  expect(peakInFlight).toBe(1);
  expect(runner.stats().peakInFlight).toBe(1);
  // With one worker per slot no call is ever in flight while a claim is written (its worker's own
  // call is not sent yet); with two, most claims are written while the other worker's call is.
  expect(overlapped).toBeGreaterThan(0);
});

test('a retry whose intent is written while another call’s 401 halts the batch is not sent (AK/SK lockout risk)', async () => {
  const fake = await startFakeUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'workers-per-slot-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => ledger.close());
  cleanups.push(() => void fake.close());

  let retryStarted!: () => void;
  const retrying = new Promise<void>((r) => (retryStarted = r));
  let haltSeen!: () => void;
  const halting = new Promise<void>((r) => (haltSeen = r));
  const store = sqliteStore(ledger);
  // The retry's intent is committed while the batch runs; its answer comes once the other call's
  // 401 has halted the batch (the interruption's first write, releaseCall, under way).
  const retryCall = store.retryCall;
  store.retryCall = async (...args) => {
    retryStarted();
    const next = await retryCall(...args);
    await halting;
    return next;
  };
  const releaseCall = store.releaseCall;
  store.releaseCall = (...args) => {
    haltSeen();
    return releaseCall(...args);
  };

  let writes = 0;
  fake.onWrite(async (ids) => {
    const n = ++writes;
    // The first call: a 503, retried.
    if (n === 1)
      return Response.json({ error_code: 'SVC.503', error_msg: 'busy' }, { status: 503 });
    if (n === 2) {
      // Answered once the first call's retry is being claimed: a 401.
      await retrying;
      return Response.json(
        { error_code: 'APIG.0301', error_msg: 'Incorrect IAM authentication information' },
        { status: 401 },
      );
    }
    return writeAnswer(ids, []);
  });

  // Counted as the runner sees it: a write it sends once it has received the 401 (one sent
  // before that may reach the fake SecMaster after it answered 401, and is not one).
  const real = createUpstream({
    endpoint: fake.url,
    projectId: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
    timeoutMs: 2_000,
    authToken: 'tok',
  });
  let received401 = false;
  let sentAfter401 = 0;
  const sends = new Map<string, number>();
  const upstream: Upstream = {
    async call(op, opts) {
      if (op.op === 'associate' || op.op === 'cancel') {
        if (received401) sentAfter401++;
        for (const i of op.ids) sends.set(i, (sends.get(i) ?? 0) + 1);
      }
      const answer = await real.call(op, opts);
      if (answer.status === 401) received401 = true;
      return answer;
    },
  };

  const id = newBatch(ledger, { ids: makeIds(60), subject: SUBJECT }).id;
  const runner = createRunner({
    store,
    storage: sqliteStorage(ledger),
    upstream,
    concurrency: 2,
    chunkSize: 10,
    backoffMs: () => 0,
  });
  await runner.start(id);

  const b = ledger.getBatch(id);
  expect(b?.state).toBe('interrupted');
  expect(b?.state_reason).toContain('APIG.0301');
  // Nothing went out once SecMaster refused the credential: neither the retry nor a claimed call.
  // (Another worker's call may have gone out before, while the 401 was on its way.)
  expect(sentAfter401).toBe(0);
  expect(b?.counts).toMatchObject({ failed: 0, in_flight: 0 });
  // The ledger counts the sends that went out, no more: the retry not sent is not one of them
  // (its call row withdrawn, not refused).
  const attempts = ledger.db
    .prepare('SELECT id, attempts FROM items WHERE batch_id = ?')
    .all(id) as { id: string; attempts: number }[];
  expect(attempts.filter((r) => r.attempts !== (sends.get(r.id) ?? 0))).toEqual([]);
  const calls = ledger.db
    .prepare('SELECT state FROM calls WHERE batch_id = ? AND attempt = 2')
    .pluck()
    .all(id);
  expect(calls).toEqual(['withdrawn']);
});

test('a pre-read whose state read was under way when another worker’s call got a 401 is not sent', async () => {
  const ctl = newControl('');
  let stateReads = 0;
  let searches = 0;
  const limiter = new AimdLimiter(2, 10);
  const e = {
    store: {
      // The pre-read's second read of the batch's state (after its slot) is answered "running",
      // as read, once another worker's call got a 401 meanwhile (halted: its interruption not
      // written yet).
      getBatchState: () => {
        stateReads++;
        if (stateReads === 2) ctl.halted = true;
        return Promise.resolve('running' as const);
      },
    },
    upstreamOf: () => ({
      call: () => {
        searches++;
        return Promise.resolve({ status: 200, requestId: null, body: { total: 0, data: [] } });
      },
    }),
    limiterOf: () => limiter,
    stopping: () => false,
    mayRun: () => true,
    counters: { preReads: 0 },
    budget: { onSuccess: () => undefined },
  } as unknown as Engine;
  const batch = {
    id: 'b',
    workspace_id: 'w',
    dataclass_type: 'incidents',
    data_object_id: SUBJECT,
    related_dataclass_type: 'alerts',
  } as BatchSummary;
  const slot = newSlot(e, batch);
  expect(await preRead(e, batch, makeIds(10), 'links', ctl, slot)).toEqual({ kind: 'stopped' });
  expect(stateReads).toBe(2);
  expect(searches).toBe(0);
});
