/** React Query factories and mutations for the console's own API (`/api`). */
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import {
  batchItemsPageSchema,
  batchListSchema,
  batchSummarySchema,
  consoleConfigSchema,
  linkCheckSchema,
  retryPreviewSchema,
  undoPreviewSchema,
  type LinkCheckRequest,
  type BatchExportFormat,
  type CreateBatchRequest,
  type ItemState,
  type RetryRequest,
  type UndoRequest,
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

/** One page of a batch's per-ID ledger, filtered and searched on the server. */
export function fetchBatchItemsPage(id: string, filter: ItemsFilter, signal?: AbortSignal) {
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
      queryFn: ({ signal }) => fetchBatchItemsPage(id, filter, signal),
    }),
  /** What "Undo batch" would do, checked against the current links; always read afresh. */
  undoPreview: (id: string) =>
    queryOptions({
      queryKey: ['batches', 'undo-preview', id],
      queryFn: ({ signal }) =>
        request(`/api/batches/${encodeURIComponent(id)}/undo-preview`, undoPreviewSchema, {
          signal,
        }),
      staleTime: 0,
      gcTime: 0,
    }),
  /** What "Retry failed" would include and leave out; always read afresh. */
  retryPreview: (id: string) =>
    queryOptions({
      queryKey: ['batches', 'retry-preview', id],
      queryFn: ({ signal }) =>
        request(`/api/batches/${encodeURIComponent(id)}/retry-preview`, retryPreviewSchema, {
          signal,
        }),
      staleTime: 0,
      gcTime: 0,
    }),
};

/** The server's streamed export of every item of a batch (a download, not a fetch). */
export function batchExportUrl(id: string, format: BatchExportFormat): string {
  return `/api/batches/${encodeURIComponent(id)}/export?format=${format}`;
}

/** A fresh `Idempotency-Key`: one per user intent, reused if that intent is sent twice. */
export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function')
    return crypto.randomUUID();
  return `k${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

export type BatchControl = 'pause' | 'resume' | 'stop';

/** Pauses, resumes or stops a batch; the answer (the new summary) goes straight into the cache. */
export function useBatchControl() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, control }: { id: string; control: BatchControl }) =>
      request(`/api/batches/${encodeURIComponent(id)}/${control}`, batchSummarySchema, {
        method: 'POST',
      }),
    onSuccess: async (batch) => {
      queryClient.setQueryData(batchQueries.detail(batch.id).queryKey, batch);
      await queryClient.invalidateQueries({ queryKey: ['batches', 'list'] });
    },
  });
}

/**
 * Creates the undo batch of `id` (the inverse action on exactly its succeeded IDs). Sends
 * `{"include_unrecorded": true}` only when `includeUnrecorded` (the "I understand" of a batch
 * recorded before change tracking, which the server refuses without it: 409
 * `CHANGES_NOT_RECORDED`), `{}` otherwise.
 */
export function useUndoBatch() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({
      id,
      idempotencyKey,
      includeUnrecorded = false,
    }: {
      id: string;
      idempotencyKey: string;
      includeUnrecorded?: boolean;
    }) =>
      request(`/api/batches/${encodeURIComponent(id)}/undo`, batchSummarySchema, {
        method: 'POST',
        body: (includeUnrecorded ? { include_unrecorded: true } : {}) satisfies UndoRequest,
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    onSuccess: async (batch) => {
      queryClient.setQueryData(batchQueries.detail(batch.id).queryKey, batch);
      await queryClient.invalidateQueries({ queryKey: ['batches', 'list'] });
    },
  });
}

/**
 * Creates the retry batch of `id` on the server (`retry_of`): its failed IDs with a transient or
 * unexplained cause, its unknown and skipped IDs, and its permanent failures when asked.
 */
export function useRetryBatch() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({
      id,
      includePermanent,
      idempotencyKey,
    }: {
      id: string;
      includePermanent: boolean;
      idempotencyKey: string;
    }) =>
      request(`/api/batches/${encodeURIComponent(id)}/retry`, batchSummarySchema, {
        method: 'POST',
        body: { include_permanent: includePermanent } satisfies RetryRequest,
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    onSuccess: async (batch) => {
      queryClient.setQueryData(batchQueries.detail(batch.id).queryKey, batch);
      await queryClient.invalidateQueries({ queryKey: ['batches', 'list'] });
    },
  });
}

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

/**
 * Checks pasted IDs against the subject's current links before a submit (read-only). A mutation,
 * not a query: the analyst asks for it, and its answer is about the moment it was asked.
 */
export function useCheckLinks() {
  return useMutation({
    mutationFn: (body: LinkCheckRequest) =>
      request('/api/checks', linkCheckSchema, { method: 'POST', body }),
  });
}
