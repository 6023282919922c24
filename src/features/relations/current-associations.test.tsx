import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test, vi } from 'vitest';
import type { SubjectSelection } from '../../api/schemas';
import { server } from '../../testing/msw';
import { servePostBatch } from '../../testing/post-batch';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { render } from '../../testing/render';
import { CurrentAssociations } from './current-associations';

const PROJECT = 'project0000000000000000000000001';
const WORKSPACE = 'ws000000000000000000000000000001';
const SUBJECT: SubjectSelection = {
  dataclass_type: 'incidents',
  data_object_id: 'incident00000000000000000000000001',
  related_dataclass_type: 'alerts',
};
const RELATIONS_URL = `/v1/${PROJECT}/workspaces/${WORKSPACE}/soc/incidents/${SUBJECT.data_object_id}/alerts/search`;
const BATCH_ID = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';

const alertId = (n: number) => `alert${String(n).padStart(27, '0')}`;

function detail(n: number) {
  const id = alertId(n);
  return {
    id,
    data_object: {
      id,
      title: `Brute force ${n}`,
      severity: n % 2 ? 'High' : 'Low',
      handle_status: 'Open',
    },
  };
}

/** Serves `count` linked alerts, paged by the body's limit/offset; records the bodies. */
function serveRelations(count: number) {
  const bodies: { limit: number; offset: number }[] = [];
  server.use(
    http.post(RELATIONS_URL, async ({ request }) => {
      const body = (await request.json()) as { limit: number; offset: number };
      bodies.push(body);
      const all = Array.from({ length: count }, (_, i) => detail(i + 1));
      return HttpResponse.json({
        code: '00000000',
        total: count,
        limit: body.limit,
        offset: body.offset,
        success: true,
        data: all.slice(body.offset, body.offset + body.limit),
      });
    }),
  );
  return bodies;
}

function renderRelations(onBatchCreated = vi.fn()) {
  render(
    <CurrentAssociations
      projectId={PROJECT}
      workspaceId={WORKSPACE}
      subject={SUBJECT}
      onBatchCreated={onBatchCreated}
    />,
  );
  return { onBatchCreated };
}

test('lists the linked objects with title, severity and status', async () => {
  serveRelations(3);
  renderRelations();
  const region = screen.getByRole('region', { name: 'Current associations' });
  const row = (await within(region).findByText(alertId(2))).closest('tr') as HTMLElement;
  expect(within(row).getByText('Brute force 2')).toBeInTheDocument();
  expect(within(row).getByText('Low')).toBeInTheDocument();
  expect(within(row).getByText('Open')).toBeInTheDocument();
  expect(within(region).getByText(/3 in total/)).toBeInTheDocument();
});

test('a right-to-left override in a title is shown, never obeyed', async () => {
  const spoof = `invoice\u202egpj.exe`;
  server.use(
    http.post(RELATIONS_URL, () =>
      HttpResponse.json({
        code: '00000000',
        total: 1,
        limit: 50,
        offset: 0,
        success: true,
        data: [{ ...detail(1), data_object: { ...detail(1).data_object, title: spoof } }],
      }),
    ),
  );
  renderRelations();
  const region = screen.getByRole('region', { name: 'Current associations' });
  const row = (await within(region).findByText(alertId(1))).closest('tr') as HTMLElement;
  const cell = within(row).getByText('invoice[U+202E]gpj.exe');
  expect(cell).toHaveAttribute('title', 'invoice[U+202E]gpj.exe');
  expect(row.textContent).not.toContain('\u202e');
});

test('says so when nothing is linked', async () => {
  serveRelations(0);
  renderRelations();
  expect(await screen.findByText(/Nothing is linked to this incident yet/)).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Cancel association of 0 selected' })).toBeDisabled();
});

test('Select page, then confirm, creates a cancel batch with those IDs', async () => {
  const user = userEvent.setup();
  serveRelations(3);
  const posted = servePostBatch(BATCH_ID);
  const { onBatchCreated } = renderRelations();
  await screen.findByText(alertId(1));

  await user.click(screen.getByRole('checkbox', { name: 'Select page' }));
  await user.click(screen.getByRole('button', { name: 'Cancel association of 3 selected' }));
  const dialog = await screen.findByRole('dialog');
  await user.click(within(dialog).getByRole('button', { name: 'Confirm cancel association' }));

  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(BATCH_ID));
  expect(posted).toEqual([
    {
      action: 'cancel',
      workspace_id: WORKSPACE,
      dataclass_type: 'incidents',
      data_object_id: SUBJECT.data_object_id,
      related_dataclass_type: 'alerts',
      ids: [alertId(1), alertId(2), alertId(3)],
    },
  ]);
  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  expect(screen.getByRole('button', { name: 'Cancel association of 0 selected' })).toBeDisabled();
});

test('a row checkbox selects one object', async () => {
  const user = userEvent.setup();
  serveRelations(3);
  const posted = servePostBatch(BATCH_ID);
  renderRelations();

  await user.click(await screen.findByRole('checkbox', { name: `Select ${alertId(2)}` }));
  await user.click(screen.getByRole('button', { name: 'Cancel association of 1 selected' }));
  await user.click(
    within(await screen.findByRole('dialog')).getByRole('button', {
      name: 'Confirm cancel association',
    }),
  );

  await waitFor(() => expect(posted).toHaveLength(1));
  expect(posted[0]).toMatchObject({ ids: [alertId(2)] });
});

test('Back closes the dialog and posts nothing', async () => {
  const user = userEvent.setup();
  serveRelations(3);
  const posted = servePostBatch(BATCH_ID);
  const { onBatchCreated } = renderRelations();
  await screen.findByText(alertId(1));

  await user.click(screen.getByRole('checkbox', { name: 'Select page' }));
  await user.click(screen.getByRole('button', { name: 'Cancel association of 3 selected' }));
  const dialog = await screen.findByRole('dialog', { name: 'Cancel association?' });
  // The safe choice has the first focus; the close button is named.
  const back = within(dialog).getByRole('button', { name: 'Back' });
  await waitFor(() => expect(back).toHaveFocus());
  expect(within(dialog).getByRole('button', { name: 'Close' })).toBeInTheDocument();
  await user.click(back);

  await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  expect(posted).toEqual([]);
  expect(onBatchCreated).not.toHaveBeenCalled();
  expect(screen.getByRole('button', { name: 'Cancel association of 3 selected' })).toBeEnabled();
});

test('Select all N reads every page of linked IDs and cancels them all', async () => {
  const user = userEvent.setup();
  const bodies = serveRelations(2345);
  const posted = servePostBatch(BATCH_ID);
  renderRelations();
  await screen.findByText(alertId(1));

  await user.click(screen.getByRole('button', { name: 'Select all 2,345' }));

  expect(await screen.findByText('All 2,345 selected')).toBeInTheDocument();
  expect(bodies.filter((b) => b.limit === 1000).map((b) => b.offset)).toEqual([0, 1000, 2000]);
  await user.click(screen.getByRole('button', { name: 'Cancel association of 2,345 selected' }));
  await user.click(
    within(await screen.findByRole('dialog')).getByRole('button', {
      name: 'Confirm cancel association',
    }),
  );
  await waitFor(() => expect(posted).toHaveLength(1));
  const ids = (posted[0] as { ids: string[] }).ids;
  expect(ids).toHaveLength(2345);
  expect(ids[2344]).toBe(alertId(2345));
});

test('pages through the list from the server', async () => {
  const user = userEvent.setup();
  const bodies = serveRelations(120);
  renderRelations();
  await screen.findByText(alertId(1));

  const nav = screen.getByRole('navigation', { name: 'Current associations pages' });
  await user.click(within(nav).getByRole('button', { name: 'Page 3' }));

  expect(await screen.findByText(alertId(101))).toBeInTheDocument();
  expect(bodies.at(-1)).toEqual({ limit: 50, offset: 100 });
});

test('a failed read is shown readably', async () => {
  server.use(
    http.post(RELATIONS_URL, () =>
      HttpResponse.json(
        { code: 'SecMaster.20010001', message: 'workspace not found' },
        { status: 403 },
      ),
    ),
  );
  renderRelations();
  expect(await screen.findByText(/workspace not found/)).toBeInTheDocument();
});

test('a selected row shows its severity bold in the body colour (coloured words fail contrast on its tint)', async () => {
  serveRelations(1);
  const user = userEvent.setup();
  render(
    <CurrentAssociations
      projectId={PROJECT}
      workspaceId={WORKSPACE}
      subject={SUBJECT}
      onBatchCreated={vi.fn()}
    />,
  );
  const severity = await screen.findByText('High');
  expect(severity.getAttribute('style') ?? '').toMatch(/orange/);
  await user.click(screen.getByRole('checkbox', { name: `Select ${alertId(1)}` }));
  await waitFor(() =>
    expect(screen.getByText('High').getAttribute('style') ?? '').not.toMatch(/orange/),
  );
  expect(screen.getByText('High').getAttribute('style') ?? '').toMatch(/font-weight: 600/);
});

test('"Move selected" hands the selected IDs over; it is offered only when asked for', async () => {
  serveRelations(2);
  const onMoveSelected = vi.fn();
  const user = userEvent.setup();
  const { unmount } = render(
    <CurrentAssociations
      projectId={PROJECT}
      workspaceId={WORKSPACE}
      subject={SUBJECT}
      onBatchCreated={vi.fn()}
      onMoveSelected={onMoveSelected}
    />,
  );
  const move = await screen.findByRole('button', { name: 'Move selected' });
  expect(move).toBeDisabled();
  await user.click(await screen.findByRole('checkbox', { name: `Select ${alertId(2)}` }));
  await user.click(move);
  expect(onMoveSelected).toHaveBeenCalledWith(
    [alertId(2)],
    new Map([[alertId(2), 'Brute force 2']]),
  );
  unmount();
  render(
    <CurrentAssociations
      projectId={PROJECT}
      workspaceId={WORKSPACE}
      subject={SUBJECT}
      onBatchCreated={vi.fn()}
    />,
  );
  await screen.findByRole('checkbox', { name: `Select ${alertId(2)}` });
  expect(screen.queryByRole('button', { name: 'Move selected' })).not.toBeInTheDocument();
});

test('in Chinese: the region, its buttons and the selection speak Chinese; IDs stay as data', async () => {
  serveRelations(3);
  inChinese();
  const user = userEvent.setup();
  renderRelations();
  const region = screen.getByRole('region', { name: '当前关联' });
  await within(region).findByText(alertId(2));
  expect(within(region).getByText(/共 3 个/)).toBeInTheDocument();
  await user.click(within(region).getByRole('button', { name: '全选 3 个' }));
  expect(await within(region).findByText('已选全部 3 个')).toBeInTheDocument();
  expect(within(region).getByRole('button', { name: '取消关联所选的 3 个' })).toBeEnabled();
  expect(within(region).getByRole('button', { name: '清除选择' })).toBeInTheDocument();
  // The heading line and the selection bar (the table is src/lib's LinkedTable).
  const heading = within(region).getByRole('heading', { name: '当前关联' });
  const bar = within(region).getByRole('button', { name: '清除选择' }).parentElement!;
  expect([...englishWordsIn(heading.parentElement!), ...englishWordsIn(bar)]).toEqual([]);
});
