import { describe, expect, test } from 'vitest';
import {
  EMPTY_BODY_SHA256,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  hashHex,
  parseAuthorization,
  parseSdkDate,
  sdkDate,
  signRequest,
  signatureHex,
  stringToSign,
  verifySignature,
  type VerifySignatureInput,
} from './signing';

/** Date from an `X-Sdk-Date` value (test helper; independent of parseSdkDate). */
function at(v: string, offsetMs = 0): Date {
  const n = (a: number, b: number) => Number(v.slice(a, b));
  return new Date(
    Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(9, 11), n(11, 13), n(13, 15)) + offsetMs,
  );
}
const MIN = 60_000;

function signatureOf(headers: Record<string, string>): string {
  const m = /Signature=([0-9a-f]{64})$/.exec(headers.Authorization ?? '');
  if (!m?.[1]) throw new Error('no signature');
  return m[1];
}
function signedHeadersOf(headers: Record<string, string>): string {
  return /SignedHeaders=([^,]+),/.exec(headers.Authorization ?? '')?.[1] ?? '';
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

describe('helpers', () => {
  test('sdkDate / parseSdkDate', () => {
    expect(sdkDate(new Date('2019-11-15T03:36:55.789Z'))).toBe('20191115T033655Z');
    expect(sdkDate(new Date('2006-01-02T15:04:05Z'))).toBe('20060102T150405Z');
    expect(parseSdkDate('20191115T033655Z')?.toISOString()).toBe('2019-11-15T03:36:55.000Z');
    for (const bad of [
      '',
      '20191115T033655',
      '2019-11-15T03:36:55Z',
      '20191315T033655Z',
      '20190230T000000Z',
      '20191115T250000Z',
      ' 20191115T033655Z',
    ]) {
      expect(parseSdkDate(bad)).toBeUndefined();
    }
    expect(() => sdkDate(new Date(Number.NaN))).toThrow();
  });

  test('canonicalUri appends the trailing slash and RFC 3986-encodes segments', () => {
    expect(canonicalUri('/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs')).toBe(
      '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/',
    );
    expect(canonicalUri('/path/')).toBe('/path/');
    expect(canonicalUri('/')).toBe('/');
    expect(canonicalUri('')).toBe('/');
    expect(canonicalUri('/a%20b/%C3%A4/x*y(z)!')).toBe('/a%20b/%C3%A4/x%2Ay%28z%29%21/');
    expect(canonicalUri('/bad%zz/100%')).toBe('/bad%25zz/100%25/');
  });

  test('canonicalQuery sorts by name then value and encodes per RFC 3986', () => {
    expect(canonicalQuery('')).toBe('');
    expect(canonicalQuery('?')).toBe('');
    expect(canonicalQuery('offset=0&limit=10&name=my%20ws%2F%C3%A4&is_view=false')).toBe(
      'is_view=false&limit=10&name=my%20ws%2F%C3%A4&offset=0',
    );
    // The Go signer's test vector.
    const go =
      'enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29';
    expect(
      canonicalQuery([
        ['test', '一 (&=?!#%.*)'],
        ['multi', '3'],
        ['path', '/tmp/123'],
        ['multi', '1'],
        ['limit', '1'],
        ['multi', '2'],
        ['enable', 'true'],
      ]),
    ).toBe(go);
    expect(canonicalQuery(new URLSearchParams({ b: 'x y', a: '' }))).toBe('a=&b=x%20y');
    expect(canonicalQuery('flag&a=1')).toBe('a=1&flag=');
  });

  test('canonicalHeaders trims values, lower-cases names and refuses missing ones', () => {
    expect(
      canonicalHeaders({ 'Content-Type': ' application/json ', Host: 'h' }, [
        'content-type',
        'host',
      ]),
    ).toBe('content-type:application/json\nhost:h\n');
    expect(() => canonicalHeaders({}, ['host'])).toThrow(/host/);
  });

  test('hashHex hashes the exact bytes', () => {
    expect(hashHex(undefined)).toBe(EMPTY_BODY_SHA256);
    expect(hashHex('')).toBe(EMPTY_BODY_SHA256);
    expect(hashHex(new Uint8Array())).toBe(EMPTY_BODY_SHA256);
    expect(hashHex(new TextEncoder().encode('{}'))).toBe(hashHex('{}'));
    expect(hashHex('{}\n')).not.toBe(hashHex('{}'));
  });

  test('parseAuthorization', () => {
    const sig = 'a'.repeat(64);
    expect(
      parseAuthorization(
        `SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=${sig}`,
      ),
    ).toEqual({
      ak: 'AK1',
      signedHeaders: ['host', 'x-sdk-date'],
      signature: sig,
    });
    expect(
      parseAuthorization(`AWS4-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=${sig}`),
    ).toBeUndefined();
    expect(
      parseAuthorization(`SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=abc`),
    ).toBeUndefined();
    expect(
      parseAuthorization(`SDK-HMAC-SHA256 Access=AK1, SignedHeaders=Host, Signature=${sig}`),
    ).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// §8 known-answer vectors A–G
// ---------------------------------------------------------------------------------------------

describe('§8 known-answer vectors', () => {
  const A = {
    ak: 'QTWAOYTTINDUT2QVKYUC',
    sk: 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc',
    date: '20191115T033655Z',
  };
  const CR_A =
    'GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n' +
    'content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\n' +
    'content-type;host;x-sdk-date\n' +
    EMPTY_BODY_SHA256;

  test('A: canonical request, its hash and the signature (SIGN-DOC)', () => {
    const cr = canonicalRequest({
      method: 'get',
      canonicalUri: canonicalUri('/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs'),
      canonicalQuery: canonicalQuery('marker=13551d6b-755d-4757-b956-536f674975c0&limit=2'),
      canonicalHeaders: canonicalHeaders(
        {
          'Content-Type': 'application/json',
          Host: 'service.region.example.com',
          'X-Sdk-Date': A.date,
        },
        ['content-type', 'host', 'x-sdk-date'],
      ),
      signedHeaders: 'content-type;host;x-sdk-date',
      payloadHash: hashHex(undefined),
    });
    expect(cr).toBe(CR_A);
    expect(hashHex(cr)).toBe('b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a');
    const sts = stringToSign(A.date, cr);
    expect(sts).toBe(
      `SDK-HMAC-SHA256\n${A.date}\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a`,
    );
    expect(signatureHex(A.sk, sts)).toBe(
      '7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    );
  });

  test('A: end to end through signRequest (default signed set)', () => {
    const h = signRequest({
      method: 'GET',
      url: 'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
      headers: { 'Content-Type': 'application/json' },
      body: undefined,
      ak: A.ak,
      sk: A.sk,
      now: at(A.date),
    });
    expect(h).toEqual({
      'Content-Type': 'application/json',
      host: 'service.region.example.com',
      'X-Sdk-Date': A.date,
      Authorization: `SDK-HMAC-SHA256 Access=${A.ak}, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe`,
    });
  });

  const PY = { ak: 'AccessKey', sk: 'SecretKey' };

  test('B: Python test_signer1 (GET, host;x-sdk-date, underscore header not signed)', () => {
    const h = signRequest({
      method: 'GET',
      url: 'https://service.endpoint.myhuaweicloud.com/resources?size=1',
      headers: { TEST_UNDERSCORE: 'value' },
      body: undefined,
      ...PY,
      now: at('20200608T023900Z'),
    });
    expect(signedHeadersOf(h)).toBe('host;x-sdk-date');
    expect(h.TEST_UNDERSCORE).toBe('value');
    expect(signatureOf(h)).toBe('cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842');
  });

  test('C: Python test_signer2 (POST with body)', () => {
    const h = signRequest({
      method: 'POST',
      url: 'https://service.endpoint.myhuaweicloud.com/resources?size=1',
      headers: { TEST_UNDERSCORE: 'value' },
      body: '{"name":"test","id":1}',
      ...PY,
      now: at('20200608T023900Z'),
      signedHeaders: ['host', 'x-sdk-date'],
    });
    expect(signatureOf(h)).toBe('436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f');
  });

  test('D: Go test1 (only x-sdk-date signed)', () => {
    const h = signRequest({
      method: 'GET',
      url: 'https://example.huaweicloud.com/path?limit=1',
      headers: {},
      body: undefined,
      ...PY,
      now: at('20060102T150405Z'),
      signedHeaders: ['x-sdk-date'],
    });
    expect(signedHeadersOf(h)).toBe('x-sdk-date');
    expect(signatureOf(h)).toBe('5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624');
  });

  test('E: Go test2 (POST, body with trailing \\n, content-type sent but not signed)', () => {
    const body = '{"Name":"test","Id":1}\n';
    const h = signRequest({
      method: 'POST',
      url: 'https://example.huaweicloud.com/path?key=value',
      headers: { 'Content-Type': 'application/json' },
      body,
      ...PY,
      now: at('20060102T150405Z'),
      signedHeaders: ['x-sdk-date'],
    });
    expect(h['Content-Type']).toBe('application/json');
    expect(signedHeadersOf(h)).toBe('x-sdk-date');
    expect(signatureOf(h)).toBe('cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59');
    // Without the trailing newline the signature differs: the exact bytes are hashed.
    const h2 = signRequest({
      method: 'POST',
      url: 'https://example.huaweicloud.com/path?key=value',
      headers: {},
      body: body.trimEnd(),
      ...PY,
      now: at('20060102T150405Z'),
      signedHeaders: ['x-sdk-date'],
    });
    expect(signatureOf(h2)).not.toBe(
      'cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59',
    );
  });

  const EX = { ak: 'EXAMPLEAK0000000000', sk: 'ExampleSecretKey0000000000000000000000000' };
  const F_HOST = 'https://secmaster.cn-north-4.myhuaweicloud.com';
  const F_PATH =
    '/v1/0123456789abcdef0123456789abcdef/workspaces/11111111-2222-3333-4444-555555555555/soc/alerts/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/incidents';
  const F_BODY = '{"ids":["ffffffff-0000-1111-2222-333333333333"]}';

  test('F: body hash', () => {
    expect(hashHex(F_BODY)).toBe(
      '3c743910b0b337e8809d39cf29460188a76c31582b1c2197df9f843db633127c',
    );
    expect(hashHex(new TextEncoder().encode(F_BODY))).toBe(
      '3c743910b0b337e8809d39cf29460188a76c31582b1c2197df9f843db633127c',
    );
  });

  test.each([
    ['POST', 'c3a1e47497a451d088811f64944a19a8532c4bb1b9ac8f8aef3e5154aeb119d5'],
    ['DELETE', '51c6ecc0116be5b5d5559bf9919c8b5db202c6e23af420e7ca57ffb2c9357d6c'],
  ])('F: %s relation with {"ids":[...]}', (method, expected) => {
    const h = signRequest({
      method,
      url: F_HOST + F_PATH,
      headers: { 'Content-Type': 'application/json;charset=UTF-8' },
      body: F_BODY,
      ...EX,
      now: at('20250101T000000Z'),
    });
    expect(signedHeadersOf(h)).toBe('content-type;host;x-sdk-date');
    expect(signatureOf(h)).toBe(expected);
  });

  test('G: GET workspaces with query', () => {
    const h = signRequest({
      method: 'GET',
      url: `${F_HOST}/v1/0123456789abcdef0123456789abcdef/workspaces?limit=10&name=soc%20team&offset=0`,
      headers: {},
      body: undefined,
      ...EX,
      now: at('20250101T000000Z'),
    });
    expect(signedHeadersOf(h)).toBe('host;x-sdk-date');
    expect(signatureOf(h)).toBe('44b4d778003751ad4a8bfa15ca3a315e5412354f1780c5c3c27587c7f9499339');
  });
});

// ---------------------------------------------------------------------------------------------
// §11: what the official Node SDK sends
// ---------------------------------------------------------------------------------------------

const SDK = { ak: 'EXAMPLEAK0000000000', sk: 'ExampleSecretKey0000000000000000000000000' };
const PID = '0123456789abcdef0123456789abcdef';
const HOST = '127.0.0.1:34951';
const REL = `/v1/${PID}/workspaces/ws-0001/soc/alerts/a-0001/incidents`;
const IDS = '{"ids":["i-0001","i-0002"]}';

interface SdkRow {
  name: string;
  method: string;
  pathQuery: string;
  date: string;
  body: string | undefined;
  signature: string;
}
const SDK_ROWS: SdkRow[] = [
  {
    name: 'POST associate',
    method: 'POST',
    pathQuery: REL,
    date: '20261122T200706Z',
    body: IDS,
    signature: '73fc8d93d2916f26336e04f5a80d9611ca6cee2ede96d2abd8d72043939d7100',
  },
  {
    name: 'POST {}',
    method: 'POST',
    pathQuery: REL,
    date: '20261122T200706Z',
    body: '{}',
    signature: 'a82f768c04be58a829f9da1c33e25873eb1c8afd189b06d236260cb322e075c9',
  },
  {
    name: 'DELETE with body',
    method: 'DELETE',
    pathQuery: REL,
    date: '20261122T200706Z',
    body: IDS,
    signature: 'bec655aae8202ef79a94a17b97ed30db972cc0f786adaf67bd2aa7c4d8f7e150',
  },
  {
    name: 'DELETE without body',
    method: 'DELETE',
    pathQuery: REL,
    date: '20261122T200706Z',
    body: undefined,
    signature: '2e092ff76ed104ecc2c0ec52fc98deaf886a23c2784cb1c38f71e0cdee0881f9',
  },
  {
    name: 'POST search',
    method: 'POST',
    pathQuery: `${REL}/search`,
    date: '20261122T200706Z',
    body: '{"limit":10,"offset":0}',
    signature: 'de4f9839925f7dcb284a9d67bbf7c2caac7b0d3838244762a95a5cf5aeccfa4d',
  },
  {
    name: 'GET workspaces, query in insertion order',
    method: 'GET',
    pathQuery: `/v1/${PID}/workspaces?offset=0&limit=10&name=my%20ws%2F%C3%A4&is_view=false`,
    date: '20261122T200707Z',
    body: undefined,
    signature: 'bd5b685f50504ddd9044d25b70e66288adc2dafdda4b1cbce02869a91021b95c',
  },
];

/** The headers as the SDK puts them on the wire (names lower-cased, as a server receives them). */
function sdkWireHeaders(row: SdkRow): Record<string, string> {
  const h: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/json',
    'user-agent': 'huaweicloud-usdk-nodejs/3.0',
    'x-project-id': PID,
    'x-sdk-date': row.date,
    host: HOST,
    authorization: `SDK-HMAC-SHA256 Access=${SDK.ak}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=${row.signature}`,
    connection: 'keep-alive',
  };
  if (row.body !== undefined) h['content-length'] = String(Buffer.byteLength(row.body));
  return h;
}

function splitPathQuery(pq: string): { path: string; rawQuery: string } {
  const i = pq.indexOf('?');
  return i < 0 ? { path: pq, rawQuery: '' } : { path: pq.slice(0, i), rawQuery: pq.slice(i + 1) };
}

function sdkVerifyInput(
  row: SdkRow,
  over: Partial<VerifySignatureInput> = {},
): VerifySignatureInput {
  return {
    method: row.method,
    ...splitPathQuery(row.pathQuery),
    headers: sdkWireHeaders(row),
    body: row.body === undefined ? undefined : new TextEncoder().encode(row.body),
    lookupSecret: (ak) => (ak === SDK.ak ? SDK.sk : undefined),
    now: at(row.date, 3 * MIN),
    ...over,
  };
}

describe('§11 Node SDK known answers: signRequest', () => {
  test.each(SDK_ROWS)('$name', (row) => {
    const h = signRequest({
      method: row.method,
      url: `http://${HOST}${row.pathQuery}`,
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'User-Agent': 'ua',
        'X-Project-Id': PID,
      },
      body: row.body,
      ...SDK,
      now: at(row.date),
    });
    expect(h.host).toBe(HOST);
    expect(h['X-Sdk-Date']).toBe(row.date);
    expect(h.Authorization).toBe(
      `SDK-HMAC-SHA256 Access=${SDK.ak}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=${row.signature}`,
    );
  });

  test('GET: the canonical query is the sorted RFC 3986 form of the insertion-order query', () => {
    expect(canonicalQuery('offset=0&limit=10&name=my%20ws%2F%C3%A4&is_view=false')).toBe(
      'is_view=false&limit=10&name=my%20ws%2F%C3%A4&offset=0',
    );
    // The same parameters given decoded, in insertion order, sign identically.
    const h = signRequest({
      method: 'GET',
      url: `http://${HOST}/v1/${PID}/workspaces?${new URLSearchParams([
        ['offset', '0'],
        ['limit', '10'],
        ['name', 'my ws/ä'],
        ['is_view', 'false'],
      ]).toString()}`,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': PID },
      body: undefined,
      ...SDK,
      now: at('20261122T200707Z'),
    });
    expect(signatureOf(h)).toBe('bd5b685f50504ddd9044d25b70e66288adc2dafdda4b1cbce02869a91021b95c');
  });
});

// ---------------------------------------------------------------------------------------------
// Verifier
// ---------------------------------------------------------------------------------------------

describe('verifySignature', () => {
  test.each(SDK_ROWS)('accepts the SDK request as sent: $name', (row) => {
    expect(verifySignature(sdkVerifyInput(row))).toEqual({ ok: true, ak: SDK.ak });
    // Within 15 minutes either way; exactly 15 minutes is still accepted.
    expect(verifySignature(sdkVerifyInput(row, { now: at(row.date, -14 * MIN) })).ok).toBe(true);
    expect(verifySignature(sdkVerifyInput(row, { now: at(row.date, 15 * MIN) })).ok).toBe(true);
    // Body given as a string works too.
    expect(verifySignature(sdkVerifyInput(row, { body: row.body })).ok).toBe(true);
  });

  const post = SDK_ROWS[0]!;
  const del = SDK_ROWS[2]!;
  const delNoBody = SDK_ROWS[3]!;
  const get = SDK_ROWS[5]!;
  const authFail = {
    ok: false,
    code: 'APIG.0301',
    message: 'Incorrect IAM authentication information: verify aksk signature fail',
  };

  test('wrong SK → APIG.0301', () => {
    expect(verifySignature(sdkVerifyInput(post, { lookupSecret: () => 'WrongSecretKey' }))).toEqual(
      authFail,
    );
  });

  test('tampered body → APIG.0301', () => {
    expect(verifySignature(sdkVerifyInput(post, { body: '{"ids":["i-0001","i-0003"]}' }))).toEqual(
      authFail,
    );
    expect(verifySignature(sdkVerifyInput(post, { body: `${post.body ?? ''}\n` }))).toEqual(
      authFail,
    );
    // A DELETE whose body was dropped (or added) in transit fails as well.
    expect(verifySignature(sdkVerifyInput(del, { body: undefined }))).toEqual(authFail);
    expect(verifySignature(sdkVerifyInput(delNoBody, { body: IDS }))).toEqual(authFail);
  });

  test('tampered method, path, query, host or signed header → APIG.0301', () => {
    expect(verifySignature(sdkVerifyInput(post, { method: 'DELETE' }))).toEqual(authFail);
    expect(
      verifySignature(sdkVerifyInput(post, { path: REL.replace('a-0001', 'a-0002') })),
    ).toEqual(authFail);
    expect(
      verifySignature(
        sdkVerifyInput(get, { rawQuery: 'offset=0&limit=11&name=my%20ws%2F%C3%A4&is_view=false' }),
      ),
    ).toEqual(authFail);
    expect(
      verifySignature(
        sdkVerifyInput(post, { headers: { ...sdkWireHeaders(post), host: 'localhost:34951' } }),
      ),
    ).toEqual(authFail);
    expect(
      verifySignature(
        sdkVerifyInput(post, {
          headers: { ...sdkWireHeaders(post), 'x-project-id': 'f'.repeat(32) },
        }),
      ),
    ).toEqual(authFail);
    // Unsigned headers may change freely.
    expect(
      verifySignature(
        sdkVerifyInput(post, {
          headers: { ...sdkWireHeaders(post), 'user-agent': 'other', accept: '*/*' },
        }),
      ).ok,
    ).toBe(true);
  });

  test('query order and encoding on the wire do not matter; the values do', () => {
    expect(
      verifySignature(
        sdkVerifyInput(get, { rawQuery: 'is_view=false&name=my+ws%2f%c3%a4&limit=10&offset=0' }),
      ).ok,
    ).toBe(true);
  });

  test('missing or malformed Authorization → APIG.0301', () => {
    const { authorization: _drop, ...noAuth } = sdkWireHeaders(post);
    expect(verifySignature(sdkVerifyInput(post, { headers: noAuth }))).toEqual({
      ok: false,
      code: 'APIG.0301',
      message: 'Incorrect IAM authentication information: authorization not found',
    });
    for (const bad of [
      'Bearer abc',
      `SDK-HMAC-SHA256 Access=${SDK.ak}, Signature=${post.signature}`,
      'SDK-HMAC-SHA256 Access=x, SignedHeaders=host, Signature=zz',
    ]) {
      const r = verifySignature(
        sdkVerifyInput(post, { headers: { ...sdkWireHeaders(post), authorization: bad } }),
      );
      expect(r).toMatchObject({ ok: false, code: 'APIG.0301' });
    }
  });

  test('unknown AK → APIG.0301', () => {
    expect(verifySignature(sdkVerifyInput(post, { lookupSecret: () => undefined }))).toEqual(
      authFail,
    );
    expect(verifySignature(sdkVerifyInput(post, { lookupSecret: () => '' }))).toEqual(authFail);
  });

  test('X-Sdk-Date missing or unparseable → APIG.0301', () => {
    const { 'x-sdk-date': _drop, ...noDate } = sdkWireHeaders(post);
    expect(verifySignature(sdkVerifyInput(post, { headers: noDate }))).toMatchObject({
      ok: false,
      code: 'APIG.0301',
      message: expect.stringContaining('x-sdk-date') as unknown,
    });
    for (const bad of [
      '2026-11-22T20:07:06Z',
      '20261122T200706',
      '20261322T200706Z',
      'yesterday',
    ]) {
      expect(
        verifySignature(
          sdkVerifyInput(post, { headers: { ...sdkWireHeaders(post), 'x-sdk-date': bad } }),
        ),
      ).toMatchObject({ ok: false, code: 'APIG.0301' });
    }
  });

  test('X-Sdk-Date 16 minutes off → APIG.0303 signature expired', () => {
    for (const off of [16 * MIN, -16 * MIN, 15 * MIN + 1000]) {
      const r = verifySignature(sdkVerifyInput(post, { now: at(post.date, off) }));
      expect(r).toMatchObject({ ok: false, code: 'APIG.0303' });
      if (!r.ok)
        expect(r.message).toMatch(
          /^Incorrect IAM authentication information: signature expired, signature time:20261122T200706Z,server time:\d{8}T\d{6}Z$/,
        );
    }
    expect(
      verifySignature(sdkVerifyInput(post, { now: at(post.date, 16 * MIN), maxSkewMs: 20 * MIN }))
        .ok,
    ).toBe(true);
  });

  test('every header listed in SignedHeaders must be present, and x-sdk-date must be listed', () => {
    const { 'x-project-id': _drop, ...noPid } = sdkWireHeaders(post);
    expect(verifySignature(sdkVerifyInput(post, { headers: noPid }))).toMatchObject({
      ok: false,
      code: 'APIG.0301',
      message: expect.stringContaining('x-project-id') as unknown,
    });
    const noDateSigned = signRequest({
      method: 'GET',
      url: `http://${HOST}/x`,
      headers: {},
      body: undefined,
      ...SDK,
      now: at(post.date),
    });
    const auth = (noDateSigned.Authorization ?? '').replace(
      'SignedHeaders=host;x-sdk-date',
      'SignedHeaders=host',
    );
    expect(
      verifySignature({
        ...sdkVerifyInput(post),
        method: 'GET',
        path: '/x',
        rawQuery: '',
        body: undefined,
        headers: { host: HOST, 'x-sdk-date': post.date, authorization: auth },
      }),
    ).toMatchObject({ ok: false, code: 'APIG.0301' });
  });

  test('errors never contain the SK', () => {
    const cases = [
      sdkVerifyInput(post, { lookupSecret: () => 'WrongSecretKey' }),
      sdkVerifyInput(post, { body: 'x' }),
      sdkVerifyInput(post, { now: at(post.date, 60 * MIN) }),
    ];
    for (const c of cases) expect(JSON.stringify(verifySignature(c))).not.toContain(SDK.sk);
  });
});

describe('round trip signRequest → verifySignature', () => {
  const keys = { ak: 'RoundTripAK01', sk: 'round-trip secret ☃' };
  const lookupSecret = (ak: string) => (ak === keys.ak ? keys.sk : undefined);
  const now = new Date('2026-03-04T05:06:07.890Z');

  function roundTrip(
    method: string,
    url: string,
    body: string | Uint8Array | undefined,
    headers: Record<string, string> = {},
  ) {
    const sent = signRequest({
      method,
      url,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': PID, ...headers },
      body,
      ...keys,
      now,
    });
    const u = new URL(url);
    const received: Record<string, string> = {};
    for (const [k, v] of Object.entries(sent)) received[k.toLowerCase()] = v;
    return verifySignature({
      method,
      path: u.pathname,
      rawQuery: u.search.slice(1),
      headers: received,
      body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
      lookupSecret,
      now: new Date(now.getTime() + 5 * MIN),
    });
  }

  test('POST', () => {
    expect(
      roundTrip(
        'POST',
        `https://secmaster.cn-north-4.myhuaweicloud.com${REL}`,
        '{"ids":["ä","b"]}',
      ),
    ).toEqual({ ok: true, ak: keys.ak });
  });
  test('DELETE with and without body', () => {
    expect(roundTrip('DELETE', `http://127.0.0.1:8080${REL}`, IDS)).toEqual({
      ok: true,
      ak: keys.ak,
    });
    expect(roundTrip('DELETE', `http://127.0.0.1:8080${REL}`, undefined)).toEqual({
      ok: true,
      ak: keys.ak,
    });
  });
  test('GET with query (unsorted, encoded, repeated keys)', () => {
    expect(
      roundTrip(
        'GET',
        `https://h.example:8443/v1/${PID}/workspaces?z=1&name=a%20b%2Fc&multi=2&multi=1&flag&e=%E2%9C%93`,
        undefined,
      ),
    ).toEqual({ ok: true, ak: keys.ak });
  });
  test('binary body and temporary credentials (x-security-token signed)', () => {
    const sent = signRequest({
      method: 'POST',
      url: 'https://h.example/p',
      headers: { 'X-Security-Token': 'tok' },
      body: new Uint8Array([0, 255, 10]),
      ...keys,
      now,
    });
    expect(sent.Authorization).toContain('SignedHeaders=host;x-sdk-date;x-security-token,');
    expect(
      roundTrip('POST', 'https://h.example/p', new Uint8Array([0, 255, 10]), {
        'X-Security-Token': 'tok',
      }).ok,
    ).toBe(true);
  });
  test('X-Sdk-Content-Sha256 is used instead of the body hash', () => {
    const sent = signRequest({
      method: 'POST',
      url: 'https://h.example/p',
      headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
      body: 'abc',
      ...keys,
      now,
    });
    const again = signRequest({
      method: 'POST',
      url: 'https://h.example/p',
      headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
      body: 'xyz',
      ...keys,
      now,
    });
    expect(sent.Authorization).toBe(again.Authorization);
  });
});

describe('signRequest input safety', () => {
  const base = {
    method: 'POST',
    url: 'https://h.example/p',
    body: '{}',
    ak: 'AK1',
    sk: 'TopSecretKeyValue',
    now: new Date('2026-01-01T00:00:00Z'),
  };

  test.each([
    ['CRLF', 'a\r\nInjected: 1'],
    ['LF', 'a\nb'],
    ['CR', 'a\rb'],
    ['NUL', 'a\0b'],
  ])('refuses %s in a header value, naming the header but not the value', (_kind, value) => {
    let err: unknown;
    try {
      signRequest({ ...base, headers: { 'X-Project-Id': value } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain('X-Project-Id');
    expect(message).not.toContain(value);
    expect(message).not.toContain(base.sk);
  });

  test('refuses invalid header names, methods, AKs, duplicate headers and signed-set mistakes', () => {
    expect(() => signRequest({ ...base, headers: { 'Bad Name': 'x' } })).toThrow();
    expect(() => signRequest({ ...base, headers: { 'X-A\r\n': 'x' } })).toThrow();
    expect(() => signRequest({ ...base, method: 'PO ST', headers: {} })).toThrow();
    expect(() => signRequest({ ...base, ak: 'AK\r\nX: 1', headers: {} })).toThrow();
    expect(() =>
      signRequest({ ...base, headers: { 'content-type': 'a', 'Content-Type': 'b' } }),
    ).toThrow(/content-type/);
    expect(() => signRequest({ ...base, headers: {}, signedHeaders: ['host'] })).toThrow(
      /x-sdk-date/,
    );
    expect(() =>
      signRequest({ ...base, headers: {}, signedHeaders: ['x-sdk-date', 'x-project-id'] }),
    ).toThrow(/x-project-id/);
    expect(() => signRequest({ ...base, headers: {}, sk: '' })).toThrow();
  });

  test('never prints the SK in any error', () => {
    const attempts = [
      () => signRequest({ ...base, headers: { A: '\n' } }),
      () => signRequest({ ...base, headers: {}, signedHeaders: ['host'] }),
      () => signRequest({ ...base, url: 'not a url', headers: {} }),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrow();
      try {
        attempt();
      } catch (e) {
        expect(String((e as Error).message)).not.toContain(base.sk);
      }
    }
  });

  test('caller-supplied Authorization / X-Sdk-Date are replaced; a given Host is kept and signed', () => {
    const h = signRequest({
      ...base,
      headers: {
        authorization: 'old',
        'x-sdk-date': '20000101T000000Z',
        Host: 'proxy.example:9000',
      },
    });
    expect(h.authorization).toBeUndefined();
    expect(h['x-sdk-date']).toBeUndefined();
    expect(h['X-Sdk-Date']).toBe('20260101T000000Z');
    expect(h.Host).toBe('proxy.example:9000');
    expect(h.host).toBeUndefined();
    const r = verifySignature({
      method: 'POST',
      path: '/p',
      rawQuery: '',
      headers: {
        host: 'proxy.example:9000',
        'x-sdk-date': h['X-Sdk-Date'] ?? '',
        authorization: h.Authorization ?? '',
      },
      body: '{}',
      lookupSecret: () => base.sk,
      now: base.now,
    });
    expect(r.ok).toBe(true);
  });

  test('host is derived from the URL with a non-default port only', () => {
    expect(signRequest({ ...base, url: 'https://h.example:443/p', headers: {} }).host).toBe(
      'h.example',
    );
    expect(signRequest({ ...base, url: 'http://127.0.0.1:34951/p', headers: {} }).host).toBe(
      '127.0.0.1:34951',
    );
  });
});
