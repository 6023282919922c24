/**
 * What a failed query of the PostgreSQL ledger means (pg-problems.ts), and what a console on a
 * database that stops answering says: requests 503 "try again", /api/health 503 (its ping shared
 * and reused for a second; where the database is said only to a caller signed in).
 */
import { afterEach, expect, test } from 'vitest';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { createConsole } from '../console';
import { STORAGE_PROBLEM_UNSIGNED } from '../http/status';
import { PG_PING_REUSE_MS, pgConsoleStorage } from './console-storage';
import { pgWriteProblem } from './pg-problems';
import { openPostgres, type PostgresLedgerDb } from './postgres';
import { pgServiceStores } from './service-stores';
import { testDatabase } from '../testing/pg-database';
import { migratedTestDatabase } from '../testing/stores';

const WHERE = 'PostgreSQL db.example:5432/console';
const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test.each([
  ['ECONNREFUSED', 'unreachable'],
  ['ETIMEDOUT', 'unreachable'],
  ['08006', 'unreachable'],
  ['57P01', 'unreachable'],
  ['53300', 'unreachable'],
  ['25006', 'unreachable'],
  ['53100', 'full'],
  ['40001', 'busy'],
  ['40P01', 'busy'],
  ['57014', 'busy'],
])('%s is a transient problem (%s), naming the database', (code, kind) => {
  const p = pgWriteProblem(coded(code), WHERE);
  expect(p).toMatchObject({ kind, transient: true });
  expect(p?.reason).toContain(WHERE);
});

test("pg's own connection errors, which carry no code, are the database out of reach", () => {
  expect(pgWriteProblem(new Error('Connection terminated unexpectedly'), WHERE)?.kind).toBe(
    'unreachable',
  );
  expect(pgWriteProblem(new Error('timeout exceeded when trying to connect'), WHERE)?.kind).toBe(
    'unreachable',
  );
});

test('errors that are not the database being unavailable are not storage problems', () => {
  // A unique violation, a syntax error, a bug.
  expect(pgWriteProblem(coded('23505'), WHERE)).toBeNull();
  expect(pgWriteProblem(coded('42601'), WHERE)).toBeNull();
  expect(pgWriteProblem(new TypeError('x is undefined'), WHERE)).toBeNull();
  expect(pgWriteProblem('a string', WHERE)).toBeNull();
});

let blackhole: Server | null = null;
let db: PostgresLedgerDb | null = null;
afterEach(async () => {
  await db?.close();
  db = null;
  await new Promise((r) => (blackhole ? blackhole.close(r) : r(undefined)));
  blackhole = null;
});

test('a console whose database stops answering: requests that write answer 503 try again, /api/health 503', async () => {
  // A "database" that accepts connections and drops them at once.
  blackhole = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => blackhole?.listen(0, '127.0.0.1', r));
  const port = (blackhole.address() as AddressInfo).port;
  db = openPostgres(`postgres://app@127.0.0.1:${port}/gone`, {
    max: 2,
    connectTimeoutMs: 1_000,
    onIdleError: () => undefined,
  });
  const storage = pgConsoleStorage(db.kysely, db.where);
  expect(await storage.ping()).toBe(false);
  const c = createConsole(loadConfig({}), {
    postgres: { db: db.kysely, where: db.where, consoleId: 'c1', leaseMs: 15_000 },
  });
  try {
    const res = await c.app.request('/api/batches', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'fetch' },
      body: JSON.stringify({
        action: 'associate',
        workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
        dataclass_type: 'incidents',
        data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
        related_dataclass_type: 'alerts',
        ids: ['c0ffee00-0000-4000-8000-0000000000aa'],
      }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('10');
    expect(await res.json()).toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringContaining('try again in a moment'),
    });
    const health = await c.app.request('/api/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable' });
  } finally {
    await c.close();
  }
});

test('/api/health on PostgreSQL: pings at once share one query, and an answer is reused for a second', async () => {
  db = openPostgres(await testDatabase('ping_reuse'), { max: 2 });
  let queries = 0;
  db.pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      query: (...args: unknown[]) => {
        queries++;
        return query(...args);
      },
    });
  });
  let clock = 0;
  const storage = pgConsoleStorage(db.kysely, db.where, () => clock);
  const answers = await Promise.all(Array.from({ length: 50 }, () => storage.ping()));
  expect(answers.every((a) => a)).toBe(true);
  expect(queries).toBe(1);
  clock += PG_PING_REUSE_MS - 1;
  expect(await storage.ping()).toBe(true);
  expect(queries).toBe(1);
  clock += 1;
  expect(await storage.ping()).toBe(true);
  expect(queries).toBe(2);
});

test('/api/health on PostgreSQL names the database only to a caller signed in: the host and database are no business of anybody who is not', async () => {
  db = openPostgres(await migratedTestDatabase(), { max: 4 });
  const host = new URL(`postgres://${db.where.replace(/^PostgreSQL /, '')}`).hostname;
  const database = db.where.replace(/^.*\//, '');
  const token = 'health-access-token-0123456789';
  const config = loadConfig({ CONSOLE_ACCESS_TOKEN: token });
  const c = createConsole(config, {
    postgres: { db: db.kysely, where: db.where, consoleId: 'c1', leaseMs: 15_000 },
  });
  // The console's own app on a storage the test can report into, as the runner does when a
  // batch's write finds the database out of reach (console-storage.ts: runner.report).
  const storage = pgConsoleStorage(db.kysely, db.where);
  const app = createApp({
    config,
    storage,
    stores: pgServiceStores(db.kysely),
    runner: c.runner,
    auth: c.auth,
    groups: c.groups,
  });
  try {
    const problem = pgWriteProblem(coded('ECONNREFUSED'), db.where);
    expect(problem?.reason).toContain(db.where);
    storage.runner.report('batch b1', problem?.reason ?? null);

    const unsigned = await app.request('/api/health');
    expect(unsigned.status).toBe(503);
    const text = await unsigned.text();
    expect(JSON.parse(text)).toEqual({ status: 'degraded', reason: STORAGE_PROBLEM_UNSIGNED });
    for (const secret of [db.where, host, database]) expect(text).not.toContain(secret);

    // Signed in (automation's Bearer token): the reason, as the log has it.
    const signed = await app.request('/api/health', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(signed.status).toBe(503);
    expect(await signed.json()).toEqual({ status: 'degraded', reason: problem?.reason });

    // Any other request of a caller not signed in is refused before it reaches the ledger.
    const refused = await app.request('/api/batches');
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain(host);

    storage.runner.report('batch b1', null);
    expect((await app.request('/api/health')).status).toBe(200);
  } finally {
    await c.close();
  }
});

test.each(['ECONNREFUSED', '08006', '57P01', '53300', '53100', '40001', '57014'])(
  'the 503 answer of a request the database failed (%s) does not say where the database is',
  (code) => {
    const where = 'PostgreSQL pg-7.internal.example:6543/ledger_prod';
    const storage = pgConsoleStorage(null as never, where);
    const problem = storage.requestProblem(coded(code));
    expect(problem?.transient).toBe(true);
    expect(problem?.message).not.toContain('pg-7.internal');
    expect(problem?.message).not.toContain('ledger_prod');
  },
);
