import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test, vi } from 'vitest';
import type { BatchSummary, RetryPreview } from '../../api/schemas';
import { batchSummary, itemCounts } from '../../testing/fixtures';
import { serveBatch, server, serveNames } from '../../testing/msw';
import { render } from '../../testing/render';
import { BatchView } from './batch-view';
import { englishWordsIn, inChinese } from '../../testing/i18n';

const BATCH_ID = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';
const RETRY_ID = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

/** Done: 3 succeeded, 4 failed (of which 2 permanent), 1 unknown, 2 skipped. */
function summary(over: Partial<BatchSummary> = {}): BatchSummary {
  return batchSummary({
    id: BATCH_ID,
    total: 10,
    counts: itemCounts({ succeeded: 3, failed: 4, unknown: 1, skipped: 2 }),
    ...over,
  });
}

const preview: RetryPreview = { failed: 2, unknown: 1, skipped: 2, permanent: 2, ids: 5 };

/** Serves the batch, its retry preview and POST .../retry; records the retry requests. */
function serveRetry(
  batch: BatchSummary,
  answer: () => Response = () =>
    HttpResponse.json(
      summary({ id: RETRY_ID, state: 'running', retry_of: BATCH_ID, finished_at: null }),
      { status: 201 },
    ),
  thePreview: RetryPreview = preview,
) {
  serveBatch(batch, []);
  const posts: { id: string; body: unknown; key: string | null }[] = [];
  server.use(
    http.get('/api/batches/:id/retry-preview', () => HttpResponse.json(thePreview)),
    http.post('/api/batches/:id/retry', async ({ request, params }) => {
      posts.push({
        id: String(params.id),
        body: await request.json(),
        key: request.headers.get('idempotency-key'),
      });
      return answer();
    }),
  );
  return posts;
}

function renderView() {
  const onBatchCreated = vi.fn();
  render(<BatchView batchId={BATCH_ID} onBatchCreated={onBatchCreated} />);
  return { onBatchCreated };
}

async function openRetry() {
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Retry failed' }));
  const dialog = await screen.findByRole('dialog', { name: 'Retry failed IDs' });
  await within(dialog).findByText('The retry includes 5 IDs');
  return { user, dialog };
}

test('the retry dialog says what the retry includes and leaves out', async () => {
  serveRetry(summary());
  renderView();
  const { dialog } = await openRetry();

  const included = within(dialog).getByRole('list', { name: 'Included in the retry' });
  expect(
    within(included).getByText(
      '2 failed for another reason than not found or not an alert (they may pass on a retry)',
    ),
  ).toBeInTheDocument();
  expect(within(included).getByText(/^1 unknown/)).toBeInTheDocument();
  expect(
    within(included).getByText('2 skipped: stopped before they were sent'),
  ).toBeInTheDocument();
  expect(within(dialog).getByText('It leaves out 2 IDs')).toBeInTheDocument();
  const left = within(dialog).getByRole('list', { name: 'Left out of the retry' });
  expect(
    within(left).getByText(/2 permanent failures: not found in this workspace, or not an alert/),
  ).toBeInTheDocument();
  expect(
    within(dialog).getByRole('checkbox', { name: 'Include permanent failures' }),
  ).not.toBeChecked();
  expect(within(dialog).getByRole('button', { name: 'Retry 5 IDs' })).toBeEnabled();
});

test('confirming asks the server for the retry batch and opens it', async () => {
  const posts = serveRetry(summary());
  const { onBatchCreated } = renderView();
  const { user, dialog } = await openRetry();

  await user.click(within(dialog).getByRole('button', { name: 'Retry 5 IDs' }));

  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(RETRY_ID));
  expect(posts).toHaveLength(1);
  expect(posts[0]?.id).toBe(BATCH_ID);
  expect(posts[0]?.body).toEqual({ include_permanent: false });
  expect(posts[0]?.key).toMatch(/^[A-Za-z0-9_\-:.]{1,200}$/);
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
});

test('"Include permanent failures" adds them to the count and to the request', async () => {
  const posts = serveRetry(summary());
  const { onBatchCreated } = renderView();
  const { user, dialog } = await openRetry();

  await user.click(within(dialog).getByRole('checkbox', { name: 'Include permanent failures' }));
  expect(within(dialog).queryByRole('button', { name: 'Retry 5 IDs' })).not.toBeInTheDocument();
  await user.click(within(dialog).getByRole('button', { name: 'Retry 7 IDs' }));

  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(RETRY_ID));
  expect(posts.map((p) => p.body)).toEqual([{ include_permanent: true }]);
});

test('with "Include permanent failures" ticked the headings agree with the button', async () => {
  serveRetry(summary());
  renderView();
  const { user, dialog } = await openRetry();

  await user.click(within(dialog).getByRole('checkbox', { name: 'Include permanent failures' }));

  expect(within(dialog).getByText('The retry includes 7 IDs')).toBeInTheDocument();
  expect(within(dialog).queryByText('The retry includes 5 IDs')).not.toBeInTheDocument();
  const included = within(dialog).getByRole('list', { name: 'Included in the retry' });
  expect(within(included).getByText('2 permanent failures, as asked')).toBeInTheDocument();
  expect(within(dialog).getByText('It leaves out nothing')).toBeInTheDocument();
  expect(within(dialog).queryByText('It leaves out 2 IDs')).not.toBeInTheDocument();
  expect(
    within(dialog).queryByRole('list', { name: 'Left out of the retry' }),
  ).not.toBeInTheDocument();
  expect(within(dialog).getByRole('button', { name: 'Retry 7 IDs' })).toBeEnabled();

  await user.click(within(dialog).getByRole('checkbox', { name: 'Include permanent failures' }));
  expect(within(dialog).getByText('The retry includes 5 IDs')).toBeInTheDocument();
  expect(within(dialog).getByText('It leaves out 2 IDs')).toBeInTheDocument();
});

test('a stopped batch: the unknown IDs still being re-read are said to be left out', async () => {
  serveRetry(
    summary({
      state: 'cancelled',
      counts: itemCounts({ succeeded: 3, failed: 4, unknown: 1, skipped: 2 }),
    }),
    undefined,
    { failed: 2, unknown: 0, skipped: 2, permanent: 2, ids: 4 },
  );
  renderView();
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Retry failed' }));
  const dialog = await screen.findByRole('dialog', { name: 'Retry failed IDs' });

  expect(await within(dialog).findByText('The retry includes 4 IDs')).toBeInTheDocument();
  expect(within(dialog).getByText('It leaves out 3 IDs')).toBeInTheDocument();
  const left = within(dialog).getByRole('list', { name: 'Left out of the retry' });
  expect(within(left).getByText(/^1 unknown: still being re-read/)).toBeInTheDocument();
  expect(within(dialog).getByRole('button', { name: 'Retry 4 IDs' })).toBeEnabled();

  await user.click(within(dialog).getByRole('checkbox', { name: 'Include permanent failures' }));
  expect(within(dialog).getByText('The retry includes 6 IDs')).toBeInTheDocument();
  expect(within(dialog).getByText('It leaves out 1 ID')).toBeInTheDocument();
});

test('409 NOTHING_TO_RETRY shows its message and opens nothing', async () => {
  serveRetry(summary(), () =>
    HttpResponse.json(
      { code: 'NOTHING_TO_RETRY', message: 'every failed ID of this batch was retried since' },
      { status: 409 },
    ),
  );
  const { onBatchCreated } = renderView();
  const { user, dialog } = await openRetry();

  await user.click(within(dialog).getByRole('button', { name: 'Retry 5 IDs' }));

  expect(
    await within(dialog).findByText('every failed ID of this batch was retried since'),
  ).toBeInTheDocument();
  expect(within(dialog).getByText('Nothing to retry')).toBeInTheDocument();
  expect(onBatchCreated).not.toHaveBeenCalled();
});

test('in Chinese, 409 NOTHING_TO_RETRY reads in Chinese and keeps the server’s words as data', async () => {
  serveRetry(summary(), () =>
    HttpResponse.json(
      { code: 'NOTHING_TO_RETRY', message: 'every failed ID of this batch was retried since' },
      { status: 409 },
    ),
  );
  inChinese();
  renderView();
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: '重试失败项' }));
  const dialog = await screen.findByRole('dialog', { name: '重试失败的 ID' });
  await user.click(await within(dialog).findByRole('button', { name: '重试 5 个 ID' }));
  const said = await within(dialog).findByText('every failed ID of this batch was retried since');
  expect(said).toHaveAttribute('translate', 'no');
  expect(said).toHaveAttribute('lang', 'en');
  expect(said.parentElement).toHaveTextContent(
    /^没有可重试的 ID。 原文：every failed ID of this batch was retried since$/,
  );
  expect(englishWordsIn(dialog)).toEqual([]);
});

test('only permanent failures: nothing is included until they are asked for', async () => {
  serveRetry(summary({ counts: itemCounts({ succeeded: 3, failed: 2 }) }), undefined, {
    failed: 0,
    unknown: 0,
    skipped: 0,
    permanent: 2,
    ids: 0,
  });
  renderView();
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Retry failed' }));
  const dialog = await screen.findByRole('dialog', { name: 'Retry failed IDs' });

  expect(await within(dialog).findByRole('button', { name: 'Retry 0 IDs' })).toBeDisabled();
  expect(
    within(dialog).getByText('Nothing to retry unless permanent failures are included.'),
  ).toBeInTheDocument();
  await user.click(within(dialog).getByRole('checkbox', { name: 'Include permanent failures' }));
  expect(within(dialog).getByRole('button', { name: 'Retry 2 IDs' })).toBeEnabled();
});

test('Back closes the dialog and sends nothing', async () => {
  const posts = serveRetry(summary());
  renderView();
  const { user, dialog } = await openRetry();

  await user.click(within(dialog).getByRole('button', { name: 'Back' }));

  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  expect(posts).toEqual([]);
});

test('the dialog focuses Back first and names its close button', async () => {
  serveRetry(summary());
  renderView();
  const { dialog } = await openRetry();
  await waitFor(() => expect(within(dialog).getByRole('button', { name: 'Back' })).toHaveFocus());
  expect(within(dialog).getByRole('button', { name: 'Close' })).toBeInTheDocument();
});

test('a stopped batch with only skipped IDs can be retried', async () => {
  serveRetry(
    summary({
      state: 'cancelled',
      state_reason: null,
      counts: itemCounts({ succeeded: 8, skipped: 2 }),
    }),
  );
  renderView();
  expect(await screen.findByRole('button', { name: 'Retry failed' })).toBeEnabled();
});

test('"Retry failed" waits until the batch stops or finishes', async () => {
  serveRetry(
    summary({
      state: 'running',
      finished_at: null,
      counts: itemCounts({ pending: 5, succeeded: 3, failed: 2 }),
    }),
  );
  renderView();
  const button = await screen.findByRole('button', { name: 'Retry failed' });
  expect(button).toBeDisabled();
  expect(button).toHaveAttribute('title', 'Stop the batch or let it finish first');
});

test('"Retry failed" is disabled for an interrupted batch, which is resumed instead', async () => {
  const posts = serveRetry(
    summary({
      state: 'interrupted',
      state_reason: 'sign in to resume',
      finished_at: null,
      counts: itemCounts({ pending: 5, succeeded: 3, failed: 2 }),
    }),
  );
  renderView();
  const button = await screen.findByRole('button', { name: 'Retry failed' });
  expect(button).toBeDisabled();
  expect(button).toHaveAttribute(
    'title',
    'This batch was interrupted: resume it instead (Resume batch)',
  );
  expect(screen.getByRole('button', { name: 'Resume batch' })).toBeEnabled();
  expect(posts).toEqual([]);
});

test('the retry dialog names the subject and the workspace it is about', async () => {
  const batch = summary();
  serveRetry(batch);
  serveNames({
    workspaces: { [batch.workspace_id]: 'SOC Operations' },
    titles: { [batch.data_object_id]: 'INC-2026-00091: Phishing campaign' },
  });
  renderView();
  const { dialog } = await openRetry();
  const line = within(dialog).getByTestId('batch-subject-line');
  await waitFor(() =>
    expect(line).toHaveTextContent(
      'Associate alerts with incident INC-2026-00091: Phishing campaign in SOC Operations',
    ),
  );
  expect(within(line).getByText('INC-2026-00091: Phishing campaign')).toHaveAttribute(
    'title',
    batch.data_object_id,
  );
  expect(within(line).getByText('SOC Operations')).toHaveAttribute('title', batch.workspace_id);
});

test('in Chinese: the retry dialog says what it includes and leaves out', async () => {
  serveRetry(summary());
  inChinese();
  renderView();
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: '重试失败项' }));
  const dialog = await screen.findByRole('dialog', { name: '重试失败的 ID' });
  await within(dialog).findByText('重试包含 5 个 ID');
  expect(within(dialog).getByRole('list', { name: '重试包含的 ID' })).toBeInTheDocument();
  expect(within(dialog).getByText('排除 2 个 ID')).toBeInTheDocument();
  expect(within(dialog).getByRole('checkbox', { name: '包含永久失败' })).not.toBeChecked();
  expect(within(dialog).getByRole('button', { name: '重试 5 个 ID' })).toBeEnabled();
  expect(englishWordsIn(dialog)).toEqual([]);
});
