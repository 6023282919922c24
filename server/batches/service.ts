/**
 * The batch operations without HTTP: create (once per idempotency key), retry, undo, their
 * previews, pause/resume/stop, and the summary every batch answer carries. The HTTP routes
 * (`routes.ts`) and anything else that makes or runs batches call the same rules here, so
 * that a batch made without a request is recorded exactly like one made by the API.
 *
 * Refusals are thrown as `ServiceError` (an HTTP status, a stable code and the message shown to
 * the user); other errors (a full disk, a damaged ledger) propagate unchanged.
 *
 * The ledger is read and written through the service stores (server/db/service-stores.ts: SQLite
 * or PostgreSQL), asynchronously. What was one synchronous stretch of code (a check, then the
 * write it allows) is now separated by awaits, during which another request, the runner or (on
 * PostgreSQL) another console may change the batch. So every write that a check allows is made in
 * one transaction that repeats the check on what it reads (`recordOnce`'s `create`), with the
 * batch it derives from locked first (`lock`): a retry re-reads its original's state and IDs, an
 * undo checks there is no undo yet and the original is still settled. The checks made before the
 * transaction only give the early, cheap refusals (and their order) the API has always given.
 */
import {
  canonicalId,
  idKey,
  isUuid,
  isWellFormedId,
  malformedUuidReason,
  batchKindSchema,
  type BatchAction,
  type BatchKind,
  type BatchState,
  type CreateBatchRequest,
  type RetryRequest,
  type UndoRequest,
} from '../../src/api/schemas';
import type { CallCredentials, CallIdentity } from '../access/credentials';
import type { Upstream } from '../secmaster/client';
import { findIds } from '../secmaster/lookups';
import type { BatchRecord, NewBatch } from './ledger';
import { IDEMPOTENCY_KEY_PATTERN, bodyHash } from './records';
import { idempotent, type ServiceStores, type TxLedger, type TxStores } from '../db/service-stores';
import type { BatchPace, Runner } from './engine/runner';
import type { HistoryFilter } from './history-filter';

export const INVALID_ID_MESSAGE = 'not a well-formed ID: 32 to 64 letters, digits, "-" or "_"';

/**
 * A user's controls over a running batch (the runner's, answered once written to the ledger);
 * each answers false when the batch's state forbids it.
 */
export interface BatchControls {
  pause(batchId: string): Promise<boolean>;
  resume(batchId: string): Promise<boolean>;
  /** User stop: the batch becomes `cancelled` and its unsent IDs `skipped`. */
  cancel(batchId: string): Promise<boolean>;
}

/** Why an operation was refused: the HTTP status and code the API answers with, and why. */
export class ServiceError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: string,
    message: string,
    /** The request field at fault, when one is. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** Who asks, and (optionally) the key that makes a repeated request answer its first batch. */
export interface BatchContext {
  user: string;
  /** Whose credential the batches it starts or resumes run on; without it, the environment's. */
  identity?: CallIdentity | undefined;
  /** Letters, digits, `_ - : .`, 1 to 200 characters (`IDEMPOTENCY_KEY_PATTERN`). */
  idempotencyKey?: string | undefined;
}

/** A created batch, or (`replayed`) the batch an earlier request with the same key created. */
export interface Created {
  batch: BatchRecord;
  replayed: boolean;
}

/**
 * A summary as every batch answer carries it. `group_kind` is the kind of a child batch's group
 * (`pairs` or `move`; null on a top-level row): the batch page of a move's batch offers no retry
 * or undo of its own (the routes refuse them, group-routes.ts). `pace` is the rate in use and the
 * limit learned while the batch runs (null otherwise).
 */
export type PresentedBatch = BatchRecord & {
  undone_by: string | null;
  group_kind: BatchKind | null;
  pace: BatchPace | null;
};

/** A page of the batch list (without `undone_by`: one query for the whole page). */
export interface BatchPage {
  items: BatchRecord[];
  total: number;
}

/** What a retry would carry (`ids`) and leave out (`permanent`). */
export interface RetryPreview {
  failed: number;
  unknown: number;
  skipped: number;
  permanent: number;
  ids: number;
}

/** What undoing a batch would do, checked against SecMaster's current links. */
export interface UndoPreview {
  /** The IDs an undo carries (the batch's `succeeded` ones). */
  ids: number;
  undo_action: BatchAction;
  unchanged: number;
  /** IDs whose link no longer is as the batch left it. */
  changed: string[];
  changes_recorded: boolean;
  checked_at: string;
}

export interface BatchServiceDeps {
  /** The ledger's stores (SQLite or PostgreSQL). */
  stores: ServiceStores;
  /** Starts created batches and pauses/resumes/stops them. */
  runner: Pick<Runner, 'start'> & Partial<Pick<Runner, 'paceOf'>> & BatchControls;
  /** Records which identity a batch runs on before it is started or resumed. */
  credentials?: Pick<CallCredentials, 'assign'> | undefined;
}

type NewItem = NewBatch['items'][number];

/**
 * The batch items of the IDs a user sent: each trimmed, UUIDs in lower case (as SecMaster stores
 * them), blanks dropped, repeats counted in `duplicates` (the first copy stays), and malformed IDs
 * recorded as `invalid` with why (they are never sent to SecMaster).
 */
export function itemsOfIds(tokens: readonly string[]): { items: NewItem[]; duplicates: number } {
  const seen = new Set<string>();
  const items: NewItem[] = [];
  let duplicates = 0;
  for (const token of tokens) {
    const id = canonicalId(token.trim());
    if (id === '') continue;
    const k = idKey(id);
    if (seen.has(k)) {
      duplicates++;
      continue;
    }
    seen.add(k);
    const problem = isWellFormedId(id) ? malformedUuidReason(id) : INVALID_ID_MESSAGE;
    items.push({ id, idKey: k, state: problem === null ? 'pending' : 'invalid', message: problem });
  }
  return { items, duplicates };
}

/**
 * Runs `create` once per idempotency key (none: always), in one transaction of the stores (`lock`:
 * the batch whose row is locked first, see service-stores.ts), so that what it checks holds when it
 * writes: the same key with the same request answers the record it made (`replayed`), with another
 * request it is refused (409). Starting what was created is the caller's: a batch starts itself, a
 * group its children.
 */
export async function recordOnce(
  stores: ServiceStores,
  ctx: BatchContext,
  request: unknown,
  create: (tx: TxStores) => Promise<BatchRecord>,
  lock?: string,
): Promise<Created> {
  const key = ctx.idempotencyKey;
  checkIdempotencyKey(key);
  if (key === undefined) {
    const batch = await stores.transaction(create, lock === undefined ? {} : { lock });
    return { batch, replayed: false };
  }
  const result = await idempotent(
    stores,
    { user: ctx.user, key, hash: bodyHash(request), lock },
    create,
  );
  if (result.kind === 'mismatch') {
    throw new ServiceError(
      409,
      'IDEMPOTENCY_MISMATCH',
      'this Idempotency-Key was already used with a different request',
    );
  }
  if (result.kind === 'replayed') {
    const earlier = await stores.ledger.getBatch(result.batchId);
    if (!earlier) throw new ServiceError(409, 'IDEMPOTENCY_MISMATCH', 'the earlier batch is gone');
    return { batch: earlier, replayed: true };
  }
  return { batch: result.value, replayed: false };
}

export function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ServiceError(
      400,
      'INVALID_IDEMPOTENCY_KEY',
      'Idempotency-Key: 1 to 200 characters of letters, digits, _ - : .',
      'Idempotency-Key',
    );
  }
}

/** A batch (or group) in these states may still change: no retry or undo of it yet. */
export const ACTIVE_STATES: ReadonlySet<BatchState> = new Set(['running', 'paused']);

/** Refuses to retry or undo (`what`) a batch or group that is still running or paused. */
export function checkNotActive(batch: BatchRecord, what: 'retrying' | 'undoing'): void {
  if (ACTIVE_STATES.has(batch.state)) {
    throw new ServiceError(
      409,
      'INVALID_STATE',
      `the batch is still ${batch.state}: stop it or let it finish before ${what} it`,
    );
  }
}

/**
 * Refuses to retry a batch or group that is still active, or interrupted: its pending and unknown
 * IDs still belong to it, and a retry would send them a second time.
 */
export function checkRetriable(batch: BatchRecord): void {
  checkNotActive(batch, 'retrying');
  if (batch.state === 'interrupted') {
    throw new ServiceError(
      409,
      'INVALID_STATE',
      'the batch was interrupted: resume it instead (Resume batch), or stop it first',
    );
  }
}

/** The refusal of a retry that would carry no ID (`permanent`: the failed IDs it leaves out). */
export function nothingToRetry(permanent: number): ServiceError {
  return new ServiceError(
    409,
    'NOTHING_TO_RETRY',
    permanent > 0
      ? `nothing to retry: the ${permanent} failed IDs left failed for good (not found, or of another class); include permanent failures to send them again`
      : 'nothing to retry: no ID of this batch failed, stayed unknown or was skipped',
  );
}

/** The refusal of an undo of a batch or group that changed no link. */
export function nothingToUndo(): ServiceError {
  return new ServiceError(
    409,
    'NOTHING_TO_UNDO',
    'this batch changed no link (no ID succeeded): nothing to undo',
  );
}

/**
 * A batch (or group) is undone once: its undo is where the reverting happens (retry or resume it
 * if it did not finish), and undoing that undo re-does the original.
 */
export async function checkNotUndone(
  ledger: Pick<TxLedger, 'undoneBy'>,
  batchId: string,
): Promise<void> {
  const undoneBy = await ledger.undoneBy(batchId);
  if (undoneBy === null) return;
  throw new ServiceError(
    409,
    'ALREADY_UNDONE',
    `this batch was already undone by batch ${undoneBy}: open that batch (retry or resume it if it did not finish), or undo it to re-do this one`,
  );
}

const CONTROLS = {
  pause: 'paused',
  resume: 'resumed',
  cancel: 'stopped',
} as const satisfies Record<keyof BatchControls, string>;

export function createBatchService(deps: BatchServiceDeps) {
  const { stores, runner } = deps;
  const { ledger, records } = stores;

  /** The batch, or null (a malformed ID names no batch). */
  const get = async (batchId: string): Promise<BatchRecord | null> =>
    isUuid(batchId) ? ledger.getBatch(batchId) : null;

  /** A row's kind alone (one indexed read, no counts), or null when there is no such row. */
  const kindOf = async (id: string): Promise<BatchKind | null> => {
    const kind = batchKindSchema.safeParse((await stores.groups.kindOf(id))?.kind);
    return kind.success ? kind.data : null;
  };

  const found = async (batchId: string): Promise<BatchRecord> => {
    const batch = await get(batchId);
    if (!batch) throw new ServiceError(404, 'NOT_FOUND', 'no such batch');
    return batch;
  };

  /**
   * Creates a batch, once per idempotency key: the same key with the same request answers the
   * batch it created (`replayed`), with another request it is refused. A created batch that is
   * `running` is started.
   */
  const createOnce = async (
    ctx: BatchContext,
    request: unknown,
    create: (tx: TxStores) => Promise<BatchRecord>,
    lock?: string,
  ): Promise<Created> => {
    const recorded = await recordOnce(stores, ctx, request, create, lock);
    if (recorded.replayed) return recorded;
    const created = recorded.batch;
    if (created.state === 'running') {
      // Created with its source (credential_source): only this process's memory is told.
      if (ctx.identity) void deps.credentials?.assign(created.id, ctx.identity, { recorded: true });
      void runner.start(created.id);
    }
    return { batch: created, replayed: false };
  };

  /** A new batch on the same subject and related class as `original`, of `ids` (all pending). */
  const derivedBatch = (
    tx: TxStores,
    ctx: BatchContext,
    original: BatchRecord,
    o: {
      action: BatchAction;
      ids: readonly string[];
      reason: string;
      retryOf: string | null;
      undoOf: string | null;
    },
  ): Promise<BatchRecord> =>
    tx.ledger.createBatch({
      action: o.action,
      workspace_id: original.workspace_id,
      dataclass_type: original.dataclass_type,
      data_object_id: canonicalId(original.data_object_id),
      related_dataclass_type: original.related_dataclass_type,
      reason: o.reason,
      user: ctx.user,
      retry_of: o.retryOf,
      undo_of: o.undoOf,
      credential_source: ctx.identity?.source ?? null,
      duplicates: 0,
      // Canonical even when the original was recorded by an older console (upper-case UUIDs).
      items: o.ids.map((raw) => {
        const id = canonicalId(raw);
        return { id, idKey: idKey(id), state: 'pending', message: null };
      }),
    });

  /** Refuses an undo the batch's state forbids. */
  const checkUndoable = (batch: BatchRecord): void => {
    checkNotActive(batch, 'undoing');
    if (batch.counts.succeeded === 0) throw nothingToUndo();
  };

  /**
   * The batch as the transaction reads it (its row locked first on PostgreSQL): what was checked
   * before the transaction may have changed during the awaits since.
   */
  const reread = async (tx: TxStores, batchId: string): Promise<BatchRecord> => {
    const batch = await tx.ledger.getBatch(batchId);
    if (!batch) throw new ServiceError(404, 'NOT_FOUND', 'no such batch');
    return batch;
  };

  /**
   * A stopped batch's unknown IDs are still settled by the console's re-read (now or at the next
   * start): a retry leaves them out, or both batches could claim the same change.
   */
  const retriesUnknown = (batch: BatchRecord) => batch.state !== 'cancelled';

  const control = async (
    batchId: string,
    method: keyof BatchControls,
    identity?: CallIdentity,
  ): Promise<BatchRecord> => {
    const batch = await found(batchId);
    // A resumed batch runs on the credential of whoever resumed it from now on: recorded before
    // it runs again, so that a console that takes it (on a shared ledger) reads that one.
    if (
      method === 'resume' &&
      identity &&
      (batch.state === 'paused' || batch.state === 'interrupted')
    )
      await deps.credentials?.assign(batch.id, identity);
    if (!(await runner[method](batch.id))) {
      const now = (await ledger.getBatchState(batch.id)) ?? batch.state;
      throw new ServiceError(409, 'INVALID_STATE', `a ${now} batch cannot be ${CONTROLS[method]}`);
    }
    return (await ledger.getBatch(batch.id)) ?? batch;
  };

  return {
    get,

    /**
     * The summary as every batch answer carries it: the ledger's view, the batch it undoes, the
     * batch that undid it, and where its credential came from (`env-aksk`, `env-token`,
     * `session:<user>`; never the credential).
     */
    async present(s: BatchRecord): Promise<PresentedBatch> {
      const [groupKind, undoneBy] = await Promise.all([
        s.group_id === null ? null : kindOf(s.group_id),
        ledger.undoneBy(s.id),
      ]);
      return {
        ...s,
        undone_by: undoneBy,
        group_kind: groupKind,
        pace: runner.paceOf?.(s.id) ?? null,
      };
    },

    /**
     * A page of batches matching `filter` (history-filter.ts), newest first, each with `undo_of`
     * and `credential_source`.
     */
    list(offset: number, limit: number, filter: HistoryFilter = {}): Promise<BatchPage> {
      return ledger.listBatches(offset, limit, filter);
    },

    /** A new batch of `request.ids` (see `itemsOfIds`), started unless every ID is invalid. */
    async create(request: CreateBatchRequest, ctx: BatchContext): Promise<Created> {
      // Batches are never deleted: one found now is there when the batch is created.
      if (request.retry_of !== undefined && !(await ledger.getBatch(request.retry_of))) {
        throw new ServiceError(400, 'INVALID_BODY', 'retry_of: no such batch', 'retry_of');
      }
      const { items, duplicates } = itemsOfIds(request.ids);
      if (items.length === 0) {
        throw new ServiceError(400, 'INVALID_BODY', 'ids: every ID is blank', 'ids');
      }
      return createOnce(ctx, request, (tx) =>
        tx.ledger.createBatch({
          action: request.action,
          workspace_id: request.workspace_id,
          dataclass_type: request.dataclass_type,
          data_object_id: canonicalId(request.data_object_id),
          related_dataclass_type: request.related_dataclass_type,
          reason: request.reason?.trim() ? request.reason.trim() : null,
          user: ctx.user,
          retry_of: request.retry_of ?? null,
          // Recorded with the batch, so that no start can find it without its source.
          credential_source: ctx.identity?.source ?? null,
          duplicates,
          items,
        }),
      );
    },

    pause: (batchId: string) => control(batchId, 'pause'),
    /** Resumes the batch on `ctx.identity`'s credential (the environment's without one). */
    resume: (batchId: string, ctx?: Pick<BatchContext, 'identity'>) =>
      control(batchId, 'resume', ctx?.identity),
    /** User stop: the batch becomes `cancelled` and its unsent IDs `skipped`. */
    stop: (batchId: string) => control(batchId, 'cancel'),

    /** What a retry of the batch would carry by default and leave out. */
    async retryPreview(batchId: string): Promise<RetryPreview> {
      const batch = await found(batchId);
      const n = await records.retryCounts(batch.id);
      const unknown = retriesUnknown(batch) ? n.unknown : 0;
      return { ...n, unknown, ids: n.failed + unknown + n.skipped };
    },

    /**
     * A new batch of the same action on the IDs that did not succeed: failed with a transient or
     * unexplained cause (permanent failures with `include_permanent`), unknown (unless the batch
     * was stopped) and skipped.
     */
    async retry(batchId: string, options: RetryRequest, ctx: BatchContext): Promise<Created> {
      const original = await found(batchId);
      checkRetriable(original);
      const includePermanent = options.include_permanent ?? false;
      const ids = await records.retryIds(original.id, includePermanent, retriesUnknown(original));
      if (ids.length === 0) {
        throw nothingToRetry((await records.retryCounts(original.id)).permanent);
      }
      return createOnce(
        ctx,
        { retry_of: original.id, include_permanent: includePermanent },
        async (tx) => {
          // Read again in the transaction: resumed meanwhile, its IDs are its own again.
          const now = await reread(tx, original.id);
          checkRetriable(now);
          const retried = await tx.records.retryIds(now.id, includePermanent, retriesUnknown(now));
          if (retried.length === 0) {
            throw nothingToRetry((await tx.records.retryCounts(now.id)).permanent);
          }
          return derivedBatch(tx, ctx, now, {
            action: now.action,
            ids: retried,
            reason: now.reason ?? `Retry of batch ${now.id}`,
            retryOf: now.id,
            undoOf: null,
          });
        },
        original.id,
      );
    },

    /**
     * What an undo would do: the IDs it carries, and which of them SecMaster no longer links as
     * the batch left them, read through `upstream` (a failed read throws LookupError).
     */
    async undoPreview(
      batchId: string,
      upstream: Upstream,
      signal?: AbortSignal,
    ): Promise<UndoPreview> {
      const batch = await found(batchId);
      checkUndoable(batch);
      await checkNotUndone(ledger, batch.id);
      const ids = await records.idsInState(batch.id, 'succeeded');
      const linked = await findIds(
        upstream,
        {
          op: 'relationSearch',
          workspaceId: batch.workspace_id,
          dataclass: batch.dataclass_type,
          objectId: batch.data_object_id,
          related: batch.related_dataclass_type,
        },
        ids,
        'link check',
        signal,
      );
      // What the batch did no longer holds: an associated ID now unlinked, a cancelled one linked.
      const changed = ids.filter((id) => linked.has(idKey(id)) === (batch.action === 'cancel'));
      return {
        ids: ids.length,
        undo_action: batch.action === 'associate' ? 'cancel' : 'associate',
        // Left as they are: the batch found them already in the asked state and sent nothing.
        unchanged: batch.counts.unchanged,
        changed,
        changes_recorded: batch.changes_recorded,
        checked_at: new Date().toISOString(),
      };
    },

    /**
     * A new batch of the inverse action on exactly the IDs the batch changed (`succeeded`);
     * `unchanged` ones were already so before it and stay as they are.
     */
    async undo(batchId: string, options: UndoRequest, ctx: BatchContext): Promise<Created> {
      const original = await found(batchId);
      // A second undo is refused inside the creating transaction, not here: the same request
      // sent twice (one idempotency key) answers its batch, a new one is refused.
      checkUndoable(original);
      if (!original.changes_recorded && options.include_unrecorded !== true) {
        throw new ServiceError(
          409,
          'CHANGES_NOT_RECORDED',
          `this batch was recorded before the console tracked what each batch changed: its ${original.counts.succeeded} succeeded IDs may include links that were already so before it, and an undo would revert those too; send {"include_unrecorded": true} to undo it anyway`,
        );
      }
      return createOnce(
        ctx,
        { undo_of: original.id },
        async (tx) => {
          // Of two undo requests, the second finds the first's batch (its row locked first).
          await checkNotUndone(tx.ledger, original.id);
          // Resumed meanwhile (an interrupted batch), it is running again: not undone yet.
          const now = await reread(tx, original.id);
          checkUndoable(now);
          return derivedBatch(tx, ctx, now, {
            action: now.action === 'associate' ? 'cancel' : 'associate',
            ids: await tx.records.idsInState(now.id, 'succeeded'),
            reason: `Undo of batch ${now.id}`,
            retryOf: null,
            undoOf: now.id,
          });
        },
        original.id,
      );
    },
  };
}

export type BatchService = ReturnType<typeof createBatchService>;
