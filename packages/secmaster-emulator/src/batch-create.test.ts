/** BatchCreateDataobjectRelations: `POST .../soc/{dataclass_type}/{related_dataclass_type}/batch-create`. */
import { describe, expect, test } from 'vitest';
import { relationWriteResponseSchema } from './answers';
import { linksOf } from './inspect';
import { SEED_WORKSPACES, seedObjectIds } from './seed';
import { REQUEST_ID_PATTERN, TEST_PROJECT_ID, makeTestEmulator } from './testing';
import type { DataclassType } from './wire';

const SIZES = { alerts: 400, incidents: 100, indicators: 20 };
const WS0: string = SEED_WORKSPACES[0].id;
const WS1: string = SEED_WORKSPACES[1].id;
const UNKNOWN_ID = 'f60bf0e7-73b8-4832-8fc4-8c2a12830552';
const INCIDENTS = seedObjectIds(0, 'incidents', SIZES.incidents);
const ALERTS = seedObjectIds(0, 'alerts', SIZES.alerts);
const [I1, I2] = INCIDENTS as [string, string];
const [FOREIGN_ALERT] = seedObjectIds(1, 'alerts', 1) as [string];
const [INDICATOR] = seedObjectIds(0, 'indicators', 1) as [string];

function setup() {
  const emu = makeTestEmulator({ sizes: SIZES });
  const batchPath = (cls = 'incidents', related = 'alerts', ws = WS0) =>
    emu.ws(ws, `/soc/${cls}/${related}/batch-create`);
  const links = (dataclass: DataclassType, objectId: string, related: DataclassType) =>
    linksOf(emu.db, { workspaceId: WS0, dataclass, objectId, related });
  /** `n` seeded alerts linked to none of `subjects` yet. */
  const freeAlerts = (subjects: string[], n: number) => {
    const taken = new Set(subjects.flatMap((s) => links('incidents', s, 'alerts')));
    return ALERTS.filter((a) => !taken.has(a)).slice(0, n);
  };
  return { ...emu, batchPath, links, freeAlerts };
}

const GOLDEN_KEYS = ['code', 'message', 'request_id', 'success', 'data'];

describe('batch-create links every subject to every related ID', () => {
  test('the path the associate route used to take now links: exact body, both ends', async () => {
    const s = setup();
    const [a, b] = s.freeAlerts([I1, I2], 2) as [string, string];
    // Before: 400 {"code":"SecMaster.20030005","message":"data object alerts does not exist"}.
    const res = await s.call('POST', s.batchPath(), {
      dataobject_ids: [I1, I2],
      related_dataobject_ids: [a, UNKNOWN_ID, b],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: '00000000',
      message: '',
      request_id: res.requestId,
      success: false,
      data: { success_ids: [a, b], error_ids: [UNKNOWN_ID] },
    });
    expect(res.requestId).toMatch(REQUEST_ID_PATTERN);
    expect(Object.keys(res.body as object)).toEqual(GOLDEN_KEYS);
    expect(Object.keys((res.body as { data: object }).data)).toEqual(['success_ids', 'error_ids']);
    expect(relationWriteResponseSchema.safeParse(res.body).success).toBe(true);
    for (const incident of [I1, I2]) {
      expect(s.links('incidents', incident, 'alerts')).toEqual(expect.arrayContaining([a, b]));
    }
    for (const alert of [a, b]) {
      expect(s.links('alerts', alert, 'incidents')).toEqual(expect.arrayContaining([I1, I2]));
    }
  });

  test('idempotent: the same call again succeeds with the same IDs and adds nothing', async () => {
    const s = setup();
    const ids = s.freeAlerts([I1, I2], 3);
    const body = { dataobject_ids: [I1, I2], related_dataobject_ids: ids };
    const first = await s.call('POST', s.batchPath(), body);
    const linked = [s.links('incidents', I1, 'alerts'), s.links('incidents', I2, 'alerts')];
    const again = await s.call('POST', s.batchPath(), body);
    for (const res of [first, again]) {
      expect(res.body).toEqual({
        code: '00000000',
        message: '',
        request_id: res.requestId,
        success: true,
        data: { success_ids: ids, error_ids: [] },
      });
    }
    expect([s.links('incidents', I1, 'alerts'), s.links('incidents', I2, 'alerts')]).toEqual(
      linked,
    );
  });

  test('repeated IDs in either list are handled and reported once, in first-seen order', async () => {
    const s = setup();
    const [a, b] = s.freeAlerts([I1], 2) as [string, string];
    const res = await s.call('POST', s.batchPath(), {
      dataobject_ids: [I1, I1],
      related_dataobject_ids: [b, a, b, UNKNOWN_ID, UNKNOWN_ID],
    });
    expect(relationWriteResponseSchema.parse(res.body).data).toEqual({
      success_ids: [b, a],
      error_ids: [UNKNOWN_ID],
    });
  });

  test('related IDs of another class, another workspace, or a subject itself: error, linked to none', async () => {
    const s = setup();
    const res = await s.call('POST', s.batchPath(), {
      dataobject_ids: [I1],
      related_dataobject_ids: [INDICATOR, FOREIGN_ALERT, I2],
    });
    expect(relationWriteResponseSchema.parse(res.body)).toMatchObject({
      success: false,
      data: { success_ids: [], error_ids: [INDICATOR, FOREIGN_ALERT, I2] },
    });
    expect(s.links('incidents', I1, 'alerts')).not.toContain(FOREIGN_ALERT);

    // Same class on both sides: a related ID that is also a subject is an error for every subject.
    const [i3, i4] = INCIDENTS.slice(50, 52) as [string, string];
    const same = await s.call('POST', s.batchPath('incidents', 'incidents'), {
      dataobject_ids: [I1, I2],
      related_dataobject_ids: [I2, i3, i4],
    });
    expect(relationWriteResponseSchema.parse(same.body).data).toEqual({
      success_ids: [i3, i4],
      error_ids: [I2],
    });
    expect(s.links('incidents', I1, 'incidents')).not.toContain(I2);
    expect(s.links('incidents', I1, 'incidents')).toEqual(expect.arrayContaining([i3, i4]));
    expect(s.links('incidents', I2, 'incidents')).toEqual([i3, i4].sort());
  });

  test('an unknown subject (or one of another class or workspace) is a 400; nothing is linked', async () => {
    const s = setup();
    const [a] = s.freeAlerts([I1], 1) as [string];
    for (const bad of [UNKNOWN_ID, ALERTS[0], seedObjectIds(1, 'incidents', 1)[0]]) {
      const res = await s.call('POST', s.batchPath(), {
        dataobject_ids: [I1, bad],
        related_dataobject_ids: [a],
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        code: 'SecMaster.20030005',
        message: `data object ${bad} does not exist`,
      });
    }
    expect(s.links('incidents', I1, 'alerts')).not.toContain(a);
  });

  test('100 subjects × 100 related IDs (10,000 links) in one call', async () => {
    const s = setup();
    const related = ALERTS.slice(0, 100);
    const res = await s.call('POST', s.batchPath(), {
      dataobject_ids: INCIDENTS,
      related_dataobject_ids: related,
    });
    expect(res.body).toMatchObject({
      success: true,
      data: { success_ids: related, error_ids: [] },
    });
    for (const incident of INCIDENTS) {
      expect(s.links('incidents', incident, 'alerts')).toEqual(expect.arrayContaining(related));
    }
  });

  test('an empty related list links nothing: 200 with empty lists', async () => {
    const s = setup();
    for (const body of [
      { dataobject_ids: [I1] },
      { dataobject_ids: [I1], related_dataobject_ids: [] },
    ]) {
      const res = await s.call('POST', s.batchPath(), body);
      expect(res.body).toEqual({
        code: '00000000',
        message: '',
        request_id: res.requestId,
        success: true,
        data: { success_ids: [], error_ids: [] },
      });
    }
  });
});

describe('batch-create refusals', () => {
  test('more than 100 IDs in a list, or no subject, is a 400 {code, message}', async () => {
    const s = setup();
    const cases: Array<[unknown, string]> = [
      [
        { dataobject_ids: [I1], related_dataobject_ids: ALERTS.slice(0, 101) },
        'related_dataobject_ids: at most 100 items, got 101',
      ],
      [
        { dataobject_ids: [...INCIDENTS, I1], related_dataobject_ids: [ALERTS[0]] },
        'dataobject_ids: at most 100 items, got 101',
      ],
      [{ related_dataobject_ids: [ALERTS[0]] }, 'dataobject_ids: at least 1 item is required'],
      [{ dataobject_ids: [] }, 'dataobject_ids: at least 1 item is required'],
    ];
    for (const [body, message] of cases) {
      const res = await s.call('POST', s.batchPath(), body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'SecMaster.00010001', message });
    }
    const noBody = await s.app.request(s.batchPath(), { method: 'POST' });
    expect(noBody.status).toBe(400);
  });

  test('bad bodies are 400 SecMaster.00010001', async () => {
    const s = setup();
    for (const body of [
      '{not json',
      '[1]',
      { dataobject_ids: 'x' },
      { dataobject_ids: [I1], related_dataobject_ids: [1] },
    ]) {
      const res = await s.call('POST', s.batchPath(), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body as object)).toEqual(['code', 'message']);
      expect(res.body).toMatchObject({ code: 'SecMaster.00010001' });
    }
  });

  test('unknown workspace 403, unknown class 400, unknown project 403 (gateway)', async () => {
    const s = setup();
    const body = { dataobject_ids: [I1], related_dataobject_ids: [ALERTS[0]] };
    const ws = await s.call('POST', s.batchPath('incidents', 'alerts', UNKNOWN_ID), body);
    expect(ws.status).toBe(403);
    expect(ws.body).toEqual({
      code: 'SecMaster.20010001',
      message: `workspace ${UNKNOWN_ID} does not exist`,
    });
    const cls = await s.call('POST', s.batchPath('incidents', 'vulnerabilities'), body);
    expect(cls.status).toBe(400);
    expect(cls.body).toEqual({
      code: 'SecMaster.00010001',
      message: 'related "vulnerabilities" is not one of alerts, incidents, indicators',
    });
    const project = await s.call(
      'POST',
      `/v1/${'f'.repeat(32)}/workspaces/${WS1}/soc/incidents/alerts/batch-create`,
      body,
    );
    expect(project.status).toBe(403);
    expect(project.body).toMatchObject({ error_code: 'APIG.0302', request_id: project.requestId });
  });
});

describe('routing is exact: anything else is the gateway 404', () => {
  const shared = setup();
  const ws = `/v1/${TEST_PROJECT_ID}/workspaces/${WS0}`;
  const rel = `${ws}/soc/incidents/${I1}/alerts`;
  const batch = `${ws}/soc/incidents/alerts/batch-create`;
  test.each([
    // wrong method
    ['GET', batch],
    ['DELETE', batch],
    ['PUT', batch],
    ['PUT', rel],
    ['PATCH', rel],
    ['GET', `${ws}/soc/alerts/search`],
    ['DELETE', `${rel}/search`],
    // extra or missing segment
    ['POST', `${batch}/x`],
    ['POST', `${ws}/soc/incidents/batch-create`],
    ['POST', `${ws}/soc/incidents/alerts/indicators/batch-create`],
    ['POST', `${rel}/x`],
    ['POST', `${rel}/search/x`],
    ['POST', `${ws}/soc/incidents/search/alerts`],
    ['POST', `${ws}/soc/incidents/batch-create/alerts`],
    ['GET', `${ws}/soc/alerts/${ALERTS[0]}/x`],
    // unknown prefix or segment
    ['POST', batch.replace('/v1/', '/v2/')],
    ['POST', batch.replace('/soc/', '/soar/')],
    ['POST', batch.replace('/workspaces/', '/workspace/')],
    ['POST', `${ws}/soc/inci-dents/alerts/batch-create`],
    ['GET', '/'],
  ])('%s %s', async (method, path) => {
    const res = await shared.app.request(path, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: method === 'GET' ? undefined : JSON.stringify({ dataobject_ids: [I1] }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const requestId = res.headers.get('X-request-id');
    expect(requestId).toMatch(REQUEST_ID_PATTERN);
    expect(await res.json()).toEqual({
      error_code: 'APIG.0101',
      error_msg: 'The API does not exist or has not been published in the environment',
      request_id: requestId,
    });
  });
});
