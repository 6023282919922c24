/**
 * What the server's API tests send, written once: the workspace and subject they use, the headers
 * of the SPA's JSON requests, a batch's body, a sign-in and the session cookie it sets.
 */
export const WS = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
export const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

/** The SPA's JSON requests: `X-Requested-With` is what the server's CSRF check asks for. */
export const JSON_HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'fetch' };

/** Sends one request to the console (`app.request`, or `fetch` on a listening server). */
export type Http = (path: string, init?: RequestInit) => Response | Promise<Response>;

/** The body of `POST /api/batches`: associate `ids` with SUBJECT's alerts in WS. */
export function batchBody(ids: string[], extra: Record<string, unknown> = {}) {
  return {
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: SUBJECT,
    related_dataclass_type: 'alerts',
    ids,
    ...extra,
  };
}

/** `POST /api/session` with `body` (and extra headers). */
export async function signIn(
  http: Http,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return http('/api/session', {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
  });
}

/** The `sm_session=…` pair a response sets (for a `Cookie` header); throws when there is none. */
export function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  const m = /^(sm_session=[^;]+)/.exec(set);
  if (!m?.[1]) throw new Error(`no session cookie (status ${res.status}) in ${JSON.stringify(set)}`);
  return m[1];
}
