/**
 * The emulator's API-gateway authentication: AK/SK signatures
 * ("SDK-HMAC-SHA256", checked with apig-signing's `verifySignature`), an IAM token in
 * `X-Auth-Token`, or none.
 * Runs before anything else looks at the request: the raw body bytes are hashed before any JSON
 * parsing and handed to the routes (`rawBody`), so the body is read exactly once.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { verifySignature } from 'apig-signing';
import { GATEWAY_CODES, gatewayError, type EmulatorEnv } from './http';

export type EmulatorAuthMode = 'aksk' | 'token' | 'none';

export interface EmulatorAuth {
  mode: EmulatorAuthMode;
  /** `aksk`: the accepted pairs, AK → SK. */
  credentials?: Readonly<Record<string, string>>;
  /** `token`: the one accepted `X-Auth-Token`. */
  token?: string;
  /** The clock `X-Sdk-Date` is checked against (default: the emulator's clock). */
  now?: () => Date;
  /** The `X-Sdk-Date` window (default 15 minutes, as the gateway). */
  maxSkewMs?: number;
}

/**
 * The demo pair every emulator accepts in `aksk` mode (unless told otherwise): public, valid
 * nowhere else, so that a local console or script can sign calls without real credentials.
 */
export const DEMO_AK = 'DEMOAKEMULATOR000000';
export const DEMO_SK = 'DemoSecretKeyForTheLocalEmulator00000000';

const IAM = 'Incorrect IAM authentication information';
const EMPTY = new Uint8Array(0);

/** SHA-256 both sides, then compare in constant time (no early exit, no length leak). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The middleware for `auth` (null when `mode` is `none`). `clock` is the emulator's clock. */
export function createAuthMiddleware(
  auth: EmulatorAuth,
  clock: () => Date,
): MiddlewareHandler<EmulatorEnv> | null {
  const now = auth.now ?? clock;
  switch (auth.mode) {
    case 'none':
      return null;
    case 'token': {
      const token = auth.token;
      if (!token) throw new Error('emulator auth: mode "token" needs a token');
      return async (c, next) => {
        const given = c.req.header('x-auth-token');
        if (given === undefined || given === '') {
          return gatewayError(c, 401, GATEWAY_CODES.authFailed, `${IAM}: x-auth-token not found`);
        }
        if (!sameSecret(given, token)) {
          return gatewayError(c, 401, GATEWAY_CODES.authFailed, `${IAM}: verify token fail`);
        }
        await next();
      };
    }
    case 'aksk': {
      const secrets = new Map(Object.entries(auth.credentials ?? {}));
      if (secrets.size === 0) throw new Error('emulator auth: mode "aksk" needs credentials');
      return async (c, next) => {
        // Read once, hash before parsing; the routes parse these same bytes (readJsonBody). A GET
        // or HEAD that declares no body has none (reading it would build a full web Request).
        const bodyless =
          (c.req.method === 'GET' || c.req.method === 'HEAD') &&
          c.req.header('content-length') === undefined &&
          c.req.header('transfer-encoding') === undefined;
        const body = bodyless ? EMPTY : new Uint8Array(await c.req.arrayBuffer());
        c.set('rawBody', body);
        const url = new URL(c.req.url);
        const headers: Record<string, string> = {};
        // Header names arrive lower-cased; Host is taken as received.
        c.req.raw.headers.forEach((value, name) => {
          headers[name] = value;
        });
        const result = verifySignature({
          method: c.req.method,
          path: url.pathname,
          rawQuery: url.search.startsWith('?') ? url.search.slice(1) : url.search,
          headers,
          body,
          lookupSecret: (ak) => secrets.get(ak),
          now: now(),
          maxSkewMs: auth.maxSkewMs,
        });
        if (!result.ok) return gatewayError(c, 401, result.code, result.message);
        await next();
      };
    }
  }
}
