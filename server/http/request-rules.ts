/**
 * The rules every request passes before any route sees it, in the order `createApp` installs
 * them: allowed methods, the Host allow-list (DNS rebinding), refusal of dot segments and
 * backslashes on the wire, one spelling of `/api` and `/v1`, and the security headers set on
 * every answer (`everyRequest`); anti-forgery and JSON-only bodies for state-changing requests
 * (`stateChangingRequests`); and the body size limit (`boundedBody`). Also the small URL and
 * header helpers these rules (and the SPA route) use.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { jsonError } from './json-error';

/**
 * Bodies up to this size are read by the routes that take lists of IDs (`LARGE_BODY_ROUTES`): a
 * 100,000-ID batch is about 4 MB, 100,000 pairs of UUIDs about 10 MB.
 */
export const MAX_BODY_BYTES = 12 * 1024 * 1024;

/**
 * Every other state-changing request (sign-in, batch controls, the /v1 searches) is read up to
 * this size: none needs more (a search with 100 IDs in its condition is under 10 kB), and a body
 * parsed before anyone is known to be signed in stays small.
 */
export const SMALL_BODY_BYTES = 256 * 1024;

/** `POST` paths whose bodies carry up to 100,000 IDs (batches, pairs, moves, link checks). */
export const LARGE_BODY_ROUTES: ReadonlySet<string> = new Set([
  '/api/batches',
  '/api/moves',
  '/api/checks',
]);

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'DELETE']);
const SAFE_FETCH_SITES = new Set(['same-origin', 'none']);
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

export function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * The request target exactly as it arrived on the wire, when the server exposes it
 * (@hono/node-server's `incoming`); `c.req.url` has already had its dot segments resolved.
 */
function wireTarget(c: Context): string | null {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return null;
  const incoming: unknown = env.incoming;
  if (typeof incoming !== 'object' || incoming === null || !('url' in incoming)) return null;
  return typeof incoming.url === 'string' ? incoming.url : null;
}

/** `.`/`..` segments (plain or %2e-encoded) or a backslash in a raw path: refused, never resolved. */
function hasTraversal(target: string | null): boolean {
  if (target === null) return false;
  const path = target.split(/[?#]/, 1)[0] ?? '';
  return path.includes('\\') || /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i.test(path);
}

/** The first path segment exactly as sent (still encoded). */
function rawFirstSegment(url: URL): string {
  return url.pathname.split('/')[1] ?? '';
}

export function isApiLike(url: URL): boolean {
  const first = safeDecode(rawFirstSegment(url))?.toLowerCase();
  return first === 'api' || first === 'v1';
}

function mediaType(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function hasBody(req: Request): boolean {
  if (req.headers.has('transfer-encoding')) return true;
  const len = req.headers.get('content-length');
  return len !== null && len.trim() !== '0';
}

/** A year: browsers that saw the console over HTTPS never try plain HTTP for it again. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

/** The Vite dev server (vite.config.ts pins it to 5173) proxies /api and /v1 to the console. */
const DEV_SERVER_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173'];

/**
 * Origins accepted besides the console's own: the Vite dev server's, only when `npm run dev`
 * (scripts/dev.mjs) started this server and said so with `CONSOLE_DEV_SERVER=1`. A console run
 * any other way refuses a page on :5173, which could be anyone's.
 */
export function devServerOrigins(env: Readonly<Record<string, string | undefined>>): string[] {
  return env.CONSOLE_DEV_SERVER === '1' ? [...DEV_SERVER_ORIGINS] : [];
}

/** The host name of a `Host` header (lower case, brackets kept for IPv6), or null if unreadable. */
function hostHeaderName(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  try {
    return new URL(`http://${value}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

export interface EveryRequestOptions {
  /** The console is reached over HTTPS (its own TLS or a TLS proxy): send HSTS. */
  https?: boolean;
}

/**
 * Every request: methods, security headers, Host allow-list. `allowedHosts` are lower-case host
 * names (no port). Both the name the request target gives (an absolute-form target names one)
 * and the `Host` header must be allowed.
 */
export function everyRequest(
  allowedHosts: ReadonlySet<string>,
  options: EveryRequestOptions = {},
): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const apiLike = isApiLike(url);
    const hostHeader = c.req.header('host');
    const hostHeaderOk =
      hostHeader === undefined || allowedHosts.has(hostHeaderName(hostHeader) ?? '');
    if (!ALLOWED_METHODS.has(c.req.method)) {
      c.res = c.json(
        { code: 'METHOD_NOT_ALLOWED', message: `${c.req.method.slice(0, 16)} is not allowed` },
        405,
      );
      c.res.headers.set('Allow', 'GET, HEAD, POST, DELETE');
    } else if (!allowedHosts.has(url.hostname.toLowerCase()) || !hostHeaderOk) {
      // DNS rebinding: a page on a foreign name that resolves to us must not read or write.
      c.res = c.json({ code: 'FORBIDDEN_HOST', message: 'this host name is not served here' }, 403);
    } else if (hasTraversal(wireTarget(c))) {
      // `/v1/{pid}/workspaces/../x`, `%2e%2e`, `a\..\x`: URL parsing would silently resolve them.
      c.res = c.json(
        { code: 'INVALID_PATH', message: 'the path has a dot segment or backslash' },
        400,
      );
    } else if (apiLike && rawFirstSegment(url) !== 'api' && rawFirstSegment(url) !== 'v1') {
      // `/API/...`, `/V1/...`, `/%61pi/...`: one spelling only, so no variant skips a check.
      c.res = c.json({ code: 'NOT_FOUND', message: 'no such route' }, 404);
    } else {
      await next();
    }
    const h = c.res.headers;
    h.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('X-Frame-Options', 'DENY');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (options.https) h.set('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
    if (apiLike) {
      h.set('Cache-Control', 'no-store');
      h.set('Vary', 'Origin, Sec-Fetch-Site');
    }
    for (const name of ['set-cookie', 'www-authenticate', 'access-control-allow-origin']) {
      // The console's own session cookie is set (and cleared) by /api/session only.
      if (name === 'set-cookie' && url.pathname === '/api/session') continue;
      h.delete(name);
    }
  };
}

/**
 * Every state-changing request: anti-forgery, JSON only. `extraOrigins` are accepted besides the
 * console's own origin.
 */
export function stateChangingRequests(extraOrigins: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const url = new URL(c.req.url);
    if (!c.req.header('x-requested-with')) {
      return jsonError(
        c,
        403,
        'CSRF',
        'state-changing requests must carry the X-Requested-With header',
      );
    }
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined && !SAFE_FETCH_SITES.has(site.toLowerCase())) {
      return jsonError(c, 403, 'CSRF', 'cross-site requests are refused');
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== url.origin && !extraOrigins.has(origin)) {
      return jsonError(c, 403, 'CSRF', 'cross-origin requests are refused');
    }
    const type = mediaType(c.req.header('content-type'));
    if ((type !== null || hasBody(c.req.raw)) && type !== 'application/json') {
      return jsonError(
        c,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'the body must be JSON (Content-Type: application/json)',
      );
    }
    return next();
  };
}

/**
 * Every state-changing request: a body of at most MAX_BODY_BYTES on the routes that take lists of
 * IDs, SMALL_BODY_BYTES on every other path.
 */
export function boundedBody(): MiddlewareHandler {
  const limiter = (maxSize: number) => {
    const tooLarge = (c: Context) =>
      jsonError(c, 413, 'BODY_TOO_LARGE', `the body is larger than ${maxSize} bytes`);
    return { maxSize, tooLarge, limitBody: bodyLimit({ maxSize, onError: tooLarge }) };
  };
  const large = limiter(MAX_BODY_BYTES);
  const small = limiter(SMALL_BODY_BYTES);
  return async (c, next) => {
    // GET and HEAD requests never carry a body, and a declared Content-Length (without
    // Transfer-Encoding) is checked as bodyLimit checks it. Either way the request is not turned
    // into a full web Request (bodyLimit reads `req.raw.body`, which @hono/node-server only
    // builds on demand), so the body can still be read straight from the socket later.
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const { maxSize, tooLarge, limitBody } =
      method === 'POST' && LARGE_BODY_ROUTES.has(c.req.path) ? large : small;
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return parseInt(length || '0', 10) > maxSize ? tooLarge(c) : next();
    }
    return limitBody(c, next);
  };
}
