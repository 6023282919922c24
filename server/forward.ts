/**
 * The only way the console talks to SecMaster (or the emulator): typed operations, each with a
 * fixed method and path template. URLs are built from configuration plus validated segments,
 * never from request text. Pure factory: no I/O until a call.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { dataclassTypes, isWellFormedId, type DataclassType } from '../src/api/schemas';
import { Credentials } from './credentials';
import { signRequest } from './signing';

/** Largest upstream answer read into memory. */
export const MAX_UPSTREAM_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Paging query values the read routes accept (offset/limit only, small integers). */
const PAGING_VALUE = /^\d{1,7}$/;
const REQUEST_ID_VALUE = /^[A-Za-z0-9._:-]{1,200}$/;
/** One strict decoder for every answer (`decode` without `stream` keeps no state between calls). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ENCODER = new TextEncoder();

export interface PagingQuery {
  offset?: number;
  limit?: number;
}

/** Every upstream operation the console may perform. Anything else cannot be expressed. */
export type UpstreamOperation =
  | { op: 'listWorkspaces'; query?: PagingQuery }
  | { op: 'showWorkspace'; workspaceId: string }
  | { op: 'listDataclasses'; workspaceId: string; query?: PagingQuery }
  | { op: 'search'; workspaceId: string; dataclass: DataclassType; body: unknown }
  | { op: 'show'; workspaceId: string; dataclass: DataclassType; objectId: string }
  | {
      op: 'relationSearch';
      workspaceId: string;
      dataclass: DataclassType;
      objectId: string;
      related: DataclassType;
      body: unknown;
    }
  | {
      op: 'associate' | 'cancel';
      workspaceId: string;
      dataclass: DataclassType;
      objectId: string;
      related: DataclassType;
      ids: readonly string[];
    };

export type UpstreamErrorKind =
  | 'timeout' // no complete answer within the deadline (the request may have been applied)
  | 'connect' // the connection could not be opened: nothing was sent
  | 'network' // the connection failed after it was opened (the request may have been applied)
  | 'redirect' // upstream answered 3xx; redirects are never followed
  | 'too_large' // the answer exceeded MAX_UPSTREAM_RESPONSE_BYTES
  | 'bad_json' // the answer was not JSON
  | 'aborted'; // the caller aborted

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

/** Invalid input to the URL builder: a programming or validation error, nothing was sent. */
export class UpstreamRequestError extends Error {
  override name = 'UpstreamRequestError';
}

export interface UpstreamResponse {
  status: number;
  /** From the `X-request-id` response header, if it looks like one. */
  requestId: string | null;
  body: unknown;
  /** The `Retry-After` response header, if any (the batch runner honours it). */
  retryAfter?: string | null;
  /**
   * Only with `passThrough`: the answer's exact bytes, when they can go to the browser as they
   * are (a 2xx `application/json` answer, valid UTF-8, a JSON object or array at the top level,
   * within the size cap, no echo of our credentials, no `\u` escapes). `body` is then `null`.
   */
  rawJson?: Uint8Array;
}

export interface CallOptions {
  signal?: AbortSignal;
  /**
   * The /v1 read path: a 2xx JSON answer that needs no redaction is returned as `rawJson`
   * (not parsed) so it can be sent on without a parse and re-serialisation.
   */
  passThrough?: boolean;
}

export interface Upstream {
  /** Calls SecMaster; resolves with any HTTP status, rejects with UpstreamError (or UpstreamRequestError). */
  call(operation: UpstreamOperation, opts?: CallOptions): Promise<UpstreamResponse>;
  /** The path (no origin) an operation maps to; exposed for tests and logs. */
  pathOf(operation: UpstreamOperation): string;
}

export interface UpstreamOptions {
  endpoint: string;
  projectId: string;
  timeoutMs: number;
  /**
   * How every call is authenticated: AK/SK (signed "SDK-HMAC-SHA256" at send time, as the
   * official Node SDK does) or an IAM token (`X-Auth-Token`). The entry points always pass it;
   * without it (and without `authToken`) calls go out unauthenticated, for test doubles only.
   */
  credentials?: Credentials | null | undefined;
  /** Shorthand for `credentials: Credentials.token(authToken)` (tests); not with `credentials`. */
  authToken?: string | undefined;
  /** The signing clock: a fresh `X-Sdk-Date` is taken from it for every call (each attempt). */
  now?: () => Date;
  fetchImpl?: typeof fetch;
  maxResponseBytes?: number;
}

const USER_AGENT = 'secmaster-association-console';

const PROJECT_ID = /^[A-Za-z0-9_-]{16,64}$/;

function checkId(value: string, what: string): string {
  if (!isWellFormedId(value)) throw new UpstreamRequestError(`${what} is not a well-formed ID`);
  return encodeURIComponent(value);
}

function checkClass(value: string, what: string): string {
  if (!(dataclassTypes as readonly string[]).includes(value)) {
    throw new UpstreamRequestError(`${what} is not a known data class`);
  }
  return encodeURIComponent(value);
}

function queryString(query: PagingQuery | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const key of ['offset', 'limit'] as const) {
    const v = query[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0 || !PAGING_VALUE.test(String(v))) {
      throw new UpstreamRequestError(`${key} must be a small non-negative integer`);
    }
    params.set(key, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function methodOf(operation: UpstreamOperation): 'GET' | 'POST' | 'DELETE' {
  switch (operation.op) {
    case 'listWorkspaces':
    case 'showWorkspace':
    case 'listDataclasses':
    case 'show':
      return 'GET';
    case 'search':
    case 'relationSearch':
    case 'associate':
      return 'POST';
    case 'cancel':
      return 'DELETE';
  }
}

function bodyOf(operation: UpstreamOperation): string | undefined {
  switch (operation.op) {
    case 'search':
    case 'relationSearch':
      return JSON.stringify(operation.body ?? {});
    case 'associate':
    case 'cancel':
      for (const id of operation.ids) checkId(id, 'a related ID');
      return JSON.stringify({ ids: operation.ids });
    default:
      return undefined;
  }
}

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    if ('code' in e && typeof e.code === 'string') return e.code;
    e = 'cause' in e ? e.cause : undefined;
  }
  return undefined;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

async function readCapped(res: Response, cap: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > cap) {
    await res.body?.cancel().catch(() => undefined);
    throw new UpstreamError('too_large', 'the answer from SecMaster is too large', res.status);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel().catch(() => undefined);
      throw new UpstreamError('too_large', 'the answer from SecMaster is too large', res.status);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** One upstream HTTP exchange, whichever client made it. */
interface Exchange {
  status: number;
  header(name: string): string | null;
  /** The whole body, refused beyond `cap` bytes (declared or received). */
  read(cap: number): Promise<Uint8Array>;
  /** Drops the body unread (the connection is closed, not reused). */
  discard(): Promise<void>;
}

interface SendInit {
  method: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | undefined;
  signal: AbortSignal;
}

const tooLarge = (status: number) =>
  new UpstreamError('too_large', 'the answer from SecMaster is too large', status);

/** An injected `fetch` (tests): redirects not followed, the body read through its stream. */
function fetchSender(fetchImpl: typeof fetch) {
  return async (href: string, init: SendInit): Promise<Exchange> => {
    const res = await fetchImpl(href, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      redirect: 'manual',
      signal: init.signal,
    });
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      read: (cap) => readCapped(res, cap),
      discard: async () => {
        await res.body?.cancel().catch(() => undefined);
      },
    };
  };
}

/**
 * Keep-alive connection pools for every upstream (node:http never follows redirects). An idle
 * connection is closed after 4 s (as undici's fetch does), or sooner when the server's
 * `Keep-Alive: timeout=` says so, so a connection the server is about to drop is not reused.
 */
const HTTP_AGENT = new HttpAgent({ keepAlive: true, timeout: 4_000 });
const HTTPS_AGENT = new HttpsAgent({ keepAlive: true, timeout: 4_000 });

/** The default client: node:http(s) with a keep-alive agent (no web streams, no WebIDL per call). */
function httpSend(href: string, init: SendInit): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    const secure = href.startsWith('https:');
    const headers =
      init.body === undefined
        ? init.headers
        : { ...init.headers, 'Content-Length': String(init.body.byteLength) };
    const req = (secure ? httpsRequest : httpRequest)(
      href,
      {
        method: init.method,
        headers,
        agent: secure ? HTTPS_AGENT : HTTP_AGENT,
        signal: init.signal,
      },
      (res) => resolve(nodeExchange(res)),
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

function nodeExchange(res: IncomingMessage): Exchange {
  const status = res.statusCode ?? 0;
  return {
    status,
    header(name) {
      const v = res.headers[name];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    async read(cap) {
      const declared = Number(res.headers['content-length'] ?? '');
      if (Number.isFinite(declared) && declared > cap) {
        res.destroy();
        throw tooLarge(status);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        size += chunk.byteLength;
        if (size > cap) {
          res.destroy();
          throw tooLarge(status);
        }
        chunks.push(chunk);
      }
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    },
    discard() {
      res.destroy();
      return Promise.resolve();
    },
  };
}

/** Whether a Content-Type is `application/json` (parameters allowed). */
function isJsonType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const semi = contentType.indexOf(';');
  return (
    (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() ===
    'application/json'
  );
}

const isJsonSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Whether the bytes are shaped as one JSON object or array (`{…}` / `[…]`, whitespace around). */
function looksLikeJsonContainer(bytes: Uint8Array): boolean {
  let i = 0;
  let j = bytes.length - 1;
  while (i <= j && isJsonSpace(bytes[i])) i++;
  while (j >= i && isJsonSpace(bytes[j])) j--;
  if (j <= i) return false;
  const first = bytes[i];
  const last = bytes[j];
  return (first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d);
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const base = new URL(options.endpoint);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new UpstreamRequestError('the upstream endpoint must be http or https');
  }
  if (!PROJECT_ID.test(options.projectId)) {
    throw new UpstreamRequestError('the configured project ID is not well-formed');
  }
  if (options.authToken !== undefined && options.credentials) {
    throw new UpstreamRequestError('give either credentials or authToken, not both');
  }
  const credentials =
    options.credentials ?? (options.authToken ? Credentials.token(options.authToken) : undefined);
  const secrets = credentials?.reveal();
  if (secrets) {
    const values =
      secrets.kind === 'token'
        ? [secrets.token]
        : [secrets.ak, secrets.sk, secrets.securityToken ?? 'x'];
    if (values.some((v) => v === '' || /[\r\n\0]/.test(v))) {
      throw new UpstreamRequestError('the credentials are empty or contain control characters');
    }
  }
  // Our own secrets, as they would appear in an upstream answer that echoes them (A5 #22).
  const echoed = !secrets
    ? []
    : (secrets.kind === 'token'
        ? [secrets.token]
        : [secrets.ak, secrets.sk, secrets.securityToken ?? '']
      ).filter((v) => v.length >= 4);
  // The forms an echoed secret takes in JSON text: as is, and JSON-escaped (computed once).
  const echoForms = [...new Set(echoed.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))];
  const echoBytes = echoForms.map((v) => Buffer.from(v, 'utf8'));
  /** Whether a raw answer may hold one of our secrets, written plainly or with `\u` escapes. */
  const mayEcho = (buf: Buffer): boolean =>
    echoBytes.length > 0 && (echoBytes.some((v) => buf.includes(v)) || buf.includes('\\u'));
  const now = options.now ?? (() => new Date());
  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  const send = options.fetchImpl ? fetchSender(options.fetchImpl) : httpSend;
  const cap = options.maxResponseBytes ?? MAX_UPSTREAM_RESPONSE_BYTES;
  const project = encodeURIComponent(options.projectId);
  const root = `/v1/${project}/workspaces`;
  // Header sets that do not change between calls (fetch copies them; nobody mutates them).
  const plainHeaders: Record<string, string> = {
    Accept: 'application/json',
    'Content-Type': 'application/json',
    'User-Agent': USER_AGENT,
  };
  const tokenHeaders: Record<string, string> | null =
    secrets?.kind === 'token' ? { ...plainHeaders, 'X-Auth-Token': secrets.token } : null;
  const toSign: Record<string, string> = { ...plainHeaders, 'X-Project-Id': options.projectId };
  if (secrets?.kind === 'aksk' && secrets.securityToken) {
    toSign['X-Security-Token'] = secrets.securityToken;
  }

  function pathOf(operation: UpstreamOperation): string {
    switch (operation.op) {
      case 'listWorkspaces':
        return `${root}${queryString(operation.query)}`;
      case 'showWorkspace':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}`;
      case 'listDataclasses':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/dataclasses${queryString(operation.query)}`;
      case 'search':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/${checkClass(operation.dataclass, 'dataclass_type')}/search`;
      case 'show':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/${checkClass(operation.dataclass, 'dataclass_type')}/${checkId(operation.objectId, 'data_object_id')}`;
      case 'relationSearch':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/${checkClass(operation.dataclass, 'dataclass_type')}/${checkId(operation.objectId, 'data_object_id')}/${checkClass(operation.related, 'related_dataclass_type')}/search`;
      case 'associate':
      case 'cancel':
        return `${root}/${checkId(operation.workspaceId, 'workspace_id')}/soc/${checkClass(operation.dataclass, 'dataclass_type')}/${checkId(operation.objectId, 'data_object_id')}/${checkClass(operation.related, 'related_dataclass_type')}`;
    }
  }

  async function call(
    operation: UpstreamOperation,
    opts: CallOptions = {},
  ): Promise<UpstreamResponse> {
    const path = `${prefix}${pathOf(operation)}`;
    const url = new URL(path, origin);
    // Belt and braces: the built URL must be exactly what we assembled (no normalisation happened).
    if (url.origin !== origin || `${url.pathname}${url.search}` !== path) {
      throw new UpstreamRequestError('the upstream URL did not survive parsing unchanged');
    }
    const method = methodOf(operation);
    const text = bodyOf(operation);
    // The exact bytes that are signed are the bytes that are sent.
    const body = text === undefined ? undefined : ENCODER.encode(text);
    const href = url.href;
    const headers = buildHeaders(method, href, body);

    // One timer for the whole exchange (answer and body), cleared as soon as it is over.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    }, options.timeoutMs);
    const caller = opts.signal;
    const onCallerAbort = () => controller.abort(caller?.reason);
    if (caller) {
      if (caller.aborted) onCallerAbort();
      else caller.addEventListener('abort', onCallerAbort, { once: true });
    }
    const isTimedOut = () => timedOut;
    try {
      let res: Exchange;
      try {
        res = await send(href, { method, headers, body, signal: controller.signal });
      } catch (err) {
        throw classify(err, isTimedOut, caller, null);
      }
      const requestIdHeader = res.header('x-request-id');
      const requestId =
        requestIdHeader && REQUEST_ID_VALUE.test(requestIdHeader) ? requestIdHeader : null;
      if (res.status >= 300 && res.status < 400) {
        await res.discard();
        throw new UpstreamError(
          'redirect',
          `SecMaster answered with a redirect (HTTP ${res.status}), which is not followed`,
          res.status,
          requestId,
        );
      }
      let bytes: Uint8Array;
      try {
        bytes = await res.read(cap);
      } catch (err) {
        if (err instanceof UpstreamError) throw err;
        throw classify(err, isTimedOut, caller, res.status);
      }
      const retryAfter = res.header('retry-after');
      const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const echoes = mayEcho(raw);
      if (
        opts.passThrough &&
        res.status >= 200 &&
        res.status < 300 &&
        !echoes &&
        isJsonType(res.header('content-type')) &&
        isUtf8(raw) &&
        looksLikeJsonContainer(raw)
      ) {
        return { status: res.status, requestId, body: null, rawJson: bytes, retryAfter };
      }
      let parsed: unknown;
      try {
        const text = UTF8.decode(bytes);
        parsed =
          text.trim() === ''
            ? null
            : echoes
              ? JSON.parse(text, (_key, v: unknown) => (typeof v === 'string' ? redact(v) : v))
              : JSON.parse(text);
      } catch {
        throw new UpstreamError(
          'bad_json',
          `SecMaster answered HTTP ${res.status} with a body that is not JSON`,
          res.status,
          requestId,
        );
      }
      return { status: res.status, requestId, body: parsed, retryAfter };
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** An upstream string with our own AK, SK or token in it (an echoing gateway): masked. */
  function redact(value: string): string {
    return echoed.reduce((out, secret) => out.split(secret).join('[redacted]'), value);
  }

  /**
   * Headers are rebuilt from scratch for every call (nothing from the browser is ever copied),
   * shaped as the official Node SDK sends them: Content-Type on every
   * call, X-Project-Id, X-Sdk-Date, and content-type;host;x-project-id;x-sdk-date signed (plus
   * x-security-token with temporary credentials). Host is the URL's host[:port]; fetch sets it
   * to that same value itself.
   */
  function buildHeaders(
    method: string,
    href: string,
    body: Uint8Array | undefined,
  ): Record<string, string> {
    if (!secrets) return plainHeaders;
    if (tokenHeaders) return tokenHeaders;
    if (secrets.kind !== 'aksk') return plainHeaders;
    let signed: Record<string, string>;
    try {
      signed = signRequest({
        method,
        url: href,
        headers: toSign,
        body,
        ak: secrets.ak,
        sk: secrets.sk,
        now: now(),
      });
    } catch (err) {
      // The signer's messages name headers, never values or keys.
      throw new UpstreamRequestError(
        `the request could not be signed: ${err instanceof Error ? err.message : 'error'}`,
      );
    }
    // fetch sets Host itself (to the same url.host that was signed).
    for (const name of Object.keys(signed)) {
      if (name.toLowerCase() === 'host') delete signed[name];
    }
    return signed;
  }

  function classify(
    err: unknown,
    timedOut: () => boolean,
    caller: AbortSignal | undefined,
    status: number | null,
  ): UpstreamError {
    if (timedOut()) {
      return new UpstreamError(
        'timeout',
        `no answer from SecMaster within ${options.timeoutMs} ms`,
        status,
      );
    }
    if (caller?.aborted) return new UpstreamError('aborted', 'the request was aborted', status);
    const code = causeCode(err);
    if (status === null && code && CONNECT_CODES.has(code)) {
      return new UpstreamError('connect', `SecMaster could not be reached (${code})`, status);
    }
    return new UpstreamError(
      'network',
      `the connection to SecMaster failed${code ? ` (${code})` : ''}`,
      status,
    );
  }

  return { call, pathOf };
}

// ---------------------------------------------------------------------------
// The /v1 read allow-list for the browser
// ---------------------------------------------------------------------------

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
