/**
 * Huawei Cloud AK/SK request signing ("SDK-HMAC-SHA256"), both sides: `signRequest` for calls to
 * SecMaster and `verifySignature` as the API gateway checks them.
 *
 * Pure: only `node:crypto`; the clock is always an argument. The secret key never appears in an
 * error, a message or a return value.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'SDK-HMAC-SHA256';
/** SHA-256 of the empty body. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** The gateway's window for `X-Sdk-Date` (APIG.0303 beyond it). */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

const HEADER_DATE = 'x-sdk-date';
const HEADER_CONTENT_SHA256 = 'x-sdk-content-sha256';
/** Headers signed by default when present (host and x-sdk-date are always there). */
const DEFAULT_SIGNED = [
  'content-type',
  'host',
  'x-project-id',
  HEADER_DATE,
  'x-security-token',
] as const;

/** RFC 9110 token: valid header names and methods. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LOWER_TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** `YYYYMMDDTHHMMSSZ` in UTC (the `X-Sdk-Date` format). */
export function sdkDate(now: Date): string {
  const t = now.getTime();
  if (!Number.isFinite(t)) throw new Error('sdkDate: invalid date');
  const year = now.getUTCFullYear();
  if (year < 0 || year > 9999) throw new Error('sdkDate: year out of range');
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(year, 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `T${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}Z`
  );
}

/** Strict parse of `YYYYMMDDTHHMMSSZ`; `undefined` when malformed or not a real date/time. */
export function parseSdkDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Reject overflowed fields (month 13, 25:00, Feb 30 ...): they must survive the round trip.
  if (!Number.isFinite(date.getTime()) || sdkDate(date) !== value) return undefined;
  return date;
}

const isUnreserved = (b: number) =>
  (b >= 0x41 && b <= 0x5a) || // A-Z
  (b >= 0x61 && b <= 0x7a) || // a-z
  (b >= 0x30 && b <= 0x39) || // 0-9
  b === 0x2d || // -
  b === 0x2e || // .
  b === 0x5f || // _
  b === 0x7e; // ~

const hexVal = (b: number) =>
  b >= 0x30 && b <= 0x39
    ? b - 0x30
    : b >= 0x41 && b <= 0x46
      ? b - 0x37
      : b >= 0x61 && b <= 0x66
        ? b - 0x57
        : -1;

/** RFC 3986 encoding of raw bytes: unreserved bytes kept, everything else `%XX` (upper-case). */
function encodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    out += isUnreserved(b)
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** RFC 3986 encoding of a string's UTF-8 bytes (space → `%20`, `/` → `%2F`, never `+`). */
export function rfc3986Encode(value: string): string {
  return encodeBytes(Buffer.from(value, 'utf8'));
}

/**
 * Percent-decodes to bytes without ever throwing: a `%` not followed by two hex digits stays
 * literal; `+` becomes a space only when asked (query strings, as URLSearchParams and Go do).
 */
function percentDecode(value: string, plusAsSpace: boolean): Buffer {
  const src = Buffer.from(value, 'utf8');
  const out = Buffer.alloc(src.length);
  let j = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x25 && i + 2 < src.length) {
      const hi = hexVal(src[i + 1]!);
      const lo = hexVal(src[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[j++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[j++] = plusAsSpace && b === 0x2b ? 0x20 : b;
  }
  return out.subarray(0, j);
}

/**
 * CanonicalURI: decode the path, split on `/`, RFC 3986-encode each segment, re-join and append
 * `/` when missing. The trailing slash exists only in the signature, never in the sent URL.
 */
export function canonicalUri(path: string): string {
  const bytes = percentDecode(path, false);
  const segments: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x2f) {
      segments.push(encodeBytes(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  const uri = segments.join('/');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

export type QueryInput = string | URLSearchParams | ReadonlyArray<readonly [string, string]>;

/**
 * CanonicalQueryString: parameters sorted by name then value (byte order of the decoded UTF-8),
 * each `name=value` RFC 3986-encoded, joined by `&`; no parameters → ''.
 * A string is the raw query as sent (leading `?` optional, `+` read as space); URLSearchParams
 * and pairs hold decoded values.
 */
export function canonicalQuery(query: QueryInput): string {
  const pairs: Array<[Buffer, Buffer]> = [];
  if (typeof query === 'string') {
    const raw = query.startsWith('?') ? query.slice(1) : query;
    for (const part of raw.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      pairs.push([percentDecode(name, true), percentDecode(value, true)]);
    }
  } else {
    for (const [name, value] of query)
      pairs.push([Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8')]);
  }
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]) || Buffer.compare(a[1], b[1]));
  return pairs.map(([n, v]) => `${encodeBytes(n)}=${encodeBytes(v)}`).join('&');
}

/** Case-insensitive header lookup. */
function headerValue(headers: Record<string, string>, lowerName: string): string | undefined {
  if (Object.hasOwn(headers, lowerName)) return headers[lowerName];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lowerName) return v;
  return undefined;
}

/** Trims HTTP optional whitespace (SP / HTAB) only. */
const trimOws = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, '');

/** Lower-cased, de-duplicated, sorted signed-header names. */
export function normalizeSignedHeaders(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.toLowerCase()))].sort();
}

/** The SignedHeaders value: names joined by `;` (pass them already normalised). */
export function signedHeadersValue(names: readonly string[]): string {
  return names.join(';');
}

/**
 * CanonicalHeaders: `name:trimmed-value\n` for each signed name, in the order given (signers
 * pass the sorted list). Lookup is case-insensitive; a missing header throws (name only).
 */
export function canonicalHeaders(
  headers: Record<string, string>,
  signedHeaders: readonly string[],
): string {
  let out = '';
  for (const name of signedHeaders) {
    const lower = name.toLowerCase();
    const value = headerValue(headers, lower);
    if (value === undefined) throw new Error(`signed header "${lower}" is missing`);
    out += `${lower}:${trimOws(value)}\n`;
  }
  return out;
}

/** Lower-case hex SHA-256 of the exact body bytes (strings as UTF-8; none → empty hash). */
export function hashHex(body: string | Uint8Array | undefined): string {
  if (body === undefined || body.length === 0) return EMPTY_BODY_SHA256;
  return createHash('sha256').update(body).digest('hex');
}

export interface CanonicalRequestParts {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  canonicalHeaders: string;
  signedHeaders: string;
  payloadHash: string;
}

/** METHOD \n URI \n QUERY \n HEADERS(ending in \n) \n SIGNED \n PAYLOAD-HASH. */
export function canonicalRequest(p: CanonicalRequestParts): string {
  return [
    p.method.toUpperCase(),
    p.canonicalUri,
    p.canonicalQuery,
    p.canonicalHeaders,
    p.signedHeaders,
    p.payloadHash,
  ].join('\n');
}

/** `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex sha256(canonical request)>`. */
export function stringToSign(sdkDateValue: string, canonicalRequestText: string): string {
  return `${ALGORITHM}\n${sdkDateValue}\n${hashHex(canonicalRequestText)}`;
}

/** Lower-case hex HMAC-SHA256 keyed with the SK's UTF-8 bytes (no key derivation). */
export function signatureHex(sk: string, stringToSignText: string): string {
  return createHmac('sha256', Buffer.from(sk, 'utf8')).update(stringToSignText).digest('hex');
}

export interface ParsedAuthorization {
  ak: string;
  /** SignedHeaders exactly as listed. */
  signedHeaders: string[];
  signature: string;
}

const AUTH_RE =
  /^SDK-HMAC-SHA256[ \t]+Access=([^\s,=]+)[ \t]*,[ \t]*SignedHeaders=([^\s,]+)[ \t]*,[ \t]*Signature=([0-9A-Fa-f]{64})[ \t]*$/;

/** Parses `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`; `undefined` if malformed. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const m = AUTH_RE.exec(value);
  if (!m) return undefined;
  const signedHeaders = m[2]!.split(';');
  if (!signedHeaders.every((n) => LOWER_TOKEN.test(n))) return undefined;
  return { ak: m[1]!, signedHeaders, signature: m[3]!.toLowerCase() };
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

export interface SignRequestInput {
  method: string;
  /** Full URL including the query, exactly as it will be sent. */
  url: string;
  headers: Record<string, string>;
  /** The exact bytes that will be sent. */
  body: string | Uint8Array | undefined;
  ak: string;
  sk: string;
  now: Date;
  /** Override of the signed set (must include x-sdk-date). Default: see DEFAULT_SIGNED. */
  signedHeaders?: readonly string[];
}

/** Refuses header names that are not tokens and values holding CR, LF or NUL (never prints values). */
function assertSafeHeader(name: string, value: string): void {
  if (!TOKEN.test(name))
    throw new Error(`Invalid header name ${JSON.stringify(name)}: refusing to sign`);
  if (typeof value !== 'string')
    throw new Error(`Header "${name}" has a non-string value: refusing to sign`);
  if (UNSAFE_VALUE.test(value))
    throw new Error(`Header "${name}" contains CR, LF or NUL: refusing to sign`);
}

/**
 * Signs a request. Returns the headers to send: the input headers (any caller-supplied
 * Authorization / X-Sdk-Date dropped), `host` when the caller did not give one (URL host[:port]),
 * `X-Sdk-Date` and `Authorization`.
 */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const method = input.method.toUpperCase();
  if (!TOKEN.test(method)) throw new Error('Invalid HTTP method: refusing to sign');
  if (!input.ak || !TOKEN.test(input.ak))
    throw new Error('Invalid access key id (AK): refusing to sign');
  if (!input.sk) throw new Error('Missing secret key: refusing to sign');
  const url = new URL(input.url);

  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(input.headers)) {
    assertSafeHeader(name, value);
    const lower = name.toLowerCase();
    if (seen.has(lower))
      throw new Error(`Header "${lower}" given more than once: refusing to sign`);
    seen.add(lower);
    if (lower === 'authorization' || lower === HEADER_DATE) continue;
    out[name] = value;
  }
  if (headerValue(out, 'host') === undefined) {
    if (!url.host) throw new Error('URL has no host: refusing to sign');
    out.host = url.host;
  }
  const date = sdkDate(input.now);
  out['X-Sdk-Date'] = date;

  let names: string[];
  if (input.signedHeaders) {
    names = normalizeSignedHeaders(input.signedHeaders);
    for (const n of names) {
      if (!LOWER_TOKEN.test(n)) throw new Error(`Invalid signed header name ${JSON.stringify(n)}`);
      if (n === 'authorization') throw new Error('authorization cannot be signed');
    }
    if (!names.includes(HEADER_DATE)) throw new Error('signedHeaders must include x-sdk-date');
  } else {
    names = DEFAULT_SIGNED.filter((n) => headerValue(out, n) !== undefined);
  }

  const payloadHash = headerValue(out, HEADER_CONTENT_SHA256) ?? hashHex(input.body);
  const signed = signedHeadersValue(names);
  const cr = canonicalRequest({
    method,
    canonicalUri: canonicalUri(url.pathname),
    canonicalQuery: canonicalQuery(url.search),
    canonicalHeaders: canonicalHeaders(out, names),
    signedHeaders: signed,
    payloadHash,
  });
  const signature = signatureHex(input.sk, stringToSign(date, cr));
  out.Authorization = `${ALGORITHM} Access=${input.ak}, SignedHeaders=${signed}, Signature=${signature}`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Verification (as the API gateway does)
// ---------------------------------------------------------------------------------------------

export interface VerifySignatureInput {
  method: string;
  /** Path as received (still percent-encoded), without the query. */
  path: string;
  /** Query as received, without `?` ('' when none). */
  rawQuery: string;
  /** Header names lower-case, as received. */
  headers: Record<string, string>;
  /** Raw body bytes, before any parsing. */
  body: Uint8Array | string | undefined;
  lookupSecret: (ak: string) => string | undefined;
  now: Date;
  maxSkewMs?: number;
}

export type VerifyResult =
  { ok: true; ak: string } | { ok: false; code: 'APIG.0301' | 'APIG.0303'; message: string };

const IAM = 'Incorrect IAM authentication information';
const fail = (message: string): VerifyResult => ({
  ok: false,
  code: 'APIG.0301',
  message: `${IAM}: ${message}`,
});
/** Stands in for an unknown AK's secret so unknown and known AKs cost the same work. */
const DUMMY_SECRET = 'signing-unknown-access-key-placeholder';

export function verifySignature(input: VerifySignatureInput): VerifyResult {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;

  const authorization = headers.authorization;
  if (authorization === undefined || authorization === '') return fail('authorization not found');
  const auth = parseAuthorization(authorization);
  if (!auth) return fail('unsupported authorization format');

  const dateValue = headers[HEADER_DATE];
  if (dateValue === undefined) return fail('x-sdk-date not found');
  const date = parseSdkDate(dateValue);
  if (!date) return fail('x-sdk-date format invalid');

  const maxSkew = input.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (Math.abs(input.now.getTime() - date.getTime()) > maxSkew) {
    return {
      ok: false,
      code: 'APIG.0303',
      message: `${IAM}: signature expired, signature time:${dateValue},server time:${sdkDate(input.now)}`,
    };
  }

  if (!auth.signedHeaders.includes(HEADER_DATE)) return fail('x-sdk-date is not signed');
  if (auth.signedHeaders.includes('authorization')) return fail('unsupported authorization format');
  for (const name of auth.signedHeaders) {
    if (headers[name] === undefined) return fail(`signed header ${name} not found`);
  }

  const method = input.method.toUpperCase();
  if (!TOKEN.test(method)) return fail('verify aksk signature fail');

  const secret = input.lookupSecret(auth.ak);
  const known = typeof secret === 'string' && secret.length > 0;

  const cr = canonicalRequest({
    method,
    canonicalUri: canonicalUri(input.path),
    canonicalQuery: canonicalQuery(input.rawQuery),
    canonicalHeaders: canonicalHeaders(headers, auth.signedHeaders),
    signedHeaders: signedHeadersValue(auth.signedHeaders),
    payloadHash: headers[HEADER_CONTENT_SHA256] ?? hashHex(input.body),
  });
  const expected = Buffer.from(
    signatureHex(known ? secret : DUMMY_SECRET, stringToSign(dateValue, cr)),
    'hex',
  );
  const given = Buffer.from(auth.signature, 'hex');
  const match = given.length === expected.length && timingSafeEqual(given, expected);
  if (!known || !match) return fail('verify aksk signature fail');
  return { ok: true, ak: auth.ak };
}
