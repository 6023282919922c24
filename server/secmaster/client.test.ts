import { afterEach, beforeEach, expect, test } from 'vitest';
import { Credentials } from '../credentials';
import { parseAuthorization, verifySignature, type VerifyResult } from 'apig-signing';
import {
  startFakeUpstream,
  type FakeUpstream,
  type RecordedRequest,
} from '../testing/fake-upstream';
import { UpstreamError, UpstreamRequestError, createUpstream } from './client';
import { operationPaths, type UpstreamOperation } from './operations';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const WS = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
const OBJ = 'c0ffee00-0000-4000-8000-000000000001';

let fake: FakeUpstream;
beforeEach(async () => {
  fake = await startFakeUpstream();
});
afterEach(async () => {
  await fake.close();
});

function up(extra: Partial<Parameters<typeof createUpstream>[0]> = {}) {
  return createUpstream({
    endpoint: fake.url,
    projectId: PROJECT,
    timeoutMs: 2_000,
    authToken: 'tok',
    ...extra,
  });
}

test("the client's paths are the operations' paths under the configured project", async () => {
  const u = up();
  const rel = {
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: OBJ,
    related: 'alerts',
  } as const;
  const ops: UpstreamOperation[] = [
    { op: 'listWorkspaces', query: { offset: 0, limit: 100 } },
    { op: 'showWorkspace', workspaceId: WS },
    { op: 'listDataclasses', workspaceId: WS },
    { op: 'search', workspaceId: WS, dataclass: 'alerts', body: {} },
    { op: 'show', workspaceId: WS, dataclass: 'alerts', objectId: OBJ },
    { op: 'relationSearch', ...rel, body: {} },
    { op: 'associate', ...rel, ids: [] },
  ];
  for (const op of ops) {
    await u.call(op);
    expect(fake.requests.at(-1)?.path).toBe(operationPaths(PROJECT)(op));
  }
  await u.call({ op: 'showWorkspace', workspaceId: WS });
  expect(fake.requests.at(-1)?.path).toBe(`/v1/${PROJECT}/workspaces/${WS}`);
});

test.each([
  '..',
  '.',
  '../x',
  '%2e%2e',
  'a/b',
  'a\\b',
  'http://127.0.0.1/',
  '//evil.example',
  `${WS}\n`,
  `${WS}?x`,
  'x'.repeat(65),
  '',
])('a bad segment (%j) is refused before anything is sent', async (bad) => {
  const u = up();
  await expect(u.call({ op: 'showWorkspace', workspaceId: bad })).rejects.toBeInstanceOf(
    UpstreamRequestError,
  );
  await expect(
    u.call({ op: 'show', workspaceId: WS, dataclass: 'alerts', objectId: bad }),
  ).rejects.toBeInstanceOf(UpstreamRequestError);
  await expect(
    u.call({
      op: 'associate',
      workspaceId: WS,
      dataclass: 'alerts',
      objectId: OBJ,
      related: 'incidents',
      ids: [bad],
    }),
  ).rejects.toBeInstanceOf(UpstreamRequestError);
  expect(fake.requests).toHaveLength(0);
});

test('configuration is checked: protocol, project ID, token without CR/LF', () => {
  expect(() =>
    createUpstream({ endpoint: 'file:///etc', projectId: PROJECT, timeoutMs: 1 }),
  ).toThrow();
  expect(() => createUpstream({ endpoint: fake.url, projectId: '../x', timeoutMs: 1 })).toThrow();
  expect(() =>
    createUpstream({ endpoint: fake.url, projectId: PROJECT, timeoutMs: 1, authToken: 'a\r\nb' }),
  ).toThrow();
});

test('requests carry only our headers and the JSON body; the answer keeps status, x-request-id and JSON', async () => {
  const res = await up().call({
    op: 'associate',
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: OBJ,
    related: 'alerts',
    ids: [OBJ],
  });
  expect(res).toMatchObject({
    status: 200,
    requestId: 'rid-header-1-host',
    body: { data: { success_ids: [OBJ] } },
  });
  const seen = fake.requests[0];
  expect(seen?.body).toBe(JSON.stringify({ ids: [OBJ] }));
  // Whatever the HTTP client adds itself, nothing else: no cookie, authorization, forwarding headers.
  const allowed = [
    'accept',
    'accept-encoding',
    'accept-language',
    'connection',
    'content-length',
    'content-type',
    'host',
    'sec-fetch-mode',
    'user-agent',
    'x-auth-token',
  ];
  for (const name of Object.keys(seen?.headers ?? {})) expect(allowed).toContain(name);
  expect(seen?.headers['x-auth-token']).toBe('tok');
  expect(seen?.headers.cookie).toBeUndefined();
});

test('typed failures: redirect (not followed), timeout, too large, bad JSON, connection refused', async () => {
  const show: UpstreamOperation = { op: 'showWorkspace', workspaceId: WS };
  const kind = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      if (e instanceof UpstreamError) return e.kind;
      throw e;
    }
    return 'ok';
  };
  fake.onRead((r) =>
    r.path === '/next'
      ? Response.json({})
      : new Response(null, { status: 307, headers: { Location: `${fake.url}/next` } }),
  );
  expect(await kind(up().call(show))).toBe('redirect');
  expect(fake.requests.map((r) => r.path)).not.toContain('/next');

  fake.onRead(() => new Promise<Response>(() => undefined));
  expect(await kind(up({ timeoutMs: 50 }).call(show))).toBe('timeout');

  fake.onRead(() => Response.json({ big: 'x'.repeat(5000) }));
  expect(await kind(up({ maxResponseBytes: 1000 }).call(show))).toBe('too_large');

  fake.onRead(() => new Response('not json', { status: 200 }));
  expect(await kind(up().call(show))).toBe('bad_json');

  const closed = await startFakeUpstream();
  await closed.close();
  expect(
    await kind(
      createUpstream({ endpoint: closed.url, projectId: PROJECT, timeoutMs: 2_000 }).call(show),
    ),
  ).toBe('connect');
});

// ---------------------------------------------------------------------------------------------
// Authentication: AK/SK signing at send time, or an IAM token
// ---------------------------------------------------------------------------------------------

const AK = 'EXAMPLEAK0000000000';
const SK = 'ExampleSecretKey0000000000000000000000000';
const T0 = new Date('2026-11-22T20:07:06.000Z');

/** Verifies a recorded request as the gateway would, with the server clock at `now`. */
function verifyRecorded(req: RecordedRequest | undefined, now: Date, sk = SK): VerifyResult {
  if (!req) throw new Error('no request recorded');
  const q = req.path.indexOf('?');
  return verifySignature({
    method: req.method,
    path: q < 0 ? req.path : req.path.slice(0, q),
    rawQuery: q < 0 ? '' : req.path.slice(q + 1),
    headers: req.headers,
    body: req.body,
    lookupSecret: (ak) => (ak === AK ? sk : undefined),
    now,
  });
}

const associate: UpstreamOperation = {
  op: 'associate',
  workspaceId: WS,
  dataclass: 'incidents',
  objectId: OBJ,
  related: 'alerts',
  ids: [OBJ],
};

function signed(extra: Partial<Parameters<typeof createUpstream>[0]> = {}) {
  return createUpstream({
    endpoint: fake.url,
    projectId: PROJECT,
    timeoutMs: 2_000,
    credentials: Credentials.aksk(AK, SK, undefined, 'test'),
    now: () => T0,
    ...extra,
  });
}

test('AK/SK: every request is signed as the official Node SDK signs it, and verifies', async () => {
  const u = signed();
  await u.call(associate);
  await u.call({ ...associate, op: 'cancel' });
  await u.call({ op: 'listWorkspaces', query: { offset: 0, limit: 10 } });
  await u.call({ op: 'search', workspaceId: WS, dataclass: 'alerts', body: { limit: 1 } });
  expect(fake.requests.map((r) => r.method)).toEqual(['POST', 'DELETE', 'GET', 'POST']);
  for (const req of fake.requests) {
    expect(verifyRecorded(req, T0)).toEqual({ ok: true, ak: AK });
    expect(req.headers['x-sdk-date']).toBe('20261122T200706Z');
    expect(req.headers['x-project-id']).toBe(PROJECT);
    // Content-Type on every call, GET included (the signed set needs it), no charset.
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.host).toBe(new URL(fake.url).host);
    expect(req.headers['x-auth-token']).toBeUndefined();
    expect(req.headers['x-security-token']).toBeUndefined();
    expect(parseAuthorization(req.headers.authorization ?? '')).toMatchObject({
      ak: AK,
      signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'],
    });
  }
  // The DELETE carries and signs its {"ids":[...]} body.
  expect(fake.requests[1]?.body).toBe(JSON.stringify({ ids: [OBJ] }));
  // Wrong SK, or a server clock more than 15 minutes away, refuse it.
  expect(verifyRecorded(fake.requests[0], T0, 'WrongSecret')).toMatchObject({
    ok: false,
    code: 'APIG.0301',
  });
  expect(verifyRecorded(fake.requests[0], new Date(T0.getTime() + 16 * 60_000))).toMatchObject({
    ok: false,
    code: 'APIG.0303',
  });
  // Only our own headers, and what the HTTP client adds itself.
  const allowed = [
    'accept',
    'accept-encoding',
    'accept-language',
    'authorization',
    'connection',
    'content-length',
    'content-type',
    'host',
    'sec-fetch-mode',
    'user-agent',
    'x-project-id',
    'x-sdk-date',
  ];
  for (const req of fake.requests) {
    for (const name of Object.keys(req.headers)) expect(allowed).toContain(name);
  }
});

test('AK/SK: each call (so each retry) is signed afresh with the current X-Sdk-Date', async () => {
  let now = T0;
  const u = signed({ now: () => now });
  fake.onWrite(() => Response.json({ code: 'SecMaster.00000500', message: 'x' }, { status: 500 }));
  await u.call(associate);
  now = new Date(T0.getTime() + 20 * 60_000 + 1_000);
  await u.call(associate);
  const [first, retry] = fake.requests;
  expect(first?.headers['x-sdk-date']).toBe('20261122T200706Z');
  expect(retry?.headers['x-sdk-date']).toBe('20261122T202707Z');
  expect(first?.headers.authorization).not.toBe(retry?.headers.authorization);
  expect(verifyRecorded(retry, now)).toEqual({ ok: true, ak: AK });
  // The first signature is stale by then: replaying it would be refused.
  expect(verifyRecorded(first, now)).toMatchObject({ ok: false, code: 'APIG.0303' });
});

test('AK/SK with a temporary credential: X-Security-Token is sent and signed', async () => {
  await signed({ credentials: Credentials.aksk(AK, SK, 'temporary-token-123', 'test') }).call(
    associate,
  );
  const req = fake.requests[0];
  expect(req?.headers['x-security-token']).toBe('temporary-token-123');
  expect(parseAuthorization(req?.headers.authorization ?? '')?.signedHeaders).toEqual([
    'content-type',
    'host',
    'x-project-id',
    'x-sdk-date',
    'x-security-token',
  ]);
  expect(verifyRecorded(req, T0).ok).toBe(true);
});

test('token mode sends X-Auth-Token and no Authorization or X-Sdk-Date', async () => {
  await signed({ credentials: Credentials.token('iam-token-abc', 'test') }).call(associate);
  await up({ authToken: 'tok' }).call({ op: 'showWorkspace', workspaceId: WS });
  const [viaCredentials, viaShorthand] = fake.requests;
  expect(viaCredentials?.headers['x-auth-token']).toBe('iam-token-abc');
  expect(viaShorthand?.headers['x-auth-token']).toBe('tok');
  for (const req of fake.requests) {
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers['x-sdk-date']).toBeUndefined();
    expect(req.headers['x-security-token']).toBeUndefined();
  }
});

test('credentials are checked when the upstream is built', () => {
  const base = { endpoint: fake.url, projectId: PROJECT, timeoutMs: 1 };
  for (const credentials of [
    Credentials.aksk(AK, 'a\r\nb', undefined, 'test'),
    Credentials.aksk(AK, '', undefined, 'test'),
    Credentials.aksk(AK, SK, 'x\ny', 'test'),
    Credentials.token('a\0b', 'test'),
  ]) {
    expect(() => createUpstream({ ...base, credentials })).toThrow(UpstreamRequestError);
  }
  expect(() =>
    createUpstream({ ...base, credentials: Credentials.token('a', 'test'), authToken: 'b' }),
  ).toThrow(UpstreamRequestError);
});

test('an AK the signer refuses fails the call before anything is sent, without the SK', async () => {
  const u = signed({ credentials: Credentials.aksk('bad ak', SK, undefined, 'test') });
  const error = await u.call(associate).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamRequestError);
  expect(String(error)).not.toContain(SK);
  expect(fake.requests).toHaveLength(0);
});
