import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test, vi } from 'vitest';
import type { MoveItem, MoveSummary } from '../../api/schemas';
import { itemCounts, moveSummary } from '../../testing/fixtures';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { server, serveNames } from '../../testing/msw';
import { render } from '../../testing/render';
import { MoveView } from './move-view';

const A = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const B = '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f';
const C = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
const LINK = '44444444-5555-4666-8777-888888888888';
const UNLINK = '55555555-6666-4777-8888-999999999999';
const UNDO = '66666666-7777-4888-8999-aaaaaaaaaaaa';

const items: MoveItem[] = [
  { id: A, result: 'moved', message: null, link_state: 'succeeded', unlink_state: 'succeeded' },
  {
    id: B,
    result: 'already_at_destination',
    message: null,
    link_state: 'unchanged',
    unlink_state: 'succeeded',
  },
  {
    id: C,
    result: 'kept_at_source',
    message: 'not found in this workspace',
    link_state: 'failed',
    unlink_state: null,
  },
];

const done = moveSummary({
  state: 'done',
  total: 3,
  finished_at: '2026-01-01T00:00:05.000Z',
  link_batch_id: LINK,
  unlink_batch_id: UNLINK,
  counts: itemCounts({ succeeded: 3, unchanged: 1, failed: 1 }),
  results: { pending: 0, moved: 1, already_at_destination: 1, kept_at_source: 1, invalid: 0 },
});

function serveMove(move: MoveSummary) {
  const queries: URLSearchParams[] = [];
  serveNames();
  server.use(
    http.get('/api/moves/:id', () => HttpResponse.json(move)),
    http.get('/api/moves/:id/items', ({ request }) => {
      const params = new URL(request.url).searchParams;
      queries.push(params);
      const result = params.get('result');
      const q = params.get('q');
      const matching = items.filter(
        (i) => (!result || i.result === result) && (!q || i.id.includes(q)),
      );
      return HttpResponse.json({ items: matching, total: matching.length, offset: 0, limit: 100 });
    }),
  );
  return queries;
}

test('shows each ID with its result word and reason, the counts, the export and the two batches', async () => {
  serveMove(done);
  render(<MoveView moveId={done.id} onMoveCreated={vi.fn()} />);
  const table = await screen.findByRole('table', { name: 'Move items' });
  await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
  const rowOf = (id: string) => within(table).getByText(id).closest('tr') as HTMLElement;
  expect(rowOf(A)).toHaveTextContent('Moved');
  expect(rowOf(B)).toHaveTextContent('Already at destination');
  expect(rowOf(C)).toHaveTextContent('Kept at source');
  expect(rowOf(C)).toHaveTextContent('not found in this workspace');
  expect(screen.getByRole('list', { name: 'Counts per result' })).toHaveTextContent('Moved 1');
  expect(screen.getByRole('button', { name: 'Export CSV' })).toHaveAttribute(
    'href',
    `/api/moves/${done.id}/export?format=csv`,
  );
  expect(screen.getByRole('link', { name: /Link batch/ })).toHaveAttribute(
    'href',
    `/batches/${LINK}`,
  );
  expect(screen.getByRole('link', { name: /Unlink batch/ })).toHaveAttribute(
    'href',
    `/batches/${UNLINK}`,
  );
  // Settled: no progress bar.
  expect(screen.queryByRole('progressbar', { name: 'Move progress' })).not.toBeInTheDocument();
});

test('the result filter and the ID search are asked of the server', async () => {
  const queries = serveMove(done);
  const user = userEvent.setup();
  render(<MoveView moveId={done.id} onMoveCreated={vi.fn()} />);
  await screen.findByText(A);
  await user.click(screen.getByRole('radio', { name: 'Kept at source' }));
  await waitFor(() => expect(screen.queryByText(A)).not.toBeInTheDocument());
  expect(screen.getByText(C)).toBeInTheDocument();
  expect(queries.at(-1)?.get('result')).toBe('kept_at_source');
  await user.click(screen.getByRole('radio', { name: 'All' }));
  await user.type(screen.getByRole('textbox', { name: 'Search IDs' }), '0c9d8e7f');
  await waitFor(() => expect(queries.at(-1)?.get('q')).toBe('0c9d8e7f'));
  await waitFor(() => expect(screen.queryByText(C)).not.toBeInTheDocument());
  expect(screen.getByText(B)).toBeInTheDocument();
});

test('a running move shows its progress and offers no undo yet', async () => {
  serveMove(
    moveSummary({
      total: 4,
      results: { pending: 1, moved: 3, already_at_destination: 0, kept_at_source: 0, invalid: 0 },
    }),
  );
  render(<MoveView moveId={done.id} onMoveCreated={vi.fn()} />);
  const bar = await screen.findByRole('progressbar', { name: 'Move progress' });
  expect(bar).toHaveAttribute('aria-valuenow', '75');
  expect(screen.getByRole('button', { name: 'Undo move' })).toBeDisabled();
});

test('"Undo move" asks first, then posts the undo and opens the new move', async () => {
  serveMove(done);
  const posted: string[] = [];
  server.use(
    http.post('/api/moves/:id/undo', ({ params }) => {
      posted.push(String(params.id));
      return HttpResponse.json(moveSummary({ id: UNDO, undo_of: done.id }), { status: 201 });
    }),
  );
  const onMoveCreated = vi.fn();
  const user = userEvent.setup();
  render(<MoveView moveId={done.id} onMoveCreated={onMoveCreated} />);
  await user.click(await screen.findByRole('button', { name: 'Undo move' }));
  const dialog = await screen.findByRole('dialog', { name: 'Undo this move?' });
  await user.click(within(dialog).getByRole('button', { name: 'Back' }));
  expect(posted).toEqual([]);
  await user.click(screen.getByRole('button', { name: 'Undo move' }));
  await user.click(await screen.findByRole('button', { name: 'Confirm undo move' }));
  await waitFor(() => expect(onMoveCreated).toHaveBeenCalledWith(UNDO));
  expect(posted).toEqual([done.id]);
});

test('an unknown move says so', async () => {
  server.use(
    http.get('/api/moves/:id', () =>
      HttpResponse.json({ code: 'NOT_FOUND', message: 'no such move' }, { status: 404 }),
    ),
  );
  render(<MoveView moveId="nope" onMoveCreated={vi.fn()} />);
  expect(await screen.findByText('Move not found')).toBeInTheDocument();
});

test('the header names the source, the destination and the workspace; their IDs stay copyable', async () => {
  serveMove(done);
  serveNames({
    workspaces: { [done.workspace_id]: 'SOC Operations' },
    titles: { [done.source_id]: 'INC-2026-00091: Phishing campaign' },
  });
  render(<MoveView moveId={done.id} onMoveCreated={vi.fn()} />);
  const source = await screen.findByRole('link', { name: 'INC-2026-00091: Phishing campaign' });
  expect(source).toHaveAttribute('href', `/objects/incidents/${done.source_id}`);
  expect(source).toHaveAttribute('title', done.source_id);
  // The destination has no title (not found): its ID is shown, still a link.
  expect(screen.getByRole('link', { name: done.destination_id })).toHaveAttribute(
    'href',
    `/objects/incidents/${done.destination_id}`,
  );
  expect(await screen.findByText('SOC Operations')).toHaveAttribute('title', done.workspace_id);
  for (const what of ['source', 'destination', 'workspace'])
    expect(screen.getByRole('button', { name: `Copy ${what} ID` })).toBeInTheDocument();
});

test('in Chinese: results, counts, actions and the undo dialog speak Chinese; IDs stay as they are', async () => {
  serveMove(done);
  inChinese();
  const user = userEvent.setup();
  render(<MoveView moveId={done.id} onMoveCreated={vi.fn()} />);
  const table = await screen.findByRole('table', { name: '移动条目' });
  await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
  const rowOf = (id: string) => within(table).getByText(id).closest('tr') as HTMLElement;
  expect(within(table).getByText(A)).toHaveAttribute('translate', 'no');
  expect(rowOf(A)).toHaveTextContent('已移动');
  expect(rowOf(B)).toHaveTextContent('已在目标对象');
  expect(rowOf(C)).toHaveTextContent('仍在源对象');
  expect(screen.getByRole('radio', { name: /仍在源对象/ })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: '导出 CSV' })).toBeInTheDocument();
  expect(screen.getByRole('link', { name: '关联批次（关联到目标对象）' })).toBeInTheDocument();
  expect(screen.getByRole('heading', { name: '移动结果' })).toBeInTheDocument();
  expect(screen.getByRole('heading', { name: '移动告警' })).toBeInTheDocument();
  // This feature's own parts (the header's facts and the filters are src/lib's).
  for (const el of [table, ...screen.getAllByRole('heading'), ...screen.getAllByRole('button')])
    expect(englishWordsIn(el)).toEqual([]);
  await user.click(screen.getByRole('button', { name: '撤销移动' }));
  const dialog = await screen.findByRole('dialog', { name: '撤销此移动？' });
  expect(dialog).toHaveTextContent('已移动或已在目标对象的 ID 共 2 个');
  expect(within(dialog).getByRole('button', { name: '确认撤销移动' })).toBeInTheDocument();
  expect(englishWordsIn(dialog)).toEqual([]);
});
