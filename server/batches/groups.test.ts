/**
 * How a group hands its children to the runner (groups.ts startChildren): a few at a time, the
 * next when one stops, every running child once, and whenRun waits for all of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { makeIds } from '../testing/fake-upstream';
import { CHILDREN_AT_ONCE, createGroupKit, type GroupDeps } from './groups';
import { openLedger, type Ledger } from './ledger';

let dir: string;
let ledger: Ledger;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'groups-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const common = {
  action: 'associate' as const,
  workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
  dataclass_type: 'incidents' as const,
  related_dataclass_type: 'alerts' as const,
  reason: null,
  user: 'local',
  retry_of: null,
  duplicates: 0,
};

/** Lets every promise callback queued so far run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a group’s running children go to the runner a few at a time, the next when one stops, each once', async () => {
  const n = CHILDREN_AT_ONCE * 2 + 3;
  const group = ledger.createBatch({ ...common, kind: 'pairs', data_object_id: '', items: [] }).id;
  const subjects = makeIds(n);
  const children = subjects.map(
    (subject, i) =>
      ledger.createBatch({
        ...common,
        group_id: group,
        data_object_id: subject,
        items: [{ id: `a${String(i)}`, idKey: `a${String(i)}`, state: 'pending', message: null }],
      }).id,
  );
  // Stopped before its turn: not handed to the runner.
  const stopped = children[CHILDREN_AT_ONCE + 1] ?? '';
  ledger.cancelBatch(stopped);

  const started: string[] = [];
  const running = new Map<string, () => void>();
  let peak = 0;
  const runner: GroupDeps['runner'] = {
    start(id) {
      started.push(id);
      return new Promise<void>((resolve) => {
        running.set(id, () => {
          running.delete(id);
          resolve();
        });
        peak = Math.max(peak, running.size);
      });
    },
    whenIdle: () => Promise.resolve(),
  };
  const kit = createGroupKit({
    ledger,
    runner,
    records: {} as GroupDeps['records'],
    batches: {} as GroupDeps['batches'],
  });
  kit.startChildren(group, undefined);
  expect(started).toEqual(children.slice(0, CHILDREN_AT_ONCE));
  let allRun = false;
  void kit.whenRun(group).then(() => {
    allRun = true;
  });
  // The children stop in any order; each stop lets the next one in.
  while (running.size > 0) {
    const last = [...running.values()].at(-1);
    last?.();
    await settle();
    if (running.size === 0) break;
    expect(allRun).toBe(false);
  }
  expect(allRun).toBe(true);
  expect(started).toEqual(children.filter((id) => id !== stopped));
  expect(peak).toBe(CHILDREN_AT_ONCE);
});
