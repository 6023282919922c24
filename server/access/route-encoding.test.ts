/**
 * Issue 10, defect 4: the access rules decide on the route the router matched, never on a second
 * spelling of the raw path. Every /api and /v1 route the app registers is walked over real HTTP in
 * many spellings (percent-encoded letters in each segment, upper-case hex, double encoding, an
 * encoded or doubled slash, trailing slashes, case, `%2e%2e` and `.` segments, `;x`), as two
 * callers:
 *
 * - a user signed in with the console access token in IAM sign-in mode (no SecMaster identity):
 *   no spelling reaches SecMaster, creates a batch, starts or resumes one; the routes that need a
 *   SecMaster identity answer 401 under their own spelling and never a 2xx under any other;
 * - nobody: no spelling of a guarded route answers anything but a refusal or the SPA's page.
 *
 * The session middleware also holds on its own, without the request rules that refuse other
 * spellings of `/api` in front of it (defence in depth).
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Hono } from 'hono';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type Ledger } from '../batches/ledger';
import { sqliteStore } from '../db/store';
import type { Runner } from '../batches/engine/runner';
import { loadConfig } from '../config';
import type { ConsoleServer } from '../console';
import { standInConsole } from '../testing/stand-in-console';
import { startIamStandIn, type RunningIamStandIn } from 'secmaster-emulator/iam';
import { listen, type Listening } from '../testing/attack-harness';
import { acceptAll, makeIds, startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream';
import { createAuth, requireSecMasterIdentity } from './access';
import { WS, JSON_HEADERS, batchBody } from '../testing/api-requests';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const ACCESS_TOKEN = 'console-access-token-0123456789abcdef';
const PASSWORD = 'alice-password-never-print-me';

/** The routes that call SecMaster (or start work that will): canonical method and pattern. */
const NEEDS_SECMASTER = new Set([
  'POST /api/batches',
  'POST /api/batches/:id/resume',
  'POST /api/batches/:id/undo',
  'GET /api/batches/:id/undo-preview',
  'POST /api/batches/:id/retry',
  'POST /api/checks',
  'GET /v1/*',
  'POST /v1/*',
  'GET /v1',
  'POST /v1',
]);
const OPEN_ROUTES = new Set(['/api/config', '/api/health', '/api/session']);

let fake: FakeUpstream;
let iam: RunningIamStandIn;
let dir: string;
let ledger: Ledger;
let runner: Runner;
let server: Listening;
let consoleServer: ConsoleServer;
let app: ConsoleServer['app'];
/** Every start/resume the routes asked of the runner. */
let started: string[];

beforeEach(async () => {
  fake = await startFakeUpstream();
  iam = await startIamStandIn({
    users: [{ name: 'alice', password: PASSWORD, account: 'acme' }],
    projects: { 'cn-north-4': PROJECT },
  });
  dir = mkdtempSync(join(tmpdir(), 'route-encoding-'));
  const distDir = join(dir, 'dist');
  mkdirSync(distDir);
  writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>console</title>');
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  consoleServer = standInConsole({
    endpoint: fake.url,
    dir,
    ledger,
    distDir,
    env: {
      SECMASTER_REGION: 'cn-north-4',
      IAM_ENDPOINT: iam.url,
      CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
    },
    auth: { maxSignInsPerWindow: 1_000 },
  });
  ({ app, runner } = consoleServer);
  started = [];
  const start = runner.start.bind(runner);
  const resume = runner.resume.bind(runner);
  vi.spyOn(runner, 'start').mockImplementation((id) => {
    started.push(`start ${id}`);
    return start(id);
  });
  vi.spyOn(runner, 'resume').mockImplementation((id) => {
    started.push(`resume ${id}`);
    return resume(id);
  });
  server = await listen(app.fetch);
});

afterEach(async () => {
  await server.close();
  await consoleServer.close();
  ledger.close();
  await fake.close();
  await iam.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  contentType: string;
  body: string;
  setCookie: string;
}

/** One request over real HTTP, the target sent exactly as written (no client normalization). */
function send(
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method, path: target, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
            setCookie: String(res.headers['set-cookie'] ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function signIn(body: unknown): Promise<string> {
  const res = await send('POST', '/api/session', JSON_HEADERS, JSON.stringify(body));
  expect(res.status).toBe(200);
  const m = /^(sm_session=[^;]+)/.exec(res.setCookie);
  if (!m?.[1]) throw new Error('no session cookie');
  return m[1];
}

const hex = (ch: string) => ch.charCodeAt(0).toString(16);

/** The spellings of `path` a router or a proxy might treat as the same route. */
function spellings(path: string): string[] {
  const segs = path.split('/').slice(1);
  const join = (s: readonly string[]) => `/${s.join('/')}`;
  const swap = (i: number, seg: string) => join(segs.map((s, j) => (j === i ? seg : s)));
  const out = new Set<string>([path]);
  segs.forEach((seg, i) => {
    if (seg === '') return;
    const [first = ''] = seg;
    out.add(swap(i, `%${hex(first)}${seg.slice(1)}`));
    out.add(swap(i, `%${hex(first).toUpperCase()}${seg.slice(1)}`));
    out.add(swap(i, `${seg.slice(0, -1)}%${hex(seg.at(-1) ?? '')}`));
    out.add(swap(i, [...seg].map((ch) => `%${hex(ch)}`).join('')));
    out.add(swap(i, `%25${hex(first)}${seg.slice(1)}`));
    out.add(swap(i, seg.toUpperCase()));
    out.add(swap(i, `${first.toUpperCase()}${seg.slice(1)}`));
    out.add(swap(i, `${seg};x`));
    // A doubled slash before this segment; an encoded slash in place of the one before it.
    out.add(join([...segs.slice(0, i), '', ...segs.slice(i)]));
    if (i > 0) {
      const before = join(segs.slice(0, i));
      const after = segs.slice(i).join('/');
      out.add(`${before}%2f${after}`);
      out.add(`${before}%2F${after}`);
      out.add(`${before}/x/%2e%2e/${after}`);
      out.add(`${before}/./${after}`);
      out.add(`${before}/%2e/${after}`);
    }
  });
  out.add(`${path}/`);
  out.add(`${path}//`);
  out.add(`${path}%2f`);
  out.add(`/${path}`);
  return [...out];
}

/** The batches the walk's `:id` stands for, by route. */
interface Fixtures {
  done: string;
  withFailures: string;
  interrupted: string;
  interruptedToStop: string;
}

/** Batches made by alice (IAM) in the states each route acts on. */
async function makeFixtures(): Promise<Fixtures> {
  const alice = await signIn({
    method: 'iam',
    user: 'alice',
    password: PASSWORD,
    account: 'acme',
    region: 'cn-north-4',
  });
  const run = async (ids: string[]): Promise<string> => {
    const res = await send(
      'POST',
      '/api/batches',
      { ...JSON_HEADERS, Cookie: alice },
      JSON.stringify(batchBody(ids)),
    );
    expect(res.status).toBe(201);
    const { id } = JSON.parse(res.body) as { id: string };
    await runner.whenIdle(id);
    return id;
  };
  const done = await run(makeIds(3, 'a'));
  const failing = makeIds(3, 'b');
  fake.onWrite(acceptAll(new Set(failing.slice(0, 1))));
  const withFailures = await run(failing);
  const interrupted = (tag: string) => {
    const b = ledger.createBatch({
      ...batchBody([]),
      action: 'associate',
      dataclass_type: 'incidents',
      related_dataclass_type: 'alerts',
      reason: null,
      user: 'alice',
      retry_of: null,
      duplicates: 0,
      items: makeIds(2, tag).map((id) => ({ id, idKey: id, state: 'pending', message: null })),
    });
    expect(ledger.transitionBatch(b.id, ['running'], 'interrupted', 'sign in to resume')).toBe(
      true,
    );
    return b.id;
  };
  return {
    done,
    withFailures,
    interrupted: interrupted('c'),
    interruptedToStop: interrupted('d'),
  };
}

/** Concrete requests for one registered route: [method, path, body]. */
function concrete(
  method: string,
  pattern: string,
  f: Fixtures,
): { method: string; path: string; body: string | undefined }[] {
  const idFor = (p: string) => {
    if (p.endsWith('/resume')) return f.interrupted;
    if (p.endsWith('/stop') || p.endsWith('/pause')) return f.interruptedToStop;
    if (p.includes('/retry')) return f.withFailures;
    return f.done;
  };
  const bodies: Record<string, unknown> = {
    '/api/batches': batchBody(makeIds(2, 'e')),
    '/api/checks': batchBody(makeIds(2, 'e')),
    '/api/batches/:id/retry': { include_permanent: true },
    '/api/batches/:id/undo': { include_unrecorded: true },
    '/api/session': { method: 'access-token', token: 'not-the-token' },
  };
  let path = pattern.replace(/:id\b/g, idFor(pattern));
  if (pattern === '/v1/*') path = `/v1/${PROJECT}/workspaces/${WS}/soc/alerts/search`;
  if (pattern === '/api/*') path = '/api/nope';
  const methods = method === 'ALL' ? ['GET', 'POST'] : [method];
  return methods.map((m) => ({
    method: m,
    path,
    body: m === 'GET' ? undefined : JSON.stringify(bodies[pattern] ?? {}),
  }));
}

/** Every /api and /v1 route the app registered, as `METHOD pattern`. */
function registeredRoutes(): [string, string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  for (const r of app.routes) {
    if (!/^\/(api|v1)(\/|$)/.test(r.path)) continue;
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([r.method, r.path]);
  }
  return out;
}

describe('every route, every spelling (real HTTP)', () => {
  test('a user without a SecMaster identity reaches SecMaster, or starts a batch, under no spelling', async () => {
    const fixtures = await makeFixtures();
    const token = await signIn({ method: 'access-token', token: ACCESS_TOKEN });
    const routes = registeredRoutes();
    // The walk covers what the app registers (a new route is walked without touching this test).
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const upstreamBefore = fake.requests.length;
    const iamBefore = iam.requests.length;
    const batchesBefore = ledger.listBatches(0, 1).total;
    started.length = 0;
    let probes = 0;
    for (const [method, pattern] of routes) {
      // Signing out is a route of its own; the token user's cookie must outlive the walk.
      if (method === 'DELETE' && pattern === '/api/session') continue;
      const needs = NEEDS_SECMASTER.has(`${method} ${pattern}`) || pattern.startsWith('/v1');
      for (const r of concrete(method, pattern, fixtures)) {
        for (const target of spellings(r.path)) {
          probes++;
          const res = await send(r.method, target, { ...JSON_HEADERS, Cookie: token }, r.body);
          const what = `${r.method} ${target}`;
          expect(res.status, what).toBeLessThan(500);
          if (needs && res.status < 300) {
            // Only the SPA's page, for a spelling the router does not take as an API route.
            expect(res.contentType, `${what} answered ${res.status}`).toContain('text/html');
          }
          if (needs && target === r.path) {
            expect(res.status, what).toBe(401);
            expect(JSON.parse(res.body), what).toMatchObject({ code: 'SIGN_IN_REQUIRED' });
          }
        }
      }
    }
    expect(probes).toBeGreaterThan(300);
    expect(started).toEqual([]);
    expect(fake.requests.length).toBe(upstreamBefore);
    expect(iam.requests.length).toBe(iamBefore);
    expect(ledger.listBatches(0, 1).total).toBe(batchesBefore);
    expect(ledger.getBatch(fixtures.interrupted)?.state).toBe('interrupted');
  });

  test('nobody signed in: no spelling of a guarded route answers more than a refusal or the page', async () => {
    const fixtures = await makeFixtures();
    const upstreamBefore = fake.requests.length;
    const batchesBefore = ledger.listBatches(0, 1).total;
    started.length = 0;
    for (const [method, pattern] of registeredRoutes()) {
      for (const r of concrete(method, pattern, fixtures)) {
        for (const target of spellings(r.path)) {
          const res = await send(r.method, target, JSON_HEADERS, r.body);
          const what = `${r.method} ${target} → ${res.status}`;
          expect(res.status, what).toBeLessThan(500);
          if (OPEN_ROUTES.has(pattern)) continue;
          if (target === r.path) expect(res.status, what).toBe(401);
          if (res.status < 300) {
            // Only the SPA's page (for a path the router does not take as an API route).
            expect(res.contentType, what).toContain('text/html');
          }
          for (const id of Object.values(fixtures)) expect(res.body, what).not.toContain(id);
        }
      }
    }
    expect(started).toEqual([]);
    expect(fake.requests.length).toBe(upstreamBefore);
    expect(ledger.listBatches(0, 1).total).toBe(batchesBefore);
  });
});

describe('the session middleware alone (no request rules in front)', () => {
  test('sign-in and SecMaster identity are decided on the path the router matched', async () => {
    const config = loadConfig({
      SECMASTER_MODE: 'secmaster',
      SECMASTER_ENDPOINT: fake.url,
      SECMASTER_REGION: 'cn-north-4',
      IAM_ENDPOINT: iam.url,
      CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
      DATA_DIR: dir,
    });
    const auth = createAuth({ config, store: sqliteStore(ledger) });
    const bare = new Hono();
    auth.install(bare);
    bare.get('/api/batches', (c) => c.json({ listed: true }));
    bare.post('/api/batches', requireSecMasterIdentity, (c) => c.json({ created: true }, 201));
    const spelled = ['/api/batches', '/%61pi/batches', '/api/b%61tches', '/%61%70%69/batches'];
    for (const path of spelled) {
      const res = await bare.request(path);
      expect(res.status, path).toBe(401);
    }
    const signedIn = await bare.request('/api/session', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ method: 'access-token', token: ACCESS_TOKEN }),
    });
    const cookie = /^(sm_session=[^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')?.[1] ?? '';
    for (const path of spelled) {
      expect((await bare.request(path, { headers: { Cookie: cookie } })).status, path).toBe(200);
      const post = await bare.request(path, { method: 'POST', headers: { Cookie: cookie } });
      expect(post.status, path).toBe(401);
    }
  });
});
