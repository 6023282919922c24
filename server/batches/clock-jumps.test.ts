/**
 * Clock jumps (NTP steps, a suspended VM, an operator's `date -s`): the wall clock the runner and
 * the ledger read leaps a day forward and back between calls. Every ID is still accounted for,
 * nothing is sent twice, and the batch ends; only its timestamps are wrong, as the clock was.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PROJECT_ID } from '../config';
import {
  startEmulator,
  type RunningEmulator,
  openEmulatorDb,
  SEED_WORKSPACES,
  seedEmulator,
  seedObjectIds,
} from 'secmaster-emulator';
import { createUpstream } from '../secmaster/client';
import { formatReport, checkInvariants, linkedIds } from '../testing/checker';
import { openLedger, type Ledger } from './ledger';
import { createRunner, onSqlite, type Runner } from './engine/runner';

const WS = SEED_WORKSPACES[0].id;
const DAY_MS = 24 * 60 * 60 * 1000;

let dir: string;
let emulator: RunningEmulator;
let emulatorDb: ReturnType<typeof openEmulatorDb>;
let ledger: Ledger;
let runner: Runner | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clock-'));
  emulatorDb = openEmulatorDb(join(dir, 'emulator.sqlite'));
  seedEmulator(emulatorDb, { alerts: 1200, incidents: 3, indicators: 3 });
  emulator = await startEmulator({ db: emulatorDb, projectId: DEMO_PROJECT_ID, port: 0 });
});

afterEach(async () => {
  await runner?.stop();
  runner = null;
  await emulator.close();
  ledger.close();
  emulatorDb.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the wall clock leaping a day forward and back mid-batch: every ID accounted for, the batch ends', async () => {
  // Each reading of the clock is a day ahead, then a day behind, then true, in turn.
  let readings = 0;
  const jumpy = () => {
    const offset = [DAY_MS, -DAY_MS, 0][readings++ % 3] ?? 0;
    return Date.now() + offset;
  };
  ledger = openLedger(join(dir, 'ledger.sqlite'), { now: () => new Date(jumpy()) });
  const upstream = createUpstream({
    endpoint: emulator.url,
    projectId: DEMO_PROJECT_ID,
    timeoutMs: 5_000,
  });
  runner = createRunner({
    ...onSqlite(ledger),
    upstream,
    concurrency: 2,
    backoffMs: () => 0,
    now: jumpy,
  });
  const subject = seedObjectIds(0, 'incidents', 3)[2] ?? '';
  const target = {
    workspaceId: WS,
    dataclass: 'incidents',
    objectId: subject,
    related: 'alerts',
  } as const;
  const linkedBefore = linkedIds(emulatorDb, target);
  const ids = seedObjectIds(0, 'alerts', 1200);
  const batch = ledger.createBatch({
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: subject,
    related_dataclass_type: 'alerts',
    reason: 'clock jumps',
    user: 'local',
    retry_of: null,
    duplicates: 0,
    items: ids.map((id) => ({ id, idKey: id, state: 'pending', message: null })),
  });
  await runner.start(batch.id);
  const done = ledger.getBatch(batch.id);
  expect(done?.state).toBe('done');
  expect(readings).toBeGreaterThan(20); // the clocks were read (and jumped) throughout
  expect(done?.counts).toMatchObject({ pending: 0, in_flight: 0, unknown: 0, failed: 0 });
  expect((done?.counts.succeeded ?? 0) + (done?.counts.unchanged ?? 0)).toBe(ids.length);
  const report = checkInvariants({
    ledger,
    batchId: batch.id,
    inputIds: ids,
    emulatorDb,
    linkedBefore,
  });
  expect(report.ok, formatReport(report)).toBe(true);
  // Each ID was sent at most once: no duplicate sends from a clock that seemed to stand still.
  const sent = ledger.db
    .prepare('SELECT ids_json FROM calls WHERE batch_id = ?')
    .all(batch.id)
    .flatMap((r) => JSON.parse((r as { ids_json: string }).ids_json) as string[]);
  expect(new Set(sent).size).toBe(sent.length);
  expect(linkedIds(emulatorDb, target).size).toBe(new Set([...linkedBefore, ...ids]).size);
});
