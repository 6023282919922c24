/**
 * Batches of pairs (`POST /api/batches` with `pairs`): many subjects at once, each pair a subject
 * and a related ID. A pairs group has one child batch per subject (same action, classes, reason
 * and user), created in one transaction with the group row; each child is an ordinary batch.
 *
 * Pairs are read as a batch reads its IDs (trimmed, UUIDs lower-cased, malformed IDs invalid);
 * a pair repeated (same subject and ID, UUIDs case-insensitive) is dropped and counted; a pair
 * whose subject is malformed is recorded `invalid` on the group row itself (it has no batch to go
 * to) and counted in `invalid_pairs`. Retry, undo and their previews act on every child and make a
 * new pairs group of the children's retries or undos.
 */
import { z } from 'zod';
import {
  MAX_BATCH_IDS,
  MAX_PAIRS_SUBJECTS,
  MAX_TOKEN_LENGTH,
  batchActionSchema,
  canonicalId,
  dataclassTypeSchema,
  idKey,
  idSchema,
  isUuid,
  isWellFormedId,
  malformedUuidReason,
  type BatchAction,
  type RetryRequest,
  type UndoRequest,
} from '../../src/api/schemas';
import type { Upstream } from '../secmaster/client';
import { ownPairKey } from './group-records';
import type { GroupKit, PairsSummary } from './groups';
import type { BatchRecord, NewBatch } from './ledger';
import type { TxStores } from '../db/service-stores';
import {
  INVALID_ID_MESSAGE,
  ServiceError,
  checkNotActive,
  checkNotUndone,
  checkRetriable,
  nothingToRetry,
  nothingToUndo,
  type BatchContext,
  type Created,
  type RetryPreview,
  type UndoPreview,
} from './service';

const token = z
  .string()
  .max(MAX_TOKEN_LENGTH, `an ID is longer than ${MAX_TOKEN_LENGTH} characters`);

const pairsSchema = z
  .array(z.strictObject({ data_object_id: token, id: token }))
  .min(1, 'at least one pair is required')
  .max(MAX_BATCH_IDS, `at most ${MAX_BATCH_IDS} pairs per batch`);
type Pair = z.infer<typeof pairsSchema>[number];

/** 1 to MAX_BATCH_IDS objects of exactly `data_object_id` and `id`, strings no longer than a token. */
function plainPairs(value: unknown): value is Pair[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_BATCH_IDS) return false;
  for (const pair of value as unknown[]) {
    if (typeof pair !== 'object' || pair === null || Array.isArray(pair)) return false;
    if (Object.keys(pair).length !== 2 || !Object.hasOwn(pair, 'data_object_id')) return false;
    if (!Object.hasOwn(pair, 'id')) return false;
    const { data_object_id: subject, id } = pair as Record<string, unknown>;
    if (typeof subject !== 'string' || subject.length > MAX_TOKEN_LENGTH) return false;
    if (typeof id !== 'string' || id.length > MAX_TOKEN_LENGTH) return false;
  }
  return true;
}

/**
 * The pairs: checked by hand first (100,000 pairs through zod took ~100 ms of the request); only a
 * list that fails that check goes through the schema, for its exact refusal.
 */
const fastPairsSchema = z.unknown().transform((value, ctx): Pair[] => {
  if (plainPairs(value)) return value;
  const parsed = pairsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
  return z.NEVER;
});

export const createPairsRequestSchema = z.strictObject({
  action: batchActionSchema,
  workspace_id: idSchema,
  dataclass_type: dataclassTypeSchema,
  related_dataclass_type: dataclassTypeSchema,
  pairs: fastPairsSchema,
  reason: z.string().max(1000).optional(),
});
export type CreatePairsRequest = z.infer<typeof createPairsRequestSchema>;

type NewItem = NewBatch['items'][number];

/** Why an ID is malformed, or null. */
function problemOf(id: string): string | null {
  return isWellFormedId(id) ? malformedUuidReason(id) : INVALID_ID_MESSAGE;
}

export interface ReadPairs {
  /** Each well-formed subject (in first-seen order) and its distinct items. */
  subjects: Map<string, { subject: string; items: NewItem[] }>;
  /** Pairs whose subject is malformed: recorded on the group row. */
  invalidSubject: NewItem[];
  total: number;
  duplicates: number;
}

/** The pairs as a batch of pairs records them (see the module comment). */
export function readPairs(pairs: CreatePairsRequest['pairs']): ReadPairs {
  const subjects = new Map<string, { subject: string; items: NewItem[] }>();
  /** Per subject key: the ID keys seen with it (a pair repeated is a duplicate). */
  const seenWith = new Map<string, Set<string>>();
  // A subject repeats on many pairs: it is read once (two spellings of one UUID share its key).
  const subjectOf = new Map<
    string,
    { subject: string; key: string; problem: string | null; seen: Set<string> }
  >();
  const invalidSubject: NewItem[] = [];
  let total = 0;
  let duplicates = 0;
  for (const pair of pairs) {
    let s = subjectOf.get(pair.data_object_id);
    if (!s) {
      const subject = canonicalId(pair.data_object_id.trim());
      const key = idKey(subject);
      let seen = seenWith.get(key);
      if (!seen) {
        seen = new Set();
        seenWith.set(key, seen);
      }
      s = { subject, key, problem: problemOf(subject), seen };
      subjectOf.set(pair.data_object_id, s);
    }
    const raw = pair.id.trim();
    // A UUID (the usual ID) is lower-cased, and is its own key and well-formed: one test for it.
    const uuid = isUuid(raw);
    const id = uuid ? raw.toLowerCase() : raw;
    // A blank line of a pasted table: dropped, as blank IDs are.
    if (s.subject === '' && id === '') continue;
    if (s.seen.has(id)) {
      duplicates++;
      continue;
    }
    s.seen.add(id);
    total++;
    if (s.problem !== null) {
      invalidSubject.push({
        id,
        idKey: ownPairKey(s.subject, id),
        state: 'invalid',
        message: `subject: ${s.problem}`,
      });
      continue;
    }
    const problem = uuid ? null : problemOf(id);
    let bucket = subjects.get(s.key);
    if (!bucket) {
      bucket = { subject: s.subject, items: [] };
      subjects.set(s.key, bucket);
    }
    bucket.items.push({
      id,
      idKey: id,
      state: problem === null ? 'pending' : 'invalid',
      message: problem,
    });
  }
  return { subjects, invalidSubject, total, duplicates };
}

export function createPairs(kit: GroupKit) {
  const { stores, batches } = kit.deps;
  const { ledger } = stores;

  /** A pairs group row and its children, in one transaction (`tx`'s). */
  const groupWithChildren = (
    tx: TxStores,
    ctx: BatchContext,
    group: {
      action: BatchAction;
      like: Pick<BatchRecord, 'workspace_id' | 'dataclass_type' | 'related_dataclass_type'>;
      reason: string | null;
      retry_of: string | null;
      undo_of: string | null;
      total: number;
      duplicates: number;
      own: NewItem[];
    },
    children: {
      subject: string;
      items: NewItem[];
      retry_of: string | null;
      undo_of: string | null;
    }[],
  ): Promise<BatchRecord> => {
    const common = {
      action: group.action,
      workspace_id: group.like.workspace_id,
      dataclass_type: group.like.dataclass_type,
      related_dataclass_type: group.like.related_dataclass_type,
      reason: group.reason,
      user: ctx.user,
      credential_source: ctx.identity?.source ?? null,
    };
    return tx.ledger.createGroup(
      {
        ...common,
        kind: 'pairs',
        data_object_id: '',
        retry_of: group.retry_of,
        undo_of: group.undo_of,
        // The distinct pairs: its own (invalid subject) and its children's.
        total: group.total,
        duplicates: group.duplicates,
        items: group.own,
      },
      children.map((child) => ({
        ...common,
        data_object_id: child.subject,
        retry_of: child.retry_of,
        undo_of: child.undo_of,
        duplicates: 0,
        items: child.items,
      })),
    );
  };

  /**
   * An undo waits for every child to be settled: an interrupted child still holds IDs that its
   * resume may change, which the undo would not revert.
   */
  const checkNoneInterrupted = async (group: BatchRecord, tx?: TxStores): Promise<void> => {
    const n = (await kit.children(group.id, tx)).filter((c) => c.state === 'interrupted').length;
    if (n === 0) return;
    throw new ServiceError(
      409,
      'INVALID_STATE',
      `${n} of its batches ${n === 1 ? 'was' : 'were'} interrupted: resume or stop ${n === 1 ? 'it' : 'them'} before undoing this batch`,
    );
  };

  const pending = (ids: readonly string[]): NewItem[] =>
    ids.map((raw) => {
      const id = canonicalId(raw);
      return { id, idKey: idKey(id), state: 'pending', message: null };
    });

  const retryPreview = async (group: BatchRecord): Promise<RetryPreview> => {
    const out: RetryPreview = { failed: 0, unknown: 0, skipped: 0, permanent: 0, ids: 0 };
    for (const id of await kit.groupRecords.children(group.id)) {
      const p = await batches.retryPreview(id);
      for (const k of ['failed', 'unknown', 'skipped', 'permanent', 'ids'] as const) out[k] += p[k];
    }
    return out;
  };

  return {
    async present(group: BatchRecord): Promise<PairsSummary> {
      const [presented, children, own] = await Promise.all([
        batches.present(group),
        kit.groupRecords.children(group.id),
        kit.groupRecords.ownItems(group.id),
      ]);
      return { ...presented, subjects: children.length, invalid_pairs: own };
    },

    /** A new pairs group: one child batch per valid subject, started. */
    create(request: CreatePairsRequest, ctx: BatchContext): Promise<Created> {
      const read = readPairs(request.pairs);
      if (read.total === 0) {
        return Promise.reject(
          new ServiceError(400, 'INVALID_BODY', 'pairs: every pair is blank', 'pairs'),
        );
      }
      if (read.subjects.size > MAX_PAIRS_SUBJECTS) {
        return Promise.reject(
          new ServiceError(
            400,
            'INVALID_BODY',
            `pairs: at most ${MAX_PAIRS_SUBJECTS.toLocaleString('en-US')} subjects in one batch of pairs, this one has ${read.subjects.size.toLocaleString('en-US')}: split the file`,
            'pairs',
          ),
        );
      }
      const reason = request.reason?.trim() ? request.reason.trim() : null;
      return kit.createOnce(ctx, request, (tx) =>
        groupWithChildren(
          tx,
          ctx,
          {
            action: request.action,
            like: request,
            reason,
            retry_of: null,
            undo_of: null,
            total: read.total,
            duplicates: read.duplicates,
            own: read.invalidSubject,
          },
          [...read.subjects.values()].map((s) => ({ ...s, retry_of: null, undo_of: null })),
        ),
      );
    },

    retryPreview,

    /** A new pairs group of each child's retry (children with nothing to retry are left out). */
    async retry(group: BatchRecord, options: RetryRequest, ctx: BatchContext): Promise<Created> {
      checkRetriable(group);
      const includePermanent = options.include_permanent ?? false;
      /** Each child's retry (children with nothing to retry left out), as `on` reads them. */
      const retriesOf = async (on: Pick<TxStores, 'ledger' | 'records' | 'groups'>) => {
        const out = [];
        for (const child of await kit.children(group.id, on)) {
          const ids = await on.records.retryIds(
            child.id,
            includePermanent,
            child.state !== 'cancelled',
          );
          if (ids.length > 0) {
            out.push({
              subject: child.data_object_id,
              items: pending(ids),
              retry_of: child.id,
              undo_of: null,
            });
          }
        }
        return out;
      };
      if ((await retriesOf(stores)).length === 0) {
        throw nothingToRetry((await retryPreview(group)).permanent);
      }
      return kit.createOnce(
        ctx,
        { retry_of: group.id, include_permanent: includePermanent },
        async (tx) => {
          // Read again in the transaction: a child resumed meanwhile holds its IDs again.
          const now = await tx.ledger.getBatch(group.id);
          if (!now) throw new ServiceError(404, 'NOT_FOUND', 'no such batch');
          checkRetriable(now);
          const children = await retriesOf(tx);
          if (children.length === 0) {
            let permanent = 0;
            for (const id of await tx.groups.children(group.id)) {
              permanent += (await tx.records.retryCounts(id)).permanent;
            }
            throw nothingToRetry(permanent);
          }
          return groupWithChildren(
            tx,
            ctx,
            {
              action: group.action,
              like: group,
              reason: group.reason ?? `Retry of batch ${group.id}`,
              retry_of: group.id,
              undo_of: null,
              total: children.reduce((n, c) => n + c.items.length, 0),
              duplicates: 0,
              own: [],
            },
            children,
          );
        },
        group.id,
      );
    },

    /** What undoing every child would do, each checked against SecMaster's current links. */
    async undoPreview(
      group: BatchRecord,
      upstream: Upstream,
      signal?: AbortSignal,
    ): Promise<UndoPreview> {
      checkNotActive(group, 'undoing');
      await checkNoneInterrupted(group);
      await checkNotUndone(ledger, group.id);
      const out: UndoPreview = {
        ids: 0,
        undo_action: group.action === 'associate' ? 'cancel' : 'associate',
        unchanged: 0,
        changed: [],
        changes_recorded: true,
        checked_at: new Date().toISOString(),
      };
      for (const child of await kit.children(group.id)) {
        out.unchanged += child.counts.unchanged;
        if (child.counts.succeeded === 0 || (await ledger.undoneBy(child.id)) !== null) continue;
        const p = await batches.undoPreview(child.id, upstream, signal);
        out.ids += p.ids;
        out.changed.push(...p.changed);
        out.changes_recorded &&= p.changes_recorded;
      }
      if (out.ids === 0) {
        throw nothingToUndo();
      }
      return out;
    },

    /**
     * A new pairs group (`undo_of`) of the inverse action on exactly the IDs each child changed;
     * a child already undone on its own is left out.
     */
    async undo(group: BatchRecord, options: UndoRequest, ctx: BatchContext): Promise<Created> {
      checkNotActive(group, 'undoing');
      await checkNoneInterrupted(group);
      // Checked in the creating transaction (the group's row locked first): the same request sent
      // twice (one idempotency key) answers its group, a new one is refused.
      return kit.createOnce(
        ctx,
        { undo_of: group.id },
        async (tx) => {
          await checkNotUndone(tx.ledger, group.id);
          // Read again: a child resumed meanwhile may change IDs this undo would not revert.
          const now = await tx.ledger.getBatch(group.id);
          if (!now) throw new ServiceError(404, 'NOT_FOUND', 'no such batch');
          checkNotActive(now, 'undoing');
          await checkNoneInterrupted(now, tx);
          const targets: BatchRecord[] = [];
          for (const c of await kit.children(group.id, tx)) {
            if (c.counts.succeeded > 0 && (await tx.ledger.undoneBy(c.id)) === null)
              targets.push(c);
          }
          if (targets.length === 0) {
            throw nothingToUndo();
          }
          const unrecorded = targets.filter((c) => !c.changes_recorded);
          if (unrecorded.length > 0 && options.include_unrecorded !== true) {
            throw new ServiceError(
              409,
              'CHANGES_NOT_RECORDED',
              `${unrecorded.length} of its batches were recorded before the console tracked what each batch changed; send {"include_unrecorded": true} to undo them anyway`,
            );
          }
          const children = [];
          for (const c of targets) {
            children.push({
              subject: c.data_object_id,
              items: pending(await tx.records.idsInState(c.id, 'succeeded')),
              retry_of: null,
              undo_of: c.id,
            });
          }
          return groupWithChildren(
            tx,
            ctx,
            {
              action: group.action === 'associate' ? 'cancel' : 'associate',
              like: group,
              reason: `Undo of batch ${group.id}`,
              retry_of: null,
              undo_of: group.id,
              total: children.reduce((n, c) => n + c.items.length, 0),
              duplicates: 0,
              own: [],
            },
            children,
          );
        },
        group.id,
      );
    },
  };
}

export type PairsService = ReturnType<typeof createPairs>;
