/** The console's batch API, called the way automation would. */
import { expect, type APIRequestContext } from '@playwright/test';

export const API_HEADERS = { 'X-Requested-With': 'e2e' };

export async function createBatch(
  request: APIRequestContext,
  data: Record<string, unknown>,
  idempotencyKey?: string,
): Promise<{ id: string; status: number }> {
  const res = await request.post('/api/batches', {
    headers: idempotencyKey ? { ...API_HEADERS, 'Idempotency-Key': idempotencyKey } : API_HEADERS,
    data,
  });
  expect([200, 201]).toContain(res.status());
  const { id } = (await res.json()) as { id: string };
  return { id, status: res.status() };
}
