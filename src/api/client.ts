import type { z } from 'zod';
import { apiErrorBodySchema, parseUpstreamError } from './schemas';

/** An error the UI can show: a code, a readable message and, where known, the request ID. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly field: string | undefined;

  constructor(opts: {
    status: number;
    code: string;
    message: string;
    requestId?: string | null;
    field?: string | undefined;
  }) {
    super(opts.message);
    this.name = 'ApiError';
    this.status = opts.status;
    this.code = opts.code;
    this.requestId = opts.requestId ?? null;
    this.field = opts.field;
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
    });
  }
  return new ApiError({
    status: res.status,
    code: `HTTP_${res.status}`,
    message: `Request failed with HTTP ${res.status} ${res.statusText}`.trim(),
    requestId: headerRequestId,
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

/** A readable one-line description of any error, for the UI. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const parts = [err.message];
    if (err.code && !err.code.startsWith('HTTP_')) parts.push(`(${err.code})`);
    if (err.requestId) parts.push(`request ID ${err.requestId}`);
    return parts.join(' ');
  }
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
