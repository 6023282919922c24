import { expect, test } from 'vitest';
import type { DataclassType } from '../../api/schemas';
import { setCatalog } from '../../i18n/i18n';
import { zhCatalog } from '../../testing/catalogs';
import {
  buildGraph,
  graphObject,
  nodeName,
  NODE_HEIGHT,
  NODE_WIDTH,
  objectKey,
  slotPosition,
  type GraphObject,
  type LinksRead,
} from './graph-model';

function obj(dataclass: DataclassType, n: number, severity: string | null = 'High'): GraphObject {
  const id = `${dataclass.slice(0, 3)}${String(n).padStart(29, '0')}`;
  return { key: objectKey(dataclass, id), dataclass, id, title: `${dataclass} ${n}`, severity };
}

function links(counts: Partial<Record<DataclassType, number>>, from = 1): LinksRead {
  const read: LinksRead = {};
  for (const [c, n] of Object.entries(counts) as [DataclassType, number][]) {
    read[c] = { items: Array.from({ length: n }, (_, i) => obj(c, from + i)), total: n };
  }
  return read;
}

const SUBJECT = obj('alerts', 0);

test('names a node "<Class> <title> (<severity>)", with a word for a missing severity', () => {
  expect(nodeName(obj('incidents', 3, 'Fatal'))).toBe('Incident incidents 3 (Fatal)');
  expect(nodeName(obj('indicators', 4, null))).toBe('Indicator indicators 4 (no severity)');
  expect(nodeName(obj('alerts', 5, 'Severe'))).toBe('Alert alerts 5 (Severe)');
});

test('in Chinese a node names a severity SecMaster defines in Chinese, another one as it is', () => {
  setCatalog('zh-CN', zhCatalog);
  expect(nodeName(obj('incidents', 3, 'Fatal'))).toBe('事件 incidents 3（致命）');
  expect(nodeName(obj('incidents', 3, 'Tips'))).toBe('事件 incidents 3（提示）');
  expect(nodeName(obj('alerts', 5, 'Severe'))).toBe('告警 alerts 5（Severe）');
  expect(nodeName(obj('alerts', 6, null))).toBe('告警 alerts 6（无严重程度）');
});

test('reads title, name or value, and keys UUIDs case-insensitively', () => {
  const uuid = '0B5F6F4E-2D6B-4F0E-9A51-6F1C2A9E8D10';
  const o = graphObject('indicators', {
    id: uuid,
    data_object: { id: uuid, value: '198.51.100.7', severity: 'Low' },
  });
  expect(o).toEqual({
    key: `indicators:${uuid.toLowerCase()}`,
    dataclass: 'indicators',
    id: uuid,
    title: '198.51.100.7',
    severity: 'Low',
  });
  expect(
    graphObject('alerts', { id: 'x'.repeat(32), data_object: { id: 'x'.repeat(32) } }).title,
  ).toBe('x'.repeat(32));
});

test('draws the subject and its links with an edge to each', () => {
  const g = buildGraph(SUBJECT, [
    { key: SUBJECT.key, links: links({ incidents: 2, indicators: 1 }) },
  ]);
  expect(g.nodes.map((n) => n.title)).toEqual([
    'alerts 0',
    'incidents 1',
    'indicators 1',
    'incidents 2',
  ]);
  expect(g.edges).toHaveLength(3);
  expect(g.edges.every((e) => e.source === SUBJECT.key)).toBe(true);
  expect(g.more).toBe(0);
});

test('caps the nodes, counting the ones left out and the ones past the page read', () => {
  const read = links({ alerts: 150, incidents: 100 });
  read.indicators = { items: [obj('indicators', 1)], total: 40 };
  const g = buildGraph(SUBJECT, [{ key: SUBJECT.key, links: read }], 200);
  expect(g.nodes).toHaveLength(200);
  // 251 read, 199 drawn besides the subject: 52 left out, plus 39 indicators not read.
  expect(g.more).toBe(52 + 39);
  // Every class keeps a place: the cap cuts the longest lists.
  expect(g.nodes.some((n) => n.dataclass === 'indicators')).toBe(true);
});

test('an expansion adds only new objects, at depth 2, and one edge per pair', () => {
  const first = links({ incidents: 2 });
  const incident = first.incidents!.items[0]!;
  const g = buildGraph(SUBJECT, [
    { key: SUBJECT.key, links: first },
    // The incident's links include the subject itself and a new alert.
    { key: incident.key, links: { alerts: { items: [SUBJECT, obj('alerts', 9)], total: 2 } } },
  ]);
  expect(g.nodes.map((n) => [n.title, n.depth])).toEqual([
    ['alerts 0', 0],
    ['incidents 1', 1],
    ['incidents 2', 1],
    ['alerts 9', 2],
  ]);
  expect(g.edges.map((e) => [e.source, e.target])).toEqual([
    [SUBJECT.key, first.incidents!.items[0]!.key],
    [SUBJECT.key, first.incidents!.items[1]!.key],
    [incident.key, obj('alerts', 9).key],
  ]);
});

test('a pending expansion draws nothing yet and moves no node', () => {
  const first = links({ incidents: 3 });
  const before = buildGraph(SUBJECT, [{ key: SUBJECT.key, links: first }]);
  const after = buildGraph(SUBJECT, [
    { key: SUBJECT.key, links: first },
    { key: first.incidents!.items[1]!.key, links: links({ alerts: 5 }, 100) },
  ]);
  expect(after.nodes.slice(0, before.nodes.length)).toEqual(before.nodes);
  expect(
    buildGraph(SUBJECT, [
      { key: SUBJECT.key, links: first },
      { key: first.incidents!.items[1]!.key, links: undefined },
    ]),
  ).toEqual(before);
});

test('no two nodes overlap, whatever their number', () => {
  const g = buildGraph(SUBJECT, [
    { key: SUBJECT.key, links: links({ alerts: 70, incidents: 70, indicators: 70 }) },
  ]);
  expect(g.nodes).toHaveLength(200);
  const overlapping: string[] = [];
  for (let i = 0; i < g.nodes.length; i++) {
    for (let j = i + 1; j < g.nodes.length; j++) {
      const [a, b] = [g.nodes[i]!, g.nodes[j]!];
      if (Math.abs(a.x - b.x) < NODE_WIDTH && Math.abs(a.y - b.y) < NODE_HEIGHT)
        overlapping.push(`${a.title} / ${b.title}`);
    }
  }
  expect(overlapping).toEqual([]);
  expect(slotPosition('alerts', -1)).toEqual({ x: -NODE_WIDTH / 2, y: -NODE_HEIGHT / 2 });
});
