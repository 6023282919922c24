/**
 * A batch this process may no longer run (RunnerOptions.mayRun, Runner.abandon: a console whose
 * lease on it is lost, lease-host.ts) stops at once and quietly: nothing more sent, nothing written
 * for it, its calls in flight left in flight for the console that takes it over, and never marked
 * interrupted. On the SQLite ledger (no fence there): what is checked is the runner's own part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { LeaseLostError } from '../../db/leases';
import { sqliteStore, type LedgerStore } from '../../db/store';
import { createUpstream } from '../../secmaster/client';
import { newBatch } from '../../testing/batches';
import {
  acceptAll,
  makeIds,
  startFakeUpstream,
  type FakeUpstream,
} from '../../testing/fake-upstream';
import { openLedger, type Ledger } from '../ledger';
import { createRunner, type RunnerOptions } from './runner';

const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

let fake: FakeUpstream;
let dir: string;
let ledger: Ledger;

beforeEach(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'may-run-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
});

afterEach(async () => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  await fake.close();
});

function runner(store: LedgerStore, overrides: Partial<RunnerOptions> = {}) {
  return createRunner({
    store,
    upstream: createUpstream({
      endpoint: fake.url,
      projectId: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
      timeoutMs: 2_000,
      authToken: 'tok',
    }),
    concurrency: 1,
    chunkSize: 10,
    backoffMs: () => 0,
    ...overrides,
  });
}

function states(batchId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of ledger.listItems(batchId, { offset: 0, limit: 1000 }).items) {
    out[i.state] = (out[i.state] ?? 0) + 1;
  }
  return out;
}

test('lost between a claim and its send: the claimed call is not sent, its IDs stay in flight, the batch stays running', async () => {
  const id = newBatch(ledger, { ids: makeIds(30), subject: SUBJECT }).id;
  let claims = 0;
  let lost = false;
  const store = sqliteStore(ledger);
  const claimPreRead = store.claimPreRead;
  // The lease is lost while the second claim's commit is answered, before the call is sent.
  store.claimPreRead = async (...args) => {
    const claimed = await claimPreRead(...args);
    if (claimed?.call && ++claims === 2) lost = true;
    return claimed;
  };
  const r = runner(store, { mayRun: () => !lost });
  await r.start(id);
  expect(fake.writes()).toHaveLength(1);
  // The second claim may be the window's second worker's (WORKERS_PER_SLOT), made while the first
  // call was in flight: that call's answer then came after the loss too, its outcome left to the
  // taker.
  expect([
    { succeeded: 10, in_flight: 10, pending: 10 },
    { in_flight: 20, pending: 10 },
  ]).toContainEqual(states(id));
  expect(ledger.getBatch(id)).toMatchObject({ state: 'running', state_reason: null });
});

test('lost while a call is in flight: its outcome is not written, nothing more is read or sent', async () => {
  const id = newBatch(ledger, { ids: makeIds(30), subject: SUBJECT }).id;
  let lost = false;
  fake.onWrite((ids, req) => {
    lost = true;
    return acceptAll()(ids, req);
  });
  const store = sqliteStore(ledger);
  const r = runner(store, { mayRun: () => !lost });
  await r.start(id);
  const after = fake.requests.length;
  expect(fake.writes()).toHaveLength(1);
  // The answer came after the lease was lost: the outcome is the taker's to find by its re-read.
  // The second worker's call (WORKERS_PER_SLOT), if it claimed one meanwhile, is not sent: in
  // flight too.
  expect([
    { in_flight: 10, pending: 20 },
    { in_flight: 20, pending: 10 },
  ]).toContainEqual(states(id));
  expect(ledger.getBatch(id)).toMatchObject({ state: 'running', state_reason: null });
  expect(fake.requests).toHaveLength(after);
});

test('a write refused with LeaseLostError halts the batch quietly (not interrupted), even while mayRun still says yes', async () => {
  const id = newBatch(ledger, { ids: makeIds(30), subject: SUBJECT }).id;
  const store = sqliteStore(ledger);
  store.queueOutcome = () => Promise.reject(new LeaseLostError(id, 1, 'taken'));
  const r = runner(store, { mayRun: () => true });
  await r.start(id);
  expect(fake.writes()).toHaveLength(1);
  // The second worker's call (WORKERS_PER_SLOT), if it claimed one meanwhile, is not sent: in
  // flight too.
  expect([
    { in_flight: 10, pending: 20 },
    { in_flight: 20, pending: 10 },
  ]).toContainEqual(states(id));
  expect(ledger.getBatch(id)).toMatchObject({ state: 'running', state_reason: null });
  expect(r.unrecordedInterruption(id)).toBeNull();
});

test('abandoned before a retry’s sleep begins (its first answer still on its way): the batch stops at once, the retry neither sent nor recorded', async () => {
  const id = newBatch(ledger, { ids: makeIds(10), subject: SUBJECT }).id;
  const box: { r: ReturnType<typeof runner> | null } = { r: null };
  fake.onWrite(() => {
    // The lease is lost while the call is upstream: its 503 comes back to an abandoned batch.
    box.r?.abandon(id, 'lease lost');
    return new Response('busy', { status: 503 });
  });
  const r = runner(sqliteStore(ledger), { backoffMs: () => 60_000, maxAttempts: 3 });
  box.r = r;
  await r.start(id);
  expect(fake.writes()).toHaveLength(1);
  expect(states(id)).toEqual({ in_flight: 10 });
  expect(ledger.getBatch(id)).toMatchObject({ state: 'running', state_reason: null });
});

test('abandoned during a retry’s sleep: the sleep ends at once, the retry neither sent nor recorded', async () => {
  const id = newBatch(ledger, { ids: makeIds(10), subject: SUBJECT }).id;
  fake.onWrite(() => new Response('busy', { status: 503 }));
  let napping!: () => void;
  const asleep = new Promise<void>((resolve) => (napping = resolve));
  const r = runner(sqliteStore(ledger), {
    backoffMs: () => 60_000,
    maxAttempts: 3,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (ms >= 60_000) napping();
        setTimeout(resolve, ms).unref();
      }),
  });
  const done = r.start(id);
  await asleep;
  r.abandon(id, 'lease lost');
  await done;
  expect(fake.writes()).toHaveLength(1);
  expect(states(id)).toEqual({ in_flight: 10 });
  expect(ledger.getBatch(id)).toMatchObject({ state: 'running', state_reason: null });
});
