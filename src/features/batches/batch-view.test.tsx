import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { afterEach, expect, test, vi } from 'vitest';
import type { BatchItem, BatchSummary, ItemState } from '../../api/schemas';
import { server, serveBatch as serveBatchWith, serveNames } from '../../testing/msw';
import { batchSummary, itemCounts } from '../../testing/fixtures';
import { render } from '../../testing/render';
import { BatchView } from './batch-view';
import { englishWordsIn, inChinese } from '../../testing/i18n';

const BATCH_ID = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';
const NEW_BATCH_ID = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

const relatedId = (n: number) => `alert${String(n).padStart(27, '0')}`;

function summary(over: Partial<BatchSummary> = {}): BatchSummary {
  return batchSummary({ id: BATCH_ID, ...over });
}

function item(n: number, state: ItemState): BatchItem {
  return {
    id: relatedId(n),
    state,
    code: state === 'failed' ? 'SecMaster.20030005' : null,
    message: state === 'failed' ? 'SecMaster rejected this ID (no reason given)' : null,
    request_id: `req-${n}`,
    attempts: 1,
  };
}

const defaultItems: BatchItem[] = [
  item(1, 'succeeded'),
  item(2, 'succeeded'),
  item(3, 'succeeded'),
  item(4, 'failed'),
  item(5, 'failed'),
  item(6, 'unknown'),
];

/** Serves the batch and its items (the default six unless given); records item queries. */
function serveBatch(batch: BatchSummary, items: BatchItem[] = defaultItems) {
  return serveBatchWith(batch, items);
}

function renderView(onBatchCreated = vi.fn()) {
  render(<BatchView batchId={BATCH_ID} onBatchCreated={onBatchCreated} />);
  return { onBatchCreated };
}

afterEach(() => {
  vi.restoreAllMocks();
});

test('shows the count per state as badges', async () => {
  serveBatch(summary());
  renderView();
  const results = await screen.findByRole('region', { name: 'Batch results' });
  const counts = within(results).getByRole('list', { name: 'Counts per state' });
  expect(within(counts).getByText('Succeeded 3')).toBeInTheDocument();
  expect(within(counts).getByText('Failed 2')).toBeInTheDocument();
  expect(within(counts).getByText('Unknown 1')).toBeInTheDocument();
  expect(within(counts).getByText('Invalid 0')).toBeInTheDocument();
});

test('the table rows show each ID and its state word', async () => {
  serveBatch(summary());
  renderView();
  const table = await screen.findByRole('table', { name: 'Batch items' });
  const row = (await within(table).findByText(relatedId(4))).closest('tr');
  expect(row).not.toBeNull();
  expect(within(row as HTMLElement).getByText('Failed')).toBeInTheDocument();
  const unknownRow = within(table).getByText(relatedId(6)).closest('tr') as HTMLElement;
  expect(within(unknownRow).getByText('Unknown')).toBeInTheDocument();
  expect(within(table).getAllByRole('row')).toHaveLength(7);
});

test('filtering by state asks the server for that state and shows those rows', async () => {
  const user = userEvent.setup();
  const itemQueries = serveBatch(summary());
  renderView();
  const table = await screen.findByRole('table', { name: 'Batch items' });
  await within(table).findByText(relatedId(1));

  const filter = screen.getByRole('radiogroup', { name: 'Filter by state' });
  await user.click(within(filter).getByRole('radio', { name: 'Failed' }));

  await waitFor(() => expect(within(table).queryByText(relatedId(1))).not.toBeInTheDocument());
  expect(within(table).getByText(relatedId(4))).toBeInTheDocument();
  expect(within(table).getByText(relatedId(5))).toBeInTheDocument();
  expect(itemQueries.some((p) => p.get('state') === 'failed')).toBe(true);
});

test('searching sends q= to the server', async () => {
  const user = userEvent.setup();
  const itemQueries = serveBatch(summary());
  renderView();
  const table = await screen.findByRole('table', { name: 'Batch items' });
  await within(table).findByText(relatedId(1));

  await user.type(screen.getByRole('textbox', { name: 'Search IDs' }), '0005');

  await waitFor(() => expect(within(table).queryByText(relatedId(1))).not.toBeInTheDocument());
  expect(within(table).getByText(relatedId(5))).toBeInTheDocument();
  expect(itemQueries.some((p) => p.get('q') === '0005')).toBe(true);
});

test('"Retry failed" is disabled when nothing failed', async () => {
  serveBatch(
    summary({
      counts: itemCounts({ succeeded: 6 }),
    }),
  );
  renderView();
  expect(await screen.findByRole('button', { name: 'Retry failed' })).toBeDisabled();
  expect(screen.getByRole('button', { name: 'Copy failed IDs' })).toBeDisabled();
});

test('"Copy failed IDs" copies them one per line and says how many', async () => {
  const user = userEvent.setup();
  const writeText = vi.fn<(text: string) => Promise<void>>().mockResolvedValue(undefined);
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  serveBatch(summary());
  renderView();

  await user.click(await screen.findByRole('button', { name: 'Copy failed IDs' }));

  expect(await screen.findByText('Copied 2 IDs')).toBeInTheDocument();
  expect(writeText).toHaveBeenCalledWith(`${relatedId(4)}\n${relatedId(5)}`);
});

test('the copy button of a row copies its ID', async () => {
  const user = userEvent.setup();
  const writeText = vi.fn<(text: string) => Promise<void>>().mockResolvedValue(undefined);
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  serveBatch(summary());
  renderView();

  await user.click(await screen.findByRole('button', { name: `Copy ID ${relatedId(2)}` }));

  expect(writeText).toHaveBeenCalledWith(relatedId(2));
});

test('"Export CSV" and "Export JSON" download the server\'s streamed export', async () => {
  serveBatch(summary());
  renderView();
  const csv = await screen.findByRole('button', { name: 'Export CSV' });
  expect(csv).toHaveAttribute('href', `/api/batches/${BATCH_ID}/export?format=csv`);
  expect(csv).toHaveAttribute('download', `batch-${BATCH_ID}.csv`);
  const json = screen.getByRole('button', { name: 'Export JSON' });
  expect(json).toHaveAttribute('href', `/api/batches/${BATCH_ID}/export?format=json`);
});

test('a running batch shows the progressbar "Batch progress" with counts', async () => {
  serveBatch(
    summary({
      state: 'running',
      finished_at: null,
      total: 10,
      counts: itemCounts({ pending: 4, in_flight: 1, succeeded: 3, failed: 2 }),
    }),
  );
  renderView();
  const bar = await screen.findByRole('progressbar', { name: 'Batch progress' });
  expect(bar).toHaveAttribute('aria-valuenow', '50');
  expect(screen.getByText('5 of 10 IDs')).toBeInTheDocument();
});

test('at 0 % the progressbar is the whole track, not an empty section', async () => {
  serveBatch(
    summary({
      state: 'paused',
      finished_at: null,
      total: 10,
      counts: itemCounts({ pending: 10 }),
    }),
  );
  renderView();
  const bar = await screen.findByRole('progressbar', { name: 'Batch progress' });
  expect(bar).toHaveAttribute('aria-valuenow', '0');
  expect(bar).toHaveAttribute('aria-valuetext', '0%');
  // The filled section inside carries no role of its own, so there is exactly one bar.
  expect(screen.getAllByRole('progressbar')).toHaveLength(1);
  expect(bar.firstElementChild).not.toBeNull();
  expect(bar.firstElementChild).not.toHaveAttribute('role');
});

test('a finished batch shows no progressbar', async () => {
  serveBatch(summary());
  renderView();
  await screen.findByRole('region', { name: 'Batch results' });
  expect(screen.queryByRole('progressbar', { name: 'Batch progress' })).not.toBeInTheDocument();
});

test('a retry links to the batch it retries', async () => {
  const original = 'aaaaaaaa-2d6b-4f0e-9a51-6f1c2a9e8d10';
  serveBatch(summary({ retry_of: original }));
  renderView();
  const link = await screen.findByRole('link', { name: 'retry of aaaaaaaa' });
  expect(link).toHaveAttribute('href', `/batches/${original}`);
});

test('an unknown batch shows "Batch not found"', async () => {
  server.use(
    http.get('/api/batches/:id', () =>
      HttpResponse.json({ code: 'NOT_FOUND', message: 'No such batch' }, { status: 404 }),
    ),
  );
  renderView();
  expect(await screen.findByText('Batch not found')).toBeInTheDocument();
});

test('a server error is shown readably', async () => {
  server.use(
    http.get('/api/batches/:id', () =>
      HttpResponse.json(
        { code: 'INTERNAL', message: 'The ledger is unavailable' },
        { status: 500 },
      ),
    ),
  );
  renderView();
  expect(await screen.findByText(/The ledger is unavailable/)).toBeInTheDocument();
});

test('follows a running batch until it settles, then refreshes the table', async () => {
  const running = summary({
    state: 'running',
    finished_at: null,
    counts: itemCounts({ pending: 6 }),
  });
  const pendingItems = defaultItems.map((i): BatchItem => ({ ...i, state: 'pending' }));
  let polls = 0;
  server.use(
    // The second read of the summary finds the batch done.
    http.get('/api/batches/:id', () => {
      polls += 1;
      return HttpResponse.json(polls >= 2 ? summary() : running);
    }),
    http.get('/api/batches/:id/items', () => {
      const items = polls >= 2 ? defaultItems : pendingItems;
      return HttpResponse.json({ items, total: items.length, offset: 0, limit: 100 });
    }),
  );
  renderView();

  expect(await screen.findByRole('progressbar', { name: 'Batch progress' })).toBeInTheDocument();
  await waitFor(() =>
    expect(screen.queryByRole('progressbar', { name: 'Batch progress' })).not.toBeInTheDocument(),
  );
  const table = screen.getByRole('table', { name: 'Batch items' });
  const row = within(table).getByText(relatedId(4)).closest('tr') as HTMLElement;
  expect(await within(row).findByText('Failed')).toBeInTheDocument();
});

test('an interrupted batch says why', async () => {
  serveBatch(summary({ state: 'interrupted', state_reason: 'Authentication failed (APIG.0301)' }));
  renderView();
  expect(await screen.findByText('Interrupted')).toBeInTheDocument();
  expect(screen.getByText('Authentication failed (APIG.0301)')).toBeInTheDocument();
});

const running = (over: Partial<BatchSummary> = {}) =>
  summary({
    state: 'running',
    finished_at: null,
    total: 10,
    counts: itemCounts({ pending: 5, succeeded: 5 }),
    ...over,
  });

/** Answers POST /api/batches/:id/{control}; records which controls were sent. */
function serveControl(answer: (control: string) => Response) {
  const sent: string[] = [];
  server.use(
    http.post('/api/batches/:id/:control', ({ params }) => {
      const control = String(params.control);
      sent.push(control);
      return answer(control);
    }),
  );
  return sent;
}

test('"Pause batch" pauses a running batch; then "Resume batch" is offered', async () => {
  const user = userEvent.setup();
  serveBatch(running());
  const sent = serveControl(() => {
    const paused = running({ state: 'paused' });
    serveBatch(paused);
    return HttpResponse.json(paused);
  });
  renderView();
  expect(screen.queryByRole('button', { name: 'Resume batch' })).not.toBeInTheDocument();

  await user.click(await screen.findByRole('button', { name: 'Pause batch' }));

  expect(await screen.findByRole('button', { name: 'Resume batch' })).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Pause batch' })).not.toBeInTheDocument();
  expect(screen.getByText('Paused', { selector: 'p' })).toBeInTheDocument();
  expect(sent).toEqual(['pause']);
});

test('"Resume batch" resumes a paused batch', async () => {
  const user = userEvent.setup();
  serveBatch(running({ state: 'paused' }));
  const sent = serveControl(() => {
    serveBatch(running());
    return HttpResponse.json(running());
  });
  renderView();

  await user.click(await screen.findByRole('button', { name: 'Resume batch' }));

  expect(await screen.findByRole('button', { name: 'Pause batch' })).toBeInTheDocument();
  expect(sent).toEqual(['resume']);
});

test('an interrupted batch can be resumed or stopped', async () => {
  serveBatch(running({ state: 'interrupted', state_reason: 'APIG.0301' }));
  renderView();
  expect(await screen.findByRole('button', { name: 'Resume batch' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Stop batch' })).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Pause batch' })).not.toBeInTheDocument();
});

test('a finished batch offers no pause, resume or stop', async () => {
  serveBatch(summary());
  renderView();
  await screen.findByRole('region', { name: 'Batch results' });
  for (const name of ['Pause batch', 'Resume batch', 'Stop batch'])
    expect(screen.queryByRole('button', { name })).not.toBeInTheDocument();
});

test('"Stop batch" asks first; Back sends nothing; confirming stops it', async () => {
  const user = userEvent.setup();
  serveBatch(running());
  const stopped = running({
    state: 'cancelled',
    finished_at: '2025-01-01T10:00:09.000Z',
    counts: { ...running().counts, pending: 0, skipped: 5 },
  });
  const sent = serveControl(() => {
    serveBatch(stopped);
    return HttpResponse.json(stopped);
  });
  renderView();

  await user.click(await screen.findByRole('button', { name: 'Stop batch' }));
  const dialog = await screen.findByRole('dialog');
  expect(within(dialog).getByText(/5 IDs not sent yet will be marked Skipped/)).toBeInTheDocument();
  await user.click(within(dialog).getByRole('button', { name: 'Back' }));
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  expect(sent).toEqual([]);

  await user.click(screen.getByRole('button', { name: 'Stop batch' }));
  await user.click(
    within(await screen.findByRole('dialog')).getByRole('button', { name: 'Confirm stop' }),
  );

  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  expect(sent).toEqual(['stop']);
  expect(await screen.findByText('Stopped')).toBeInTheDocument();
  expect(screen.queryByText('Cancelled')).not.toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Stop batch' })).not.toBeInTheDocument();
});

test("a refused control shows the server's reason", async () => {
  const user = userEvent.setup();
  serveBatch(running());
  serveControl(() =>
    HttpResponse.json(
      { code: 'INVALID_STATE', message: 'a done batch cannot be paused' },
      { status: 409 },
    ),
  );
  renderView();
  await user.click(await screen.findByRole('button', { name: 'Pause batch' }));
  expect(await screen.findByText(/a done batch cannot be paused/)).toBeInTheDocument();
});

function servePreview(preview: { ids: number; changed: string[] }) {
  server.use(
    http.get('/api/batches/:id/undo-preview', () =>
      HttpResponse.json({ ...preview, checked_at: '2025-01-01T11:00:00.000Z' }),
    ),
  );
}

test('"Undo batch" previews, then creates the inverse batch with an Idempotency-Key', async () => {
  const user = userEvent.setup();
  serveBatch(summary());
  servePreview({ ids: 3, changed: [] });
  const undoCalls: { key: string | null; body: unknown }[] = [];
  server.use(
    http.post('/api/batches/:id/undo', async ({ request, params }) => {
      expect(params.id).toBe(BATCH_ID);
      undoCalls.push({ key: request.headers.get('idempotency-key'), body: await request.json() });
      return HttpResponse.json(
        summary({ id: NEW_BATCH_ID, action: 'cancel', state: 'running', undo_of: BATCH_ID }),
        { status: 201 },
      );
    }),
  );
  const { onBatchCreated } = renderView();

  await user.click(await screen.findByRole('button', { name: 'Undo batch' }));
  const dialog = await screen.findByRole('dialog');
  expect(await within(dialog).findByText('3 IDs will be cancelled')).toBeInTheDocument();
  expect(within(dialog).queryByText(/changed since/)).not.toBeInTheDocument();
  await user.click(within(dialog).getByRole('button', { name: 'Confirm undo' }));

  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(NEW_BATCH_ID));
  expect(undoCalls).toHaveLength(1);
  expect(undoCalls[0]?.key).toMatch(/^[A-Za-z0-9_\-:.]{1,200}$/);
  expect(undoCalls[0]?.body).toEqual({});
});

test('the undo dialog warns about IDs whose link changed since the batch', async () => {
  const user = userEvent.setup();
  serveBatch(summary());
  servePreview({ ids: 3, changed: [relatedId(2)] });
  renderView();

  await user.click(await screen.findByRole('button', { name: 'Undo batch' }));
  const dialog = await screen.findByRole('dialog');
  expect(await within(dialog).findByText('1 ID has changed since this batch')).toBeInTheDocument();
  // The changed ID is recorded No change by the undo without being sent: it is not reverted.
  expect(within(dialog).getByText('2 IDs will be cancelled')).toBeInTheDocument();
  expect(within(dialog).queryByText('3 IDs will be cancelled')).not.toBeInTheDocument();
  const list = within(dialog).getByRole('list', { name: 'Changed IDs' });
  expect(within(list).getByText(relatedId(2))).toBeInTheDocument();
  await user.click(within(dialog).getByRole('button', { name: 'Back' }));
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
});

test('undoing a cancel batch associates its IDs again', async () => {
  const user = userEvent.setup();
  serveBatch(summary({ action: 'cancel' }));
  servePreview({ ids: 3, changed: [] });
  renderView();
  await user.click(await screen.findByRole('button', { name: 'Undo batch' }));
  expect(
    await within(await screen.findByRole('dialog')).findByText('3 IDs will be associated'),
  ).toBeInTheDocument();
});

test('"Undo batch" is disabled while the batch runs', async () => {
  serveBatch(running());
  renderView();
  expect(await screen.findByRole('button', { name: 'Undo batch' })).toBeDisabled();
});

test('an undo links to the batch it undoes', async () => {
  const original = 'aaaaaaaa-2d6b-4f0e-9a51-6f1c2a9e8d10';
  serveBatch(summary({ undo_of: original }));
  renderView();
  const link = await screen.findByRole('link', { name: 'Undo of aaaaaaaa' });
  expect(link).toHaveAttribute('href', `/batches/${original}`);
});

test('a batch already undone links to its undo, and "Undo batch" says why it is off', async () => {
  const undo = 'bbbbbbbb-2d6b-4f0e-9a51-6f1c2a9e8d10';
  serveBatch(summary({ undone_by: undo }));
  renderView();
  const link = await screen.findByRole('link', { name: 'Undone by bbbbbbbb' });
  expect(link).toHaveAttribute('href', `/batches/${undo}`);
  const button = screen.getByRole('button', { name: 'Undo batch' });
  expect(button).toBeDisabled();
  expect(button).toHaveAttribute(
    'title',
    'Already undone by batch bbbbbbbb: a batch is undone once',
  );
});

test('stored markup in a reason or an ID is shown as text, never run', async () => {
  const markup = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  serveBatch(summary({ reason: markup }));
  renderView();
  expect(await screen.findByText(markup)).toBeInTheDocument();
  expect(document.querySelector('img[src="x"]')).toBeNull();
  expect(document.querySelector('main script, [role="region"] script')).toBeNull();
  expect((window as unknown as { __xss?: number }).__xss).toBeUndefined();
});

test('the header says who ran the batch and where its credential came from', async () => {
  serveBatch(summary({ user: 'alice', credential_source: 'session:alice' }));
  renderView();
  const credential = await screen.findByText('IAM sign-in of');
  expect(credential).toHaveTextContent('Credential: IAM sign-in of alice');
  // The user's name is data, in an element of its own marked so (and once more as who ran it).
  expect(within(credential).getByText('alice')).toHaveAttribute('translate', 'no');
  expect(screen.getAllByText('alice')).toHaveLength(2);
});

function unchangedItem(n: number): BatchItem {
  return {
    id: relatedId(n),
    state: 'unchanged',
    code: 'ALREADY_LINKED',
    message: 'already linked',
    request_id: null,
    attempts: 0,
  };
}

test('"No change": a badge, a filter and the rows with their message', async () => {
  const user = userEvent.setup();
  const itemQueries = serveBatch(
    summary({
      total: 8,
      counts: itemCounts({ succeeded: 3, unchanged: 2, failed: 2, unknown: 1 }),
    }),
    [...defaultItems, unchangedItem(7), unchangedItem(8)],
  );
  renderView();
  const results = await screen.findByRole('region', { name: 'Batch results' });
  const counts = within(results).getByRole('list', { name: 'Counts per state' });
  expect(within(counts).getByText('No change 2')).toBeInTheDocument();
  expect(within(counts).getByText('Succeeded 3')).toBeInTheDocument();

  const filter = within(results).getByRole('radiogroup', { name: 'Filter by state' });
  await user.click(within(filter).getByRole('radio', { name: 'No change' }));

  const table = within(results).getByRole('table', { name: 'Batch items' });
  await waitFor(() => expect(within(table).queryByText(relatedId(1))).not.toBeInTheDocument());
  const row = within(table).getByText(relatedId(7)).closest('tr') as HTMLElement;
  expect(within(row).getByText('No change')).toBeInTheDocument();
  expect(within(row).getByText('already linked')).toBeInTheDocument();
  expect(within(row).getByText('ALREADY_LINKED')).toBeInTheDocument();
  expect(itemQueries.at(-1)?.get('state')).toBe('unchanged');
});

test('a batch recorded before changes were tracked says what Succeeded may hold', async () => {
  serveBatch(summary({ changes_recorded: false }));
  renderView();
  expect(
    await screen.findByText(/Succeeded may include IDs that were already linked before this batch/),
  ).toBeInTheDocument();
});

test('a tracked batch shows no such note', async () => {
  serveBatch(summary());
  renderView();
  await screen.findByRole('region', { name: 'Batch results' });
  expect(screen.queryByText(/Succeeded may include/)).not.toBeInTheDocument();
});

const stoppedBatch = () =>
  summary({
    state: 'cancelled',
    total: 10,
    counts: itemCounts({ succeeded: 6, failed: 1, skipped: 3 }),
  });
const stoppedItems = (): BatchItem[] => [
  ...defaultItems.slice(0, 3),
  item(4, 'failed'),
  item(7, 'skipped'),
  item(8, 'skipped'),
  item(9, 'skipped'),
];

test('a stopped batch reads "Stopped" and points to Retry failed for its skipped IDs', async () => {
  serveBatch(stoppedBatch(), stoppedItems());
  renderView();
  expect(await screen.findByText('Stopped')).toBeInTheDocument();
  expect(screen.queryByText('Cancelled')).not.toBeInTheDocument();
  expect(screen.getByText(/Stopped before 3 IDs were sent \(Skipped\)/)).toHaveTextContent(
    '“Retry failed” sends them as a new batch',
  );
  expect(screen.getByRole('button', { name: 'Retry failed' })).toBeEnabled();
});

test('"Copy skipped IDs" copies the skipped IDs read from the server', async () => {
  const user = userEvent.setup();
  const writeText = vi.fn<(text: string) => Promise<void>>().mockResolvedValue(undefined);
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  const itemQueries = serveBatch(stoppedBatch(), stoppedItems());
  renderView();

  await user.click(await screen.findByRole('button', { name: 'Copy skipped IDs' }));

  expect(await screen.findByText('Copied 3 IDs')).toBeInTheDocument();
  expect(writeText).toHaveBeenCalledWith([7, 8, 9].map(relatedId).join('\n'));
  expect(itemQueries.some((p) => p.get('state') === 'skipped')).toBe(true);
});

test('"Copy skipped IDs" is offered only when IDs were skipped', async () => {
  serveBatch(summary());
  renderView();
  await screen.findByRole('button', { name: 'Copy failed IDs' });
  expect(screen.queryByRole('button', { name: 'Copy skipped IDs' })).not.toBeInTheDocument();
});

test('the undo dialog counts the IDs the batch left unchanged', async () => {
  const user = userEvent.setup();
  serveBatch(summary({ counts: itemCounts({ succeeded: 3, unchanged: 4 }) }));
  server.use(
    http.get('/api/batches/:id/undo-preview', () =>
      HttpResponse.json({
        ids: 3,
        unchanged: 4,
        changed: [],
        changes_recorded: true,
        checked_at: '2025-01-01T11:00:00.000Z',
      }),
    ),
  );
  renderView();
  await user.click(await screen.findByRole('button', { name: 'Undo batch' }));
  const dialog = await screen.findByRole('dialog', { name: 'Undo this batch?' });
  expect(await within(dialog).findByText('3 IDs will be cancelled')).toBeInTheDocument();
  expect(
    within(dialog).getByText(
      '4 IDs were already linked before this batch (No change): the undo leaves them as they are.',
    ),
  ).toBeInTheDocument();
  expect(within(dialog).queryByRole('checkbox', { name: 'I understand' })).not.toBeInTheDocument();
  expect(within(dialog).getByRole('button', { name: 'Confirm undo' })).toBeEnabled();
});

test('undoing an old batch warns first and needs "I understand" before it sends', async () => {
  const user = userEvent.setup();
  serveBatch(summary({ changes_recorded: false }));
  server.use(
    http.get('/api/batches/:id/undo-preview', () =>
      HttpResponse.json({
        ids: 3,
        changed: [],
        changes_recorded: false,
        checked_at: '2025-01-01T11:00:00.000Z',
      }),
    ),
  );
  const undoCalls: string[] = [];
  const bodies: unknown[] = [];
  server.use(
    http.post('/api/batches/:id/undo', async ({ request, params }) => {
      undoCalls.push(String(params.id));
      bodies.push(await request.json());
      return HttpResponse.json(
        summary({ id: NEW_BATCH_ID, action: 'cancel', state: 'running', undo_of: BATCH_ID }),
        { status: 201 },
      );
    }),
  );
  const { onBatchCreated } = renderView();
  await user.click(await screen.findByRole('button', { name: 'Undo batch' }));
  const dialog = await screen.findByRole('dialog', { name: 'Undo this batch?' });
  await within(dialog).findByText('3 IDs will be cancelled');

  expect(
    within(dialog).getByText(
      'This batch was recorded before the console kept track of what each batch changed: its 3 succeeded IDs may include links that existed before it, and the undo would remove those too.',
    ),
  ).toBeInTheDocument();
  const confirm = within(dialog).getByRole('button', { name: 'Confirm undo' });
  expect(confirm).toBeDisabled();
  await user.click(confirm);
  expect(undoCalls).toEqual([]);

  await user.click(within(dialog).getByRole('checkbox', { name: 'I understand' }));
  expect(confirm).toBeEnabled();
  await user.click(confirm);

  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(NEW_BATCH_ID));
  expect(undoCalls).toEqual([BATCH_ID]);
  expect(bodies).toEqual([{ include_unrecorded: true }]);
});

test('a 409 CHANGES_NOT_RECORDED shows its message, then the undo is sent with the flag', async () => {
  const user = userEvent.setup();
  serveBatch(summary());
  servePreview({ ids: 3, changed: [] });
  const posts: { body: unknown; key: string | null }[] = [];
  server.use(
    http.post('/api/batches/:id/undo', async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      posts.push({ body, key: request.headers.get('idempotency-key') });
      if (body.include_unrecorded !== true)
        return HttpResponse.json(
          {
            code: 'CHANGES_NOT_RECORDED',
            message: 'this batch predates change tracking: confirm with include_unrecorded',
          },
          { status: 409 },
        );
      return HttpResponse.json(
        summary({ id: NEW_BATCH_ID, action: 'cancel', state: 'running', undo_of: BATCH_ID }),
        { status: 201 },
      );
    }),
  );
  const { onBatchCreated } = renderView();
  await user.click(await screen.findByRole('button', { name: 'Undo batch' }));
  const dialog = await screen.findByRole('dialog', { name: 'Undo this batch?' });
  await within(dialog).findByText('3 IDs will be cancelled');
  const confirm = within(dialog).getByRole('button', { name: 'Confirm undo' });
  await user.click(confirm);

  expect(
    await within(dialog).findByText(
      'this batch predates change tracking: confirm with include_unrecorded',
    ),
  ).toBeInTheDocument();
  expect(onBatchCreated).not.toHaveBeenCalled();
  expect(confirm).toBeDisabled();
  await user.click(within(dialog).getByRole('checkbox', { name: 'I understand' }));
  await user.click(confirm);

  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(NEW_BATCH_ID));
  expect(posts.map((p) => p.body)).toEqual([{}, { include_unrecorded: true }]);
  expect(posts[1]?.key).not.toBe(posts[0]?.key);
});

test('the undo dialog focuses Back first and names its close button', async () => {
  const user = userEvent.setup();
  serveBatch(summary());
  servePreview({ ids: 3, changed: [] });
  renderView();
  await user.click(await screen.findByRole('button', { name: 'Undo batch' }));
  const undo = await screen.findByRole('dialog', { name: 'Undo this batch?' });
  await waitFor(() => expect(within(undo).getByRole('button', { name: 'Back' })).toHaveFocus());
  await user.click(within(undo).getByRole('button', { name: 'Close' }));
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
});

test('the stop dialog focuses Back first, names its close button and points to the retry', async () => {
  const user = userEvent.setup();
  const batch = running();
  serveBatch(batch);
  serveNames({
    workspaces: { [batch.workspace_id]: 'SOC Operations' },
    titles: { [batch.data_object_id]: 'INC-2026-00091: Phishing campaign' },
  });
  renderView();
  await user.click(await screen.findByRole('button', { name: 'Stop batch' }));
  const stop = await screen.findByRole('dialog', { name: 'Stop this batch?' });
  await waitFor(() => expect(within(stop).getByRole('button', { name: 'Back' })).toHaveFocus());
  // The dialog says which batch it stops, by names.
  expect(await within(stop).findByText('INC-2026-00091: Phishing campaign')).toBeInTheDocument();
  expect(await within(stop).findByText('SOC Operations')).toBeInTheDocument();
  expect(within(stop).getByText(/“Retry failed” then sends its skipped IDs/)).toBeInTheDocument();
  await user.click(within(stop).getByRole('button', { name: 'Close' }));
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
});

test('the header names the subject and the workspace, with dates year first', async () => {
  const batch = summary();
  serveBatch(batch);
  serveNames({
    workspaces: { [batch.workspace_id]: 'SOC Operations' },
    titles: { [batch.data_object_id]: 'INC-2026-00091: Phishing campaign' },
  });
  renderView();
  const heading = await screen.findByRole('heading', {
    name: /^Associate Alerts with incident INC-2026-00091: Phishing campaign/,
  });
  const subject = within(heading).getByRole('link', { name: 'INC-2026-00091: Phishing campaign' });
  expect(subject).toHaveAttribute('href', `/objects/incidents/${batch.data_object_id}`);
  expect(subject).toHaveAttribute('title', batch.data_object_id);
  expect(await screen.findByText('SOC Operations')).toHaveAttribute('title', batch.workspace_id);
  const writeText = vi.fn(() => Promise.resolve());
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  await userEvent.click(screen.getByRole('button', { name: 'Copy subject ID' }));
  expect(writeText).toHaveBeenCalledWith(batch.data_object_id);
  // The outcome is said to screen readers too, not only by the glyph and tooltip.
  expect(await screen.findByText('Copied', { selector: '[role="status"]' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Copy workspace ID' })).toBeInTheDocument();
  const times = screen.getAllByText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, { selector: 'time' });
  expect(times.map((t) => t.getAttribute('datetime'))).toEqual([
    batch.created_at,
    batch.finished_at,
  ]);
});

test('while the names are unknown the header shows the IDs themselves', async () => {
  const batch = summary();
  serveBatch(batch);
  renderView();
  expect(await screen.findByRole('link', { name: batch.data_object_id })).toBeInTheDocument();
  expect(screen.getByText(batch.workspace_id)).toBeInTheDocument();
});

test('in Chinese: the batch view, its results table and per-ID messages speak Chinese', async () => {
  const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  serveBatch(summary(), [
    { ...item(1, 'succeeded'), id: uuid(1) },
    { ...item(4, 'failed'), id: uuid(4) },
  ]);
  inChinese();
  renderView();
  const results = await screen.findByRole('region', { name: '批次结果' });
  const table = within(results).getByRole('table', { name: '批次条目' });
  await within(table).findByText(uuid(4));
  expect(within(table).getByRole('columnheader', { name: '尝试次数' })).toBeInTheDocument();
  expect(within(table).getAllByText('失败').length).toBeGreaterThan(0);
  expect(screen.getByRole('radiogroup', { name: '按状态筛选' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: '重试失败项' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: '撤销批次' })).toBeInTheDocument();
  // This area's parts (the header's facts, filters and copy buttons are src/lib's, worded there).
  expect(englishWordsIn(table)).toEqual([]);
  expect(englishWordsIn(screen.getByRole('group', { name: '结果操作' }))).toEqual([]);
  expect(englishWordsIn(screen.getByRole('list', { name: '各状态数量' }))).toEqual([]);
});

test('in Chinese: the undo dialog', async () => {
  const user = userEvent.setup();
  serveBatch(summary());
  servePreview({ ids: 3, changed: [] });
  inChinese();
  renderView();
  await user.click(await screen.findByRole('button', { name: '撤销批次' }));
  const undo = await screen.findByRole('dialog', { name: '撤销此批次？' });
  expect(await within(undo).findByText('将取消 3 个 ID 的关联')).toBeInTheDocument();
  expect(within(undo).getByRole('button', { name: '确认撤销' })).toBeInTheDocument();
  expect(within(undo).getByRole('button', { name: '关闭' })).toBeInTheDocument();
  expect(englishWordsIn(undo)).toEqual([]);
});

test('a paced running batch shows the rate in use against the limit learned', async () => {
  serveBatch(
    summary({
      state: 'running',
      finished_at: null,
      pace: { calls_per_s: 18.94, limit: 20 },
    }),
  );
  renderView();
  expect(
    await screen.findByText('SecMaster writes, all batches: 18.9 of 20 calls/s'),
  ).toBeInTheDocument();
});

test('an unpaced running batch shows no pace line', async () => {
  serveBatch(summary({ state: 'running', finished_at: null, pace: null }));
  renderView();
  await screen.findByRole('region', { name: 'Batch results' });
  expect(screen.queryByText(/calls\/s/)).toBeNull();
});
