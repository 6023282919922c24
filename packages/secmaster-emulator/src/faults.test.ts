import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { searchResponseSchema } from './answers';
import { EmulatorConfigError } from './errors';
import { createEmulator, startEmulator, type RunningEmulator } from './app';
import { openEmulatorDb } from './db';
import { createFaultInjector, parseFaults, type FaultConfig, type FaultInjector } from './faults';
import { SEED_WORKSPACES, seedEmulator, seedObjectIds } from './seed';
import { REQUEST_ID_PATTERN, TEST_HOSTNAME, TEST_NOW, TEST_PROJECT_ID } from './testing';

const WS0: string = SEED_WORKSPACES[0].id;
const SIZES = { alerts: 30, incidents: 5, indicators: 10 };
const [INCIDENT = ''] = seedObjectIds(0, 'incidents', 1);
const ALERTS = seedObjectIds(0, 'alerts', SIZES.alerts);
const WS_PATH = `/v1/${TEST_PROJECT_ID}/workspaces/${WS0}`;
const RELATION = `${WS_PATH}/soc/incidents/${INCIDENT}/alerts`;
const SEARCH = `${WS_PATH}/soc/alerts/search`;
const THROTTLE_MSG =
  /^The throttling threshold has been reached: policy user over ratelimit,limit:\d+,time:1 second$/;

const secmasterErrorSchema = z.strictObject({ code: z.string(), message: z.string() });
const gatewayErrorSchema = z.strictObject({
  error_code: z.string(),
  error_msg: z.string(),
  request_id: z.string(),
});

function freshDb() {
  const db = openEmulatorDb(':memory:');
  seedEmulator(db, SIZES);
  return db;
}

interface Setup {
  app: ReturnType<typeof createEmulator>;
  call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response>;
  linked(): Promise<string[]>;
}

/** An emulator on a fresh small seed with the given faults (a config or an injector). */
function setup(
  faults: FaultConfig | FaultInjector,
  opts: { now?: () => Date; sleep?: (ms: number) => Promise<void> } = {},
): Setup {
  const app = createEmulator({
    db: freshDb(),
    projectId: TEST_PROJECT_ID,
    now: opts.now ?? (() => TEST_NOW),
    hostname: TEST_HOSTNAME,
    faults,
    sleep: opts.sleep,
  });
  const call = async (method: string, path: string, body?: unknown, signal?: AbortSignal) =>
    app.request(path, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  return {
    app,
    call,
    async linked() {
      const res = await call('POST', `${RELATION}/search`, { limit: 1000 });
      expect(res.status).toBe(200);
      return searchResponseSchema.parse(await res.json()).data.map((d) => d.id);
    },
  };
}

/** An alert not yet linked to INCIDENT (the seed links some). */
async function unlinkedAlert(s: Setup): Promise<string> {
  const linked = new Set(await s.linked());
  const id = ALERTS.find((a) => !linked.has(a));
  if (!id) throw new Error('every seeded alert is linked');
  return id;
}

describe('parseFaults', () => {
  test('absent or empty: everything off, writes only', () => {
    for (const raw of [undefined, {}]) {
      expect(parseFaults(raw)).toEqual({
        latency_ms: 0,
        p500: 0,
        p429: 0,
        p_throttle: 0,
        p_hang: 0,
        p_reset: 0,
        p_apply_then_hang: 0,
        p_apply_then_500: 0,
        reads: false,
        retry_after_s: 1,
      });
    }
  });

  test('takes every documented key', () => {
    const cfg = parseFaults({
      seed: 'abc',
      latency_ms: 5,
      p500: 0.1,
      p429: 0.1,
      p_throttle: 0.1,
      p_hang: 0.1,
      p_reset: 0.1,
      p_apply_then_hang: 0.1,
      p_apply_then_500: 0.1,
      max_rps: 20,
      reads: true,
      retry_after_s: 3,
    });
    expect(cfg).toMatchObject({ seed: 'abc', max_rps: 20, reads: true, p_reset: 0.1 });
    expect(parseFaults({ seed: 7 }).seed).toBe(7);
  });

  test.each([
    [{ p501: 0.1 }, /EMULATOR_FAULTS\.p501: unknown key/],
    [{ p500: 1.5 }, /EMULATOR_FAULTS\.p500: /],
    [{ p429: -0.1 }, /EMULATOR_FAULTS\.p429: /],
    [{ p_hang: '0.5' }, /EMULATOR_FAULTS\.p_hang: /],
    [{ reads: 'yes' }, /EMULATOR_FAULTS\.reads: /],
    [{ latency_ms: 1.5 }, /EMULATOR_FAULTS\.latency_ms: /],
    [{ max_rps: 0 }, /EMULATOR_FAULTS\.max_rps: /],
    [{ seed: 1.5 }, /EMULATOR_FAULTS\.seed: /],
    [{ p500: 0.6, p_reset: 0.6 }, /EMULATOR_FAULTS: the shares .* add up to 1\.2, more than 1/],
    [[1], /EMULATOR_FAULTS: /],
  ])('%j is refused, naming the key', (raw, message) => {
    expect(() => parseFaults(raw)).toThrow(EmulatorConfigError);
    expect(() => parseFaults(raw)).toThrow(message);
  });
});

describe('the schedule', () => {
  async function outcomes(seed: number): Promise<string[]> {
    const s = setup(parseFaults({ seed, p500: 0.2, p429: 0.2, p_throttle: 0.2 }));
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await s.call('POST', RELATION, { ids: [ALERTS[i % ALERTS.length]] });
      const body = (await res.json()) as { code?: string; error_code?: string };
      seen.push(`${res.status} ${body.error_code ?? body.code}`);
    }
    return seen;
  }

  test('the same seed gives the same outcomes in the same call order', async () => {
    const first = await outcomes(42);
    expect(await outcomes(42)).toEqual(first);
    expect(new Set(first)).toEqual(
      new Set([
        '200 00000000',
        '500 SecMaster.00000500',
        '429 SecMaster.00000429',
        '429 APIG.0308',
      ]),
    );
    expect(await outcomes(43)).not.toEqual(first);
  });

  test('stats count the calls in scope and what was done to them', async () => {
    const injector = createFaultInjector(parseFaults({ seed: 'x', p500: 0.5 }));
    const s = setup(injector);
    for (let i = 0; i < 20; i++) await s.call('DELETE', RELATION, { ids: [ALERTS[0]] });
    await s.call('POST', SEARCH, {});
    const stats = injector.stats();
    expect(stats).toMatchObject({ seed: 'x', calls: 20, delayed: 0 });
    expect(stats.outcomes.pass + stats.outcomes.error500).toBe(20);
    expect(stats.outcomes.error500).toBeGreaterThan(0);
    expect(stats.outcomes.pass).toBeGreaterThan(0);
  });

  test('without a seed a random one is chosen and reported', () => {
    const a = createFaultInjector(parseFaults({})).stats().seed;
    const b = createFaultInjector(parseFaults({})).stats().seed;
    expect(a).toMatch(/^[0-9a-z]+$/);
    expect(a).not.toBe(b);
  });
});

describe('each fault alone', () => {
  test('p500: 500 in the SecMaster shape, with X-request-id; nothing applied', async () => {
    const s = setup(parseFaults({ p500: 1 }));
    const alert = await unlinkedAlert(s);
    const res = await s.call('POST', RELATION, { ids: [alert] });
    expect(res.status).toBe(500);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('X-request-id')).toMatch(REQUEST_ID_PATTERN);
    expect(secmasterErrorSchema.parse(await res.json())).toEqual({
      code: 'SecMaster.00000500',
      message: 'Internal error',
    });
    expect(await s.linked()).not.toContain(alert);
  });

  test('p429: 429 with Retry-After (retry_after_s) in the SecMaster shape', async () => {
    for (const [cfg, retryAfter] of [
      [{ p429: 1 }, '1'],
      [{ p429: 1, retry_after_s: 7 }, '7'],
    ] as const) {
      const s = setup(parseFaults(cfg));
      const res = await s.call('DELETE', RELATION, { ids: [ALERTS[0]] });
      expect(res.status).toBe(429);
      expect(res.headers.get('Retry-After')).toBe(retryAfter);
      expect(res.headers.get('X-request-id')).toMatch(REQUEST_ID_PATTERN);
      expect(secmasterErrorSchema.parse(await res.json())).toEqual({
        code: 'SecMaster.00000429',
        message: 'Too many requests',
      });
    }
  });

  test('p_throttle: 429 APIG.0308 in the gateway shape, request_id = X-request-id', async () => {
    const s = setup(parseFaults({ p_throttle: 1 }));
    const res = await s.call('POST', RELATION, { ids: [ALERTS[0]] });
    expect(res.status).toBe(429);
    expect(res.headers.get('Retry-After')).toBeNull();
    const requestId = res.headers.get('X-request-id');
    expect(requestId).toMatch(REQUEST_ID_PATTERN);
    const body = gatewayErrorSchema.parse(await res.json());
    expect(body).toEqual({
      error_code: 'APIG.0308',
      error_msg: body.error_msg,
      request_id: requestId,
    });
    expect(body.error_msg).toMatch(THROTTLE_MSG);
  });

  test('apply_then_500: the link is made, then a 500 in the SecMaster shape', async () => {
    const s = setup(parseFaults({ p_apply_then_500: 1 }));
    const alert = await unlinkedAlert(s);
    const res = await s.call('POST', RELATION, { ids: [alert] });
    expect(res.status).toBe(500);
    expect(res.headers.get('X-request-id')).toMatch(REQUEST_ID_PATTERN);
    expect(await res.json()).toEqual({ code: 'SecMaster.00000500', message: 'Internal error' });
    expect(await s.linked()).toContain(alert);
  });

  test('apply_then_hang: the link is made, then no answer until the client aborts', async () => {
    const s = setup(parseFaults({ p_apply_then_hang: 1 }));
    const alert = await unlinkedAlert(s);
    await expect(
      s.call('POST', RELATION, { ids: [alert] }, AbortSignal.timeout(50)),
    ).rejects.toThrow();
    expect(await s.linked()).toContain(alert);
  });

  test('latency_ms: every call in scope waits (injected sleep), reads only with reads', async () => {
    const sleeps: number[] = [];
    const sleep = (ms: number) => {
      sleeps.push(ms);
      return Promise.resolve();
    };
    const writesOnly = setup(parseFaults({ latency_ms: 250 }), { sleep });
    expect((await writesOnly.call('POST', RELATION, { ids: [ALERTS[0]] })).status).toBe(200);
    expect((await writesOnly.call('POST', SEARCH, {})).status).toBe(200);
    expect(sleeps).toEqual([250]);

    const all = setup(parseFaults({ latency_ms: 40, reads: true }), { sleep });
    expect((await all.call('POST', SEARCH, {})).status).toBe(200);
    expect(sleeps).toEqual([250, 40]);
  });

  test('max_rps: above the rate in a sliding second, 429 APIG.0308 (injected clock)', async () => {
    let t = TEST_NOW.getTime();
    const s = setup(parseFaults({ max_rps: 2 }), { now: () => new Date(t) });
    const statusAt = async (at: number) => {
      t = TEST_NOW.getTime() + at;
      const res = await s.call('DELETE', RELATION, { ids: [ALERTS[0]] });
      const body: unknown = await res.json();
      return res.status === 429 ? gatewayErrorSchema.parse(body).error_msg : res.status;
    };
    expect(await statusAt(0)).toBe(200);
    expect(await statusAt(10)).toBe(200);
    const refused = await statusAt(20);
    expect(refused).toMatch(THROTTLE_MSG);
    expect(refused).toContain('limit:2,');
    expect(await statusAt(999)).not.toBe(200);
    expect(await statusAt(1000)).toBe(200); // the first call left the window
    expect(await statusAt(1005)).not.toBe(200);
    expect(await statusAt(1010)).toBe(200);
    expect((await s.call('POST', SEARCH, {})).status).toBe(200); // reads are not counted
  });
});

describe('scope', () => {
  test('batch-create is a write: in scope, applied by apply_then_500, untouched by p500', async () => {
    const batch = `${WS_PATH}/soc/incidents/alerts/batch-create`;
    const applied = setup(parseFaults({ p_apply_then_500: 1 }));
    const alert = await unlinkedAlert(applied);
    const body = { dataobject_ids: [INCIDENT], related_dataobject_ids: [alert] };
    const res = await applied.call('POST', batch, body);
    expect(res.status).toBe(500);
    expect(res.headers.get('X-request-id')).toMatch(REQUEST_ID_PATTERN);
    expect(await res.json()).toEqual({ code: 'SecMaster.00000500', message: 'Internal error' });
    expect(await applied.linked()).toContain(alert);

    const injector = createFaultInjector(parseFaults({ p500: 1 }));
    const refused = setup(injector);
    expect((await refused.call('POST', batch, body)).status).toBe(500);
    expect(await refused.linked()).not.toContain(alert);
    expect(injector.stats()).toMatchObject({ calls: 1, outcomes: { error500: 1 } });
  });

  test('faults touch only associate and cancel unless reads: true', async () => {
    const injector = createFaultInjector(parseFaults({ p500: 1 }));
    const s = setup(injector);
    expect((await s.call('GET', `/v1/${TEST_PROJECT_ID}/workspaces`)).status).toBe(200);
    expect((await s.call('POST', SEARCH, {})).status).toBe(200);
    expect((await s.call('POST', `${RELATION}/search`, {})).status).toBe(200);
    expect((await s.call('GET', `${WS_PATH}/soc/alerts/${ALERTS[0]}`)).status).toBe(200);
    expect((await s.call('POST', RELATION, { ids: [ALERTS[0]] })).status).toBe(500);
    expect((await s.call('DELETE', RELATION)).status).toBe(500);
    expect(injector.stats().calls).toBe(2);

    const all = setup(parseFaults({ p500: 1, reads: true }));
    expect((await all.call('POST', SEARCH, {})).status).toBe(500);
    expect((await all.call('GET', `/v1/${TEST_PROJECT_ID}/workspaces`)).status).toBe(500);
  });

  test('no faults: the emulator answers as usual', async () => {
    const s = setup(parseFaults({}));
    expect((await s.call('POST', RELATION, { ids: [ALERTS[0]] })).status).toBe(200);
  });
});

describe('over real HTTP', () => {
  let emulator: RunningEmulator | null = null;
  afterEach(async () => {
    await emulator?.close();
    emulator = null;
  });

  async function start(faults: Record<string, unknown>): Promise<RunningEmulator> {
    emulator = await startEmulator({
      db: freshDb(),
      projectId: TEST_PROJECT_ID,
      port: 0,
      faults: parseFaults(faults),
    });
    return emulator;
  }

  const post = (url: string, body: unknown, signal?: AbortSignal) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });

  test('p_reset drops the connection: fetch rejects; reads still answer', async () => {
    const emu = await start({ p_reset: 1 });
    await expect(post(`${emu.url}${RELATION}`, { ids: [ALERTS[0]] })).rejects.toThrow(TypeError);
    expect((await post(`${emu.url}${SEARCH}`, {})).status).toBe(200);
    expect(emu.faults?.stats().outcomes.reset).toBe(1);
  });

  test('p_hang answers nothing until the client aborts', async () => {
    const emu = await start({ p_hang: 1 });
    const started = Date.now();
    const error: unknown = await post(
      `${emu.url}${RELATION}`,
      { ids: [ALERTS[0]] },
      AbortSignal.timeout(50),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect((await post(`${emu.url}${SEARCH}`, {})).status).toBe(200);
    expect(emu.faults?.stats().outcomes.hang).toBe(1);
  });

  test('p_hang: a hung call fails when the server closes', async () => {
    const emu = await start({ p_hang: 1 });
    const pending = post(`${emu.url}${RELATION}`, { ids: [ALERTS[0]] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await emu.close();
    emulator = null;
    await expect(pending).rejects.toThrow(TypeError);
  });

  test('apply_then_hang over HTTP: applied, unanswered', async () => {
    const emu = await start({ p_apply_then_hang: 1 });
    const s = setup(parseFaults({}));
    const alert = await unlinkedAlert(s);
    await expect(
      post(`${emu.url}${RELATION}`, { ids: [alert] }, AbortSignal.timeout(50)),
    ).rejects.toThrow();
    const res = await post(`${emu.url}${RELATION}/search`, { limit: 1000 });
    const ids = searchResponseSchema.parse(await res.json()).data.map((d) => d.id);
    expect(ids).toContain(alert);
  });
});
