import type { QueryClient } from '@tanstack/react-query';
import { waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { expect, test } from 'vitest';
import { batchQueries, consoleQueries } from '../api/console-queries';
import { secmasterQueries } from '../api/secmaster-queries';
import { sessionQueries } from '../features/auth/queries';
import { RESULTS_PAGE_SIZE } from '../features/batches/item-pages';
import { server } from '../testing/msw';
import { createTestQueryClient } from '../testing/render';
import { preloadRoute } from './preload-route';

const PID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const WS = '11111111-2222-4333-8444-555555555555';
const BATCH = '7a43d707-821a-4759-86ff-4398ed7b0c04';

function session(signInRequired: boolean) {
  return {
    authenticated: false,
    user: null,
    method: 'none',
    expires_at: null,
    sign_in_required: signInRequired,
    sign_in_methods: signInRequired ? ['access-token'] : [],
    region: null,
  };
}

const summary = {
  id: BATCH,
  action: 'associate',
  state: 'done',
  state_reason: null,
  workspace_id: WS,
  dataclass_type: 'incidents',
  data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
  related_dataclass_type: 'alerts',
  reason: null,
  user: 'local',
  retry_of: null,
  total: 1,
  duplicates: 0,
  counts: {
    pending: 0,
    in_flight: 0,
    succeeded: 1,
    unchanged: 0,
    failed: 0,
    unknown: 0,
    invalid: 0,
    skipped: 0,
  },
  changes_recorded: true,
  created_at: '2026-01-01T00:00:00Z',
  finished_at: '2026-01-01T00:00:01Z',
};

/** The console's reads, recording the paths asked for. */
function consoleServer(signInRequired: boolean) {
  const reads: string[] = [];
  const record = (request: Request) => {
    const url = new URL(request.url);
    reads.push(url.pathname + url.search);
  };
  server.use(
    http.get('/api/session', ({ request }) => {
      record(request);
      return HttpResponse.json(session(signInRequired));
    }),
    http.get('/api/config', ({ request }) => {
      record(request);
      return HttpResponse.json({
        mode: 'emulator',
        projectId: PID,
        endpoint: 'http://127.0.0.1:8081',
        region: null,
        user: 'local',
        maxBatchIds: 100000,
        maxIdsPerCall: 100,
      });
    }),
    http.get(`/v1/${PID}/workspaces`, ({ request }) => {
      record(request);
      return HttpResponse.json({ workspaces: [{ id: WS, name: 'SOC Operations' }], count: 1 });
    }),
    http.get(`/api/batches/${BATCH}`, ({ request }) => {
      record(request);
      return HttpResponse.json(summary);
    }),
    http.get(`/api/batches/${BATCH}/items`, ({ request }) => {
      record(request);
      return HttpResponse.json({
        items: [
          {
            id: 'a'.repeat(32),
            state: 'succeeded',
            code: null,
            message: null,
            request_id: null,
            attempts: 1,
          },
        ],
        total: 1,
        offset: 0,
        limit: RESULTS_PAGE_SIZE,
      });
    }),
  );
  return reads;
}

/**
 * Joins the preload's session read. The preload was answered first (a promise's reactions run in
 * the order they were registered), so once this resolves it has decided what to read next, and any
 * read it chose has already started: its query is in the cache.
 */
async function preloadHasSeenSession(queryClient: QueryClient): Promise<unknown[]> {
  await queryClient.fetchQuery(sessionQueries.current());
  return queryClient
    .getQueryCache()
    .getAll()
    .map((q) => q.queryKey);
}

test('a batch URL reads the session, then config, workspaces, the summary and the first rows', async () => {
  const reads = consoleServer(false);
  const queryClient = createTestQueryClient();
  preloadRoute(queryClient, `/batches/${BATCH}`);
  // The config read starts the moment the session allows it: the moment at which the test below
  // finds that nothing started.
  expect(await preloadHasSeenSession(queryClient)).toContainEqual(consoleQueries.config().queryKey);
  // Filled under the very keys the batch view and its results table read.
  const firstRows = batchQueries.items(BATCH, {
    state: undefined,
    q: undefined,
    offset: 0,
    limit: RESULTS_PAGE_SIZE,
  }).queryKey;
  await waitFor(() => {
    expect(queryClient.getQueryData(batchQueries.detail(BATCH).queryKey)).toMatchObject({
      id: BATCH,
    });
    expect(queryClient.getQueryData(firstRows)).toMatchObject({ total: 1 });
    expect(queryClient.getQueryData(consoleQueries.config().queryKey)).toMatchObject({
      projectId: PID,
    });
    expect(queryClient.getQueryData(secmasterQueries.workspaces(PID).queryKey)).toBeDefined();
  });
  expect(reads[0]).toBe('/api/session');
  expect(reads).toContain(`/api/batches/${BATCH}/items?offset=0&limit=${RESULTS_PAGE_SIZE}`);
});

test('while sign-in is required, nothing but the session is read', async () => {
  const reads = consoleServer(true);
  const queryClient = createTestQueryClient();
  preloadRoute(queryClient, `/batches/${BATCH}`);
  expect(await preloadHasSeenSession(queryClient)).toEqual([sessionQueries.current().queryKey]);
  expect(reads).toEqual(['/api/session']);
  expect(queryClient.getQueryData(batchQueries.detail(BATCH).queryKey)).toBeUndefined();
});
