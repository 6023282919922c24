/**
 * F1: the real server process killed with SIGKILL in the middle of a 2,000-ID batch, restarted on
 * the same DATA_DIR, drained; I1–I5 checked against the ledger and the emulator's SQLite file.
 * (F10, a second server on the same DATA_DIR: two-servers.test.ts.)
 */
import { afterEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { formatReport } from '../testing/checker';
import {
  checkFiles,
  emulatorLinks,
  kill9,
  pollBatch,
  postBatch,
  startServer,
  stopServer,
  type ServerProcess,
} from '../testing/process-harness';

const procs: ServerProcess[] = [];
let dir = '';
afterEach(async () => {
  for (const p of procs.splice(0)) await stopServer(p);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('F1 kill -9 mid-batch, restart, drain: every ID accounted for, ledger equals the emulator', async () => {
  dir = mkdtempSync(join(tmpdir(), 'kill-'));
  const env = {
    DATA_DIR: dir,
    EMULATOR_FAULTS: JSON.stringify({ seed: 3, latency_ms: 60, p500: 0.05 }),
    BATCH_CALL_TIMEOUT_MS: '2000',
  };
  const ids = seedObjectIds(0, 'alerts', 2000);
  const [subject] = seedObjectIds(0, 'incidents', 7).slice(6);
  const first = await startServer(env);
  procs.push(first);
  const linkedBefore = emulatorLinks(dir, subject ?? '');
  expect(linkedBefore.size).toBeGreaterThan(0); // some IDs are unchanged: I8 has work to do
  const batch = await postBatch(first.url, {
    action: 'associate',
    workspace_id: SEED_WORKSPACES[0].id,
    dataclass_type: 'incidents',
    data_object_id: subject,
    related_dataclass_type: 'alerts',
    ids,
  });
  await pollBatch(first.url, batch.id, (b) => b.counts.succeeded >= 500, 60_000);
  await kill9(first);

  const second = await startServer(env);
  procs.push(second);
  const done = await pollBatch(second.url, batch.id, (b) => b.state !== 'running', 90_000);
  await stopServer(second);
  expect(done.state).toBe('done');
  const { report, figures } = checkFiles(dir, batch.id, ids, linkedBefore);
  expect(report.ok, formatReport(report)).toBe(true);
  expect(figures.counts).toMatchObject({ pending: 0, in_flight: 0, unknown: 0, failed: 0 });
  // IDs linked before the batch are unchanged (never sent); I8 checks which in the report.
  expect(figures.counts.succeeded + figures.counts.unchanged).toBe(2000);
}, 120_000);
