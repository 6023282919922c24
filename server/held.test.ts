/**
 * What an adversarial review tried and found to hold, kept as tests so that it keeps holding:
 * prototype pollution through every JSON body and query, and stored markup in what the ledger
 * keeps (reasons, IDs) answered as JSON data only (the SPA shows it as text:
 * batch-view.test.tsx). Path tricks, CSRF, Host tricks, huge and deep bodies and slow clients are
 * in attacks.test.ts, cookie flags in access/auth.test.ts, kill -9 mid-batch and during an undo in
 * batches/kill.test.ts and batches/kill-undo.test.ts.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { Hono } from 'hono';
import { batchItemsPageSchema, batchSummarySchema } from '../src/api/schemas';
import type { Ledger } from './batches/ledger';
import type { Runner } from './batches/engine/runner';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { startEmulatorConsole, type EmulatorConsole } from './testing/emulator-console';

const WS = SEED_WORKSPACES[0].id;
const HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'fetch' };

let h: EmulatorConsole;
let dir: string;
let ledger: Ledger;
let runner: Runner;
let app: Hono;
let incident: string;
let alerts: string[];

beforeEach(async () => {
  h = await startEmulatorConsole({
    prefix: 'held-',
    seed: { alerts: 50, incidents: 3, indicators: 3 },
  });
  ({ dir, ledger, runner, app } = h);
  incident = seedObjectIds(0, 'incidents', 3)[2] ?? '';
  alerts = seedObjectIds(0, 'alerts', 50);
});

afterEach(() => h.close());

const postRaw = (path: string, raw: string) =>
  app.request(path, { method: 'POST', headers: HEADERS, body: raw });

function batchJson(extra: string): string {
  return `{"action":"associate","workspace_id":"${WS}","dataclass_type":"incidents","data_object_id":"${incident}","related_dataclass_type":"alerts","ids":["${alerts[0] ?? ''}"]${extra}}`;
}

function polluted(): boolean {
  const probe: Record<string, unknown> = {};
  return 'polluted' in probe || 'isAdmin' in probe || Object.hasOwn(Object.prototype, 'polluted');
}

test('prototype pollution: __proto__ and constructor.prototype in any body or query are refused, and pollute nothing', async () => {
  const attacks = [
    ',"__proto__":{"polluted":true}',
    ',"constructor":{"prototype":{"polluted":true}}',
    ',"__proto__":{"isAdmin":true},"user":"root"',
  ];
  for (const extra of attacks) {
    const res = await postRaw('/api/batches', batchJson(extra));
    expect(res.status, extra).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('INVALID_BODY');
    expect(polluted(), extra).toBe(false);
  }
  // Nested in the IDs: a key inside an array element is not an ID, and is never sent.
  const nested = await postRaw(
    '/api/batches',
    batchJson('').replace(/"ids":\[[^\]]*\]/, '"ids":[{"__proto__":{"polluted":true}}]'),
  );
  expect(nested.status).toBe(400);
  for (const path of [
    '/api/session',
    '/api/checks',
    '/api/batches/x/undo',
    '/api/batches/x/retry',
  ]) {
    const res = await postRaw(
      path,
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    );
    expect(res.status, path).toBeGreaterThanOrEqual(400);
    expect(res.status, path).toBeLessThan(500);
    expect(polluted(), path).toBe(false);
  }
  for (const query of [
    '?__proto__[polluted]=1',
    '?constructor[prototype][polluted]=1',
    '?__proto__.polluted=1',
  ]) {
    const res = await app.request(`/api/batches${query}`);
    expect(res.status, query).toBeLessThan(500);
    expect(polluted(), query).toBe(false);
  }
  // Nothing was recorded by any of it.
  expect(
    batchSummarySchema
      .array()
      .parse(((await (await app.request('/api/batches')).json()) as { items: unknown[] }).items),
  ).toEqual([]);
});

test('stored markup: a reason or ID holding HTML is kept as data and answered as JSON only', async () => {
  const markup = '<img src=x onerror="alert(document.cookie)"><script>alert(1)</script>';
  const res = await postRaw(
    '/api/batches',
    batchJson(`,"reason":${JSON.stringify(markup)}`).replace(
      /"ids":\["([^"]*)"\]/,
      `"ids":["$1",${JSON.stringify(`${markup}${'x'.repeat(10)}`)}]`,
    ),
  );
  expect(res.status).toBe(201);
  const created = batchSummarySchema.parse(await res.json());
  await runner.whenIdle(created.id);
  for (const path of [
    `/api/batches/${created.id}`,
    '/api/batches',
    `/api/batches/${created.id}/items`,
    `/api/batches/${created.id}/export?format=json`,
    `/api/batches/${created.id}/export?format=csv`,
  ]) {
    const answer = await app.request(path);
    expect(answer.status, path).toBe(200);
    // Never served as a page: JSON or a CSV attachment, never sniffed.
    expect(answer.headers.get('content-type'), path).toMatch(/^(application\/json|text\/csv)/);
    expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff');
    expect(answer.headers.get('content-security-policy'), path).toContain("script-src 'self'");
  }
  const summary = batchSummarySchema.parse(
    await (await app.request(`/api/batches/${created.id}`)).json(),
  );
  expect(summary.reason).toBe(markup);
  const items = batchItemsPageSchema.parse(
    await (await app.request(`/api/batches/${created.id}/items?state=invalid`)).json(),
  ).items;
  expect(items.map((i) => i.id)).toEqual([`${markup}${'x'.repeat(10)}`]);
});

test('a full disk: a request that must write (here, creating a batch) answers 503 STORAGE_UNAVAILABLE saying why, never a bare 500', async () => {
  const created = await postRaw('/api/batches', batchJson(''));
  expect(created.status).toBe(201);
  const batch = batchSummarySchema.parse(await created.json());
  await runner.whenIdle(batch.id);
  // The ledger may not grow by a single page any more: SQLite answers SQLITE_FULL, as on a full disk.
  const pages = ledger.db.pragma('page_count', { simple: true }) as number;
  ledger.db.pragma(`max_page_count = ${String(pages)}`);
  const many = Array.from({ length: 5_000 }, (_, i) => `full-disk-${String(i).padStart(24, '0')}`);
  const refused = await postRaw(
    '/api/batches',
    batchJson('').replace(/"ids":\[[^\]]*\]/, `"ids":${JSON.stringify(many)}`),
  );
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('10');
  const error = (await refused.json()) as { code: string; message: string };
  expect(error.code).toBe('STORAGE_UNAVAILABLE');
  expect(error.message).toMatch(/disk is full: nothing was recorded/);
  expect(error.message).not.toContain(dir); // no server paths to the client
  // Nothing half-made: the history holds the first batch only.
  const list = (await (await app.request('/api/batches')).json()) as { items: unknown[] };
  expect(list.items).toHaveLength(1);
});
