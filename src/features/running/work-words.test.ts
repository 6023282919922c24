import { expect, test } from 'vitest';
import { setCatalog } from '../../i18n/i18n';
import { zhCatalog } from '../../testing/catalogs';
import { batchSummary, itemCounts } from '../../testing/fixtures';
import { workOutcome } from './outcome';
import { tabTitle, workPercent, workTitle } from './work-words';

const running = (over: Parameters<typeof batchSummary>[0] = {}) =>
  batchSummary({ state: 'running', finished_at: null, ...over });

test('work is named by its action, size and related class', () => {
  expect(workTitle(running({ total: 3000 }))).toBe('Associate 3,000 alerts');
  expect(workTitle(running({ total: 1, action: 'cancel' }))).toBe('Cancel association of 1 alert');
  expect(workTitle(running({ kind: 'move', total: 20 }))).toBe('Move 20 alerts');
  expect(workTitle(running({ kind: 'pairs', total: 6 }))).toBe('Associate 6 pairs');
});

test('progress counts every settled ID (a move counts what is no longer pending)', () => {
  const b = running({
    total: 3000,
    counts: itemCounts({ succeeded: 1000, unchanged: 260, pending: 1740 }),
  });
  expect(workPercent(b)).toBe(42);
  const move = { ...running({ kind: 'move', total: 10 }), results: { pending: 7 } };
  expect(workPercent(move)).toBe(30);
  expect(workPercent(running({ total: 0, counts: itemCounts() }))).toBe(100);
});

test('the tab title follows the page’s batch, else the one running, else all of them', () => {
  const a = running({ id: 'a', total: 3000, counts: itemCounts({ succeeded: 1260 }) });
  const b = running({ id: 'b', total: 1000, counts: itemCounts({ succeeded: 1000 }) });
  const paused = running({ id: 'p', state: 'paused' });
  expect(tabTitle([], null, 'Console')).toBe('Console');
  expect(tabTitle([paused], 'p', 'Console')).toBe('Console');
  expect(tabTitle([a, paused], null, 'Console')).toBe('42% · Associate 3,000 alerts');
  expect(tabTitle([a, b], 'b', 'Console')).toBe('100% · Associate 1,000 alerts');
  // 1,260 + 1,000 of 4,000.
  expect(tabTitle([a, b], null, 'Console')).toBe('56% · 2 batches running');
});

test('an outcome lists the states that have IDs and colours what needs a look', () => {
  expect(workOutcome(batchSummary())).toEqual({
    state: 'Done',
    summary: '3 succeeded · 2 failed · 1 unknown',
    color: 'yellow',
  });
  expect(
    workOutcome(batchSummary({ counts: itemCounts({ succeeded: 2, unchanged: 1 }) })).color,
  ).toBe('green');
  expect(
    workOutcome(batchSummary({ state: 'cancelled', counts: itemCounts({ skipped: 4 }) })),
  ).toEqual({
    state: 'Stopped',
    summary: '4 skipped',
    color: 'gray',
  });
  expect(workOutcome(batchSummary({ state: 'interrupted' })).color).toBe('red');
  expect(
    workOutcome({
      ...batchSummary({ kind: 'move' }),
      results: { moved: 5, kept_at_source: 1 },
    }).summary,
  ).toBe('5 moved · 1 kept at the source');
});

test('in Chinese, work is named and summed up in Chinese', () => {
  setCatalog('zh-CN', zhCatalog);
  expect(workTitle(running({ total: 3000 }))).toBe('关联 3,000 条告警');
  expect(workTitle(running({ total: 1, action: 'cancel' }))).toBe('取消关联 1 条告警');
  expect(workTitle(running({ kind: 'move', total: 20 }))).toBe('移动 20 条告警');
  expect(workTitle(running({ kind: 'pairs', total: 6 }))).toBe('关联 6 个配对');
  const a = running({ id: 'a', total: 3000, counts: itemCounts({ succeeded: 1260 }) });
  const b = running({ id: 'b', total: 1000, counts: itemCounts({ succeeded: 1000 }) });
  expect(tabTitle([a, b], null, '控制台')).toBe('56% · 2 个批次正在运行');
  expect(workOutcome(batchSummary())).toEqual({
    state: '已完成',
    summary: '成功 3 个 · 失败 2 个 · 未知 1 个',
    color: 'yellow',
  });
  expect(
    workOutcome({
      ...batchSummary({ kind: 'move' }),
      results: { moved: 5, already_at_destination: 2, kept_at_source: 1 },
    }).summary,
  ).toBe('已移动 5 个 · 已在目标对象 2 个 · 仍在源对象 1 个');
  expect(workOutcome(batchSummary({ counts: itemCounts() })).summary).toBe('没有 ID');
});
