import { fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { useLocation } from 'react-router';
import { expect, test } from 'vitest';
import type { BatchSummary } from '../../api/schemas';
import { server, serveNames } from '../../testing/msw';
import { batchSummary, itemCounts } from '../../testing/fixtures';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { render } from '../../testing/render';
import { HistoryPage, localDayBound } from './history-page';

const FIRST = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';
const RETRY = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

function summary(over: Partial<BatchSummary> = {}): BatchSummary {
  return batchSummary({ id: FIRST, ...over });
}

function serveList(items: BatchSummary[], total = items.length) {
  const queries: URLSearchParams[] = [];
  serveNames();
  server.use(
    http.get('/api/batches', ({ request }) => {
      const params = new URL(request.url).searchParams;
      queries.push(params);
      return HttpResponse.json({
        items,
        total,
        offset: Number(params.get('offset')),
        limit: Number(params.get('limit')),
      });
    }),
  );
  return queries;
}

test('lists batches with who, what and counts, each linking to its page', async () => {
  serveList([
    summary({
      id: RETRY,
      retry_of: FIRST,
      user: 'bob',
      action: 'cancel',
      state: 'interrupted',
      state_reason: 'authentication failed (APIG.0301)',
      reason: null,
      counts: itemCounts({ pending: 2 }),
    }),
    summary(),
  ]);
  render(<HistoryPage />);
  await screen.findByRole('link', { name: `Open batch ${FIRST}` });
  const table = screen.getByRole('table', { name: 'Batches' });
  const rows = within(table).getAllByRole('row');
  expect(rows).toHaveLength(3);

  const newest = rows[1] as HTMLElement;
  expect(within(newest).getByRole('link', { name: `Open batch ${RETRY}` })).toHaveAttribute(
    'href',
    `/batches/${RETRY}`,
  );
  expect(within(newest).getByRole('link', { name: 'retry of 0b5f6f4e' })).toHaveAttribute(
    'href',
    `/batches/${FIRST}`,
  );
  expect(within(newest).getByText('bob')).toBeInTheDocument();
  expect(within(newest).getByText('Cancel association')).toBeInTheDocument();
  expect(within(newest).getByText('Interrupted')).toBeInTheDocument();
  expect(within(newest).getByText('authentication failed (APIG.0301)')).toBeInTheDocument();

  const older = rows[2] as HTMLElement;
  expect(within(older).getByRole('link', { name: `Open batch ${FIRST}` })).toHaveAttribute(
    'href',
    `/batches/${FIRST}`,
  );
  expect(within(older).getByText('Associate')).toBeInTheDocument();
  expect(within(older).getByText('phishing wave')).toBeInTheDocument();
  expect(within(older).getByText('Alerts')).toBeInTheDocument();
  // A workspace whose name is not known shows its whole ID.
  expect(within(older).getByText(summary().workspace_id)).toBeInTheDocument();
  const cells = within(older)
    .getAllByRole('cell')
    .map((c) => c.textContent);
  expect(cells).toEqual(expect.arrayContaining(['3', '2', '1', '0']));
});

test('a move links to its move page and shows source → destination; a batch of pairs shows its subjects', async () => {
  const DEST = 'd0000000-1111-4222-8333-444444444444';
  serveList([
    summary({ id: RETRY, kind: 'move', destination_id: DEST }),
    summary({ kind: 'pairs', data_object_id: '', subjects: 3, action: 'cancel' }),
  ]);
  render(<HistoryPage />);
  const move = await screen.findByRole('link', { name: `Open move ${RETRY}` });
  expect(move).toHaveAttribute('href', `/moves/${RETRY}`);
  const moveRow = move.closest('tr') as HTMLElement;
  expect(within(moveRow).getByText('Move')).toBeInTheDocument();
  expect(within(moveRow).getByTitle(DEST)).toHaveTextContent('d0000000');
  const pairs = screen.getByRole('link', { name: `Open batch of pairs ${FIRST}` });
  expect(pairs).toHaveAttribute('href', `/batches/${FIRST}`);
  const pairsRow = pairs.closest('tr') as HTMLElement;
  expect(within(pairsRow).getByText('Cancel association (pairs)')).toBeInTheDocument();
  expect(within(pairsRow).getByText('3 incidents')).toBeInTheDocument();
});

test('asks for 50 batches a page and pages on the server', async () => {
  const user = userEvent.setup();
  const queries = serveList([summary()], 120);
  render(<HistoryPage />);
  await screen.findByRole('link', { name: `Open batch ${FIRST}` });
  expect(queries[0]?.get('limit')).toBe('50');

  const nav = screen.getByRole('navigation', { name: 'History pages' });
  await user.click(within(nav).getByRole('button', { name: 'Next page' }));

  await expect.poll(() => queries.at(-1)?.get('offset')).toBe('50');
});

test('says so when there are no batches yet', async () => {
  serveList([]);
  render(<HistoryPage />);
  expect(await screen.findByText(/No batches yet/)).toBeInTheDocument();
});

test('a failed load is shown readably', async () => {
  serveNames();
  server.use(
    http.get('/api/batches', () =>
      HttpResponse.json(
        { code: 'INTERNAL', message: 'The ledger is unavailable' },
        { status: 500 },
      ),
    ),
  );
  render(<HistoryPage />);
  expect(await screen.findByText(/The ledger is unavailable/)).toBeInTheDocument();
});

test('an undo links to the batch it undoes, and skipped IDs are counted', async () => {
  const UNDO = 'aaaaaaaa-1111-4222-8333-444455556666';
  serveList([
    summary({
      id: UNDO,
      undo_of: FIRST,
      action: 'cancel',
      reason: `Undo of batch ${FIRST}`,
      counts: itemCounts({ succeeded: 3, skipped: 7 }),
    }),
    summary(),
  ]);
  render(<HistoryPage />);
  const link = await screen.findByRole('link', { name: 'Undo of 0b5f6f4e' });
  expect(link).toHaveAttribute('href', `/batches/${FIRST}`);
  const table = screen.getByRole('table', { name: 'Batches' });
  expect(within(table).getByRole('columnheader', { name: 'Skipped' })).toBeInTheDocument();
  const row = within(table).getAllByRole('row')[1] as HTMLElement;
  expect(within(row).getByText('7')).toBeInTheDocument();
  expect(within(row).getByText(`Undo of batch ${FIRST}`)).toBeInTheDocument();
});

test('"No change" is a column of its own, and a stopped batch reads "Stopped"', async () => {
  serveList([
    summary({
      id: RETRY,
      state: 'cancelled',
      action: 'cancel',
      counts: itemCounts({ succeeded: 1, unchanged: 4, skipped: 5 }),
    }),
  ]);
  render(<HistoryPage />);
  await screen.findByRole('link', { name: `Open batch ${RETRY}` });
  const table = screen.getByRole('table', { name: 'Batches' });
  const headers = within(table)
    .getAllByRole('columnheader')
    .map((h) => h.textContent);
  expect(headers.slice(7, 10)).toEqual(['Succeeded', 'No change', 'Failed']);
  const row = within(table).getAllByRole('row')[1] as HTMLElement;
  const cells = within(row)
    .getAllByRole('cell')
    .map((c) => c.textContent);
  expect(cells.slice(7, 12)).toEqual(['1', '4', '0', '0', '0']);
  expect(within(row).getByText('Stopped')).toBeInTheDocument();
  expect(within(row).queryByText('Cancelled')).not.toBeInTheDocument();
});

test('a batch recorded before changes were tracked shows its No change count as not tracked', async () => {
  serveList([summary({ changes_recorded: false })]);
  render(<HistoryPage />);
  await screen.findByRole('link', { name: `Open batch ${FIRST}` });
  const row = within(screen.getByRole('table', { name: 'Batches' })).getAllByRole(
    'row',
  )[1] as HTMLElement;
  const cell = within(row).getAllByRole('cell')[8] as HTMLElement;
  expect(cell).toHaveTextContent('not tracked');
  expect(cell).not.toHaveTextContent('0');
});

// --- filters ---------------------------------------------------------------------------------

const TOUCHED = 'c0ffee00-0000-4000-8000-0000000000aa';

/** The page and the current URL's query string (what a reload or a pasted link would hold). */
function HistoryWithUrl() {
  const { search } = useLocation();
  return (
    <>
      <HistoryPage />
      <output aria-label="URL query">{search}</output>
    </>
  );
}

const urlQuery = () => new URLSearchParams(screen.getByLabelText('URL query').textContent ?? '');

/** Answers the history with `items` when a request has no filter, else with what `match` keeps. */
function serveFiltered(match: (params: URLSearchParams) => BatchSummary[]) {
  const queries: URLSearchParams[] = [];
  server.use(
    http.get('/api/batches', ({ request }) => {
      const params = new URL(request.url).searchParams;
      queries.push(params);
      const items = match(params);
      return HttpResponse.json({
        items,
        total: items.length,
        offset: Number(params.get('offset')),
        limit: Number(params.get('limit')),
      });
    }),
  );
  return queries;
}

test('"Search history" sends q, keeps it in the URL, and a miss says so', async () => {
  const user = userEvent.setup();
  const queries = serveFiltered((p) =>
    p.get('q') === TOUCHED ? [summary()] : p.get('q') ? [] : [summary({ id: RETRY }), summary()],
  );
  render(<HistoryWithUrl />, { route: '/history' });
  await screen.findByRole('link', { name: `Open batch ${RETRY}` });

  const box = screen.getByRole('textbox', { name: 'Search history' });
  await user.click(box);
  await user.paste(TOUCHED);
  // The URL follows once typing pauses (HISTORY_TYPING_MS), then the page is read.
  expect(await screen.findByText('1 batch matches, newest first')).toBeInTheDocument();
  expect(screen.queryByRole('link', { name: `Open batch ${RETRY}` })).not.toBeInTheDocument();
  expect(urlQuery().get('q')).toBe(TOUCHED);
  expect(queries.filter((q) => q.has('q')).map((q) => q.get('q'))).toEqual([TOUCHED]);

  await user.clear(box);
  await user.type(box, 'no such thing{Enter}');
  expect(await screen.findByText('No batches match these filters')).toBeInTheDocument();
  expect(screen.queryByText(/No batches yet/)).not.toBeInTheDocument();
  expect(urlQuery().get('q')).toBe('no such thing');
});

test('a link with filters opens the history filtered, its controls filled, on its page', async () => {
  const queries = serveFiltered(() => [summary()]);
  render(<HistoryWithUrl />, {
    route: `/history?q=phishing&state=done&user=alice&from=2026-12-01&to=2026-12-05&page=3&touches=${TOUCHED}`,
  });
  await screen.findByRole('link', { name: `Open batch ${FIRST}` });
  const sent = queries[0];
  expect(sent?.get('q')).toBe('phishing');
  expect(sent?.get('state')).toBe('done');
  expect(sent?.get('user')).toBe('alice');
  expect(sent?.get('touches')).toBe(TOUCHED);
  expect(sent?.get('offset')).toBe('100');
  // A day picked in the browser is the user's own day, from its first to its last millisecond.
  expect(sent?.get('from')).toBe(new Date(2026, 11, 1).toISOString());
  expect(sent?.get('to')).toBe(new Date(2026, 11, 5, 23, 59, 59, 999).toISOString());

  expect(screen.getByRole('textbox', { name: 'Search history' })).toHaveValue('phishing');
  expect(screen.getByRole('combobox', { name: 'State' })).toHaveValue('done');
  expect(screen.getByRole('textbox', { name: 'User' })).toHaveValue('alice');
  expect(screen.getByLabelText('From')).toHaveValue('2026-12-01');
  expect(screen.getByLabelText('To')).toHaveValue('2026-12-05');
  expect(
    screen.getByRole('button', { name: `Remove filter: Touched ${TOUCHED}` }),
  ).toBeInTheDocument();
});

test('State, User, From and To filter on the server and go back to the first page', async () => {
  const user = userEvent.setup();
  const queries = serveFiltered(() => [summary()]);
  render(<HistoryWithUrl />, { route: '/history?page=2' });
  await screen.findByRole('link', { name: `Open batch ${FIRST}` });
  expect(queries.at(-1)?.get('offset')).toBe('50');

  await user.selectOptions(screen.getByRole('combobox', { name: 'State' }), 'Interrupted');
  await expect.poll(() => queries.at(-1)?.get('state'), { timeout: 5000 }).toBe('interrupted');
  expect(queries.at(-1)?.get('offset')).toBe('0');
  expect(urlQuery().get('state')).toBe('interrupted');
  expect(urlQuery().has('page')).toBe(false);

  await user.type(screen.getByRole('textbox', { name: 'User' }), 'bob');
  await expect.poll(() => queries.at(-1)?.get('user'), { timeout: 5000 }).toBe('bob');
  expect(queries.at(-1)?.get('state')).toBe('interrupted');

  fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-30' } });
  fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-12-02' } });
  await expect
    .poll(() => queries.at(-1)?.get('to'), { timeout: 5000 })
    .toBe(localDayBound('2026-12-02', 'to'));
  expect(queries.at(-1)?.get('from')).toBe(localDayBound('2026-11-30', 'from'));
  expect(urlQuery().get('from')).toBe('2026-11-30');
  expect(urlQuery().get('to')).toBe('2026-12-02');
});

test('"Clear filters" empties every filter and the URL, and lists everything again', async () => {
  const user = userEvent.setup();
  const queries = serveFiltered((p) => (p.get('q') || p.get('touches') ? [] : [summary()]));
  render(<HistoryWithUrl />, {
    route: `/history?q=nothing&user=bob&state=done&from=2026-12-01&touches=${TOUCHED}`,
  });
  expect(await screen.findByText('No batches match these filters')).toBeInTheDocument();

  await user.click(screen.getByRole('button', { name: 'Clear filters' }));
  await screen.findByRole('link', { name: `Open batch ${FIRST}` });
  expect([...(queries.at(-1)?.keys() ?? [])].sort()).toEqual(['limit', 'offset']);
  expect(urlQuery().toString()).toBe('');
  expect(screen.getByRole('textbox', { name: 'Search history' })).toHaveValue('');
  expect(screen.getByRole('textbox', { name: 'User' })).toHaveValue('');
  expect(screen.getByRole('combobox', { name: 'State' })).toHaveValue('');
  expect(screen.getByLabelText('From')).toHaveValue('');
  expect(screen.queryByText(`Touched ${TOUCHED}`)).not.toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Clear filters' })).toBeDisabled();
});

test('a "touched" filter from a link can be removed on its own', async () => {
  const user = userEvent.setup();
  const queries = serveFiltered(() => [summary()]);
  render(<HistoryWithUrl />, { route: `/history?touches=${TOUCHED}&state=done` });
  await screen.findByRole('link', { name: `Open batch ${FIRST}` });
  expect(queries.at(-1)?.get('touches')).toBe(TOUCHED);

  await user.click(screen.getByRole('button', { name: `Remove filter: Touched ${TOUCHED}` }));
  await expect.poll(() => queries.at(-1)?.has('touches'), { timeout: 5000 }).toBe(false);
  expect(queries.at(-1)?.get('state')).toBe('done');
  expect(urlQuery().has('touches')).toBe(false);
});

test('a filter the server refuses is shown with its reason', async () => {
  server.use(
    http.get('/api/batches', () =>
      HttpResponse.json(
        { code: 'INVALID_QUERY', message: 'from: an ISO date (2026-12-05)', field: 'from' },
        { status: 400 },
      ),
    ),
  );
  render(<HistoryPage />, { route: '/history?from=yesterday' });
  expect(await screen.findByText(/from: an ISO date/)).toBeInTheDocument();
});

test('rows name the workspace and the subjects (one id-in read for the page) and say when, year first and how long ago', async () => {
  const MOVE = '66666666-7777-4888-8999-aaaaaaaaaaaa';
  const source = 'incident00000000000000000000000001';
  const destination = 'incident00000000000000000000000002';
  const created = new Date(Date.now() - 3 * 3600_000);
  serveList([
    summary({
      id: MOVE,
      kind: 'move',
      data_object_id: source,
      destination_id: destination,
      created_at: created.toISOString(),
    }),
    summary({ data_object_id: source }),
  ]);
  const searched = serveNames({
    workspaces: { [summary().workspace_id]: 'SOC Operations' },
    titles: {
      [source]: 'INC-2026-00091: Phishing campaign',
      [destination]: 'INC-2026-00092: Triage',
    },
  });
  render(<HistoryPage />);
  const moveRow = (await screen.findByRole('link', { name: `Open move ${MOVE}` })).closest(
    'tr',
  ) as HTMLElement;
  expect(
    await within(moveRow).findByRole('link', { name: 'INC-2026-00091: Phishing campaign' }),
  ).toHaveAttribute('href', `/objects/incidents/${source}`);
  expect(within(moveRow).getByRole('link', { name: 'INC-2026-00092: Triage' })).toHaveAttribute(
    'title',
    destination,
  );
  expect(await within(moveRow).findByText('SOC Operations')).toHaveAttribute(
    'title',
    summary().workspace_id,
  );
  const time = within(moveRow).getByText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, { selector: 'time' });
  expect(time).toHaveAttribute('datetime', created.toISOString());
  expect(within(moveRow).getByText('3 hours ago')).toBeInTheDocument();
  // Both rows' subjects in one read.
  expect(searched).toEqual([[source, destination]]);
});

test('in Chinese the page, its filters and its table read in Chinese', async () => {
  inChinese();
  serveList([summary({ user: 'bob', reason: 'phishing wave' })]);
  render(<HistoryPage />, { route: `/history?touches=${FIRST}` });
  expect(await screen.findByRole('heading', { name: '历史' })).toBeInTheDocument();
  expect(screen.getByRole('search', { name: '筛选历史' })).toBeInTheDocument();
  expect(screen.getByRole('textbox', { name: '搜索历史' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: `移除筛选：涉及 ${FIRST}` })).toBeInTheDocument();
  const table = await screen.findByRole('table', { name: '批次' });
  await within(table).findByText('bob');
  for (const header of ['时间', '主对象', '成功', '无变化', '状态', '原因'])
    expect(within(table).getByRole('columnheader', { name: header })).toBeInTheDocument();
  expect(screen.getByRole('status')).toHaveTextContent('1 个批次符合条件，最新的在前');
  // The analyst's own words (user, reason) are data.
  expect(within(table).getByText('phishing wave').closest('[translate="no"]')).not.toBeNull();
  // The page's own words; the rows' cells (batch links, action, state, names) are src/lib's.
  expect(englishWordsIn(screen.getByRole('search'))).toEqual([]);
  expect(englishWordsIn(within(table).getAllByRole('rowgroup')[0])).toEqual([]);
  expect(englishWordsIn(screen.getByRole('heading', { name: '历史' }).parentElement!)).toEqual([]);
});
