import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { Route, Routes } from 'react-router';
import { expect, test } from 'vitest';
import type { ConsoleConfig } from '../api/schemas';
import { batchSummary } from '../testing/fixtures';
import { server } from '../testing/msw';
import { render } from '../testing/render';
import { routes } from '../lib/paths';
import { ObjectPage } from './object-page';

const PROJECT = 'project0000000000000000000000001';
const WORKSPACE = 'ws000000000000000000000000000001';
const INCIDENT = 'incident00000000000000000000000001';
const BASE = `/v1/${PROJECT}/workspaces/${WORKSPACE}/soc`;

const config: ConsoleConfig = {
  mode: 'emulator',
  projectId: PROJECT,
  endpoint: 'http://127.0.0.1:8081',
  region: null,
  user: 'local',
  maxBatchIds: 100000,
  maxIdsPerCall: 100,
} as ConsoleConfig;

function renderPage(path: string) {
  return render(
    <Routes>
      <Route
        path={routes.object}
        element={<ObjectPage config={config} workspaceId={WORKSPACE} />}
      />
    </Routes>,
    { route: path },
  );
}

test('the object page shows the object, a region per class of links, and the batches that touched it', async () => {
  const touchQueries: URLSearchParams[] = [];
  server.use(
    http.get(`${BASE}/incidents/${INCIDENT}`, () =>
      HttpResponse.json({
        code: '00000000',
        data: {
          id: INCIDENT,
          data_object: {
            id: INCIDENT,
            title: 'Brute force campaign',
            severity: 'High',
            handle_status: 'Open',
            create_time: '2025-01-01T10:00:00.000Z',
            update_time: '2025-01-02T10:00:00.000Z',
          },
        },
      }),
    ),
    http.post(`${BASE}/incidents/${INCIDENT}/:related/search`, ({ params }) => {
      const related = params.related as string;
      const id = `${related.slice(0, -1)}`.padEnd(32, '0') + '1';
      return HttpResponse.json({
        code: '00000000',
        total: 1,
        data: [{ id, data_object: { id, title: `One of the ${related}` } }],
      });
    }),
    http.get('/api/batches', ({ request }) => {
      touchQueries.push(new URL(request.url).searchParams);
      return HttpResponse.json({
        items: [batchSummary({ data_object_id: INCIDENT })],
        total: 1,
        offset: 0,
        limit: 20,
      });
    }),
  );
  renderPage(`/objects/incidents/${INCIDENT}`);

  expect(await screen.findByRole('heading', { name: 'Brute force campaign' })).toBeVisible();
  expect(screen.getByText('High')).toBeVisible();
  expect(screen.getByText('Open')).toBeVisible();
  expect(screen.getByRole('tab', { name: 'Links' })).toHaveAttribute('aria-selected', 'true');
  expect(screen.getByRole('tab', { name: 'Graph' })).toBeVisible();
  for (const [related, singular] of [
    ['alerts', 'alert'],
    ['incidents', 'incident'],
    ['indicators', 'indicator'],
  ] as const) {
    const region = screen.getByRole('region', { name: `Linked ${related}` });
    const link = await within(region).findByRole('link', { name: `One of the ${related}` });
    expect(link).toHaveAttribute('href', `/objects/${related}/${singular.padEnd(32, '0')}1`);
  }

  const batches = screen.getByRole('region', { name: 'Batches on this object' });
  expect(
    await within(batches).findByRole('link', { name: `Open batch ${batchSummary().id}` }),
  ).toHaveAttribute('href', `/batches/${batchSummary().id}`);
  expect(within(batches).getByRole('link', { name: 'All in history' })).toHaveAttribute(
    'href',
    `/history?touches=${INCIDENT}`,
  );
  expect(touchQueries.map((q) => [q.get('touches'), q.get('limit')])).toEqual([[INCIDENT, '20']]);
});

test('an object that is not in the workspace says so plainly', async () => {
  server.use(
    http.get(`${BASE}/alerts/:id`, () =>
      HttpResponse.json(
        { code: 'SecMaster.20030005', message: 'data object does not exist' },
        { status: 400 },
      ),
    ),
  );
  const missing = 'ffffffff-ffff-4fff-8fff-fffffffffff0';
  renderPage(`/objects/alerts/${missing}`);
  expect(await screen.findByRole('alert')).toHaveTextContent(
    `No alert with ID ${missing} in this workspace.`,
  );
  expect(screen.queryByRole('region', { name: 'Linked alerts' })).toBeNull();
});

test('a class that does not exist is named', async () => {
  renderPage(`/objects/widgets/${INCIDENT}`);
  expect(await screen.findByRole('alert')).toHaveTextContent('There is no class "widgets"');
});
