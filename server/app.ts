/**
 * The console's HTTP surface: /api (config, health, batches), /v1 (the SecMaster read allow-list)
 * and the built SPA. Pure: no listening, no files opened at construction (DESIGN.md §1-§4,
 * reliability-security.md A4).
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import {
  MAX_BATCH_IDS,
  MAX_IDS_PER_CALL,
  MAX_ITEMS_PAGE,
  createBatchRequestSchema,
  dataobjectSearchSchema,
  idKey,
  isUuid,
  isWellFormedId,
  itemStateSchema,
  parseUpstreamError,
  searchResponseSchema,
  type BatchState,
  type BatchSummary,
  type ConsoleConfig,
  type ItemState,
} from '../src/api/schemas';
import type { Config } from './config';
import type { Ledger, NewBatch } from './batches/ledger';
import {
  IDEMPOTENCY_KEY_PATTERN,
  bodyHash,
  exportStream,
  openRecords,
  type Records,
} from './batches/records';
import type { Runner } from './batches/runner';
import { createAuth, type ConsoleAuth } from './auth/access';
import { currentUser } from './user';
import {
  UpstreamError,
  UpstreamRequestError,
  mapUpstreamAnswer,
  matchReadRoute,
  type Upstream,
  type UpstreamOperation,
  type UpstreamResponse,
} from './forward';

/** Bodies up to this size are read (a 100,000-ID batch is about 4 MB). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
export const INVALID_ID_MESSAGE = 'not a well-formed ID: 32 to 64 letters, digits, - or _';
const DEFAULT_BATCH_PAGE = 50;
const MAX_BATCH_PAGE = 200;
const MAX_QUERY_LENGTH = 64;

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
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** A user's controls over a running batch; each returns false when the batch's state forbids it. */
export interface BatchControls {
  pause(batchId: string): boolean;
  resume(batchId: string): boolean;
  /** User stop: the batch becomes `cancelled` and its unsent IDs `skipped`. */
  cancel(batchId: string): boolean;
}

export interface AppDeps {
  config: Config;
  ledger: Ledger;
  runner: Pick<Runner, 'start'> & BatchControls;
  /** Idempotency keys and undo links; by default opened on the ledger's database. */
  records?: Records;
  upstream: Upstream;
  /** The Vite build output; without it (or without its index.html) pages explain how to build. */
  distDir?: string | undefined;
  /** Emulator mode: whether the embedded emulator is listening (for /api/health). */
  emulatorReady?: () => boolean;
  /** Host names (no port) the console answers to; default: loopback names plus config.host. */
  allowedHosts?: readonly string[];
  /** Origins accepted on non-GET requests besides the console's own (e.g. the Vite dev server). */
  extraOrigins?: readonly string[];
  /** Who the batches are recorded for; default `currentUser(c)` (the signed-in user). */
  user?: string;
  /** Sessions and access control; default: built from `config` (see server/auth/access.ts). */
  auth?: ConsoleAuth;
  /** Secmaster mode: why SecMaster cannot be used (unreachable, clock skew...), or null (/api/health). */
  upstreamStatus?: () => string | null;
}

/** IDs per upstream read when checking the current links before an undo. */
const UNDO_CHECK_CHUNK = 100;
const UNDO_CHECK_PARALLEL = 4;
const ACTIVE_STATES: ReadonlySet<BatchState> = new Set(['running', 'paused']);

type JsonErrorStatus = 400 | 403 | 404 | 405 | 409 | 413 | 415 | 500 | 502 | 503 | 504;

function jsonError(
  c: Context,
  status: JsonErrorStatus,
  code: string,
  message: string,
  field?: string,
): Response {
  return c.json(field === undefined ? { code, message } : { code, message, field }, status);
}

function safeDecode(s: string): string | null {
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

/** Deepest nesting accepted in a JSON body that is passed on to SecMaster. */
const MAX_JSON_DEPTH = 32;

/** Whether `value` nests deeper than MAX_JSON_DEPTH (recursion stops at the limit). */
function tooDeep(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth >= MAX_JSON_DEPTH) return true;
  const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
  return children.some((v) => tooDeep(v, depth + 1));
}

/** The first path segment exactly as sent (still encoded). */
function rawFirstSegment(url: URL): string {
  return url.pathname.split('/')[1] ?? '';
}

function isApiLike(url: URL): boolean {
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

/** Static text files are sent compressed (brotli, else gzip) when the browser accepts it. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg']);
const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
/** Compressed bodies by encoding and file; rebuilt when the file changes (a new build). */
const compressedFiles = new Map<
  string,
  { mtimeMs: number; size: number; body: Promise<Uint8Array<ArrayBuffer>> }
>();
const MAX_COMPRESSED_FILES = 500;

function acceptedEncoding(header: string | undefined): 'br' | 'gzip' | null {
  const accepted = new Set(
    (header ?? '')
      .split(',')
      .map((part) => part.trim().toLowerCase().split(';'))
      .filter(([, q]) => !q || !/^\s*q\s*=\s*0(\.0*)?\s*$/.test(q))
      .map(([name]) => name),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

function compressedFile(file: string, encoding: 'br' | 'gzip'): Promise<Uint8Array<ArrayBuffer>> {
  const key = `${encoding}:${file}`;
  const { mtimeMs, size } = statSync(file);
  const hit = compressedFiles.get(key);
  if (hit && hit.mtimeMs === mtimeMs && hit.size === size) return hit.body;
  const raw = readFileSync(file);
  // Brotli at quality 5: about gzip's speed, smaller output (the result is cached anyway).
  const body = (
    encoding === 'br'
      ? brotliAsync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } })
      : gzipAsync(raw)
  ).then((out) => new Uint8Array(out));
  if (compressedFiles.size >= MAX_COMPRESSED_FILES) compressedFiles.clear();
  compressedFiles.set(key, { mtimeMs, size, body });
  void body.catch(() => compressedFiles.delete(key));
  return body;
}

/** A file of dist/, compressed when that helps and the browser accepts it. */
async function staticFile(c: Context, file: string, type: string, cacheControl: string) {
  const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': cacheControl };
  if (!COMPRESSIBLE.has(extname(file).toLowerCase())) {
    return c.body(readFileSync(file), 200, headers);
  }
  headers['Vary'] = 'Accept-Encoding';
  const encoding = acceptedEncoding(c.req.header('accept-encoding'));
  if (encoding === null) return c.body(readFileSync(file), 200, headers);
  headers['Content-Encoding'] = encoding;
  return c.body(await compressedFile(file, encoding), 200, headers);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function createApp(deps: AppDeps): Hono {
  const { config, ledger, upstream } = deps;
  const auth = deps.auth ?? createAuth({ config, ledger });
  // Batches started or resumed by a request run with that caller's credential (auth/context.ts).
  const runner = auth.bindRunner(deps.runner);
  const records = deps.records ?? openRecords(ledger.db);
  const userOf = (c: Context) => deps.user ?? currentUser(c);
  const publicHost = config.publicOrigin ? [new URL(config.publicOrigin).hostname] : [];
  const allowedHosts = new Set(
    (deps.allowedHosts ?? [...LOOPBACK_HOSTS, config.host, ...publicHost]).map((h) =>
      h.toLowerCase(),
    ),
  );
  const extraOrigins = new Set([
    ...(deps.extraOrigins ?? []),
    ...(config.publicOrigin ? [config.publicOrigin] : []),
  ]);
  const distDir = deps.distDir === undefined ? undefined : resolve(deps.distDir);
  const app = new Hono();

  app.onError((err, c) => {
    // Never leak internals (paths, SQL, tokens) to the client.
    console.error('console server error:', err instanceof Error ? err.message : String(err));
    return jsonError(c, 500, 'INTERNAL', 'internal error');
  });

  // --- Every request: methods, security headers, Host allow-list ---------------------------
  app.use('*', async (c, next) => {
    const url = new URL(c.req.url);
    const apiLike = isApiLike(url);
    if (!ALLOWED_METHODS.has(c.req.method)) {
      c.res = c.json(
        { code: 'METHOD_NOT_ALLOWED', message: `${c.req.method.slice(0, 16)} is not allowed` },
        405,
      );
      c.res.headers.set('Allow', 'GET, HEAD, POST, DELETE');
    } else if (!allowedHosts.has(url.hostname.toLowerCase())) {
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
    if (apiLike) {
      h.set('Cache-Control', 'no-store');
      h.set('Vary', 'Origin, Sec-Fetch-Site');
    }
    for (const name of ['set-cookie', 'www-authenticate', 'access-control-allow-origin']) {
      // The console's own session cookie is set (and cleared) by /api/session only.
      if (name === 'set-cookie' && url.pathname === '/api/session') continue;
      h.delete(name);
    }
  });

  // --- Every state-changing request: anti-forgery, JSON only, bounded body -------------------
  app.use('*', async (c, next) => {
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
  });
  const tooLarge = (c: Context) =>
    jsonError(c, 413, 'BODY_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  const limitBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  app.use('*', async (c, next) => {
    // GET and HEAD requests never carry a body, and a declared Content-Length (without
    // Transfer-Encoding) is checked as bodyLimit checks it. Either way the request is not turned
    // into a full web Request (bodyLimit reads `req.raw.body`, which @hono/node-server only
    // builds on demand), so the body can still be read straight from the socket later.
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return parseInt(length || '0', 10) > MAX_BODY_BYTES ? tooLarge(c) : next();
    }
    return limitBody(c, next);
  });

  // --- Who is calling: session cookie or Bearer; SIGN_IN_REQUIRED; /api/session ---------------
  auth.install(app);

  // --- /api --------------------------------------------------------------------------------
  app.get('/api/config', (c) => {
    const session = auth.sessionJson(c);
    const body: ConsoleConfig = {
      mode: config.mode,
      projectId: auth.projectIdOf(c),
      endpoint: config.endpoint,
      region: session.region,
      user: session.authenticated ? userOf(c) : null,
      maxBatchIds: MAX_BATCH_IDS,
      maxIdsPerCall: MAX_IDS_PER_CALL,
      signInRequired: session.sign_in_required,
      signInMethods: session.sign_in_methods,
    };
    return c.json(body);
  });

  app.get('/api/health', (c) => {
    if (!ledger.ping())
      return c.json({ status: 'unavailable', reason: 'the batch ledger cannot be read' }, 503);
    if (config.mode === 'emulator' && deps.emulatorReady && !deps.emulatorReady()) {
      return c.json({ status: 'unavailable', reason: 'the embedded emulator is not running (see the server log)' }, 503);
    }
    const upstreamProblem = deps.upstreamStatus?.() ?? null;
    if (upstreamProblem !== null)
      return c.json({ status: 'unavailable', reason: upstreamProblem }, 503);
    return c.json({ status: 'ok' });
  });

  /**
   * The summary as every batch route answers it: the ledger's view plus `undo_of` and where its
   * credential came from (`env-aksk`, `env-token`, `session:<user>`; never the credential).
   */
  const present = (s: BatchSummary) => ({
    ...s,
    undo_of: records.undoOf(s.id),
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

  app.post('/api/batches', async (c) => {
    const key = idempotencyKeyOf(c);
    if (key instanceof Response) return key;
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return jsonError(c, 400, 'INVALID_JSON', 'the body is not valid JSON');
    }
    const parsed = createBatchRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      const head = issue?.path[0];
      const field = unknownKey ?? (typeof head === 'string' ? head : undefined);
      const message = unknownKey
        ? `${unknownKey.slice(0, 64)}: unknown field`
        : `${field ?? 'body'}: ${issue?.message ?? 'invalid'}`;
      return jsonError(c, 400, 'INVALID_BODY', message, field ?? 'body');
    }
    const req = parsed.data;
    if (req.retry_of !== undefined && !ledger.getBatch(req.retry_of)) {
      return jsonError(c, 400, 'INVALID_BODY', 'retry_of: no such batch', 'retry_of');
    }
    const seen = new Set<string>();
    const items: NewBatch['items'][number][] = [];
    let duplicates = 0;
    for (const token of req.ids) {
      const id = token.trim();
      if (id === '') continue;
      const k = idKey(id);
      if (seen.has(k)) {
        duplicates++;
        continue;
      }
      seen.add(k);
      const ok = isWellFormedId(id);
      items.push({
        id,
        idKey: k,
        state: ok ? 'pending' : 'invalid',
        message: ok ? null : INVALID_ID_MESSAGE,
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
        data_object_id: req.data_object_id,
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
  /** Why a batch cannot be undone now, or null. */
  const undoRefusal = (c: Context, batch: BatchSummary): Response | null => {
    if (ACTIVE_STATES.has(batch.state)) {
      return jsonError(
        c,
        409,
        'INVALID_STATE',
        `the batch is still ${batch.state}: stop it or let it finish before undoing it`,
      );
    }
    if (batch.counts.succeeded === 0) {
      return jsonError(c, 409, 'NOTHING_TO_UNDO', 'no ID of this batch succeeded: nothing to undo');
    }
    return null;
  };

  app.get('/api/batches/:id/undo-preview', async (c) => {
    const batch = batchOf(c);
    if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const refusal = undoRefusal(c, batch);
    if (refusal) return refusal;
    const ids = records.idsInState(batch.id, 'succeeded');
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += UNDO_CHECK_CHUNK)
      chunks.push(ids.slice(i, i + UNDO_CHECK_CHUNK));
    const linked = new Set<string>();
    let failure: Response | null = null;
    let next = 0;
    const worker = async () => {
      while (failure === null && next < chunks.length) {
        const chunk = chunks[next++] ?? [];
        const result = await readLinks(c, batch, chunk);
        if (result instanceof Response) failure = result;
        else for (const id of result) linked.add(id);
      }
    };
    await Promise.all(Array.from({ length: UNDO_CHECK_PARALLEL }, worker));
    if (failure) return failure;
    // What the batch did no longer holds: an associated ID now unlinked, a cancelled one linked.
    const changed = ids.filter((id) => linked.has(idKey(id)) === (batch.action === 'cancel'));
    return c.json({
      ids: ids.length,
      undo_action: batch.action === 'associate' ? 'cancel' : 'associate',
      changed,
      checked_at: new Date().toISOString(),
    });
  });

  /** Which of `ids` are linked to the batch's subject now (keys as `idKey`), or an error answer. */
  async function readLinks(
    c: Context,
    batch: BatchSummary,
    ids: readonly string[],
  ): Promise<Set<string> | Response> {
    let res: UpstreamResponse;
    try {
      res = await upstream.call({
        op: 'relationSearch',
        workspaceId: batch.workspace_id,
        dataclass: batch.dataclass_type,
        objectId: batch.data_object_id,
        related: batch.related_dataclass_type,
        body: {
          offset: 0,
          limit: ids.length,
          condition: {
            conditions: [{ name: 'ids', data: ['id', 'in', ids.join(',')] }],
            logics: ['ids'],
          },
        },
      });
    } catch (err) {
      if (err instanceof UpstreamError) {
        return err.kind === 'timeout'
          ? jsonError(c, 504, 'UPSTREAM_TIMEOUT', 'SecMaster did not answer the link check in time')
          : jsonError(c, 502, 'UPSTREAM_ERROR', `the link check failed: ${err.message}`);
      }
      if (err instanceof UpstreamRequestError)
        return jsonError(c, 400, 'INVALID_PATH', err.message);
      throw err;
    }
    if (res.status < 200 || res.status >= 300) {
      const e = parseUpstreamError(res.body);
      return jsonError(
        c,
        502,
        e?.code ?? `HTTP_${res.status}`,
        `the link check failed: ${e?.message || `SecMaster answered HTTP ${res.status}`}`,
      );
    }
    const parsed = searchResponseSchema.safeParse(res.body);
    if (!parsed.success) {
      return jsonError(c, 502, 'UPSTREAM_BAD_RESPONSE', 'the link check answer was unreadable');
    }
    return new Set(parsed.data.data.map((d) => idKey(d.id)));
  }

  app.post('/api/batches/:id/undo', (c) => {
    const key = idempotencyKeyOf(c);
    if (key instanceof Response) return key;
    const original = batchOf(c);
    if (!original) return jsonError(c, 404, 'NOT_FOUND', 'no such batch');
    const refusal = undoRefusal(c, original);
    if (refusal) return refusal;
    return createOnce(c, key, { undo_of: original.id }, () =>
      records.transaction(() => {
        const ids = records.idsInState(original.id, 'succeeded');
        const created = ledger.createBatch({
          action: original.action === 'associate' ? 'cancel' : 'associate',
          workspace_id: original.workspace_id,
          dataclass_type: original.dataclass_type,
          data_object_id: original.data_object_id,
          related_dataclass_type: original.related_dataclass_type,
          reason: `Undo of batch ${original.id}`,
          user: userOf(c),
          retry_of: null,
          duplicates: 0,
          items: ids.map((id) => ({ id, idKey: idKey(id), state: 'pending', message: null })),
        });
        records.linkUndo(created.id, original.id);
        return created;
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
    return new Response(exportStream(records, batch.id, format), {
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

  app.all('/api/*', (c) => jsonError(c, 404, 'NOT_FOUND', 'no such API route'));
  app.all('/api', (c) => jsonError(c, 404, 'NOT_FOUND', 'no such API route'));

  // --- /v1: SecMaster reads for the browser ------------------------------------------------
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
  app.all('/v1/*', forward);
  app.all('/v1', forward);

  // --- The SPA -------------------------------------------------------------------------------
  app.get('*', async (c) => {
    const url = new URL(c.req.url);
    if (isApiLike(url)) return jsonError(c, 404, 'NOT_FOUND', 'no such route');
    const indexFile = distDir === undefined ? undefined : resolve(distDir, 'index.html');
    if (distDir === undefined || indexFile === undefined || !existsSync(indexFile)) {
      return c.text(
        'The console UI has not been built. Run `npm run build` (or `npm start`), then reload this page.\n',
        503,
      );
    }
    const decoded = safeDecode(url.pathname);
    if (decoded === null || decoded.includes('\0') || decoded.includes('\\')) {
      return c.text('Bad request\n', 400);
    }
    const file = resolve(distDir, `.${decoded}`);
    if (file.startsWith(distDir + sep) && existsSync(file) && statSync(file).isFile()) {
      const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
      const cache = decoded.startsWith('/assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache';
      return staticFile(c, file, type, cache);
    }
    // A missing asset is a 404; any other path is a client-side route of the SPA.
    const last = decoded.split('/').pop() ?? '';
    if (last.includes('.')) return c.text('Not found\n', 404);
    return staticFile(c, indexFile, 'text/html; charset=utf-8', 'no-cache');
  });

  app.notFound((c) => {
    const url = new URL(c.req.url);
    if (isApiLike(url)) return jsonError(c, 404, 'NOT_FOUND', 'no such route');
    return c.text('Not found\n', 404);
  });

  return app;
}
