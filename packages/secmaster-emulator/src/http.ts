/** Response conventions of SecMaster and its API gateway: request IDs, success and error bodies. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type EmulatorEnv = {
  Variables: {
    requestId: string;
    /** The body bytes, when the auth middleware already read (and hashed) them. */
    rawBody?: Uint8Array;
  };
};
export type EmulatorContext = Context<EmulatorEnv>;

/** `code` of every 200 answer. */
export const OK_CODE = '00000000';

/**
 * SecMaster codes the emulator answers with. The first three are the ones SecMaster is known to
 * send; `invalidRequest` (bad input) and `tooManyRequests` (an injected 429,
 * faults.ts) are the emulator's own choices, since SecMaster's table of codes is not public.
 */
export const SECMASTER_CODES = {
  workspaceNotFound: 'SecMaster.20010001',
  workspaceShowNotFound: 'SecMaster.20011003',
  objectNotFound: 'SecMaster.20030005',
  invalidRequest: 'SecMaster.00010001',
  internal: 'SecMaster.00000500',
  tooManyRequests: 'SecMaster.00000429',
} as const;

/** API gateway codes (APIG.*), answered in the gateway's own shape. */
export const GATEWAY_CODES = {
  apiNotFound: 'APIG.0101',
  authFailed: 'APIG.0301',
  forbidden: 'APIG.0302',
  signatureExpired: 'APIG.0303',
  throttled: 'APIG.0308',
} as const;

/** `request_uuid-timestamp-hostname`, as SecMaster's `X-request-id`. */
export function newRequestId(now: Date, hostname: string): string {
  return `${randomUUID()}-${now.getTime()}-${hostname}`;
}

/** SecMaster's error body: exactly `{code, message}`. */
export function secmasterError(
  c: EmulatorContext,
  status: ContentfulStatusCode,
  code: string,
  message: string,
): Response {
  return c.json({ code, message }, status);
}

/** The gateway's error body: `{error_code, error_msg, request_id}` (authentication, throttling). */
export function gatewayError(
  c: EmulatorContext,
  status: ContentfulStatusCode,
  errorCode: string,
  errorMsg: string,
): Response {
  return c.json(
    { error_code: errorCode, error_msg: errorMsg, request_id: c.get('requestId') },
    status,
  );
}

/** A 400 for input the emulator cannot accept. */
export function invalidRequest(c: EmulatorContext, message: string): Response {
  return secmasterError(c, 400, SECMASTER_CODES.invalidRequest, message);
}

export type JsonBody = { ok: true; value: unknown } | { ok: false };

/**
 * Reads a JSON body; an absent or blank body reads as `undefined`. Parses the bytes the auth
 * middleware verified when it read them (the body is read from the request only once).
 */
export async function readJsonBody(c: EmulatorContext): Promise<JsonBody> {
  const raw = c.get('rawBody');
  const text = raw === undefined ? await c.req.text() : new TextDecoder().decode(raw);
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, value };
  } catch {
    return { ok: false };
  }
}
