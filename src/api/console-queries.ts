/** React Query factories and mutations for the console's own API (`/api`). */
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import {
  batchItemsPageSchema,
  batchListSchema,
  batchSummarySchema,
  consoleConfigSchema,
  type CreateBatchRequest,
  type ItemState,
} from './schemas';

export const consoleQueries = {
  config: () =>
    queryOptions({
      queryKey: ['console', 'config'],
      queryFn: ({ signal }) => request('/api/config', consoleConfigSchema, { signal }),
      staleTime: Infinity,
    }),
};

export interface ItemsFilter {
  state?: ItemState | undefined;
  q?: string | undefined;
  offset: number;
  limit: number;
}

export const batchQueries = {
  all: () => ['batches'] as const,
  list: (offset: number, limit: number) =>
    queryOptions({
      queryKey: ['batches', 'list', { offset, limit }],
      queryFn: ({ signal }) =>
        request(`/api/batches?offset=${offset}&limit=${limit}`, batchListSchema, { signal }),
    }),
  detail: (id: string) =>
    queryOptions({
      queryKey: ['batches', 'detail', id],
      queryFn: ({ signal }) =>
        request(`/api/batches/${encodeURIComponent(id)}`, batchSummarySchema, { signal }),
    }),
  items: (id: string, filter: ItemsFilter) =>
    queryOptions({
      queryKey: ['batches', 'items', id, filter],
      queryFn: ({ signal }) => {
        const params = new URLSearchParams({
          offset: String(filter.offset),
          limit: String(filter.limit),
        });
        if (filter.state) params.set('state', filter.state);
        if (filter.q) params.set('q', filter.q);
        return request(
          `/api/batches/${encodeURIComponent(id)}/items?${params.toString()}`,
          batchItemsPageSchema,
          { signal },
        );
      },
    }),
};

/** Creates a batch; the caller navigates to `/batches/{id}` on success. */
export function useCreateBatch() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateBatchRequest) =>
      request('/api/batches', batchSummarySchema, { method: 'POST', body }),
    onSuccess: async (batch) => {
      queryClient.setQueryData(batchQueries.detail(batch.id).queryKey, batch);
      await queryClient.invalidateQueries({ queryKey: ['batches', 'list'] });
    },
  });
}
