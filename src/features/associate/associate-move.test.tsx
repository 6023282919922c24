/** The associate form's "Move" action, and the subject a URL fills in when the form opens. */
import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { useLocation } from 'react-router';
import { afterEach, expect, test, vi } from 'vitest';
import { moveSummary } from '../../testing/fixtures';
import { server } from '../../testing/msw';
import { render } from '../../testing/render';
import { AssociateForm } from './associate-form';
import { clearDraft, draftKey, saveDraft } from './form-storage';

const PROJECT = '0123456789abcdef0123456789abcdef';
const WORKSPACE = 'fedcba98-7654-3210-fedc-ba9876543210';
const SOURCE = '11111111-2222-4333-8444-555555555555';
const DESTINATION = '22222222-3333-4444-8555-666666666666';
const ALERT = '33333333-4444-4555-8666-777777777777';
const A = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const B = '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f';
const base = `/v1/${PROJECT}/workspaces/${WORKSPACE}/soc`;

afterEach(async () => {
  cleanup();
  await clearDraft(draftKey(PROJECT, WORKSPACE));
});

function object(id: string, title: string) {
  return { id, data_object: { id, title, severity: 'High' } };
}

function serveObjects() {
  const titles: Record<string, string> = {
    [SOURCE]: 'Phishing wave',
    [DESTINATION]: 'Credential stuffing',
    [ALERT]: 'Suspicious login',
  };
  server.use(
    http.get(`${base}/:dataclass/:id`, ({ params }) => {
      const title = titles[String(params.id)];
      return title
        ? HttpResponse.json({ code: '00000000', data: object(String(params.id), title) })
        : HttpResponse.json({ code: 'SecMaster.20030005', message: 'not found' }, { status: 404 });
    }),
  );
}

/** Shows the router's current query string, to see the form drop its parameters. */
function Search() {
  return <output aria-label="Query string">{useLocation().search}</output>;
}

function setup(route = '/') {
  const onBatchCreated = vi.fn();
  const onMoveCreated = vi.fn();
  const user = userEvent.setup();
  render(
    <>
      <AssociateForm
        projectId={PROJECT}
        workspaceId={WORKSPACE}
        onSubjectChange={vi.fn()}
        onBatchCreated={onBatchCreated}
        onMoveCreated={onMoveCreated}
      />
      <Search />
    </>,
    { route },
  );
  return { user, onBatchCreated, onMoveCreated };
}

test('"Move": the subject is the source, a Destination is asked for, and the move is posted', async () => {
  serveObjects();
  let body: unknown;
  server.use(
    http.post('/api/moves', async ({ request }) => {
      body = await request.json();
      return HttpResponse.json(moveSummary(), { status: 201 });
    }),
    http.post('/api/batches', () => HttpResponse.error()),
  );
  const { user, onMoveCreated, onBatchCreated } = setup();
  await user.click(screen.getByRole('combobox', { name: 'Subject object' }));
  await user.paste(SOURCE);
  await screen.findByLabelText('Chosen incident');
  await user.click(screen.getByRole('textbox', { name: 'Related IDs' }));
  await user.paste(`${A}\n${B}`);
  expect(screen.queryByRole('combobox', { name: 'Destination' })).not.toBeInTheDocument();
  await user.click(screen.getByRole('radio', { name: 'Move' }));
  const submit = await screen.findByRole('button', { name: 'Move 2 IDs' });
  expect(submit).toBeDisabled();
  expect(submit).toHaveAccessibleDescription('Choose the destination.');
  // The source itself is refused as the destination.
  await user.click(screen.getByRole('combobox', { name: 'Destination' }));
  await user.paste(SOURCE);
  expect(await screen.findByText(/The destination is the subject incident/)).toBeInTheDocument();
  expect(submit).toBeDisabled();
  await user.clear(screen.getByRole('combobox', { name: 'Destination' }));
  await user.paste(DESTINATION);
  await screen.findByLabelText('Destination incident');
  await waitFor(() => expect(screen.getByRole('button', { name: 'Move 2 IDs' })).toBeEnabled());
  await user.click(screen.getByRole('button', { name: 'Move 2 IDs' }));
  await waitFor(() => expect(onMoveCreated).toHaveBeenCalledWith(moveSummary().id));
  expect(onBatchCreated).not.toHaveBeenCalled();
  expect(body).toEqual({
    workspace_id: WORKSPACE,
    dataclass_type: 'incidents',
    source_id: SOURCE,
    destination_id: DESTINATION,
    related_dataclass_type: 'alerts',
    ids: [A, B],
  });
});

test('?subject_class=&subject=&related_class= fill the form over the saved draft, then leave the URL', async () => {
  serveObjects();
  await saveDraft(draftKey(PROJECT, WORKSPACE), {
    subjectClass: 'incidents',
    subjectId: SOURCE,
    relatedClass: 'alerts',
    relatedIds: A,
    reason: 'kept',
    action: 'associate',
  });
  setup(`/?subject_class=alerts&subject=${ALERT}&related_class=indicators&tab=links`);
  expect(await screen.findByLabelText('Chosen alert')).toHaveTextContent('Suspicious login');
  expect(screen.getByRole('combobox', { name: 'Subject class' })).toHaveValue('alerts');
  expect(screen.getByRole('combobox', { name: 'Related class' })).toHaveValue('indicators');
  // The rest of the draft stays.
  expect(screen.getByRole('textbox', { name: 'Related IDs' })).toHaveValue(A);
  expect(screen.getByRole('textbox', { name: 'Reason' })).toHaveValue('kept');
  // Read once: the parameters leave the URL (others stay).
  await waitFor(() =>
    expect(screen.getByRole('status', { name: 'Query string' })).toHaveTextContent(/^\?tab=links$/),
  );
});

test('a malformed subject in the URL is not taken', async () => {
  serveObjects();
  setup('/?subject_class=alerts&subject=not-an-id');
  await waitFor(() =>
    expect(screen.getByRole('combobox', { name: 'Subject class' })).toHaveValue('alerts'),
  );
  expect(screen.getByRole('combobox', { name: 'Subject object' })).toHaveValue('');
});
