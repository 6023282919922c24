/**
 * The embedded SecMaster emulator: the SecMaster API over the
 * SQLite store of db.ts. `createEmulator` is pure; `startEmulator` listens on loopback only.
 */
import { hostname as osHostname } from 'node:os';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { z } from 'zod';
import type { Database } from 'better-sqlite3';
import { dataclassTypeSchema, MAX_IDS_PER_CALL, type DataclassType } from './wire';
import {
  GATEWAY_CODES,
  OK_CODE,
  SECMASTER_CODES,
  gatewayError,
  invalidRequest,
  newRequestId,
  readJsonBody,
  secmasterError,
  type EmulatorContext,
  type EmulatorEnv,
} from './http';
import {
  InjectedDisconnect,
  createFaultInjector,
  type FaultConfig,
  type FaultInjector,
} from './faults';
import { createAuthMiddleware, type EmulatorAuth } from './auth';
import { SearchError, compileSearch, searchBodySchema, type CompiledSearch } from './search';
import { createStore, type ObjectRow, type Page, type WorkspaceRow } from './store';

export interface EmulatorDeps {
  db: Database;
  projectId: string;
  /** The clock of request IDs, write times and `max_rps`. */
  now?: () => Date;
  hostname?: string;
  /** Fault injection (faults.ts): a parsed `EMULATOR_FAULTS`, or an injector to read stats from. */
  faults?: FaultConfig | FaultInjector;
  /** The wait behind `latency_ms` (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * How callers are authenticated (auth.ts). Default here: `none`, for tests; the CLI passes what
   * `EMULATOR_AUTH` (default `aksk`) says (env.ts), the console what its configuration says.
   */
  auth?: EmulatorAuth;
}

function isInjector(faults: FaultConfig | FaultInjector): faults is FaultInjector {
  return 'middleware' in faults;
}

/** The injector for `deps.faults` (null when off), built with the emulator's clock and sleep. */
export function emulatorFaults(deps: EmulatorDeps): FaultInjector | null {
  const { faults } = deps;
  if (faults === undefined) return null;
  if (isInjector(faults)) return faults;
  const now = deps.now;
  return createFaultInjector(faults, {
    now: now ? () => now().getTime() : undefined,
    sleep: deps.sleep,
  });
}

const MAX_WORKSPACE_LIMIT = 1000;
const MAX_DATACLASS_LIMIT = 100;

const relationBodySchema = z
  .looseObject({ ids: z.array(z.string()).nullish() })
  .nullish()
  .transform((b) => b?.ids ?? []);

/** `BatchCreateDataobjectRelationsRequestBody`: both lists optional on the wire (checked after). */
const batchCreateBodySchema = z
  .looseObject({
    dataobject_ids: z.array(z.string()).nullish(),
    related_dataobject_ids: z.array(z.string()).nullish(),
  })
  .nullish()
  .transform((b) => ({
    subjects: b?.dataobject_ids ?? [],
    related: b?.related_dataobject_ids ?? [],
  }));

/**
 * A class segment of a route: word characters only, so a literal segment such as `batch-create`
 * or an ID with dashes is never taken for a class (the value itself is checked by `checkClass`).
 */
const CLASS = '{[A-Za-z0-9_]+}';
/** An object ID segment: anything but the literal segments of the API at that place. */
const OBJECT = '{(?!(?:search|batch-create)$)[^/]+}';
const SOC = '/v1/:projectId/workspaces/:workspaceId/soc';

const workspaceQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_WORKSPACE_LIMIT).default(10),
  name: z.string().optional(),
  ids: z
    .string()
    .optional()
    .transform((s) =>
      s
        ? s
            .split(',')
            .map((v) => v.trim())
            .filter((v) => v !== '')
        : undefined,
    ),
});

const dataclassQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).max(999_999_999).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_DATACLASS_LIMIT).default(10),
  name: z.string().optional(),
});

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

export function createEmulator(deps: EmulatorDeps): Hono<EmulatorEnv> {
  const { projectId } = deps;
  const now = deps.now ?? (() => new Date());
  const host = deps.hostname ?? osHostname();
  const store = createStore(deps.db);
  const faults = emulatorFaults(deps);
  const authenticate = createAuthMiddleware(deps.auth ?? { mode: 'none' }, now);
  const app = new Hono<EmulatorEnv>();

  // -------------------------------------------------------------------------
  // Guards: each returns a Response to send, or the checked value
  // -------------------------------------------------------------------------

  /** Only the configured project exists; any other is refused as the gateway would. */
  function checkProject(c: EmulatorContext): Response | null {
    if (c.req.param('projectId') === projectId) return null;
    return gatewayError(
      c,
      403,
      GATEWAY_CODES.forbidden,
      'The project ID in the path is not the authorized project.',
    );
  }

  function checkWorkspace(c: EmulatorContext): Response | string {
    const refused = checkProject(c);
    if (refused) return refused;
    const workspaceId = c.req.param('workspaceId') ?? '';
    if (!store.getWorkspace(workspaceId)) {
      return secmasterError(
        c,
        403,
        SECMASTER_CODES.workspaceNotFound,
        `workspace ${workspaceId} does not exist`,
      );
    }
    return workspaceId;
  }

  function checkClass(c: EmulatorContext, param: string): Response | DataclassType {
    const value = c.req.param(param) ?? '';
    const parsed = dataclassTypeSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    return invalidRequest(c, `${param} "${value}" is not one of alerts, incidents, indicators`);
  }

  /** The subject of a relation call: must be an object of that class in that workspace. */
  function checkSubject(
    c: EmulatorContext,
  ): Response | { workspaceId: string; type: DataclassType; id: string } {
    const workspaceId = checkWorkspace(c);
    if (workspaceId instanceof Response) return workspaceId;
    const type = checkClass(c, 'dataclass');
    if (type instanceof Response) return type;
    const id = c.req.param('objectId') ?? '';
    const key = store.getObjectKey(id);
    if (!key || key.workspace_id !== workspaceId || key.dataclass_type !== type) {
      return secmasterError(
        c,
        400,
        SECMASTER_CODES.objectNotFound,
        `data object ${id} does not exist`,
      );
    }
    return { workspaceId, type, id };
  }

  async function readSearch(c: EmulatorContext): Promise<Response | CompiledSearch> {
    const body = await readJsonBody(c);
    if (!body.ok) return invalidRequest(c, 'request body is not valid JSON');
    const parsed = searchBodySchema.safeParse(body.value ?? {});
    if (!parsed.success) return invalidRequest(c, issues(parsed.error));
    try {
      return compileSearch(parsed.data);
    } catch (error) {
      if (error instanceof SearchError) return invalidRequest(c, error.message);
      throw error;
    }
  }

  // -------------------------------------------------------------------------
  // Response bodies
  // -------------------------------------------------------------------------

  function workspaceView(row: WorkspaceRow) {
    const d = row.data;
    return {
      id: row.id,
      name: row.name,
      description: d.description ?? '',
      create_time: row.create_time,
      update_time: d.update_time ?? row.create_time,
      creator_id: d.creator_id ?? null,
      creator_name: d.creator_name ?? null,
      modifier_id: d.modifier_id ?? null,
      modifier_name: d.modifier_name ?? null,
      project_id: projectId,
      project_name: d.region_id ?? null,
      domain_id: d.domain_id ?? null,
      domain_name: d.domain_name ?? null,
      enterprise_project_id: d.enterprise_project_id ?? null,
      enterprise_project_name: d.enterprise_project_name ?? null,
      is_view: d.is_view ?? false,
      region_id: d.region_id ?? null,
      view_bind_id: d.view_bind_id ?? null,
      view_bind_name: d.view_bind_name ?? null,
      workspace_agency_list: d.workspace_agency_list ?? [],
    };
  }

  const dataclassRefs = new Map<string, { id: string; name: string }>();
  function dataclassRef(workspaceId: string, type: DataclassType): { id: string; name: string } {
    const key = `${workspaceId}/${type}`;
    let ref = dataclassRefs.get(key);
    if (!ref) {
      const row = store.getDataclass(workspaceId, type);
      ref = { id: row?.id ?? '', name: row?.name ?? type };
      dataclassRefs.set(key, ref);
    }
    return ref;
  }

  /** The `DataObjectDetail` wrapper (indicators also carry `name` at the top, as IndicatorDetail). */
  function detail(row: ObjectRow) {
    return {
      id: row.id,
      ...(row.dataclass_type === 'indicators' ? { name: row.title } : {}),
      create_time: row.create_time,
      update_time: row.update_time,
      data_object: row.data,
      dataclass_ref: dataclassRef(row.workspace_id, row.dataclass_type),
      format_version: 1,
      version: row.version,
      project_id: projectId,
      workspace_id: row.workspace_id,
      type: row.origin_type,
    };
  }

  function searchAnswer(c: EmulatorContext, q: CompiledSearch, result: Page<ObjectRow>): Response {
    return c.json({
      code: OK_CODE,
      message: '',
      total: result.total,
      size: q.limit,
      page: q.limit > 0 ? Math.floor(q.offset / q.limit) : 0,
      success: true,
      data: result.rows.map(detail),
    });
  }

  // -------------------------------------------------------------------------
  // Middleware and fallbacks
  // -------------------------------------------------------------------------

  app.use(async (c, next) => {
    const requestId = newRequestId(now(), host);
    c.set('requestId', requestId);
    await next();
    c.res.headers.set('X-request-id', requestId);
  });

  // The gateway authenticates before anything else (faults and throttling included).
  if (authenticate) app.use(authenticate);
  if (faults) app.use(faults.middleware);

  app.notFound((c) =>
    gatewayError(
      c,
      404,
      GATEWAY_CODES.apiNotFound,
      'The API does not exist or has not been published in the environment',
    ),
  );

  app.onError((error, c) => {
    // A hang or reset answers nothing: let the call fail as a dropped connection does.
    if (error instanceof InjectedDisconnect) throw error;
    console.error('emulator: unexpected error', error);
    return secmasterError(c, 500, SECMASTER_CODES.internal, 'Internal error');
  });

  // -------------------------------------------------------------------------
  // Workspaces and data classes
  // -------------------------------------------------------------------------

  app.get('/v1/:projectId/workspaces', (c) => {
    const refused = checkProject(c);
    if (refused) return refused;
    const query = workspaceQuerySchema.safeParse(c.req.query());
    if (!query.success) return invalidRequest(c, issues(query.error));
    const result = store.listWorkspaces(query.data);
    return c.json({ workspaces: result.rows.map(workspaceView), count: result.total });
  });

  app.get('/v1/:projectId/workspaces/:workspaceId', (c) => {
    const refused = checkProject(c);
    if (refused) return refused;
    const workspaceId = c.req.param('workspaceId');
    const row = store.getWorkspace(workspaceId);
    if (!row) {
      return secmasterError(
        c,
        400,
        SECMASTER_CODES.workspaceShowNotFound,
        `workspace ${workspaceId} does not exist`,
      );
    }
    return c.json({ workspace: workspaceView(row) });
  });

  app.get('/v1/:projectId/workspaces/:workspaceId/soc/dataclasses', (c) => {
    const workspaceId = checkWorkspace(c);
    if (workspaceId instanceof Response) return workspaceId;
    const query = dataclassQuerySchema.safeParse(c.req.query());
    if (!query.success) return invalidRequest(c, issues(query.error));
    const result = store.listDataclasses(workspaceId, query.data);
    return c.json({
      dataclass_details: result.rows.map((row) => ({
        id: row.id,
        name: row.name,
        business_code: row.data.business_code ?? row.name,
        description: row.data.description ?? '',
        is_built_in: row.data.is_built_in ?? true,
        parent_id: row.data.parent_id ?? null,
        type_num: row.data.type_num ?? 0,
        cloud_pack_version: row.data.cloud_pack_version ?? null,
        workspace_id: row.workspace_id,
        project_id: projectId,
        create_time: row.data.create_time ?? null,
        update_time: row.data.update_time ?? null,
      })),
      total: result.total,
    });
  });

  // -------------------------------------------------------------------------
  // Search and show data objects
  // -------------------------------------------------------------------------

  app.post(`${SOC}/:dataclass${CLASS}/search`, async (c) => {
    const workspaceId = checkWorkspace(c);
    if (workspaceId instanceof Response) return workspaceId;
    const type = checkClass(c, 'dataclass');
    if (type instanceof Response) return type;
    const q = await readSearch(c);
    if (q instanceof Response) return q;
    return searchAnswer(c, q, store.search(workspaceId, type, q));
  });

  app.get(`${SOC}/:dataclass${CLASS}/:objectId${OBJECT}`, (c) => {
    const subject = checkSubject(c);
    if (subject instanceof Response) return subject;
    const row = store.getObject(subject.id);
    if (!row)
      return secmasterError(
        c,
        400,
        SECMASTER_CODES.objectNotFound,
        `data object ${subject.id} does not exist`,
      );
    return c.json({ code: OK_CODE, message: '', success: true, data: detail(row) });
  });

  // -------------------------------------------------------------------------
  // Relations: associate, cancel association, list associated objects, batch-create
  // -------------------------------------------------------------------------

  /** Whether `id` is an object of class `type` in the workspace. */
  function isObjectOf(id: string, workspaceId: string, type: DataclassType): boolean {
    const key = store.getObjectKey(id);
    return key !== undefined && key.workspace_id === workspaceId && key.dataclass_type === type;
  }

  /**
   * BatchCreateDataobjectRelations: links every object of `dataobject_ids` (class `dataclass`)
   * to every object of `related_dataobject_ids` (class `related`). The answer lists related IDs,
   * as associate does: an ID in `success_ids` is now linked to every subject; an ID in
   * `error_ids` was linked to none by this call. See the README's Decisions for the rest.
   */
  app.post(`${SOC}/:dataclass${CLASS}/:related${CLASS}/batch-create`, async (c) => {
    const workspaceId = checkWorkspace(c);
    if (workspaceId instanceof Response) return workspaceId;
    const type = checkClass(c, 'dataclass');
    if (type instanceof Response) return type;
    const related = checkClass(c, 'related');
    if (related instanceof Response) return related;
    const body = await readJsonBody(c);
    if (!body.ok) return invalidRequest(c, 'request body is not valid JSON');
    const parsed = batchCreateBodySchema.safeParse(body.value);
    if (!parsed.success) return invalidRequest(c, issues(parsed.error));
    const { subjects, related: relatedIds } = parsed.data;
    if (subjects.length === 0) {
      return invalidRequest(c, 'dataobject_ids: at least 1 item is required');
    }
    for (const [field, list] of [
      ['dataobject_ids', subjects],
      ['related_dataobject_ids', relatedIds],
    ] as const) {
      if (list.length > MAX_IDS_PER_CALL) {
        return invalidRequest(c, `${field}: at most ${MAX_IDS_PER_CALL} items, got ${list.length}`);
      }
    }
    const subjectIds = [...new Set(subjects)];
    const unknown = subjectIds.find((id) => !isObjectOf(id, workspaceId, type));
    if (unknown !== undefined) {
      return secmasterError(
        c,
        400,
        SECMASTER_CODES.objectNotFound,
        `data object ${unknown} does not exist`,
      );
    }

    const at = now().toISOString();
    const isSubject = new Set(related === type ? subjectIds : []);
    const successIds: string[] = [];
    const errorIds: string[] = [];
    store.transaction(() => {
      for (const id of new Set(relatedIds)) {
        if (isSubject.has(id) || !isObjectOf(id, workspaceId, related)) {
          errorIds.push(id);
          continue;
        }
        for (const aId of subjectIds) {
          store.link({ workspaceId, aClass: type, aId, bClass: related, bId: id }, at);
        }
        successIds.push(id);
      }
    });
    return c.json({
      code: OK_CODE,
      message: '',
      request_id: c.get('requestId'),
      success: errorIds.length === 0,
      data: { success_ids: successIds, error_ids: errorIds },
    });
  });

  app.on(
    ['POST', 'DELETE'],
    `${SOC}/:dataclass${CLASS}/:objectId${OBJECT}/:related${CLASS}`,
    async (c) => {
      const subject = checkSubject(c);
      if (subject instanceof Response) return subject;
      const related = checkClass(c, 'related');
      if (related instanceof Response) return related;
      const body = await readJsonBody(c);
      if (!body.ok) return invalidRequest(c, 'request body is not valid JSON');
      const parsed = relationBodySchema.safeParse(body.value);
      if (!parsed.success) return invalidRequest(c, issues(parsed.error));
      const ids = parsed.data;
      if (ids.length > MAX_IDS_PER_CALL) {
        return invalidRequest(c, `ids: at most ${MAX_IDS_PER_CALL} items, got ${ids.length}`);
      }

      const associate = c.req.method === 'POST';
      const at = now().toISOString();
      const successIds: string[] = [];
      const errorIds: string[] = [];
      store.transaction(() => {
        for (const id of new Set(ids)) {
          const usable =
            isObjectOf(id, subject.workspaceId, related) &&
            !(id === subject.id && related === subject.type);
          if (!usable) {
            errorIds.push(id);
            continue;
          }
          const link = {
            workspaceId: subject.workspaceId,
            aClass: subject.type,
            aId: subject.id,
            bClass: related,
            bId: id,
          };
          if (associate) store.link(link, at);
          else store.unlink(link);
          successIds.push(id);
        }
      });

      const requestId = c.get('requestId');
      const data = { success_ids: successIds, error_ids: errorIds };
      const success = errorIds.length === 0;
      const processed = successIds.length + errorIds.length;
      return associate
        ? c.json({
            code: OK_CODE,
            message: '',
            request_id: requestId,
            success,
            total: processed,
            limit: processed,
            offset: 0,
            data,
          })
        : c.json({ code: OK_CODE, message: '', request_id: requestId, success, data });
    },
  );

  app.post(`${SOC}/:dataclass${CLASS}/:objectId${OBJECT}/:related${CLASS}/search`, async (c) => {
    const subject = checkSubject(c);
    if (subject instanceof Response) return subject;
    const related = checkClass(c, 'related');
    if (related instanceof Response) return related;
    const q = await readSearch(c);
    if (q instanceof Response) return q;
    return searchAnswer(c, q, store.searchRelated(subject, related, q));
  });

  return app;
}

export interface RunningEmulator {
  url: string;
  port: number;
  /** The fault injector when `faults` was given (its `stats()`), else null. */
  faults: FaultInjector | null;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 only (`port: 0` picks a free port; the real one is returned). */
export function startEmulator(opts: {
  db: Database;
  projectId: string;
  port: number;
  host?: '127.0.0.1';
  now?: () => Date;
  hostname?: string;
  faults?: FaultConfig | FaultInjector;
  sleep?: (ms: number) => Promise<void>;
  /** Default `none`; the CLI and the console pass the configured auth. */
  auth?: EmulatorAuth;
}): Promise<RunningEmulator> {
  const faults = emulatorFaults(opts);
  const app = createEmulator({ ...opts, faults: faults ?? undefined });
  const hostname = '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port, hostname }, (info) => {
      server.off('error', reject);
      resolve({
        url: `http://${hostname}:${info.port}`,
        port: info.port,
        faults,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
    server.once('error', reject);
  });
}
