/**
 * The batch API: create a batch (once per `Idempotency-Key`), list and read
 * batches, pause/resume/stop, undo (with a preview that re-reads the current links from
 * SecMaster), export as CSV or JSON, and page through a batch's items. Every batch answer is the
 * ledger's summary plus `undo_of` and `credential_source`.
 */
import type { Context, Hono } from 'hono';
import { ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  MAX_ITEMS_PAGE,
  canonicalId,
  createBatchRequestSchema,
  retryRequestSchema,
  undoRequestSchema,
  idKey,
  isUuid,
  isWellFormedId,
  itemStateSchema,
  malformedUuidReason,
  type BatchState,
  type BatchSummary,
  type ItemState,
} from '../../src/api/schemas';
import { requireSecMasterIdentity, type ConsoleAuth } from '../auth/access';
import type { Ledger, NewBatch } from '../batches/ledger';
import { IDEMPOTENCY_KEY_PATTERN, bodyHash, exportStream, type Records } from '../batches/records';
import type { Runner } from '../batches/runner';
import type { Upstream } from '../forward';
import { invalidBody, jsonBody, jsonError } from '../http/json-error';
import { readIds } from './id-reads';

export const INVALID_ID_MESSAGE = 'not a well-formed ID: 32 to 64 letters, digits, "-" or "_"';
const DEFAULT_BATCH_PAGE = 50;
const MAX_BATCH_PAGE = 200;
const MAX_QUERY_LENGTH = 64;

/** A user's controls over a running batch; each returns false when the batch's state forbids it. */
export interface BatchControls {
  pause(batchId: string): boolean;
  resume(batchId: string): boolean;
  /** User stop: the batch becomes `cancelled` and its unsent IDs `skipped`. */
  cancel(batchId: string): boolean;
}

const ACTIVE_STATES: ReadonlySet<BatchState> = new Set(['running', 'paused']);

/** Parses a non-negative integer query value; undefined when absent, null when malformed. */
function intParam(value: string | undefined): number | undefined | null {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) return null;
  return Number(value);
}

/**
 * `offset` and `limit` of a list route (`limit` defaults to `fallback` and is clamped to `max`),
 * or the 400 that names the bad one.
 */
function pagingOf(
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

export interface BatchRouteDeps {
  ledger: Ledger;
  records: Records;
  /** Already bound to the caller's credential (`auth.bindRunner`). */
  runner: Pick<Runner, 'start'> & BatchControls;
  /** Where each batch's credential came from (`credential_source`). */
  auth: Pick<ConsoleAuth, 'sources'>;
  /** For the undo preview's link check. */
  upstream: Upstream;
  /** Who the batches are recorded for. */
  userOf: (c: Context) => string;
}

/** A JSON body parsed with `schema`, where an empty body means `{}`; or the 400 to return. */
async function optionalJsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T | Response> {
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
function nodeResponseOf(c: Context): ServerResponse | null {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('outgoing' in env)) return null;
  return env.outgoing instanceof ServerResponse ? env.outgoing : null;
}

class AlreadyUndoneError extends Error {
  constructor(readonly undoneBy: string) {
    super(`already undone by ${undoneBy}`);
  }
}

export function registerBatchRoutes(app: Hono, deps: BatchRouteDeps): void {
  const { ledger, records, runner, auth, upstream, userOf } = deps;

  /**
   * The summary as every batch route answers it: the ledger's view plus `undo_of` and where its
   * credential came from (`env-aksk`, `env-token`, `session:<user>`; never the credential).
   */
  const present = (s: BatchSummary) => ({
    ...s,
    undo_of: records.undoOf(s.id),
    undone_by: records.undoneBy(s.id),
    credential_source: auth.sources.get(s.id),
  });

  /** The batch named in the path, or null (malformed IDs are unknown ones). */
  const batchOf = (c: Context): BatchSummary | null => {
    const id = c.req.param('id') ?? '';
    return isUuid(id) ? ledger.getBatch(id) : null;
  };

  /** `Idempotency-Key`: absent (undefined), well-formed (the key), or a 400 to return. */
  const idempotencyKeyOf = (c: Context): string | undefined | Response => {
    const key = c.req.header('idempotency-key');
    if (key === undefined) return undefined;
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      return jsonError(
        c,
        400,
        'INVALID_IDEMPOTENCY_KEY',
        'Idempotency-Key: 1 to 200 characters of letters, digits, _ - : .',
        'Idempotency-Key',
      );
    }
    return key;
  };

  /**
   * Creates a batch (once per idempotency key): 201 with the new batch; the same key with the same
   * request, 200 with the batch it created; the same key with another request, 409.
   */
  const createOnce = (
    c: Context,
    key: string | undefined,
    request: unknown,
    create: () => BatchSummary,
  ): Response => {
    let created: BatchSummary;
    if (key === undefined) {
      created = create();
    } else {
      const result = records.idempotent(userOf(c), key, bodyHash(request), create);
      if (result.kind === 'mismatch') {
        return jsonError(
          c,
          409,
          'IDEMPOTENCY_MISMATCH',
          'this Idempotency-Key was already used with a different request',
        );
      }
      if (result.kind === 'replayed') {
        const earlier = ledger.getBatch(result.batchId);
        if (!earlier) return jsonError(c, 409, 'IDEMPOTENCY_MISMATCH', 'the earlier batch is gone');
        c.header('Idempotent-Replayed', 'true');
        c.header('Location', `/api/batches/${earlier.id}`);
        return c.json(present(earlier), 200);
      }
      created = result.value;
    }
    if (created.state === 'running') void runner.start(created.id);
    c.header('Location', `/api/batches/${created.id}`);
    return c.json(present(created), 201);
  };

  app.post('/api/batches', requireSecMasterIdentity, async (c) => {
    const key = idempotencyKeyOf(c);
    if (key instanceof Response) return key;
    const raw = await jsonBody(c);
    if (raw instanceof Response) return raw;
    const parsed = createBatchRequestSchema.safeParse(raw);
    if (!parsed.success) return invalidBody(c, parsed.error);
    const req = parsed.data;
    if (req.retry_of !== undefined && !ledger.getBatch(req.retry_of)) {
      return jsonError(c, 400, 'INVALID_BODY', 'retry_of: no such batch', 'retry_of');
    }
    const seen = new Set<string>();
    const items: NewBatch['items'][number][] = [];
    let duplicates = 0;
    for (const token of req.ids) {
      // One form per ID: a UUID in lower case, as SecMaster stores it.
      const id = canonicalId(token.trim());
      if (id === '') continue;
      const k = idKey(id);
      if (seen.has(k)) {
        duplicates++;
        continue;
      }
      seen.add(k);
      const problem = isWellFormedId(id) ? malformedUuidReason(id) : INVALID_ID_MESSAGE;
      items.push({
        id,
        idKey: k,
        state: problem === null ? 'pending' : 'invalid',
        message: problem,
      });
    }
    if (items.length === 0) {
      return jsonError(c, 400, 'INVALID_BODY', 'ids: every ID is blank', 'ids');
    }
    return createOnce(c, key, req, () =>
      ledger.createBatch({
        action: req.action,
        workspace_id: req.workspace_id,
        dataclass_type: req.dataclass_type,
        data_object_id: canonicalId(req.data_object_id),
        related_dataclass_type: req.related_dataclass_type,
        reason: req.reason?.trim() ? req.reason.trim() : null,
        user: userOf(c),
        retry_of: req.retry_of ?? null,
        duplicates,
        items,
      }),
    );
  });

  app.get('/api/batches', (c) => {
    const paging = pagingOf(c, DEFAULT_BATCH_PAGE, MAX_BATCH_PAGE);
    if (paging instanceof Response) return paging;
    const { offset: o, limit: l } = paging;
    const page = ledger.listBatches(o, l);
    const undos = records.undoOfMany(page.items.map((b) => b.id));
    const items = page.items.map((b) => ({
      ...b,
      undo_of: undos.get(b.id) ?? null,
      credential_source: auth.sources.get(b.id),
    }));
    return c.json({ items, total: page.total, offset: o, limit: l });
  });

  app.get('/api/batches/:id', (c) => {
    const batch = batchOf(c);
    if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    return c.json(present(batch));
  });

  // --- pause, resume, stop ---------------------------------------------------------------------
  const controls = [
    ['pause', 'pause', 'paused'],
    ['resume', 'resume', 'resumed'],
    ['stop', 'cancel', 'stopped'],
  ] as const;
  // Resuming sends the batch's remaining IDs to SecMaster: it needs a SecMaster identity.
  app.post('/api/batches/:id/resume', requireSecMasterIdentity);
  for (const [path, method, done] of controls) {
    app.post(`/api/batches/:id/${path}`, (c) => {
      const batch = batchOf(c);
      if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
      if (!runner[method](batch.id)) {
        const now = ledger.getBatchState(batch.id) ?? batch.state;
        return jsonError(c, 409, 'INVALID_STATE', `a ${now} batch cannot be ${done}`);
      }
      const after = ledger.getBatch(batch.id) ?? batch;
      return c.json(present(after));
    });
  }

  // --- undo ------------------------------------------------------------------------------------
  /**
   * A batch is undone once: its undo batch is where the reverting happens (retry or resume it if
   * it did not finish), and undoing that undo re-does the original.
   */
  const alreadyUndone = (c: Context, undoneBy: string): Response =>
    jsonError(
      c,
      409,
      'ALREADY_UNDONE',
      `this batch was already undone by batch ${undoneBy}: open that batch (retry or resume it if it did not finish), or undo it to re-do this one`,
    );
  /** Why a batch cannot be undone now, or null. */
  const undoRefusal = (
    c: Context,
    batch: BatchSummary,
    check: { undone: boolean } = { undone: true },
  ): Response | null => {
    if (ACTIVE_STATES.has(batch.state)) {
      return jsonError(
        c,
        409,
        'INVALID_STATE',
        `the batch is still ${batch.state}: stop it or let it finish before undoing it`,
      );
    }
    const undoneBy = check.undone ? records.undoneBy(batch.id) : null;
    if (undoneBy !== null) return alreadyUndone(c, undoneBy);
    if (batch.counts.succeeded === 0) {
      return jsonError(
        c,
        409,
        'NOTHING_TO_UNDO',
        'this batch changed no link (no ID succeeded): nothing to undo',
      );
    }
    return null;
  };

  /**
   * A new batch on the same subject and related class as `original`, of `ids` (all pending), in
   * one transaction with `link` (which records how it relates to the original).
   */
  const derivedBatch = (
    c: Context,
    original: BatchSummary,
    o: {
      action: BatchSummary['action'];
      ids: readonly string[];
      reason: string;
      retryOf: string | null;
      link?: (created: BatchSummary) => void;
    },
  ): BatchSummary =>
    records.transaction(() => {
      const created = ledger.createBatch({
        action: o.action,
        workspace_id: original.workspace_id,
        dataclass_type: original.dataclass_type,
        data_object_id: canonicalId(original.data_object_id),
        related_dataclass_type: original.related_dataclass_type,
        reason: o.reason,
        user: userOf(c),
        retry_of: o.retryOf,
        duplicates: 0,
        // Canonical even when the original was recorded by an older console (upper-case UUIDs).
        items: o.ids.map((raw) => {
          const id = canonicalId(raw);
          return { id, idKey: idKey(id), state: 'pending', message: null };
        }),
      });
      o.link?.(created);
      return created;
    });

  app.get('/api/batches/:id/undo-preview', requireSecMasterIdentity, async (c) => {
    const batch = batchOf(c);
    if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const refusal = undoRefusal(c, batch);
    if (refusal) return refusal;
    const ids = records.idsInState(batch.id, 'succeeded');
    const linked = await readIds(
      c,
      upstream,
      {
        op: 'relationSearch',
        workspaceId: batch.workspace_id,
        dataclass: batch.dataclass_type,
        objectId: batch.data_object_id,
        related: batch.related_dataclass_type,
      },
      ids,
      'link check',
    );
    if (linked instanceof Response) return linked;
    // What the batch did no longer holds: an associated ID now unlinked, a cancelled one linked.
    const changed = ids.filter((id) => linked.has(idKey(id)) === (batch.action === 'cancel'));
    return c.json({
      ids: ids.length,
      undo_action: batch.action === 'associate' ? 'cancel' : 'associate',
      // Left as they are: the batch found them already in the asked state and sent nothing.
      unchanged: batch.counts.unchanged,
      changed,
      changes_recorded: batch.changes_recorded,
      checked_at: new Date().toISOString(),
    });
  });

  app.post('/api/batches/:id/undo', requireSecMasterIdentity, async (c) => {
    const key = idempotencyKeyOf(c);
    if (key instanceof Response) return key;
    const original = batchOf(c);
    if (!original) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const body = await optionalJsonBody(c, undoRequestSchema);
    if (body instanceof Response) return body;
    // Checked after an idempotent replay (createOnce), not here: the same request sent twice
    // answers its batch, a new one is refused.
    const refusal = undoRefusal(c, original, { undone: false });
    if (refusal) return refusal;
    if (!original.changes_recorded && body.include_unrecorded !== true) {
      return jsonError(
        c,
        409,
        'CHANGES_NOT_RECORDED',
        `this batch was recorded before the console tracked what each batch changed: its ${original.counts.succeeded} succeeded IDs may include links that were already so before it, and an undo would revert those too; send {"include_unrecorded": true} to undo it anyway`,
      );
    }
    // The inverse action on exactly the IDs the batch changed (`succeeded`); `unchanged` ones
    // were already so before it and stay as they are.
    try {
      return createOnce(c, key, { undo_of: original.id }, () => {
        // In the creating transaction: of two undo requests, the second finds the first's batch.
        const undoneBy = records.undoneBy(original.id);
        if (undoneBy !== null) throw new AlreadyUndoneError(undoneBy);
        return derivedBatch(c, original, {
          action: original.action === 'associate' ? 'cancel' : 'associate',
          ids: records.idsInState(original.id, 'succeeded'),
          reason: `Undo of batch ${original.id}`,
          retryOf: null,
          link: (created) => records.linkUndo(created.id, original.id),
        });
      });
    } catch (err) {
      if (err instanceof AlreadyUndoneError) return alreadyUndone(c, err.undoneBy);
      throw err;
    }
  });

  // --- retry -----------------------------------------------------------------------------------
  /** Why a batch cannot be retried now, or null. */
  const retryRefusal = (c: Context, batch: BatchSummary): Response | null => {
    if (ACTIVE_STATES.has(batch.state))
      return jsonError(
        c,
        409,
        'INVALID_STATE',
        `the batch is still ${batch.state}: stop it or let it finish before retrying it`,
      );
    // Its pending and unknown IDs still belong to it: a retry would send them a second time.
    if (batch.state === 'interrupted')
      return jsonError(
        c,
        409,
        'INVALID_STATE',
        'the batch was interrupted: resume it instead (Resume batch), or stop it first',
      );
    return null;
  };
  /**
   * A stopped batch's unknown IDs are still settled by the console's re-read (now or at the next
   * start): a retry leaves them out, or both batches could claim the same change.
   */
  const retriesUnknown = (batch: BatchSummary) => batch.state !== 'cancelled';

  app.get('/api/batches/:id/retry-preview', (c) => {
    const batch = batchOf(c);
    if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const n = records.retryCounts(batch.id);
    const unknown = retriesUnknown(batch) ? n.unknown : 0;
    return c.json({ ...n, unknown, ids: n.failed + unknown + n.skipped });
  });

  app.post('/api/batches/:id/retry', requireSecMasterIdentity, async (c) => {
    const key = idempotencyKeyOf(c);
    if (key instanceof Response) return key;
    const original = batchOf(c);
    if (!original) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const body = await optionalJsonBody(c, retryRequestSchema);
    if (body instanceof Response) return body;
    const refusal = retryRefusal(c, original);
    if (refusal) return refusal;
    const includePermanent = body.include_permanent ?? false;
    const ids = records.retryIds(original.id, includePermanent, retriesUnknown(original));
    if (ids.length === 0) {
      const n = records.retryCounts(original.id);
      return jsonError(
        c,
        409,
        'NOTHING_TO_RETRY',
        n.permanent > 0
          ? `nothing to retry: the ${n.permanent} failed IDs left failed for good (not found, or of another class); include permanent failures to send them again`
          : 'nothing to retry: no ID of this batch failed, stayed unknown or was skipped',
      );
    }
    return createOnce(c, key, { retry_of: original.id, include_permanent: includePermanent }, () =>
      derivedBatch(c, original, {
        action: original.action,
        ids,
        reason: original.reason ?? `Retry of batch ${original.id}`,
        retryOf: original.id,
      }),
    );
  });

  // --- export ----------------------------------------------------------------------------------
  app.get('/api/batches/:id/export', (c) => {
    const batch = batchOf(c);
    if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const format = c.req.query('format') ?? 'csv';
    if (format !== 'csv' && format !== 'json') {
      return jsonError(c, 400, 'INVALID_QUERY', 'format: csv or json', 'format');
    }
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
    return new Response(exportStream(records, batch.id, format, onReadError), {
      status: 200,
      headers: {
        'Content-Type':
          format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="batch-${batch.id}.${format}"`,
      },
    });
  });

  app.get('/api/batches/:id/items', (c) => {
    const id = c.req.param('id');
    if (!isUuid(id) || !ledger.getBatchState(id))
      return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const paging = pagingOf(c, MAX_ITEMS_PAGE, MAX_ITEMS_PAGE);
    if (paging instanceof Response) return paging;
    const stateParam = c.req.query('state');
    let state: ItemState | undefined;
    if (stateParam !== undefined && stateParam !== '') {
      const s = itemStateSchema.safeParse(stateParam);
      if (!s.success)
        return jsonError(c, 400, 'INVALID_QUERY', 'state: not an item state', 'state');
      state = s.data;
    }
    const q = (c.req.query('q') ?? '').trim();
    if (q.length > MAX_QUERY_LENGTH) {
      return jsonError(c, 400, 'INVALID_QUERY', `q: at most ${MAX_QUERY_LENGTH} characters`, 'q');
    }
    const { offset: o, limit: l } = paging;
    const page = ledger.listItems(id, { state, q: q || undefined, offset: o, limit: l });
    return c.json({ items: page.items, total: page.total, offset: o, limit: l });
  });
}
