import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { expect, test, vi } from 'vitest';
import { server } from '../../testing/msw';
import { servePostBatch } from '../../testing/post-batch';
import { render } from '../../testing/render';
import { LinkedObjects, type MoveDialogRequest } from './linked-objects';

const PROJECT = 'project0000000000000000000000001';
const WORKSPACE = 'ws000000000000000000000000000001';
const ALERT = 'alert0000000000000000000000000001';
const BATCH_ID = '0b5f6f4e-2d6b-4f0e-9a51-6f1c2a9e8d10';
const URL = `/v1/${PROJECT}/workspaces/${WORKSPACE}/soc/alerts/${ALERT}/incidents/search`;

const incidentId = (n: number) => `incident${String(n).padStart(24, '0')}`;

interface Body {
  limit: number;
  offset: number;
  condition?: { conditions?: { data: [string, string, string] }[] };
}

/** Serves `count` incidents linked to the alert, searched and paged like the emulator. */
function serveLinked(count: number) {
  const bodies: Body[] = [];
  const all = Array.from({ length: count }, (_, i) => ({
    id: incidentId(i + 1),
    data_object: {
      id: incidentId(i + 1),
      title: `${i % 2 ? 'Ransomware' : 'Brute force'} case ${i + 1}`,
      severity: 'High',
      handle_status: 'Open',
    },
  }));
  server.use(
    http.post(URL, async ({ request }) => {
      const body = (await request.json()) as Body;
      bodies.push(body);
      const [field, op, value] = body.condition?.conditions?.[0]?.data ?? ['', '', ''];
      const matching = all.filter((d) =>
        op === 'in'
          ? value.split(',').includes(d.id)
          : op === 'contains' && field === 'title'
            ? d.data_object.title.toLowerCase().includes(value.toLowerCase())
            : true,
      );
      return HttpResponse.json({
        code: '00000000',
        total: matching.length,
        data: matching.slice(body.offset, body.offset + body.limit),
      });
    }),
  );
  return bodies;
}

function renderRegion(
  opts: {
    onBatchCreated?: (id: string) => void;
    renderMoveDialog?: (r: MoveDialogRequest) => React.ReactNode;
  } = {},
) {
  render(
    <LinkedObjects
      projectId={PROJECT}
      workspaceId={WORKSPACE}
      dataclass="alerts"
      objectId={ALERT}
      related="incidents"
      onBatchCreated={opts.onBatchCreated ?? (() => {})}
      renderMoveDialog={opts.renderMoveDialog}
    />,
  );
  return screen.getByRole('region', { name: 'Linked incidents' });
}

test('the region pages on the server, and each row links to its own object page', async () => {
  const bodies = serveLinked(45);
  const region = renderRegion();
  const first = await within(region).findByRole('link', { name: 'Brute force case 1' });
  expect(first).toHaveAttribute('href', `/objects/incidents/${incidentId(1)}`);
  expect(within(region).getByText('45 linked')).toBeVisible();
  expect(bodies.at(-1)).toEqual({ limit: 20, offset: 0 });

  await userEvent.click(within(region).getByRole('button', { name: 'Page 3' }));
  const last = await within(region).findByRole('link', { name: 'Brute force case 45' });
  expect(last).toHaveAttribute('href', `/objects/incidents/${incidentId(45)}`);
  expect(bodies.at(-1)).toEqual({ limit: 20, offset: 40 });
  expect(within(region).getAllByRole('row')).toHaveLength(1 + 5);
});

test('the search inside sends a title search, or an exact ID lookup, to the server', async () => {
  const bodies = serveLinked(45);
  const region = renderRegion();
  await within(region).findByRole('link', { name: 'Brute force case 1' });
  const search = within(region).getByRole('textbox', { name: 'Search linked incidents' });

  await userEvent.click(search);
  await userEvent.paste('ransom');
  expect(await within(region).findByText('22 matching', {}, { timeout: 5000 })).toBeVisible();
  expect(within(region).queryByRole('link', { name: /^Brute force/ })).toBeNull();
  expect(bodies.at(-1)?.condition?.conditions?.[0]?.data).toEqual(['title', 'contains', 'ransom']);
  expect(bodies.at(-1)?.offset).toBe(0);

  await userEvent.clear(search);
  await userEvent.paste(incidentId(7));
  expect(await within(region).findByText('1 matching', {}, { timeout: 5000 })).toBeVisible();
  expect(within(region).getByRole('link', { name: 'Brute force case 7' })).toBeVisible();
  expect(bodies.at(-1)?.condition?.conditions?.[0]?.data).toEqual(['id', 'in', incidentId(7)]);

  await userEvent.clear(search);
  await userEvent.paste('nothing-like-this');
  expect(
    await within(region).findByText(
      'No linked incident matches "nothing-like-this".',
      {},
      { timeout: 5000 },
    ),
  ).toBeVisible();
});

test('a selection is cancelled through one cancel batch, after confirmation', async () => {
  serveLinked(3);
  const posted = servePostBatch(BATCH_ID);
  const onBatchCreated = vi.fn();
  const region = renderRegion({ onBatchCreated });
  await within(region).findByRole('link', { name: 'Brute force case 1' });
  expect(
    within(region).getByRole('button', { name: 'Cancel association of 0 selected' }),
  ).toBeDisabled();
  await userEvent.click(within(region).getByRole('checkbox', { name: `Select ${incidentId(1)}` }));
  await userEvent.click(within(region).getByRole('checkbox', { name: `Select ${incidentId(3)}` }));
  await userEvent.click(
    within(region).getByRole('button', { name: 'Cancel association of 2 selected' }),
  );
  const dialog = await screen.findByRole('dialog');
  await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm cancel association' }));
  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(BATCH_ID));
  expect(posted).toEqual([
    {
      action: 'cancel',
      workspace_id: WORKSPACE,
      dataclass_type: 'alerts',
      data_object_id: ALERT,
      related_dataclass_type: 'incidents',
      ids: [incidentId(1), incidentId(3)],
    },
  ]);
});

test('"Move selected" opens the move dialog with the selection; "Link more" opens the form on this object', async () => {
  serveLinked(3);
  const requests: MoveDialogRequest[] = [];
  const region = renderRegion({
    renderMoveDialog: (r) => {
      requests.push(r);
      return r.opened ? <div role="dialog" aria-label="Move to another subject" /> : null;
    },
  });
  await within(region).findByRole('link', { name: 'Brute force case 1' });
  expect(within(region).getByRole('link', { name: 'Link more' })).toHaveAttribute(
    'href',
    `/?subject_class=alerts&subject=${ALERT}&related_class=incidents`,
  );
  await userEvent.click(
    within(region).getByRole('checkbox', { name: 'Select page of linked incidents' }),
  );
  await userEvent.click(within(region).getByRole('button', { name: 'Move selected' }));
  expect(screen.getByRole('dialog', { name: 'Move to another subject' })).toBeInTheDocument();
  expect(requests.at(-1)).toMatchObject({
    opened: true,
    workspaceId: WORKSPACE,
    dataclass: 'alerts',
    sourceId: ALERT,
    relatedClass: 'incidents',
    ids: [incidentId(1), incidentId(2), incidentId(3)],
  });
  expect(requests.at(-1)?.titles.get(incidentId(2))).toBe('Ransomware case 2');
  // Closing the dialog (it is unmounted then) gives the focus back to "Move selected".
  act(() => requests.at(-1)?.onClose());
  expect(screen.queryByRole('dialog', { name: 'Move to another subject' })).toBeNull();
  expect(within(region).getByRole('button', { name: 'Move selected' })).toHaveFocus();
});

test('a selection made across pages and searches is listed in full in the confirmation, and cancelled in full', async () => {
  serveLinked(45);
  const posted = servePostBatch(BATCH_ID);
  const onBatchCreated = vi.fn();
  const region = renderRegion({ onBatchCreated });
  await within(region).findByRole('link', { name: 'Brute force case 1' });
  await userEvent.click(within(region).getByRole('checkbox', { name: `Select ${incidentId(1)}` }));
  await userEvent.click(within(region).getByRole('button', { name: 'Page 3' }));
  await userEvent.click(
    await within(region).findByRole('checkbox', { name: `Select ${incidentId(45)}` }),
  );
  await userEvent.click(within(region).getByRole('textbox', { name: 'Search linked incidents' }));
  await userEvent.paste('ransom');
  await within(region).findByText(/^22 matching · 2 selected$/, {}, { timeout: 5000 });
  await userEvent.click(within(region).getByRole('checkbox', { name: `Select ${incidentId(2)}` }));
  // Neither of the first two is in view now; the confirmation still lists them.
  expect(within(region).queryByRole('checkbox', { name: `Select ${incidentId(1)}` })).toBeNull();
  await userEvent.click(
    within(region).getByRole('button', { name: 'Cancel association of 3 selected' }),
  );
  const dialog = await screen.findByRole('dialog', { name: 'Cancel association?' });
  expect(within(dialog).getByText(/This unlinks 3 incidents from alert/)).toBeInTheDocument();
  const list = within(dialog).getByRole('list', { name: 'Incidents to unlink' });
  expect(
    within(list)
      .getAllByRole('listitem')
      .map((li) => li.textContent),
  ).toEqual([
    `${incidentId(1)} · Brute force case 1`,
    `${incidentId(45)} · Brute force case 45`,
    `${incidentId(2)} · Ransomware case 2`,
  ]);
  await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm cancel association' }));
  await waitFor(() => expect(onBatchCreated).toHaveBeenCalledWith(BATCH_ID));
  expect(posted).toMatchObject([{ ids: [incidentId(1), incidentId(45), incidentId(2)] }]);
  // Paging and searching take longer than the default timeout on a loaded machine.
}, 60_000);
