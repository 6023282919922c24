/**
 * The console's JSON error answer, `{ code, message, field? }`, shared by the request rules and
 * every route module. One place so that every refusal has the same shape.
 */
import type { Context } from 'hono';
import type { z } from 'zod';

export type JsonErrorStatus = 400 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 502 | 503 | 504;

export function jsonError(
  c: Context,
  status: JsonErrorStatus,
  code: string,
  message: string,
  field?: string,
): Response {
  return c.json(field === undefined ? { code, message } : { code, message, field }, status);
}

/** 400 INVALID_BODY naming the first problem of a zod parse of a request body, and its field. */
export function invalidBody(c: Context, error: z.ZodError): Response {
  const issue = error.issues[0];
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const head = issue?.path[0];
  const field = unknownKey ?? (typeof head === 'string' ? head : undefined);
  const message = unknownKey
    ? `${unknownKey.slice(0, 64)}: unknown field`
    : `${field ?? 'body'}: ${issue?.message ?? 'invalid'}`;
  return jsonError(c, 400, 'INVALID_BODY', message, field ?? 'body');
}

/** The request's JSON body, or a 400 INVALID_JSON answer. */
export async function jsonBody(c: Context): Promise<unknown> {
  try {
    return (await c.req.json()) as unknown;
  } catch {
    return jsonError(c, 400, 'INVALID_JSON', 'the body is not valid JSON');
  }
}
