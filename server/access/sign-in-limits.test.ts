/**
 * Issue 10, defects 3 and 6: the limits on sign-ins and sessions, against the IAM stand-in and a
 * capturing fake SecMaster, over real HTTP where the client address matters.
 *
 * - Every failed credential counts against the client address (a wrong Bearer token, access
 *   token or IAM password), taken before IAM is asked, so concurrent attempts cannot all reach
 *   it; a success never clears the failures; X-Forwarded-For is believed only from
 *   TRUSTED_PROXIES (the client is the rightmost address there that is not a trusted proxy).
 * - Sessions: a limit per owner (the user's own oldest session ends; its running batches go on
 *   with the newest token), a limit of sign-ins per address, and a console-wide cap that refuses
 *   new sign-ins instead of ending anybody else's session.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type Ledger } from '../batches/ledger';
import type { ConsoleDeps, ConsoleServer } from '../console';
import { standInConsole } from '../testing/stand-in-console';
import { startIamStandIn, type RunningIamStandIn } from 'secmaster-emulator/iam';
import { listen, type Listening } from '../testing/attack-harness';
import { makeIds, startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream';
import { JSON_HEADERS, signIn, cookieOf, batchBody, type Http } from '../testing/api-requests';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const ACCESS_TOKEN = 'console-access-token-0123456789abcdef';
const ALICE_PASSWORD = 'alice-password-never-print-me';
const MALLORY_PASSWORD = 'mallory-password-never-print-me';
const ALICE = {
  method: 'iam',
  user: 'alice',
  password: ALICE_PASSWORD,
  account: 'acme',
  region: 'cn-north-4',
};
const MALLORY = { ...ALICE, user: 'mallory', password: MALLORY_PASSWORD, account: 'evil' };
const WRONG_ALICE = { ...ALICE, password: 'not-alice-password' };
const TOKEN_SIGN_IN = { method: 'access-token', token: ACCESS_TOKEN };

let fake: FakeUpstream;
let iam: RunningIamStandIn;
let dir: string;
let ledger: Ledger;
let current: ConsoleServer | null;
let server: Listening | null;

beforeEach(async () => {
  fake = await startFakeUpstream();
  iam = await startIamStandIn({
    users: [
      { name: 'alice', password: ALICE_PASSWORD, account: 'acme' },
      { name: 'mallory', password: MALLORY_PASSWORD, account: 'evil' },
    ],
    projects: { 'cn-north-4': PROJECT },
  });
  dir = mkdtempSync(join(tmpdir(), 'sign-in-limits-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  current = null;
  server = null;
});

afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  await current?.close();
  ledger.close();
  await fake.close();
  await iam.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A console in IAM sign-in mode with the access token too, listening on 127.0.0.1. */
async function build(env: Record<string, string> = {}, options: ConsoleDeps['auth'] = {}) {
  current = standInConsole({
    endpoint: fake.url,
    dir,
    ledger,
    env: {
      SECMASTER_REGION: 'cn-north-4',
      IAM_ENDPOINT: iam.url,
      CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
      ...env,
    },
    auth: options,
  });
  const { app, auth, runner } = current;
  server = await listen(app.fetch);
  const base = `http://127.0.0.1:${server.port}`;
  const http = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init);
  return { app, auth, http, runner };
}

/** Behind a TLS proxy on this host (loopback is trusted unless TRUSTED_PROXIES says otherwise). */
const behindProxy = (trusted?: string) => ({
  TRUST_PROXY_TLS: '1',
  PUBLIC_ORIGIN: 'https://console.example.com',
  ...(trusted === undefined ? {} : { TRUSTED_PROXIES: trusted }),
});

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { code: string }).code;
}

/** Asks of the IAM stand-in for a token so far. */
const tokenRequests = () => iam.requests.filter((r) => r.path === '/v3/auth/tokens').length;

/** Writes wait until `release()`: a batch that stays running while the test works. */
function holdWrites(): () => void {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  fake.onWrite(async (ids) => {
    await gate;
    return Response.json({ data: { success_ids: ids, error_ids: [] } });
  });
  return release;
}

async function startBatch(http: Http, cookie: string, n = 250): Promise<string> {
  const res = await http('/api/batches', {
    method: 'POST',
    headers: { ...JSON_HEADERS, Cookie: cookie },
    body: JSON.stringify(batchBody(makeIds(n))),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function signedIn(http: Http, cookie: string): Promise<boolean> {
  const res = await http('/api/session', { headers: { Cookie: cookie } });
  return ((await res.json()) as { authenticated: boolean }).authenticated;
}

describe('every failed credential counts (defect 3)', () => {
  test('wrong Bearer guesses: 401 five times a minute, then 429 for every Bearer token, the right one too', async () => {
    let t = 1_000_000;
    const { http } = await build({}, { now: () => t });
    const cookie = cookieOf(await signIn(http, TOKEN_SIGN_IN));
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const res = await http('/api/batches', {
        headers: { Authorization: `Bearer guess-${i}-0123456789abcdef` },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(await codeOf(res)).toBe('RATE_LIMITED');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      } else await res.body?.cancel();
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    // While blocked the right token is refused as well: the block never confirms a guess.
    const right = { Authorization: `Bearer ${ACCESS_TOKEN}` };
    expect((await http('/api/batches', { headers: right })).status).toBe(429);
    expect((await signIn(http, TOKEN_SIGN_IN)).status).toBe(429);
    // A browser already signed in from the same address is not a guess: it goes on.
    expect((await http('/api/batches', { headers: { Cookie: cookie } })).status).toBe(200);
    t += 61_000;
    expect((await http('/api/batches', { headers: right })).status).toBe(200);
  });

  test('60 concurrent wrong IAM passwords: 5 reach IAM, 55 are answered 429 without asking it', async () => {
    const { http } = await build();
    const before = tokenRequests();
    const answers = await Promise.all(Array.from({ length: 60 }, () => signIn(http, WRONG_ALICE)));
    const statuses = answers.map((r) => r.status).sort();
    await Promise.all(answers.map((r) => r.body?.cancel()));
    expect(tokenRequests() - before).toBe(5);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(55);
  });

  test("a successful sign-in (the attacker's own account) clears none of the address's failures", async () => {
    const { http } = await build();
    for (let i = 0; i < 4; i++) expect((await signIn(http, WRONG_ALICE)).status).toBe(401);
    expect((await signIn(http, MALLORY)).status).toBe(200);
    expect((await signIn(http, { ...TOKEN_SIGN_IN })).status).toBe(200);
    expect((await signIn(http, WRONG_ALICE)).status).toBe(401);
    const blocked = await signIn(http, WRONG_ALICE);
    expect(blocked.status).toBe(429);
    expect(await codeOf(blocked)).toBe('RATE_LIMITED');
    expect(tokenRequests()).toBe(6);
  });

  test('IAM unreachable is no failed credential: the slot is given back', async () => {
    const { http } = await build();
    await iam.close();
    for (let i = 0; i < 8; i++) expect((await signIn(http, ALICE)).status).toBe(502);
    iam = await startIamStandIn({
      users: [{ name: 'alice', password: ALICE_PASSWORD, account: 'acme' }],
      projects: { 'cn-north-4': PROJECT },
    });
  });
});

describe('the client address behind a proxy (defect 3)', () => {
  test('X-Forwarded-For from a peer that is not in TRUSTED_PROXIES is ignored: rotating it escapes nothing', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { http } = await build(behindProxy('192.0.2.1'));
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await signIn(http, WRONG_ALICE, { 'X-Forwarded-For': `198.51.100.${i + 1}` });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // The operator is told once why the header is ignored.
    const lines = warn.mock.calls.map((c) => c.map(String).join(' '));
    expect(lines.filter((l) => l.includes('TRUSTED_PROXIES'))).toHaveLength(1);
  });

  test('from a trusted proxy the client is the rightmost untrusted hop: what the client wrote left of it is not believed', async () => {
    const { http } = await build(behindProxy('127.0.0.1, 10.0.0.0/8'));
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      // The client wrote "198.51.100.i"; the edge proxy appended the client's real address, and
      // an inner proxy (10.0.0.2) the edge's.
      const res = await signIn(http, WRONG_ALICE, {
        'X-Forwarded-For': `198.51.100.${i + 1}, 203.0.113.7, 10.0.0.2`,
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Another client behind the same proxies has its own limit.
    const other = await signIn(http, WRONG_ALICE, { 'X-Forwarded-For': '203.0.113.8, 10.0.0.2' });
    expect(other.status).toBe(401);
    // IPv6 clients are counted by their /64: rotating the interface ID escapes nothing.
    const v6: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await signIn(http, WRONG_ALICE, {
        'X-Forwarded-For': `2001:db8:1:2::${(i + 1).toString(16)}`,
      });
      v6.push(res.status);
      await res.body?.cancel();
    }
    expect(v6).toEqual([401, 401, 401, 401, 401, 429]);
  });

  test('without TRUST_PROXY_TLS the header is never read', async () => {
    const { http } = await build();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await signIn(http, WRONG_ALICE, { 'X-Forwarded-For': `198.51.100.${i + 1}` });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('sessions: limits per user and per address, never a global eviction (defect 6)', () => {
  test('signing in over and over from one address is refused (429); nobody else is signed out, their batch runs on', async () => {
    // A small console-wide cap: before the fix the oldest sessions (the victim's) were dropped.
    const { http, auth } = await build(behindProxy(), { maxSessions: 40 });
    const victim = cookieOf(await signIn(http, ALICE, { 'X-Forwarded-For': '203.0.113.10' }));
    const release = holdWrites();
    const batch = await startBatch(http, victim);
    const attacker = { 'X-Forwarded-For': '198.51.100.66' };
    const codes = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const res = await signIn(http, TOKEN_SIGN_IN, attacker);
      codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
      if (res.status === 429) expect(await codeOf(res)).toBe('TOO_MANY_SIGN_INS');
      else await res.body?.cancel();
    }
    expect(codes.get(200)).toBe(60);
    expect(codes.get(429)).toBe(240);
    // The attacker holds at most 20 sessions (its own oldest ended); the victim's is untouched.
    expect(await auth.sessions.count()).toBe(21);
    expect(await signedIn(http, victim)).toBe(true);
    release();
    await current?.runner.whenIdle(batch);
    expect(ledger.getBatch(batch)?.state).toBe('done');
  });

  test('the console full: new sign-ins get 503 TOO_MANY_SESSIONS; no session of anybody ends', async () => {
    const { http, auth } = await build(behindProxy(), { maxSessions: 5 });
    const victim = cookieOf(await signIn(http, ALICE, { 'X-Forwarded-For': '203.0.113.10' }));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await signIn(http, TOKEN_SIGN_IN, { 'X-Forwarded-For': `198.51.100.${i + 1}` });
      statuses.push(res.status);
      if (res.status === 503) {
        const body = (await res.json()) as { code: string; message: string };
        expect(body.code).toBe('TOO_MANY_SESSIONS');
        expect(body.message).toContain('try again later');
        expect(res.headers.get('retry-after')).toBe('60');
        expect(res.headers.get('set-cookie')).toBeNull();
      } else await res.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 503, 503, 503, 503, 503, 503]);
    expect(await auth.sessions.count()).toBe(5);
    expect(await signedIn(http, victim)).toBe(true);
    // A refused sign-in is no failed credential: the address is not blocked for it.
    expect((await signIn(http, WRONG_ALICE, { 'X-Forwarded-For': '198.51.100.10' })).status).toBe(
      401,
    );
  });

  test("a user's 21st session ends their own oldest; its running batch goes on with the newest token", async () => {
    const { http, auth } = await build();
    const first = cookieOf(await signIn(http, ALICE));
    const firstToken = [...iam.issued.keys()][0];
    const release = holdWrites();
    const batch = await startBatch(http, first);
    const mallory = cookieOf(await signIn(http, MALLORY));
    for (let i = 0; i < 20; i++) expect((await signIn(http, ALICE)).status).toBe(200);
    const newest = [...iam.issued.keys()].at(-1);
    expect(await signedIn(http, first)).toBe(false);
    // Another user's session is never the one that ends.
    expect(await signedIn(http, mallory)).toBe(true);
    expect(await auth.sessions.count()).toBe(21);
    release();
    await current?.runner.whenIdle(batch);
    expect(ledger.getBatch(batch)?.state).toBe('done');
    const tokens = fake.writes().map((w) => w.headers['x-auth-token']);
    expect(tokens[0]).toBe(firstToken);
    expect(tokens.at(-1)).toBe(newest);
  });

  test('access-token sessions are limited per address: one holder never ends the sessions of another address', async () => {
    const { http, auth } = await build(behindProxy());
    const colleague = cookieOf(
      await signIn(http, TOKEN_SIGN_IN, { 'X-Forwarded-For': '203.0.113.10' }),
    );
    const own: string[] = [];
    for (let i = 0; i < 25; i++) {
      own.push(cookieOf(await signIn(http, TOKEN_SIGN_IN, { 'X-Forwarded-For': '198.51.100.66' })));
    }
    expect(await signedIn(http, colleague)).toBe(true);
    expect(await signedIn(http, own[0] ?? '')).toBe(false);
    expect(await signedIn(http, own[24] ?? '')).toBe(true);
    expect(await auth.sessions.count()).toBe(21);
  });
});
