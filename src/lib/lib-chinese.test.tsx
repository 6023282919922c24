/**
 * The shared pieces of the interface (src/lib) in Chinese: every word from the catalogs, data
 * (IDs, titles, names, codes) marked `translate="no"`.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { expect, test, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { DataObjectDetail, SubjectSelection } from '../api/schemas';
import { batchSummary } from '../testing/fixtures';
import { englishWordsIn, inChinese } from '../testing/i18n';
import { serveNames } from '../testing/msw';
import { render } from '../testing/render';
import { ConfirmCancelModal } from './confirm-cancel-modal';
import { ConfirmDialog } from './confirm-dialog';
import { ErrorText, ItemMessage } from './error-text';
import { LinkedTable, TablePager } from './linked-table';
import { SubjectCard } from './object-picker';
import { ResultFilters, RunFacts, RunLoadState, RunNotes } from './run-view';
import { RunLink, RunState, runWhat } from './run-rows';

const WS = 'ws000000000000000000000000000001';

test('a confirmation in Chinese: its buttons, the error worded from its code, the code kept', async () => {
  inChinese();
  render(
    <ConfirmDialog
      opened
      onClose={vi.fn()}
      title="停止此批次？"
      confirmLabel="确认停止"
      onConfirm={vi.fn()}
      pending={false}
      error={
        new ApiError({
          status: 409,
          code: 'INVALID_STATE',
          message: 'a done batch cannot be paused',
          requestId: 'req-7',
        })
      }
      errorTitle="无法停止批次"
    >
      <p>会发生什么</p>
    </ConfirmDialog>,
  );
  const dialog = screen.getByRole('dialog', { name: '停止此批次？' });
  await waitFor(() => expect(within(dialog).getByRole('button', { name: '返回' })).toHaveFocus());
  expect(within(dialog).getByRole('button', { name: '关闭' })).toBeInTheDocument();
  const alert = within(dialog).getByRole('alert');
  expect(alert).toHaveTextContent('当前状态不允许此操作');
  expect(alert).toHaveTextContent('（INVALID_STATE）');
  expect(alert).toHaveTextContent('请求 ID req-7');
  // The server's own words follow, as data in English (as English shows them).
  expect(alert).toHaveTextContent(
    '当前状态不允许此操作（可能仍在运行、已暂停或已中断）。 原文：a done batch cannot be paused （INVALID_STATE）',
  );
  const said = within(alert).getByText('a done batch cannot be paused');
  expect(said).toHaveAttribute('translate', 'no');
  expect(said).toHaveAttribute('lang', 'en');
  expect(englishWordsIn()).toEqual([]);
});

test('the cancel confirmation in Chinese lists the IDs and titles as data', async () => {
  serveNames({ workspaces: { [WS]: 'SOC Operations' } });
  inChinese();
  const subject: SubjectSelection = {
    dataclass_type: 'incidents',
    data_object_id: 'incident00000000000000000000000001',
    related_dataclass_type: 'alerts',
  };
  render(
    <ConfirmCancelModal
      opened
      selection={new Map([['alert000000000000000000000000000001', 'Brute force login']])}
      workspaceId={WS}
      subject={subject}
      onClose={vi.fn()}
      onCreated={vi.fn()}
    />,
  );
  const dialog = await screen.findByRole('dialog', { name: '取消关联？' });
  expect(within(dialog).getByText(/中取消 1 个告警与事件/)).toBeInTheDocument();
  expect(within(dialog).getByRole('list', { name: '要取消关联的告警' })).toHaveTextContent(
    'alert000000000000000000000000000001 · Brute force login',
  );
  expect(within(dialog).getByRole('button', { name: '复制 ID' })).toBeInTheDocument();
  expect(within(dialog).getByRole('button', { name: '确认取消关联' })).toBeInTheDocument();
  expect(within(dialog).getByRole('textbox', { name: '取消关联的原因' })).toBeInTheDocument();
  expect(englishWordsIn()).toEqual([]);
});

test('a run’s header, notes and filters in Chinese; its ID, user, reason and workspace are data', async () => {
  serveNames({ workspaces: { [WS]: 'SOC Operations' } });
  inChinese();
  const batch = batchSummary({ duplicates: 2, undone_by: 'undo0000-1111-2222-3333-444444444444' });
  render(
    <>
      <RunFacts noun="batch" run={batch} pathOf={(id) => `/batches/${id}`} />
      <RunNotes
        reason={batch.reason}
        state="interrupted"
        stateReason="authentication failed (APIG.0301)"
      />
      <ResultFilters
        label="结果"
        total={6}
        options={[{ value: 'failed', label: '失败', count: 2, color: 'red' }]}
        filter="all"
        onFilter={vi.fn()}
        search=""
        onSearch={vi.fn()}
      />
      <RunState state="cancelled" />
      <RunLink kind="pairs" id={batch.id} />
      <span>{runWhat('pairs', 'cancel')}</span>
    </>,
  );
  expect(await screen.findByText('SOC Operations')).toHaveAttribute('translate', 'no');
  expect(screen.getByText('工作空间：')).toBeInTheDocument();
  expect(screen.getByText(/已去除 2 个重复项/)).toBeInTheDocument();
  expect(screen.getByText('已被系统停止')).toBeInTheDocument();
  expect(screen.getByRole('radio', { name: '全部' })).toBeInTheDocument();
  expect(screen.getByRole('textbox', { name: '搜索 ID' })).toHaveAttribute(
    'placeholder',
    '完整或部分 ID',
  );
  expect(screen.getByText('已停止')).toBeInTheDocument();
  expect(screen.getByRole('link', { name: `打开配对批次 ${batch.id}` })).toBeInTheDocument();
  expect(screen.getByText('取消关联（配对）')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: '复制工作空间 ID' })).toBeInTheDocument();
  expect(englishWordsIn()).toEqual([]);
});

test('a run that is not found, in Chinese', () => {
  inChinese();
  render(
    <RunLoadState
      noun="move"
      id="77777777-8888-4999-8aaa-bbbbbbbbbbbb"
      query={{
        isPending: false,
        data: undefined,
        error: new ApiError({ status: 404, code: 'NOT_FOUND', message: 'no such move' }),
      }}
    />,
  );
  expect(screen.getByText('找不到移动')).toBeInTheDocument();
  expect(screen.getByText(/请检查链接/)).toBeInTheDocument();
  expect(englishWordsIn()).toEqual([]);
});

test('a linked table and its pager in Chinese: headers, severities and names; titles are data', async () => {
  inChinese();
  const row = (id: string, title: string, severity: string, status = 'Open'): DataObjectDetail => ({
    id,
    data_object: { id, title, severity, handle_status: status },
  });
  render(
    <>
      <LinkedTable
        related="alerts"
        rows={[
          row('alert000000000000000000000000000001', 'Brute force login', 'High'),
          row('alert000000000000000000000000000002', 'Port scan', 'Severe', 'Triaged'),
        ]}
        selection={new Map()}
        onSelectionChange={vi.fn()}
        tableLabel="关联的告警"
        selectPageLabel="选择本页"
        pending={false}
        fetching={false}
        stale={false}
      />
      <TablePager label="分页" total={50} pageSize={10} page={2} onChange={vi.fn()} />
    </>,
  );
  const table = screen.getByRole('table', { name: '关联的告警' });
  for (const name of ['标题', 'ID', '严重程度', '状态'])
    expect(within(table).getByRole('columnheader', { name })).toBeInTheDocument();
  // SecMaster's severities and statuses in Chinese; a value outside its set is data.
  expect(within(table).getByText('高危')).toBeInTheDocument();
  expect(within(table).getByText('打开')).toBeInTheDocument();
  expect(within(table).getByText('Severe')).toHaveAttribute('translate', 'no');
  expect(within(table).getByText('Triaged')).toHaveAttribute('translate', 'no');
  expect(screen.getByRole('button', { name: '下一页' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: '第 3 页' })).toBeInTheDocument();
  await userEvent.hover(within(table).getByRole('link', { name: 'Brute force login' }));
  expect(englishWordsIn()).toEqual([]);
});

test('errors and per-ID messages as page text mark what is not translated', () => {
  inChinese();
  render(
    <ul>
      <li data-testid="own">
        <ErrorText
          error={
            new ApiError({ status: 400, code: 'SecMaster.00010001', message: 'Invalid workspace' })
          }
        />
      </li>
      <li data-testid="known">
        <ItemMessage code="ALREADY_LINKED" message="already linked" />
      </li>
      <li data-testid="upstream">
        <ItemMessage code="SecMaster.00040001" message="Object does not exist" />
      </li>
      <li data-testid="detail">
        <ItemMessage code="TIMEOUT" message="the call timed out after 30 s; outcome unknown" />
      </li>
    </ul>,
  );
  expect(screen.getByTestId('own')).toHaveTextContent('Invalid workspace （SecMaster.00010001）');
  expect(screen.getByText('Invalid workspace')).toHaveAttribute('translate', 'no');
  expect(screen.getByTestId('known')).toHaveTextContent(/^已关联$/);
  expect(screen.getByText('Object does not exist')).toHaveAttribute('translate', 'no');
  // A message worded from its code keeps the server's detail, as data in English.
  expect(screen.getByTestId('detail')).toHaveTextContent(
    /^SecMaster 未及时响应，结果未知 原文：the call timed out after 30 s; outcome unknown$/,
  );
  const detail = screen.getByText('the call timed out after 30 s; outcome unknown');
  expect(detail).toHaveAttribute('translate', 'no');
  expect(detail).toHaveAttribute('lang', 'en');
  expect(englishWordsIn()).toEqual([]);
});

test('in English the server’s words are shown once, with no “As sent” before them', () => {
  render(
    <ul>
      <li data-testid="error">
        <ErrorText
          error={
            new ApiError({
              status: 409,
              code: 'INVALID_STATE',
              message: 'a done batch cannot be paused',
            })
          }
        />
      </li>
      <li data-testid="item">
        <ItemMessage code="TIMEOUT" message="the call timed out after 30 s; outcome unknown" />
      </li>
    </ul>,
  );
  expect(screen.getByTestId('error')).toHaveTextContent(
    /^a done batch cannot be paused \(INVALID_STATE\)$/,
  );
  expect(screen.getByTestId('item')).toHaveTextContent(
    /^the call timed out after 30 s; outcome unknown$/,
  );
});

test('a chosen object’s card in Chinese: SecMaster’s severity and status worded, its title and ID data', () => {
  inChinese();
  const id = 'incident00000000000000000000000002';
  const card = (severity: string, status: string): DataObjectDetail => ({
    id,
    data_object: { id, title: 'Lateral movement', severity, handle_status: status },
  });
  const { unmount } = render(
    <SubjectCard dataclass="incidents" detail={card('Medium', 'Block')} />,
  );
  const chosen = screen.getByLabelText('已选事件');
  expect(within(chosen).getByText('中危')).toBeInTheDocument();
  expect(within(chosen).getByText('阻塞')).toBeInTheDocument();
  expect(englishWordsIn()).toEqual([]);
  unmount();
  // Values outside SecMaster's set: shown as they are, as data.
  render(<SubjectCard dataclass="incidents" detail={card('Severe', 'Escalated')} />);
  expect(screen.getByText('Severe')).toHaveAttribute('translate', 'no');
  expect(screen.getByText('Escalated')).toHaveAttribute('translate', 'no');
  expect(englishWordsIn()).toEqual([]);
});
