/**
 * Access control of the console itself (DESIGN.md §3, the session API): who is calling (a session
 * cookie, `Authorization: Bearer <CONSOLE_ACCESS_TOKEN>`, or nobody), SIGN_IN_REQUIRED on /api and
 * /v1 when sign-in is configured, the `/api/session` routes (sign in with the access token or an
 * IAM user, sign out), and the credential context every upstream call runs in.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { z } from 'zod';
import type { Ledger } from '../batches/ledger';
import type { Config } from '../config';
import type { Upstream, UpstreamOptions } from '../forward';
import { openBatchSources, interruptOrphans, type BatchSources } from './batch-sources';
import { callContext, createRoutingUpstream, type CallContext } from './context';
import { IamError, REGION_PATTERN, iamEndpointFor, lookupProject, obtainToken } from './iam';
import { FailureLimiter } from './rate-limit';
import {
  ACCESS_SESSION_TTL_MS,
  SESSION_COOKIE,
  SessionStore,
  type Session,
  type SignInMethod,
} from './sessions';

export type AuthMethod = 'none' | 'access-token' | 'iam' | 'bearer';

export interface Principal {
  user: string;
  method: AuthMethod;
  session: Session | null;
}

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal | null;
  }
}

export const TOKEN_USER = 'token user';
export const AUTOMATION_USER = 'automation';
export const LOCAL_USER = 'local';

/** The routes that answer without a session (the SPA needs them to show the sign-in form). */
const OPEN_ROUTES = new Set(['/api/config', '/api/health', '/api/session']);

const signInBodySchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('access-token'), token: z.string().min(1).max(1024) }),
  z.strictObject({
    method: z.literal('iam'),
    user: z.string().trim().min(1).max(64),
    password: z.string().min(1).max(1024),
    account: z.string().trim().min(1).max(64),
    region: z.string().trim().max(64),
  }),
]);

export interface SessionJson {
  authenticated: boolean;
  user: string | null;
  method: AuthMethod;
  expires_at: string | null;
  sign_in_required: boolean;
  sign_in_methods: SignInMethod[];
  region: string | null;
}

export interface ConsoleAuth {
  readonly sessions: SessionStore;
  readonly sources: BatchSources;
  readonly signInRequired: boolean;
  readonly signInMethods: SignInMethod[];
  /** Middleware and the /api/session routes; call after the CSRF and body-limit middleware. */
  install(app: Hono): void;
  principalOf(c: Context): Principal | null;
  /** The project the caller works in (an IAM session's, else the configured one). */
  projectIdOf(c: Context): string;
  sessionJson(c: Context): SessionJson;
  /** Records the credential source of batches started or resumed, in the caller's context. */
  bindRunner<R extends { start(id: string): Promise<void>; resume(id: string): boolean }>(r: R): R;
  /** The Upstream for the runner and /v1: the caller's IAM token, else the environment's. */
  createUpstream(
    options: Omit<UpstreamOptions, 'credentials' | 'authToken' | 'projectId'>,
  ): Upstream;
  /** Startup: crash recovery, then "sign in to resume" for batches whose credential is gone. */
  interruptOrphans(): string[];
}

export interface AuthOptions {
  config: Config;
  ledger: Ledger;
  /** IAM calls (tests: the stand-in's fetch); default global fetch. */
  iamFetch?: typeof fetch;
  iamTimeoutMs?: number;
  now?: () => number;
  /** Failed sign-ins allowed per client address per minute (default 5). */
  maxFailuresPerMinute?: number;
}

function envSource(config: Config): string {
  if (!config.credentials) return 'none';
  return config.credentials.kind === 'aksk' ? 'env-aksk' : 'env-token';
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function createAuth(options: AuthOptions): ConsoleAuth {
  const { config, ledger } = options;
  const now = options.now ?? Date.now;
  const sessions = new SessionStore(now);
  const sources = openBatchSources(ledger.db);
  const limiter = new FailureLimiter(options.maxFailuresPerMinute ?? 5, 60_000, now);
  const signInMethods: SignInMethod[] = [];
  if (config.accessToken) signInMethods.push('access-token');
  if (config.iamSignIn) signInMethods.push('iam');
  const signInRequired = signInMethods.length > 0;
  const secure = config.tls !== null;
  /** Batches running on an IAM session's token, to stop them when it signs out. */
  const batchSession = new Map<string, string>();

  sessions.onEnd((s, why) => {
    if (why !== 'signed-out') return;
    for (const [batchId, sid] of batchSession) {
      if (sessions.forCalls(sid) !== null) continue;
      batchSession.delete(batchId);
      ledger.transitionBatch(
        batchId,
        ['running'],
        'interrupted',
        `${s.user} signed out: sign in to resume`,
      );
    }
  });

  /** The Bearer token sent, '' for a malformed one, null without `Authorization: Bearer`. */
  const bearerOf = (c: Context): string | null => {
    const h = c.req.header('authorization');
    if (!h || !/^bearer\s/i.test(h)) return null;
    const m = /^Bearer ([\x21-\x7e]{1,1024})$/i.exec(h.trim());
    return m?.[1] ?? '';
  };

  const principalOf = (c: Context): Principal | null => {
    const cached = c.get('principal');
    if (cached !== undefined) return cached;
    let p: Principal | null = null;
    const bearer = bearerOf(c);
    if (bearer !== null && signInRequired) {
      // A wrong Bearer token never falls back to a session cookie.
      p = config.accessToken?.matches(bearer)
        ? { user: AUTOMATION_USER, method: 'bearer', session: null }
        : null;
    } else {
      const session = sessions.get(readCookie(c.req.header('cookie'), SESSION_COOKIE));
      if (session) p = { user: session.user, method: session.method, session };
      else if (!signInRequired) p = { user: LOCAL_USER, method: 'none', session: null };
    }
    c.set('principal', p);
    return p;
  };

  const contextOf = (p: Principal | null): CallContext => {
    if (p?.session?.iam) return { source: `session:${p.session.user}`, sessionId: p.session.id };
    return { source: envSource(config), sessionId: null };
  };

  const projectIdOf = (c: Context): string =>
    principalOf(c)?.session?.iam?.projectId ?? config.projectId;

  const sessionJson = (c: Context): SessionJson => {
    const p = principalOf(c);
    return {
      authenticated: p !== null,
      user: p?.user ?? null,
      method: p?.method ?? 'none',
      expires_at:
        p?.session && p.session.expiresAt < Number.MAX_SAFE_INTEGER
          ? new Date(p.session.expiresAt).toISOString()
          : null,
      sign_in_required: signInRequired,
      sign_in_methods: signInMethods,
      region: p?.session?.iam?.region ?? config.region,
    };
  };

  const clientKey = (c: Context): string => {
    if (config.tls?.kind === 'proxy') {
      // Behind the TLS proxy every connection comes from it: the address it appended is the client.
      const xff = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
      if (xff) return xff.slice(0, 64);
    }
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      return 'unknown';
    }
  };

  const cookie = (value: string, maxAgeS: number): string =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;

  const refuse = (
    c: Context,
    status: 400 | 401 | 403 | 429 | 502 | 504,
    code: string,
    message: string,
  ) => c.json({ code, message }, status);

  const middleware: MiddlewareHandler = async (c, next) => {
    const url = new URL(c.req.url);
    const first = url.pathname.split('/')[1] ?? '';
    const guarded = first === 'api' || first === 'v1';
    const p = principalOf(c);
    if (guarded && !OPEN_ROUTES.has(url.pathname)) {
      if (p === null) {
        return refuse(c, 401, 'SIGN_IN_REQUIRED', 'sign in to use the console');
      }
      const ctx = contextOf(p);
      if (ctx.source === 'none' && needsUpstream(c.req.method, url.pathname)) {
        return refuse(
          c,
          401,
          'SIGN_IN_REQUIRED',
          'sign in with your IAM user to reach SecMaster (this console has no credential of its own)',
        );
      }
    }
    return callContext.run(contextOf(p), () => next());
  };

  async function signIn(c: Context): Promise<Response> {
    const key = clientKey(c);
    const wait = limiter.blockedForMs(key);
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
      return refuse(
        c,
        429,
        'RATE_LIMITED',
        'too many failed sign-ins: wait a minute and try again',
      );
    }
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return refuse(c, 400, 'INVALID_JSON', 'the body is not valid JSON');
    }
    const parsed = signInBodySchema.safeParse(raw);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path[0];
      return refuse(
        c,
        400,
        'INVALID_BODY',
        `${typeof field === 'string' ? field : 'body'}: missing or invalid`,
      );
    }
    const body = parsed.data;
    if (!signInMethods.includes(body.method)) {
      return refuse(
        c,
        400,
        'SIGN_IN_METHOD_UNAVAILABLE',
        `sign-in with ${body.method} is not enabled here`,
      );
    }
    const failed = () => {
      limiter.fail(key);
      return refuse(
        c,
        401,
        'SIGN_IN_FAILED',
        'sign-in failed: check what you entered and try again',
      );
    };
    let session: Session;
    if (body.method === 'access-token') {
      if (!config.accessToken?.matches(body.token)) return failed();
      session = sessions.create({
        method: 'access-token',
        user: TOKEN_USER,
        expiresAt: now() + ACCESS_SESSION_TTL_MS,
      });
    } else {
      const region = body.region || config.region || '';
      if (!REGION_PATTERN.test(region)) {
        return refuse(c, 400, 'INVALID_BODY', 'region: must look like a region, e.g. cn-north-4');
      }
      if (config.region && region !== config.region) {
        return refuse(c, 400, 'INVALID_BODY', `region: this console works in ${config.region}`);
      }
      const iam = {
        endpoint: config.iamEndpoint ?? iamEndpointFor(region),
        fetchImpl: options.iamFetch,
        timeoutMs: options.iamTimeoutMs,
      };
      try {
        const got = await obtainToken(iam, {
          user: body.user,
          password: body.password,
          account: body.account,
          region,
          projectId: config.projectId || null,
        });
        const projectId = got.projectId ?? (await lookupProject(iam, region, { token: got.token }));
        if (config.projectId && projectId !== config.projectId) {
          return refuse(
            c,
            403,
            'WRONG_PROJECT',
            "this IAM token is for another project than the console's",
          );
        }
        if (got.expiresAt.getTime() <= now()) {
          return refuse(
            c,
            502,
            'IAM_ERROR',
            'IAM issued a token that has already expired (check the clock)',
          );
        }
        session = sessions.create({
          method: 'iam',
          user: got.user,
          expiresAt: got.expiresAt.getTime(),
          iam: { token: got.token, projectId, region, account: got.account },
        });
      } catch (err) {
        if (!(err instanceof IamError)) throw err;
        if (err.kind === 'refused') return failed();
        if (err.kind === 'forbidden') {
          limiter.fail(key);
          return refuse(c, 403, 'SIGN_IN_FORBIDDEN', err.message);
        }
        if (err.kind === 'throttled') return refuse(c, 429, 'IAM_THROTTLED', err.message);
        return refuse(
          c,
          502,
          err.kind === 'unreachable' ? 'IAM_UNREACHABLE' : 'IAM_ERROR',
          err.message,
        );
      }
    }
    // A new random ID on every sign-in (no fixation); the previous session of this browser ends.
    // Renewal: the same IAM user again, so their running batches continue with the new token.
    const previous = sessions.get(readCookie(c.req.header('cookie'), SESSION_COOKIE));
    if (previous) {
      const renewal =
        previous.iam !== null &&
        session.iam !== null &&
        previous.user === session.user &&
        previous.iam.account === session.iam.account &&
        previous.iam.projectId === session.iam.projectId;
      if (renewal) sessions.renew(previous.id, session);
      else sessions.delete(previous.id);
    }
    limiter.succeed(key);
    const principal: Principal = { user: session.user, method: session.method, session };
    c.set('principal', principal);
    c.header(
      'Set-Cookie',
      cookie(session.id, Math.max(1, Math.floor((session.expiresAt - now()) / 1000))),
    );
    return c.json(sessionJson(c), 200);
  }

  return {
    sessions,
    sources,
    signInRequired,
    signInMethods,
    principalOf,
    projectIdOf,
    sessionJson,
    install(app) {
      app.use('*', middleware);
      app.get('/api/session', (c) => c.json(sessionJson(c)));
      app.post('/api/session', signIn);
      app.delete('/api/session', (c) => {
        const id = readCookie(c.req.header('cookie'), SESSION_COOKIE);
        if (id) sessions.delete(id);
        c.header('Set-Cookie', cookie('', 0));
        return c.body(null, 204);
      });
    },
    bindRunner(r) {
      const record = (batchId: string) => {
        const ctx = callContext.getStore() ?? { source: envSource(config), sessionId: null };
        sources.record(batchId, ctx.source);
        if (ctx.sessionId) batchSession.set(batchId, ctx.sessionId);
        else batchSession.delete(batchId);
      };
      return Object.assign(Object.create(r) as typeof r, {
        start(batchId: string) {
          record(batchId);
          return r.start(batchId);
        },
        resume(batchId: string) {
          const ok = r.resume(batchId);
          if (ok) record(batchId);
          return ok;
        },
      });
    },
    createUpstream(upstreamOptions) {
      return createRoutingUpstream(
        { ...upstreamOptions, projectId: config.projectId, credentials: config.credentials },
        sessions,
      );
    },
    interruptOrphans() {
      return interruptOrphans(ledger, sources, config.credentials !== null);
    },
  };
}

/** Routes that call SecMaster (so need a credential): /v1, creating, resuming and undoing batches. */
function needsUpstream(method: string, path: string): boolean {
  if (path.startsWith('/v1/') || path === '/v1') return true;
  if (
    method === 'POST' &&
    (path === '/api/batches' ||
      path === '/api/checks' ||
      /^\/api\/batches\/[^/]+\/(resume|undo)$/.test(path))
  )
    return true;
  return method === 'GET' && /^\/api\/batches\/[^/]+\/undo-preview$/.test(path);
}
