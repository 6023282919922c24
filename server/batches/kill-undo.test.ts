/**
 * kill -9 during an undo: the real server process is killed while its undo batch is removing the
 * links a batch made; after a restart on the same DATA_DIR the undo finishes, and the subject
 * holds exactly the links it had before the original batch — those that existed before stay.
 */
import { afterEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchSummarySchema } from '../../src/api/schemas';
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

const WS = SEED_WORKSPACES[0].id;

const procs: ServerProcess[] = [];
let dir = '';
afterEach(async () => {
  for (const p of procs.splice(0)) await stopServer(p);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('kill -9 during an undo, restart: the undo finishes and reverts exactly what the batch changed', async () => {
  dir = mkdtempSync(join(tmpdir(), 'kill-undo-'));
  const env = {
    DATA_DIR: dir,
    EMULATOR_FAULTS: JSON.stringify({ seed: 5, latency_ms: 60 }),
    BATCH_CALL_TIMEOUT_MS: '2000',
  };
  const ids = seedObjectIds(0, 'alerts', 1200);
  const [subject = ''] = seedObjectIds(0, 'incidents', 8).slice(7);
  const first = await startServer(env);
  procs.push(first);
  const linkedBefore = emulatorLinks(dir, subject);
  expect(linkedBefore.size).toBeGreaterThan(0); // some links exist before: the undo must keep them
  const original = await postBatch(first.url, {
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: subject,
    related_dataclass_type: 'alerts',
    ids,
  });
  const done = await pollBatch(first.url, original.id, (b) => b.state !== 'running', 60_000);
  expect(done.state).toBe('done');
  const changed = ids.filter((id) => !linkedBefore.has(id));
  expect(done.counts.succeeded).toBe(changed.length);

  const res = await fetch(`${first.url}/api/batches/${original.id}/undo`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'kill-undo' },
  });
  expect(res.status).toBe(201);
  const undo = batchSummarySchema.parse(await res.json());
  expect(undo.total).toBe(changed.length);
  await pollBatch(first.url, undo.id, (b) => b.counts.succeeded >= 200, 60_000);
  await kill9(first);

  const second = await startServer(env);
  procs.push(second);
  const undone = await pollBatch(second.url, undo.id, (b) => b.state !== 'running', 90_000);
  await stopServer(second);
  expect(undone.state).toBe('done');
  expect(undone.counts).toMatchObject({ pending: 0, in_flight: 0, unknown: 0, failed: 0 });
  expect(undone.counts.succeeded).toBe(changed.length);
  // The subject holds exactly the links it had before the original batch.
  expect([...emulatorLinks(dir, subject)].sort()).toEqual([...linkedBefore].sort());
  const linkedBeforeUndo = new Set([...linkedBefore, ...changed]);
  const { report } = checkFiles(dir, undo.id, changed, linkedBeforeUndo);
  expect(report.ok, formatReport(report)).toBe(true);
}, 150_000);
