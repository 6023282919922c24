/** The emulator's gateway authentication: AK/SK signatures, IAM token, none (auth.ts). */
import { describe, expect, test } from 'vitest';
import { sdkDate, signRequest } from 'apig-signing';
import { createEmulator } from './app';
import { DEMO_AK, DEMO_SK, type EmulatorAuth } from './auth';
import { openEmulatorDb } from './db';
import { parseFaults } from './faults';
import { SEED_WORKSPACES, seedEmulator, seedObjectIds } from './seed';
import { REQUEST_ID_PATTERN, TEST_NOW, TEST_PROJECT_ID, makeTestEmulator } from './testing';

const SIZES = { alerts: 5, incidents: 3, indicators: 2 };
const WS = SEED_WORKSPACES[0].id;
const MIN = 60_000;
const HOST = '127.0.0.1:8081';
const AK = 'EXAMPLEAK0000000000';
const SK = 'ExampleSecretKey0000000000000000000000000';

const AKSK: EmulatorAuth = { mode: 'aksk', credentials: { [DEMO_AK]: DEMO_SK, [AK]: SK } };
const emu = makeTestEmulator({ sizes: SIZES, auth: AKSK });

interface Call {
  method: string;
  /** Path and query, as sent. */
  path: string;
  body?: string;
  ak?: string;
  sk?: string;
  now?: Date;
  headers?: Record<string, string>;
}

/** Headers as the console (and the SDK) send them, signed at `now`. */
function signedHeaders(call: Call): Record<string, string> {
  return signRequest({
    method: call.method,
    url: `http://${HOST}${call.path}`,
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'X-Project-Id': TEST_PROJECT_ID,
      ...call.headers,
    },
    body: call.body,
    ak: call.ak ?? DEMO_AK,
    sk: call.sk ?? DEMO_SK,
    now: call.now ?? TEST_NOW,
  });
}

async function send(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
) {
  const res = await app.request(path, { method, headers, body });
  const parsed: unknown = JSON.parse(await res.text());
  return { status: res.status, body: parsed, requestId: res.headers.get('X-request-id') };
}

const signedCall = (call: Call, sent: Partial<Call> = {}) =>
  send(
    emu.app,
    call.method,
    sent.path ?? call.path,
    signedHeaders(call),
    'body' in sent ? sent.body : call.body,
  );

const LIST = `/v1/${TEST_PROJECT_ID}/workspaces?offset=0&limit=10`;

function expectGatewayError(
  res: { status: number; body: unknown; requestId: string | null },
  code: string,
  message: string | RegExp,
) {
  expect(res.status).toBe(401);
  expect(res.body).toEqual({
    error_code: code,
    error_msg: expect.stringMatching(message),
    request_id: res.requestId,
  });
  expect(res.requestId).toMatch(REQUEST_ID_PATTERN);
}

describe('aksk', () => {
  test('a good signature passes (demo pair, and a configured pair)', async () => {
    expect((await signedCall({ method: 'GET', path: LIST })).status).toBe(200);
    expect((await signedCall({ method: 'GET', path: LIST, ak: AK, sk: SK })).status).toBe(200);
  });

  test('missing Authorization or X-Sdk-Date → 401 APIG.0301 in the gateway shape', async () => {
    const unsigned = await send(emu.app, 'GET', LIST, { 'Content-Type': 'application/json' });
    expectGatewayError(unsigned, 'APIG.0301', /^Incorrect IAM authentication information: /);
    const { 'X-Sdk-Date': _drop, ...noDate } = signedHeaders({ method: 'GET', path: LIST });
    expectGatewayError(
      await send(emu.app, 'GET', LIST, noDate),
      'APIG.0301',
      /x-sdk-date not found/,
    );
    // Unknown routes are behind the gateway's check too.
    expect((await send(emu.app, 'GET', '/v1/nothing', {})).status).toBe(401);
  });

  test('wrong SK, unknown AK, tampered path, query, body or Host → 401 APIG.0301', async () => {
    const fail = /verify aksk signature fail$/;
    expectGatewayError(
      await signedCall({ method: 'GET', path: LIST, sk: 'WrongSecretKey' }),
      'APIG.0301',
      fail,
    );
    expectGatewayError(
      await signedCall({ method: 'GET', path: LIST, ak: 'UNKNOWNAK0000000', sk: DEMO_SK }),
      'APIG.0301',
      fail,
    );
    expectGatewayError(
      await signedCall({ method: 'GET', path: LIST }, { path: LIST.replace('10', '11') }),
      'APIG.0301',
      fail,
    );
    const search = emu.ws(WS, '/soc/alerts/search');
    expectGatewayError(
      await signedCall(
        { method: 'POST', path: search, body: '{"limit":1}' },
        { body: '{"limit":2}' },
      ),
      'APIG.0301',
      fail,
    );
    const headers = { ...signedHeaders({ method: 'GET', path: LIST }), host: 'localhost:8081' };
    expectGatewayError(await send(emu.app, 'GET', LIST, headers), 'APIG.0301', fail);
  });

  test('an X-Sdk-Date more than 15 minutes off → 401 APIG.0303', async () => {
    for (const offset of [-16 * MIN, 16 * MIN]) {
      const now = new Date(TEST_NOW.getTime() + offset);
      expectGatewayError(
        await signedCall({ method: 'GET', path: LIST, now }),
        'APIG.0303',
        /signature expired/,
      );
    }
    expect(
      (
        await signedCall({
          method: 'GET',
          path: LIST,
          now: new Date(TEST_NOW.getTime() - 14 * MIN),
        })
      ).status,
    ).toBe(200);
  });

  test('the routes read the verified bytes: a signed associate and cancel apply', async () => {
    const [incident] = seedObjectIds(0, 'incidents', 1);
    const alerts = seedObjectIds(0, 'alerts', 2);
    const path = emu.ws(WS, `/soc/incidents/${incident}/alerts`);
    const body = JSON.stringify({ ids: alerts });
    const added = await signedCall({ method: 'POST', path, body });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ data: { success_ids: alerts, error_ids: [] } });
    const removed = await signedCall({ method: 'DELETE', path, body });
    expect(removed.body).toMatchObject({ data: { success_ids: alerts, error_ids: [] } });
    // Malformed JSON still gets the route's own 400 once the signature is good.
    expect((await signedCall({ method: 'POST', path, body: '{"ids":' })).status).toBe(400);
  });

  test('batch-create on the path the SDK builds (BatchCreateDataobjectRelations), signed', async () => {
    const incidents = seedObjectIds(0, 'incidents', 2);
    const alerts = seedObjectIds(0, 'alerts', 2);
    // `/v1/{project_id}/workspaces/{workspace_id}/soc/{dataclass_type}/{related_dataclass_type}/batch-create`
    const path = `/v1/${TEST_PROJECT_ID}/workspaces/${WS}/soc/incidents/alerts/batch-create`;
    const body = JSON.stringify({ dataobject_ids: incidents, related_dataobject_ids: alerts });
    const res = await signedCall({ method: 'POST', path, body });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: '00000000',
      message: '',
      request_id: res.requestId,
      success: true,
      data: { success_ids: alerts, error_ids: [] },
    });
    expectGatewayError(
      await send(emu.app, 'POST', path, { 'Content-Type': 'application/json' }, body),
      'APIG.0301',
      /Incorrect IAM authentication information/,
    );
    // Another body than the signed one is refused before the route runs.
    expectGatewayError(
      await signedCall(
        { method: 'POST', path, body },
        {
          body: JSON.stringify({ dataobject_ids: incidents, related_dataobject_ids: [alerts[0]] }),
        },
      ),
      'APIG.0301',
      /verify aksk signature fail/,
    );
  });

  test('a DELETE without body, signed as the SDK sends it (Content-Type, empty-body hash)', async () => {
    const [incident] = seedObjectIds(0, 'incidents', 1);
    const path = emu.ws(WS, `/soc/incidents/${incident}/alerts`);
    const headers = signedHeaders({ method: 'DELETE', path });
    expect(headers['Content-Type']).toBe('application/json');
    expect(headers.Authorization).toContain(
      'SignedHeaders=content-type;host;x-project-id;x-sdk-date',
    );
    const res = await send(emu.app, 'DELETE', path, headers);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ data: { success_ids: [], error_ids: [] } });
    // The same headers with a body added in transit fail.
    expectGatewayError(
      await send(emu.app, 'DELETE', path, headers, '{"ids":[]}'),
      'APIG.0301',
      /verify aksk signature fail/,
    );
  });

  test('authentication runs before fault injection', async () => {
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, SIZES);
    const app = createEmulator({
      db,
      projectId: TEST_PROJECT_ID,
      now: () => TEST_NOW,
      hostname: 'emu-test',
      auth: AKSK,
      faults: parseFaults({ seed: 1, p500: 1, reads: true }),
    });
    expect((await send(app, 'GET', LIST, {})).status).toBe(401);
    expect(
      (await send(app, 'GET', LIST, signedHeaders({ method: 'GET', path: LIST }))).status,
    ).toBe(500);
    db.close();
  });
});

// ---------------------------------------------------------------------------------------------
// §11: every request the official Node SDK sends is accepted unchanged
// ---------------------------------------------------------------------------------------------

describe('§11 requests of the official Node SDK', () => {
  const SDK_HOST = '127.0.0.1:34951';
  const REL = `/v1/${TEST_PROJECT_ID}/workspaces/ws-0001/soc/alerts/a-0001/incidents`;
  const IDS = '{"ids":["i-0001","i-0002"]}';
  const rows: Array<[string, string, string, string | undefined, string]> = [
    [
      'POST',
      REL,
      '20261122T200706Z',
      IDS,
      '73fc8d93d2916f26336e04f5a80d9611ca6cee2ede96d2abd8d72043939d7100',
    ],
    [
      'POST',
      REL,
      '20261122T200706Z',
      '{}',
      'a82f768c04be58a829f9da1c33e25873eb1c8afd189b06d236260cb322e075c9',
    ],
    [
      'DELETE',
      REL,
      '20261122T200706Z',
      IDS,
      'bec655aae8202ef79a94a17b97ed30db972cc0f786adaf67bd2aa7c4d8f7e150',
    ],
    [
      'DELETE',
      REL,
      '20261122T200706Z',
      undefined,
      '2e092ff76ed104ecc2c0ec52fc98deaf886a23c2784cb1c38f71e0cdee0881f9',
    ],
    [
      'POST',
      `${REL}/search`,
      '20261122T200706Z',
      '{"limit":10,"offset":0}',
      'de4f9839925f7dcb284a9d67bbf7c2caac7b0d3838244762a95a5cf5aeccfa4d',
    ],
    [
      'GET',
      `/v1/${TEST_PROJECT_ID}/workspaces?offset=0&limit=10&name=my%20ws%2F%C3%A4&is_view=false`,
      '20261122T200707Z',
      undefined,
      'bd5b685f50504ddd9044d25b70e66288adc2dafdda4b1cbce02869a91021b95c',
    ],
  ];

  test.each(rows)('%s %s (%s) passes the gateway check', async (method, path, date, body, sig) => {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'huaweicloud-usdk-nodejs/3.0',
      'x-project-id': TEST_PROJECT_ID,
      'x-sdk-date': date,
      host: SDK_HOST,
      authorization: `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=${sig}`,
    };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const at = new Date(
      Date.UTC(
        +date.slice(0, 4),
        +date.slice(4, 6) - 1,
        +date.slice(6, 8),
        +date.slice(9, 11),
        +date.slice(11, 13),
        +date.slice(13, 15),
      ),
    );
    expect(sdkDate(at)).toBe(date);
    const app = makeTestEmulator({ sizes: SIZES, auth: { ...AKSK, now: () => at } }).app;
    const res = await send(app, method, path, headers, body);
    // Past the gateway: the route answers (ws-0001 does not exist → SecMaster's own 403).
    expect(res.status, JSON.stringify(res.body)).not.toBe(401);
    expect(res.body).not.toHaveProperty('error_code');
    if (method === 'GET') expect(res.status).toBe(200);
    else expect(res.body).toMatchObject({ code: 'SecMaster.20010001' });
    // The same request with another signature is refused.
    const forged = {
      ...headers,
      authorization: headers.authorization!.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
    };
    expect((await send(app, method, path, forged, body)).status).toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------
// Token mode, configuration, and the real listener
// ---------------------------------------------------------------------------------------------

describe('token', () => {
  const TOKEN = 'MIIExampleIamToken-0123456789';
  const app = makeTestEmulator({ sizes: SIZES, auth: { mode: 'token', token: TOKEN } }).app;

  test('X-Auth-Token must equal SECMASTER_AUTH_TOKEN', async () => {
    expect((await send(app, 'GET', LIST, { 'X-Auth-Token': TOKEN })).status).toBe(200);
    expectGatewayError(
      await send(app, 'GET', LIST, { 'X-Auth-Token': `${TOKEN}x` }),
      'APIG.0301',
      /verify token fail/,
    );
    expectGatewayError(
      await send(app, 'GET', LIST, { 'X-Auth-Token': TOKEN.slice(0, -1) }),
      'APIG.0301',
      /verify token fail/,
    );
    expectGatewayError(await send(app, 'GET', LIST, {}), 'APIG.0301', /x-auth-token not found/);
    // A valid AK/SK signature is no token.
    expectGatewayError(
      await send(app, 'GET', LIST, signedHeaders({ method: 'GET', path: LIST })),
      'APIG.0301',
      /x-auth-token not found/,
    );
  });
});

describe('configuration', () => {
  test('a misconfigured mode fails at construction, not per request', () => {
    expect(() =>
      makeTestEmulator({ sizes: SIZES, auth: { mode: 'aksk', credentials: {} } }),
    ).toThrow();
    expect(() => makeTestEmulator({ sizes: SIZES, auth: { mode: 'token', token: '' } })).toThrow();
  });
});
