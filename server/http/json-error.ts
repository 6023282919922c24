/**
 * The console's JSON error answer, `{ code, message, field? }`, shared by the request rules and
 * every route module (DESIGN.md §4). One place so that every refusal has the same shape.
 */
import type { Context } from 'hono';

export type JsonErrorStatus = 400 | 403 | 404 | 405 | 409 | 413 | 415 | 500 | 502 | 503 | 504;

export function jsonError(
  c: Context,
  status: JsonErrorStatus,
  code: string,
  message: string,
  field?: string,
): Response {
  return c.json(field === undefined ? { code, message } : { code, message, field }, status);
}
