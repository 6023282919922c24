import { expect, test } from 'vitest';
import { operationPaths, UpstreamRequestError, type UpstreamOperation } from './operations';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const WS = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
const OBJ = 'c0ffee00-0000-4000-8000-000000000001';

const pathOf = operationPaths(PROJECT);

test('paths are built from the template, the pinned project and validated segments', () => {
  const root = `/v1/${PROJECT}/workspaces`;
  expect(pathOf({ op: 'listWorkspaces', query: { offset: 0, limit: 100 } })).toBe(
    `${root}?offset=0&limit=100`,
  );
  expect(pathOf({ op: 'showWorkspace', workspaceId: WS })).toBe(`${root}/${WS}`);
  expect(pathOf({ op: 'listDataclasses', workspaceId: WS })).toBe(`${root}/${WS}/soc/dataclasses`);
  expect(pathOf({ op: 'search', workspaceId: WS, dataclass: 'alerts', body: {} })).toBe(
    `${root}/${WS}/soc/alerts/search`,
  );
  expect(pathOf({ op: 'show', workspaceId: WS, dataclass: 'alerts', objectId: OBJ })).toBe(
    `${root}/${WS}/soc/alerts/${OBJ}`,
  );
  const rel = {
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: OBJ,
    related: 'alerts',
  } as const;
  expect(pathOf({ op: 'relationSearch', ...rel, body: {} })).toBe(
    `${root}/${WS}/soc/incidents/${OBJ}/alerts/search`,
  );
  expect(pathOf({ op: 'associate', ...rel, ids: [] })).toBe(
    `${root}/${WS}/soc/incidents/${OBJ}/alerts`,
  );
});

test('classes must be enum members even when the types are bypassed', () => {
  const op: unknown = { op: 'search', workspaceId: WS, dataclass: '../admin', body: {} };
  expect(() => pathOf(op as UpstreamOperation)).toThrow(UpstreamRequestError);
});
