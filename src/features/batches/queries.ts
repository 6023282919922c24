/** Reads of the batches vertical that go beyond the shared `batchQueries` factory. */
import { request } from '../../api/client';
import { collectAllPages, uniqueInOrder } from '../../api/paging';
import {
  batchItemsPageSchema,
  MAX_ITEMS_PAGE,
  type BatchItem,
  type BatchState,
  type ItemState,
} from '../../api/schemas';

/** Polling period of a batch that is still moving. */
export const ACTIVE_POLL_MS = 500;

export function isActiveBatchState(state: BatchState | undefined): boolean {
  return state === 'running' || state === 'paused';
}

/**
 * Every item of a batch (optionally of one state), read a page of 1000 at a time. Not cached:
 * these lists can hold 100,000 rows and are used once (retry, copy, export).
 */
export function fetchAllBatchItems(
  batchId: string,
  state?: ItemState,
  signal?: AbortSignal,
): Promise<BatchItem[]> {
  return collectAllPages(async (offset, limit) => {
    const params = new URLSearchParams({ offset: String(offset), limit: String(limit) });
    if (state) params.set('state', state);
    return request(
      `/api/batches/${encodeURIComponent(batchId)}/items?${params.toString()}`,
      batchItemsPageSchema,
      { signal },
    );
  }, MAX_ITEMS_PAGE);
}

/** The IDs of a batch in one state, each once. */
export async function fetchBatchIdsInState(batchId: string, state: ItemState): Promise<string[]> {
  const items = await fetchAllBatchItems(batchId, state);
  return uniqueInOrder(items.map((i) => i.id));
}
