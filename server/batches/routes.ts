/**
 * The batch API: create a batch (once per `Idempotency-Key`), list and read
 * batches, pause/resume/stop, undo (with a preview that re-reads the current links from
 * SecMaster), export as CSV or JSON, and page through a batch's items. Every batch answer is the
 * ledger's summary plus `undo_of` and `credential_source`.
 *
 * HTTP only: the rules (IDs, idempotency, retry, undo) are the batch service's
 * (`batches/service.ts`); a route parses the request, calls it, and answers its result or its
 * refusal (`ServiceError`) as JSON.
 */
import type { Context, Hono } from 'hono';
import { ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  MAX_ITEMS_PAGE,
  createBatchRequestSchema,
  retryRequestSchema,
  undoRequestSchema,
  isUuid,
  itemStateSchema,
} from '../../src/api/schemas';
import { requireSecMasterIdentity } from '../access/access';
import type { CallCredentials, CallIdentity } from '../access/credentials';
import type { BatchRecord } from './ledger';
import { parseHistoryFilter } from './history-filter';
import { exportResponse, exportStream } from './records';
import type { ServiceStores } from '../db/service-stores';
import type { Runner } from './engine/runner';
import {
  ServiceError,
  checkIdempotencyKey,
  createBatchService,
  type BatchContext,
  type BatchControls,
  type Created,
} from './service';
import type { Upstream } from '../secmaster/client';
import { invalidBody, jsonBody, jsonError } from '../http/json-error';
import { LookupError } from '../secmaster/lookups';

// Names other modules import from here.
export { INVALID_ID_MESSAGE, type BatchControls } from './service';
const DEFAULT_BATCH_PAGE = 50;
const MAX_BATCH_PAGE = 200;
const MAX_QUERY_LENGTH = 64;

/** Parses a non-negative integer query value; undefined when absent, null when malformed. */
export function intParam(value: string | undefined): number | undefined | null {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) return null;
  return Number(value);
}

/**
 * `offset` and `limit` of a list route (`limit` defaults to `fallback` and is clamped to `max`),
 * or the 400 that names the bad one.
 */
export function pagingOf(
  c: Context,
  fallback: number,
  max: number,
): { offset: number; limit: number } | Response {
  const offset = intParam(c.req.query('offset'));
  const limit = intParam(c.req.query('limit'));
  if (offset === null)
    return jsonError(c, 400, 'INVALID_QUERY', 'offset: must be a non-negative integer', 'offset');
  if (limit === null)
    return jsonError(c, 400, 'INVALID_QUERY', 'limit: must be a non-negative integer', 'limit');
  return { offset: offset ?? 0, limit: Math.min(limit ?? fallback, max) };
}

/** `format` of an export: `csv` (the default) or `json`, or the 400 that says so. */
export function formatOf(c: Context): 'csv' | 'json' | Response {
  const format = c.req.query('format') ?? 'csv';
  if (format !== 'csv' && format !== 'json') {
    return jsonError(c, 400, 'INVALID_QUERY', 'format: csv or json', 'format');
  }
  return format;
}

/**
 * The query of an items route: its page (`offset`, `limit` up to MAX_ITEMS_PAGE), the optional
 * value of its filter `name` (one of `schema`'s; else a 400 saying it is `not`), and `q` (trimmed,
 * at most MAX_QUERY_LENGTH characters, undefined when blank); or the 400 that names the bad one.
 */
export function itemsQueryOf<T>(
  c: Context,
  name: string,
  schema: z.ZodType<T>,
  not: string,
): { offset: number; limit: number; filter: T | undefined; q: string | undefined } | Response {
  const paging = pagingOf(c, MAX_ITEMS_PAGE, MAX_ITEMS_PAGE);
  if (paging instanceof Response) return paging;
  const raw = c.req.query(name);
  let filter: T | undefined;
  if (raw !== undefined && raw !== '') {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return jsonError(c, 400, 'INVALID_QUERY', `${name}: ${not}`, name);
    filter = parsed.data;
  }
  const q = (c.req.query('q') ?? '').trim();
  if (q.length > MAX_QUERY_LENGTH) {
    return jsonError(c, 400, 'INVALID_QUERY', `q: at most ${MAX_QUERY_LENGTH} characters`, 'q');
  }
  // No ID or title holds one, and PostgreSQL refuses it in a text parameter (a 500, not a search).
  if (q.includes('\0')) {
    return jsonError(c, 400, 'INVALID_QUERY', 'q: must not contain a NUL character', 'q');
  }
  return { ...paging, filter, q: q || undefined };
}

export interface BatchRouteDeps {
  /** The ledger's stores (SQLite or PostgreSQL). */
  stores: ServiceStores;
  runner: Pick<Runner, 'start'> & BatchControls;
  /** Who a request's SecMaster calls and the batches it starts or resumes run as. */
  identityOf: (c: Context) => CallIdentity;
  /** Where a request's own SecMaster calls go (the undo preview's link check). */
  upstreamOf: (c: Context) => Upstream;
  credentials: Pick<CallCredentials, 'assign'>;
  /** Who the batches are recorded for. */
  userOf: (c: Context) => string;
}

/** A JSON body parsed with `schema`, where an empty body means `{}`; or the 400 to return. */
export async function optionalJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T | Response> {
  let raw: unknown = {};
  const text = await c.req.text();
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text) as unknown;
    } catch {
      return jsonError(c, 400, 'INVALID_JSON', 'the body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : invalidBody(c, parsed.error);
}

/** The Node response under this request when served by `@hono/node-server`, else null. */
export function nodeResponseOf(c: Context): ServerResponse | null {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('outgoing' in env)) return null;
  return env.outgoing instanceof ServerResponse ? env.outgoing : null;
}

/** The service's refusal as the console's JSON error; any other error propagates. */
export function refusal(c: Context, err: unknown): Response {
  if (err instanceof ServiceError)
    return jsonError(c, err.status, err.code, err.message, err.field);
  if (err instanceof LookupError) return jsonError(c, err.status, err.code, err.message);
  throw err;
}

/**
 * Who asks and the request's `Idempotency-Key` (absent, or checked well-formed), as the services
 * take them; or the 400 for a malformed key.
 */
export function requestContextOf(
  c: Context,
  deps: Pick<BatchRouteDeps, 'userOf' | 'identityOf'>,
): BatchContext | Response {
  const key = c.req.header('idempotency-key');
  try {
    checkIdempotencyKey(key);
  } catch (err) {
    return refusal(c, err);
  }
  return { user: deps.userOf(c), identity: deps.identityOf(c), idempotencyKey: key };
}

/** The request's JSON body parsed with `schema`, or the 400 to return. */
export async function parsedBody<T>(c: Context, schema: z.ZodType<T>): Promise<T | Response> {
  const raw = await jsonBody(c);
  if (raw instanceof Response) return raw;
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : invalidBody(c, parsed.error);
}

/**
 * The answer to a request that makes a batch (or a group) of `body` (or the 400 already found in
 * it): what `make` created, 201 at `${location}/{id}`; the one an earlier request with the same key
 * and body created, 200 with `Idempotent-Replayed`; or the service's refusal.
 */
export async function createdFrom<T>(
  c: Context,
  body: T | Response,
  make: (body: T) => Promise<Created>,
  location: string,
  present: (batch: BatchRecord) => Promise<object>,
): Promise<Response> {
  if (body instanceof Response) return body;
  try {
    const result = await make(body);
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    c.header('Location', `${location}/${result.batch.id}`);
    return c.json(await present(result.batch), result.replayed ? 200 : 201);
  } catch (err) {
    return refusal(c, err);
  }
}

export function registerBatchRoutes(app: Hono, deps: BatchRouteDeps): void {
  const { stores, runner } = deps;
  const service = createBatchService({ stores, runner, credentials: deps.credentials });

  /** The batch named in the path, or null (malformed IDs are unknown ones). */
  const batchOf = (c: Context): Promise<BatchRecord | null> => service.get(c.req.param('id') ?? '');

  const location = '/api/batches';

  app.post('/api/batches', requireSecMasterIdentity, async (c) => {
    const ctx = requestContextOf(c, deps);
    if (ctx instanceof Response) return ctx;
    return createdFrom(
      c,
      await parsedBody(c, createBatchRequestSchema),
      (body) => service.create(body, ctx),
      location,
      service.present,
    );
  });

  /** A new batch made from the batch in the path (`make`: an undo or a retry) and the body. */
  const derived =
    <T>(schema: z.ZodType<T>, make: (id: string, body: T, ctx: BatchContext) => Promise<Created>) =>
    async (c: Context): Promise<Response> => {
      const ctx = requestContextOf(c, deps);
      if (ctx instanceof Response) return ctx;
      // An unknown batch answers 404 before its body is read.
      const batch = await batchOf(c);
      if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
      return createdFrom(
        c,
        await optionalJsonBody(c, schema),
        (body) => make(batch.id, body, ctx),
        location,
        service.present,
      );
    };

  // The history, filtered (history-filter.ts: q, subject, touches, user, state, kind, from, to).
  app.get('/api/batches', async (c) => {
    const paging = pagingOf(c, DEFAULT_BATCH_PAGE, MAX_BATCH_PAGE);
    if (paging instanceof Response) return paging;
    const filter = parseHistoryFilter((name) => c.req.query(name));
    if (!filter.ok) return jsonError(c, 400, 'INVALID_QUERY', filter.message, filter.field);
    const { offset: o, limit: l } = paging;
    const page = await service.list(o, l, filter.filter);
    return c.json({ items: page.items, total: page.total, offset: o, limit: l });
  });

  app.get('/api/batches/:id', async (c) => {
    const batch = await batchOf(c);
    if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    return c.json(await service.present(batch));
  });

  // --- pause, resume, stop ---------------------------------------------------------------------
  const controls = [
    ['pause', 'pause'],
    ['resume', 'resume'],
    ['stop', 'stop'],
  ] as const;
  // Resuming sends the batch's remaining IDs to SecMaster: it needs a SecMaster identity.
  app.post('/api/batches/:id/resume', requireSecMasterIdentity);
  for (const [path, method] of controls) {
    app.post(`/api/batches/:id/${path}`, async (c) => {
      try {
        const id = c.req.param('id');
        const batch =
          method === 'resume'
            ? await service.resume(id, { identity: deps.identityOf(c) })
            : await service[method](id);
        return c.json(await service.present(batch));
      } catch (err) {
        return refusal(c, err);
      }
    });
  }

  // --- undo ------------------------------------------------------------------------------------
  app.get('/api/batches/:id/undo-preview', requireSecMasterIdentity, async (c) => {
    try {
      // A client that goes away (closed tab) stops the reads still to come.
      const preview = await service.undoPreview(
        c.req.param('id'),
        deps.upstreamOf(c),
        c.req.raw.signal,
      );
      return c.json(preview);
    } catch (err) {
      return refusal(c, err);
    }
  });

  app.post(
    '/api/batches/:id/undo',
    requireSecMasterIdentity,
    derived(undoRequestSchema, service.undo),
  );

  // --- retry -----------------------------------------------------------------------------------
  app.get('/api/batches/:id/retry-preview', async (c) => {
    try {
      return c.json(await service.retryPreview(c.req.param('id')));
    } catch (err) {
      return refusal(c, err);
    }
  });

  app.post(
    '/api/batches/:id/retry',
    requireSecMasterIdentity,
    derived(retryRequestSchema, service.retry),
  );

  // --- export ----------------------------------------------------------------------------------
  app.get('/api/batches/:id/export', async (c) => {
    const batch = await batchOf(c);
    if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const format = formatOf(c);
    if (format instanceof Response) return format;
    // A ledger read that fails after the 200 was sent (a damaged file, a disk error) cuts the
    // connection: the chunked body is never terminated, so the download fails for the client
    // instead of ending as a short file (@hono/node-server would end it with an error text).
    const outgoing = nodeResponseOf(c);
    const onReadError = (error: unknown) => {
      console.error(
        `export of batch ${batch.id} cut off: the ledger could not be read (${
          error instanceof Error ? error.message : String(error)
        })`,
      );
      outgoing?.destroy();
    };
    return exportResponse(
      exportStream(stores.records, batch, format, onReadError),
      `batch-${batch.id}`,
      format,
    );
  });

  app.get('/api/batches/:id/items', async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id) || !(await stores.ledger.getBatchState(id)))
      return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const query = itemsQueryOf(c, 'state', itemStateSchema, 'not an item state');
    if (query instanceof Response) return query;
    const { offset: o, limit: l, filter: state, q } = query;
    const page = await stores.ledger.listItems(id, { state, q, offset: o, limit: l });
    return c.json({ items: page.items, total: page.total, offset: o, limit: l });
  });
}
