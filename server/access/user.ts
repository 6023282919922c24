/**
 * Who is acting. Every batch records its user: the IAM user name of an IAM session, "token user"
 * for an access-token session, "automation" for `Authorization: Bearer`, and "local" when the
 * console has no sign-in (loopback only). Set by the access middleware (server/access/access.ts).
 */
import type { Context } from 'hono';
import { LOCAL_USER } from './access';

export { LOCAL_USER };

/** The user a request acts for. */
export function currentUser(c: Context): string {
  return c.get('principal')?.user ?? LOCAL_USER;
}
