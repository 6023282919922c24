/**
 * Two consoles on one PostgreSQL ledger, in process, against one emulator (issue 14): a batch is
 * one batch whichever console is asked. Started on one, it is paused, resumed and stopped from the
 * other; a console that stops mid-batch hands it over; both show the same history and results.
 * (Consoles killed or paused for real, as processes: pg-consoles.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { loadConfig } from '../config';
import { sql } from 'kysely';
import {
  batchListSchema,
  batchSummarySchema,
  idKey,
  type BatchSummary,
} from '../../src/api/schemas';
import { startConsoleOn, type ConsoleHarness, type ConsoleNode } from '../testing/emulator-console';

const WS = SEED_WORKSPACES[0].id;
const N = 400;

let h: ConsoleHarness;
let other: ConsoleNode;
let alerts: string[];
let incidents: string[];

beforeEach(async () => {
  h = await startConsoleOn('postgres', {
    prefix: 'two_consoles_',
    seed: { alerts: 600, incidents: 10, indicators: 2 },
    // Slow enough that a batch of 20 calls is still running when the other console acts.
    faults: { latency_ms: 60 },
    lease: { leaseMs: 3_000, claimEveryMs: 100 },
    deps: { runner: { concurrency: 2, backoffMs: () => 0, chunkSize: 20 } },
  });
  other = await h.join();
  alerts = seedObjectIds(0, 'alerts', 600);
  incidents = seedObjectIds(0, 'incidents', 10);
});

afterEach(() => h.close());

type Asker = Pick<ConsoleNode, 'getJson' | 'post'>;

async function startBatch(subject: string, ids: readonly string[]): Promise<BatchSummary> {
  const res = await h.post('/api/batches', {
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: subject,
    related_dataclass_type: 'alerts',
    ids,
  });
  expect(res.status).toBe(201);
  return batchSummarySchema.parse(await res.json());
}

const summaryOn = async (c: Asker, id: string) =>
  batchSummarySchema.parse(await c.getJson(`/api/batches/${id}`));

/** Polls `c` until `done` (deadline-bounded; the consoles work meanwhile). */
async function until(
  c: Asker,
  id: string,
  done: (b: BatchSummary) => boolean,
  what: string,
): Promise<BatchSummary> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const b = await summaryOn(c, id);
    if (done(b)) return b;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(b.counts)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What a console shows of the batches: the history, without what changes with time. */
async function history(c: Asker) {
  const list = batchListSchema.parse(await c.getJson('/api/batches'));
  return list.items.map((b) => ({ id: b.id, state: b.state, counts: b.counts }));
}

test('a batch started on one console is paused and resumed from the other, and both show it the same', async () => {
  const subject = incidents[1] ?? '';
  const ids = alerts.slice(0, N);
  const before = h.linksOf(subject);
  const created = await startBatch(subject, ids);
  await until(other, created.id, (b) => b.counts.succeeded + b.counts.unchanged > 0, 'started');

  const paused = await other.post(`/api/batches/${created.id}/pause`);
  expect(paused.status).toBe(200);
  expect(batchSummarySchema.parse(await paused.json()).state).toBe('paused');
  // The console running it stops: its calls in flight are recorded, nothing more is claimed.
  const stopped = await until(h, created.id, (b) => b.counts.in_flight === 0, 'settled');
  expect(stopped.state).toBe('paused');
  expect(stopped.counts.pending).toBeGreaterThan(0);
  await h.runner.whenIdle(created.id);
  const still = await summaryOn(other, created.id);
  expect(still.counts).toEqual(stopped.counts);

  const resumed = await other.post(`/api/batches/${created.id}/resume`);
  expect(resumed.status).toBe(200);
  const done = await until(h, created.id, (b) => b.state === 'done', 'done');
  expect(done.counts).toMatchObject({ pending: 0, in_flight: 0, unknown: 0, failed: 0 });
  expect(done.counts.succeeded + done.counts.unchanged).toBe(N);
  // Succeeded: exactly the IDs this batch linked.
  expect(done.counts.unchanged).toBe(ids.filter((id) => before.has(id)).length);
  const after = h.linksOf(subject);
  for (const id of ids) expect(after.has(id)).toBe(true);
  expect(await history(h)).toEqual(await history(other));
});

test('a console that stops mid-batch hands it over: the other finishes it', async () => {
  const subject = incidents[2] ?? '';
  const ids = alerts.slice(100, 100 + N);
  const created = await startBatch(subject, ids);
  await until(other, created.id, (b) => b.counts.succeeded + b.counts.unchanged > 0, 'started');
  // A shutdown: calls in flight recorded, the lease released; the other's claim round takes it.
  await h.console.close();
  const midway = await summaryOn(other, created.id);
  expect(midway.state).toBe('running');
  expect(midway.counts.pending).toBeGreaterThan(0);
  const done = await until(other, created.id, (b) => b.state === 'done', 'taken over');
  expect(done.counts).toMatchObject({ pending: 0, in_flight: 0, unknown: 0, failed: 0 });
  expect(done.counts.succeeded + done.counts.unchanged).toBe(N);
  const after = h.linksOf(subject);
  for (const id of ids) expect(after.has(id)).toBe(true);
});

test('a batch stopped from the other console sends nothing for its skipped IDs', async () => {
  const subject = incidents[3] ?? '';
  const ids = alerts.slice(200, 200 + N);
  const before = h.linksOf(subject);
  const created = await startBatch(subject, ids);
  await until(other, created.id, (b) => b.counts.succeeded + b.counts.unchanged > 0, 'started');
  const stop = await other.post(`/api/batches/${created.id}/stop`);
  expect(stop.status).toBe(200);
  expect(batchSummarySchema.parse(await stop.json()).state).toBe('cancelled');
  const end = await until(h, created.id, (b) => b.counts.in_flight === 0, 'settled');
  await h.runner.whenIdle(created.id);
  const final = await summaryOn(other, created.id);
  expect(final).toMatchObject({ state: 'cancelled' });
  expect(final.counts).toEqual(end.counts);
  expect(final.counts.skipped).toBeGreaterThan(0);
  expect(final.counts.pending + final.counts.unknown).toBe(0);
  expect(final.counts.succeeded + final.counts.unchanged + final.counts.skipped).toBe(N);
  // Skipped IDs were never sent: those not linked before are still not linked.
  const after = h.linksOf(subject);
  const linkedByBatch = ids.filter((id) => !before.has(id) && after.has(id));
  expect(linkedByBatch).toHaveLength(final.counts.succeeded);
});

test('a batch recorded but never offered (its start failed, or its console died in between) is run by a console’s sweep of the ledger', async () => {
  // Started as main.ts starts them (its start-up claim and offer done, the sweeps armed).
  await Promise.all([h.console.resumeAll(), other.console.resumeAll()]);
  const subject = incidents[4] ?? '';
  const ids = alerts.slice(300, 340);
  // Recorded as a start records it, and no offer after (a failed transaction, a console gone).
  const batch = await h.store.createBatch({
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: subject,
    related_dataclass_type: 'alerts',
    reason: null,
    user: 'test',
    retry_of: null,
    duplicates: 0,
    items: ids.map((id) => ({ id, idKey: idKey(id), state: 'pending' as const, message: null })),
  });
  // No lease row: no claim round can see it.
  const leases = await sql<{ n: number }>`
    select count(*)::int as n from batch_leases where batch_id = ${batch.id}`.execute(h.kysely);
  expect(leases.rows).toEqual([{ n: 0 }]);
  // Both consoles started before it (no start-up to offer it): the sweep, every lease time, does.
  const done = await until(other, batch.id, (b) => b.state === 'done', 'swept');
  expect(done.counts.succeeded + done.counts.unchanged).toBe(ids.length);
  const after = h.linksOf(subject);
  for (const id of ids) expect(after.has(id)).toBe(true);
});

describe('sessions', () => {
  const TOKEN = 'a-console-access-token-of-some-length';
  let s: ConsoleHarness;
  afterEach(() => s.close());

  test('signed in on one console is signed in on the other; a wrong token on one counts on both', async () => {
    const { accessToken, sessionKeys } = loadConfig({
      CONSOLE_ACCESS_TOKEN: TOKEN,
      SESSION_KEY: randomBytes(32).toString('base64'),
    });
    s = await startConsoleOn('postgres', {
      prefix: 'two_sessions_',
      seed: { alerts: 5, incidents: 2, indicators: 1 },
      config: { accessToken, sessionKeys },
      // Two failures per minute per address: the third is refused, whichever console it reaches.
      deps: { auth: { maxFailuresPerMinute: 2 } },
    });
    const b = await s.join();
    const signIn = (c: Pick<ConsoleNode, 'post'>, token: string) =>
      c.post('/api/session', { method: 'access-token', token });
    const res = await signIn(s, TOKEN);
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const onB = await b.app.request('/api/session', { headers: { Cookie: cookie } });
    expect(await onB.json()).toMatchObject({ authenticated: true, method: 'access-token' });
    expect((await b.app.request('/api/batches', { headers: { Cookie: cookie } })).status).toBe(200);
    // Signed out on B: the session is gone on A too.
    const out = await b.app.request('/api/session', {
      method: 'DELETE',
      headers: { 'X-Requested-With': 'fetch', Cookie: cookie },
    });
    expect(out.status).toBe(204);
    expect((await s.app.request('/api/batches', { headers: { Cookie: cookie } })).status).toBe(401);

    expect((await signIn(s, 'wrong-token-number-one-xxxxxxxx')).status).toBe(401);
    expect((await signIn(b, 'wrong-token-number-two-xxxxxxxx')).status).toBe(401);
    // The limit is the database's: the right token is refused now on either console.
    expect((await signIn(s, TOKEN)).status).toBe(429);
    expect((await signIn(b, TOKEN)).status).toBe(429);
  });
});
