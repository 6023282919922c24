/**
 * Batches run by lease on a shared PostgreSQL (lease-host.ts): two consoles, each its own pool and
 * console ID, one database, one upstream (the real emulator behind a recording proxy that tells
 * the consoles apart by their token). Console A runs a batch; it is paused longer than the lease
 * (a process of its own, stopped with SIGSTOP: server/testing/lease-console.ts), killed, or
 * refused by the fence in the middle of an outcome; console B takes the batch over and finishes
 * it. Checked after each: every ID in exactly one terminal state, the ledger's links are the
 * upstream's, no ID sent twice without a re-read of it in between, and what the console that lost
 * the lease sent and recorded after it lost it (nothing).
 *
 * What each console records is read from the database itself: row triggers log every committed
 * change of the ledger's tables with the writing connection's `application_name` (its console).
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { sql, type Kysely } from 'kysely';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  createEmulator,
  linksOf,
  openEmulatorDb,
  SEED_WORKSPACES,
  seedEmulator,
  seedObjectIds,
  type Database,
} from 'secmaster-emulator';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { idKey } from '../../../src/api/schemas';
import { DEMO_PROJECT_ID } from '../../config';
import { claimBatch, claimBatches, offerBatch, type LeaseTables } from '../../db/leases';
import { openPgStore } from '../../db/pg-store';
import { openPostgres, type PostgresLedgerDb } from '../../db/postgres';
import type { LedgerTables } from '../../db/tables';
import type { ClaimedCall } from '../ledger';
import { createUpstream } from '../../secmaster/client';
import { migratedTestDatabase } from '../../testing/stores';
import { createLeaseHost, type LeaseHost } from './lease-host';
import { leasedRunner } from './leased-runner';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const WS = SEED_WORKSPACES[0].id;
const ALERTS = seedObjectIds(0, 'alerts', 3_000);
/** A subject per test (links made by one test stay in the file's emulator). */
const INCIDENTS = seedObjectIds(0, 'incidents', 19);
/**
 * Short, so that a takeover comes soon; not shorter, or a console's own event loop lagging on a
 * loaded machine (two cores, several test runs at once) loses it before the test's turn.
 */
const LEASE_MS = 1_500;
const CLAIM_EVERY_MS = 200;
const CHUNK = 50;
const TERMINAL = new Set(['succeeded', 'unchanged', 'failed', 'invalid', 'skipped']);

// --- the upstream: the emulator behind a recording proxy ----------------------------------------

interface UpstreamCall {
  /** The console that sent it (its token). */
  console: string;
  kind: 'write' | 'links' | 'search' | 'other';
  /** The IDs it names (a write's, or a search's filter). */
  ids: string[];
  /** The subject in its path (a write's, a links search's), or null. */
  subject: string | null;
  /** Order of arrival, and of answer (one sequence). */
  arrived: number;
  answered: number | null;
}

interface Upstream {
  url: string;
  calls: UpstreamCall[];
  /** The sequence's next number (calls arriving from now on have a higher `arrived`). */
  mark(): number;
  /** Runs after a write was applied, before it is answered (a test holds an answer there). */
  afterWrite: ((call: UpstreamCall) => Promise<void>) | null;
  /** Told of every call as it arrives. */
  onCall: ((call: UpstreamCall) => void) | null;
  close(): Promise<void>;
}

const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const LINKS_SEARCH = /\/soc\/[a-z]+\/[0-9a-f-]{36}\/[a-z]+\/search$/;
const SUBJECT_IN_PATH = /\/soc\/[a-z]+\/([0-9a-f-]{36})\/[a-z]+/i;

let emulatorDb: Database;

async function startUpstream(writeDelayMs: number): Promise<Upstream> {
  const emulator = createEmulator({ db: emulatorDb, projectId: DEMO_PROJECT_ID });
  let seq = 0;
  const up: Upstream = {
    url: '',
    calls: [],
    mark: () => seq + 1,
    afterWrite: null,
    onCall: null,
    close: () => Promise.resolve(),
  };
  const app = new Hono();
  app.all('*', async (c) => {
    const arrived = ++seq;
    const path = new URL(c.req.url).pathname;
    const body = await c.req.text();
    const method = c.req.method;
    const kind: UpstreamCall['kind'] = path.endsWith('/search')
      ? LINKS_SEARCH.test(path)
        ? 'links'
        : 'search'
      : method === 'POST' || method === 'DELETE'
        ? 'write'
        : 'other';
    const call: UpstreamCall = {
      console: c.req.header('x-auth-token') ?? '',
      kind,
      ids: (body.match(UUIDS) ?? []).map((id) => id.toLowerCase()),
      subject: SUBJECT_IN_PATH.exec(path)?.[1]?.toLowerCase() ?? null,
      arrived,
      answered: null,
    };
    up.calls.push(call);
    up.onCall?.(call);
    if (kind === 'write') await new Promise((r) => setTimeout(r, writeDelayMs));
    const res = await emulator.fetch(
      new Request(c.req.url, {
        method,
        headers: c.req.raw.headers,
        ...(body === '' ? {} : { body }),
      }),
    );
    if (kind === 'write') await up.afterWrite?.(call);
    call.answered = ++seq;
    return res;
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  up.close = () =>
    new Promise<void>((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    });
  return up;
}

/** IDs written twice with no read of the subject's links naming them, after the first was answered. */
function sentTwiceWithoutReread(calls: readonly UpstreamCall[]): string[] {
  const unread = new Map<string, UpstreamCall>();
  const twice = new Set<string>();
  for (const c of [...calls].sort((x, y) => x.arrived - y.arrived)) {
    if (c.kind === 'write') {
      for (const id of c.ids) {
        if (unread.has(id)) twice.add(id);
        unread.set(id, c);
      }
    } else if (c.kind === 'links') {
      for (const id of c.ids) {
        const w = unread.get(id);
        if (w && w.answered !== null && c.arrived > w.answered) unread.delete(id);
      }
    }
  }
  return [...twice];
}

// --- the database ------------------------------------------------------------------------------

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

beforeAll(() => {
  emulatorDb = openEmulatorDb(':memory:');
  seedEmulator(emulatorDb, { alerts: ALERTS.length, incidents: INCIDENTS.length, indicators: 1 });
});
afterAll(() => emulatorDb.close());

/** A migrated database whose ledger tables log each committed row change with its console. */
async function auditedDatabase(): Promise<{ url: string; db: PostgresLedgerDb }> {
  const url = await migratedTestDatabase();
  const db = openPostgres(url, { max: 2 });
  closing.push(() => db.close());
  await sql`create table change_log (
      app text not null, tbl text not null, at timestamptz not null default clock_timestamp())`.execute(
    db.kysely,
  );
  await sql`create function log_change() returns trigger language plpgsql as $$
      begin
        insert into change_log (app, tbl) values (current_setting('application_name'), tg_table_name);
        return null;
      end $$`.execute(db.kysely);
  for (const table of ['batches', 'items', 'calls', 'batch_leases']) {
    await sql`create trigger ${sql.raw(`log_${table}`)} after insert or update or delete on ${sql.table(table)}
        for each row execute function log_change()`.execute(db.kysely);
  }
  return { url, db };
}

/**
 * The ledger refuses (an error that is not the database being unavailable, pg-problems.ts) every
 * call's intent, counting the attempts (a sequence is not rolled back), and every batch's
 * interruption: a run stops, its interruption kept in memory, the row saying running. `allow`
 * takes the writes again.
 */
async function refuseIntentsAndInterruptions(db: Kysely<LedgerTables>) {
  await sql`create sequence attempts`.execute(db);
  await sql`create function refuse_call() returns trigger language plpgsql as $$
      begin perform nextval('attempts'); raise exception 'call refused by the test'; end $$`.execute(
    db,
  );
  await sql`create trigger refuse_calls before insert on calls
      for each row execute function refuse_call()`.execute(db);
  await sql`create function refuse_interruption() returns trigger language plpgsql as $$
      begin raise exception 'interruption refused by the test'; end $$`.execute(db);
  await sql`create trigger refuse_interruptions before update on batches
      for each row when (new.state = 'interrupted') execute function refuse_interruption()`.execute(
    db,
  );
  return {
    attempts: async () =>
      (
        await sql<{ n: number }>`select case when is_called then last_value else 0 end::int as n
         from attempts`.execute(db)
      ).rows[0]?.n,
    allow: async () => {
      await sql`drop trigger refuse_calls on calls`.execute(db);
      await sql`drop trigger refuse_interruptions on batches`.execute(db);
    },
  };
}

/** One console's pool (its `application_name` is its console ID). */
function consolePool(url: string, consoleId: string): PostgresLedgerDb {
  const u = new URL(url);
  u.searchParams.set('application_name', consoleId);
  const db = openPostgres(u.toString(), { max: 4, onIdleError: () => undefined });
  closing.push(() => db.close());
  return db;
}

/** Row changes committed by `app` at or after `since` (the database's clock), by table. */
async function changesBy(
  db: Kysely<LedgerTables>,
  app: string,
  since?: Date,
): Promise<Record<string, number>> {
  const r = await sql<{ tbl: string; n: number }>`
    select tbl, count(*)::int as n from change_log
     where app = ${app} and (${since ?? null}::timestamptz is null or at >= ${since ?? null})
     group by tbl`.execute(db);
  return Object.fromEntries(r.rows.map((x) => [x.tbl, x.n]));
}

async function dbNow(db: Kysely<LedgerTables>): Promise<Date> {
  const r = await sql<{ at: Date }>`select clock_timestamp() as at`.execute(db);
  const at = r.rows[0]?.at;
  if (!at) throw new Error('no time');
  return at;
}

async function createBatch(db: Kysely<LedgerTables>, subject: string, ids: readonly string[]) {
  const store = openPgStore(db);
  const batch = await store.createBatch({
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: subject,
    related_dataclass_type: 'alerts',
    reason: null,
    user: 'test',
    retry_of: null,
    duplicates: 0,
    items: ids.map((id) => ({ id, idKey: idKey(id), state: 'pending', message: null })),
  });
  return batch.id;
}

/**
 * What must hold once the batch is done, whoever ran it: done, every input ID in exactly one
 * terminal state, the IDs recorded linked (succeeded, unchanged) are exactly the subject's links
 * upstream, and no ID was written twice without a re-read of it in between.
 */
async function expectSettled(
  db: Kysely<LedgerTables>,
  batchId: string,
  subject: string,
  ids: readonly string[],
  calls: readonly UpstreamCall[],
): Promise<void> {
  const batch = await db
    .selectFrom('batches')
    .select(['state', 'state_reason'])
    .where('id', '=', batchId)
    .executeTakeFirstOrThrow();
  expect(batch).toEqual({ state: 'done', state_reason: null });
  const items = await db
    .selectFrom('items')
    .select(['id_key', 'state'])
    .where('batch_id', '=', batchId)
    .execute();
  expect(items).toHaveLength(ids.length);
  expect(new Set(items.map((i) => i.id_key))).toEqual(new Set(ids.map(idKey)));
  expect(items.filter((i) => !TERMINAL.has(i.state))).toEqual([]);
  const linkedInLedger = items
    .filter((i) => i.state === 'succeeded' || i.state === 'unchanged')
    .map((i) => i.id_key);
  const batchIds = new Set(ids.map(idKey));
  const upstream = linksOf(emulatorDb, {
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: subject,
    related: 'alerts',
  }).map(idKey);
  // The subject's links among the batch's IDs (the seed links it to a few others too).
  expect(new Set(linkedInLedger)).toEqual(new Set(upstream.filter((id) => batchIds.has(id))));
  expect(linkedInLedger).toHaveLength(ids.length);
  expect(sentTwiceWithoutReread(calls)).toEqual([]);
  const lease = await sql<{ holder: string | null; ended: boolean }>`
    select holder, ended from batch_leases where batch_id = ${batchId}`.execute(db);
  expect(lease.rows).toEqual([{ holder: null, ended: true }]);
}

// --- the consoles ------------------------------------------------------------------------------

/** A console in this process. */
function hostIn(
  url: string,
  consoleId: string,
  upstreamUrl: string,
  opts: {
    leaseMs?: number;
    claimEveryMs?: number;
    takeoverGraceMs?: number;
    maxBatches?: number;
    concurrency?: number;
    log?: (message: string) => void;
    beforeRun?: (batchId: string) => Promise<void>;
  } = {},
): LeaseHost {
  const pool = consolePool(url, consoleId);
  const host = createLeaseHost({
    db: pool.kysely,
    consoleId,
    upstream: createUpstream({
      endpoint: upstreamUrl,
      projectId: DEMO_PROJECT_ID,
      timeoutMs: 10_000,
      authToken: consoleId,
    }),
    runner: { concurrency: opts.concurrency ?? 2, chunkSize: CHUNK, backoffMs: () => 0 },
    leaseMs: opts.leaseMs ?? LEASE_MS,
    claimEveryMs: opts.claimEveryMs ?? CLAIM_EVERY_MS,
    ...(opts.takeoverGraceMs === undefined ? {} : { takeoverGraceMs: opts.takeoverGraceMs }),
    ...(opts.maxBatches === undefined ? {} : { maxBatches: opts.maxBatches }),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.beforeRun ? { beforeRun: opts.beforeRun } : {}),
  });
  // Stopped before its pool closes (closing runs in reverse).
  closing.push(() => host.stop());
  return host;
}

interface ConsoleEvent {
  event: string;
  t: number;
  [field: string]: unknown;
}

/** A console as a process of its own (server/testing/lease-console.ts). */
interface ConsoleProcess {
  child: ChildProcess;
  events: ConsoleEvent[];
  /** Resolves with the first event named `name` (seen already, or to come). */
  next(name: string, timeoutMs?: number): Promise<ConsoleEvent>;
  exited: Promise<void>;
}

function consoleProcess(env: Record<string, string>): ConsoleProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/testing/lease-console.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: ConsoleEvent[] = [];
  const waiting: (() => void)[] = [];
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    for (const line of lines) events.push(JSON.parse(line) as ConsoleEvent);
    for (const w of waiting.splice(0)) w();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  closing.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await exited;
  });
  return {
    child,
    events,
    exited,
    async next(name, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const e = events.find((x) => x.event === name);
        if (e) return e;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no "${name}" from the console (exit ${child.exitCode}):\n${err}`);
        }
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

/**
 * A console that claimed the batch, wrote the intent of a call, sent it (applied upstream) and died
 * before recording its answer; the call.
 */
async function diedWithCallInFlight(
  url: string,
  upstream: Upstream,
  batchId: string,
  subject: string,
): Promise<ClaimedCall> {
  const dead = consolePool(url, 'console-dead');
  const leases = dead.kysely as unknown as Kysely<LeaseTables>;
  await offerBatch(leases, batchId);
  const lease = await claimBatch(leases, 'console-dead', batchId, LEASE_MS);
  expect(lease).not.toBeNull();
  const call = await openPgStore(dead.kysely).claimChunk(batchId, CHUNK);
  if (!call) throw new Error('no call');
  const res = await createUpstream({
    endpoint: upstream.url,
    projectId: DEMO_PROJECT_ID,
    timeoutMs: 10_000,
    authToken: 'console-dead',
  }).call({
    op: 'associate',
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: subject,
    related: 'alerts',
    ids: call.ids,
  });
  expect(res.status).toBe(200);
  return call;
}

// --- the tests ---------------------------------------------------------------------------------

test('A is paused longer than the lease: B takes the batch over, re-reads what A left in flight and finishes; A, continued, sends and records nothing', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(10);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[0] ?? '';
  const ids = ALERTS;
  const batchId = await createBatch(db.kysely, subject, ids);

  const a = consoleProcess({
    DATABASE_URL: url,
    CONSOLE_ID: 'console-a',
    UPSTREAM_URL: upstream.url,
    BATCH_ID: batchId,
    LEASE_MS: String(LEASE_MS),
    // No claim rounds: whatever A does once continued is under the lease it lost (a round could
    // take the batch back, legitimately, should B's renewals lag behind on a loaded machine).
    CLAIM_EVERY_MS: '600000',
    PAUSE_AT_CLAIM: '8',
  });
  expect((await a.next('started')).runs).toBe(true);
  const b = hostIn(url, 'console-b', upstream.url);
  const pausing = await a.next('pausing');
  // Stopped right after its 8th claim committed, that call not sent yet (nor, rarely, the 7th, its
  // commit answered after the 8th's on another connection).
  expect(pausing.claims).toBe(8);
  const sentBefore = Number(pausing.writes);
  expect(sentBefore).toBeLessThan(8);
  // A holds the lease until it expires: B sent nothing so far.
  expect(upstream.calls.filter((c) => c.console === 'console-b')).toEqual([]);

  await vi.waitFor(() => expect(b.running()).toContain(batchId), { timeout: 10_000 });
  // B makes progress while A is still stopped, then A continues in the middle of B's run.
  await vi.waitFor(
    () =>
      expect(
        upstream.calls.filter((c) => c.console === 'console-b' && c.kind === 'write').length,
      ).toBeGreaterThanOrEqual(4),
    { timeout: 10_000 },
  );
  const continuedAt = await dbNow(db.kysely);
  a.child.kill('SIGCONT');
  await a.next('resumed');
  // A finds its lease lost and stops the batch (its answers of calls sent before the pause, its
  // workers between a claim and a send, its timers: all run now).
  await a.next('idle');
  await b.whenIdle(batchId);

  const aLog = () => JSON.stringify(a.events.filter((e) => e.event !== 'write'));
  expect(
    a.events.filter((e) => e.event === 'call-after-resume'),
    aLog(),
  ).toEqual([]);
  expect(await changesBy(db.kysely, 'console-a', continuedAt), aLog()).toEqual({});
  // A did record its share before the pause, and nothing of the batch was interrupted.
  expect((await changesBy(db.kysely, 'console-a')).items).toBeGreaterThan(0);
  // A had calls in flight when it stopped: B marked them unknown and re-read them.
  const stats = b.runner.stats();
  expect(stats.rereads).toBeGreaterThan(0);
  expect(stats.unknownSettled).toBeGreaterThanOrEqual(CHUNK);
  expect(upstream.calls.filter((c) => c.console === 'console-a' && c.kind === 'write').length).toBe(
    sentBefore,
  );
  await expectSettled(db.kysely, batchId, subject, ids, upstream.calls);
}, 60_000);

test('A dies in the middle of a batch (killed: nothing released, no endBatch): B takes it over within the lease time and a claim period, and finishes it', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(10);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[1] ?? '';
  const ids = ALERTS;
  const batchId = await createBatch(db.kysely, subject, ids);

  const a = consoleProcess({
    DATABASE_URL: url,
    CONSOLE_ID: 'console-a',
    UPSTREAM_URL: upstream.url,
    BATCH_ID: batchId,
    LEASE_MS: String(LEASE_MS),
    CLAIM_EVERY_MS: String(CLAIM_EVERY_MS),
  });
  expect((await a.next('started')).runs).toBe(true);
  let claimedAt: number | null = null;
  const b = hostIn(url, 'console-b', upstream.url, {
    log: (message) => {
      if (message.startsWith(`batch ${batchId}: lease claimed`)) claimedAt ??= Date.now();
    },
  });
  await vi.waitFor(
    () => expect(a.events.filter((e) => e.event === 'write').length).toBeGreaterThanOrEqual(10),
    { timeout: 15_000 },
  );
  a.child.kill('SIGKILL');
  const killedAt = Date.now();
  await a.exited;

  await vi.waitFor(() => expect(claimedAt).not.toBeNull(), { timeout: 10_000 });
  // Its last renewal was sent before the kill: the lease ended at most LEASE_MS after it, and B's
  // next claim round took it. (The second's margin is for timers on a loaded machine; a takeover
  // that waited for anything else, a second lease period or the sessions' idle timeout, is later.)
  expect((claimedAt ?? Infinity) - killedAt).toBeLessThan(LEASE_MS + CLAIM_EVERY_MS + 1_000);
  await vi.waitFor(
    async () => {
      const row = await db.kysely
        .selectFrom('batches')
        .select('state')
        .where('id', '=', batchId)
        .executeTakeFirstOrThrow();
      expect(row.state).toBe('done');
    },
    { timeout: 30_000, interval: 100 },
  );
  await b.whenIdle(batchId);
  // A was in the middle: B sent the rest. (A's last writes may have died with it, unsent.)
  const writesOf = (who: string) =>
    upstream.calls.filter((c) => c.console === who && c.kind === 'write').length;
  expect(writesOf('console-a')).toBeGreaterThan(0);
  expect(writesOf('console-b')).toBeGreaterThan(0);
  await expectSettled(db.kysely, batchId, subject, ids, upstream.calls);
}, 60_000);

test('the fence refuses a call’s outcome (the lease ended under A): its IDs stay in flight, the batch is not interrupted, A sends nothing more; B takes over and re-reads them', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(0);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[2] ?? '';
  const ids = ALERTS.slice(0, 500);
  const batchId = await createBatch(db.kysely, subject, ids);

  // A's second write is applied upstream, and its answer held until the lease has ended.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let heldCall!: (call: UpstreamCall) => void;
  const held = new Promise<UpstreamCall>((resolve) => (heldCall = resolve));
  let writesOfA = 0;
  upstream.afterWrite = async (call) => {
    if (call.console === 'console-a' && ++writesOfA === 2) {
      heldCall(call);
      await gate;
    }
  };
  // A long lease: A's keeper renews and vouches for it locally far beyond this test; only the
  // database says it ended. No claim round of A's meanwhile (it would take the batch again).
  const a = hostIn(url, 'console-a', upstream.url, {
    leaseMs: 10_000,
    claimEveryMs: 60_000,
    concurrency: 1,
  });
  expect(await a.start(batchId)).toBe(true);
  const call = await held;
  // The lease ends in the database while A's keeper still holds it (a renewal stalled beyond it,
  // or the database's clock stepped forward).
  await sql`update batch_leases set expires_at = clock_timestamp() - interval '1 second'
             where batch_id = ${batchId}`.execute(db.kysely);
  const releasedAt = upstream.mark();
  release();
  await a.whenIdle(batchId);

  const inFlight = await db.kysely
    .selectFrom('items')
    .select('id_key')
    .where('batch_id', '=', batchId)
    .where('state', '=', 'in_flight')
    .execute();
  // The held call's IDs, and those of the next call if A's second worker (WORKERS_PER_SLOT)
  // claimed it while the held one was in flight (sent after the release at most, below).
  const inFlightIds = inFlight.map((i) => i.id_key);
  expect(inFlightIds).toEqual(expect.arrayContaining([...call.ids]));
  expect([CHUNK, 2 * CHUNK]).toContain(inFlightIds.length);
  expect(call.ids).toHaveLength(CHUNK);
  expect(
    await db.kysely
      .selectFrom('batches')
      .select(['state', 'state_reason'])
      .where('id', '=', batchId)
      .executeTakeFirstOrThrow(),
  ).toEqual({ state: 'running', state_reason: null });
  // Nothing claimed after the release is sent. A's second worker (WORKERS_PER_SLOT) may still read,
  // and send the call it claimed while the held one was in flight (its intent fenced while A held
  // the lease; the slot goes on as the held call answers, before its outcome is refused and tells
  // A, whose keeper vouches for the lease): only IDs left in flight for B's re-read.
  const lateWrites = upstream.calls.filter(
    (c) => c.console === 'console-a' && c.kind === 'write' && c.arrived >= releasedAt,
  );
  expect(lateWrites.length).toBeLessThanOrEqual(1);
  for (const w of lateWrites) {
    // The second worker's call, never the held one sent again.
    expect(inFlightIds).toEqual(expect.arrayContaining(w.ids));
    expect(w.ids.filter((i) => call.ids.includes(i))).toEqual([]);
    expect(inFlightIds).toHaveLength(2 * CHUNK);
  }
  expect(a.running()).toEqual([]);

  const b = hostIn(url, 'console-b', upstream.url);
  await vi.waitFor(
    async () => {
      const row = await db.kysely
        .selectFrom('batches')
        .select('state')
        .where('id', '=', batchId)
        .executeTakeFirstOrThrow();
      expect(row.state).toBe('done');
    },
    { timeout: 20_000, interval: 100 },
  );
  await b.whenIdle(batchId);
  // The IDs left in flight: B's re-read found the held call's applied upstream (and the unsent
  // claim's, if any, not applied: B sent them).
  expect(b.runner.stats().unknownSettled).toBe(inFlightIds.length);
  const settled = await db.kysely
    .selectFrom('items')
    .select(['id_key', 'state'])
    .where('batch_id', '=', batchId)
    .where('id_key', 'in', call.ids)
    .execute();
  expect(new Set(settled.map((i) => i.state))).toEqual(new Set(['succeeded']));
  // B wrote none of them again.
  const rewritten = upstream.calls.filter(
    (c) =>
      c.console === 'console-b' && c.kind === 'write' && c.ids.some((id) => call.ids.includes(id)),
  );
  expect(rewritten).toEqual([]);
  await expectSettled(db.kysely, batchId, subject, ids, upstream.calls);
}, 60_000);

test('a cancel on the console that does not run the batch: the holder stops, records its calls in flight, and ends the lease', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(10);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[3] ?? '';
  const ids = ALERTS.slice(0, 1_000);
  const batchId = await createBatch(db.kysely, subject, ids);
  const a = hostIn(url, 'console-a', upstream.url);
  const b = hostIn(url, 'console-b', upstream.url);
  expect(await a.start(batchId)).toBe(true);
  await vi.waitFor(
    () =>
      expect(
        upstream.calls.filter((c) => c.console === 'console-a' && c.kind === 'write').length,
      ).toBeGreaterThanOrEqual(3),
    { timeout: 15_000 },
  );
  expect(await b.cancel(batchId)).toBe(true);
  await a.whenIdle(batchId);
  const sent = upstream.mark();

  const batch = await db.kysely
    .selectFrom('batches')
    .select('state')
    .where('id', '=', batchId)
    .executeTakeFirstOrThrow();
  expect(batch.state).toBe('cancelled');
  const items = await db.kysely
    .selectFrom('items')
    .select(['id_key', 'state'])
    .where('batch_id', '=', batchId)
    .execute();
  expect(items.filter((i) => !TERMINAL.has(i.state))).toEqual([]);
  expect(items.filter((i) => i.state === 'skipped').length).toBeGreaterThan(0);
  const linked = new Set(
    linksOf(emulatorDb, {
      workspaceId: WS,
      dataclass: 'incidents',
      objectId: subject,
      related: 'alerts',
    }).map(idKey),
  );
  for (const i of items) {
    expect(linked.has(i.id_key)).toBe(i.state === 'succeeded' || i.state === 'unchanged');
  }
  const lease = await sql<{ holder: string | null; ended: boolean }>`
    select holder, ended from batch_leases where batch_id = ${batchId}`.execute(db.kysely);
  expect(lease.rows).toEqual([{ holder: null, ended: true }]);
  expect(upstream.calls.filter((c) => c.console === 'console-b')).toEqual([]);
  // Ended: nobody takes it up again.
  expect(await b.claimNow()).toEqual([]);
  expect(upstream.calls.filter((c) => c.arrived >= sent)).toEqual([]);
}, 60_000);

test('a batch cancelled while its holder is dead with a call in flight: the next console to claim it re-reads that call, settles it, and ends the lease', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(0);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[4] ?? '';
  const ids = ALERTS.slice(0, 200);
  const batchId = await createBatch(db.kysely, subject, ids);
  const call = await diedWithCallInFlight(url, upstream, batchId, subject);

  const b = hostIn(url, 'console-b', upstream.url);
  expect(await b.cancel(batchId)).toBe(true);
  await vi.waitFor(
    async () => {
      const r = await sql<{ ended: boolean }>`
        select ended from batch_leases where batch_id = ${batchId}`.execute(db.kysely);
      expect(r.rows).toEqual([{ ended: true }]);
    },
    { timeout: 15_000, interval: 100 },
  );
  await b.whenIdle(batchId);
  const items = await db.kysely
    .selectFrom('items')
    .select(['id_key', 'state'])
    .where('batch_id', '=', batchId)
    .execute();
  const inCall = new Set(call.ids.map(idKey));
  // The call's IDs were applied: succeeded by the re-read; the rest skipped by the cancel.
  for (const i of items) expect(i.state).toBe(inCall.has(i.id_key) ? 'succeeded' : 'skipped');
  const reads = upstream.calls.filter((c) => c.console === 'console-b');
  expect(reads.length).toBeGreaterThan(0);
  expect(reads.every((c) => c.kind === 'links')).toBe(true);
}, 60_000);

test('a batch taken over with a call left in flight waits takeoverGraceMs before anything is read or sent, then re-reads that call and finishes', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(0);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[5] ?? '';
  const ids = ALERTS.slice(0, 200);
  const batchId = await createBatch(db.kysely, subject, ids);
  const call = await diedWithCallInFlight(url, upstream, batchId, subject);
  const grace = 1_000;
  let claimedAt: number | null = null;
  const b = hostIn(url, 'console-b', upstream.url, {
    takeoverGraceMs: grace,
    log: (message) => {
      if (message.startsWith(`batch ${batchId}: lease claimed`)) claimedAt ??= Date.now();
    },
  });
  const firstCallAt = new Promise<number>((resolve) => {
    upstream.onCall = (c) => {
      if (c.console === 'console-b') resolve(Date.now());
    };
  });
  const first = await firstCallAt;
  expect(claimedAt).not.toBeNull();
  expect(first - (claimedAt ?? Infinity)).toBeGreaterThanOrEqual(grace);
  await vi.waitFor(
    async () => {
      const r = await sql<{ ended: boolean }>`
        select ended from batch_leases where batch_id = ${batchId}`.execute(db.kysely);
      expect(r.rows).toEqual([{ ended: true }]);
    },
    { timeout: 20_000, interval: 100 },
  );
  await b.whenIdle(batchId);
  expect(b.runner.stats().unknownSettled).toBe(CHUNK);
  const rewritten = upstream.calls.filter(
    (c) =>
      c.console === 'console-b' && c.kind === 'write' && c.ids.some((id) => call.ids.includes(id)),
  );
  expect(rewritten).toEqual([]);
  await expectSettled(db.kysely, batchId, subject, ids, upstream.calls);
}, 60_000);

test('a batch claimed here runs only once beforeRun has resolved (its credential read first): nothing is sent before', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(0);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[12] ?? '';
  const ids = ALERTS.slice(2_800, 2_900);
  const batchId = await createBatch(db.kysely, subject, ids);
  await offerBatch(db.kysely as unknown as Kysely<LeaseTables>, batchId);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let asked!: (id: string) => void;
  const askedFor = new Promise<string>((r) => (asked = r));
  const b = hostIn(url, 'console-b', upstream.url, {
    beforeRun: async (id) => {
      asked(id);
      await gate;
    },
  });
  expect(await askedFor).toBe(batchId);
  // Claimed and waiting on beforeRun: nothing of it has gone out.
  await b.claimNow();
  expect(upstream.calls.filter((c) => c.console === 'console-b')).toEqual([]);
  release();
  await vi.waitFor(() => expect(b.running()).not.toContain(batchId), { timeout: 20_000 });
  await b.whenIdle(batchId);
  expect(upstream.calls.some((c) => c.console === 'console-b' && c.kind === 'write')).toBe(true);
  await expectSettled(db.kysely, batchId, subject, ids, upstream.calls);
}, 60_000);

test('a stop asked of the console that took a batch over, during its takeover grace, waits for the grace: nothing is read or sent before it; the call left in flight is then re-read and settled', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(0);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[11] ?? '';
  const ids = ALERTS.slice(2_500, 2_700);
  const batchId = await createBatch(db.kysely, subject, ids);
  const call = await diedWithCallInFlight(url, upstream, batchId, subject);
  const grace = 1_000;
  let claimed!: (at: number) => void;
  const claimedAt = new Promise<number>((r) => (claimed = r));
  const firstCallAt = new Promise<number>((resolve) => {
    upstream.onCall = (c) => {
      if (c.console === 'console-b') resolve(Date.now());
    };
  });
  const b = hostIn(url, 'console-b', upstream.url, {
    takeoverGraceMs: grace,
    log: (message) => {
      if (message.startsWith(`batch ${batchId}: lease claimed`)) claimed(Date.now());
    },
  });
  const claimTime = await claimedAt;
  // In its grace: the stop is recorded at once, and answered.
  expect(await b.cancel(batchId)).toBe(true);
  const [state] = (
    await sql<{ state: string }>`select state from batches where id = ${batchId}`.execute(db.kysely)
  ).rows;
  expect(state).toEqual({ state: 'cancelled' });
  await vi.waitFor(
    async () => {
      const r = await sql<{ ended: boolean }>`
        select ended from batch_leases where batch_id = ${batchId}`.execute(db.kysely);
      expect(r.rows).toEqual([{ ended: true }]);
    },
    { timeout: 20_000, interval: 100 },
  );
  await b.whenIdle(batchId);
  // Nothing read before the grace was over (the re-read then), and nothing written: a stop
  // sends no write.
  expect((await firstCallAt) - claimTime).toBeGreaterThanOrEqual(grace);
  const fromB = upstream.calls.filter((c) => c.console === 'console-b');
  expect(fromB.every((c) => c.kind !== 'write')).toBe(true);
  // The call the dead console sent was applied: its IDs succeeded (re-read), the rest skipped.
  const rows = (
    await sql<{ state: string; n: number }>`
      select state, count(*)::int as n from items where batch_id = ${batchId}
      group by state order by state`.execute(db.kysely)
  ).rows;
  expect(rows).toEqual([
    { state: 'skipped', n: ids.length - call.ids.length },
    { state: 'succeeded', n: call.ids.length },
  ]);
}, 60_000);

test('renewals on the keeper’s own pool go on while every connection of the console’s main pool is taken (a burst of requests): the lease is not lost', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(200);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[9] ?? '';
  const ids = ALERTS.slice(2_000, 2_400);
  const batchId = await createBatch(db.kysely, subject, ids);
  const main = consolePool(url, 'console-k');
  const keeperPool = consolePool(url, 'console-k-keeper');
  const host = createLeaseHost({
    db: main.kysely,
    keeperDb: keeperPool.kysely,
    consoleId: 'console-k',
    upstream: createUpstream({
      endpoint: upstream.url,
      projectId: DEMO_PROJECT_ID,
      timeoutMs: 10_000,
      authToken: 'console-k',
    }),
    runner: { concurrency: 2, chunkSize: CHUNK, backoffMs: () => 0 },
    leaseMs: LEASE_MS,
    claimEveryMs: CLAIM_EVERY_MS,
  });
  closing.push(() => host.stop());
  expect(await host.start(batchId)).toBe(true);
  const expiry = async () =>
    (
      await sql<{ expires_at: Date | null }>`
        select expires_at from batch_leases where batch_id = ${batchId}`.execute(db.kysely)
    ).rows[0]?.expires_at?.getTime() ?? 0;
  // Every connection of the main pool held (its max is 4), as a burst of requests would.
  const held = await Promise.all(Array.from({ length: 4 }, () => main.pool.connect()));
  try {
    const before = await expiry();
    // Renewed meanwhile, more than a lease time past the hold's start: never lost.
    await vi.waitFor(async () => expect(await expiry()).toBeGreaterThan(before + LEASE_MS), {
      timeout: 10_000,
      interval: 100,
    });
    expect(host.running()).toContain(batchId);
  } finally {
    for (const c of held) c.release();
  }
  await host.whenIdle(batchId);
  await expectSettled(db.kysely, batchId, subject, ids, upstream.calls);
}, 60_000);

test('batches offered and started by nobody: the two consoles’ claim rounds share them, at most maxBatches each at once, each run by one console to its end', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(5);
  closing.push(() => upstream.close());
  const subjects = INCIDENTS.slice(6, 12);
  const batches = new Map<string, string>();
  for (const [i, subject] of subjects.entries()) {
    const id = await createBatch(db.kysely, subject, ALERTS.slice(i * 150, i * 150 + 150));
    await offerBatch(db.kysely as unknown as Kysely<LeaseTables>, id);
    batches.set(subject, id);
  }
  const a = hostIn(url, 'console-a', upstream.url, { maxBatches: 2 });
  const b = hostIn(url, 'console-b', upstream.url, { maxBatches: 2 });
  let most = 0;
  const watch = setInterval(() => {
    most = Math.max(most, a.running().length, b.running().length);
  }, 5);
  closing.push(() => Promise.resolve(clearInterval(watch)));
  await vi.waitFor(
    async () => {
      const r = await sql<{ n: number }>`
        select count(*)::int as n from batch_leases where ended`.execute(db.kysely);
      expect(r.rows[0]?.n).toBe(subjects.length);
    },
    { timeout: 40_000, interval: 100 },
  );
  expect(most).toBeLessThanOrEqual(2);
  const runBy = new Map<string, Set<string>>();
  for (const c of upstream.calls) {
    if (c.kind !== 'write' || c.subject === null) continue;
    const by = runBy.get(c.subject) ?? new Set<string>();
    by.add(c.console);
    runBy.set(c.subject, by);
  }
  // Each batch's writes came from one console, and both consoles ran some.
  expect([...runBy.values()].map((s) => s.size)).toEqual(subjects.map(() => 1));
  expect(new Set([...runBy.values()].flatMap((s) => [...s]))).toEqual(
    new Set(['console-a', 'console-b']),
  );
  for (const [i, subject] of subjects.entries()) {
    await expectSettled(
      db.kysely,
      batches.get(subject) ?? '',
      subject,
      ALERTS.slice(i * 150, i * 150 + 150),
      upstream.calls.filter((c) => c.subject === subject),
    );
  }
}, 60_000);

test('two batches of one subject started on two consoles: the second console does not run its batch while the first console runs the other; they run one after the other', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(20);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[12] ?? '';
  const firstIds = ALERTS.slice(0, 1_000);
  const secondIds = ALERTS.slice(1_000, 1_300);
  const first = await createBatch(db.kysely, subject, firstIds);
  const second = await createBatch(db.kysely, subject, secondIds);
  const a = hostIn(url, 'console-a', upstream.url);
  const b = hostIn(url, 'console-b', upstream.url);
  expect(await a.start(first)).toBe(true);
  // A holds the subject: B's start is refused, the batch stays offered (B's claim rounds are
  // refused too while A holds it; A's take it, and A's runner runs it after the first).
  expect(await b.start(second)).toBe(false);
  expect(b.running()).toEqual([]);
  await vi.waitFor(
    async () => {
      const r = await sql<{ batch_id: string }>`
        select batch_id from batch_leases where ended order by batch_id`.execute(db.kysely);
      expect(r.rows.map((x) => x.batch_id)).toEqual([first, second].sort());
    },
    { timeout: 40_000, interval: 100 },
  );
  await Promise.all([a.whenIdle(first), a.whenIdle(second), b.whenIdle(second)]);
  const ofFirst = new Set(firstIds.map((id) => id.toLowerCase()));
  const ofSecond = new Set(secondIds.map((id) => id.toLowerCase()));
  const firstCalls = upstream.calls.filter((c) => c.ids.some((id) => ofFirst.has(id)));
  const secondCalls = upstream.calls.filter((c) => c.ids.some((id) => ofSecond.has(id)));
  expect(new Set(firstCalls.map((c) => c.console))).toEqual(new Set(['console-a']));
  expect(secondCalls.some((c) => c.kind === 'write')).toBe(true);
  // Nothing of the second reached the upstream before the first's last call was answered.
  const firstDone = Math.max(...firstCalls.map((c) => c.answered ?? Infinity));
  expect(Math.min(...secondCalls.map((c) => c.arrived))).toBeGreaterThan(firstDone);
  await expectSettled(db.kysely, first, subject, firstIds, firstCalls);
  await expectSettled(db.kysely, second, subject, secondIds, secondCalls);
}, 60_000);

test('a start beyond maxBatches leaves its batch offered and unheld: the console holds at most maxBatches leases, and a run’s end here takes the next one at once', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(0);
  closing.push(() => upstream.close());
  // Every write's answer held until the test lets go: the first runs are under way meanwhile.
  let letGo: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  upstream.afterWrite = () => gate;
  closing.push(() => Promise.resolve(letGo()));
  const subjects = INCIDENTS.slice(13, 18);
  const idsOf = (i: number) => ALERTS.slice(2_000 + i * 60, 2_060 + i * 60);
  const batchIds: string[] = [];
  for (const [i, subject] of subjects.entries()) {
    batchIds.push(await createBatch(db.kysely, subject, idsOf(i)));
  }
  // No claim round by the timer during the test: only starts and runs' ends claim.
  const a = hostIn(url, 'console-a', upstream.url, { maxBatches: 2, claimEveryMs: 60_000 });
  const started = await Promise.all(batchIds.map((id) => a.start(id)));
  const here = batchIds.filter((_, i) => started[i]);
  expect(here).toHaveLength(2);
  expect([...a.running()].sort()).toEqual([...here].sort());
  const { rows } = await sql<{ batch_id: string; holder: string | null; ended: boolean }>`
    select batch_id, holder, ended from batch_leases`.execute(db.kysely);
  expect(
    rows
      .filter((r) => r.holder === 'console-a')
      .map((r) => r.batch_id)
      .sort(),
  ).toEqual([...here].sort());
  // The others are offered: unheld, not ended, for any console's claim.
  expect(
    rows
      .filter((r) => r.holder === null && !r.ended)
      .map((r) => r.batch_id)
      .sort(),
  ).toEqual(batchIds.filter((id) => !here.includes(id)).sort());

  let most = 0;
  const watch = setInterval(() => {
    most = Math.max(most, a.running().length);
  }, 5);
  closing.push(() => Promise.resolve(clearInterval(watch)));
  letGo();
  await vi.waitFor(
    async () => {
      const r = await sql<{ n: number }>`
        select count(*)::int as n from batch_leases where ended`.execute(db.kysely);
      expect(r.rows[0]?.n).toBe(batchIds.length);
    },
    { timeout: 30_000, interval: 100 },
  );
  expect(most).toBeLessThanOrEqual(2);
  for (const [i, subject] of subjects.entries()) {
    await expectSettled(
      db.kysely,
      batchIds[i] ?? '',
      subject,
      idsOf(i),
      upstream.calls.filter((c) => c.subject === subject),
    );
  }
}, 60_000);

test('a run stopped on an error whose interruption the ledger refuses too: nobody claims the batch again for a lease time, then, after another console’s run stops the same way, twice that; a start clears the wait, and once the ledger takes its writes it finishes', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(0);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[18] ?? '';
  const ids = ALERTS.slice(2_400, 2_500);
  const batchId = await createBatch(db.kysely, subject, ids);
  const { attempts, allow } = await refuseIntentsAndInterruptions(db.kysely);
  const lease = async () =>
    (
      await sql<{ holder: string | null; ended: boolean; wait_ms: number | null }>`
        select holder, ended,
               (extract(epoch from expires_at - clock_timestamp()) * 1000)::float8 as wait_ms
          from batch_leases where batch_id = ${batchId}`.execute(db.kysely)
    ).rows[0];
  const logs: string[] = [];
  // One call at a time: a run makes one attempt.
  const a = hostIn(url, 'console-a', upstream.url, { concurrency: 1, log: (m) => logs.push(m) });
  const b = hostIn(url, 'console-b', upstream.url, { concurrency: 1, log: (m) => logs.push(m) });

  expect(await a.start(batchId)).toBe(true);
  await a.whenIdle(batchId);
  expect(await attempts()).toBe(1);
  // Unheld, not ended, and waiting about a lease time: no claim takes it meanwhile (without the
  // wait every claim round, every 200 ms here, ran it again).
  const first = await lease();
  expect(first).toMatchObject({ holder: null, ended: false });
  expect(first?.wait_ms ?? 0).toBeGreaterThan(LEASE_MS / 2);
  expect(first?.wait_ms).toBeLessThanOrEqual(LEASE_MS);
  expect(
    await claimBatches(db.kysely as unknown as Kysely<LeaseTables>, 'console-c', 10, LEASE_MS),
  ).toEqual([]);
  expect(await attempts()).toBe(1);

  // Once the wait is over another console's claim round runs it again (A stops: B only); it
  // stops the same way, and the wait doubles: the count is the lease row's, not A's.
  await a.stop();
  await vi.waitFor(
    async () => {
      expect(await attempts()).toBe(2);
      const second = await lease();
      expect(second).toMatchObject({ holder: null, ended: false });
      expect(second?.wait_ms ?? 0).toBeGreaterThan(LEASE_MS);
    },
    { timeout: 20_000, interval: 50 },
  );
  expect(
    logs.filter((m) => m.includes(`batch ${batchId}: stopped here while it still runs`)),
  ).toEqual([
    expect.stringContaining(`claimed again in ${LEASE_MS} ms`),
    expect.stringContaining(`claimed again in ${2 * LEASE_MS} ms`),
  ]);
  expect(
    await db.kysely
      .selectFrom('batches')
      .select('state')
      .where('id', '=', batchId)
      .executeTakeFirst(),
  ).toEqual({ state: 'running' });

  // The ledger takes the writes again; a start (a resume on the console that kept the
  // interruption) does not wait for the rest of the wait.
  await allow();
  expect(await b.start(batchId)).toBe(true);
  await b.whenIdle(batchId);
  await expectSettled(
    db.kysely,
    batchId,
    subject,
    ids,
    upstream.calls.filter((c) => c.subject === subject),
  );
}, 60_000);

test('a resume, through the leased runner, of a batch whose interruption the ledger refused (held in memory, the row says running): the interruption is forgotten and the batch runs to its end', async () => {
  const { url, db } = await auditedDatabase();
  const upstream = await startUpstream(0);
  closing.push(() => upstream.close());
  const subject = INCIDENTS[17] ?? '';
  const ids = ALERTS.slice(2_900, 3_000);
  const batchId = await createBatch(db.kysely, subject, ids);
  const { allow } = await refuseIntentsAndInterruptions(db.kysely);
  const host = hostIn(url, 'console-a', upstream.url, { concurrency: 1 });
  const runner = leasedRunner(host, openPgStore(db.kysely), db.kysely);
  await runner.start(batchId);
  await runner.whenIdle(batchId);
  expect(runner.unrecordedInterruption(batchId)).toContain('refused by the test');
  expect(
    await db.kysely.selectFrom('batches').select('state').where('id', '=', batchId).execute(),
  ).toEqual([{ state: 'running' }]);

  await allow();
  expect(await runner.resume(batchId)).toBe(true);
  expect(runner.unrecordedInterruption(batchId)).toBeNull();
  await runner.whenIdle(batchId);
  await expectSettled(
    db.kysely,
    batchId,
    subject,
    ids,
    upstream.calls.filter((c) => c.subject === subject),
  );
}, 60_000);
