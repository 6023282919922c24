/**
 * The results table's data: pages of RESULTS_PAGE_SIZE items, fetched only for the rows in view
 * (plus overscan) and cached by page index under the usual `batchQueries.items` key.
 */
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { batchQueries } from '../../api/console-queries';
import type { BatchItem, ItemState } from '../../api/schemas';

export const RESULTS_PAGE_SIZE = 200;
/** The table refreshes a little slower than the counts: it is heavier and moves less. */
export const ITEMS_POLL_MS = 1000;

/** Page indexes covering rows `first..last` (inclusive); page 0 when the range is empty. */
export function pagesForRange(first: number, last: number, pageSize = RESULTS_PAGE_SIZE): number[] {
  if (last < first || last < 0) return [0];
  const from = Math.floor(Math.max(0, first) / pageSize);
  const to = Math.floor(last / pageSize);
  const out: number[] = [];
  for (let p = from; p <= to; p++) out.push(p);
  return out;
}

export interface ItemPagesInput {
  batchId: string;
  state: ItemState | undefined;
  q: string | undefined;
  /** First and last row index in view (with overscan); null before the table has measured. */
  range: { first: number; last: number } | null;
  /** Poll the visible pages (the batch is still moving). */
  poll: boolean;
}

export interface ItemPages {
  /** Rows matching the filter (from page 0, which is always read); undefined until known. */
  total: number | undefined;
  /** The row at `index`, or undefined while its page loads. */
  rowAt(index: number): BatchItem | undefined;
  /** Page 0 shows the previous filter's rows while the new ones load. */
  stale: boolean;
  loading: boolean;
  error: unknown;
  /** Page indexes currently requested (page 0 first). */
  pages: number[];
}

export function useItemPages({ batchId, state, q, range, poll }: ItemPagesInput): ItemPages {
  const filterFor = (page: number) => ({
    state,
    q,
    offset: page * RESULTS_PAGE_SIZE,
    limit: RESULTS_PAGE_SIZE,
  });
  const refetchInterval = poll ? ITEMS_POLL_MS : false;
  // Page 0 carries the total and keeps the previous filter's answer while a new one loads.
  const head = useQuery({
    ...batchQueries.items(batchId, filterFor(0)),
    placeholderData: keepPreviousData,
    refetchInterval,
  });
  const visible = range ? pagesForRange(range.first, range.last) : [0];
  const others = visible.filter((p) => p !== 0);
  const rest = useQueries({
    queries: others.map((p) => ({
      ...batchQueries.items(batchId, filterFor(p)),
      refetchInterval,
    })),
  });
  const byPage = new Map<number, BatchItem[]>();
  if (head.data) byPage.set(0, head.data.items);
  others.forEach((p, i) => {
    const data = rest[i]?.data;
    if (data) byPage.set(p, data.items);
  });
  return {
    total: head.data?.total,
    rowAt(index) {
      const page = Math.floor(index / RESULTS_PAGE_SIZE);
      return byPage.get(page)?.[index - page * RESULTS_PAGE_SIZE];
    },
    stale: head.isPlaceholderData,
    loading: head.isPending || rest.some((r) => r.isPending),
    error: head.error ?? rest.find((r) => r.error)?.error ?? null,
    pages: [0, ...others],
  };
}
