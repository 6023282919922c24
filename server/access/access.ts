/**
 * Access control of the console itself (the session API): who is calling (a session
 * cookie, `Authorization: Bearer <CONSOLE_ACCESS_TOKEN>`, or nobody), SIGN_IN_REQUIRED on /api and
 * /v1 when sign-in is configured, the `/api/session` routes (sign in with the access token or an
 * IAM user, sign out), the limits on sign-ins per client address, and the credential context
 * every upstream call runs in.
 *
 * Access decisions are taken on the path the router matches (`c.req.path`, decoded the way the
 * router decodes it), never on the raw URL: `/api/b%61tches` is `/api/batches` for both. Routes
 * that reach SecMaster carry `requireSecMasterIdentity` themselves, so the check is attached to the
 * route the router picked rather than to a second spelling of its path.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { z } from 'zod';
import type { Config } from '../config';
import { createUpstream, type Upstream } from '../secmaster/client';
import {
  createCallCredentials,
  type CallCredentials,
  type CallIdentity,
  type Connect,
  type CredentialLedger,
} from './credentials';
import { IamError, REGION_PATTERN, iamEndpointFor, lookupProject, obtainToken } from './iam';
import { TrustedProxies, clientAddress, limitKey, normalizeIp } from './client-address';
import { MemoryAttemptLimiter, type AttemptLimiter, type Slot } from './rate-limit';
import {
  ACCESS_SESSION_TTL_MS,
  MemorySessionStore,
  SESSION_COOKIE,
  SessionLimitError,
  type NewSession,
  type Session,
  type SessionStore,
  type SignInMethod,
} from './sessions';
import type { SessionDatabase } from '../db/sessions';
import type { SessionKeys } from './session-key';
import { SqlSessionStore } from './sql-sessions';
import { SqlAttemptLimiter } from './sql-limits';

export type AuthMethod = 'none' | 'access-token' | 'iam' | 'bearer';

export interface Principal {
  user: string;
  method: AuthMethod;
  session: Session | null;
}

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal | null;
    /** Who this request's SecMaster calls go out as (set by the session middleware). */
    callIdentity: CallIdentity;
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
  readonly signInRequired: boolean;
  readonly signInMethods: SignInMethod[];
  /** Middleware and the /api/session routes; call after the CSRF and body-limit middleware. */
  install(app: Hono): void;
  principalOf(c: Context): Principal | null;
  /** The project the caller works in (an IAM session's, else the configured one). */
  projectIdOf(c: Context): string;
  sessionJson(c: Context): SessionJson;
  /** Which credential each call goes out with (requests and batches). */
  readonly credentials: CallCredentials;
  /** Who this request's SecMaster calls go out as. */
  identityOf(c: Context): CallIdentity;
  /** The Upstream this request's SecMaster calls go out on. */
  upstreamOf(c: Context): Upstream;
}

export interface AuthOptions {
  config: Config;
  /** The ledger's store: each batch's credential source (access/credentials.ts). */
  store: CredentialLedger;
  /** Runs a store write without waiting for another process's write lock (SQLite's noWait). */
  noWait?: <T>(write: () => T) => T;
  /**
   * Builds the Upstream of one credential (the environment's, or an IAM session's); default: a
   * SecMaster client on `config.endpoint` with the batch call timeout.
   */
  connect?: Connect;
  /** IAM calls (tests: the stand-in's fetch); default global fetch. */
  iamFetch?: typeof fetch;
  iamTimeoutMs?: number;
  now?: () => number;
  /**
   * Failed credentials (sign-ins and Bearer tokens) allowed per client address per minute
   * (default 5).
   */
  maxFailuresPerMinute?: number;
  /** Sign-in attempts allowed per client address per SIGN_IN_WINDOW_MS (default 60). */
  maxSignInsPerWindow?: number;
  /** Live sessions in all (default MAX_SESSIONS). */
  maxSessions?: number;
  /** Live sessions per IAM user, or per address for the access token (default 20). */
  maxSessionsPerOwner?: number;
  /**
   * SESSION_KEY set: sessions and the sign-in limits live in this database, shared by every
   * console on it (sql-sessions.ts, sql-limits.ts); without it, in this process's memory.
   */
  sharedSessions?: { database: SessionDatabase; keys: SessionKeys };
}

/** The window of `maxSignInsPerWindow`. */
export const SIGN_IN_WINDOW_MS = 10 * 60_000;
const DEFAULT_SIGN_INS_PER_WINDOW = 60;

/**
 * For routes that call SecMaster (or start work that will): the caller must have a SecMaster
 * identity, i.e. the console's own credential or an IAM session. Attached to each such route, so
 * it runs on whatever spelling of the path the router matched. Runs after the session
 * middleware (`ConsoleAuth.install`), which sets the request's identity; without one it refuses.
 */
export const requireSecMasterIdentity: MiddlewareHandler = async (c, next) => {
  const identity = c.get('callIdentity') as CallIdentity | undefined;
  if (!identity || identity.source === 'none') {
    return c.json(
      {
        code: 'SIGN_IN_REQUIRED',
        message:
          'sign in with your IAM user to reach SecMaster (this console has no credential of its own)',
      },
      401,
    );
  }
  await next();
};

/**
 * Whether a router path is under /api or /v1 (sign-in required there). Decoded once more and
 * case-folded, and empty segments skipped, so that no other spelling counts as outside: a spelling
 * the router does not match gets at worst a 401 instead of a 404.
 */
function isGuardedPath(path: string): boolean {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // keep the router's form
  }
  const first = decoded.split(/[/\\]+/).find((s) => s !== '');
  return first !== undefined && ['api', 'v1'].includes(first.toLowerCase());
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
  const { config } = options;
  const now = options.now ?? Date.now;
  const limits = {
    maxSessions: options.maxSessions,
    maxPerOwner: options.maxSessionsPerOwner,
  };
  const shared = options.sharedSessions;
  const sessions: SessionStore = shared
    ? new SqlSessionStore({ database: shared.database, keys: shared.keys, now, limits })
    : new MemorySessionStore(now, limits);
  const limiter = (name: string, max: number, windowMs: number): AttemptLimiter =>
    shared
      ? new SqlAttemptLimiter(shared.database, name, max, windowMs, now)
      : new MemoryAttemptLimiter(max, windowMs, now);
  /** Failed credentials per client address: sign-ins (taken before IAM is asked) and Bearer. */
  const failures = limiter('failures', options.maxFailuresPerMinute ?? 5, 60_000);
  /** Sign-in attempts per client address, successful or not. */
  const signIns = limiter(
    'sign-ins',
    options.maxSignInsPerWindow ?? DEFAULT_SIGN_INS_PER_WINDOW,
    SIGN_IN_WINDOW_MS,
  );
  /** Whose X-Forwarded-For is believed: only behind the TLS proxy (TRUST_PROXY_TLS=1). */
  const trusted = new TrustedProxies(config.tls?.kind === 'proxy' ? config.trustedProxies : []);
  /** Peers whose X-Forwarded-For was ignored (logged once each, bounded). */
  const ignoredProxies = new Set<string>();
  const signInMethods: SignInMethod[] = [];
  if (config.accessToken) signInMethods.push('access-token');
  if (config.iamSignIn) signInMethods.push('iam');
  const signInRequired = signInMethods.length > 0;
  const secure = config.tls !== null;
  const credentials = createCallCredentials({
    config,
    store: options.store,
    noWait: options.noWait,
    sessions,
    connect:
      options.connect ??
      ((target) =>
        createUpstream({
          endpoint: config.endpoint,
          timeoutMs: config.batchCallTimeoutMs,
          ...target,
        })),
  });

  /** The Bearer token sent, '' for a malformed one, null without `Authorization: Bearer`. */
  const bearerOf = (c: Context): string | null => {
    const h = c.req.header('authorization');
    if (!h || !/^bearer\s/i.test(h)) return null;
    const m = /^Bearer ([\x21-\x7e]{1,1024})$/i.exec(h.trim());
    return m?.[1] ?? '';
  };

  /** Who is calling; read from the session store once per request (`resolvePrincipal`). */
  const resolvePrincipal = async (c: Context): Promise<Principal | null> => {
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
      const session = await sessions.get(readCookie(c.req.header('cookie'), SESSION_COOKIE));
      if (session) p = { user: session.user, method: session.method, session };
      else if (!signInRequired) p = { user: LOCAL_USER, method: 'none', session: null };
    }
    c.set('principal', p);
    return p;
  };

  /** Who is calling, as the session middleware found it (null before it ran: nobody). */
  const principalOf = (c: Context): Principal | null => c.get('principal') ?? null;

  const identityOf = (c: Context): CallIdentity =>
    credentials.identityOf(principalOf(c)?.session ?? null);

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

  /** The client address the limits count under (see client-address.ts). */
  const clientKey = (c: Context): string => {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      peer = undefined;
    }
    const forwarded = config.tls?.kind === 'proxy' ? c.req.header('x-forwarded-for') : undefined;
    const address = clientAddress(peer, forwarded, trusted);
    const from = normalizeIp(peer);
    if (forwarded && from && !trusted.has(from) && !ignoredProxies.has(from)) {
      if (ignoredProxies.size < 16) {
        ignoredProxies.add(from);
        console.warn(
          `X-Forwarded-For from ${from} ignored: that address is not in TRUSTED_PROXIES (list your proxy's address there, or every client behind it shares one sign-in limit)`,
        );
      }
    }
    return limitKey(address);
  };

  const rateLimited = (c: Context, waitMs: number, code: string, message: string) => {
    c.header('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
    return c.json({ code, message }, 429);
  };
  const tooManyFailures = (c: Context, waitMs: number) =>
    rateLimited(
      c,
      waitMs,
      'RATE_LIMITED',
      'too many failed sign-ins from this address: wait a minute and try again',
    );
  const tooManySignIns = (c: Context, waitMs: number) =>
    rateLimited(
      c,
      waitMs,
      'TOO_MANY_SIGN_INS',
      'too many sign-ins from this address: wait a few minutes and try again',
    );

  const cookie = (value: string, maxAgeS: number): string =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;

  const refuse = (
    c: Context,
    status: 400 | 401 | 403 | 429 | 502 | 503 | 504,
    code: string,
    message: string,
  ) => c.json({ code, message }, status);

  const middleware: MiddlewareHandler = async (c, next) => {
    // A Bearer token is a credential guess like a sign-in: a wrong one counts against the
    // address, and while the address is blocked every Bearer token is refused (429), the right
    // one too, so a guess can never be confirmed during the block.
    const bearer = signInRequired ? bearerOf(c) : null;
    if (bearer !== null) {
      const key = clientKey(c);
      const wait = await failures.blockedForMs(key);
      if (wait > 0) return tooManyFailures(c, wait);
      if (!config.accessToken?.matches(bearer)) await failures.fail(key);
    }
    let p: Principal | null;
    try {
      p = await resolvePrincipal(c);
    } catch (error) {
      // The session database cannot be read (SESSION_KEY): nobody is let in, and nobody is told
      // they were signed out.
      console.error(
        `sessions: the session database could not be read: ${error instanceof Error ? error.message : String(error)}`,
      );
      c.header('Retry-After', '5');
      return refuse(
        c,
        503,
        'SESSIONS_UNAVAILABLE',
        'the console cannot read its sessions right now: try again in a moment',
      );
    }
    // The path the router matches, so the decision and the route are about the same path.
    const path = c.req.path;
    if (p === null && isGuardedPath(path) && !OPEN_ROUTES.has(path)) {
      return refuse(c, 401, 'SIGN_IN_REQUIRED', 'sign in to use the console');
    }
    c.set('callIdentity', credentials.identityOf(p?.session ?? null));
    return next();
  };

  async function signIn(c: Context): Promise<Response> {
    const key = clientKey(c);
    const waitFailures = await failures.blockedForMs(key);
    if (waitFailures > 0) return tooManyFailures(c, waitFailures);
    const waitSignIns = await signIns.blockedForMs(key);
    if (waitSignIns > 0) return tooManySignIns(c, waitSignIns);
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
    let region = '';
    if (body.method === 'iam') {
      region = body.region || config.region || '';
      if (!REGION_PATTERN.test(region)) {
        return refuse(c, 400, 'INVALID_BODY', 'region: must look like a region, e.g. cn-north-4');
      }
      if (config.region && region !== config.region) {
        return refuse(c, 400, 'INVALID_BODY', `region: this console works in ${config.region}`);
      }
    }
    // Both slots are taken now, before the credential is checked: each take counts and checks at
    // once (across consoles too, with SESSION_KEY), so concurrent attempts from one address are
    // counted as they start and no more of them reach IAM than the limits allow. The failure
    // slot is kept when the credential is refused, and given back otherwise (success, or an
    // answer that says nothing about the credential); a success never clears earlier failures.
    const attempt = await failures.take(key);
    if (typeof attempt === 'number') return tooManyFailures(c, attempt);
    const signInSlot = await signIns.take(key);
    if (typeof signInSlot === 'number') {
      await attempt.release();
      return tooManySignIns(c, signInSlot);
    }
    try {
      const session = await verify(c, body, region, attempt);
      if (session instanceof Response) return session;
      return await started(c, session);
    } catch (err) {
      await attempt.release();
      throw err;
    }
  }

  /** The new session for a valid credential, or the refusal (the failure slot kept or given back). */
  async function verify(
    c: Context,
    body: z.infer<typeof signInBodySchema>,
    region: string,
    attempt: Slot,
  ): Promise<Session | Response> {
    const failed = () =>
      refuse(c, 401, 'SIGN_IN_FAILED', 'sign-in failed: check what you entered and try again');
    const create = async (input: NewSession): Promise<Session | Response> => {
      await attempt.release();
      try {
        return await sessions.create(input);
      } catch (err) {
        if (!(err instanceof SessionLimitError)) throw err;
        c.header('Retry-After', '60');
        return err.scope === 'address'
          ? refuse(c, 429, 'TOO_MANY_SESSIONS', err.message)
          : refuse(c, 503, 'TOO_MANY_SESSIONS', err.message);
      }
    };
    if (body.method === 'access-token') {
      if (!config.accessToken?.matches(body.token)) return failed();
      // Everyone with the token is the same user: its per-owner limit is per client address,
      // so one holder signing in again and again only ends their own older sessions.
      return create({
        method: 'access-token',
        user: TOKEN_USER,
        owner: `token\n${clientKey(c)}`,
        address: clientKey(c),
        expiresAt: now() + ACCESS_SESSION_TTL_MS,
      });
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
        await attempt.release();
        return refuse(
          c,
          403,
          'WRONG_PROJECT',
          "this IAM token is for another project than the console's",
        );
      }
      if (got.expiresAt.getTime() <= now()) {
        await attempt.release();
        return refuse(
          c,
          502,
          'IAM_ERROR',
          'IAM issued a token that has already expired (check the clock)',
        );
      }
      return create({
        method: 'iam',
        user: got.user,
        owner: `iam\n${got.account ?? ''}\n${got.user}\n${projectId}`,
        address: clientKey(c),
        expiresAt: got.expiresAt.getTime(),
        iam: { token: got.token, projectId, region, account: got.account },
      });
    } catch (err) {
      if (!(err instanceof IamError)) throw err;
      // Refused or forbidden: the credential failed, its slot stays taken.
      if (err.kind === 'refused') return failed();
      if (err.kind === 'forbidden') return refuse(c, 403, 'SIGN_IN_FORBIDDEN', err.message);
      await attempt.release();
      if (err.kind === 'throttled') return refuse(c, 429, 'IAM_THROTTLED', err.message);
      return refuse(
        c,
        502,
        err.kind === 'unreachable' ? 'IAM_UNREACHABLE' : 'IAM_ERROR',
        err.message,
      );
    }
  }

  /** Signed in: the cookie, and the end (or renewal) of this browser's previous session. */
  async function started(c: Context, session: Session): Promise<Response> {
    // A new random ID on every sign-in (no fixation); the previous session of this browser ends.
    // Renewal: the same IAM user again, so their running batches continue with the new token.
    const previous = await sessions.get(readCookie(c.req.header('cookie'), SESSION_COOKIE));
    if (previous) {
      const renewal =
        previous.iam !== null &&
        session.iam !== null &&
        previous.user === session.user &&
        previous.iam.account === session.iam.account &&
        previous.iam.projectId === session.iam.projectId;
      if (renewal) await sessions.renew(previous.id, session);
      else await sessions.delete(previous.id);
    }
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
    signInRequired,
    signInMethods,
    principalOf,
    projectIdOf,
    sessionJson,
    install(app) {
      app.use('*', middleware);
      app.get('/api/session', (c) => c.json(sessionJson(c)));
      app.post('/api/session', signIn);
      app.delete('/api/session', async (c) => {
        const id = readCookie(c.req.header('cookie'), SESSION_COOKIE);
        if (id) await sessions.delete(id);
        c.header('Set-Cookie', cookie('', 0));
        return c.body(null, 204);
      });
    },
    credentials,
    identityOf,
    upstreamOf: (c) => credentials.upstreamOf(identityOf(c)),
  };
}
