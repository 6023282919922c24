/** The console against the real emulator over HTTP: a batch end to end, and reads through /v1. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Hono } from 'hono';
import {
  batchItemsPageSchema,
  batchSummarySchema,
  linkCheckSchema,
  searchResponseSchema,
} from '../src/api/schemas';
import { linkedIds } from './testing/checker';
import { MSG_NOT_FOUND } from './batches/reconcile';
import type { Runner } from './batches/engine/runner';
import { DEMO_PROJECT_ID } from './config';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { startConsoleOn, type ConsoleHarness } from './testing/emulator-console';

const WS = SEED_WORKSPACES[0].id;
const HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'fetch' };

// The same tests on both ledgers: SQLite in DATA_DIR, and PostgreSQL (DATABASE_URL).
describe.each(['sqlite', 'postgres'] as const)('on %s', (kind) => {
  let h: ConsoleHarness;
  let emulatorDb: ConsoleHarness['emulatorDb'];
  let runner: Runner;
  let app: Hono;

  beforeEach(async () => {
    h = await startConsoleOn(kind, {
      prefix: 'console_int_',
      seed: { alerts: 300, incidents: 5, indicators: 5 },
    });
    ({ emulatorDb, runner, app } = h);
  });

  afterEach(() => h.close());

  test('associate 250 alerts (plus unknown and invalid IDs) with an incident, then read the links back', async () => {
    const [incident] = seedObjectIds(0, 'incidents', 1);
    if (!incident) throw new Error('seed');
    const alerts = seedObjectIds(0, 'alerts', 250);
    const stranger = '00000000-0000-4000-8000-00000000beef';
    // The seed links some of these alerts to the incident already: the batch leaves them unchanged.
    const before = linkedIds(emulatorDb, {
      workspaceId: WS,
      dataclass: 'incidents',
      objectId: incident,
      related: 'alerts',
    });
    const pre = alerts.filter((a) => before.has(a));
    expect(pre.length).toBeGreaterThan(0);
    const res = await app.request('/api/batches', {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({
        action: 'associate',
        workspace_id: WS,
        dataclass_type: 'incidents',
        data_object_id: incident,
        related_dataclass_type: 'alerts',
        ids: [...alerts, stranger, 'not-an-id', alerts[0]?.toUpperCase()],
      }),
    });
    expect(res.status).toBe(201);
    const created = batchSummarySchema.parse(await res.json());
    expect(created).toMatchObject({
      total: 252,
      duplicates: 1,
      counts: { invalid: 1, pending: 251 },
    });
    await runner.whenIdle(created.id);

    const done = batchSummarySchema.parse(
      await (await app.request(`/api/batches/${created.id}`)).json(),
    );
    expect(done.state).toBe('done');
    expect(done.counts).toMatchObject({
      succeeded: 250 - pre.length,
      unchanged: pre.length,
      failed: 1,
      invalid: 1,
      pending: 0,
      in_flight: 0,
      unknown: 0,
    });
    const calls = await h.kysely.selectFrom('calls').select('ids_json').execute();
    expect(calls).toHaveLength(3);
    // The links that existed before were never sent, and say so.
    const unchanged = batchItemsPageSchema.parse(
      await (await app.request(`/api/batches/${created.id}/items?state=unchanged`)).json(),
    );
    expect(unchanged.items.map((i) => i.id).sort()).toEqual([...pre].sort());
    expect(unchanged.items.every((i) => i.message === 'already linked')).toBe(true);
    const sent = calls.flatMap((r) => JSON.parse(r.ids_json) as string[]);
    for (const id of pre) expect(sent).not.toContain(id);

    const failed = batchItemsPageSchema.parse(
      await (await app.request(`/api/batches/${created.id}/items?state=failed`)).json(),
    );
    expect(failed.items).toEqual([
      expect.objectContaining({
        id: stranger,
        state: 'failed',
        code: 'NOT_FOUND',
        message: MSG_NOT_FOUND,
        request_id: expect.any(String),
      }),
    ]);

    const links = await app.request(
      `/v1/${DEMO_PROJECT_ID}/workspaces/${WS}/soc/incidents/${incident}/alerts/search`,
      {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({ limit: 1000, offset: 0 }),
      },
    );
    expect(links.status).toBe(200);
    const found = searchResponseSchema.parse(await links.json()).data.map((d) => d.data_object.id);
    for (const id of alerts) expect(found).toContain(id);
  });

  test('cancel association removes the links it reports as succeeded', async () => {
    const [incident] = seedObjectIds(0, 'incidents', 2).slice(1);
    if (!incident) throw new Error('seed');
    const alerts = seedObjectIds(0, 'alerts', 5);
    for (const action of ['associate', 'cancel'] as const) {
      const res = await app.request('/api/batches', {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({
          action,
          workspace_id: WS,
          dataclass_type: 'incidents',
          data_object_id: incident,
          related_dataclass_type: 'alerts',
          ids: alerts,
        }),
      });
      const s = batchSummarySchema.parse(await res.json());
      await runner.whenIdle(s.id);
      expect((await h.store.getBatch(s.id))?.counts.succeeded).toBe(5);
    }
    const links = await app.request(
      `/v1/${DEMO_PROJECT_ID}/workspaces/${WS}/soc/incidents/${incident}/alerts/search`,
      {
        method: 'POST',
        headers: HEADERS,
        body: '{}',
      },
    );
    const found = searchResponseSchema.parse(await links.json()).data.map((d) => d.data_object.id);
    for (const id of alerts) expect(found).not.toContain(id);
  });

  test('reads through /v1 reach the emulator: workspaces, one object', async () => {
    const ws = await app.request(`/v1/${DEMO_PROJECT_ID}/workspaces?offset=0&limit=100`);
    expect(ws.status).toBe(200);
    expect(await ws.json()).toMatchObject({
      workspaces: expect.arrayContaining([expect.objectContaining({ id: WS })]),
    });
    const [alert] = seedObjectIds(0, 'alerts', 1);
    const one = await app.request(
      `/v1/${DEMO_PROJECT_ID}/workspaces/${WS}/soc/alerts/${alert ?? ''}`,
    );
    expect(one.status).toBe(200);
    expect((await app.request('/api/health')).status).toBe(200);
  });

  test('the link check tells linked, not linked and not found apart, and writes nothing', async () => {
    const [incident] = seedObjectIds(0, 'incidents', 3).slice(2);
    if (!incident) throw new Error('seed');
    const subject = {
      workspaceId: WS,
      dataclass: 'incidents',
      objectId: incident,
      related: 'alerts',
    } as const;
    const before = linkedIds(emulatorDb, subject);
    // Five alerts the seed did not link to this incident: link two through a batch.
    const fresh = seedObjectIds(0, 'alerts', 300)
      .filter((id) => !before.has(id))
      .slice(0, 5);
    const [a, b, c, d, e] = fresh;
    if (!a || !b || !c || !d || !e) throw new Error('seed');
    const created = batchSummarySchema.parse(
      await (
        await app.request('/api/batches', {
          method: 'POST',
          headers: HEADERS,
          body: JSON.stringify({
            action: 'associate',
            workspace_id: WS,
            dataclass_type: 'incidents',
            data_object_id: incident,
            related_dataclass_type: 'alerts',
            ids: [a, b],
          }),
        })
      ).json(),
    );
    await runner.whenIdle(created.id);
    const [anotherIncident] = seedObjectIds(0, 'incidents', 4).slice(3);
    const stranger = '00000000-0000-4000-8000-00000000beef';
    const linksBefore = linkedIds(emulatorDb, subject);

    const res = await app.request('/api/checks', {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({
        workspace_id: WS,
        dataclass_type: 'incidents',
        data_object_id: incident,
        related_dataclass_type: 'alerts',
        // b twice (another spelling), an incident's ID where alerts are expected, an unknown ID.
        ids: [a, c, b, b.toUpperCase(), d, anotherIncident, stranger, e],
      }),
    });
    expect(res.status).toBe(200);
    const check = linkCheckSchema.parse(await res.json());
    expect(check.checked).toBe(7);
    expect(check.linked).toEqual([a, b]);
    expect(check.not_found).toEqual([anotherIncident, stranger]);
    // Read-only: the links are what they were.
    expect(linkedIds(emulatorDb, subject)).toEqual(linksBefore);
  });

  test('the link check refuses malformed requests and reports SecMaster refusals', async () => {
    const [incident] = seedObjectIds(0, 'incidents', 1);
    const bad = await app.request('/api/checks', {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({
        workspace_id: WS,
        dataclass_type: 'incidents',
        data_object_id: incident,
        related_dataclass_type: 'alerts',
        ids: ['not an id'],
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_BODY', field: 'ids' });

    const none = await app.request('/api/checks', {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({
        workspace_id: WS,
        dataclass_type: 'incidents',
        data_object_id: incident,
        related_dataclass_type: 'alerts',
        ids: [],
      }),
    });
    expect(none.status).toBe(400);

    // A subject that does not exist: SecMaster's refusal comes back as a 502 with its code.
    const missing = await app.request('/api/checks', {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({
        workspace_id: WS,
        dataclass_type: 'incidents',
        data_object_id: 'f60bf0e7-73b8-4832-8fc4-8c2a12830552',
        related_dataclass_type: 'alerts',
        ids: seedObjectIds(0, 'alerts', 2),
      }),
    });
    expect(missing.status).toBe(502);
    expect(await missing.json()).toMatchObject({
      code: expect.stringMatching(/^SecMaster\./),
      message: expect.stringContaining('the link check failed'),
    });
  });
});
