/**
 * A group's children run a few at a time (the runner's CHILDREN_AT_ONCE per group), the next when
 * one stops, whichever way they start: a new group (groups.ts startChildren), a group resumed
 * (controlGroup), start-up recovery (runner.resumeAll). Counted with the real runner: a child runs
 * from its run loop's first ledger write (strandInFlight) to the runner's onIdle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createUpstream } from '../secmaster/client';
import { startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream';
import { createRunner, onSqlite, type Runner } from './engine/runner';
import { CHILDREN_AT_ONCE, controlGroup, createGroupKit, type GroupDeps } from './groups';
import { openLedger, type Ledger } from './ledger';
import { ServiceError } from './service';
import { newPairsGroup } from '../testing/batches';
import { sqliteServiceStores } from '../db/service-stores';

let dir: string;
let ledger: Ledger;
let fake: FakeUpstream;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'groups-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  fake = await startFakeUpstream();
});
afterEach(async () => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  await fake.close();
});

/** A pairs group of `n` children, one ID each (running, not started). */
const groupOf = (n: number) => newPairsGroup(ledger, n);

/** The real runner, counting the children running at once (and each child's runs). */
function countingRunner(): { runner: Runner; peak: () => number; runs: Map<string, number> } {
  const running = new Set<string>();
  const runs = new Map<string, number>();
  let peak = 0;
  const strand = ledger.strandInFlight;
  ledger.strandInFlight = (batchId) => {
    running.add(batchId);
    runs.set(batchId, (runs.get(batchId) ?? 0) + 1);
    peak = Math.max(peak, running.size);
    return strand(batchId);
  };
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: createUpstream({
      endpoint: fake.url,
      projectId: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
      timeoutMs: 2_000,
      authToken: 'tok',
    }),
    concurrency: 16,
    onIdle: (batchId) => running.delete(batchId),
  });
  return { runner, peak: () => peak, runs };
}

function kitOf(runner: Runner) {
  const batches = {
    async resume(id: string) {
      if (!(await runner.resume(id))) throw new ServiceError(409, 'INVALID_STATE', 'not resumable');
    },
    async pause(id: string) {
      if (!(await runner.pause(id))) throw new ServiceError(409, 'INVALID_STATE', 'not pausable');
    },
  };
  return createGroupKit({
    stores: sqliteServiceStores(ledger),
    runner,
    batches: batches as unknown as GroupDeps['batches'],
  });
}

test('a new group’s children run a few at a time, the next when one stops, each once; whenRun waits for all', async () => {
  const { group, children } = groupOf(CHILDREN_AT_ONCE * 2 + 3);
  // Stopped before its turn: never run.
  const stopped = children[CHILDREN_AT_ONCE + 1] ?? '';
  ledger.cancelBatch(stopped);
  const { runner, peak, runs } = countingRunner();
  const kit = kitOf(runner);
  await kit.startChildren(group, undefined);
  await kit.whenRun(group);
  expect(peak()).toBe(CHILDREN_AT_ONCE);
  expect(children.filter((id) => runs.get(id) !== 1)).toEqual([stopped]);
  expect(children.filter((id) => ledger.getBatchState(id) !== 'done')).toEqual([stopped]);
  expect(ledger.getBatchState(group)).toBe('cancelled');
});

test('resuming a paused group of 100 children never runs more than CHILDREN_AT_ONCE of them at once', async () => {
  const { group, children } = groupOf(100);
  for (const id of children)
    ledger.transitionBatch(id, ['running'], 'paused', 'paused by the user');
  expect(ledger.getBatchState(group)).toBe('paused');
  const { runner, peak, runs } = countingRunner();
  const kit = kitOf(runner);
  const record = ledger.getBatch(group);
  if (!record) throw new Error('group');
  await controlGroup(kit, record, 'resume', undefined);
  await Promise.all(children.map((id) => runner.whenIdle(id)));
  expect(peak()).toBe(CHILDREN_AT_ONCE);
  expect(children.every((id) => runs.get(id) === 1)).toBe(true);
  expect(ledger.getBatch(group)).toMatchObject({ state: 'done', counts: { succeeded: 100 } });
});

test('start-up recovery runs a group’s 100 running children CHILDREN_AT_ONCE at a time', async () => {
  const { group, children } = groupOf(100);
  const { runner, peak, runs } = countingRunner();
  await runner.resumeAll();
  expect(peak()).toBe(CHILDREN_AT_ONCE);
  expect(children.every((id) => runs.get(id) === 1)).toBe(true);
  expect(ledger.getBatch(group)).toMatchObject({ state: 'done', counts: { succeeded: 100 } });
});
