/**
 * The group commit of call outcomes (ledger.queueOutcome, used by call-chain.ts): an outcome is in
 * the file only once the ledger's next write (or the end of its turn) commits it, together with
 * that write; a crash before then leaves the call's IDs in flight, re-read at the next start.
 */
import { afterEach, expect, test } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  openEmulatorDb,
  seedEmulator,
  seedObjectIds,
  SEED_WORKSPACES,
  startEmulator,
} from 'secmaster-emulator';
import { DEMO_PROJECT_ID } from '../../config';
import { createUpstream } from '../../secmaster/client';
import { linkedIds } from '../../testing/checker';
import { newBatch } from '../../testing/batches';
import { makeIds } from '../../testing/fake-upstream';
import { MSG_CONFIRMED, openLedger, type Ledger } from '../ledger';
import { createRunner, onSqlite } from './runner';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openAt(file: string): Ledger {
  const ledger = openLedger(file);
  cleanups.push(() => ledger.close());
  return ledger;
}

const meta = { httpStatus: 200, requestId: 'r1', errorCode: null };
const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

/** The items' states as another connection (another process) reads them from the file. */
function statesInFile(file: string, batchId: string): Record<string, number> {
  const other = new Database(file, { readonly: true });
  try {
    const rows = other
      .prepare(`SELECT state, COUNT(*) AS n FROM items WHERE batch_id = ? GROUP BY state`)
      .all(batchId) as { state: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  } finally {
    other.close();
  }
}

/** Every ID of a call succeeded. */
const succeeded = (ids: readonly string[]) =>
  ids.map((id) => ({ id, state: 'succeeded' as const, code: null, message: null }));

/** A ledger in a temporary folder with a batch of 3 IDs (`a`), its one call claimed. */
function withCall() {
  const file = join(tempDir(), 'ledger.sqlite');
  const ledger = openAt(file);
  const a = newBatch(ledger, { ids: makeIds(3), subject: SUBJECT }).id;
  const call = ledger.claimChunk(a, 100);
  if (!call) throw new Error('claim');
  return { file, ledger, a, call };
}

test('a queued outcome reaches the file with the next write, in its transaction, and only then resolves', async () => {
  const { file, ledger, a, call } = withCall();
  const b = newBatch(ledger, { ids: makeIds(2, 'b'), subject: SUBJECT }).id;
  let told: number | null = null;
  const queued = ledger.queueOutcome(call.callId, succeeded(call.ids), meta);
  void queued.then((n) => {
    told = n;
  });
  // Not committed yet: the file still says in flight (a crash now means a re-read).
  expect(statesInFile(file, a)).toEqual({ in_flight: 3 });
  expect(ledger.counts(a).in_flight).toBe(3);
  // The next write (another batch's intent) carries it.
  const next = ledger.claimChunk(b, 100);
  expect(next?.ids).toHaveLength(2);
  expect(statesInFile(file, a)).toEqual({ succeeded: 3 });
  expect(statesInFile(file, b)).toEqual({ in_flight: 2 });
  expect(ledger.counts(a).succeeded).toBe(3);
  expect(await queued).toBe(3);
  expect(told).toBe(3);
  // Not finished: `finish` was not asked.
  expect(ledger.getBatchState(a)).toBe('running');
});

test('a queued outcome with no write after it commits on its own at the end of the turn; `finish` ends a drained batch', async () => {
  const file = join(tempDir(), 'ledger.sqlite');
  const ledger = openAt(file);
  const ids = makeIds(3);
  const drained = newBatch(ledger, { ids, subject: SUBJECT }).id;
  const notYet = newBatch(ledger, { ids: makeIds(150, 'c'), subject: SUBJECT }).id;
  const c1 = ledger.claimChunk(drained, 100);
  const c2 = ledger.claimChunk(notYet, 100);
  if (!c1 || !c2) throw new Error('claim');
  const p1 = ledger.queueOutcome(c1.callId, succeeded(c1.ids), meta, { finish: true });
  const p2 = ledger.queueOutcome(c2.callId, succeeded(c2.ids), meta, { finish: true });
  expect(await p1).toBe(3);
  expect(await p2).toBe(100);
  expect(statesInFile(file, drained)).toEqual({ succeeded: 3 });
  expect(ledger.getBatch(drained)?.state).toBe('done');
  // 50 IDs still pending: it runs on.
  expect(ledger.getBatch(notYet)?.state).toBe('running');
});

test('a batch’s last outcome held for a write that is coming waits past its turn, and rides on that write', async () => {
  const { file, ledger, a, call } = withCall();
  const b = newBatch(ledger, { ids: makeIds(2, 'b'), subject: SUBJECT }).id;
  expect(ledger.isLastCall(call.callId)).toBe(true);
  let coming = true;
  const queued = ledger.queueOutcome(call.callId, succeeded(call.ids), meta, {
    finish: true,
    holdWhile: () => coming,
    holdMs: 600_000,
  });
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  await turn();
  await turn();
  expect(statesInFile(file, a)).toEqual({ in_flight: 3 });
  // The write that was coming: the outcome and the batch's end are committed with it.
  ledger.claimChunk(b, 100);
  coming = false;
  expect(await queued).toBe(3);
  expect(statesInFile(file, a)).toEqual({ succeeded: 3 });
  expect(ledger.getBatchState(a)).toBe('done');
});

test('a held outcome commits on its own at its limit when no write came, and a call with work left after it is not the last', async () => {
  const file = join(tempDir(), 'ledger.sqlite');
  const ledger = openAt(file);
  const a = newBatch(ledger, { ids: makeIds(150), subject: SUBJECT }).id;
  const first = ledger.claimChunk(a, 100);
  if (!first) throw new Error('claim');
  expect(ledger.isLastCall(first.callId)).toBe(false);
  const second = ledger.claimChunk(a, 100);
  if (!second) throw new Error('claim');
  // Another call of the batch is in flight: not the last either.
  expect(ledger.isLastCall(second.callId)).toBe(false);
  expect(
    await ledger.queueOutcome(first.callId, succeeded(first.ids), meta, { finish: true }),
  ).toBe(100);
  expect(ledger.isLastCall(second.callId)).toBe(true);
  const held = ledger.queueOutcome(second.callId, succeeded(second.ids), meta, {
    finish: true,
    // A read under way that never ends in a write: the outcome commits at its limit.
    holdWhile: () => true,
    holdMs: 20,
  });
  expect(await held).toBe(50);
  expect(statesInFile(file, a)).toEqual({ succeeded: 150 });
  expect(ledger.getBatchState(a)).toBe('done');
});

test('a queued outcome whose commit fails is refused to its caller, and the IDs stay in flight', async () => {
  const { file, ledger, a, call } = withCall();
  // Another process holds the write lock: the commit cannot wait for it (noWait).
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  const queued = ledger.queueOutcome(call.callId, succeeded(call.ids), meta);
  expect(() => ledger.noWait(() => ledger.setStateReason(a, 'x'))).toThrow(/busy|locked/i);
  await expect(queued).rejects.toThrow(/busy|locked/i);
  other.exec('ROLLBACK');
  other.close();
  expect(statesInFile(file, a)).toEqual({ in_flight: 3 });
});

test('crash after a call was answered, before its grouped outcome was committed: the restart re-reads those IDs, sends them nothing', async () => {
  const dir = tempDir();
  const emulatorDb = openEmulatorDb(':memory:');
  seedEmulator(emulatorDb, { alerts: 300, incidents: 5, indicators: 0 });
  const emulator = await startEmulator({ db: emulatorDb, projectId: DEMO_PROJECT_ID, port: 0 });
  cleanups.push(async () => {
    await emulator.close();
    emulatorDb.close();
  });
  const ws = SEED_WORKSPACES[0].id;
  const [subject = ''] = seedObjectIds(0, 'incidents', 5).slice(4);
  const relation = { workspaceId: ws, dataclass: 'incidents' as const, objectId: subject };
  const linkedBefore = linkedIds(emulatorDb, { ...relation, related: 'alerts' });
  const ids = seedObjectIds(0, 'alerts', 300)
    .slice(100, 300)
    .filter((id) => !linkedBefore.has(id));
  const writes: string[][] = [];
  const upstream = () =>
    createUpstream({
      endpoint: emulator.url,
      projectId: DEMO_PROJECT_ID,
      timeoutMs: 2_000,
      fetchImpl: async (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        const method = init?.method ?? 'GET';
        if ((method === 'POST' || method === 'DELETE') && !url.endsWith('/search')) {
          const body = init?.body;
          const text = body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body);
          writes.push((JSON.parse(text) as { ids: string[] }).ids);
        }
        return fetch(input, init);
      },
    });
  const file = join(dir, 'ledger.sqlite');
  const ledger = openAt(file);
  const batchId = newBatch(ledger, { ids, subject, workspace: ws }).id;

  // The crash image: the files as they are when the first outcome is queued, not yet committed.
  const image = join(dir, 'crash');
  const queueOutcome = ledger.queueOutcome;
  let crashed = false;
  ledger.queueOutcome = (...args) => {
    const p = queueOutcome(...args);
    if (!crashed) {
      crashed = true;
      copyFileSync(file, `${image}.sqlite`);
      if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${image}.sqlite-wal`);
    }
    return p;
  };
  await createRunner({ ...onSqlite(ledger), upstream: upstream(), concurrency: 1 }).start(batchId);
  expect(crashed).toBe(true);
  expect(ledger.getBatch(batchId)?.state).toBe('done');
  const firstCall = writes[0] ?? [];
  expect(firstCall).toHaveLength(100);

  // The restart on the crash image: that call's IDs were in flight; the emulator has them. So were
  // those of the next call if the second worker (WORKERS_PER_SLOT) had claimed it meanwhile: the
  // first process sent it (the batch is done), the emulator has them too.
  const restarted = openAt(`${image}.sqlite`);
  const inFlight = restarted.getBatch(batchId)?.counts.in_flight ?? 0;
  expect([100, ids.length]).toContain(inFlight);
  writes.length = 0;
  const runner = createRunner({ ...onSqlite(restarted), upstream: upstream(), concurrency: 1 });
  await runner.resumeAll();
  const after = restarted.getBatch(batchId);
  expect(after?.state).toBe('done');
  // The rest was linked by the first process after the image was taken: found so, never sent.
  expect(after?.counts).toMatchObject({
    succeeded: inFlight,
    unchanged: ids.length - inFlight,
    in_flight: 0,
    unknown: 0,
  });
  const items = restarted.listItems(batchId, { offset: 0, limit: 500 }).items;
  const byId = new Map(items.map((i) => [i.id, i] as const));
  for (const id of firstCall) {
    expect(byId.get(id)).toMatchObject({ state: 'succeeded', message: MSG_CONFIRMED });
  }
  // Nothing was sent again.
  expect(writes).toEqual([]);
  expect(runner.stats().unknownSettled).toBe(inFlight);
});
