import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import type { BatchItem, BatchSummary, ConsoleConfig } from '../api/schemas';

/** One MSW server for component tests; each test declares its own handlers with `server.use`. */
export const server = setupServer();

export const NAMES_PROJECT = 'project-names-0000000000000000001';

export interface NamesFixture {
  /** Workspace ID → name. */
  workspaces?: Record<string, string>;
  /** Object ID (any class) → title; any other ID is not found. */
  titles?: Record<string, string>;
}

/**
 * Serves what names need: `/api/config` (project NAMES_PROJECT), the workspace list, one object
 * (`GET …/soc/{class}/{id}`) and `id in` searches (`POST …/soc/{class}/search`), from `fixture`.
 * Returns the ID lists the searches asked for, in order.
 */
export function serveNames(fixture: NamesFixture = {}): string[][] {
  const searched: string[][] = [];
  const titles = fixture.titles ?? {};
  const detail = (id: string) => ({ id, data_object: { id, title: titles[id] } });
  const config: ConsoleConfig = {
    mode: 'emulator',
    projectId: NAMES_PROJECT,
    endpoint: 'http://emulator',
    region: null,
    user: 'analyst',
    maxBatchIds: 100_000,
    maxIdsPerCall: 100,
  };
  server.use(
    http.get('/api/config', () => HttpResponse.json(config)),
    http.get('/v1/:project/workspaces', () =>
      HttpResponse.json({
        workspaces: Object.entries(fixture.workspaces ?? {}).map(([id, name]) => ({ id, name })),
      }),
    ),
    http.get('/v1/:project/workspaces/:ws/soc/:dataclass/:id', ({ params }) => {
      const id = String(params.id);
      return titles[id] === undefined
        ? HttpResponse.json({ code: 'SecMaster.20030005', message: 'not found' }, { status: 404 })
        : HttpResponse.json({ code: '00000000', data: detail(id) });
    }),
    http.post('/v1/:project/workspaces/:ws/soc/:dataclass/search', async ({ request }) => {
      const body = (await request.json()) as {
        condition?: { conditions?: { data: string[] }[] };
      };
      const ids = (body.condition?.conditions?.[0]?.data[2] ?? '').split(',').filter(Boolean);
      searched.push(ids);
      const found = ids.filter((id) => titles[id] !== undefined);
      return HttpResponse.json({ code: '00000000', total: found.length, data: found.map(detail) });
    }),
  );
  return searched;
}

/**
 * Serves one batch's summary and its items, filtering (`state`, `q`) and paging like the server.
 * Returns the item queries it answered, in order.
 */
export function serveBatch(batch: BatchSummary, items: BatchItem[]): URLSearchParams[] {
  const itemQueries: URLSearchParams[] = [];
  serveNames();
  server.use(
    http.get('/api/batches/:id', () => HttpResponse.json(batch)),
    http.get('/api/batches/:id/items', ({ request }) => {
      const params = new URL(request.url).searchParams;
      itemQueries.push(params);
      const state = params.get('state');
      const q = params.get('q');
      const offset = Number(params.get('offset') ?? 0);
      const limit = Math.min(Number(params.get('limit') ?? 100), 1000);
      const matching = items.filter(
        (i) => (!state || i.state === state) && (!q || i.id.includes(q)),
      );
      return HttpResponse.json({
        items: matching.slice(offset, offset + limit),
        total: matching.length,
        offset,
        limit,
      });
    }),
  );
  return itemQueries;
}
