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

/**
 * An "associate alerts with an incident" batch of `ids`, paused at once: with IDs SecMaster does
 * not know and no latency it would end in seconds, and a paused batch stays unfinished.
 */
export async function createPausedBatch(
  request: APIRequestContext,
  workspaceId: string,
  incidentId: string,
  ids: string[],
): Promise<string> {
  const { id } = await createBatch(request, associateAlerts(workspaceId, incidentId, ids));
  const paused = await request.post(`/api/batches/${id}/pause`, { headers: API_HEADERS });
  expect(paused.status()).toBe(200);
  return id;
}

/** `count` well-formed IDs that SecMaster does not know, all starting with `prefix`. */
export function unknownIds(count: number, prefix: string): string[] {
  return Array.from(
    { length: count },
    (_, i) => `${prefix}-${String(i).padStart(40 - prefix.length, '0')}`,
  );
}

/** The body of a batch associating alerts (`ids`) with an incident. */
export function associateAlerts(workspaceId: string, incidentId: string, ids: string[]) {
  return {
    action: 'associate',
    workspace_id: workspaceId,
    dataclass_type: 'incidents',
    data_object_id: incidentId,
    related_dataclass_type: 'alerts',
    ids,
  };
}
