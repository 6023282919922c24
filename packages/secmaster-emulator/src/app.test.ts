import { describe, expect, test } from 'vitest';
import {
  dataclassListResponseSchema,
  parseUpstreamError,
  searchResponseSchema,
  showResponseSchema,
  workspaceListResponseSchema,
} from './answers';
import { startEmulator } from './app';
import { openEmulatorDb } from './db';
import {
  DEFAULT_SEED_SIZES,
  SEED_WORKSPACES,
  seedDataclassId,
  seedEmulator,
  seedObjectIds,
} from './seed';
import { REQUEST_ID_PATTERN, TEST_PROJECT_ID, makeTestEmulator } from './testing';

const WS0: string = SEED_WORKSPACES[0].id;
const WS1: string = SEED_WORKSPACES[1].id;
const UNKNOWN_ID = 'f60bf0e7-73b8-4832-8fc4-8c2a12830552';

/** One emulator for the read-only tests of this file. */
const emu = makeTestEmulator();

async function search(cls: string, body: unknown, ws = WS0) {
  const res = await emu.call('POST', emu.ws(ws, `/soc/${cls}/search`), body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return searchResponseSchema.parse(res.body);
}

describe('workspaces', () => {
  test('list: full Workspace fields, count, paging and name filter', async () => {
    const res = await emu.call('GET', `/v1/${TEST_PROJECT_ID}/workspaces?offset=0&limit=10`);
    const list = workspaceListResponseSchema.parse(res.body);
    expect(list.count).toBe(2);
    expect(list.workspaces.map((w) => [w.id, w.name])).toEqual(
      SEED_WORKSPACES.map((w) => [w.id, w.name]),
    );
    expect(Object.keys((res.body as { workspaces: object[] }).workspaces[0] ?? {})).toEqual([
      'id',
      'name',
      'description',
      'create_time',
      'update_time',
      'creator_id',
      'creator_name',
      'modifier_id',
      'modifier_name',
      'project_id',
      'project_name',
      'domain_id',
      'domain_name',
      'enterprise_project_id',
      'enterprise_project_name',
      'is_view',
      'region_id',
      'view_bind_id',
      'view_bind_name',
      'workspace_agency_list',
    ]);
    expect(list.workspaces[0]?.project_id).toBe(TEST_PROJECT_ID);

    const second = workspaceListResponseSchema.parse(
      (await emu.call('GET', `/v1/${TEST_PROJECT_ID}/workspaces?offset=1&limit=1`)).body,
    );
    expect(second).toMatchObject({ count: 2, workspaces: [{ id: WS1 }] });
    const named = workspaceListResponseSchema.parse(
      (await emu.call('GET', `/v1/${TEST_PROJECT_ID}/workspaces?offset=0&limit=10&name=hunting`))
        .body,
    );
    expect(named.workspaces.map((w) => w.name)).toEqual(['Threat Hunting Lab']);
    expect(named.count).toBe(1);

    const bad = await emu.call('GET', `/v1/${TEST_PROJECT_ID}/workspaces?offset=-1&limit=10`);
    expect(bad.status).toBe(400);
    expect(parseUpstreamError(bad.body)?.code).toBe('SecMaster.00010001');
  });

  test('show: {workspace}; unknown → 400 SecMaster.20011003', async () => {
    const res = await emu.call('GET', emu.ws(WS1));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      workspace: { id: WS1, name: 'Threat Hunting Lab', project_id: TEST_PROJECT_ID },
    });
    const unknown = await emu.call('GET', emu.ws(UNKNOWN_ID));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      code: 'SecMaster.20011003',
      message: `workspace ${UNKNOWN_ID} does not exist`,
    });
  });
});

describe('data classes', () => {
  test('lists alerts, incidents and indicators; unknown workspace → 403', async () => {
    const res = await emu.call('GET', emu.ws(WS0, '/soc/dataclasses'));
    const list = dataclassListResponseSchema.parse(res.body);
    expect(list.total).toBe(3);
    expect(list.dataclass_details.map((d) => [d.id, d.name])).toEqual([
      [seedDataclassId(0, 'alerts'), 'Alert'],
      [seedDataclassId(0, 'incidents'), 'Incident'],
      [seedDataclassId(0, 'indicators'), 'Indicator'],
    ]);
    const paged = dataclassListResponseSchema.parse(
      (await emu.call('GET', emu.ws(WS0, '/soc/dataclasses?limit=1&offset=2'))).body,
    );
    expect(paged).toMatchObject({ total: 3, dataclass_details: [{ name: 'Indicator' }] });

    const unknown = await emu.call('GET', emu.ws(UNKNOWN_ID, '/soc/dataclasses'));
    expect(unknown.status).toBe(403);
    expect(unknown.body).toEqual({
      code: 'SecMaster.20010001',
      message: `workspace ${UNKNOWN_ID} does not exist`,
    });
  });
});

describe('search', () => {
  test('answer shape: code, message, total, size, page, success, data of DetailWrappers', async () => {
    const res = await emu.call('POST', emu.ws(WS0, '/soc/alerts/search'), { limit: 3, offset: 0 });
    expect(Object.keys(res.body as object)).toEqual([
      'code',
      'message',
      'total',
      'size',
      'page',
      'success',
      'data',
    ]);
    const parsed = searchResponseSchema.parse(res.body);
    expect(parsed).toMatchObject({
      code: '00000000',
      message: '',
      total: DEFAULT_SEED_SIZES.alerts,
      size: 3,
      page: 0,
    });
    const first = (res.body as { data: Record<string, unknown>[] }).data[0] ?? {};
    expect(Object.keys(first)).toEqual([
      'id',
      'create_time',
      'update_time',
      'data_object',
      'dataclass_ref',
      'format_version',
      'version',
      'project_id',
      'workspace_id',
      'type',
    ]);
    expect(first).toMatchObject({
      dataclass_ref: { id: seedDataclassId(0, 'alerts'), name: 'Alert' },
      format_version: 1,
      version: 1,
      project_id: TEST_PROJECT_ID,
      workspace_id: WS0,
      type: 'DATA_SOURCE',
      data_object: {
        id: first.id,
        title: expect.any(String),
        severity: expect.any(String),
        handle_status: expect.any(String),
      },
    });
  });

  test('default order is create_time DESC; ASC and update_time sort; paging by offset', async () => {
    const desc = await search('alerts', { limit: 50 });
    const times = desc.data.map((d) => d.create_time ?? '');
    expect(times).toEqual([...times].sort().reverse());
    const asc = await search('alerts', { limit: 50, sort_by: 'update_time', order: 'ASC' });
    const updates = asc.data.map((d) => d.update_time ?? '');
    expect(updates).toEqual([...updates].sort());
    const page = await search('alerts', { limit: 10, offset: 20 });
    expect(page.data.map((d) => d.id)).toEqual(desc.data.slice(20, 30).map((d) => d.id));
    expect(page.page).toBe(2);
  });

  test('conditions: =, !=, contains, in, >=, <= and logics with and / or', async () => {
    const fatal = await search('alerts', {
      limit: 1000,
      condition: {
        conditions: [{ name: 'sev', data: ['severity', '=', 'Fatal'] }],
        logics: ['sev'],
      },
    });
    expect(fatal.total).toBeGreaterThan(0);
    expect(fatal.data.every((d) => d.data_object.severity === 'Fatal')).toBe(true);

    const openHigh = await search('alerts', {
      limit: 1000,
      condition: {
        conditions: [
          { name: 'severity', data: ['severity', 'in', 'High,Fatal'] },
          { name: 'status', data: ['handle_status', '!=', 'Closed'] },
        ],
        logics: ['severity', 'and', 'status'],
      },
    });
    expect(openHigh.total).toBeGreaterThan(0);
    for (const d of openHigh.data) {
      expect(['High', 'Fatal']).toContain(d.data_object.severity);
      expect(d.data_object.handle_status).not.toBe('Closed');
    }

    const either = await search('alerts', {
      limit: 0,
      condition: {
        conditions: [
          { name: 'a', data: ['severity', '=', 'Tips'] },
          { name: 'b', data: ['severity', '=', 'Low'] },
        ],
        logics: ['a', 'or', 'b'],
      },
    });
    const tips = await search('alerts', {
      limit: 0,
      condition: { conditions: [{ name: 'a', data: ['severity', '=', 'Tips'] }] },
    });
    const low = await search('alerts', {
      limit: 0,
      condition: { conditions: [{ name: 'b', data: ['severity', '=', 'Low'] }] },
    });
    expect(either.total).toBe((tips.total ?? 0) + (low.total ?? 0));
    expect(either.data).toEqual([]);

    const ssh = await search('alerts', {
      limit: 1000,
      condition: {
        conditions: [{ name: 't', data: ['title', 'contains', 'brute-FORCE ssh'] }],
        logics: ['t'],
      },
    });
    expect(ssh.total).toBeGreaterThan(0);
    expect(
      ssh.data.every((d) => d.data_object.title?.startsWith('Brute-force SSH login on ')),
    ).toBe(true);

    const dotted = await search('alerts', {
      limit: 1000,
      condition: {
        conditions: [{ name: 'x', data: ['alert_type.alert_type', '=', 'Port scan'] }],
        logics: ['x'],
      },
    });
    expect(dotted.total).toBeGreaterThan(0);
    expect(dotted.data.every((d) => d.data_object.title?.startsWith('Port scan from '))).toBe(true);

    const numeric = await search('alerts', {
      limit: 1000,
      condition: { conditions: [{ name: 'c', data: ['confidence', '>=', '95'] }], logics: ['c'] },
    });
    expect(numeric.total).toBeGreaterThan(0);
    expect(numeric.data.every((d) => Number(d.data_object.confidence) >= 95)).toBe(true);
  });

  test('contains takes the text as typed: % and _ are no wildcards', async () => {
    const titled = async (text: string) =>
      (
        await search('alerts', {
          limit: 0,
          condition: { conditions: [{ name: 't', data: ['title', 'contains', text] }] },
        })
      ).total;
    expect(await titled('brute-force ssh LOGIN')).toBeGreaterThan(0);
    expect(await titled('Brute-force SSH_login')).toBe(0);
    expect(await titled('Brute%login')).toBe(0);
  });

  test('time conditions and from_date/to_date accept both SecMaster time forms', async () => {
    const all = await search('alerts', { limit: 0 });
    const window = await search('alerts', {
      limit: 1000,
      from_date: '2026-10-01T00:00:00.000Z',
      to_date: '2026-10-16T08:00:00.000Z+0800',
    });
    expect(window.total).toBeGreaterThan(0);
    expect(window.total).toBeLessThan(all.total ?? 0);
    for (const d of window.data) {
      expect(d.create_time! >= '2026-10-01T00:00:00.000Z').toBe(true);
      expect(d.create_time! <= '2026-10-16T00:00:00.000Z').toBe(true);
    }
    const cond = await search('alerts', {
      limit: 0,
      condition: {
        conditions: [
          { name: 'from', data: ['create_time', '>=', '2026-10-01T08:00:00Z+0800'] },
          { name: 'to', data: ['create_time', '<=', '2026-10-16T00:00:00.000Z'] },
        ],
        logics: ['from', 'and', 'to'],
      },
    });
    expect(cond.total).toBe(window.total);
  });

  test('by id, and incidents / indicators', async () => {
    const [alertId] = seedObjectIds(0, 'alerts', 1);
    const byId = await search('alerts', {
      condition: { conditions: [{ name: 'id', data: ['id', '=', alertId!] }] },
    });
    expect(byId.data.map((d) => d.id)).toEqual([alertId]);

    const incidents = await search('incidents', { limit: 5 });
    expect(incidents.total).toBe(DEFAULT_SEED_SIZES.incidents);
    expect(incidents.data[0]?.data_object.title).toMatch(/^INC-\d{4}-\d{5}: /);

    const indicators = await search('indicators', { limit: 5, offset: 0, condition: {} });
    expect(indicators.total).toBe(DEFAULT_SEED_SIZES.indicators);
    const noCondition = await search('indicators', { limit: 5, offset: 0 });
    expect(noCondition.total).toBe(DEFAULT_SEED_SIZES.indicators);
    const ind = indicators.data[0];
    expect(ind).toMatchObject({ name: expect.any(String), dataclass_ref: { name: 'Indicator' } });
    expect(ind?.data_object).toMatchObject({
      value: expect.any(String),
      status: expect.stringMatching(/^(Open|Closed|Revoked)$/),
      verdict: expect.stringMatching(/^(Black|White|Gray)$/),
    });
    const revoked = await search('indicators', {
      limit: 1000,
      offset: 0,
      condition: { conditions: [{ name: 's', data: ['status', '=', 'Revoked'] }], logics: ['s'] },
    });
    expect(revoked.data.every((d) => d.data_object.status === 'Revoked')).toBe(true);
    const byIds = await search('indicators', {
      limit: 10,
      offset: 0,
      ids: seedObjectIds(0, 'indicators', 3),
      condition: {},
    });
    expect(byIds.total).toBe(3);

    const otherWorkspace = await search('alerts', { limit: 0 }, WS1);
    expect(otherWorkspace.total).toBe(DEFAULT_SEED_SIZES.alerts);
  });

  test('bad search requests are 400s', async () => {
    const bodies: unknown[] = [
      { limit: 1001 },
      { limit: -1 },
      { offset: 'x' },
      { sort_by: 'title' },
      { order: 'sideways' },
      { from_date: 'yesterday' },
      { condition: { conditions: [{ name: 'a', data: ['severity', 'like', 'x'] }] } },
      { condition: { conditions: [{ name: 'a', data: ['severity', '='] }] } },
      { condition: { conditions: [{ name: 'a', data: ["x') OR 1=1 --", '=', 'x'] }] } },
      { condition: { conditions: [{ name: 'a', data: ['severity', '=', 'Low'] }], logics: ['b'] } },
      {
        condition: {
          conditions: [{ name: 'a', data: ['severity', '=', 'Low'] }],
          logics: ['a', 'and'],
        },
      },
      {
        condition: {
          conditions: [{ name: 'a', data: ['severity', '=', 'Low'] }],
          logics: ['a', 'xor', 'a'],
        },
      },
      '{not json',
    ];
    for (const body of bodies) {
      const res = await emu.call('POST', emu.ws(WS0, '/soc/alerts/search'), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body as object)).toEqual(['code', 'message']);
      expect(parseUpstreamError(res.body)?.code).toBe('SecMaster.00010001');
    }
    const badClass = await emu.call('POST', emu.ws(WS0, '/soc/vulnerabilities/search'), {});
    expect(badClass.status).toBe(400);
    const badWorkspace = await emu.call('POST', emu.ws(UNKNOWN_ID, '/soc/alerts/search'), {});
    expect(badWorkspace.status).toBe(403);
    expect(parseUpstreamError(badWorkspace.body)?.code).toBe('SecMaster.20010001');
  });
});

describe('show one object', () => {
  test('{code, message, success, data}; unknown or wrong class → 400 SecMaster.20030005', async () => {
    const [incident] = seedObjectIds(0, 'incidents', 1);
    const res = await emu.call('GET', emu.ws(WS0, `/soc/incidents/${incident}`));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body as object)).toEqual(['code', 'message', 'success', 'data']);
    const shown = showResponseSchema.parse(res.body);
    expect(shown).toMatchObject({
      code: '00000000',
      message: '',
      success: true,
      data: { id: incident },
    });
    expect(shown.data.data_object.id).toBe(incident);

    for (const path of [`/soc/incidents/${UNKNOWN_ID}`, `/soc/alerts/${incident}`]) {
      const miss = await emu.call('GET', emu.ws(WS0, path));
      expect(miss.status).toBe(400);
      expect(parseUpstreamError(miss.body)?.code).toBe('SecMaster.20030005');
    }
    const other = await emu.call('GET', emu.ws(WS1, `/soc/incidents/${incident}`));
    expect(other.status).toBe(400);
  });

  test.each(['alerts', 'indicators'] as const)('shows %s too', async (cls) => {
    const [id] = seedObjectIds(1, cls, 1);
    const res = await emu.call('GET', emu.ws(WS1, `/soc/${cls}/${id}`));
    expect(showResponseSchema.parse(res.body).data).toMatchObject({
      id,
      workspace_id: WS1,
      dataclass_ref: { id: seedDataclassId(1, cls) },
      data_object: { id },
    });
  });
});

describe('every response is JSON with X-request-id', () => {
  test('unknown routes and methods: 404 in the gateway shape', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/v1'],
      ['PUT', emu.ws(WS0, '/soc/alerts/search')],
      ['GET', emu.ws(WS0, '/soc/alerts/search/x/y/z')],
    ] as const) {
      const res = await emu.app.request(path, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const requestId = res.headers.get('X-request-id');
      expect(requestId).toMatch(REQUEST_ID_PATTERN);
      expect(await res.json()).toEqual({
        error_code: 'APIG.0101',
        error_msg: 'The API does not exist or has not been published in the environment',
        request_id: requestId,
      });
    }
  });

  test('request IDs are unique per response and carry the real host by default', async () => {
    const a = await emu.call('GET', emu.ws(WS0));
    const b = await emu.call('GET', emu.ws(WS0));
    expect(a.requestId).toMatch(REQUEST_ID_PATTERN);
    expect(a.requestId).not.toBe(b.requestId);
  });
});

describe('startEmulator', () => {
  test('listens on 127.0.0.1 with an ephemeral port and answers over HTTP', async () => {
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, { alerts: 5, incidents: 2, indicators: 2 });
    const running = await startEmulator({ db, projectId: TEST_PROJECT_ID, port: 0 });
    try {
      expect(running.port).toBeGreaterThan(0);
      expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
      const [incident] = seedObjectIds(0, 'incidents', 1);
      const res = await fetch(
        `${running.url}/v1/${TEST_PROJECT_ID}/workspaces/${WS0}/soc/incidents/${incident}/alerts`,
        {
          method: 'DELETE',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ids: [UNKNOWN_ID] }),
        },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('X-request-id')).toMatch(/^[0-9a-f-]{36}-\d{13}-.+$/);
      expect(await res.json()).toMatchObject({ success: false, data: { error_ids: [UNKNOWN_ID] } });
    } finally {
      await running.close();
      db.close();
    }
  });
});
