/**
 * The console's IAM client: a user token by password
 * (`POST /v3/auth/tokens`, token in `X-Subject-Token`, `token.expires_at`, `token.project.id`) and
 * the project ID by region name (`GET /v3/projects?name=`). Errors are readable and never echo the
 * password or a token; redirects are never followed; answers are size-capped.
 */
import { z } from 'zod';
import type { Credentials } from '../credentials';
import { signRequest } from 'apig-signing';
import { Secret } from './secret';

const MAX_IAM_RESPONSE_BYTES = 1024 * 1024;
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,3}$/;
const PROJECT_ID = /^[A-Za-z0-9_-]{16,64}$/;

export type IamErrorKind =
  | 'refused' // wrong user name, password or account (401)
  | 'forbidden' // the user may not sign in this way (403: disabled, MFA/login protection...)
  | 'throttled' // 429
  | 'unreachable' // connection failed or timed out
  | 'bad_answer'; // no token, unreadable body, redirect, 5xx, no or several projects

export class IamError extends Error {
  override name = 'IamError';
  constructor(
    readonly kind: IamErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface IamClientOptions {
  /** IAM base URL, e.g. https://iam.cn-north-4.myhuaweicloud.com (no trailing slash). */
  endpoint: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  now?: () => Date;
}

export interface IamToken {
  token: Secret;
  expiresAt: Date;
  projectId: string | null;
  user: string;
  account: string | null;
}

const tokenBodySchema = z.looseObject({
  token: z.looseObject({
    expires_at: z.string(),
    project: z.looseObject({ id: z.string().optional(), name: z.string().optional() }).optional(),
    user: z
      .looseObject({
        name: z.string().optional(),
        domain: z.looseObject({ name: z.string().optional() }).optional(),
      })
      .optional(),
  }),
});
const projectsBodySchema = z.looseObject({
  projects: z.array(z.looseObject({ id: z.string(), name: z.string().optional() })),
});

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'IAM';
  }
}

async function send(
  opts: IamClientOptions,
  path: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const url = `${opts.endpoint.replace(/\/+$/, '')}${path}`;
  const fetchImpl = opts.fetchImpl ?? fetch;
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch {
    throw new IamError('unreachable', `IAM could not be reached: ${hostOf(opts.endpoint)}`);
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => undefined);
    throw new IamError('bad_answer', `IAM answered with a redirect (HTTP ${res.status})`);
  }
  let text: string;
  try {
    const buf = await res.arrayBuffer();
    if (buf.byteLength > MAX_IAM_RESPONSE_BYTES) throw new Error('too large');
    text = new TextDecoder().decode(buf);
  } catch {
    throw new IamError('bad_answer', 'the answer from IAM could not be read');
  }
  let body: unknown;
  try {
    body = text.trim() === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, body };
}

/** IAM's own error code, if any (`{"error":{"code":..}}` or `{"error_code":..}`); never a value. */
function iamCode(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  const code = typeof b.error_code === 'string' ? b.error_code : null;
  if (code && /^[A-Za-z0-9._-]{1,32}$/.test(code)) return code;
  return null;
}

function failure(status: number, body: unknown, what: string): IamError {
  const code = iamCode(body);
  const suffix = code ? ` (${code})` : '';
  if (status === 401) {
    return new IamError(
      'refused',
      `IAM refused the ${what}: wrong user name, password or account${suffix}`,
    );
  }
  if (status === 403) {
    return new IamError(
      'forbidden',
      `IAM refused the ${what} for this user (disabled, no access to the project, or MFA/login protection required)${suffix}`,
    );
  }
  if (status === 429) {
    return new IamError(
      'throttled',
      `IAM is throttling sign-ins; wait a minute and try again${suffix}`,
    );
  }
  if (status === 404)
    return new IamError('bad_answer', `IAM does not know this region or project${suffix}`);
  return new IamError('bad_answer', `IAM answered HTTP ${status} to the ${what}${suffix}`);
}

/** POST /v3/auth/tokens with the password body, scoped to a project by ID or by region name. */
export async function obtainToken(
  opts: IamClientOptions,
  input: {
    user: string;
    password: string;
    account: string;
    region: string;
    projectId?: string | null;
  },
): Promise<IamToken> {
  const project = input.projectId ? { id: input.projectId } : { name: input.region };
  const body = JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: { name: input.user, password: input.password, domain: { name: input.account } },
        },
      },
      scope: { project },
    },
  });
  const res = await send(opts, '/v3/auth/tokens?nocatalog=true', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json;charset=utf8', Accept: 'application/json' },
    body,
  });
  if (res.status !== 201 && res.status !== 200) throw failure(res.status, res.body, 'sign-in');
  const token = res.headers.get('x-subject-token');
  // The token becomes a header value: printable ASCII only (no CR/LF smuggling).
  if (!token || !/^[\x21-\x7e]{1,16384}$/.test(token)) {
    throw new IamError('bad_answer', 'IAM answered without a usable X-Subject-Token');
  }
  const parsed = tokenBodySchema.safeParse(res.body);
  const expiresAt = parsed.success ? new Date(parsed.data.token.expires_at) : null;
  if (!parsed.success || expiresAt === null || Number.isNaN(expiresAt.getTime())) {
    throw new IamError('bad_answer', 'IAM answered without a readable token.expires_at');
  }
  const pid = parsed.data.token.project?.id;
  return {
    token: new Secret(token),
    expiresAt,
    projectId: pid && PROJECT_ID.test(pid) ? pid : null,
    user: parsed.data.token.user?.name ?? input.user,
    account: parsed.data.token.user?.domain?.name ?? input.account,
  };
}

/**
 * GET /v3/projects?name={region}: the one project of that name (as the official SDKs do; 0 or
 * several is an error). Authenticated by an IAM token or by AK/SK signing.
 */
export async function lookupProject(
  opts: IamClientOptions,
  region: string,
  auth: { token: Secret } | { credentials: Credentials },
): Promise<string> {
  if (!REGION_PATTERN.test(region)) throw new IamError('bad_answer', 'not a region name');
  const path = `/v3/projects?name=${encodeURIComponent(region)}`;
  let headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  if ('token' in auth) {
    headers['X-Auth-Token'] = auth.token.reveal();
  } else {
    const values = auth.credentials.reveal();
    if (values.kind === 'token') headers['X-Auth-Token'] = values.token;
    else {
      if (values.securityToken) headers['X-Security-Token'] = values.securityToken;
      headers = signRequest({
        method: 'GET',
        url: `${opts.endpoint.replace(/\/+$/, '')}${path}`,
        headers,
        body: undefined,
        ak: values.ak,
        sk: values.sk,
        now: (opts.now ?? (() => new Date()))(),
      });
      headers = Object.fromEntries(
        Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'host'),
      );
    }
  }
  const res = await send(opts, path, { method: 'GET', headers });
  if (res.status !== 200) throw failure(res.status, res.body, 'project lookup');
  const parsed = projectsBodySchema.safeParse(res.body);
  if (!parsed.success) throw new IamError('bad_answer', 'the project list from IAM was unreadable');
  const matches = parsed.data.projects.filter((p) => p.name === undefined || p.name === region);
  if (matches.length !== 1 || !PROJECT_ID.test(matches[0]?.id ?? '')) {
    throw new IamError(
      'bad_answer',
      `IAM lists ${matches.length} projects named ${region}; set SECMASTER_PROJECT_ID`,
    );
  }
  return matches[0]?.id ?? '';
}

/** The IAM endpoint for a region (https://iam.{region}.myhuaweicloud.com). */
export function iamEndpointFor(region: string): string {
  return `https://iam.${region}.myhuaweicloud.com`;
}
