/**
 * Who is acting. Every batch records its user; until sign-in exists (DESIGN.md §6) the console
 * runs for one local analyst, so this is the one place that changes when it does.
 */
import type { Context } from 'hono';

export const LOCAL_USER = 'local';

/** The user a request acts for. */
export function currentUser(_c: Context): string {
  return LOCAL_USER;
}
