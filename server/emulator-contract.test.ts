/**
 * The emulator answers in the shapes the console reads: every route's answer, and its errors, go
 * through the console's own schemas (src/api/schemas.ts). The emulator's tests read answers with
 * their own copy of SecMaster's shapes; this is where the two must agree.
 */
import {
  DEMO_PROJECT_ID,
  SEED_WORKSPACES,
  createEmulator,
  openEmulatorDb,
  seedEmulator,
  seedObjectIds,
} from 'secmaster-emulator';
import { afterAll, expect, test } from 'vitest';
import {
  dataclassListResponseSchema,
  parseUpstreamError,
  relationWriteResponseSchema,
  searchResponseSchema,
  showResponseSchema,
  workspaceListResponseSchema,
} from '../src/api/schemas';

const db = openEmulatorDb(':memory:');
seedEmulator(db, { alerts: 20, incidents: 3, indicators: 4 });
afterAll(() => db.close());
const app = createEmulator({ db, projectId: DEMO_PROJECT_ID });
const WS = `/v1/${DEMO_PROJECT_ID}/workspaces/${SEED_WORKSPACES[0].id}`;
const [INCIDENT = ''] = seedObjectIds(0, 'incidents', 1);
const [INDICATOR = ''] = seedObjectIds(0, 'indicators', 1);
const ALERTS = seedObjectIds(0, 'alerts', 20);

async function call(method: string, path: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

test('lists: workspaces and data classes', async () => {
  const workspaces = await call('GET', `/v1/${DEMO_PROJECT_ID}/workspaces?offset=0&limit=10`);
  expect(workspaceListResponseSchema.parse(workspaces.body).workspaces.map((w) => w.id)).toEqual(
    SEED_WORKSPACES.map((w) => w.id),
  );
  const classes = await call('GET', `${WS}/soc/dataclasses?offset=0&limit=10`);
  expect(dataclassListResponseSchema.parse(classes.body).dataclass_details).toHaveLength(3);
});

test('search and show, of each class', async () => {
  for (const cls of ['alerts', 'incidents', 'indicators']) {
    const found = await call('POST', `${WS}/soc/${cls}/search`, { limit: 2, offset: 0 });
    expect(found.status).toBe(200);
    const page = searchResponseSchema.parse(found.body);
    expect(page.data).toHaveLength(2);
    const id = page.data[0]?.id ?? '';
    const shown = await call('GET', `${WS}/soc/${cls}/${id}`);
    expect(showResponseSchema.parse(shown.body).data.id).toBe(id);
  }
  const indicator = await call('GET', `${WS}/soc/indicators/${INDICATOR}`);
  expect(showResponseSchema.parse(indicator.body).data.name).toEqual(expect.any(String));
});

test('associate, the related search, and cancel', async () => {
  const rel = `${WS}/soc/incidents/${INCIDENT}/alerts`;
  const before = searchResponseSchema.parse(
    (await call('POST', `${rel}/search`, { limit: 1000 })).body,
  );
  const linked = new Set(before.data.map((d) => d.id));
  const ids = ALERTS.filter((a) => !linked.has(a)).slice(0, 3);
  const associated = relationWriteResponseSchema.parse((await call('POST', rel, { ids })).body);
  expect(associated.data).toEqual({ success_ids: ids, error_ids: [] });
  const after = searchResponseSchema.parse(
    (await call('POST', `${rel}/search`, { limit: 1000 })).body,
  );
  expect(after.total).toBe(before.data.length + ids.length);
  const cancelled = relationWriteResponseSchema.parse((await call('DELETE', rel, { ids })).body);
  expect(cancelled.data).toEqual({ success_ids: ids, error_ids: [] });
});

test('batch-create answers as the other writes; an unknown route is the gateway 404', async () => {
  const [other = ''] = seedObjectIds(0, 'incidents', 2).slice(1);
  const ids = ALERTS.slice(10, 13);
  const batch = await call('POST', `${WS}/soc/incidents/alerts/batch-create`, {
    dataobject_ids: [INCIDENT, other],
    related_dataobject_ids: ids,
  });
  expect(batch.status).toBe(200);
  expect(relationWriteResponseSchema.parse(batch.body)).toMatchObject({
    success: true,
    data: { success_ids: ids, error_ids: [] },
  });
  const unknown = await call('DELETE', `${WS}/soc/incidents/alerts/batch-create`);
  expect(unknown.status).toBe(404);
  expect(parseUpstreamError(unknown.body)).toEqual({
    code: 'APIG.0101',
    message: 'The API does not exist or has not been published in the environment',
    request_id: expect.any(String),
  });
});

test('errors: SecMaster and gateway bodies both read as {code, message, request_id}', async () => {
  const refused = await call('POST', `${WS}/soc/alerts/search`, { limit: 5000 });
  expect(refused.status).toBe(400);
  expect(parseUpstreamError(refused.body)).toMatchObject({
    code: 'SecMaster.00010001',
    request_id: null,
  });
  const foreign = await call('GET', '/v1/ffffffffffffffffffffffffffffffff/workspaces');
  expect(foreign.status).toBe(403);
  expect(parseUpstreamError(foreign.body)).toMatchObject({
    code: 'APIG.0302',
    request_id: expect.any(String),
  });
});
