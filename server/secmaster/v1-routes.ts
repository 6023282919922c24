/**
 * `/v1`: the SecMaster reads the browser may make, and nothing else (no generic proxy). A request
 * is matched by its raw, still percent-encoded path against the read allow-list
 * (`matchReadRoute`): it becomes exactly one operation of `operations.ts` on the caller's
 * project, or a refusal, so no request text is ever decoded into an upstream URL. Search bodies
 * are parsed, bounded in depth and checked against the wire schema before they go on. Answers and
 * failures are mapped to what the browser receives under our own status rules
 * (`mapUpstreamAnswer`); a clean 2xx JSON answer passes through as the bytes SecMaster sent.
 * Writes are never reachable here: they go through the batch API.
 */
import type { Context, Hono } from 'hono';
import {
  dataclassTypes,
  dataobjectSearchSchema,
  isWellFormedId,
  parseUpstreamError,
  type DataclassType,
} from '../../src/api/schemas';
import { requireSecMasterIdentity, type ConsoleAuth } from '../access/access';
import { jsonError } from '../http/json-error';
import {
  UpstreamError,
  UpstreamRequestError,
  type UpstreamErrorKind,
  type UpstreamResponse,
} from './client';
import { PAGING_VALUE, type PagingQuery, type UpstreamOperation } from './operations';

/** Every path segment the browser may send under /v1: plain, unencoded, bounded. */
const SAFE_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

export interface RouteRefusal {
  status: 400 | 403 | 404 | 405;
  code: string;
  message: string;
}

export type ReadRoute =
  | { kind: 'get'; operation: UpstreamOperation }
  | {
      kind: 'post';
      build: (body: unknown) => UpstreamOperation;
    };

function isClass(v: string): v is DataclassType {
  return (dataclassTypes as readonly string[]).includes(v);
}

function refuse(status: RouteRefusal['status'], code: string, message: string): RouteRefusal {
  return { status, code, message };
}

function parsePaging(search: string, allowed: boolean): PagingQuery | RouteRefusal {
  const params = new URLSearchParams(search);
  const out: PagingQuery = {};
  for (const [key, value] of params) {
    if (!allowed || (key !== 'offset' && key !== 'limit')) {
      return refuse(
        400,
        'INVALID_QUERY',
        `query parameter "${key.slice(0, 32)}" is not allowed here`,
      );
    }
    if (!PAGING_VALUE.test(value)) {
      return refuse(400, 'INVALID_QUERY', `${key} must be a non-negative integer`);
    }
    out[key] = Number(value);
  }
  return out;
}

/**
 * Matches a browser request against the read allow-list. `rawPath` is the path exactly as
 * received (still percent-encoded): any `%`, dot segment, empty segment or other character
 * outside the segment charset is refused, so no decoding ever happens here.
 */
export function matchReadRoute(
  method: string,
  rawPath: string,
  search: string,
  projectId: string,
): ReadRoute | RouteRefusal {
  const segments = rawPath.split('/').slice(1);
  for (const s of segments) {
    if (!SAFE_SEGMENT.test(s)) {
      return refuse(400, 'INVALID_PATH', 'the path has an empty, encoded or malformed segment');
    }
  }
  const [v1, pid, workspaces, wid, soc, a, b, c, d, ...rest] = segments;
  if (v1 !== 'v1' || workspaces !== 'workspaces' || pid === undefined) {
    return refuse(404, 'NOT_FOUND', 'no such SecMaster read');
  }
  if (pid !== projectId) {
    return refuse(403, 'FORBIDDEN_PROJECT', 'only the configured project can be read');
  }
  if (wid !== undefined && !isWellFormedId(wid)) {
    return refuse(400, 'INVALID_PATH', 'workspace_id is not a well-formed ID');
  }
  const m = method === 'HEAD' ? 'GET' : method;
  const want = (expected: 'GET' | 'POST'): RouteRefusal | null =>
    m === expected
      ? null
      : refuse(405, 'METHOD_NOT_ALLOWED', `only ${expected} is allowed on this SecMaster path`);
  if (rest.length > 0) return refuse(404, 'NOT_FOUND', 'no such SecMaster read');

  // /v1/{pid}/workspaces
  if (wid === undefined) {
    const bad = want('GET');
    if (bad) return bad;
    const query = parsePaging(search, true);
    if ('status' in query) return query;
    return { kind: 'get', operation: { op: 'listWorkspaces', query } };
  }
  const noQuery = parsePaging(search, false);
  // /v1/{pid}/workspaces/{wid}
  if (soc === undefined) {
    const bad = want('GET');
    if (bad) return bad;
    if ('status' in noQuery) return noQuery;
    return { kind: 'get', operation: { op: 'showWorkspace', workspaceId: wid } };
  }
  if (soc !== 'soc' || a === undefined) return refuse(404, 'NOT_FOUND', 'no such SecMaster read');
  // .../soc/dataclasses
  if (a === 'dataclasses' && b === undefined) {
    const bad = want('GET');
    if (bad) return bad;
    const query = parsePaging(search, true);
    if ('status' in query) return query;
    return { kind: 'get', operation: { op: 'listDataclasses', workspaceId: wid, query } };
  }
  if (!isClass(a) || b === undefined) return refuse(404, 'NOT_FOUND', 'no such SecMaster read');
  const dataclass = a;
  if ('status' in noQuery) return noQuery;
  // .../soc/{class}/search
  if (b === 'search' && c === undefined) {
    const bad = want('POST');
    if (bad) return bad;
    return { kind: 'post', build: (body) => ({ op: 'search', workspaceId: wid, dataclass, body }) };
  }
  if (!isWellFormedId(b))
    return refuse(400, 'INVALID_PATH', 'data_object_id is not a well-formed ID');
  const objectId = b;
  // .../soc/{class}/{id}
  if (c === undefined) {
    const bad = want('GET');
    if (bad) return bad;
    return { kind: 'get', operation: { op: 'show', workspaceId: wid, dataclass, objectId } };
  }
  // .../soc/{class}/{id}/{related}/search
  if (isClass(c) && d === 'search') {
    const related = c;
    const bad = want('POST');
    if (bad) return bad;
    return {
      kind: 'post',
      build: (body) => ({
        op: 'relationSearch',
        workspaceId: wid,
        dataclass,
        objectId,
        related,
        body,
      }),
    };
  }
  // The associate/cancel path (and anything else) is not readable through /v1: writes are batches.
  if (isClass(c) && d === undefined) {
    return refuse(405, 'METHOD_NOT_ALLOWED', 'writes go through /api/batches, not /v1');
  }
  return refuse(404, 'NOT_FOUND', 'no such SecMaster read');
}

export type ForwardedAnswer =
  | {
      status: number;
      body: Record<string, unknown> | unknown[];
      raw?: undefined;
      requestId: string | null;
    }
  | {
      status: 200;
      /** A 2xx JSON object or array from upstream, sent on byte for byte (see `rawJson`). */
      raw: Uint8Array;
      body?: undefined;
      requestId: string | null;
    };

/** Maps an upstream answer (or failure) to what the browser receives: JSON, our own status rules. */
export function mapUpstreamAnswer(
  result: UpstreamResponse | UpstreamError,
  parseError: (
    body: unknown,
  ) => { code: string; message: string; request_id: string | null } | null,
): ForwardedAnswer {
  if (result instanceof UpstreamError) {
    const byKind: Record<UpstreamErrorKind, [number, string]> = {
      timeout: [504, 'UPSTREAM_TIMEOUT'],
      connect: [502, 'UPSTREAM_UNREACHABLE'],
      network: [502, 'UPSTREAM_NETWORK'],
      redirect: [502, 'UPSTREAM_REDIRECT'],
      too_large: [502, 'UPSTREAM_TOO_LARGE'],
      bad_json: [502, 'UPSTREAM_BAD_RESPONSE'],
      aborted: [499, 'ABORTED'],
    };
    const [status, code] = byKind[result.kind];
    return {
      status,
      body: { code, message: result.message, request_id: result.requestId },
      requestId: result.requestId,
    };
  }
  const { status, body, requestId } = result;
  if (status >= 200 && status < 300 && result.rawJson) {
    return { status: 200, raw: result.rawJson, requestId };
  }
  if (status >= 200 && status < 300) {
    if (body !== null && typeof body === 'object') {
      return {
        status: 200,
        body: Array.isArray(body) ? (body as unknown[]) : { ...body },
        requestId,
      };
    }
    return {
      status: 502,
      body: {
        code: 'UPSTREAM_BAD_RESPONSE',
        message: 'SecMaster answered with an empty or non-object body',
      },
      requestId,
    };
  }
  const err = parseError(body);
  const code = err?.code ?? `HTTP_${status}`;
  const rid = err?.request_id ?? requestId;
  if (status === 401 || status === 407) {
    return {
      status: 502,
      body: {
        code,
        message: `SecMaster refused the console's credentials${err?.message ? `: ${err.message}` : ''}`,
        request_id: rid,
      },
      requestId: rid,
    };
  }
  const passed = status >= 500 ? 502 : status;
  return {
    status: passed,
    body: { code, message: err?.message || `SecMaster answered HTTP ${status}`, request_id: rid },
    requestId: rid,
  };
}

/** Deepest nesting accepted in a JSON body that is passed on to SecMaster. */
const MAX_JSON_DEPTH = 32;

/** Whether `value` nests deeper than MAX_JSON_DEPTH (recursion stops at the limit). */
function tooDeep(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= MAX_JSON_DEPTH) return true;
  const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
  return children.some((v) => tooDeep(v, depth + 1));
}

export interface V1RouteDeps {
  /** The project a caller's reads go to (an IAM session's, else the configured one), and where. */
  auth: Pick<ConsoleAuth, 'projectIdOf' | 'upstreamOf'>;
}

export function registerV1Routes(app: Hono, deps: V1RouteDeps): void {
  const { auth } = deps;

  const forward = async (c: Context): Promise<Response> => {
    const url = new URL(c.req.url);
    const route = matchReadRoute(c.req.method, url.pathname, url.search, auth.projectIdOf(c));
    if ('status' in route) return jsonError(c, route.status, route.code, route.message);
    let operation: UpstreamOperation;
    if (route.kind === 'post') {
      const text = await c.req.text();
      let body: unknown = {};
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          return jsonError(c, 400, 'INVALID_JSON', 'the body is not valid JSON');
        }
      }
      if (tooDeep(body)) {
        return jsonError(
          c,
          400,
          'INVALID_BODY',
          `body: nested deeper than ${MAX_JSON_DEPTH} levels`,
          'body',
        );
      }
      const search = dataobjectSearchSchema.safeParse(body);
      if (!search.success) {
        const issue = search.error.issues[0];
        const field = issue?.path.map(String).join('.') || 'body';
        return jsonError(c, 400, 'INVALID_BODY', `${field}: ${issue?.message ?? 'invalid'}`, field);
      }
      operation = route.build(search.data);
    } else {
      operation = route.operation;
    }
    let result: UpstreamResponse | UpstreamError;
    try {
      result = await auth.upstreamOf(c).call(operation, { passThrough: true });
    } catch (err) {
      if (err instanceof UpstreamRequestError)
        return jsonError(c, 400, 'INVALID_PATH', err.message);
      if (!(err instanceof UpstreamError)) throw err;
      result = err;
    }
    const answer = mapUpstreamAnswer(result, parseUpstreamError);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (answer.requestId) headers['x-request-id'] = answer.requestId;
    // A 2xx JSON answer that needed no redaction goes on as the bytes SecMaster sent.
    // (Its buffer is a plain ArrayBuffer: the cast keeps the DOM and Node typings of BodyInit apart.)
    const body = (answer.raw as Uint8Array<ArrayBuffer> | undefined) ?? JSON.stringify(answer.body);
    return new Response(body, { status: answer.status, headers });
  };
  app.all('/v1/*', requireSecMasterIdentity, forward);
  app.all('/v1', requireSecMasterIdentity, forward);
}
