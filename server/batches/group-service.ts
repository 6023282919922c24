/**
 * The group operations in one place (groups.ts, pairs.ts, moves.ts), for the HTTP routes
 * (group-routes.ts) and the console's wiring (console.ts: the runner tells it when a batch's run
 * ends, and start-up continues the moves a stop left between their two phases).
 */
import type { CallIdentity } from '../access/credentials';
import { controlGroup, createGroupKit, type GroupControl, type GroupDeps } from './groups';
import type { BatchRecord } from './ledger';
import type { PresentedBatch } from './service';
import { createMoves } from './moves';
import { createPairs } from './pairs';

export function createGroupService(deps: GroupDeps) {
  const kit = createGroupKit(deps);
  const pairs = createPairs(kit);
  const moves = createMoves(kit);
  return {
    kit,
    pairs,
    moves,
    records: kit.groupRecords,
    /** Any row: a batch, a pairs group or a move (null when there is none). */
    get: (id: string): Promise<BatchRecord | null> => deps.batches.get(id),
    /** The summary of any row, as its kind is shown. */
    present(record: BatchRecord): Promise<PresentedBatch> {
      if (record.kind === 'pairs') return pairs.present(record);
      if (record.kind === 'move') return moves.present(record);
      return deps.batches.present(record);
    },
    /** Pause, resume or stop a group's children (a move goes on to its second phase). */
    async control(group: BatchRecord, method: GroupControl, identity?: CallIdentity) {
      await controlGroup(kit, group, method, identity);
      if (method === 'resume' && identity) kit.remember(group.id, identity);
      if (group.kind === 'move') moves.advanceLater(group.id);
      return (await deps.stores.ledger.getBatch(group.id)) ?? group;
    },
    /** A group's batch was paused, resumed or stopped on its own: its move may go on. */
    childChanged: (batchId: string): void => moves.batchIdle(batchId),
    batchIdle: (batchId: string) => moves.batchIdle(batchId),
    /**
     * Resolves when no child of the group is being run and no phase is being added (at once if
     * none is): a move whose first phase ends meanwhile is waited for through its second.
     */
    async whenIdle(groupId: string): Promise<void> {
      for (;;) {
        await kit.whenRun(groupId);
        const children = await kit.groupRecords.children(groupId);
        await Promise.all(children.map((id) => deps.runner.whenIdle(id)));
        // A run's end is told to `batchIdle`, which reads whether the batch is a move's first.
        await moves.idleChecked();
        const advancing = moves.whenAdvanced(groupId);
        if (advancing) {
          await advancing;
          continue;
        }
        if ((await kit.groupRecords.children(groupId)).length === children.length) return;
      }
    },
    continueAll: () => moves.continueAll(),
    close: () => moves.close(),
  };
}

export type GroupService = ReturnType<typeof createGroupService>;
