/**
 * The ledger's queries over groups (moves and batches of pairs): a group is a row of `batches`
 * whose children are ordinary batches (`group_id`), and whose state the database keeps derived
 * from theirs (ledger.ts). Reads only: groups and children are created with `ledger.createBatch`.
 *
 * - a pairs group's items are its children's (each with the child's subject), plus its own: the
 *   pairs whose subject is not a well-formed ID, recorded `invalid` on the group row with
 *   `id_key` = JSON `[subject, id]` (never run: the runner never picks a group row);
 * - a move's per-ID result joins its two phases by ID: the link batch (phase 1, associate with
 *   the destination) and the unlink batch (phase 2, cancel from the source).
 */
import { z } from 'zod';
import {
  batchItemSchema,
  itemStateSchema,
  moveResultSchema,
  moveResults,
  type BatchItem,
  type ItemState,
  type MoveResult,
} from '../../src/api/schemas';
import type { LedgerDb } from './ledger';
import { escapeLike } from '../db/like';

/** A pairs group's item: a batch item, its subject and the child batch holding it. */
export type PairItem = BatchItem & { data_object_id: string; batch_id: string };

// What a move did with each ID: one vocabulary with the SPA (src/api/schemas.ts).
export { moveResultSchema, type MoveResult };

export interface MoveItem {
  id: string;
  result: MoveResult;
  /** Why it was kept at the source (phase 1's message, or phase 2's failure), else null. */
  message: string | null;
  link_state: ItemState;
  unlink_state: ItemState | null;
}

/** Which rows of a move to read, and whether it is still running (unsettled IDs are pending). */
export interface MovePhases {
  linkId: string;
  unlinkId: string | null;
  running: boolean;
}

export const MSG_NOT_REMOVED =
  'linked to the destination, but removing it from the source failed: ';
export const MSG_SOURCE_UNKNOWN =
  'linked to the destination; whether it left the source is unknown — re-check';
export const MSG_STOPPED_BEFORE_SOURCE =
  'linked to the destination, not removed from the source: the move was stopped first';
export const MSG_NOT_SENT_TO_SOURCE =
  'linked to the destination, but not removed from the source (not part of the second phase)';

const pairRowSchema = batchItemSchema.extend({
  batch_id: z.string(),
  data_object_id: z.string(),
  id_key: z.string(),
  own: z.number(),
});
/** A move item's row as both stores select it. */
export const moveRowSchema = z.object({
  seq: z.number(),
  id: z.string(),
  result: moveResultSchema,
  link_state: itemStateSchema,
  link_message: z.string().nullable(),
  unlink_state: itemStateSchema.nullable(),
  unlink_message: z.string().nullable(),
});
const countRowSchema = z.object({ result: moveResultSchema, n: z.number() });

/** The `id_key` of a pair recorded on its group row (its subject is not a well-formed ID). */
export function ownPairKey(subject: string, idKey: string): string {
  return JSON.stringify([subject, idKey]);
}

/** The subject of a pair recorded on its group row (`ownPairKey`: JSON `[subject, id]`). */
export function subjectOfOwnKey(key: string): string {
  try {
    const parsed: unknown = JSON.parse(key);
    return Array.isArray(parsed) && typeof parsed[0] === 'string' ? parsed[0] : '';
  } catch {
    return '';
  }
}

/**
 * A move item's row (its result and both phases' states and messages) as the API shows it: the
 * message says why an ID was kept at the source.
 */
export function moveItemOf(row: unknown): MoveItem & { seq: number } {
  const r = moveRowSchema.parse(row);
  let message: string | null = null;
  if (r.result === 'kept_at_source' || r.result === 'invalid') {
    const linked = r.link_state === 'succeeded' || r.link_state === 'unchanged';
    if (!linked) message = r.link_message;
    else if (r.unlink_state === null) message = MSG_NOT_SENT_TO_SOURCE;
    else if (r.unlink_state === 'unknown') message = MSG_SOURCE_UNKNOWN;
    else if (r.unlink_state === 'skipped') message = MSG_STOPPED_BEFORE_SOURCE;
    else message = `${MSG_NOT_REMOVED}${r.unlink_message ?? r.unlink_state}`;
  }
  return {
    seq: r.seq,
    id: r.id,
    result: r.result,
    message,
    link_state: r.link_state,
    unlink_state: r.unlink_state,
  };
}

// A move item's result from its two phases (see docs/api.md). `?running` is 1 while the move runs:
// an ID whose outcome may still change is pending then.
const RESULT_SQL = `CASE
  WHEN l.state = 'invalid' THEN 'invalid'
  WHEN l.state IN ('pending', 'in_flight') THEN 'pending'
  WHEN l.state = 'unknown' THEN CASE WHEN @running = 1 THEN 'pending' ELSE 'kept_at_source' END
  WHEN l.state IN ('failed', 'skipped') THEN 'kept_at_source'
  WHEN u.state IS NULL THEN CASE WHEN @running = 1 AND @unlink = '' THEN 'pending' ELSE 'kept_at_source' END
  WHEN u.state IN ('pending', 'in_flight') THEN 'pending'
  WHEN u.state = 'unknown' AND @running = 1 THEN 'pending'
  WHEN u.state IN ('succeeded', 'unchanged') THEN
    CASE WHEN l.state = 'succeeded' THEN 'moved' ELSE 'already_at_destination' END
  ELSE 'kept_at_source' END`;

export function openGroupRecords(db: LedgerDb) {
  const selectChildren = db.prepare(`SELECT id FROM batches WHERE group_id = ? ORDER BY n`).pluck();
  const selectRunningChildren = db
    .prepare(`SELECT id FROM batches WHERE group_id = ? AND state = 'running' ORDER BY n`)
    .pluck();
  const selectMovesWaiting = db
    .prepare(
      `SELECT id FROM batches m WHERE kind = 'move' AND state = 'running'
         AND (SELECT COUNT(*) FROM batches c WHERE c.group_id = m.id) < 2 ORDER BY n`,
    )
    .pluck();
  const selectKind = db.prepare(`SELECT kind, group_id FROM batches WHERE id = ?`);
  const kindRowSchema = z.object({ kind: z.string(), group_id: z.string().nullable() });
  const countOwn = db.prepare(`SELECT COUNT(*) FROM items WHERE batch_id = ?`).pluck();
  const inGroup = `i.batch_id IN (SELECT id FROM batches WHERE group_id = @g UNION ALL SELECT @g)`;
  const pairFilter = `${inGroup}
    AND (@state IS NULL OR i.state = @state)
    AND (@q IS NULL OR i.id_key LIKE @q ESCAPE '\\' OR b.data_object_id LIKE @q ESCAPE '\\')`;
  const selectPairs = db.prepare(
    `SELECT i.id, i.state, i.code, i.message, i.request_id, i.attempts, i.batch_id, i.id_key,
       b.data_object_id, b.group_id IS NULL AS own
     FROM items i JOIN batches b ON b.id = i.batch_id
     WHERE ${pairFilter} ORDER BY b.n, i.seq LIMIT @limit OFFSET @offset`,
  );
  const countPairs = db
    .prepare(`SELECT COUNT(*) FROM items i JOIN batches b ON b.id = i.batch_id WHERE ${pairFilter}`)
    .pluck();
  const selectOwnPage = db.prepare(
    `SELECT i.id, i.state, i.code, i.message, i.request_id, i.attempts, i.batch_id, i.id_key,
       '' AS data_object_id, 1 AS own, i.seq
     FROM items i WHERE i.batch_id = ? AND i.seq > ? ORDER BY i.seq LIMIT ?`,
  );
  const selectIdsInStates = db
    .prepare(
      `SELECT id FROM items WHERE batch_id = ? AND state IN (SELECT value FROM json_each(?))
       ORDER BY seq`,
    )
    .pluck();
  const moveFrom = `FROM items l LEFT JOIN items u ON u.batch_id = @unlink AND u.id_key = l.id_key
    WHERE l.batch_id = @link`;
  const moveFilter = `(@result IS NULL OR result = @result)
    AND (@q IS NULL OR id LIKE @q ESCAPE '\\')`;
  const selectMoveItems = db.prepare(
    `SELECT * FROM (SELECT l.seq, l.id, l.state AS link_state, l.message AS link_message,
       u.state AS unlink_state, u.message AS unlink_message, ${RESULT_SQL} AS result ${moveFrom})
     WHERE ${moveFilter} AND seq > @after ORDER BY seq LIMIT @limit OFFSET @offset`,
  );
  const countMoveItems = db
    .prepare(
      `SELECT COUNT(*) FROM (SELECT l.id, ${RESULT_SQL} AS result ${moveFrom}) WHERE ${moveFilter}`,
    )
    .pluck();
  const selectMoveResults = db.prepare(
    `SELECT result, COUNT(*) AS n FROM (SELECT ${RESULT_SQL} AS result ${moveFrom}) GROUP BY result`,
  );

  const pairOf = (row: unknown): PairItem => {
    const { id_key, own, ...item } = pairRowSchema.parse(row);
    return own ? { ...item, data_object_id: subjectOfOwnKey(id_key) } : item;
  };

  const moveParams = (p: MovePhases) => ({
    link: p.linkId,
    unlink: p.unlinkId ?? '',
    running: p.running ? 1 : 0,
  });

  return {
    /** A row's kind and group, read alone (no counts): null when there is no such row. */
    kindOf(id: string): { kind: string; group_id: string | null } | null {
      const row = selectKind.get(id);
      return row === undefined ? null : kindRowSchema.parse(row);
    },
    /** Running moves whose second phase is not created yet, oldest first. */
    movesWaiting(): string[] {
      return z.array(z.string()).parse(selectMovesWaiting.all());
    },
    /** A group's children, oldest first. */
    children(groupId: string): string[] {
      return z.array(z.string()).parse(selectChildren.all(groupId));
    },
    /** Those of a group's children still running, oldest first (one read for all of them). */
    runningChildren(groupId: string): string[] {
      return z.array(z.string()).parse(selectRunningChildren.all(groupId));
    },
    /** Items recorded on the group row itself (a pairs group's pairs with an invalid subject). */
    ownItems(groupId: string): number {
      return z.number().parse(countOwn.get(groupId));
    },
    /** The IDs of a batch in any of `states`, in input order. */
    idsInStates(batchId: string, states: readonly ItemState[]): string[] {
      return z.array(z.string()).parse(selectIdsInStates.all(batchId, JSON.stringify(states)));
    },
    /** A page of a pairs group's items (its own first, then each child's), filtered. */
    listPairs(
      groupId: string,
      query: {
        state?: ItemState | undefined;
        q?: string | undefined;
        offset: number;
        limit: number;
      },
    ): { items: PairItem[]; total: number } {
      const params = {
        g: groupId,
        state: query.state ?? null,
        q: query.q ? `%${escapeLike(query.q)}%` : null,
      };
      const items = selectPairs
        .all({ ...params, limit: query.limit, offset: query.offset })
        .map(pairOf);
      return { items, total: z.number().parse(countPairs.get(params)) };
    },
    /** The group row's own items, a page at a time (keyset on seq). */
    *ownPairPages(groupId: string, pageRows: number): Generator<PairItem[], void, undefined> {
      let after = -1;
      for (;;) {
        const rows = selectOwnPage.all(groupId, after, pageRows) as { seq: number }[];
        if (rows.length > 0) yield rows.map(pairOf);
        if (rows.length < pageRows) return;
        after = rows[rows.length - 1]?.seq ?? after;
      }
    },
    /** A page of a move's per-ID results, in input order, filtered. */
    listMoveItems(
      phases: MovePhases,
      query: {
        result?: MoveResult | undefined;
        q?: string | undefined;
        offset: number;
        limit: number;
        afterSeq?: number;
      },
    ): { items: (MoveItem & { seq: number })[]; total: number } {
      const params = {
        ...moveParams(phases),
        result: query.result ?? null,
        q: query.q ? `%${escapeLike(query.q)}%` : null,
      };
      const items = selectMoveItems
        .all({ ...params, after: query.afterSeq ?? -1, limit: query.limit, offset: query.offset })
        .map(moveItemOf);
      return { items, total: z.number().parse(countMoveItems.get(params)) };
    },
    /** How many of a move's IDs have each result. */
    moveResults(phases: MovePhases): Record<MoveResult, number> {
      const out = Object.fromEntries(moveResults.map((r) => [r, 0])) as Record<MoveResult, number>;
      for (const row of selectMoveResults.all(moveParams(phases))) {
        const r = countRowSchema.parse(row);
        out[r.result] = r.n;
      }
      return out;
    },
  };
}

export type GroupRecords = ReturnType<typeof openGroupRecords>;
