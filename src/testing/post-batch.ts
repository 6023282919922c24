import { http, HttpResponse } from 'msw';
import type { BatchSummary } from '../api/schemas';
import { batchSummary, itemCounts } from './fixtures';
import { server } from './msw';

/**
 * Answers `POST /api/batches` with a running batch `id` made of the request (as the server
 * does) and records each request body, in order.
 */
export function servePostBatch(id: string): Record<string, unknown>[] {
  const posted: Record<string, unknown>[] = [];
  server.use(
    http.post('/api/batches', async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      posted.push(body);
      const total = Array.isArray(body.ids) ? body.ids.length : 0;
      return HttpResponse.json(
        batchSummary({
          ...(body as Partial<BatchSummary>),
          id,
          state: 'running',
          reason: null,
          total,
          counts: itemCounts({ pending: total }),
          finished_at: null,
        }),
        { status: 201 },
      );
    }),
  );
  return posted;
}
