/**
 * Moves on PostgreSQL, where another console may run a move's first phase: a stop asked on this
 * console advances the move at once (`advanceNow`), and this console's runner knows nothing of the
 * other's calls. The second phase must wait, as `continueAll` does at start-up, until no call of a
 * stopped first phase is in flight or unknown (moves.ts `firstPhaseEnded`).
 */
import { afterEach, expect, test } from 'vitest';
import type { BatchControls } from './service';
import { createBatchService } from './service';
import { createGroupService } from './group-service';
import type { GroupRunner } from './groups';
import { makeIds } from '../testing/fake-upstream';
import { openPgTestStore } from '../testing/stores';

const WS = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
const SOURCE = 'c0ffee00-0000-4000-8000-000000000001';
const DESTINATION = 'c0ffee00-0000-4000-8000-000000000002';
const meta = { httpStatus: 200, requestId: 'r1', errorCode: null };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const succeeded = (ids: readonly string[]) =>
  ids.map((id) => ({ id, state: 'succeeded' as const, code: null, message: null }));
const sorted = (ids: Iterable<string>) => [...ids].sort();

test("a move stopped here while another console's call of its first phase is in flight: the second phase waits for the answer, then removes from the source every ID the first linked", async () => {
  const pg = await openPgTestStore();
  cleanups.push(() => pg.close());
  const { stores, store } = pg;
  // This console runs none of the move's batches (another console does: the claims below); its
  // controls write the states, as the runner's do.
  const runner: GroupRunner & BatchControls = {
    start: () => Promise.resolve(),
    whenIdle: () => Promise.resolve(),
    pause: (id) => store.transitionBatch(id, ['running'], 'paused', 'paused by the user'),
    resume: (id) => store.transitionBatch(id, ['paused', 'interrupted'], 'running', null),
    cancel: (id) => store.cancelBatch(id),
  };
  const batches = createBatchService({ stores, runner });
  const groups = createGroupService({ stores, runner, batches });
  const ids = makeIds(6);
  const { batch: move } = await groups.moves.create(
    {
      workspace_id: WS,
      dataclass_type: 'incidents',
      source_id: SOURCE,
      destination_id: DESTINATION,
      related_dataclass_type: 'alerts',
      ids,
    },
    { user: 'test' },
  );
  await groups.whenIdle(move.id);
  const [linkId = ''] = await groups.records.children(move.id);

  // The other console: a first call answered (linked), a second sent, its answer still to come.
  const first = await store.claimChunk(linkId, 2);
  if (!first) throw new Error('nothing claimed');
  await store.recordOutcome(first.callId, succeeded(first.ids), meta);
  const second = await store.claimChunk(linkId, 2);
  if (!second) throw new Error('nothing claimed');

  // The user stops the move here: its first phase is stopped (what was not sent is skipped) and
  // the move is advanced at once. The second call is still in flight: no second phase yet.
  await groups.control(move, 'stop');
  await groups.whenIdle(move.id);
  expect(await store.getBatch(linkId)).toMatchObject({
    state: 'cancelled',
    counts: { succeeded: 2, in_flight: 2, skipped: 2 },
  });
  expect(await groups.records.children(move.id)).toHaveLength(1);
  // Nor at a start-up meanwhile.
  expect(await groups.continueAll()).toBe(0);
  expect(await groups.records.children(move.id)).toHaveLength(1);

  // The answer reaches the other console (linked), whose run of the first phase then ends.
  await store.recordOutcome(second.callId, succeeded(second.ids), meta);
  groups.batchIdle(linkId);
  await groups.whenIdle(move.id);
  const [, unlinkId = ''] = await groups.records.children(move.id);
  expect(await store.getBatch(unlinkId)).toMatchObject({
    action: 'cancel',
    data_object_id: SOURCE,
    total: 4,
  });
  const removed = await store.listItems(unlinkId, { offset: 0, limit: 10 });
  expect(sorted(removed.items.map((i) => i.id))).toEqual(sorted([...first.ids, ...second.ids]));
});
