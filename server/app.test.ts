/**
 * The console's HTTP surface doing its job: /api/config and /api/health, the batch API, the /v1
 * read allow-list and its error mapping, the SPA, and the batch actions against the emulator. What
 * an attacker would try against the same surface (forgery, methods, hosts, limits, traversal,
 * hostile upstream answers, security headers) is in attacks.test.ts.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import {
  apiErrorBodySchema,
  batchItemsPageSchema,
  batchListSchema,
  batchSummarySchema,
  consoleConfigSchema,
  searchResponseSchema,
} from '../src/api/schemas';
import { INVALID_ID_MESSAGE } from './app';
import { CSV_HEADER } from './batches/records';
import type { Runner } from './batches/engine/runner';
import { openLedger, type Ledger } from './batches/ledger';
import { DEMO_PROJECT_ID, loadConfig, type Config } from './config';
import { createConsole, type ConsoleDeps, type ConsoleServer } from './console';
import {
  startEmulator,
  type RunningEmulator,
  openEmulatorDb,
  SEED_WORKSPACES,
  seedEmulator,
  seedObjectIds,
} from 'secmaster-emulator';
import type { Upstream } from './secmaster/client';
import { makeIds, startFakeUpstream, type FakeUpstream } from './testing/fake-upstream';
import { WS, SUBJECT, JSON_HEADERS, batchBody } from './testing/api-requests';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const TOKEN = 'very-secret-iam-token';
const BASE = `/v1/${PROJECT}/workspaces/${WS}`;

let fake: FakeUpstream;
let config: Config;
let ledger: Ledger;
let runner: Runner;
let dir: string;
let app: ConsoleServer['app'];
/** Every console of the test, closed after it. */
let consoles: ConsoleServer[];

/** A console on the test's ledger (other configuration or deps than the test's own, if given). */
function build(overrides: { config?: Partial<Config>; deps?: Partial<ConsoleDeps> } = {}) {
  const c = createConsole(
    { ...config, ...overrides.config },
    {
      ledger,
      distDir: join(dir, 'dist'),
      runner: { concurrency: 2, backoffMs: () => 0 },
      ...overrides.deps,
    },
  );
  consoles.push(c);
  return c;
}

beforeEach(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'console-'));
  config = loadConfig({
    SECMASTER_MODE: 'secmaster',
    SECMASTER_ENDPOINT: fake.url,
    SECMASTER_PROJECT_ID: PROJECT,
    SECMASTER_AUTH_TOKEN: TOKEN,
    BATCH_CALL_TIMEOUT_MS: '2000',
    DATA_DIR: dir,
  });
  ledger = openLedger(':memory:');
  consoles = [];
  ({ app, runner } = build());
});

afterEach(async () => {
  for (const c of consoles) await c.close();
  ledger.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
  });
}

async function errorOf(res: Response) {
  return apiErrorBodySchema.parse(await res.json());
}

async function createBatch(ids: string[], extra: Record<string, unknown> = {}) {
  const res = await post('/api/batches', batchBody(ids, extra));
  expect(res.status).toBe(201);
  const summary = batchSummarySchema.parse(await res.json());
  await runner.whenIdle(summary.id);
  return summary;
}

describe('/api/config and /api/health', () => {
  test('config says what the SPA needs and never a secret', async () => {
    const res = await app.request('/api/config');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(TOKEN);
    expect(consoleConfigSchema.parse(JSON.parse(text))).toEqual({
      mode: 'secmaster',
      projectId: PROJECT,
      endpoint: fake.url,
      region: null,
      user: 'local',
      maxBatchIds: 100_000,
      maxIdsPerCall: 100,
      signInRequired: false,
      signInMethods: [],
    });
  });

  test('health is ok, and 503 with a reason while the emulator is not ready', async () => {
    const ok = await app.request('/api/health');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok' });

    const res = await build({
      config: { mode: 'emulator' },
      deps: { emulatorReady: () => false },
    }).app.request('/api/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'unavailable',
      reason: expect.stringContaining('emulator'),
    });
  });
});

describe('POST /api/batches', () => {
  test('trims, drops blanks, dedupes (UUIDs case-insensitively), records invalid IDs and runs the rest', async () => {
    const [a, b] = makeIds(2);
    if (!a || !b) throw new Error('ids');
    const res = await post(
      '/api/batches',
      batchBody(
        [` ${a} `, '', '   ', a.toUpperCase(), b, 'nope', b, 'nope', 'has space inside x'],
        { reason: ' triage ' },
      ),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/^\/api\/batches\//);
    const s = batchSummarySchema.parse(await res.json());
    expect(s).toMatchObject({
      state: 'running',
      total: 4,
      duplicates: 3,
      reason: 'triage',
      user: 'local',
      action: 'associate',
    });
    expect(s.counts).toMatchObject({ invalid: 2, pending: 2 });

    await runner.whenIdle(s.id);
    const got = batchSummarySchema.parse(await (await app.request(`/api/batches/${s.id}`)).json());
    expect(got).toMatchObject({ state: 'done', counts: { succeeded: 2, invalid: 2, pending: 0 } });
    expect(got.finished_at).not.toBeNull();

    const items = batchItemsPageSchema.parse(
      await (await app.request(`/api/batches/${s.id}/items`)).json(),
    );
    expect(items.items.map((i) => [i.id, i.state])).toEqual([
      [a, 'succeeded'],
      [b, 'succeeded'],
      ['nope', 'invalid'],
      ['has space inside x', 'invalid'],
    ]);
    expect(items.items[2]?.message).toBe(INVALID_ID_MESSAGE);
    // invalid IDs are never sent
    const sent = fake.writes().flatMap((w) => (JSON.parse(w.body) as { ids: string[] }).ids);
    expect(sent).toEqual([a, b]);
  });

  test.each([
    [{ ...batchBody([]) }, 'ids', 'ids: at least one ID is required'],
    [{ ...batchBody(['']) }, 'ids', 'ids: every ID is blank'],
    [(({ ids: _ids, ...rest }) => rest)(batchBody([])), 'ids', null],
    [batchBody(['x'], { workspace_id: '../x' }), 'workspace_id', null],
    [batchBody(['x'], { data_object_id: 'short' }), 'data_object_id', null],
    [batchBody(['x'], { dataclass_type: 'vulnerabilities' }), 'dataclass_type', null],
    [batchBody(['x'], { action: 'delete' }), 'action', null],
    [batchBody(['x'], { extra: 1 }), 'extra', null],
    [batchBody(['x'.repeat(2000)]), 'ids', null],
    [
      batchBody(['x'], { retry_of: '6f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14' }),
      'retry_of',
      'retry_of: no such batch',
    ],
  ])('a bad body is a 400 naming the field (%#)', async (body, field, message) => {
    const res = await post('/api/batches', body);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe('INVALID_BODY');
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}:`)).toBe(true);
    if (message) expect(err.message).toBe(message);
    expect(fake.requests).toHaveLength(0);
  });

  test('malformed JSON is a 400', async () => {
    const res = await app.request('/api/batches', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: '{"ids": [',
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('INVALID_JSON');
  });

  test('a 100,000-ID body fits', async () => {
    const res = await post('/api/batches', batchBody(makeIds(100_000)));
    expect(res.status).toBe(201);
    const s = batchSummarySchema.parse(await res.json());
    expect(s.total).toBe(100_000);
    await runner.stop();
  });

  test('more IDs than a batch may carry is a 400', async () => {
    const res = await post('/api/batches', batchBody(Array.from({ length: 100_001 }, () => 'x')));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).field).toBe('ids');
  });
});

describe('GET /api/batches…', () => {
  test('unknown or malformed batch IDs are a 404 JSON', async () => {
    for (const path of [
      '/api/batches/6f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
      '/api/batches/not-a-batch',
      '/api/batches/%',
      '/api/batches/%c0',
      '/api/batches/6f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14/items',
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect((await errorOf(res)).code).toBe('NOT_FOUND');
    }
  });

  test('items: paging in input order, state filter, case-insensitive search, limit clamped', async () => {
    const ids = makeIds(30);
    const s = await createBatch([...ids, 'bad-1', 'bad-2']);
    const page = async (q: string) => {
      const res = await app.request(`/api/batches/${s.id}/items?${q}`);
      expect(res.status).toBe(200);
      return batchItemsPageSchema.parse(await res.json());
    };
    const p = await page('offset=10&limit=5');
    expect(p).toMatchObject({ total: 32, offset: 10, limit: 5 });
    expect(p.items.map((i) => i.id)).toEqual(ids.slice(10, 15));
    expect((await page('state=invalid')).items.map((i) => i.id)).toEqual(['bad-1', 'bad-2']);
    expect((await page('state=succeeded')).total).toBe(30);
    const hit = await page(`q=${ids[7]?.slice(-6).toUpperCase() ?? ''}`);
    expect(hit.items.map((i) => i.id)).toEqual([ids[7]]);
    expect((await page('limit=5000')).limit).toBe(1000);

    for (const [q, field] of [
      ['state=bogus', 'state'],
      ['limit=-1', 'limit'],
      ['offset=x', 'offset'],
      [`q=${'a'.repeat(65)}`, 'q'],
    ]) {
      const res = await app.request(`/api/batches/${s.id}/items?${q}`);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).field).toBe(field);
    }
  });

  test('the list is newest first, paged', async () => {
    const a = await createBatch(makeIds(1, 'a'));
    const b = await createBatch(makeIds(1, 'b'));
    const c = await createBatch(makeIds(1, 'c'));
    const list = batchListSchema.parse(await (await app.request('/api/batches?limit=2')).json());
    expect(list.total).toBe(3);
    expect(list.items.map((i) => i.id)).toEqual([c.id, b.id]);
    const rest = batchListSchema.parse(
      await (await app.request('/api/batches?offset=2&limit=2')).json(),
    );
    expect(rest.items.map((i) => i.id)).toEqual([a.id]);
  });

  test('an unknown /api route is a 404 JSON', async () => {
    for (const path of ['/api/nope', '/api', '/api/batches/x/y/z']) {
      const res = await app.request(path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
    }
  });
});

describe('/v1 read allow-list', () => {
  test('allowed reads reach the configured upstream with our own headers only', async () => {
    const res = await app.request(`/v1/${PROJECT}/workspaces?offset=0&limit=100`, {
      headers: {
        Cookie: 'session=abc',
        Authorization: 'Basic evil',
        'X-Auth-Token': 'browser-token',
        'X-Sdk-Date': '20200101T000000Z',
        'X-Forwarded-Host': 'evil.example',
        'X-Project-Id': 'other',
      },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      echo: { method: 'GET', path: `/v1/${PROJECT}/workspaces?offset=0&limit=100` },
    });
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-upstream-secret')).toBeNull();
    expect(res.headers.get('x-request-id')).toBe('rid-read-1-host');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const seen = fake.requests[0];
    expect(seen?.headers['x-auth-token']).toBe(TOKEN);
    for (const h of [
      'cookie',
      'authorization',
      'x-sdk-date',
      'x-forwarded-host',
      'x-project-id',
      'origin',
      'referer',
    ]) {
      expect(seen?.headers[h], h).toBeUndefined();
    }
  });

  test('each read of DESIGN §1 maps to its upstream path; POST bodies are re-serialised JSON', async () => {
    const reads: [string, string, unknown?][] = [
      ['GET', BASE],
      ['GET', `${BASE}/soc/dataclasses?limit=10`],
      ['GET', `${BASE}/soc/alerts/${SUBJECT}`],
      ['POST', `${BASE}/soc/alerts/search`, { limit: 10, offset: 0 }],
      ['POST', `${BASE}/soc/incidents/${SUBJECT}/alerts/search`, { limit: 1000 }],
    ];
    for (const [method, path, body] of reads) {
      const res = await app.request(path, {
        method,
        headers: method === 'POST' ? JSON_HEADERS : {},
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.status, path).toBe(200);
      const last = fake.requests.at(-1);
      expect(last?.method).toBe(method);
      expect(last?.path).toBe(path);
      if (body !== undefined) expect(JSON.parse(last?.body ?? '')).toEqual(body);
    }
  });

  const OTHER = 'ffffffffffffffffffffffffffffffff';
  test.each([
    ['POST', `${BASE}/soc/incidents/${SUBJECT}/alerts`, 405],
    ['DELETE', `${BASE}/soc/incidents/${SUBJECT}/alerts`, 405],
    ['GET', `${BASE}/soc/incidents/${SUBJECT}/alerts`, 405],
    ['POST', `${BASE}/soc/alerts/${SUBJECT}`, 405],
    ['GET', `${BASE}/soc/alerts/search`, 405],
    ['GET', `/v1/${OTHER}/workspaces`, 403],
    ['GET', `/v1/${PROJECT}/workspaces/${WS}/soc/vulnerability/search`, 404],
    ['GET', `/v1/${PROJECT}/other`, 404],
    ['GET', `/v1/${PROJECT}`, 404],
    ['GET', '/v1', 404],
    ['GET', `${BASE}/soc/alerts/${SUBJECT}/incidents/search/more`, 404],
    ['GET', `${BASE}/soc/alerts/..`, 400],
    ['GET', `${BASE}/soc/alerts/%2e%2e`, 400],
    ['GET', `${BASE}/soc/alerts/%2E%2e%2f..%2fx`, 400],
    ['GET', `${BASE}/soc/alerts/.%2e`, 400],
    ['GET', `${BASE}/soc/alerts/..%5c${SUBJECT}`, 400],
    ['GET', `${BASE}/soc/alerts/%252e%252e%252f`, 400],
    ['GET', `${BASE}/soc/alerts/${SUBJECT}%255C`, 400],
    ['GET', `${BASE}/soc/alerts/%`, 400],
    ['GET', `${BASE}/soc/alerts/%c0`, 400],
    ['GET', `${BASE}/soc/alerts/%ZZ`, 400],
    ['GET', `${BASE}/soc/alerts/${SUBJECT}%09`, 400],
    ['GET', `${BASE}/soc/alerts/${SUBJECT}%0d%0a`, 400],
    ['GET', `${BASE}/soc/alerts/${SUBJECT}%00`, 400],
    ['GET', `${BASE}/soc/alerts/${SUBJECT}%E2%80%A8`, 400],
    ['GET', `${BASE}/soc/alerts/${'a'.repeat(65)}`, 400],
    ['GET', `${BASE}/soc/alerts/http:%2f%2f127.0.0.1`, 400],
    ['GET', `${BASE}/soc/alerts/${SUBJECT};x`, 400],
    ['GET', `/v1/${PROJECT}/workspaces/${WS}//soc/alerts/${SUBJECT}`, 400],
    ['GET', `${BASE}/`, 400],
    ['GET', `${BASE}?x=1`, 400],
    ['GET', `/v1/${PROJECT}/workspaces?limit=-1`, 400],
    ['GET', `/V1/${PROJECT}/workspaces`, 404],
    ['GET', `/%76%31/${PROJECT}/workspaces`, 404],
    ['POST', `/V1/${PROJECT}/workspaces/${WS}/soc/incidents/${SUBJECT}/alerts`, 404],
  ])('%s %s → %i, nothing sent upstream', async (method, path, status) => {
    const res = await app.request(path, {
      method,
      headers: method === 'GET' ? {} : JSON_HEADERS,
      body: method === 'GET' ? undefined : JSON.stringify({ ids: [SUBJECT] }),
    });
    expect(res.status).toBe(status);
    const err = await errorOf(res);
    expect(err.code).toBeTruthy();
    expect(fake.requests).toHaveLength(0);
  });

  test('a search body that is not a search is a 400', async () => {
    const res = await post(`${BASE}/soc/alerts/search`, { limit: 'ten' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).field).toBe('limit');
    expect(fake.requests).toHaveLength(0);
  });

  test('SecMaster errors keep their status and code; 5xx becomes 502', async () => {
    fake.onRead(() =>
      Response.json(
        { code: 'SecMaster.20010001', message: 'workspace not found' },
        { status: 403 },
      ),
    );
    const res = await app.request(`${BASE}`);
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatchObject({
      code: 'SecMaster.20010001',
      message: 'workspace not found',
    });
    fake.onRead(() => Response.json({ code: 'X.500', message: 'boom' }, { status: 500 }));
    expect((await app.request(`${BASE}`)).status).toBe(502);
  });

  test('upstream down → 502', async () => {
    const closed = await startFakeUpstream();
    await closed.close();
    const res = await build({ config: { endpoint: closed.url } }).app.request(`${BASE}`);
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe('UPSTREAM_UNREACHABLE');
  });
});

describe('the SPA', () => {
  test('serves dist with an index.html fallback for client routes', async () => {
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dist, 'assets', 'app-1.js'), 'console.log(1)');

    const index = await app.request('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('root');
    expect(await (await app.request('/batches/123')).text()).toContain('root');
    const js = await app.request('/assets/app-1.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await app.request('/assets/missing.js')).status).toBe(404);
  });

  test('sends text files compressed when the browser accepts it; hashed assets are immutable', async () => {
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    const html = '<!doctype html><div id="root"></div>'.repeat(20);
    const js = 'console.log("a line of the app");\n'.repeat(200);
    writeFileSync(join(dist, 'index.html'), html);
    writeFileSync(join(dist, 'assets', 'app-2.js'), js);
    const get = (path: string, acceptEncoding?: string) =>
      app.request(path, acceptEncoding ? { headers: { 'Accept-Encoding': acceptEncoding } } : {});
    const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

    const br = await get('/assets/app-2.js', 'gzip, deflate, br, zstd');
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toContain('Accept-Encoding');
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(br.headers.get('content-type')).toContain('javascript');
    const brBody = await bytes(br);
    expect(brBody.length).toBeLessThan(js.length / 4);
    expect(brotliDecompressSync(brBody).toString()).toBe(js);
    // Served again from the cache, the same bytes.
    expect((await bytes(await get('/assets/app-2.js', 'br'))).equals(brBody)).toBe(true);

    const gz = await get('/assets/app-2.js', 'br;q=0, gzip');
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(await bytes(gz)).toString()).toBe(js);

    const plain = await get('/assets/app-2.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(js);

    // The page itself (and client routes) too, never cached without revalidation.
    for (const path of ['/', '/batches/123']) {
      const page = await get(path, 'gzip');
      expect(page.headers.get('content-encoding')).toBe('gzip');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(gunzipSync(await bytes(page)).toString()).toBe(html);
    }
    // A new build under the same name is picked up (the cache follows the file).
    writeFileSync(join(dist, 'index.html'), '<!doctype html><p>rebuilt</p>');
    expect(gunzipSync(await bytes(await get('/', 'gzip'))).toString()).toContain('rebuilt');
  });

  test('without a build, pages say how to build', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });
});

// ---------------------------------------------------------------------------------------------
// Batch actions (pause, resume, stop, idempotency, undo, export) against the real emulator.
// ---------------------------------------------------------------------------------------------

describe('batch actions against the emulator', () => {
  const EWS = SEED_WORKSPACES[0].id;
  let emu: RunningEmulator;
  let emuDb: ReturnType<typeof openEmulatorDb>;
  let eLedger: Ledger;
  let eConsole: ConsoleServer;
  let eRunner: Runner;
  let eUpstream: Upstream;
  let eApp: ConsoleServer['app'];
  let incident: string;
  let alerts: string[];

  beforeEach(async () => {
    emuDb = openEmulatorDb(join(dir, 'emulator.sqlite'));
    seedEmulator(emuDb, { alerts: 300, incidents: 5, indicators: 5 });
    // A little latency per write keeps a 2,000-ID batch running long enough to act on it.
    emu = await startEmulator({
      db: emuDb,
      projectId: DEMO_PROJECT_ID,
      port: 0,
      faults: {
        latency_ms: 15,
        p500: 0,
        p429: 0,
        p_throttle: 0,
        p_hang: 0,
        p_reset: 0,
        p_apply_then_hang: 0,
        p_apply_then_500: 0,
        reads: false,
        retry_after_s: 1,
      },
    });
    const eConfig = {
      ...loadConfig({ DATA_DIR: dir, BATCH_CALL_TIMEOUT_MS: '5000' }),
      endpoint: emu.url,
    };
    eLedger = openLedger(join(dir, 'ledger.sqlite'));
    eConsole = createConsole(eConfig, {
      ledger: eLedger,
      emulatorReady: () => true,
      runner: { concurrency: 2, backoffMs: () => 0 },
    });
    ({ runner: eRunner, upstream: eUpstream, app: eApp } = eConsole);
    const [inc] = seedObjectIds(0, 'incidents', 1);
    if (!inc) throw new Error('seed');
    incident = inc;
    alerts = seedObjectIds(0, 'alerts', 300);
  });

  afterEach(async () => {
    await eConsole.close();
    await emu.close();
    eLedger.close();
    emuDb.close();
  });

  function ePost(path: string, body?: unknown, headers: Record<string, string> = {}) {
    return eApp.request(path, {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  function eBody(ids: string[], extra: Record<string, unknown> = {}) {
    return {
      action: 'associate',
      workspace_id: EWS,
      dataclass_type: 'incidents',
      data_object_id: incident,
      related_dataclass_type: 'alerts',
      ids,
      ...extra,
    };
  }

  async function summaryOf(res: Response) {
    return batchSummarySchema.parse(await res.json());
  }

  async function eCreate(ids: string[], extra: Record<string, unknown> = {}, wait = true) {
    const res = await ePost('/api/batches', eBody(ids, extra));
    expect(res.status).toBe(201);
    const s = await summaryOf(res);
    if (wait) await eRunner.whenIdle(s.id);
    return s;
  }

  async function eGet(id: string) {
    return summaryOf(await eApp.request(`/api/batches/${id}`));
  }

  /** Many well-formed IDs that the emulator does not know (each one call's worth of work). */
  const strangers = (n: number) =>
    Array.from({ length: n }, (_, i) => `stranger-${String(i).padStart(24, '0')}`);

  test('pause, resume and stop a running batch; each says 409 when the state forbids it', async () => {
    const s = await eCreate(strangers(2000), {}, false);
    expect(s.state).toBe('running');

    const paused = await ePost(`/api/batches/${s.id}/pause`);
    expect(paused.status).toBe(200);
    expect(await summaryOf(paused)).toMatchObject({ id: s.id, state: 'paused', undo_of: null });
    const again = await ePost(`/api/batches/${s.id}/pause`);
    expect(again.status).toBe(409);
    expect(await errorOf(again)).toMatchObject({ code: 'INVALID_STATE' });

    // Paused, the runner records the calls in flight and lets go of the batch (whenIdle resolves)
    // with IDs still pending: it does not run on to the end.
    await eRunner.whenIdle(s.id);
    const frozen = await eGet(s.id);
    expect(frozen.state).toBe('paused');
    expect(frozen.counts.pending).toBeGreaterThan(0);
    expect(frozen.counts.in_flight).toBe(0);

    const resumed = await ePost(`/api/batches/${s.id}/resume`);
    expect(resumed.status).toBe(200);
    expect((await summaryOf(resumed)).state).toBe('running');
    expect((await ePost(`/api/batches/${s.id}/resume`)).status).toBe(409);

    const stopped = await ePost(`/api/batches/${s.id}/stop`);
    expect(stopped.status).toBe(200);
    expect((await summaryOf(stopped)).state).toBe('cancelled');
    await eRunner.whenIdle(s.id);
    const end = await eGet(s.id);
    expect(end.state).toBe('cancelled');
    expect(end.counts.pending).toBe(0);
    expect(end.counts.in_flight).toBe(0);
    expect(end.counts.skipped).toBeGreaterThan(0);
    const c = end.counts;
    expect(c.succeeded + c.failed + c.unknown + c.invalid + c.skipped).toBe(2000);

    for (const action of ['pause', 'resume', 'stop']) {
      const res = await ePost(`/api/batches/${s.id}/${action}`);
      expect(res.status).toBe(409);
      expect(await errorOf(res)).toMatchObject({ code: 'INVALID_STATE' });
    }
  });

  test('controls: unknown batches are 404, and the CSRF rules apply', async () => {
    for (const action of ['pause', 'resume', 'stop', 'undo']) {
      expect(
        (await ePost(`/api/batches/6f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14/${action}`)).status,
      ).toBe(404);
      expect((await ePost(`/api/batches/not-a-uuid/${action}`)).status).toBe(404);
    }
    const s = await eCreate(alerts.slice(0, 2));
    const noHeader = await eApp.request(`/api/batches/${s.id}/stop`, { method: 'POST' });
    expect(noHeader.status).toBe(403);
    const form = await eApp.request(`/api/batches/${s.id}/undo`, {
      method: 'POST',
      headers: { 'X-Requested-With': 'x', 'Content-Type': 'text/plain' },
      body: 'x',
    });
    expect(form.status).toBe(415);
  });

  test('Idempotency-Key: same key and body → the same batch; another body → 409; bad key → 400', async () => {
    const key = { 'Idempotency-Key': 'submit-7f3a:1' };
    const first = await ePost('/api/batches', eBody(alerts.slice(0, 3)), key);
    expect(first.status).toBe(201);
    const a = await summaryOf(first);
    // The same request, fields in another order.
    const { ids, ...rest } = eBody(alerts.slice(0, 3));
    const second = await ePost('/api/batches', { ids, ...rest }, key);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await summaryOf(second)).id).toBe(a.id);

    const other = await ePost('/api/batches', eBody(alerts.slice(0, 4)), key);
    expect(other.status).toBe(409);
    expect(await errorOf(other)).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });

    for (const bad of ['', 'x'.repeat(201), 'has space', 'semi;colon']) {
      const res = await ePost('/api/batches', eBody(alerts.slice(0, 3)), {
        'Idempotency-Key': bad,
      });
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({
        code: 'INVALID_IDEMPOTENCY_KEY',
        field: 'Idempotency-Key',
      });
    }
    await eRunner.whenIdle(a.id);
    expect(eLedger.listBatches(0, 10).total).toBe(1);
  });

  test('concurrent duplicates with one Idempotency-Key make one batch', async () => {
    const key = { 'Idempotency-Key': 'double-click' };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => ePost('/api/batches', eBody(alerts.slice(0, 50)), key)),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 201]);
    const ids = new Set(await Promise.all(answers.map(async (r) => (await summaryOf(r)).id)));
    expect(ids.size).toBe(1);
    expect(eLedger.listBatches(0, 10).total).toBe(1);
    const [only] = [...ids];
    if (!only) throw new Error('id');
    await eRunner.whenIdle(only);
    expect((await eGet(only)).counts.succeeded).toBe(50);
  });

  test('undo makes a new inverse batch of exactly the succeeded IDs, linked with undo_of', async () => {
    const unknown = '00000000-0000-4000-8000-00000000beef';
    const original = await eCreate([...alerts.slice(0, 5), unknown, 'not-an-id'], {
      reason: 'wrong incident',
    });
    const done = await eGet(original.id);
    expect(done.counts).toMatchObject({ succeeded: 5, failed: 1, invalid: 1 });

    const res = await ePost(`/api/batches/${original.id}/undo`);
    expect(res.status).toBe(201);
    const undo = await summaryOf(res);
    expect(undo).toMatchObject({
      action: 'cancel',
      workspace_id: EWS,
      dataclass_type: 'incidents',
      data_object_id: incident,
      related_dataclass_type: 'alerts',
      reason: `Undo of batch ${original.id}`,
      undo_of: original.id,
      retry_of: null,
      total: 5,
      user: 'local',
    });
    await eRunner.whenIdle(undo.id);
    const items = batchItemsPageSchema.parse(
      await (await eApp.request(`/api/batches/${undo.id}/items`)).json(),
    );
    expect(items.items.map((i) => [i.id, i.state])).toEqual(
      alerts.slice(0, 5).map((id) => [id, 'succeeded']),
    );
    // The links are gone upstream, the original says it has no undo_of, the list shows the link.
    const linked = await linkedNow(alerts.slice(0, 5));
    expect(linked).toEqual([]);
    expect((await eGet(original.id)).undo_of).toBeNull();
    expect((await eGet(undo.id)).undo_of).toBe(original.id);
    const list = batchListSchema.parse(await (await eApp.request('/api/batches')).json());
    expect(list.items.map((b) => [b.id, b.undo_of])).toEqual([
      [undo.id, original.id],
      [original.id, null],
    ]);

    // Undoing the undo associates them again.
    const redo = await ePost(`/api/batches/${undo.id}/undo`);
    expect(redo.status).toBe(201);
    expect(await summaryOf(redo)).toMatchObject({
      action: 'associate',
      total: 5,
      undo_of: undo.id,
    });
  });

  test('undo is refused while the batch runs and when nothing succeeded', async () => {
    const running = await eCreate(strangers(2000), {}, false);
    const res = await ePost(`/api/batches/${running.id}/undo`);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'INVALID_STATE' });
    expect((await eApp.request(`/api/batches/${running.id}/undo-preview`)).status).toBe(409);
    expect((await ePost(`/api/batches/${running.id}/stop`)).status).toBe(200);
    await eRunner.whenIdle(running.id);

    const nothing = await eCreate(['00000000-0000-4000-8000-00000000beef']);
    const none = await ePost(`/api/batches/${nothing.id}/undo`);
    expect(none.status).toBe(409);
    expect(await errorOf(none)).toMatchObject({ code: 'NOTHING_TO_UNDO' });
  });

  test('undo with an Idempotency-Key makes one undo batch', async () => {
    const original = await eCreate(alerts.slice(10, 12));
    const key = { 'Idempotency-Key': 'undo-dialog-1' };
    const [a, b] = await Promise.all([
      ePost(`/api/batches/${original.id}/undo`, undefined, key),
      ePost(`/api/batches/${original.id}/undo`, undefined, key),
    ]);
    expect([a?.status, b?.status].sort()).toEqual([200, 201]);
    expect(eLedger.listBatches(0, 10).total).toBe(2);
  });

  /** Which of `ids` are linked to the incident now, asked straight from the emulator. */
  async function linkedNow(ids: string[]): Promise<string[]> {
    const res = await eUpstream.call({
      op: 'relationSearch',
      workspaceId: EWS,
      dataclass: 'incidents',
      objectId: incident,
      related: 'alerts',
      body: {
        limit: 1000,
        condition: {
          conditions: [{ name: 'ids', data: ['id', 'in', ids.join(',')] }],
          logics: ['ids'],
        },
      },
    });
    return searchResponseSchema.parse(res.body).data.map((d) => d.id);
  }

  test('undo-preview counts the IDs and names those whose link changed since', async () => {
    const ids = alerts.slice(20, 270);
    const linkedBefore = await linkedNow(ids);
    expect(linkedBefore.length).toBeGreaterThan(0); // the seed links some of them already
    const original = await eCreate(ids);
    const counts = (await eGet(original.id)).counts;
    expect(counts).toMatchObject({
      succeeded: 250 - linkedBefore.length,
      unchanged: linkedBefore.length,
    });
    const made = ids.filter((x) => !linkedBefore.includes(x));

    const clean = await eApp.request(`/api/batches/${original.id}/undo-preview`);
    expect(clean.status).toBe(200);
    expect(await clean.json()).toMatchObject({
      ids: made.length,
      unchanged: linkedBefore.length,
      undo_action: 'cancel',
      changed: [],
      changes_recorded: true,
    });

    // Someone cancels two of the links directly in SecMaster.
    const gone = [made[3], made[180]].filter((x): x is string => x !== undefined);
    const cancelled = await eUpstream.call({
      op: 'cancel',
      workspaceId: EWS,
      dataclass: 'incidents',
      objectId: incident,
      related: 'alerts',
      ids: gone,
    });
    expect(cancelled.status).toBe(200);

    const res = await eApp.request(`/api/batches/${original.id}/undo-preview`);
    expect(res.status).toBe(200);
    const preview = (await res.json()) as { ids: number; changed: string[]; checked_at: string };
    expect(preview.ids).toBe(made.length);
    expect(preview.changed).toEqual(gone);
    expect(Date.parse(preview.checked_at)).not.toBeNaN();

    // For a cancel batch, a link that came back is the change.
    const unlink = await eCreate(made.slice(0, 2), { action: 'cancel' });
    await eCreate(made.slice(1, 2));
    const back = await eApp.request(`/api/batches/${unlink.id}/undo-preview`);
    expect(await back.json()).toMatchObject({
      ids: 2,
      undo_action: 'associate',
      changed: [made[1]],
    });
  });

  test('export: CSV with the header, quoting and neutralised cells; JSON of the same items', async () => {
    const original = await eCreate([alerts[0] ?? '', '=cmd', '+SUM(1)', 'a,"b"', '@x']);
    const res = await eApp.request(`/api/batches/${original.id}/export?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="batch-${original.id}.csv"`,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const lines = (await res.text()).split('\r\n');
    const msg = `"${INVALID_ID_MESSAGE.replaceAll('"', '""')}"`; // text cells are quoted
    // Every row ends with the batch's context (what, where, to what, who, when, why).
    const context = `,"${original.id}","associate","${EWS}","incidents","${original.data_object_id}","alerts","${original.user}","${original.created_at}",${original.reason === null ? '' : `"${original.reason}"`}`;
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines[1]).toMatch(new RegExp(`^"${alerts[0]}","succeeded",,,"[^,]+",1,`));
    expect(lines[1]?.endsWith(context)).toBe(true);
    expect(lines[2]).toBe(`"'=cmd","invalid",,${msg},,0${context}`);
    expect(lines[3]).toBe(`"'+SUM(1)","invalid",,${msg},,0${context}`);
    expect(lines[4]).toBe(`"a,""b""","invalid",,${msg},,0${context}`);
    expect(lines[5]).toBe(`"'@x","invalid",,${msg},,0${context}`);
    expect(lines).toHaveLength(7);

    const json = await eApp.request(`/api/batches/${original.id}/export?format=json`);
    expect(json.headers.get('content-disposition')).toBe(
      `attachment; filename="batch-${original.id}.json"`,
    );
    const items = batchItemsPageSchema.shape.items.parse(await json.json());
    expect(items.map((i) => i.id)).toEqual([alerts[0], '=cmd', '+SUM(1)', 'a,"b"', '@x']);

    expect((await eApp.request(`/api/batches/${original.id}/export?format=xlsx`)).status).toBe(400);
    expect(
      (await eApp.request(`/api/batches/6f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14/export`)).status,
    ).toBe(404);
  });

  test('an upstream message starting with "=" is exported neutralised', async () => {
    const s = eLedger.createBatch({
      action: 'associate',
      workspace_id: EWS,
      dataclass_type: 'incidents',
      data_object_id: incident,
      related_dataclass_type: 'alerts',
      reason: null,
      user: 'local',
      retry_of: null,
      duplicates: 0,
      items: [{ id: alerts[0] ?? '', idKey: alerts[0] ?? '', state: 'pending', message: null }],
    });
    const claim = eLedger.claimChunk(s.id, 100);
    if (!claim) throw new Error('claim');
    eLedger.recordOutcome(
      claim.callId,
      [{ id: alerts[0] ?? '', state: 'failed', code: 'X', message: '=cmd|"/c calc"!A1' }],
      { httpStatus: 400, requestId: 'r-1', errorCode: 'X' },
    );
    const text = await (await eApp.request(`/api/batches/${s.id}/export?format=csv`)).text();
    expect(text.split('\r\n')[1]).toMatch(
      new RegExp(`^"${alerts[0]}","failed","X","'=cmd\\|""/c calc""!A1","r-1",1,"${s.id}",`),
    );
  });

  test('a 20,000-item export streams in chunks and parses whole', async () => {
    const many = Array.from(
      { length: 20_000 },
      (_, i) => `bulk-item-${String(i).padStart(22, '0')}`,
    );
    const s = eLedger.createBatch({
      action: 'associate',
      workspace_id: EWS,
      dataclass_type: 'incidents',
      data_object_id: incident,
      related_dataclass_type: 'alerts',
      reason: null,
      user: 'local',
      retry_of: null,
      duplicates: 0,
      items: many.map((id) => ({ id, idKey: id, state: 'invalid', message: 'x' })),
    });
    const res = await eApp.request(`/api/batches/${s.id}/export?format=csv`);
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    const decoder = new TextDecoder();
    let text = '';
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      text += decoder.decode(value, { stream: true });
    }
    expect(chunks).toBeGreaterThanOrEqual(20);
    const lines = text.split('\r\n').filter((l) => l !== '');
    expect(lines).toHaveLength(20_001);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(20_000);

    const json = await eApp.request(`/api/batches/${s.id}/export?format=json`);
    const parsed = batchItemsPageSchema.shape.items.parse(await json.json());
    expect(parsed).toHaveLength(20_000);
    expect(parsed[19_999]?.id).toBe(many[19_999]);
  });
});

test('at most two link checks run at once; a third is told to try again', async () => {
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  fake.onRead(async () => {
    await held;
    return Response.json({ code: '00000000', total: 0, data: [] });
  });
  const post = () =>
    app.request('/api/checks', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'test' },
      body: JSON.stringify({
        workspace_id: WS,
        dataclass_type: 'incidents',
        data_object_id: SUBJECT,
        related_dataclass_type: 'alerts',
        ids: makeIds(3),
      }),
    });
  const first = post();
  const second = post();
  await expect.poll(() => fake.requests.length).toBe(2);
  const third = await post();
  expect(third.status).toBe(429);
  expect(third.headers.get('retry-after')).toBe('5');
  expect(await third.json()).toMatchObject({ code: 'TOO_MANY_CHECKS' });
  release();
  expect((await first).status).toBe(200);
  expect((await second).status).toBe(200);
  // The places are free again.
  expect((await post()).status).toBe(200);
});
