/**
 * The link check (`POST /api/checks`): before an analyst submits, which of the pasted IDs are
 * linked to the subject now, and which do not exist as the related class in the workspace. Two
 * read-only passes through SecMaster's search (relation search of the subject, then a search of
 * the related class for the IDs not linked), ≤ 100 IDs a call; nothing is written.
 */
import type { Hono } from 'hono';
import { idKey, linkCheckRequestSchema, type LinkCheck } from '../../src/api/schemas';
import type { Upstream } from '../forward';
import { invalidBody, jsonBody } from '../http/json-error';
import { readIds } from './id-reads';

export function registerCheckRoutes(app: Hono, deps: { upstream: Upstream }): void {
  const { upstream } = deps;

  app.post('/api/checks', async (c) => {
    const raw = await jsonBody(c);
    if (raw instanceof Response) return raw;
    const parsed = linkCheckRequestSchema.safeParse(raw);
    if (!parsed.success) return invalidBody(c, parsed.error);
    const req = parsed.data;
    // One check per distinct ID (SecMaster compares IDs as idKey does).
    const seen = new Set<string>();
    const ids = req.ids.filter((id) => {
      const key = idKey(id);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });

    const linkedKeys = await readIds(
      c,
      upstream,
      {
        op: 'relationSearch',
        workspaceId: req.workspace_id,
        dataclass: req.dataclass_type,
        objectId: req.data_object_id,
        related: req.related_dataclass_type,
      },
      ids,
      'link check',
    );
    if (linkedKeys instanceof Response) return linkedKeys;
    const linked = ids.filter((id) => linkedKeys.has(idKey(id)));
    const rest = ids.filter((id) => !linkedKeys.has(idKey(id)));

    const existing = await readIds(
      c,
      upstream,
      { op: 'search', workspaceId: req.workspace_id, dataclass: req.related_dataclass_type },
      rest,
      'ID check',
    );
    if (existing instanceof Response) return existing;
    const body: LinkCheck = {
      checked: ids.length,
      linked,
      not_found: rest.filter((id) => !existing.has(idKey(id))),
      checked_at: new Date().toISOString(),
    };
    return c.json(body);
  });
}
