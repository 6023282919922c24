import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test } from 'vitest';
import type { BatchSummary } from '../../api/schemas';
import { server } from '../../testing/msw';
import { batchSummary, itemCounts } from '../../testing/fixtures';
import { render } from '../../testing/render';
import { HistoryPage } from './history-page';

const FIRST = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';
const RETRY = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

function summary(over: Partial<BatchSummary> = {}): BatchSummary {
  return batchSummary({ id: FIRST, ...over });
}

function serveList(items: BatchSummary[], total = items.length) {
  const queries: URLSearchParams[] = [];
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
  expect(within(older).getByText('ws000000')).toBeInTheDocument();
  const cells = within(older)
    .getAllByRole('cell')
    .map((c) => c.textContent);
  expect(cells).toEqual(expect.arrayContaining(['3', '2', '1', '0']));
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
