/** Reads of the batches vertical that go beyond the shared `batchQueries` factory. */
import { fetchBatchItemsPage } from '../../api/console-queries';
import { collectAllPages, uniqueInOrder } from '../../api/paging';
import { MAX_ITEMS_PAGE, type BatchItem, type ItemState } from '../../api/schemas';

/** Polling period of a batch that is still moving. */
export const ACTIVE_POLL_MS = 500;

/**
 * Every item of a batch (optionally of one state), read a page of 1000 at a time. Not cached:
 * these lists can hold 100,000 rows and are used once (a copy of the IDs of one state).
 */
export function fetchAllBatchItems(
  batchId: string,
  state?: ItemState,
  signal?: AbortSignal,
): Promise<BatchItem[]> {
  return collectAllPages(
    (offset, limit) => fetchBatchItemsPage(batchId, { state, offset, limit }, signal),
    MAX_ITEMS_PAGE,
  );
}

/** The IDs of a batch in one state, each once. */
export async function fetchBatchIdsInState(batchId: string, state: ItemState): Promise<string[]> {
  const items = await fetchAllBatchItems(batchId, state);
  return uniqueInOrder(items.map((i) => i.id));
}
