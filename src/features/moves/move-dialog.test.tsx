import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { Route, Routes } from 'react-router';
import { expect, test, vi } from 'vitest';
import { moveSummary } from '../../testing/fixtures';
import { englishWordsIn, inChinese } from '../../testing/i18n';
import { server } from '../../testing/msw';
import { render } from '../../testing/render';
import { MoveDialog } from './move-dialog';

const PROJECT = '0123456789abcdef0123456789abcdef';
const WORKSPACE = 'fedcba98-7654-3210-fedc-ba9876543210';
const SOURCE = '11111111-2222-4333-8444-555555555555';
const DESTINATION = '22222222-3333-4444-8555-666666666666';
const A = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const B = '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f';
const base = `/v1/${PROJECT}/workspaces/${WORKSPACE}/soc`;

const destination = {
  id: DESTINATION,
  data_object: { id: DESTINATION, title: 'Credential stuffing wave', severity: 'Medium' },
};

function serveConsole(posted: unknown[]) {
  server.use(
    http.get('/api/config', () =>
      HttpResponse.json({
        mode: 'emulator',
        projectId: PROJECT,
        endpoint: 'http://127.0.0.1:1',
        region: null,
        maxBatchIds: 100000,
        maxIdsPerCall: 100,
      }),
    ),
    http.post(`${base}/incidents/search`, () =>
      HttpResponse.json({ code: '00000000', total: 1, data: [destination] }),
    ),
    http.get(`${base}/incidents/:id`, ({ params }) =>
      params.id === DESTINATION || params.id === SOURCE
        ? HttpResponse.json({ code: '00000000', data: { ...destination, id: params.id } })
        : HttpResponse.json({ code: 'SecMaster.20030005', message: 'not found' }, { status: 404 }),
    ),
    http.post('/api/moves', async ({ request }) => {
      posted.push(await request.json());
      return HttpResponse.json(moveSummary({ source_id: SOURCE, destination_id: DESTINATION }), {
        status: 201,
      });
    }),
  );
}

function renderDialog(
  onCreated = vi.fn(),
  onClose = vi.fn(),
  titles?: ReadonlyMap<string, string>,
) {
  render(
    <Routes>
      <Route
        path="/"
        element={
          <MoveDialog
            opened
            onClose={onClose}
            workspaceId={WORKSPACE}
            dataclass="incidents"
            sourceId={SOURCE}
            relatedClass="alerts"
            ids={[A, B]}
            titles={titles}
            onCreated={onCreated}
          />
        }
      />
      <Route path="/moves/:moveId" element={<p>move page</p>} />
    </Routes>,
  );
  return { onCreated, onClose };
}

test('picks a destination by title, posts the move with a reason, and opens its page', async () => {
  const posted: unknown[] = [];
  serveConsole(posted);
  const { onCreated } = renderDialog();
  const user = userEvent.setup();
  const dialog = await screen.findByRole('dialog', { name: 'Move to another subject' });
  const confirm = await screen.findByRole('button', { name: 'Confirm move' });
  expect(dialog).toHaveTextContent('Move 2 alerts from incident');
  expect(confirm).toBeDisabled();
  await user.type(screen.getByRole('combobox', { name: 'Destination' }), 'credential');
  await user.click(await screen.findByRole('option', { name: /Credential stuffing wave/ }));
  await user.type(screen.getByRole('textbox', { name: 'Reason' }), 'wrong incident');
  await user.click(screen.getByRole('button', { name: 'Confirm move' }));
  expect(await screen.findByText('move page')).toBeInTheDocument();
  expect(posted).toEqual([
    {
      workspace_id: WORKSPACE,
      dataclass_type: 'incidents',
      source_id: SOURCE,
      destination_id: DESTINATION,
      related_dataclass_type: 'alerts',
      ids: [A, B],
      reason: 'wrong incident',
    },
  ]);
  expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ id: moveSummary().id }));
});

test('a pasted ID that is the source is refused before anything is sent', async () => {
  const posted: unknown[] = [];
  serveConsole(posted);
  renderDialog();
  const user = userEvent.setup();
  const picker = await screen.findByRole('combobox', { name: 'Destination' });
  await user.click(picker);
  await user.paste(SOURCE.toUpperCase());
  expect(await screen.findByText(/The destination is the source incident/)).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Confirm move' })).toBeDisabled();
  expect(posted).toEqual([]);
});

test('a refused move shows the server error and stays open; Cancel closes', async () => {
  serveConsole([]);
  server.use(
    http.post('/api/moves', () =>
      HttpResponse.json(
        { code: 'BAD_REQUEST', message: 'the destination does not exist', field: 'destination_id' },
        { status: 400 },
      ),
    ),
  );
  const { onClose, onCreated } = renderDialog();
  const user = userEvent.setup();
  const picker = await screen.findByRole('combobox', { name: 'Destination' });
  await user.click(picker);
  await user.paste(DESTINATION);
  await waitFor(() => expect(screen.getByRole('button', { name: 'Confirm move' })).toBeEnabled());
  await user.click(screen.getByRole('button', { name: 'Confirm move' }));
  expect(await screen.findByText(/the destination does not exist/)).toBeInTheDocument();
  expect(onCreated).not.toHaveBeenCalled();
  await user.click(screen.getByRole('button', { name: 'Cancel' }));
  expect(onClose).toHaveBeenCalled();
});

test('the dialog lists every ID that moves, with the titles the table showed', async () => {
  serveConsole([]);
  renderDialog(vi.fn(), vi.fn(), new Map([[B, 'Phishing mail opened']]));
  const dialog = await screen.findByRole('dialog', { name: 'Move to another subject' });
  const list = await within(dialog).findByRole('list', { name: 'Alerts to move' });
  expect(
    within(list)
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual([A, `${B} · Phishing mail opened`]);
  expect(within(dialog).getByText('Alerts to move (2)')).toBeInTheDocument();
});

test('in Chinese: the dialog, its picker and its buttons speak Chinese; the source ID stays as is', async () => {
  serveConsole([]);
  inChinese();
  renderDialog();
  const dialog = await screen.findByRole('dialog', { name: '移动到另一个主对象' });
  expect(await within(dialog).findByRole('combobox', { name: '目标对象' })).toBeInTheDocument();
  expect(within(dialog).getByRole('button', { name: '确认移动' })).toBeDisabled();
  expect(within(dialog).getByRole('button', { name: '取消' })).toBeInTheDocument();
  expect(within(dialog).getByRole('textbox', { name: '原因' })).toBeInTheDocument();
  const source = within(dialog).getByText(SOURCE);
  expect(source).toHaveAttribute('translate', 'no');
  // This feature's own words (the object picker and the selection list are src/lib's).
  const intro = source.parentElement as HTMLElement;
  expect(intro).toHaveTextContent(/^将 2 条告警从事件 \S+ 移动到另一个事件。/);
  for (const el of [
    intro,
    ...['确认移动', '取消', '关闭'].map((name) => within(dialog).getByRole('button', { name })),
    dialog.querySelector('h2'),
  ])
    expect(englishWordsIn(el as HTMLElement)).toEqual([]);
});
