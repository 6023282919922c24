import { expect, test } from 'vitest';
import { parseUpstreamError } from '../../src/api/schemas';
import { UpstreamError } from './client';
import { mapUpstreamAnswer, matchReadRoute } from './v1-routes';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const WS = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
const OBJ = 'c0ffee00-0000-4000-8000-000000000001';

test('overlapping read routes resolve to one operation each, writes never match', () => {
  const base = `/v1/${PROJECT}/workspaces/${WS}/soc`;
  const m = (method: string, path: string, search = '') =>
    matchReadRoute(method, path, search, PROJECT);
  expect(m('POST', `${base}/alerts/search`)).toMatchObject({ kind: 'post' });
  expect(m('POST', `${base}/alerts/${OBJ}/incidents/search`)).toMatchObject({ kind: 'post' });
  expect(m('GET', `${base}/alerts/${OBJ}`)).toMatchObject({
    kind: 'get',
    operation: { op: 'show' },
  });
  expect(m('HEAD', `${base}/alerts/${OBJ}`)).toMatchObject({ kind: 'get' });
  expect(m('POST', `${base}/alerts/${OBJ}/incidents`)).toMatchObject({ status: 405 });
  expect(m('DELETE', `${base}/alerts/${OBJ}/incidents`)).toMatchObject({ status: 405 });
  expect(m('DELETE', `${base}/alerts/${OBJ}/incidents/search`)).toMatchObject({ status: 405 });
  // SecMaster's batch-create is a write: never forwarded from the browser, by any method.
  for (const method of ['POST', 'GET', 'DELETE', 'PUT']) {
    const refused = m(method, `${base}/incidents/alerts/batch-create`);
    expect(refused).toMatchObject({ status: expect.any(Number) });
    expect(refused).not.toHaveProperty('kind');
  }
  expect(m('GET', `/v1/${PROJECT.toUpperCase()}/workspaces`)).toMatchObject({ status: 403 });
  expect(m('GET', `/v1/${PROJECT}/Workspaces`)).toMatchObject({ status: 404 });
  expect(m('GET', `${base}/Alerts/${OBJ}`)).toMatchObject({ status: 404 });
  expect(m('GET', `/v1/${PROJECT}/workspaces`, '?offset=0&limit=10')).toMatchObject({
    kind: 'get',
  });
  expect(m('GET', `/v1/${PROJECT}/workspaces`, '?limit=1&evil=1')).toMatchObject({ status: 400 });
});

test('upstream answers map to our statuses', () => {
  expect(mapUpstreamAnswer(new UpstreamError('timeout', 't'), parseUpstreamError).status).toBe(504);
  expect(mapUpstreamAnswer(new UpstreamError('network', 'n'), parseUpstreamError).status).toBe(502);
  const unauth = mapUpstreamAnswer(
    { status: 401, requestId: null, body: { error_code: 'APIG.0301', error_msg: 'bad' } },
    parseUpstreamError,
  );
  expect(unauth).toMatchObject({ status: 502, body: { code: 'APIG.0301' } });
  expect(
    mapUpstreamAnswer({ status: 404, requestId: 'r', body: null }, parseUpstreamError),
  ).toMatchObject({ status: 404, body: { code: 'HTTP_404' } });
  expect(
    mapUpstreamAnswer({ status: 200, requestId: 'r', body: 'text' }, parseUpstreamError).status,
  ).toBe(502);
});
