/**
 * The link check (`POST /api/checks`): before an analyst submits, which of the pasted IDs are
 * linked to the subject now, and which do not exist as the related class in the workspace. Two
 * read-only passes through SecMaster's search (relation search of the subject, then a search of
 * the related class for the IDs not linked), ≤ 100 IDs a call; nothing is written.
 */
import type { Context, Hono } from 'hono';
import {
  canonicalId,
  idKey,
  linkCheckRequestSchema,
  type LinkCheck,
  type LinkCheckRequest,
} from '../../src/api/schemas';
import { requireSecMasterIdentity } from '../access/access';
import type { Upstream } from './client';
import { invalidBody, jsonBody, jsonError } from '../http/json-error';
import { LookupError, findIds } from './lookups';

/**
 * Checks running at once, for the whole console: each runs 4 reads at a time on the upstream the
 * batch runner also uses, so a burst of checks would eat into SecMaster's rate limit.
 */
export const MAX_CONCURRENT_CHECKS = 2;

export function registerCheckRoutes(
  app: Hono,
  deps: {
    /** Where a request's SecMaster reads go (its caller's credential). */
    upstreamOf: (c: Context) => Upstream;
    maxConcurrent?: number;
  },
): void {
  const maxConcurrent = deps.maxConcurrent ?? MAX_CONCURRENT_CHECKS;
  let running = 0;

  app.post('/api/checks', requireSecMasterIdentity, async (c) => {
    const raw = await jsonBody(c);
    if (raw instanceof Response) return raw;
    const parsed = linkCheckRequestSchema.safeParse(raw);
    if (!parsed.success) return invalidBody(c, parsed.error);
    if (running >= maxConcurrent) {
      c.header('Retry-After', '5');
      return jsonError(
        c,
        429,
        'TOO_MANY_CHECKS',
        `${running} link checks are running; try again in a few seconds`,
      );
    }
    running++;
    try {
      return await check(c, parsed.data);
    } catch (err) {
      if (err instanceof LookupError) return jsonError(c, err.status, err.code, err.message);
      throw err;
    } finally {
      running--;
    }
  });

  async function check(c: Context, req: LinkCheckRequest): Promise<Response> {
    // One check per distinct ID, in the one form the batch sends it (a UUID in lower case).
    const ids = [...new Set(req.ids.map(canonicalId))];
    const upstream = deps.upstreamOf(c);

    // A client that goes away (closed tab) stops the reads still to come.
    const signal = c.req.raw.signal;
    const linkedKeys = await findIds(
      upstream,
      {
        op: 'relationSearch',
        workspaceId: req.workspace_id,
        dataclass: req.dataclass_type,
        objectId: canonicalId(req.data_object_id),
        related: req.related_dataclass_type,
      },
      ids,
      'link check',
      signal,
    );
    const linked = ids.filter((id) => linkedKeys.has(idKey(id)));
    const rest = ids.filter((id) => !linkedKeys.has(idKey(id)));

    const existing = await findIds(
      upstream,
      { op: 'search', workspaceId: req.workspace_id, dataclass: req.related_dataclass_type },
      rest,
      'ID check',
      signal,
    );
    const body: LinkCheck = {
      checked: ids.length,
      linked,
      not_found: rest.filter((id) => !existing.has(idKey(id))),
      checked_at: new Date().toISOString(),
    };
    return c.json(body);
  }
}
