/**
 * Moves (`POST /api/moves`): IDs linked to one subject (the source) are linked to another (the
 * destination) instead. A move is a group of two ordinary batches:
 *
 * 1. the link batch: associate the IDs with the destination;
 * 2. the unlink batch, created when the link batch has ended (done or stopped; an interrupted
 *    link batch waits to be resumed), in its own transaction: cancel from the source exactly the IDs the link batch left `succeeded`
 *    or `unchanged`, i.e. linked to the destination. An ID is never removed from the source
 *    unless it is linked to the destination, and is never left linked nowhere.
 *
 * The second phase is created by `advance`, called when a link batch's run ends (the runner's
 * onIdle), after a user's stop, and at start-up for a move whose first phase ended before a
 * crash (`continueAll`): a crash between the two phases loses nothing. It is created in one
 * transaction with the move's row locked first (`advanceNow`), which checks it is not there yet
 * and that the first phase has ended (`firstPhaseEnded`: a stopped one with calls in flight or
 * unknown waits for them): two advances of one move (a stop and the run's end; two consoles on
 * PostgreSQL) make one.
 *
 * Undo makes a move back (`undo_of`): its first phase re-links with the source the IDs the unlink
 * batch removed (the undo of that batch), its second removes from the destination the IDs the
 * link batch linked (the undo of that batch), except those whose re-link failed. An ID that was
 * already at the destination before the move stays there.
 */
import { z } from 'zod';
import {
  MAX_BATCH_IDS,
  MAX_TOKEN_LENGTH,
  canonicalId,
  dataclassTypeSchema,
  idKey,
  idSchema,
  type UndoRequest,
} from '../../src/api/schemas';
import { ACTIVE_STATES, type GroupKit, type MoveSummary } from './groups';
import type { MovePhases } from './group-records';
import type { BatchRecord } from './ledger';
import { ServiceError, itemsOfIds, type BatchContext, type Created } from './service';
import type { TxStores } from '../db/service-stores';

export const createMoveRequestSchema = z.strictObject({
  workspace_id: idSchema,
  dataclass_type: dataclassTypeSchema,
  source_id: idSchema,
  destination_id: idSchema,
  related_dataclass_type: dataclassTypeSchema,
  ids: z
    .array(z.string().max(MAX_TOKEN_LENGTH, `an ID is longer than ${MAX_TOKEN_LENGTH} characters`))
    .min(1, 'at least one ID is required')
    .max(MAX_BATCH_IDS, `at most ${MAX_BATCH_IDS} IDs per move`),
  reason: z.string().max(1000).optional(),
});
export type CreateMoveRequest = z.infer<typeof createMoveRequestSchema>;

/**
 * Whether a move's first phase has ended so that its second may be made: done, or stopped with no
 * call of it still in flight or of unknown outcome. An interrupted first phase waits to be resumed
 * (a second phase made now would leave at the source the IDs it links later). A stopped one whose
 * calls were in flight when it was stopped waits for their answers (on PostgreSQL perhaps another
 * console's, which this console's runner knows nothing of), or for the re-read of what a crash left
 * unknown: the end of that run advances it. Made before, the second phase would keep at the
 * source the IDs those calls link to the destination.
 */
function firstPhaseEnded(link: BatchRecord): boolean {
  if (link.state === 'done') return true;
  return link.state === 'cancelled' && link.counts.unknown + link.counts.in_flight === 0;
}

/** A move's two phases: the link batch (associate) and, once created, the unlink batch (cancel). */
function phasesOf(children: readonly BatchRecord[]): {
  link: BatchRecord | null;
  unlink: BatchRecord | null;
} {
  return {
    link: children.find((c) => c.action === 'associate') ?? null,
    unlink: children.find((c) => c.action === 'cancel') ?? null,
  };
}

export function createMoves(kit: GroupKit) {
  const { stores, batches, runner } = kit.deps;
  const log = kit.deps.log ?? (() => undefined);
  /** Set when the console closes: a phase 1 that ends then is continued by the next start. */
  let closed = false;

  const pending = (ids: readonly string[]) =>
    ids.map((raw) => {
      const id = canonicalId(raw);
      return { id, idKey: idKey(id), state: 'pending' as const, message: null };
    });

  /** A move row and its link batch (`ids` items), in `tx`'s transaction. */
  const moveWithLink = async (
    tx: TxStores,
    ctx: BatchContext,
    m: {
      like: Pick<BatchRecord, 'workspace_id' | 'dataclass_type' | 'related_dataclass_type'>;
      source: string;
      destination: string;
      reason: string | null;
      undo_of: string | null;
      linkUndoOf: string | null;
      items: ReturnType<typeof itemsOfIds>['items'];
      duplicates: number;
    },
  ): Promise<BatchRecord> => {
    const common = {
      workspace_id: m.like.workspace_id,
      dataclass_type: m.like.dataclass_type,
      related_dataclass_type: m.like.related_dataclass_type,
      reason: m.reason,
      user: ctx.user,
      retry_of: null,
      credential_source: ctx.identity?.source ?? null,
    };
    const row = await tx.ledger.createBatch({
      ...common,
      kind: 'move',
      action: 'associate',
      data_object_id: m.source,
      destination_id: m.destination,
      undo_of: m.undo_of,
      total: m.items.length,
      duplicates: m.duplicates,
      items: [],
    });
    await tx.ledger.createBatch({
      ...common,
      group_id: row.id,
      action: 'associate',
      data_object_id: m.destination,
      undo_of: m.linkUndoOf,
      duplicates: m.duplicates,
      items: m.items,
    });
    return (await tx.ledger.getBatch(row.id)) ?? row;
  };

  /**
   * The IDs the second phase removes from the source: those the link batch left linked to the
   * destination; for a move back (an undo), those the original link batch linked, except the ones
   * this move's first phase could not put back at the source.
   */
  const unlinkIds = async (
    tx: TxStores,
    move: BatchRecord,
    link: BatchRecord,
  ): Promise<string[]> => {
    if (move.undo_of === null) return tx.groups.idsInStates(link.id, ['succeeded', 'unchanged']);
    const original = phasesOf(await kit.children(move.undo_of, tx)).link;
    if (!original) return [];
    const notBack = new Set(
      (
        await tx.groups.idsInStates(link.id, [
          'failed',
          'unknown',
          'skipped',
          'pending',
          'in_flight',
          'invalid',
        ])
      ).map(idKey),
    );
    return (await tx.records.idsInState(original.id, 'succeeded')).filter(
      (id) => !notBack.has(idKey(id)),
    );
  };

  /**
   * Creates the second phase of a move whose link batch has ended, once: in one transaction that
   * checks it does not exist yet, with the move's row locked first (on PostgreSQL two consoles, or
   * two advances of one, take turns; the second finds the first's). Returns the unlink batch
   * created, or null.
   */
  const advanceNow = (moveId: string): Promise<BatchRecord | null> =>
    stores.transaction(
      async (tx) => {
        const move = await tx.ledger.getBatch(moveId);
        if (!move || move.kind !== 'move') return null;
        const { link, unlink } = phasesOf(await kit.children(moveId, tx));
        // Read under the move's lock: a stop by another console, its calls still in flight, shows.
        if (!link || unlink || !firstPhaseEnded(link)) return null;
        // A move back removes what the original's link batch added: it is the undo of that batch.
        const originalLink =
          move.undo_of === null ? null : phasesOf(await kit.children(move.undo_of, tx)).link;
        return tx.ledger.createBatch({
          action: 'cancel',
          workspace_id: move.workspace_id,
          dataclass_type: move.dataclass_type,
          data_object_id: move.data_object_id,
          related_dataclass_type: move.related_dataclass_type,
          reason: move.reason,
          user: move.user,
          retry_of: null,
          undo_of: originalLink?.id ?? null,
          credential_source: await tx.ledger.credentialSourceOf(link.id),
          // And the IAM session it recorded (SESSION_KEY): a console that never saw the session
          // (a restart, a takeover) runs this phase on it, as it ran the first.
          credential_session: await tx.ledger.credentialSessionOf(link.id),
          group_id: move.id,
          duplicates: 0,
          items: pending(await unlinkIds(tx, move, link)),
        });
      },
      { lock: moveId },
    );

  const startUnlink = (moveId: string, unlink: BatchRecord | null): void => {
    if (unlink?.state !== 'running') return;
    const identity = kit.identityOf(moveId);
    if (identity) void kit.deps.credentials?.assign(unlink.id, identity, { recorded: true });
    void runner.start(unlink.id);
  };

  /**
   * Once the link batch is not being run any more (a stopped batch's unknown IDs are re-read
   * first), creates and starts the second phase.
   */
  const advance = async (moveId: string): Promise<void> => {
    const link = phasesOf(await kit.children(moveId)).link;
    if (!link) return;
    await runner.whenIdle(link.id);
    if (closed) return;
    startUnlink(moveId, await advanceNow(moveId));
  };

  /** Advances in progress, per move (what `whenAdvanced` waits for). */
  const advancing = new Map<string, Promise<void>>();
  /**
   * `batchIdle` checks still reading whether the batch is a move's: `idleChecked` waits for them,
   * so that a wait for a move (group-service.ts `whenIdle`) sees the advance they start.
   */
  const checking = new Set<Promise<void>>();

  /** `advance` in the background (its failure is logged: the next start continues the move). */
  const advanceLater = (moveId: string): void => {
    const p = advance(moveId)
      .catch((err: unknown) => {
        log(`move ${moveId}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        if (advancing.get(moveId) === p) advancing.delete(moveId);
      });
    advancing.set(moveId, p);
  };

  const phases = async (move: BatchRecord): Promise<MovePhases & { link: BatchRecord | null }> => {
    const { link, unlink } = phasesOf(await kit.children(move.id));
    return {
      link,
      linkId: link?.id ?? '',
      unlinkId: unlink?.id ?? null,
      running: ACTIVE_STATES.has(move.state),
    };
  };

  /**
   * Whether any ID of the move's phases is not settled yet (see `undo`): an ID whose removal from
   * the source is unknown (or still to come) may be gone from it.
   */
  const unsettled = (phase: { link: BatchRecord | null; unlink: BatchRecord | null }) =>
    [phase.link, phase.unlink].some(
      (b) =>
        b !== null &&
        (b.state === 'interrupted' ||
          ACTIVE_STATES.has(b.state) ||
          b.counts.pending + b.counts.in_flight + b.counts.unknown > 0),
    );
  const UNSETTLED =
    'some IDs of this move are not settled yet (a phase is interrupted, or an outcome is still unknown): resume the move, or wait for the re-read, before undoing it';

  return {
    phases,

    async present(move: BatchRecord): Promise<MoveSummary> {
      const p = await phases(move);
      const [presented, results] = await Promise.all([
        batches.present(move),
        kit.groupRecords.moveResults(p),
      ]);
      return {
        ...presented,
        source_id: move.data_object_id,
        destination_id: move.destination_id ?? '',
        link_batch_id: p.link?.id ?? null,
        unlink_batch_id: p.unlinkId,
        results,
      };
    },

    /** A new move: its link batch is created with it and started. */
    async create(request: CreateMoveRequest, ctx: BatchContext): Promise<Created> {
      const source = canonicalId(request.source_id);
      const destination = canonicalId(request.destination_id);
      if (idKey(source) === idKey(destination)) {
        throw new ServiceError(
          400,
          'INVALID_BODY',
          'destination_id: must differ from source_id',
          'destination_id',
        );
      }
      const { items, duplicates } = itemsOfIds(request.ids);
      if (items.length === 0) {
        throw new ServiceError(400, 'INVALID_BODY', 'ids: every ID is blank', 'ids');
      }
      const created = await kit.createOnce(ctx, { move: request }, (tx) =>
        moveWithLink(tx, ctx, {
          like: request,
          source,
          destination,
          reason: request.reason?.trim() ? request.reason.trim() : null,
          undo_of: null,
          linkUndoOf: null,
          items,
          duplicates,
        }),
      );
      // Every ID invalid: nothing to link, the (empty) second phase follows at once.
      if (!created.replayed) advanceLater(created.batch.id);
      return created;
    },

    advance,
    advanceLater,
    /** The advance in progress for this move, if any. */
    whenAdvanced: (moveId: string): Promise<void> | undefined => advancing.get(moveId),
    /** Resolves once the `batchIdle` checks in progress have started the advances they start. */
    async idleChecked(): Promise<void> {
      while (checking.size > 0) await Promise.all([...checking]);
    },

    /**
     * Start-up (before the runner resumes what is running): the second phase of every move whose
     * first phase ended before the server stopped. A link batch stopped with unknown IDs is left
     * to the runner's re-read, whose end advances it.
     */
    async continueAll(): Promise<number> {
      let n = 0;
      for (const id of await kit.groupRecords.movesWaiting()) {
        // (advanceNow checks it again, in its transaction.)
        const link = phasesOf(await kit.children(id)).link;
        if (!link || !firstPhaseEnded(link)) continue;
        if (await advanceNow(id)) n++;
      }
      if (n > 0) log(`${n} move(s) continued with their second phase`);
      return n;
    },

    close(): void {
      closed = true;
    },

    /** A batch's run ended: if it is a move's link batch, the move goes on. */
    batchIdle(batchId: string): void {
      if (closed) return;
      const check = (async () => {
        // Two one-row reads (no counts): told at the end of every batch's run.
        const groupId = (await kit.groupRecords.kindOf(batchId))?.group_id ?? null;
        if (groupId === null || (await kit.groupRecords.kindOf(groupId))?.kind !== 'move') return;
        if (!closed) advanceLater(groupId);
      })()
        .catch((err: unknown) => {
          log(`batch ${batchId}: ${err instanceof Error ? err.message : String(err)}`);
        })
        .finally(() => checking.delete(check));
      checking.add(check);
    },

    /** A move back (`undo_of`): see the module comment. */
    async undo(move: BatchRecord, _options: UndoRequest, ctx: BatchContext): Promise<Created> {
      if (ACTIVE_STATES.has(move.state)) {
        throw new ServiceError(
          409,
          'INVALID_STATE',
          `the move is still ${move.state}: stop it or let it finish before undoing it`,
        );
      }
      const phase = phasesOf(await kit.children(move.id));
      // Every ID settled first: an ID whose removal from the source is unknown (or still to come)
      // may be gone from it, and the undo, which re-links only what it knows it removed, would
      // then remove it from the destination too, leaving it linked to nothing.
      if (unsettled(phase)) throw new ServiceError(409, 'INVALID_STATE', UNSETTLED);
      const linked = phase.link ? phase.link.counts.succeeded : 0;
      const removed = phase.unlink
        ? await stores.records.idsInState(phase.unlink.id, 'succeeded')
        : [];
      if (linked === 0 && removed.length === 0) {
        throw new ServiceError(
          409,
          'NOTHING_TO_UNDO',
          'this move changed no link: nothing to undo',
        );
      }
      const created = await kit.createOnce(
        ctx,
        { undo_of: move.id },
        async (tx) => {
          const undoneBy = await tx.ledger.undoneBy(move.id);
          if (undoneBy !== null) {
            throw new ServiceError(
              409,
              'ALREADY_UNDONE',
              `this move was already undone by move ${undoneBy}: open that move, or undo it to re-do this one`,
            );
          }
          // Read again under the move's lock: a phase resumed meanwhile is not settled any more.
          const now = phasesOf(await kit.children(move.id, tx));
          if (unsettled(now)) throw new ServiceError(409, 'INVALID_STATE', UNSETTLED);
          return moveWithLink(tx, ctx, {
            like: move,
            source: move.destination_id ?? '',
            destination: move.data_object_id,
            reason: `Undo of move ${move.id}`,
            undo_of: move.id,
            linkUndoOf: now.unlink?.id ?? null,
            items: pending(
              now.unlink ? await tx.records.idsInState(now.unlink.id, 'succeeded') : [],
            ),
            duplicates: 0,
          });
        },
        move.id,
      );
      if (!created.replayed) advanceLater(created.batch.id);
      return created;
    },
  };
}

export type MovesService = ReturnType<typeof createMoves>;
