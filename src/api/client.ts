import type { z } from 'zod';
import type { ErrorParams } from '../i18n/catalogs/en/core/errors';
import { t, type Catalog, type MessageKey } from '../i18n/i18n';
import { apiErrorBodySchema, parseUpstreamError } from './schemas';

/** An error the UI can show: a code, a readable message and, where known, the request ID. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly field: string | undefined;
  /**
   * The message is this SPA's own wording of the code (no answer, or an answer without words):
   * nothing the server said, so a translation of the code loses nothing.
   */
  readonly ownWords: boolean;

  constructor(opts: {
    status: number;
    code: string;
    message: string;
    requestId?: string | null;
    field?: string | undefined;
    ownWords?: boolean;
  }) {
    super(opts.message);
    this.name = 'ApiError';
    this.status = opts.status;
    this.code = opts.code;
    this.requestId = opts.requestId ?? null;
    this.field = opts.field;
    this.ownWords = opts.ownWords ?? false;
  }
}

/** Reads any error answer (console, SecMaster or gateway shape) into an ApiError. */
async function toApiError(res: Response): Promise<ApiError> {
  const headerRequestId = res.headers.get('x-request-id');
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const own = apiErrorBodySchema.safeParse(body);
  if (own.success) {
    return new ApiError({
      status: res.status,
      code: own.data.code,
      message: own.data.message,
      requestId: own.data.request_id ?? headerRequestId,
      field: own.data.field,
    });
  }
  const upstream = parseUpstreamError(body);
  if (upstream) {
    return new ApiError({
      status: res.status,
      code: upstream.code,
      message: upstream.message || `Request failed with HTTP ${res.status}`,
      requestId: upstream.request_id ?? headerRequestId,
      ownWords: !upstream.message,
    });
  }
  return new ApiError({
    status: res.status,
    code: `HTTP_${res.status}`,
    message: `Request failed with HTTP ${res.status} ${res.statusText}`.trim(),
    requestId: headerRequestId,
    ownWords: true,
  });
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal | undefined;
  headers?: Record<string, string>;
}

/**
 * Same-origin JSON request, parsed with `schema`. Non-GET requests carry `X-Requested-With`
 * (the server refuses them without it).
 */
export async function request<S extends z.ZodType>(
  path: string,
  schema: S,
  opts: RequestOptions = {},
): Promise<z.infer<S>> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (method !== 'GET') headers['X-Requested-With'] = 'fetch';
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body,
      signal: opts.signal,
      credentials: 'same-origin',
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError({
      status: 0,
      code: 'NETWORK',
      message: 'The console server could not be reached. Is it running?',
      ownWords: true,
    });
  }
  if (!res.ok) throw await toApiError(res);
  // 204 has no body: callers expecting it pass a schema that accepts `undefined`.
  const json: unknown = res.status === 204 ? undefined : await res.json();
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError({
      status: res.status,
      code: 'BAD_RESPONSE',
      message: `Unexpected answer from ${path.split('?')[0] ?? path}: ${parsed.error.issues[0]?.message ?? 'invalid shape'}`,
      requestId: res.headers.get('x-request-id'),
    });
  }
  return parsed.data;
}

/** The message key of each code the console server, the SPA or the API gateway sends. */
const ERROR_KEYS: Record<string, ErrorKey> = {
  NETWORK: 'errors.network',
  BAD_RESPONSE: 'errors.badResponse',
  NOT_FOUND: 'errors.notFound',
  METHOD_NOT_ALLOWED: 'errors.methodNotAllowed',
  FORBIDDEN_HOST: 'errors.forbiddenHost',
  INVALID_PATH: 'errors.invalidPath',
  INVALID_BODY: 'errors.invalidBody',
  INVALID_JSON: 'errors.invalidJson',
  INVALID_QUERY: 'errors.invalidQuery',
  CSRF: 'errors.csrf',
  UNSUPPORTED_MEDIA_TYPE: 'errors.unsupportedMediaType',
  BODY_TOO_LARGE: 'errors.bodyTooLarge',
  INTERNAL: 'errors.internal',
  STORAGE_UNAVAILABLE: 'errors.storageUnavailable',
  DATA_DIR_LOST: 'errors.dataDirLost',
  INVALID_STATE: 'errors.invalidState',
  NOTHING_TO_UNDO: 'errors.nothingToUndo',
  NOTHING_TO_RETRY: 'errors.nothingToRetry',
  ALREADY_UNDONE: 'errors.alreadyUndone',
  CHANGES_NOT_RECORDED: 'errors.changesNotRecorded',
  IDEMPOTENCY_MISMATCH: 'errors.idempotencyMismatch',
  INVALID_IDEMPOTENCY_KEY: 'errors.invalidIdempotencyKey',
  TOO_MANY_CHECKS: 'errors.tooManyChecks',
  SIGN_IN_REQUIRED: 'errors.signInRequired',
  SIGN_IN_FAILED: 'errors.signInFailed',
  SIGN_IN_FORBIDDEN: 'errors.signInForbidden',
  SIGN_IN_METHOD_UNAVAILABLE: 'errors.signInMethodUnavailable',
  RATE_LIMITED: 'errors.rateLimited',
  TOO_MANY_SIGN_INS: 'errors.tooManySignIns',
  TOO_MANY_SESSIONS: 'errors.tooManySessions',
  WRONG_PROJECT: 'errors.wrongProject',
  FORBIDDEN_PROJECT: 'errors.forbiddenProject',
  IAM_ERROR: 'errors.iamError',
  IAM_UNREACHABLE: 'errors.iamUnreachable',
  IAM_THROTTLED: 'errors.iamThrottled',
  UPSTREAM_TIMEOUT: 'errors.upstreamTimeout',
  UPSTREAM_ERROR: 'errors.upstreamError',
  UPSTREAM_BAD_RESPONSE: 'errors.upstreamBadResponse',
  UPSTREAM_TOO_LARGE: 'errors.upstreamTooLarge',
  UPSTREAM_UNREACHABLE: 'errors.upstreamUnreachable',
  UPSTREAM_NETWORK: 'errors.upstreamNetwork',
  UPSTREAM_REDIRECT: 'errors.upstreamRedirect',
  'APIG.0101': 'errors.apigNoApi',
  'APIG.0301': 'errors.apigAuth',
  'APIG.0302': 'errors.apigNotAuthorized',
  'APIG.0303': 'errors.apigAppAuth',
  'APIG.0308': 'errors.apigThrottled',
};

/** Keys of the messages an error is worded by (each takes ErrorParams). */
type ErrorKey = {
  [K in MessageKey]: Catalog[K] extends (p: ErrorParams, f: never) => string ? K : never;
}[MessageKey];

/** The codes this UI words itself (the others are shown as sent). */
export const KNOWN_ERROR_CODES: readonly string[] = Object.keys(ERROR_KEYS);

/**
 * An error, in parts: its words, whether they are the sender's own text (a code this UI does not
 * know: shown as sent, `translate="no"`), the sender's detail, the code to show after them (none
 * for HTTP_<status>, whose words say the status) and the request ID.
 */
export interface ErrorParts {
  text: string;
  asSent: boolean;
  /**
   * What the server (or SecMaster) said, when the words do not say it: a language other than
   * English words the code itself, and the server's English follows as data (`translate="no"`,
   * `lang="en"`), as English shows it. Null when the words hold it, or it is the SPA's own.
   */
  detail: string | null;
  code: string | null;
  requestId: string | null;
}

function keyOf(code: string): ErrorKey | null {
  if (Object.prototype.hasOwnProperty.call(ERROR_KEYS, code)) return ERROR_KEYS[code] ?? null;
  return /^HTTP_\d+$/.test(code) ? 'errors.http' : null;
}

/** `err` in parts, worded from its code in the console's language. */
export function errorParts(err: unknown): ErrorParts {
  if (err instanceof ApiError) {
    const key = err.code ? keyOf(err.code) : null;
    const params: ErrorParams = {
      message: err.message,
      field: err.field ?? null,
      status: err.status,
    };
    const text = key ? t(key, params) : err.message;
    const said = err.ownWords ? '' : err.message.trim();
    return {
      text,
      asSent: key === null,
      detail: key && said && !text.includes(said) ? said : null,
      code: err.code && !err.code.startsWith('HTTP_') ? err.code : null,
      requestId: err.requestId,
    };
  }
  // Errors thrown by code (a file that could not be read…): their text, as written.
  if (err instanceof Error)
    return { text: err.message, asSent: true, detail: null, code: null, requestId: null };
  return { text: t('errors.unknown'), asSent: false, detail: null, code: null, requestId: null };
}

/**
 * A readable one-line description of any error, for the UI (as plain text: for a title, a
 * notification; in a page, src/lib/error-text.tsx marks its data `translate="no"`).
 */
export function describeError(err: unknown): string {
  const p = errorParts(err);
  const parts = [p.text];
  if (p.detail) parts.push(`${t('errors.detailLabel')}${p.detail}`);
  if (p.code) parts.push(t('errors.code', { code: p.code }));
  if (p.requestId) parts.push(`${t('errors.requestId')} ${p.requestId}`);
  return parts.join(' ');
}
