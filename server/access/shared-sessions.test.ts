/**
 * Two consoles behind a load balancer that is not sticky, over real HTTP, with SESSION_KEY: their
 * sessions and sign-in limits in one database (the SQLite ledger file, or a real PostgreSQL). A
 * sign-in on one is valid on the other, a sign-out on one ends the session on the other at once
 * (a batch running there on its token stops), and failed credentials on both add up. A restart
 * keeps the sessions with SESSION_KEY, and signs everyone out without it, as before.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIamStandIn, type RunningIamStandIn } from 'secmaster-emulator/iam';
import { openLedger, type Ledger } from '../batches/ledger';
import type { ConsoleServer } from '../console';
import {
  createSessionTables,
  openPostgresSessionDatabase,
  openSqliteSessionDatabase,
  type SessionDatabase,
} from '../db/sessions';
import { listen, type Listening } from '../testing/attack-harness';
import { makeIds, startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream';
import { testDatabase } from '../testing/pg-database';
import { standInConsole } from '../testing/stand-in-console';
import { SessionKey, type SessionKeys } from './session-key';
import { WS, SUBJECT, JSON_HEADERS, signIn, cookieOf, type Http } from '../testing/api-requests';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const PASSWORD = 'alice-password-never-print-me';
const ACCESS_TOKEN = 'console-access-token-0123456789abcdef';
const ALICE = { method: 'iam', user: 'alice', password: PASSWORD, account: 'acme', region: '' };
const WRONG = { ...ALICE, password: 'not-the-password' };

type Engine = 'sqlite' | 'postgres';
interface Running {
  console: ConsoleServer;
  http: Http;
  server: Listening;
  db: SessionDatabase | null;
}

let fake: FakeUpstream;
let iam: RunningIamStandIn;
let dir: string;
let ledger: Ledger;
let pgUrl: string | null;
let running: Running[];
let logs: string[];
const keys: SessionKeys = { current: SessionKey.random(), previous: null };

beforeEach(async () => {
  fake = await startFakeUpstream();
  iam = await startIamStandIn({
    users: [{ name: 'alice', password: PASSWORD, account: 'acme' }],
    projects: { 'cn-north-4': PROJECT },
  });
  dir = mkdtempSync(join(tmpdir(), 'shared-sessions-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  pgUrl = null;
  running = [];
  logs = [];
  for (const m of ['log', 'warn', 'error', 'info'] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logs.push(args.map(String).join(' '));
    });
  }
});

afterEach(async () => {
  for (const r of running) await stop(r);
  vi.restoreAllMocks();
  ledger.close();
  await fake.close();
  await iam.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sessionDatabase(engine: Engine): Promise<SessionDatabase> {
  if (engine === 'postgres') pgUrl ??= await testDatabase('shared');
  const db =
    engine === 'postgres' && pgUrl !== null
      ? openPostgresSessionDatabase(pgUrl)
      : openSqliteSessionDatabase(join(dir, 'ledger.sqlite'));
  await createSessionTables(db);
  return db;
}

/**
 * A console in IAM sign-in mode (and the access token), sessions shared on `engine` or not, sealed
 * with `withKeys` (default: the keys every console of these tests holds).
 */
async function start(engine: Engine | 'memory', withKeys: SessionKeys = keys): Promise<Running> {
  const db = engine === 'memory' ? null : await sessionDatabase(engine);
  const c = standInConsole({
    endpoint: fake.url,
    dir,
    ledger,
    env: {
      SECMASTER_REGION: 'cn-north-4',
      IAM_ENDPOINT: iam.url,
      CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
    },
    auth: db ? { sharedSessions: { database: db, keys: withKeys } } : {},
  });
  const server = await listen(c.app.fetch);
  const base = `http://127.0.0.1:${server.port}`;
  const r: Running = {
    console: c,
    server,
    db,
    http: (path, init = {}) => fetch(`${base}${path}`, init),
  };
  running.push(r);
  return r;
}

async function stop(r: Running): Promise<void> {
  if (!running.includes(r)) return;
  running = running.filter((x) => x !== r);
  await r.server.close();
  await r.console.close();
  await r.db?.close();
}

async function whoIs(http: Http, cookie: string): Promise<string | null> {
  const res = await http('/api/session', { headers: { Cookie: cookie } });
  const body = (await res.json()) as { authenticated: boolean; user: string | null };
  return body.authenticated ? body.user : null;
}

const tokenRequests = () => iam.requests.filter((r) => r.path === '/v3/auth/tokens').length;

describe.each<Engine>(['sqlite', 'postgres'])('two consoles, sessions on %s', (engine) => {
  test('signed in on A is signed in on B (with the same token); sign-out on B ends it on A at once, and stops its batch there', async () => {
    const a = await start(engine);
    const b = await start(engine);
    const cookie = cookieOf(await signIn(a.http, ALICE));
    const [token] = [...iam.issued.keys()];
    expect(await whoIs(b.http, cookie)).toBe('alice');
    const read = await b.http(`/v1/${PROJECT}/workspaces`, { headers: { Cookie: cookie } });
    expect(read.status).toBe(200);
    expect(fake.requests.at(-1)?.headers['x-auth-token']).toBe(token);

    // A batch on A, its first write held at the fake SecMaster.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.onWrite(async (ids) => {
      await gate;
      return Response.json({ data: { success_ids: ids, error_ids: [] } });
    });
    const created = await a.http('/api/batches', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Cookie: cookie },
      body: JSON.stringify({
        action: 'associate',
        workspace_id: WS,
        dataclass_type: 'incidents',
        data_object_id: SUBJECT,
        related_dataclass_type: 'alerts',
        ids: makeIds(250),
      }),
    });
    expect(created.status).toBe(201);
    const batchId = ((await created.json()) as { id: string }).id;

    const out = await b.http('/api/session', {
      method: 'DELETE',
      headers: { ...JSON_HEADERS, Cookie: cookie },
    });
    expect(out.status).toBe(204);
    expect(await whoIs(a.http, cookie)).toBeNull();
    expect((await a.http('/api/batches', { headers: { Cookie: cookie } })).status).toBe(401);
    const writesBefore = fake.writes().length;
    release();
    await a.console.runner.whenIdle(batchId);
    expect(ledger.getBatch(batchId)).toMatchObject({
      state: 'interrupted',
      state_reason: 'alice signed out: sign in to resume',
    });
    // Only the writes already in flight at the sign-out went out: none after it.
    expect(fake.writes().length).toBe(writesBefore);
    for (const w of fake.writes()) expect(w.headers['x-auth-token']).toBe(token);
  });

  test('failed credentials on A and B add up: the sixth from one address is refused on either, without asking IAM', async () => {
    const a = await start(engine);
    const b = await start(engine);
    const statuses: number[] = [];
    for (const http of [a.http, b.http, a.http, b.http, a.http, b.http, a.http]) {
      const res = await signIn(http, WRONG);
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(tokenRequests()).toBe(5);
    // Wrong Bearer tokens count against the same limit, on both consoles.
    const bearer = await b.http('/api/batches', {
      headers: { Authorization: `Bearer ${ACCESS_TOKEN}` },
    });
    expect(bearer.status).toBe(429);
  });

  test('the per-user limit counts the sessions of both consoles', async () => {
    const a = await start(engine);
    const b = await start(engine);
    const first = cookieOf(await signIn(a.http, ALICE));
    for (let i = 0; i < 20; i++)
      expect((await signIn(i % 2 ? a.http : b.http, ALICE)).status).toBe(200);
    // The 21st session of alice, made on either console, ended her oldest one (made on A).
    expect(await whoIs(a.http, first)).toBeNull();
    expect(await whoIs(b.http, first)).toBeNull();
    expect(await b.console.auth.sessions.count()).toBe(20);
  });
});

describe('the session database unreachable', () => {
  test('a request with a session cookie is answered 503 SESSIONS_UNAVAILABLE: nobody is let in, nobody is signed out', async () => {
    const a = await start('postgres');
    const cookie = cookieOf(await signIn(a.http, ALICE));
    expect(await whoIs(a.http, cookie)).toBe('alice');
    await a.db?.close();
    const res = await a.http('/api/batches', { headers: { Cookie: cookie } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { code: string }).code).toBe('SESSIONS_UNAVAILABLE');
    // Without a cookie there is nothing to read: the usual 401.
    expect((await a.http('/api/batches')).status).toBe(401);
    expect(logs.join('\n')).toContain('sessions: the session database could not be read');
    running = running.filter((r) => r !== a);
    await a.server.close();
    await a.console.close();
  });
});

describe('restart', () => {
  test.each<Engine>(['sqlite', 'postgres'])(
    'with SESSION_KEY (%s) the sessions survive a restart, tokens and all; without it everyone is signed out, as before',
    async (engine) => {
      const first = await start(engine);
      const iamCookie = cookieOf(await signIn(first.http, ALICE));
      const [token] = [...iam.issued.keys()];
      const tokenCookie = cookieOf(
        await signIn(first.http, { method: 'access-token', token: ACCESS_TOKEN }),
      );
      await stop(first);

      const again = await start(engine);
      expect(await whoIs(again.http, iamCookie)).toBe('alice');
      expect(await whoIs(again.http, tokenCookie)).toBe('token user');
      const read = await again.http(`/v1/${PROJECT}/workspaces`, {
        headers: { Cookie: iamCookie },
      });
      expect(read.status).toBe(200);
      expect(fake.requests.at(-1)?.headers['x-auth-token']).toBe(token);
      // IAM was asked for nothing more: the token came back from the database.
      expect(tokenRequests()).toBe(1);
      await stop(again);

      const inMemory = await start('memory');
      expect(await whoIs(inMemory.http, iamCookie)).toBeNull();
      expect(await whoIs(inMemory.http, tokenCookie)).toBeNull();
      // No token, password or cookie in any log line.
      const logged = logs.join('\n');
      for (const secret of [
        PASSWORD,
        token ?? 'no token',
        iamCookie.slice(11),
        tokenCookie.slice(11),
      ]) {
        expect(logged).not.toContain(secret);
      }
    },
  );
});

describe('a batch on an IAM session across a restart (SESSION_KEY)', () => {
  /** IDs per batch: more than the calls held in flight at the stop carry. */
  const IDS = 3000;

  /** Creates a batch of `n` IDs on `cookie`'s session; returns its ID. */
  async function batchOn(r: Running, cookie: string, n: number, prefix: string): Promise<string> {
    const created = await r.http('/api/batches', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Cookie: cookie },
      body: JSON.stringify({
        action: 'associate',
        workspace_id: WS,
        dataclass_type: 'incidents',
        data_object_id: SUBJECT,
        related_dataclass_type: 'alerts',
        ids: makeIds(n, prefix),
      }),
    });
    expect(created.status).toBe(201);
    return ((await created.json()) as { id: string }).id;
  }

  /**
   * Starts a console, signs alice in `sessions` times, starts a batch of IDS IDs on each session
   * (their writes held at the fake SecMaster), and stops the console with them running.
   */
  async function runningBatches(engine: Engine, sessions: number) {
    const first = await start(engine);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.onWrite(async (ids) => {
      await gate;
      return Response.json({ data: { success_ids: ids, error_ids: [] } });
    });
    const cookies: string[] = [];
    const batches: string[] = [];
    for (let i = 0; i < sessions; i++) {
      const cookie = cookieOf(await signIn(first.http, ALICE));
      cookies.push(cookie);
      batches.push(await batchOn(first, cookie, IDS, `b${String(i)}`));
    }
    // Stopped with writes in flight (held at the gate): the rest of each batch is still pending.
    await vi.waitFor(() => expect(fake.writes().length).toBeGreaterThanOrEqual(sessions), {
      timeout: 10_000,
    });
    const tokens = [...iam.issued.keys()];
    const stopped = stop(first);
    release();
    await stopped;
    for (const id of batches) expect(ledger.getBatch(id)?.state).toBe('running');
    // Recorded by the sessions table's key, never by the cookie or the token.
    const row = ledger.db
      .prepare(`SELECT credential_source, credential_session FROM batches WHERE id = ?`)
      .get(batches[0]) as { credential_source: string; credential_session: string };
    expect(row.credential_source).toBe('session:alice');
    expect(row.credential_session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookies[0]).not.toContain(row.credential_session);
    for (const t of tokens) expect(t).not.toContain(row.credential_session);
    return { cookies, batches, tokens };
  }

  test.each<Engine>(['sqlite', 'postgres'])(
    'on %s it continues on its session after the restart and finishes, with that session’s token',
    async (engine) => {
      const { batches, tokens } = await runningBatches(engine, 1);
      const [batchId] = batches;
      const writesBefore = fake.writes().length;
      const again = await start(engine);
      await again.console.resumeAll();
      expect(ledger.getBatch(batchId ?? '')).toMatchObject({
        state: 'done',
        counts: { succeeded: IDS },
      });
      expect(fake.writes().length).toBeGreaterThan(writesBefore);
      for (const w of fake.writes()) expect(w.headers['x-auth-token']).toBe(tokens[0]);
      // IAM was asked for nothing more: the token came from the session database.
      expect(tokenRequests()).toBe(1);
    },
  );

  test('a move on a session continues after the restart: its second phase, made after it, runs on that session too', async () => {
    const first = await start('sqlite');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.onWrite(async (ids) => {
      await gate;
      return Response.json({ data: { success_ids: ids, error_ids: [] } });
    });
    const cookie = cookieOf(await signIn(first.http, ALICE));
    const created = await first.http('/api/moves', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Cookie: cookie },
      body: JSON.stringify({
        workspace_id: WS,
        dataclass_type: 'incidents',
        source_id: SUBJECT,
        destination_id: 'c0ffee00-0000-4000-8000-0000000000d2',
        related_dataclass_type: 'alerts',
        ids: makeIds(IDS, 'e'),
      }),
    });
    expect(created.status).toBe(201);
    const moveId = ((await created.json()) as { id: string }).id;
    // Stopped with its first phase (the link to the destination) running.
    await vi.waitFor(() => expect(fake.writes().length).toBeGreaterThanOrEqual(1), {
      timeout: 10_000,
    });
    const tokens = [...iam.issued.keys()];
    const stopped = stop(first);
    release();
    await stopped;
    expect(ledger.getBatch(moveId)?.state).toBe('running');
    const again = await start('sqlite');
    await again.console.resumeAll();
    // The second phase (the cancel at the source) is made once the first is done, by this console,
    // which never saw the session: it runs on the session the move recorded.
    await vi.waitFor(() => expect(ledger.getBatch(moveId)?.state).not.toBe('running'), {
      timeout: 20_000,
    });
    expect(ledger.getBatch(moveId)).toMatchObject({ state: 'done', state_reason: null });
    const cancels = fake.writes().filter((w) => w.method === 'DELETE');
    expect(cancels.length).toBeGreaterThan(0);
    for (const w of fake.writes()) expect(w.headers['x-auth-token']).toBe(tokens[0]);
    expect(tokenRequests()).toBe(1);
  });

  test('signed out before the restart: its batch is interrupted ("sign in to resume"), nothing sent; a batch on a session still live continues', async () => {
    const { cookies, batches, tokens } = await runningBatches('sqlite', 2);
    const [outCookie] = cookies;
    const [outBatch, liveBatch] = batches;
    const outWrites = fake.writes().filter((w) => w.headers['x-auth-token'] === tokens[0]).length;
    const again = await start('sqlite');
    const out = await again.http('/api/session', {
      method: 'DELETE',
      headers: { ...JSON_HEADERS, Cookie: outCookie ?? '' },
    });
    expect(out.status).toBe(204);
    await again.console.resumeAll();
    expect(ledger.getBatch(outBatch ?? '')).toMatchObject({
      state: 'interrupted',
      state_reason: expect.stringContaining('sign in to resume') as unknown,
    });
    expect(ledger.getBatch(liveBatch ?? '')).toMatchObject({
      state: 'done',
      counts: { succeeded: IDS },
    });
    // Nothing went out with the signed-out session's token after the restart.
    expect(fake.writes().filter((w) => w.headers['x-auth-token'] === tokens[0]).length).toBe(
      outWrites,
    );
    expect(ledger.getBatch(outBatch ?? '')?.counts.succeeded ?? 0).toBeLessThan(IDS);
  });

  test('its session sealed with a key this console lacks: interrupted ("sign in to resume"), not a crash; the operator is told which key', async () => {
    const { batches } = await runningBatches('sqlite', 1);
    const [batchId] = batches;
    const writesBefore = fake.writes().length;
    const otherKeys: SessionKeys = { current: SessionKey.random(), previous: null };
    const again = await start('sqlite', otherKeys);
    await again.console.resumeAll();
    expect(ledger.getBatch(batchId ?? '')).toMatchObject({
      state: 'interrupted',
      state_reason: expect.stringContaining('sign in to resume') as unknown,
    });
    expect(fake.writes().length).toBe(writesBefore);
    // It was looked up, refused here, and left for the consoles that hold the key.
    expect(logs.join('\n')).toContain(
      `session of "alice" refused on this console: it was sealed with session key ${keys.current.id}`,
    );
  });
});
