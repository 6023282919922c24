/**
 * Access control of the console (the session API): access-token and IAM sign-in (against the IAM
 * stand-in), cookies, Bearer automation, SIGN_IN_REQUIRED, sign-out, rate limiting, per-session
 * upstream credentials, restart → "sign in to resume", and no secret in any answer or log.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type Ledger } from '../batches/ledger';
import { loadConfig } from '../config';
import type { ConsoleServer } from '../console';
import { standInConsole } from '../testing/stand-in-console';
import { startIamStandIn, type RunningIamStandIn } from 'secmaster-emulator/iam';
import { newBatch } from '../testing/batches';
import { makeIds, startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream';
import { WS, SUBJECT, JSON_HEADERS, batchBody, cookieOf } from '../testing/api-requests';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const OTHER_PROJECT = '1b2c3d4e5f60718293a4b5c6d7e8f9a0';
const ACCESS_TOKEN = 'console-access-token-0123456789abcdef';
const PASSWORD = 'alice-password-never-print-me';
const ENV_TOKEN = 'env-iam-token-never-print-me';

let fake: FakeUpstream;
let iam: RunningIamStandIn;
let dir: string;
let ledger: Ledger;
/** The console of the test's last `build`. */
let current: ConsoleServer | null = null;
let logs: string[];

beforeEach(async () => {
  fake = await startFakeUpstream();
  iam = await startIamStandIn({
    users: [{ name: 'alice', password: PASSWORD, account: 'acme' }],
    projects: { 'cn-north-4': PROJECT, 'cn-east-3': OTHER_PROJECT },
  });
  dir = mkdtempSync(join(tmpdir(), 'auth-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  logs = [];
  for (const m of ['log', 'warn', 'error', 'info', 'debug'] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logs.push(args.map(String).join(' '));
    });
  }
});

afterEach(async () => {
  await current?.close();
  current = null;
  vi.restoreAllMocks();
  ledger.close();
  await fake.close();
  await iam.close();
  rmSync(dir, { recursive: true, force: true });
});

function build(env: Record<string, string>, auth: { now?: () => number } = {}) {
  current = standInConsole({ endpoint: fake.url, dir, ledger, env, auth });
  return current;
}

const accessEnv = {
  SECMASTER_PROJECT_ID: PROJECT,
  SECMASTER_AUTH_TOKEN: ENV_TOKEN,
  CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
};
const iamEnv = () => ({ SECMASTER_REGION: 'cn-north-4', IAM_ENDPOINT: iam.url });

type App = ConsoleServer['app'];

/** A JSON answer, loosely typed for assertions. */
interface Json {
  [key: string]: unknown;
  code?: string;
  message?: string;
  user?: string | null;
  id: string;
  expires_at?: string | null;
  projectId?: string;
}

async function json(res: Response | Promise<Response>): Promise<Json> {
  return (await (await res).json()) as Json;
}

function signIn(app: App, body: unknown, headers: Record<string, string> = {}) {
  return app.request('/api/session', {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
  });
}

function postBatch(app: App, headers: Record<string, string>) {
  return app.request('/api/batches', {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(batchBody(makeIds(3))),
  });
}

const IAM_SIGN_IN = {
  method: 'iam',
  user: 'alice',
  password: PASSWORD,
  account: 'acme',
  region: 'cn-north-4',
};

describe('access token', () => {
  test('sign-in gives an HttpOnly SameSite=Strict cookie (not Secure without TLS); sign-out ends it', async () => {
    const { app } = build(accessEnv);
    const before = await json(app.request('/api/session'));
    expect(before).toEqual({
      authenticated: false,
      user: null,
      method: 'none',
      expires_at: null,
      sign_in_required: true,
      sign_in_methods: ['access-token'],
      region: null,
    });
    const res = await signIn(app, { method: 'access-token', token: ACCESS_TOKEN });
    expect(res.status).toBe(200);
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^sm_session=[A-Za-z0-9_-]{43}; /);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toContain('Path=/');
    expect(set).not.toContain('Secure');
    const body = await json(res);
    expect(body).toMatchObject({ authenticated: true, user: 'token user', method: 'access-token' });
    expect(typeof body.expires_at).toBe('string');
    const cookie = cookieOf(res);

    expect((await app.request('/api/batches', { headers: { Cookie: cookie } })).status).toBe(200);
    const created = await postBatch(app, { Cookie: cookie });
    expect(created.status).toBe(201);
    expect((await json(created)).user).toBe('token user');

    const out = await app.request('/api/session', {
      method: 'DELETE',
      headers: { 'X-Requested-With': 'fetch', Cookie: cookie },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    const after = await app.request('/api/batches', { headers: { Cookie: cookie } });
    expect(after.status).toBe(401);
    expect((await json(after)).code).toBe('SIGN_IN_REQUIRED');
  });

  test('SIGN_IN_REQUIRED on /api and /v1 without a session; config, health and session stay open', async () => {
    const { app } = build(accessEnv);
    for (const path of [
      '/api/batches',
      '/api/batches/x',
      '/api//batches',
      '/api/nope',
      `/v1/${PROJECT}/workspaces`,
      '/v1',
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(await json(res), path).toMatchObject({ code: 'SIGN_IN_REQUIRED' });
    }
    expect((await postBatch(app, {})).status).toBe(401);
    expect(fake.requests).toHaveLength(0);
    const config = await app.request('/api/config');
    expect(config.status).toBe(200);
    expect(await json(config)).toMatchObject({
      signInRequired: true,
      signInMethods: ['access-token'],
      user: null,
    });
    expect((await app.request('/api/health')).status).toBe(200);
    expect((await app.request('/api/session')).status).toBe(200);
    // A forged or unknown cookie is nobody.
    const forged = await app.request('/api/batches', {
      headers: { Cookie: `sm_session=${'A'.repeat(43)}` },
    });
    expect(forged.status).toBe(401);
  });

  test('automation sends Authorization: Bearer; a wrong one is refused', async () => {
    const { app } = build(accessEnv);
    const ok = await postBatch(app, { Authorization: `Bearer ${ACCESS_TOKEN}` });
    expect(ok.status).toBe(201);
    expect((await json(ok)).user).toBe('automation');
    const read = await app.request(`/v1/${PROJECT}/workspaces`, {
      headers: { Authorization: `Bearer ${ACCESS_TOKEN}` },
    });
    expect(read.status).toBe(200);
    const session = await app.request('/api/session', {
      headers: { Authorization: `Bearer ${ACCESS_TOKEN}` },
    });
    expect(await json(session)).toMatchObject({ authenticated: true, method: 'bearer' });
    for (const h of [`Bearer ${ACCESS_TOKEN}x`, 'Bearer ', `bearer  nope`]) {
      const res = await app.request('/api/batches', { headers: { Authorization: h } });
      expect(res.status, h).toBe(401);
    }
  });

  test('wrong token: 401 SIGN_IN_FAILED, then 429 after 5 failures a minute (even the right token)', async () => {
    let t = 1_000_000;
    const { app } = build(accessEnv, { now: () => t });
    for (let i = 0; i < 5; i++) {
      const res = await signIn(app, { method: 'access-token', token: `wrong-${i}` });
      expect(res.status).toBe(401);
      const body = await json(res);
      expect(body.code).toBe('SIGN_IN_FAILED');
      expect(JSON.stringify(body)).not.toContain(`wrong-${i}`);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const limited = await signIn(app, { method: 'access-token', token: ACCESS_TOKEN });
    expect(limited.status).toBe(429);
    expect((await json(limited)).code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    t += 61_000;
    expect((await signIn(app, { method: 'access-token', token: ACCESS_TOKEN })).status).toBe(200);
  });

  test('bad bodies and unavailable methods are 400; CSRF rules still apply to sign-in', async () => {
    const { app } = build(accessEnv);
    expect((await signIn(app, IAM_SIGN_IN)).status).toBe(400);
    expect((await signIn(app, { method: 'magic' })).status).toBe(400);
    const noHeader = await app.request('/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'access-token', token: ACCESS_TOKEN }),
    });
    expect(noHeader.status).toBe(403);
    const crossSite = await signIn(
      app,
      { method: 'access-token', token: ACCESS_TOKEN },
      { 'Sec-Fetch-Site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
  });

  test('no sign-in configured: everything is "local", /api/session says so', async () => {
    const { app } = build({ SECMASTER_PROJECT_ID: PROJECT, SECMASTER_AUTH_TOKEN: ENV_TOKEN });
    expect(await json(app.request('/api/session'))).toEqual({
      authenticated: true,
      user: 'local',
      method: 'none',
      expires_at: null,
      sign_in_required: false,
      sign_in_methods: [],
      region: null,
    });
    const created = await postBatch(app, {});
    expect((await json(created)).user).toBe('local');
  });
});

describe('IAM sign-in (stand-in)', () => {
  test('signs in, looks up nothing else, and uses the session token for /v1 and batches', async () => {
    const { app } = build(iamEnv());
    const session0 = await json(app.request('/api/session'));
    expect(session0).toMatchObject({ sign_in_required: true, sign_in_methods: ['iam'] });
    const res = await signIn(app, IAM_SIGN_IN);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      authenticated: true,
      user: 'alice',
      method: 'iam',
      region: 'cn-north-4',
    });
    expect(Date.parse(body.expires_at ?? '')).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const cookie = cookieOf(res);
    const [token] = [...iam.issued.keys()];
    expect(token).toBeDefined();

    const config = await json(app.request('/api/config', { headers: { Cookie: cookie } }));
    expect(config).toMatchObject({ projectId: PROJECT, user: 'alice', signInRequired: true });

    const read = await app.request(`/v1/${PROJECT}/workspaces`, { headers: { Cookie: cookie } });
    expect(read.status).toBe(200);
    expect(fake.requests.at(-1)?.headers['x-auth-token']).toBe(token);

    const created = await postBatch(app, { Cookie: cookie });
    expect(created.status).toBe(201);
    const batch = await json(created);
    expect(batch.user).toBe('alice');
    await current?.runner.whenIdle(batch.id);
    expect(ledger.getBatch(batch.id)?.state).toBe('done');
    expect(fake.writes().length).toBeGreaterThan(0);
    for (const w of fake.writes()) expect(w.headers['x-auth-token']).toBe(token);
    expect(ledger.getBatch(batch.id)?.credential_source).toBe('session:alice');
    // The batch's own JSON says where its credential came from, and never the credential.
    const shown = await json(
      app.request(`/api/batches/${batch.id}`, { headers: { Cookie: cookie } }),
    );
    expect(shown.credential_source).toBe('session:alice');
    expect(JSON.stringify(shown)).not.toContain(token);
    // The stand-in was asked for a token only (the token named its project).
    expect(iam.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v3/auth/tokens']);
  });

  test('the project is looked up (GET /v3/projects?name=) when the token does not name it', async () => {
    await iam.close();
    iam = await startIamStandIn({
      users: [{ name: 'alice', password: PASSWORD, account: 'acme' }],
      projects: { 'cn-north-4': PROJECT },
      omitProjectInToken: true,
    });
    const { app } = build(iamEnv());
    const res = await signIn(app, IAM_SIGN_IN);
    expect(res.status).toBe(200);
    expect(iam.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v3/auth/tokens',
      'GET /v3/projects',
    ]);
    const config = await json(app.request('/api/config', { headers: { Cookie: cookieOf(res) } }));
    expect(config.projectId).toBe(PROJECT);
  });

  test('wrong password: 401 SIGN_IN_FAILED, generic, never echoing the password', async () => {
    const { app } = build(iamEnv());
    const res = await signIn(app, { ...IAM_SIGN_IN, password: 'wrong-password-xyz' });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text).code).toBe('SIGN_IN_FAILED');
    expect(text).not.toContain('wrong-password-xyz');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  test('IAM unreachable and a region the console does not work in are readable errors', async () => {
    const { app } = build(iamEnv());
    expect((await signIn(app, { ...IAM_SIGN_IN, region: 'cn-east-3' })).status).toBe(400);
    expect((await signIn(app, { ...IAM_SIGN_IN, region: 'not a region' })).status).toBe(400);
    await iam.close();
    const res = await signIn(app, IAM_SIGN_IN);
    expect(res.status).toBe(502);
    const body = await json(res);
    expect(body.code).toBe('IAM_UNREACHABLE');
    expect(body.message).toContain('IAM could not be reached: 127.0.0.1:');
    // restart the stand-in for afterEach
    iam = await startIamStandIn({ users: [], projects: {} });
  });

  test('without an IAM session the console has no credential: /v1 and batches need IAM sign-in', async () => {
    const { app } = build({ ...iamEnv(), CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN });
    const res = await signIn(app, { method: 'access-token', token: ACCESS_TOKEN });
    const cookie = cookieOf(res);
    expect((await app.request('/api/batches', { headers: { Cookie: cookie } })).status).toBe(200);
    const read = await app.request(`/v1/${PROJECT}/workspaces`, { headers: { Cookie: cookie } });
    expect(read.status).toBe(401);
    expect((await json(read)).message).toContain('IAM');
    expect((await postBatch(app, { Cookie: cookie })).status).toBe(401);
    expect(fake.requests).toHaveLength(0);
  });

  test('sign-out forgets the token: a running batch of that session is interrupted', async () => {
    const { app } = build(iamEnv());
    const cookie = cookieOf(await signIn(app, IAM_SIGN_IN));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.onWrite(async (ids) => {
      await gate;
      return Response.json({ data: { success_ids: ids, error_ids: [] } });
    });
    const created = await app.request('/api/batches', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Cookie: cookie },
      body: JSON.stringify(batchBody(makeIds(250))),
    });
    const batch = await json(created);
    await app.request('/api/session', {
      method: 'DELETE',
      headers: { 'X-Requested-With': 'fetch', Cookie: cookie },
    });
    release();
    await current?.runner.whenIdle(batch.id);
    const after = ledger.getBatch(batch.id);
    expect(after?.state).toBe('interrupted');
    expect(after?.state_reason ?? '').toContain('sign in to resume');
    expect(after?.counts.pending).toBeGreaterThan(0);
  });
});

describe('renewal', () => {
  test('signing in again as the same user hands running batches over to the new token', async () => {
    const { app } = build(iamEnv());
    const cookie1 = cookieOf(await signIn(app, IAM_SIGN_IN));
    const token1 = [...iam.issued.keys()][0];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sent!: () => void;
    const firstWrite = new Promise<void>((r) => (sent = r));
    fake.onWrite(async (ids) => {
      sent();
      await gate;
      return Response.json({ data: { success_ids: ids, error_ids: [] } });
    });
    const created = await app.request('/api/batches', {
      method: 'POST',
      headers: { ...JSON_HEADERS, Cookie: cookie1 },
      body: JSON.stringify(batchBody(makeIds(250))),
    });
    const batch = await json(created);
    // The first call is on its way (sent once its intent is on disk) when the user signs in again.
    await firstWrite;
    const cookie2 = cookieOf(await signIn(app, IAM_SIGN_IN, { Cookie: cookie1 }));
    const token2 = [...iam.issued.keys()][1];
    expect(token2).toBeDefined();
    // The old cookie is dead; the batch is not.
    expect((await app.request('/api/batches', { headers: { Cookie: cookie1 } })).status).toBe(401);
    release();
    await current?.runner.whenIdle(batch.id);
    expect(ledger.getBatch(batch.id)?.state).toBe('done');
    const tokens = fake.writes().map((w) => w.headers['x-auth-token']);
    expect(tokens[0]).toBe(token1);
    expect(tokens.at(-1)).toBe(token2);
    // Signing out of the new session now ends the hand-over chain too.
    const out = await app.request('/api/session', {
      method: 'DELETE',
      headers: { 'X-Requested-With': 'fetch', Cookie: cookie2 },
    });
    expect(out.status).toBe(204);
  });
});

describe('restart', () => {
  test('a running batch whose session is gone becomes interrupted; the same user resumes with a new token', async () => {
    const first = build(iamEnv());
    const cookie1 = cookieOf(await signIn(first.app, IAM_SIGN_IN));
    // A batch that was running when the server stopped (created, not yet started).
    const batch = newBatch(ledger, {
      ids: makeIds(5),
      subject: SUBJECT,
      workspace: WS,
      user: 'alice',
    });
    ledger.setCredentialSource(batch.id, 'session:alice');
    const envBatch = newBatch(ledger, {
      ids: makeIds(2, 'b'),
      subject: SUBJECT,
      workspace: WS,
      dataclass: 'alerts',
      related: 'indicators',
      user: 'local',
    });
    ledger.setCredentialSource(envBatch.id, 'env-aksk');
    await current?.close();

    // "Restart": a new auth (no sessions) on the same ledger.
    const second = build(iamEnv());
    expect((await second.auth.credentials.interruptOrphans()).sort()).toEqual(
      [batch.id, envBatch.id].sort(),
    );
    expect(ledger.getBatch(batch.id)).toMatchObject({
      state: 'interrupted',
      state_reason: 'sign in to resume',
    });
    // The old cookie means nothing now.
    expect(
      (await second.app.request('/api/batches', { headers: { Cookie: cookie1 } })).status,
    ).toBe(401);

    const cookie2 = cookieOf(await signIn(second.app, IAM_SIGN_IN));
    const newToken = [...iam.issued.keys()].at(-1);
    const resumed = await second.app.request(`/api/batches/${batch.id}/resume`, {
      method: 'POST',
      headers: { 'X-Requested-With': 'fetch', Cookie: cookie2 },
    });
    expect(resumed.status).toBe(200);
    await second.runner.whenIdle(batch.id);
    expect(ledger.getBatch(batch.id)?.state).toBe('done');
    expect(fake.writes().at(-1)?.headers['x-auth-token']).toBe(newToken);
    expect(ledger.getBatch(batch.id)?.credential_source).toBe('session:alice');
  });

  test('environment batches keep running when the environment still has a credential', async () => {
    const { auth } = build({ SECMASTER_PROJECT_ID: PROJECT, SECMASTER_AUTH_TOKEN: ENV_TOKEN });
    const batch = newBatch(ledger, {
      ids: makeIds(1),
      subject: SUBJECT,
      workspace: WS,
      user: 'local',
    });
    ledger.setCredentialSource(batch.id, 'env-token');
    expect(await auth.credentials.interruptOrphans()).toEqual([]);
    expect(ledger.getBatch(batch.id)?.state).toBe('running');
  });
});

describe('secrets', () => {
  test('never in /api/config, /api/session, error bodies or logs', async () => {
    const { app } = build({ ...iamEnv(), CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN });
    const bodies: string[] = [];
    const grab = async (res: Response | Promise<Response>) => {
      const r = await res;
      bodies.push(r.status + ' ' + (await r.text()) + ' ' + JSON.stringify([...r.headers]));
      return r;
    };
    await grab(signIn(app, { ...IAM_SIGN_IN, password: `${PASSWORD}-wrong` }));
    const ok = await grab(signIn(app, IAM_SIGN_IN));
    const cookie = cookieOf(ok);
    await grab(app.request('/api/session', { headers: { Cookie: cookie } }));
    await grab(app.request('/api/config', { headers: { Cookie: cookie } }));
    await grab(app.request('/api/config'));
    await grab(app.request(`/v1/${PROJECT}/workspaces/..`, { headers: { Cookie: cookie } }));
    await grab(signIn(app, { method: 'access-token', token: `${ACCESS_TOKEN}-no` }));
    const tokens = [...iam.issued.keys()];
    expect(tokens.length).toBeGreaterThan(0);
    const everything = [...bodies, ...logs].join('\n');
    for (const secret of [PASSWORD, ACCESS_TOKEN, ...tokens]) {
      expect(everything).not.toContain(secret);
    }
    // The config object itself never serialises a secret.
    const config = loadConfig({
      ...accessEnv,
      SECMASTER_MODE: 'secmaster',
      SECMASTER_ENDPOINT: fake.url,
    });
    expect(JSON.stringify(config)).not.toContain(ACCESS_TOKEN);
    expect(JSON.stringify(config)).not.toContain(ENV_TOKEN);
  });
});

describe('sessions', () => {
  test('an IAM session ends with its token', async () => {
    let t = Date.now();
    const { app } = build(iamEnv(), { now: () => t });
    const cookie = cookieOf(await signIn(app, IAM_SIGN_IN));
    expect((await app.request('/api/batches', { headers: { Cookie: cookie } })).status).toBe(200);
    t += 24 * 3600_000 + 60_000;
    expect((await app.request('/api/batches', { headers: { Cookie: cookie } })).status).toBe(401);
  });

  test('a new sign-in gets a new session ID and ends the previous one', async () => {
    const { app, auth } = build(accessEnv);
    const c1 = cookieOf(await signIn(app, { method: 'access-token', token: ACCESS_TOKEN }));
    const c2 = cookieOf(
      await signIn(app, { method: 'access-token', token: ACCESS_TOKEN }, { Cookie: c1 }),
    );
    expect(c2).not.toBe(c1);
    expect(await auth.sessions.count()).toBe(1);
    expect((await app.request('/api/batches', { headers: { Cookie: c1 } })).status).toBe(401);
  });
});
