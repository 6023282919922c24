import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import type { BatchItem, BatchSummary } from '../api/schemas';

/** One MSW server for component tests; each test declares its own handlers with `server.use`. */
export const server = setupServer();

/**
 * Serves one batch's summary and its items, filtering (`state`, `q`) and paging like the server.
 * Returns the item queries it answered, in order.
 */
export function serveBatch(batch: BatchSummary, items: BatchItem[]): URLSearchParams[] {
  const itemQueries: URLSearchParams[] = [];
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
