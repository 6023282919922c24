/**
 * `/v1`: the SecMaster reads the browser may make, forwarded through the read allow-list of
 * `server/forward.ts` (`matchReadRoute`). Search bodies are parsed, bounded in depth and checked
 * against the wire schema before they go on; answers are mapped by `mapUpstreamAnswer` (clean
 * 2xx JSON passes through as the bytes SecMaster sent).
 */
import type { Context, Hono } from 'hono';
import { dataobjectSearchSchema, parseUpstreamError } from '../../src/api/schemas';
import { requireSecMasterIdentity, type ConsoleAuth } from '../auth/access';
import {
  UpstreamError,
  UpstreamRequestError,
  mapUpstreamAnswer,
  matchReadRoute,
  type Upstream,
  type UpstreamOperation,
  type UpstreamResponse,
} from '../forward';
import { jsonError } from '../http/json-error';

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
  upstream: Upstream;
  /** The project a caller's reads go to (an IAM session's, else the configured one). */
  auth: Pick<ConsoleAuth, 'projectIdOf'>;
}

export function registerV1Routes(app: Hono, deps: V1RouteDeps): void {
  const { upstream, auth } = deps;

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
      result = await upstream.call(operation, { passThrough: true });
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
    const body = answer.raw ?? JSON.stringify(answer.body);
    return new Response(body, { status: answer.status, headers });
  };
  app.all('/v1/*', requireSecMasterIdentity, forward);
  app.all('/v1', requireSecMasterIdentity, forward);
}
