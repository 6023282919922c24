import { act, screen, waitFor, within } from '@testing-library/react';
import { notifications } from '@mantine/notifications';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { afterEach, expect, test } from 'vitest';
import { batchKeys } from '../../api/console-queries';
import type { BatchSummary } from '../../api/schemas';
import { batchSummary, itemCounts } from '../../testing/fixtures';
import { server } from '../../testing/msw';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { render } from '../../testing/render';
import { RunningWork } from './running-work';

const A = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d11';

const runningA = batchSummary({
  id: A,
  state: 'running',
  finished_at: null,
  total: 3000,
  counts: itemCounts({ succeeded: 1260, pending: 1740 }),
});

/** Serves the history's running and paused lists from `lists`, and the summaries from `details`. */
function serve(
  lists: { running: BatchSummary[]; paused: BatchSummary[] },
  details: BatchSummary[],
  detailReads: string[] = [],
) {
  server.use(
    http.get('/api/batches', ({ request }) => {
      const state = new URL(request.url).searchParams.get('state');
      const items = state === 'running' ? lists.running : state === 'paused' ? lists.paused : [];
      return HttpResponse.json({ items, total: items.length, offset: 0, limit: 50 });
    }),
    http.get('/api/batches/:id', ({ params }) => {
      detailReads.push(String(params.id));
      const found = details.find((d) => d.id === params.id);
      return found ? HttpResponse.json(found) : HttpResponse.json({}, { status: 404 });
    }),
  );
}

afterEach(() => {
  document.title = '';
  // The notices live in Mantine's store (module state), which outlives a test's render.
  act(() => notifications.clean());
});

test('nothing shows while no batch runs', async () => {
  serve({ running: [], paused: [] }, []);
  document.title = 'SecMaster association console';
  const { queryClient } = render(<RunningWork enabled />);
  await act(() => queryClient.refetchQueries({ queryKey: batchKeys.lists() }));
  expect(screen.queryByRole('button', { name: /Running batches/ })).toBeNull();
  expect(document.title).toBe('SecMaster association console');
});

test('a running batch shows in the header, the list and the tab title; its end is announced', async () => {
  const lists = { running: [runningA], paused: [] as BatchSummary[] };
  serve(lists, [runningA]);
  document.title = 'SecMaster association console';
  const { queryClient } = render(<RunningWork enabled />);
  const button = await screen.findByRole('button', { name: 'Running batches 1' });
  expect(document.title).toBe('42% · Associate 3,000 alerts');

  await userEvent.click(button);
  const list = await screen.findByRole('dialog', { name: 'Running batches 1' });
  expect(await within(list).findByRole('link', { name: 'Associate 3,000 alerts' })).toHaveAttribute(
    'href',
    `/batches/${A}`,
  );
  expect(
    within(list).getByRole('progressbar', { name: 'Progress of Associate 3,000 alerts' }),
  ).toHaveAttribute('aria-valuenow', '42');
  await userEvent.keyboard('{Escape}');

  // It ends: it leaves the running list, and its summary says how.
  const done = {
    ...runningA,
    state: 'done' as const,
    finished_at: '2025-01-01T10:05:00.000Z',
    counts: itemCounts({ succeeded: 2990, failed: 10 }),
  };
  serve({ running: [], paused: [] }, [done]);
  await act(() => queryClient.refetchQueries({ queryKey: batchKeys.lists() }));
  const notice = await screen.findByRole('alert');
  expect(notice).toHaveTextContent('Associate 3,000 alerts: Done');
  expect(notice).toHaveTextContent('2,990 succeeded · 10 failed');
  expect(within(notice).getByRole('link', { name: 'Open the batch' })).toHaveAttribute(
    'href',
    `/batches/${A}`,
  );
  expect(within(notice).getByRole('button', { name: 'Close notification' })).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: /Running batches/ })).toBeNull();
  expect(document.title).toBe('SecMaster association console');
});

test('a batch that only paused is not announced as ended', async () => {
  serve({ running: [runningA], paused: [] }, [runningA]);
  const { queryClient } = render(<RunningWork enabled />);
  await screen.findByRole('button', { name: 'Running batches 1' });
  const paused = { ...runningA, state: 'paused' as const };
  // Read between the two lists: gone from both once (so its summary is read), then paused.
  const reads: string[] = [];
  serve({ running: [], paused: [] }, [paused], reads);
  await act(() => queryClient.refetchQueries({ queryKey: batchKeys.lists() }));
  await waitFor(() => expect(reads).toEqual([A]));
  serve({ running: [], paused: [paused] }, [paused]);
  await act(() => queryClient.refetchQueries({ queryKey: batchKeys.lists() }));
  expect(await screen.findByRole('button', { name: 'Running batches 1' })).toBeVisible();
  expect(screen.queryByRole('alert')).toBeNull();
});

test('in Chinese, the button, the list, the tab title and the end notice speak Chinese', async () => {
  inChinese();
  serve({ running: [runningA], paused: [] }, [runningA]);
  const { queryClient } = render(<RunningWork enabled />);
  const button = await screen.findByRole('button', { name: '运行中的批次 1' });
  expect(document.title).toBe('42% · 关联 3,000 条告警');

  await userEvent.click(button);
  const list = await screen.findByRole('dialog', { name: '运行中的批次 1' });
  expect(await within(list).findByRole('link', { name: '关联 3,000 条告警' })).toBeVisible();
  expect(within(list).getByRole('progressbar', { name: '关联 3,000 条告警的进度' })).toBeVisible();
  expect(within(list).getByText('运行中')).toBeVisible();
  expect(within(list).getByText('42% · 3,000 个 ID')).toBeVisible();
  expect(englishWordsIn()).toEqual([]);
  await userEvent.keyboard('{Escape}');

  const done = {
    ...runningA,
    state: 'done' as const,
    finished_at: '2025-01-01T10:05:00.000Z',
    counts: itemCounts({ succeeded: 2990, failed: 10 }),
  };
  serve({ running: [], paused: [] }, [done]);
  await act(() => queryClient.refetchQueries({ queryKey: batchKeys.lists() }));
  const notice = await screen.findByRole('alert');
  expect(notice).toHaveTextContent('关联 3,000 条告警：已完成');
  expect(notice).toHaveTextContent('成功 2,990 个 · 失败 10 个');
  expect(within(notice).getByRole('link', { name: '打开批次' })).toBeVisible();
  expect(within(notice).getByRole('button', { name: '关闭通知' })).toBeInTheDocument();
  // With nothing running, the tab shows the console's own title, in the current language.
  expect(document.title).toBe('SecMaster 关联控制台');
  expect(englishWordsIn()).toEqual([]);
});
