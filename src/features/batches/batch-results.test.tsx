import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test } from 'vitest';
import type { BatchItem, BatchSummary, ItemState } from '../../api/schemas';
import { server, serveNames } from '../../testing/msw';
import { batchSummary, itemCounts } from '../../testing/fixtures';
import { render } from '../../testing/render';
import { BatchResults, RESULTS_ROW_HEIGHT } from './batch-results';

const BATCH_ID = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';
const TOTAL = 100_000;
const relatedId = (n: number) => `alert${String(n).padStart(27, '0')}`;
const stateOf = (n: number): ItemState => (n % 10 === 0 ? 'failed' : 'succeeded');

function summary(): BatchSummary {
  return batchSummary({
    id: BATCH_ID,
    reason: null,
    total: TOTAL,
    counts: itemCounts({ succeeded: TOTAL - TOTAL / 10, failed: TOTAL / 10 }),
  });
}

/** A 100,000-item batch generated on demand (only the requested page is built). */
function serveLargeBatch() {
  const queries: URLSearchParams[] = [];
  serveNames();
  server.use(
    http.get('/api/batches/:id/items', ({ request }) => {
      const params = new URL(request.url).searchParams;
      queries.push(params);
      const state = params.get('state');
      const offset = Number(params.get('offset'));
      const limit = Number(params.get('limit'));
      const matching = (n: number) => !state || stateOf(n) === state;
      const total = state === 'failed' ? TOTAL / 10 : TOTAL;
      const items: BatchItem[] = [];
      if (state === 'failed') {
        for (let k = offset; k < Math.min(total, offset + limit); k++) {
          const n = k * 10;
          items.push({
            id: relatedId(n),
            state: 'failed',
            code: 'X',
            message: 'no',
            request_id: null,
            attempts: 1,
          });
        }
      } else {
        for (let n = offset; n < Math.min(TOTAL, offset + limit); n++) {
          if (matching(n))
            items.push({
              id: relatedId(n),
              state: stateOf(n),
              code: null,
              message: null,
              request_id: null,
              attempts: 1,
            });
        }
      }
      return HttpResponse.json({ items, total, offset, limit });
    }),
  );
  return queries;
}

test('a virtualized table sets aria-rowcount to the total (plus the header row)', async () => {
  const queries = serveLargeBatch();
  render(<BatchResults batch={summary()} />);
  const table = await screen.findByRole('table', { name: 'Batch items' });
  await within(table).findByText(relatedId(0));
  expect(table).toHaveAttribute('aria-rowcount', String(TOTAL + 1));
  // Only the rows in view are in the DOM, each with its position in the whole table.
  const rows = within(table).getAllByRole('row');
  expect(rows.length).toBeLessThan(60);
  expect(rows[0]).toHaveAttribute('aria-rowindex', '1');
  expect(rows[1]).toHaveAttribute('aria-rowindex', '2');
  expect(within(rows[1] as HTMLElement).getByText('Failed')).toBeInTheDocument();
  expect(screen.getByText('100,000 IDs')).toBeInTheDocument();
  // One page of 200 was read, not the whole batch.
  expect(queries.map((p) => [p.get('offset'), p.get('limit')])).toEqual([['0', '200']]);
});

test('scrolling down reads the page in view and shows its rows', async () => {
  const queries = serveLargeBatch();
  render(<BatchResults batch={summary()} />);
  const table = await screen.findByRole('table', { name: 'Batch items' });
  await within(table).findByText(relatedId(0));

  const scroller = screen.getByTestId('batch-results-scroll');
  const target = 50_000;
  Object.defineProperty(scroller, 'scrollTop', {
    configurable: true,
    writable: true,
    value: target * RESULTS_ROW_HEIGHT,
  });
  fireEvent.scroll(scroller);

  const row = (await within(table).findByText(relatedId(target))).closest('tr') as HTMLElement;
  expect(row).toHaveAttribute('aria-rowindex', String(target + 2));
  expect(queries.some((p) => p.get('offset') === String(250 * 200))).toBe(true);
  expect(within(table).queryByText(relatedId(0))).not.toBeInTheDocument();
  expect(table).toHaveAttribute('aria-rowcount', String(TOTAL + 1));
});

test('a filter reads its first page from the server and sets aria-rowcount to its total', async () => {
  const user = userEvent.setup();
  const queries = serveLargeBatch();
  render(<BatchResults batch={summary()} />);
  const table = await screen.findByRole('table', { name: 'Batch items' });
  await within(table).findByText(relatedId(1));

  await user.click(
    within(screen.getByRole('radiogroup', { name: 'Filter by state' })).getByRole('radio', {
      name: /^Failed/,
    }),
  );

  await waitFor(() => expect(within(table).queryByText(relatedId(1))).not.toBeInTheDocument());
  expect(within(table).getByText(relatedId(10))).toBeInTheDocument();
  expect(table).toHaveAttribute('aria-rowcount', String(TOTAL / 10 + 1));
  expect(screen.getByText('10,000 matching IDs')).toBeInTheDocument();
  expect(queries.at(-1)?.get('state')).toBe('failed');
  expect(queries.at(-1)?.get('offset')).toBe('0');
});

test('a per-ID message with a right-to-left override is shown with the override visible, never obeyed', async () => {
  serveNames();
  server.use(
    http.get('/api/batches/:id/items', () =>
      HttpResponse.json({
        items: [
          {
            id: relatedId(1),
            state: 'failed',
            code: 'REJECTED',
            message: 'rejected: file\u202egpj.exe',
            request_id: null,
            attempts: 1,
          },
        ],
        total: 1,
        offset: 0,
        limit: 100,
      }),
    ),
  );
  render(
    <BatchResults
      batch={batchSummary({ id: BATCH_ID, total: 1, counts: itemCounts({ failed: 1 }) })}
    />,
  );
  const table = await screen.findByRole('table', { name: 'Batch items' });
  const cell = await within(table).findByText('rejected: file[U+202E]gpj.exe');
  expect(cell).toHaveAttribute('title', 'rejected: file[U+202E]gpj.exe');
  expect(table.textContent).not.toContain('\u202e');
});

test('the Title column reads the titles of the rows in view, 100 IDs per read, once per block', async () => {
  serveLargeBatch();
  const searched = serveNames({
    titles: {
      [relatedId(0)]: 'INC-2026-00091: Phishing campaign',
      [relatedId(50_001)]: 'Brute force on \u202eadmin',
    },
  });
  render(<BatchResults batch={summary()} />);
  const table = await screen.findByRole('table', { name: 'Batch items' });
  expect(within(table).getByRole('columnheader', { name: 'Title' })).toBeInTheDocument();
  const first = (await within(table).findByText('INC-2026-00091: Phishing campaign')).closest('tr');
  expect(within(first as HTMLElement).getByText(relatedId(0))).toBeInTheDocument();
  // A row the read did not find says so instead of waiting forever.
  const second = within(table).getByText(relatedId(1)).closest('tr') as HTMLElement;
  expect(within(second).getByText('—')).toHaveAttribute(
    'title',
    'No title: not found in this workspace',
  );
  // One read: the first block of 100 rows, by position.
  expect(searched).toEqual([Array.from({ length: 100 }, (_, i) => relatedId(i))]);

  const scroller = screen.getByTestId('batch-results-scroll');
  const scrollTo = (row: number) => {
    Object.defineProperty(scroller, 'scrollTop', {
      configurable: true,
      writable: true,
      value: row * RESULTS_ROW_HEIGHT,
    });
    fireEvent.scroll(scroller);
  };
  scrollTo(50_000);
  // Bidi controls in a title are shown, never obeyed.
  await within(table).findByText('Brute force on [U+202E]admin');
  expect(searched.every((ids) => ids.length <= 100)).toBe(true);
  expect(searched.slice(1).flat()).toContain(relatedId(50_001));
  const reads = searched.length;

  // Back at the top: the first block comes from the cache.
  scrollTo(0);
  await within(table).findByText('INC-2026-00091: Phishing campaign');
  expect(searched).toHaveLength(reads);
});
