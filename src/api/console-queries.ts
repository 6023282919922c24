/** React Query factories and mutations for the console's own API (`/api`). */
import { queryOptions, useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { request } from './client';
import {
  batchItemsPageSchema,
  batchListSchema,
  batchSummarySchema,
  consoleConfigSchema,
  linkCheckSchema,
  moveItemsPageSchema,
  moveSummarySchema,
  retryPreviewSchema,
  undoPreviewSchema,
  type LinkCheckRequest,
  type BatchExportFormat,
  type BatchState,
  type BatchSummary,
  type CreateBatchRequest,
  type CreateMoveRequest,
  type CreatePairsRequest,
  type ItemState,
  type MoveResult,
  type MoveSummary,
  type RetryRequest,
  type UndoRequest,
} from './schemas';

/** Query keys of the console's own settings. */
export const consoleKeys = {
  all: ['console'] as const,
  config: () => [...consoleKeys.all, 'config'] as const,
};

export const consoleQueries = {
  config: () =>
    queryOptions({
      queryKey: consoleKeys.config(),
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

/** The console API's address of one batch, or of one of its sub-resources (`suffix`). */
function batchApiPath(id: string, suffix = ''): string {
  return `/api/batches/${encodeURIComponent(id)}${suffix}`;
}

/** One page of a batch's per-ID ledger, filtered and searched on the server. */
export function fetchBatchItemsPage(id: string, filter: ItemsFilter, signal?: AbortSignal) {
  const params = new URLSearchParams({
    offset: String(filter.offset),
    limit: String(filter.limit),
  });
  if (filter.state) params.set('state', filter.state);
  if (filter.q) params.set('q', filter.q);
  return request(batchApiPath(id, `/items?${params.toString()}`), batchItemsPageSchema, {
    signal,
  });
}

/**
 * The history's filters (`GET /api/batches`), each optional and AND-ed: `q` free text (a substring
 * of a batch's id, subject, user or reason, or exactly an ID it touched), `subject`, `touches` (an
 * ID the batch touched), `user`, `state`, `kind`, and `from`/`to` (ISO dates or date-times,
 * inclusive; a date as `to` is that whole day in UTC).
 */
export interface HistoryFilter {
  q?: string | undefined;
  subject?: string | undefined;
  touches?: string | undefined;
  user?: string | undefined;
  state?: BatchState | undefined;
  kind?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** The query string of a page of the history (blank filters left out). */
export function historyQuery(offset: number, limit: number, filter: HistoryFilter = {}): string {
  const params = new URLSearchParams({ offset: String(offset), limit: String(limit) });
  for (const [name, value] of Object.entries(filter))
    if (typeof value === 'string' && value !== '') params.set(name, value);
  return params.toString();
}

/**
 * Query keys of the batches, from the widest to the narrowest: a prefix matches every key below it
 * (e.g. `lists()` every page of the history, `items(id)` every page of one batch's results).
 */
export const batchKeys = {
  all: ['batches'] as const,
  lists: () => [...batchKeys.all, 'list'] as const,
  list: (offset: number, limit: number, filter: HistoryFilter = {}) =>
    [...batchKeys.lists(), { offset, limit, ...filter }] as const,
  details: () => [...batchKeys.all, 'detail'] as const,
  detail: (id: string) => [...batchKeys.details(), id] as const,
  items: (id: string) => [...batchKeys.all, 'items', id] as const,
  itemsPage: (id: string, filter: ItemsFilter) => [...batchKeys.items(id), filter] as const,
  undoPreview: (id: string) => [...batchKeys.all, 'undo-preview', id] as const,
  retryPreview: (id: string) => [...batchKeys.all, 'retry-preview', id] as const,
};

export const batchQueries = {
  /** A page of the history, newest first, filtered on the server (`HistoryFilter`). */
  list: (offset: number, limit: number, filter: HistoryFilter = {}) =>
    queryOptions({
      queryKey: batchKeys.list(offset, limit, filter),
      queryFn: ({ signal }) =>
        request(`/api/batches?${historyQuery(offset, limit, filter)}`, batchListSchema, {
          signal,
        }),
    }),
  detail: (id: string) =>
    queryOptions({
      queryKey: batchKeys.detail(id),
      queryFn: ({ signal }) => request(batchApiPath(id), batchSummarySchema, { signal }),
    }),
  items: (id: string, filter: ItemsFilter) =>
    queryOptions({
      queryKey: batchKeys.itemsPage(id, filter),
      queryFn: ({ signal }) => fetchBatchItemsPage(id, filter, signal),
    }),
  /** What "Undo batch" would do, checked against the current links; always read afresh. */
  undoPreview: (id: string) =>
    queryOptions({
      queryKey: batchKeys.undoPreview(id),
      queryFn: ({ signal }) =>
        request(batchApiPath(id, '/undo-preview'), undoPreviewSchema, { signal }),
      staleTime: 0,
      gcTime: 0,
    }),
  /** What "Retry failed" would include and leave out; always read afresh. */
  retryPreview: (id: string) =>
    queryOptions({
      queryKey: batchKeys.retryPreview(id),
      queryFn: ({ signal }) =>
        request(batchApiPath(id, '/retry-preview'), retryPreviewSchema, { signal }),
      staleTime: 0,
      gcTime: 0,
    }),
};

/** The server's streamed export of every item of a batch (a download, not a fetch). */
export function batchExportUrl(id: string, format: BatchExportFormat): string {
  return batchApiPath(id, `/export?format=${format}`);
}

/** A fresh `Idempotency-Key`: one per user intent, reused if that intent is sent twice. */
export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function')
    return crypto.randomUUID();
  return `k${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

export type BatchControl = 'pause' | 'resume' | 'stop';

/**
 * What every mutation answering a batch summary does with it: the summary goes straight into the
 * cache, and the history's pages are read afresh (the batch is new, or its line changed).
 */
async function rememberBatch(queryClient: QueryClient, batch: BatchSummary): Promise<void> {
  queryClient.setQueryData(batchQueries.detail(batch.id).queryKey, batch);
  await queryClient.invalidateQueries({ queryKey: batchKeys.lists() });
}

/** Pauses, resumes or stops a batch; the answer (the new summary) goes straight into the cache. */
export function useBatchControl() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, control }: { id: string; control: BatchControl }) =>
      request(batchApiPath(id, `/${control}`), batchSummarySchema, {
        method: 'POST',
      }),
    onSuccess: (batch) => rememberBatch(queryClient, batch),
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
      request(batchApiPath(id, '/undo'), batchSummarySchema, {
        method: 'POST',
        body: (includeUnrecorded ? { include_unrecorded: true } : {}) satisfies UndoRequest,
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    onSuccess: (batch) => rememberBatch(queryClient, batch),
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
      request(batchApiPath(id, '/retry'), batchSummarySchema, {
        method: 'POST',
        body: { include_permanent: includePermanent } satisfies RetryRequest,
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    onSuccess: (batch) => rememberBatch(queryClient, batch),
  });
}

/**
 * Creates a batch (one subject and its IDs, or pairs of subject and ID: a batch of pairs); the
 * caller navigates to `/batches/{id}` on success.
 */
export function useCreateBatch() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateBatchRequest | CreatePairsRequest) =>
      request('/api/batches', batchSummarySchema, { method: 'POST', body }),
    onSuccess: (batch) => rememberBatch(queryClient, batch),
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

// ---------------------------------------------------------------------------
// Moves: a link batch to the destination, then an unlink batch from the source
// ---------------------------------------------------------------------------

export interface MoveItemsFilter {
  result?: MoveResult | undefined;
  q?: string | undefined;
  offset: number;
  limit: number;
}

function moveApiPath(id: string, suffix = ''): string {
  return `/api/moves/${encodeURIComponent(id)}${suffix}`;
}

export const moveKeys = {
  all: ['moves'] as const,
  detail: (id: string) => [...moveKeys.all, 'detail', id] as const,
  items: (id: string) => [...moveKeys.all, 'items', id] as const,
  itemsPage: (id: string, filter: MoveItemsFilter) => [...moveKeys.items(id), filter] as const,
};

export const moveQueries = {
  detail: (id: string) =>
    queryOptions({
      queryKey: moveKeys.detail(id),
      queryFn: ({ signal }) => request(moveApiPath(id), moveSummarySchema, { signal }),
    }),
  items: (id: string, filter: MoveItemsFilter) =>
    queryOptions({
      queryKey: moveKeys.itemsPage(id, filter),
      queryFn: ({ signal }) => {
        const params = new URLSearchParams({
          offset: String(filter.offset),
          limit: String(filter.limit),
        });
        if (filter.result) params.set('result', filter.result);
        if (filter.q) params.set('q', filter.q);
        return request(moveApiPath(id, `/items?${params.toString()}`), moveItemsPageSchema, {
          signal,
        });
      },
    }),
};

/** The server's streamed export of every ID of a move and what became of it (a download). */
export function moveExportUrl(id: string, format: BatchExportFormat): string {
  return moveApiPath(id, `/export?format=${format}`);
}

/** A move's summary goes into the cache; the history's pages are read afresh. */
async function rememberMove(queryClient: QueryClient, move: MoveSummary): Promise<void> {
  queryClient.setQueryData(moveQueries.detail(move.id).queryKey, move);
  await queryClient.invalidateQueries({ queryKey: batchKeys.lists() });
}

/** Creates a move; the caller navigates to `/moves/{id}` on success. */
export function useCreateMove() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: CreateMoveRequest; idempotencyKey: string }) =>
      request('/api/moves', moveSummarySchema, {
        method: 'POST',
        body,
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    onSuccess: (move) => rememberMove(queryClient, move),
  });
}

/** Undoes a move: a new move back (its `undo_of` is `id`). */
export function useUndoMove() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, idempotencyKey }: { id: string; idempotencyKey: string }) =>
      request(moveApiPath(id, '/undo'), moveSummarySchema, {
        method: 'POST',
        body: {},
        headers: { 'Idempotency-Key': idempotencyKey },
      }),
    onSuccess: async (move, { id }) => {
      await rememberMove(queryClient, move);
      await queryClient.invalidateQueries({ queryKey: moveKeys.detail(id) });
    },
  });
}

/** Stops a running move (its running phase stops; what is linked stays linked). */
export function useStopMove() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      request(moveApiPath(id, '/stop'), moveSummarySchema, { method: 'POST' }),
    onSuccess: (move) => rememberMove(queryClient, move),
  });
}
