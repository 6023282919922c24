import { describe, expect, test } from 'vitest';
import { relationWriteResponseSchema, searchResponseSchema, parseUpstreamError } from './answers';
import { SEED_WORKSPACES, seedObjectIds } from './seed';
import { REQUEST_ID_PATTERN, TEST_PROJECT_ID, makeTestEmulator } from './testing';

const SPEC_EXAMPLE_ID = 'f60bf0e7-73b8-4832-8fc4-8c2a12830552';
const WS0: string = SEED_WORKSPACES[0].id;
const WS1: string = SEED_WORKSPACES[1].id;
const [INCIDENT, INCIDENT_2] = seedObjectIds(0, 'incidents', 2) as [string, string];
const ALERTS = seedObjectIds(0, 'alerts', 200);
const [FOREIGN_ALERT] = seedObjectIds(1, 'alerts', 1) as [string];
const [INDICATOR] = seedObjectIds(0, 'indicators', 1) as [string];

function setup() {
  const emu = makeTestEmulator();
  const relPath = (
    related = 'alerts',
    subject: string = INCIDENT,
    cls = 'incidents',
    ws: string = WS0,
  ) => emu.ws(ws, `/soc/${cls}/${subject}/${related}`);
  const linkedIds = async (subjectClass: string, subject: string, related: string, ws = WS0) => {
    const res = await emu.call(
      'POST',
      emu.ws(ws, `/soc/${subjectClass}/${subject}/${related}/search`),
      {
        limit: 1000,
        offset: 0,
      },
    );
    return searchResponseSchema.parse(res.body).data.map((d) => d.data_object.id);
  };
  return { ...emu, relPath, linkedIds };
}

/** Two seeded alerts that the first incident is not linked to yet. */
async function unlinkedAlerts(s: ReturnType<typeof setup>, n: number): Promise<string[]> {
  const linked = new Set(await s.linkedIds('incidents', INCIDENT, 'alerts'));
  return ALERTS.filter((id) => !linked.has(id)).slice(0, n);
}

describe('associate (POST)', () => {
  test('the spec example request: an unknown ID lands in error_ids (exact body)', async () => {
    const s = setup();
    const res = await s.call('POST', s.relPath('incidents', ALERTS[0], 'alerts'), {
      ids: [SPEC_EXAMPLE_ID],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: '00000000',
      message: '',
      request_id: expect.stringMatching(REQUEST_ID_PATTERN),
      success: false,
      total: 1,
      limit: 1,
      offset: 0,
      data: { success_ids: [], error_ids: [SPEC_EXAMPLE_ID] },
    });
    expect(Object.keys(res.body as object)).toEqual([
      'code',
      'message',
      'request_id',
      'success',
      'total',
      'limit',
      'offset',
      'data',
    ]);
    expect(Object.keys((res.body as { data: object }).data)).toEqual(['success_ids', 'error_ids']);
    expect(res.requestId).toBe((res.body as { request_id: string }).request_id);
    expect(relationWriteResponseSchema.safeParse(res.body).success).toBe(true);
  });

  test('partial success, idempotent repeat, and the link shows from both ends', async () => {
    const s = setup();
    const [a, b] = await unlinkedAlerts(s, 2);
    const ids = [a!, b!, SPEC_EXAMPLE_ID];
    const first = await s.call('POST', s.relPath(), { ids });
    expect(first.body).toEqual({
      code: '00000000',
      message: '',
      request_id: expect.stringMatching(REQUEST_ID_PATTERN),
      success: false,
      total: 3,
      limit: 3,
      offset: 0,
      data: { success_ids: [a, b], error_ids: [SPEC_EXAMPLE_ID] },
    });
    const again = await s.call('POST', s.relPath(), { ids: [a, b] });
    expect(again.body).toEqual({
      code: '00000000',
      message: '',
      request_id: expect.stringMatching(REQUEST_ID_PATTERN),
      success: true,
      total: 2,
      limit: 2,
      offset: 0,
      data: { success_ids: [a, b], error_ids: [] },
    });
    expect(await s.linkedIds('incidents', INCIDENT, 'alerts')).toEqual(
      expect.arrayContaining([a, b]),
    );
    expect(await s.linkedIds('alerts', a!, 'incidents')).toContain(INCIDENT);
    expect(await s.linkedIds('alerts', b!, 'incidents')).toContain(INCIDENT);
  });

  test('IDs of another class, another workspace, or the subject itself are errors', async () => {
    const s = setup();
    const res = await s.call('POST', s.relPath('incidents'), {
      ids: [ALERTS[0], INCIDENT, INCIDENT_2],
    });
    expect(relationWriteResponseSchema.parse(res.body).data).toEqual({
      success_ids: [INCIDENT_2],
      error_ids: [ALERTS[0], INCIDENT],
    });
    const foreign = await s.call('POST', s.relPath('alerts'), { ids: [FOREIGN_ALERT] });
    expect(relationWriteResponseSchema.parse(foreign.body)).toMatchObject({
      success: false,
      data: { success_ids: [], error_ids: [FOREIGN_ALERT] },
    });
  });

  test('duplicates in one call are reported once', async () => {
    const s = setup();
    const [a] = await unlinkedAlerts(s, 1);
    const res = await s.call('POST', s.relPath(), { ids: [a, a] });
    expect(relationWriteResponseSchema.parse(res.body)).toMatchObject({
      success: true,
      total: 1,
      data: { success_ids: [a], error_ids: [] },
    });
  });

  test('missing ids, an empty body or no body: 200 with empty lists', async () => {
    const s = setup();
    for (const body of [{}, { ids: null }, { ids: [] }, undefined, '']) {
      const res = await s.call('POST', s.relPath(), body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        code: '00000000',
        message: '',
        request_id: expect.stringMatching(REQUEST_ID_PATTERN),
        success: true,
        total: 0,
        limit: 0,
        offset: 0,
        data: { success_ids: [], error_ids: [] },
      });
    }
  });

  test('more than 100 ids is a 400 {code, message}; exactly 100 is fine', async () => {
    const s = setup();
    const tooMany = await s.call('POST', s.relPath(), { ids: ALERTS.slice(0, 101) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toEqual({
      code: 'SecMaster.00010001',
      message: 'ids: at most 100 items, got 101',
    });
    expect(parseUpstreamError(tooMany.body)).toEqual({
      code: 'SecMaster.00010001',
      message: 'ids: at most 100 items, got 101',
      request_id: null,
    });
    const hundred = await s.call('POST', s.relPath(), { ids: ALERTS.slice(0, 100) });
    expect(hundred.status).toBe(200);
    expect(relationWriteResponseSchema.parse(hundred.body).data?.success_ids).toHaveLength(100);
  });

  test('bad bodies are 400s', async () => {
    const s = setup();
    for (const body of ['{"ids": [', '{"ids": "abc"}', '{"ids": [1, 2]}', '[1]', '"text"']) {
      const res = await s.call('POST', s.relPath(), body);
      expect(res.status, body).toBe(400);
      expect(parseUpstreamError(res.body)?.code).toBe('SecMaster.00010001');
    }
  });
});

describe('cancel association (DELETE)', () => {
  test('the spec example request: an unknown ID lands in error_ids (exact body)', async () => {
    const s = setup();
    const res = await s.call('DELETE', s.relPath('incidents', ALERTS[0], 'alerts'), {
      ids: [SPEC_EXAMPLE_ID],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: '00000000',
      message: '',
      request_id: expect.stringMatching(REQUEST_ID_PATTERN),
      success: false,
      data: { success_ids: [], error_ids: [SPEC_EXAMPLE_ID] },
    });
    expect(Object.keys(res.body as object)).toEqual([
      'code',
      'message',
      'request_id',
      'success',
      'data',
    ]);
    expect(res.requestId).toBe((res.body as { request_id: string }).request_id);
    expect(relationWriteResponseSchema.safeParse(res.body).success).toBe(true);
  });

  test('removes the link from both ends; cancelling a missing link succeeds too', async () => {
    const s = setup();
    const [a] = await unlinkedAlerts(s, 1);
    await s.call('POST', s.relPath(), { ids: [a] });
    expect(await s.linkedIds('alerts', a!, 'incidents')).toContain(INCIDENT);

    // Cancelled from the other end: the alert is the subject now.
    const res = await s.call('DELETE', s.relPath('incidents', a!, 'alerts'), { ids: [INCIDENT] });
    expect(res.body).toEqual({
      code: '00000000',
      message: '',
      request_id: expect.stringMatching(REQUEST_ID_PATTERN),
      success: true,
      data: { success_ids: [INCIDENT], error_ids: [] },
    });
    expect(await s.linkedIds('incidents', INCIDENT, 'alerts')).not.toContain(a);
    expect(await s.linkedIds('alerts', a!, 'incidents')).not.toContain(INCIDENT);

    const again = await s.call('DELETE', s.relPath(), { ids: [a] });
    expect(relationWriteResponseSchema.parse(again.body)).toMatchObject({
      success: true,
      data: { success_ids: [a], error_ids: [] },
    });
  });

  test('DELETE with no body (or an empty one) answers 200 with empty lists', async () => {
    const s = setup();
    const before = await s.linkedIds('incidents', INCIDENT, 'alerts');
    const noBody = await s.app.request(s.relPath(), { method: 'DELETE' });
    expect(noBody.status).toBe(200);
    expect(await noBody.json()).toEqual({
      code: '00000000',
      message: '',
      request_id: expect.stringMatching(REQUEST_ID_PATTERN),
      success: true,
      data: { success_ids: [], error_ids: [] },
    });
    const withType = await s.call('DELETE', s.relPath());
    expect(withType.status).toBe(200);
    expect(await s.linkedIds('incidents', INCIDENT, 'alerts')).toEqual(before);
  });

  test('more than 100 ids is a 400', async () => {
    const s = setup();
    const res = await s.call('DELETE', s.relPath(), { ids: ALERTS.slice(0, 150) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 'SecMaster.00010001',
      message: 'ids: at most 100 items, got 150',
    });
  });
});

describe('errors of the relation paths (POST, DELETE and list)', () => {
  const cases = [
    {
      what: 'unknown subject',
      path: (s: ReturnType<typeof setup>) => s.relPath('alerts', SPEC_EXAMPLE_ID),
      status: 400,
      code: 'SecMaster.20030005',
    },
    {
      what: 'subject of another class',
      path: (s: ReturnType<typeof setup>) => s.relPath('alerts', INDICATOR),
      status: 400,
      code: 'SecMaster.20030005',
    },
    {
      what: 'subject of another workspace',
      path: (s: ReturnType<typeof setup>) => s.relPath('incidents', FOREIGN_ALERT, 'alerts'),
      status: 400,
      code: 'SecMaster.20030005',
    },
    {
      what: 'unknown workspace',
      path: (s: ReturnType<typeof setup>) =>
        s.relPath('alerts', INCIDENT, 'incidents', SPEC_EXAMPLE_ID),
      status: 403,
      code: 'SecMaster.20010001',
    },
    {
      what: 'workspace that does not hold the subject',
      path: (s: ReturnType<typeof setup>) => s.relPath('alerts', INCIDENT, 'incidents', WS1),
      status: 400,
      code: 'SecMaster.20030005',
    },
    {
      what: 'related class not alerts|incidents|indicators',
      path: (s: ReturnType<typeof setup>) => s.relPath('vulnerabilities'),
      status: 400,
      code: 'SecMaster.00010001',
    },
    {
      what: 'subject class not alerts|incidents|indicators',
      path: (s: ReturnType<typeof setup>) => s.relPath('alerts', INCIDENT, 'Incidents'),
      status: 400,
      code: 'SecMaster.00010001',
    },
  ];
  for (const c of cases) {
    test(c.what, async () => {
      const s = setup();
      for (const [method, suffix] of [
        ['POST', ''],
        ['DELETE', ''],
        ['POST', '/search'],
      ] as const) {
        const res = await s.call(method, c.path(s) + suffix, suffix ? {} : { ids: [ALERTS[0]] });
        expect(res.status, `${method}${suffix}`).toBe(c.status);
        expect(Object.keys(res.body as object)).toEqual(['code', 'message']);
        expect(parseUpstreamError(res.body)?.code).toBe(c.code);
        expect(res.requestId).toMatch(REQUEST_ID_PATTERN);
      }
    });
  }

  test('an unknown project is refused in the gateway shape', async () => {
    const s = setup();
    const path = `/v1/ffffffffffffffffffffffffffffffff/workspaces/${WS0}/soc/incidents/${INCIDENT}/alerts`;
    const res = await s.call('POST', path, { ids: [] });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error_code: 'APIG.0302',
      error_msg: 'The project ID in the path is not the authorized project.',
      request_id: res.requestId,
    });
    expect(parseUpstreamError(res.body)?.code).toBe('APIG.0302');
    expect(TEST_PROJECT_ID).not.toBe('ffffffffffffffffffffffffffffffff');
  });
});

describe('list associated objects (POST .../{related}/search)', () => {
  test('answers like a search, filters by id in, pages, and takes no body', async () => {
    const s = setup();
    const ids = await unlinkedAlerts(s, 5);
    await s.call('POST', s.relPath(), { ids });
    const all = await s.linkedIds('incidents', INCIDENT, 'alerts');
    expect(all).toEqual(expect.arrayContaining(ids));

    const checked = await s.call('POST', s.relPath('alerts') + '/search', {
      limit: 1000,
      offset: 0,
      condition: {
        conditions: [
          {
            name: 'ids',
            data: ['id', 'in', [ids[0], ids[1], SPEC_EXAMPLE_ID, FOREIGN_ALERT].join(',')],
          },
        ],
        logics: ['ids'],
      },
    });
    const parsed = searchResponseSchema.parse(checked.body);
    expect(parsed.data.map((d) => d.id).sort()).toEqual([ids[0], ids[1]].sort());
    expect(parsed).toMatchObject({
      code: '00000000',
      message: '',
      total: 2,
      size: 1000,
      page: 0,
      success: true,
    });
    for (const d of parsed.data) {
      expect(d).toMatchObject({
        workspace_id: WS0,
        project_id: TEST_PROJECT_ID,
        dataclass_ref: { name: 'Alert' },
      });
      expect(d.data_object.id).toBe(d.id);
    }

    const firstPage = searchResponseSchema.parse(
      (await s.call('POST', s.relPath('alerts') + '/search', { limit: 2 })).body,
    );
    expect(firstPage.data).toHaveLength(2);
    expect(firstPage.total).toBe(all.length);
    const secondPage = searchResponseSchema.parse(
      (await s.call('POST', s.relPath('alerts') + '/search', { limit: 2, offset: 2 })).body,
    );
    expect(secondPage.page).toBe(1);
    expect(secondPage.data.map((d) => d.id)).toEqual(all.slice(2, 4));

    const noBody = await s.app.request(s.relPath('alerts') + '/search', { method: 'POST' });
    expect(noBody.status).toBe(200);
    expect(searchResponseSchema.parse(await noBody.json()).total).toBe(all.length);
  });

  test('seeded links show from both ends', async () => {
    const s = setup();
    const alerts = await s.linkedIds('incidents', INCIDENT, 'alerts');
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) expect(await s.linkedIds('alerts', a, 'incidents')).toContain(INCIDENT);
  });
});
