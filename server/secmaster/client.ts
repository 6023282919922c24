/**
 * The only way the console talks to SecMaster (or the emulator). `createUpstream` turns an
 * operation (`operations.ts`) into one HTTP exchange: the URL is the configured endpoint plus the
 * operation's path, headers are rebuilt from scratch for every call (nothing from the browser is
 * copied), and every call is authenticated, AK/SK signed at send time (`apig-signing`) or with
 * an IAM token. The answer comes back typed: any HTTP status resolves, and every way of not
 * getting one rejects with an `UpstreamError` of a known kind, so callers decide what is safe to
 * retry. Answers that echo our own credentials are redacted. Bytes move through `transport.ts`.
 * Pure factory: no I/O until a call.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { Credentials } from '../credentials';
import { signRequest } from 'apig-signing';
import {
  UpstreamRequestError,
  bodyOf,
  methodOf,
  operationPaths,
  type UpstreamOperation,
} from './operations';
import type { Pacer, Permit } from './pacer';
import { BodyTooLargeError, fetchSender, httpSend, readCapped, type Exchange } from './transport';

// Thrown here for a bad configuration or a request that cannot be signed, as well as by the path
// builder: callers of the client catch it from here.
export { UpstreamRequestError };

/** Largest upstream answer read into memory. */
export const MAX_UPSTREAM_RESPONSE_BYTES = 16 * 1024 * 1024;
const REQUEST_ID_VALUE = /^[A-Za-z0-9._:-]{1,200}$/;
/** One strict decoder for every answer (`decode` without `stream` keeps no state between calls). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ENCODER = new TextEncoder();

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
  /** A pacing permit already taken for this call (paced.ts): the call is sent without waiting. */
  permit?: Permit;
}

export interface Upstream {
  /** Calls SecMaster; resolves with any HTTP status, rejects with UpstreamError (or UpstreamRequestError). */
  call(operation: UpstreamOperation, opts?: CallOptions): Promise<UpstreamResponse>;
  /** The pacer its calls go through (paced.ts), if any: shared by everything on one credential. */
  readonly pacer?: Pacer | undefined;
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

const tooLarge = (status: number) =>
  new UpstreamError('too_large', 'the answer from SecMaster is too large', status);

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
  // Our own secrets, as they would appear in an upstream answer that echoes them.
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
  const pathOf = operationPaths(options.projectId);
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
        await res.body.discard();
        throw new UpstreamError(
          'redirect',
          `SecMaster answered with a redirect (HTTP ${res.status}), which is not followed`,
          res.status,
          requestId,
        );
      }
      let bytes: Uint8Array;
      try {
        bytes = await readCapped(res.body, cap);
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw tooLarge(res.status);
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

  return { call };
}
