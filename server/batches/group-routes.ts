/**
 * The group API (HTTP only; the rules are group-service.ts's): batches of pairs through the batch
 * routes (`POST /api/batches` with `pairs`, and `/api/batches/{id}/...` on a pairs group), and
 * moves (`/api/moves`). Registered before the batch routes (batches/routes.ts): a request about an
 * ordinary batch passes on to them untouched.
 */
import type { Context, Hono, Next } from 'hono';
import type { z } from 'zod';
import {
  isUuid,
  itemStateSchema,
  retryRequestSchema,
  undoRequestSchema,
} from '../../src/api/schemas';
import { requireSecMasterIdentity } from '../access/access';
import type { CallIdentity } from '../access/credentials';
import { invalidBody, jsonBody, jsonError } from '../http/json-error';
import type { Upstream } from '../secmaster/client';
import { moveResultSchema } from './group-records';
import type { GroupService } from './group-service';
import type { BatchRecord } from './ledger';
import { createMoveRequestSchema } from './moves';
import { createPairsRequestSchema } from './pairs';
import {
  CONTEXT_COLUMNS,
  EXPORT_PAGE_ROWS,
  exportContext,
  exportResponse,
  rowStream,
  type ExportCell,
  type ExportTable,
} from './records';
import type { ServiceStores } from '../db/service-stores';
import {
  createdFrom,
  formatOf,
  itemsQueryOf,
  nodeResponseOf,
  optionalJsonBody,
  parsedBody,
  refusal,
  requestContextOf,
} from './routes';
import type { BatchContext, Created } from './service';

const PAIRS_COLUMNS = [
  'data_object_id',
  'id',
  'state',
  'code',
  'message',
  'request_id',
  'attempts',
];
const MOVE_COLUMNS = ['id', 'result', 'message', 'link_state', 'unlink_state'];
/** The CSV headers: the rows' own columns, then the group's or move's context. */
export const PAIRS_CSV_HEADER = [...PAIRS_COLUMNS, ...CONTEXT_COLUMNS.pairs].join(',');
export const MOVE_CSV_HEADER = [...MOVE_COLUMNS, ...CONTEXT_COLUMNS.move].join(',');

export interface GroupRouteDeps {
  groups: GroupService;
  /** The ledger's stores (a pairs group's export reads its children's items). */
  stores: ServiceStores;
  identityOf: (c: Context) => CallIdentity;
  upstreamOf: (c: Context) => Upstream;
  userOf: (c: Context) => string;
}

type Cell = ExportCell;

/**
 * A download of rows read a page at a time, with the run's context on every row (records.ts
 * `rowStream`); a ledger read that fails mid-stream cuts the connection.
 */
function download<Row extends Record<string, Cell>>(
  c: Context,
  name: string,
  format: 'csv' | 'json',
  pages: AsyncGenerator<Row[], void, undefined>,
  table: ExportTable<Row>,
): Response {
  const outgoing = nodeResponseOf(c);
  const onReadError = (error: unknown) => {
    console.error(
      `export of ${name} cut off: the ledger could not be read (${error instanceof Error ? error.message : String(error)})`,
    );
    outgoing?.destroy();
  };
  return exportResponse(rowStream(pages, format, table, onReadError), name, format);
}

export function registerGroupRoutes(app: Hono, deps: GroupRouteDeps): void {
  const { groups } = deps;
  const { records } = deps.stores;
  const { pairs, moves } = groups;

  /** The row's kind alone (one indexed read, no counts): an ordinary batch's routes stay as fast. */
  const kindOf = async (c: Context) => {
    const id = c.req.param('id') ?? '';
    return isUuid(id) ? groups.records.kindOf(id) : null;
  };

  /** The group named in the path, or null (an ordinary batch, or none). */
  const groupOf = async (c: Context): Promise<BatchRecord | null> => {
    const row = await kindOf(c);
    return row && row.kind !== 'batch' ? groups.get(c.req.param('id') ?? '') : null;
  };
  const moveOf = async (c: Context): Promise<BatchRecord | null> => {
    const row = await groups.get(c.req.param('id') ?? '');
    return row?.kind === 'move' ? row : null;
  };

  /** What a request made, answered as its kind is shown (see routes.ts createdFrom). */
  const created = <T>(
    c: Context,
    body: T | Response,
    make: (body: T) => Promise<Created>,
    at: string,
  ) => createdFrom(c, body, make, at, groups.present);

  // --- moves: items and export -----------------------------------------------------------------
  const moveItems = async (c: Context, move: BatchRecord): Promise<Response> => {
    const query = itemsQueryOf(c, 'result', moveResultSchema, 'not a move result');
    if (query instanceof Response) return query;
    const { filter: result, ...paging } = query;
    const page = await groups.records.listMoveItems(await moves.phases(move), {
      ...paging,
      result,
    });
    return c.json({
      items: page.items.map(({ seq: _seq, ...item }) => item),
      total: page.total,
      offset: paging.offset,
      limit: paging.limit,
    });
  };

  const moveExport = async (c: Context, move: BatchRecord): Promise<Response> => {
    const format = formatOf(c);
    if (format instanceof Response) return format;
    const phases = await moves.phases(move);
    async function* pages() {
      let after = -1;
      for (;;) {
        const { items } = await groups.records.listMoveItems(phases, {
          offset: 0,
          limit: EXPORT_PAGE_ROWS,
          afterSeq: after,
        });
        if (items.length > 0) yield items.map(({ seq: _seq, ...item }) => item);
        if (items.length < EXPORT_PAGE_ROWS) return;
        after = items[items.length - 1]?.seq ?? after;
      }
    }
    return download(c, `move-${move.id}`, format, pages(), {
      header: MOVE_COLUMNS,
      cells: (r) => [
        r.id ?? null,
        r.result ?? null,
        r.message ?? null,
        r.link_state ?? null,
        r.unlink_state ?? null,
      ],
      context: exportContext(move),
    });
  };

  /** What `make` creates of the optional body (`schema`: an undo or retry request), at `at`. */
  const derived = async <T>(
    c: Context,
    schema: z.ZodType<T>,
    make: (body: T, ctx: BatchContext) => Promise<Created>,
    at: string,
  ): Promise<Response> => {
    const ctx = requestContextOf(c, deps);
    if (ctx instanceof Response) return ctx;
    return created(c, await optionalJsonBody(c, schema), (b) => make(b, ctx), at);
  };

  const moveUndo = (c: Context, move: BatchRecord): Promise<Response> =>
    derived(c, undoRequestSchema, (b, ctx) => moves.undo(move, b, ctx), '/api/moves');

  const control = async (c: Context, group: BatchRecord, method: 'pause' | 'resume' | 'stop') => {
    try {
      const identity = method === 'resume' ? deps.identityOf(c) : undefined;
      return c.json(await groups.present(await groups.control(group, method, identity)));
    } catch (err) {
      return refusal(c, err);
    }
  };

  // --- POST /api/moves and /api/moves/{id}/... --------------------------------------------------
  app.post('/api/moves', requireSecMasterIdentity, async (c) => {
    const ctx = requestContextOf(c, deps);
    if (ctx instanceof Response) return ctx;
    const body = await parsedBody(c, createMoveRequestSchema);
    return created(c, body, (b) => moves.create(b, ctx), '/api/moves');
  });

  const noMove = (c: Context) => jsonError(c, 404, 'NOT_FOUND', 'no such move');
  app.get('/api/moves/:id', async (c) => {
    const move = await moveOf(c);
    return move ? c.json(await groups.present(move)) : noMove(c);
  });
  app.get('/api/moves/:id/items', async (c) => {
    const move = await moveOf(c);
    return move ? moveItems(c, move) : noMove(c);
  });
  app.get('/api/moves/:id/export', async (c) => {
    const move = await moveOf(c);
    return move ? moveExport(c, move) : noMove(c);
  });
  app.post('/api/moves/:id/undo', requireSecMasterIdentity, async (c) => {
    const move = await moveOf(c);
    return move ? moveUndo(c, move) : noMove(c);
  });
  app.post('/api/moves/:id/stop', async (c) => {
    const move = await moveOf(c);
    return move ? control(c, move, 'stop') : noMove(c);
  });

  // --- POST /api/batches with pairs --------------------------------------------------------------
  app.post('/api/batches', requireSecMasterIdentity, async (c, next) => {
    const raw = await jsonBody(c);
    if (raw instanceof Response) return raw;
    if (typeof raw !== 'object' || raw === null || !('pairs' in raw)) return next();
    const ctx = requestContextOf(c, deps);
    if (ctx instanceof Response) return ctx;
    const parsed = createPairsRequestSchema.safeParse(raw);
    const body = parsed.success ? parsed.data : invalidBody(c, parsed.error);
    return created(c, body, (b) => pairs.create(b, ctx), '/api/batches');
  });

  // --- /api/batches/{id}/... on a group; anything else passes to the batch routes ---------------
  const onGroup =
    (handle: (c: Context, group: BatchRecord) => Response | Promise<Response>) =>
    async (c: Context, next: Next) => {
      const group = await groupOf(c);
      if (!group) return next();
      return handle(c, group);
    };

  app.get(
    '/api/batches/:id',
    onGroup(async (c, group) => c.json(await groups.present(group))),
  );

  app.get(
    '/api/batches/:id/items',
    onGroup(async (c, group) => {
      if (group.kind === 'move') return moveItems(c, group);
      const query = itemsQueryOf(c, 'state', itemStateSchema, 'not an item state');
      if (query instanceof Response) return query;
      const { filter: state, ...paging } = query;
      const page = await groups.records.listPairs(group.id, { ...paging, state });
      return c.json({ ...page, offset: paging.offset, limit: paging.limit });
    }),
  );

  app.get(
    '/api/batches/:id/export',
    onGroup(async (c, group) => {
      if (group.kind === 'move') return moveExport(c, group);
      const format = formatOf(c);
      if (format instanceof Response) return format;
      const children = await groups.kit.children(group.id);
      async function* pages() {
        yield* groups.records.ownPairPages(group.id, EXPORT_PAGE_ROWS);
        for (const child of children) {
          for await (const page of records.itemPages(child.id)) {
            yield page.map((item) => ({
              data_object_id: child.data_object_id,
              ...item,
              batch_id: child.id,
            }));
          }
        }
      }
      return download(c, `batch-${group.id}`, format, pages(), {
        header: PAIRS_COLUMNS,
        cells: (r) => [
          r.data_object_id ?? null,
          r.id ?? null,
          r.state ?? null,
          r.code ?? null,
          r.message ?? null,
          r.request_id ?? null,
          r.attempts ?? null,
        ],
        context: exportContext(group),
      });
    }),
  );

  const notForMoves = (c: Context, what: 'retried' | 'previewed') =>
    jsonError(
      c,
      409,
      'INVALID_STATE',
      what === 'retried'
        ? 'a move is not retried as a whole: make a new move with the kept IDs'
        : 'a move has no undo preview: POST /api/moves/{id}/undo restores what it changed',
    );

  /**
   * A move's batch is not retried or undone on its own: a retry would be a batch outside the move,
   * an undo of one phase could leave IDs linked to nothing.
   */
  const moveChildRefusal = async (c: Context, what: 'retry' | 'undo'): Promise<Response | null> => {
    const row = await kindOf(c);
    const groupId = row?.kind === 'batch' ? row.group_id : null;
    if (groupId === null || (await groups.records.kindOf(groupId))?.kind !== 'move') return null;
    return jsonError(
      c,
      409,
      'INVALID_STATE',
      what === 'undo'
        ? `this batch is part of move ${groupId}: undo the move instead`
        : `this batch is part of move ${groupId}: make a new move with the kept IDs instead`,
    );
  };
  const onGroupOrMove =
    (what: 'retry' | 'undo', handle: (c: Context, group: BatchRecord) => Promise<Response>) =>
    async (c: Context, next: Next) =>
      (await moveChildRefusal(c, what)) ?? onGroup(handle)(c, next);

  app.get(
    '/api/batches/:id/retry-preview',
    onGroupOrMove('retry', async (c, group) => {
      if (group.kind === 'move') return notForMoves(c, 'retried');
      try {
        return c.json(await pairs.retryPreview(group));
      } catch (err) {
        return refusal(c, err);
      }
    }),
  );

  app.post(
    '/api/batches/:id/retry',
    requireSecMasterIdentity,
    onGroupOrMove('retry', async (c, group) => {
      if (group.kind === 'move') return notForMoves(c, 'retried');
      return derived(c, retryRequestSchema, (b, ctx) => pairs.retry(group, b, ctx), '/api/batches');
    }),
  );

  app.get(
    '/api/batches/:id/undo-preview',
    requireSecMasterIdentity,
    onGroupOrMove('undo', async (c, group) => {
      if (group.kind === 'move') return notForMoves(c, 'previewed');
      try {
        return c.json(await pairs.undoPreview(group, deps.upstreamOf(c), c.req.raw.signal));
      } catch (err) {
        return refusal(c, err);
      }
    }),
  );

  app.post(
    '/api/batches/:id/undo',
    requireSecMasterIdentity,
    onGroupOrMove('undo', async (c, group) => {
      if (group.kind === 'move') return moveUndo(c, group);
      return derived(c, undoRequestSchema, (b, ctx) => pairs.undo(group, b, ctx), '/api/batches');
    }),
  );

  for (const method of ['pause', 'resume', 'stop'] as const) {
    const handler = async (c: Context, next: Next) => {
      const group = await groupOf(c);
      if (group) return control(c, group, method);
      await next();
      // A move's batch paused, resumed or stopped on its own: the move may go on.
      const id = c.req.param('id') ?? '';
      if ((await kindOf(c))?.group_id) groups.childChanged(id);
    };
    if (method === 'resume')
      app.post(`/api/batches/:id/${method}`, requireSecMasterIdentity, handler);
    else app.post(`/api/batches/:id/${method}`, handler);
  }
}
