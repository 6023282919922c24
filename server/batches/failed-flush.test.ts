/**
 * After a failed flush of the ledger's write-ahead log (wal-sync.ts, "After a failed flush"): the
 * ledger records nothing more until the server restarts. Every write is refused with the failure,
 * which its health says, whether it would have waited for the syncer or not (a commit with its own
 * fsync, a caller's transaction, an outcome waiting for a write); only a batch's interruption and
 * the withdrawal of a call never sent still pass. The flush failure is injected (`datasync`), as in
 * wal-sync.test.ts.
 */
import { afterEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { createConsole } from '../console';
import { loadConfig } from '../config';
import { sqliteServiceStores } from '../db/service-stores';
import { newBatch } from '../testing/batches';
import { makeIds } from '../testing/fake-upstream';
import { openLedger, type Ledger } from './ledger';
import { WalSyncError, walSyncReason } from './wal-sync';

const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';
const meta = { httpStatus: 200, requestId: 'r1', errorCode: null };

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

function io(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** A ledger whose flushes pass until `failing.now` is set. */
function ledgerIn(dir: string, failing: { now: boolean }): Ledger {
  const ledger = openLedger(join(dir, 'ledger.sqlite'), {
    datasync: () => (failing.now ? Promise.reject(io('EIO')) : Promise.resolve()),
  });
  cleanups.push(() => {
    if (ledger.db.open) ledger.close();
  });
  return ledger;
}

/** What the file holds, read on a connection of its own. */
function inFile(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const batches = z
      .array(z.object({ id: z.string(), state: z.string() }))
      .parse(db.prepare(`SELECT id, state FROM batches ORDER BY n`).all());
    const items = z
      .array(z.object({ id: z.string(), state: z.string() }))
      .parse(db.prepare(`SELECT id, state FROM items ORDER BY batch_id, seq`).all());
    const holders = z.number().parse(db.prepare(`SELECT COUNT(*) FROM runner_lock`).pluck().get());
    return { batches, items, holders };
  } finally {
    db.close();
  }
}

const succeeded = (ids: readonly string[]) =>
  ids.map((id) => ({ id, state: 'succeeded' as const, code: null, message: null }));

test('after a failed flush nothing more is recorded, whether the write waits for the syncer or not; an interruption and a withdrawal still pass; a restart records again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'failed-flush-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ledger.sqlite');
  const failing = { now: false };
  const ledger = ledgerIn(dir, failing);
  const a = newBatch(ledger, { ids: makeIds(6, 'a'), subject: SUBJECT }).id;
  const b = newBatch(ledger, { ids: makeIds(3, 'b'), subject: SUBJECT }).id;
  // A call whose intent is on disk: sent, its answer still to come.
  const sent = ledger.claimChunk(a, 2);
  if (!sent) throw new Error('nothing claimed');
  await ledger.durable();

  // The next flush fails: the intent claimed before it is never sent.
  failing.now = true;
  const unsent = ledger.claimChunk(a, 2);
  if (!unsent) throw new Error('nothing claimed');
  const reason = walSyncReason(`${file}-wal`, 'EIO');
  await expect(ledger.durable()).rejects.toMatchObject({ code: 'EIO', reason });
  expect(ledger.health.problems()).toEqual([reason]);

  // Writes that commit with their own fsync (synchronous = FULL): refused, with the failure.
  const refused = (write: () => unknown) => {
    let thrown: unknown = null;
    try {
      write();
    } catch (err: unknown) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(WalSyncError);
    expect(thrown).toMatchObject({ code: 'EIO', reason });
  };
  refused(() => newBatch(ledger, { ids: makeIds(2, 'c'), subject: SUBJECT }));
  refused(() => ledger.transitionBatch(b, ['running'], 'paused', 'paused by the user'));
  refused(() => ledger.cancelBatch(b));
  refused(() => ledger.recordOutcome(sent.callId, succeeded(sent.ids), meta));
  refused(() => ledger.noWait(() => ledger.writeHolder('token')));
  // An intent: refused before it is committed (not only when its flush is awaited).
  refused(() => ledger.claimChunk(b, 2));
  // The answer to the call sent before the failure: refused, not told it was recorded.
  await expect(ledger.queueOutcome(sent.callId, succeeded(sent.ids), meta)).rejects.toBeInstanceOf(
    WalSyncError,
  );
  // A caller's transaction (the service's BEGIN IMMEDIATE … COMMIT): rolled back, refused.
  const stores = sqliteServiceStores(ledger);
  await expect(
    stores.transaction((tx) =>
      tx.ledger.createBatch({
        action: 'associate',
        workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
        dataclass_type: 'incidents',
        data_object_id: SUBJECT,
        related_dataclass_type: 'alerts',
        reason: null,
        user: 'test',
        retry_of: null,
        duplicates: 0,
        items: [],
      }),
    ),
  ).rejects.toBeInstanceOf(WalSyncError);
  expect(ledger.db.inTransaction).toBe(false);

  // What only stops: the call never sent goes back to pending, the batch is interrupted.
  expect(ledger.withdrawCall(unsent.callId)).toBe(2);
  expect(ledger.transitionBatch(a, ['running'], 'interrupted', reason)).toBe(true);
  expect(ledger.health.problems()).toEqual([reason]);

  const held = inFile(file);
  expect(held.batches).toEqual([
    { id: a, state: 'interrupted' },
    { id: b, state: 'running' },
  ]);
  expect(held.holders).toBe(0);
  // The call sent before the failure: still in flight (a restart re-reads it).
  expect(held.items.filter((i) => sent.ids.includes(i.id)).map((i) => i.state)).toEqual([
    'in_flight',
    'in_flight',
  ]);
  expect(held.items.filter((i) => unsent.ids.includes(i.id)).map((i) => i.state)).toEqual([
    'pending',
    'pending',
  ]);

  // Restarted (the disk fixed): the file is written again, health is clear.
  ledger.close();
  failing.now = false;
  const again = ledgerIn(dir, failing);
  expect(again.health.problems()).toEqual([]);
  expect(again.cancelBatch(b)).toBe(true);
  expect(again.recoverAfterCrash()).toEqual([]);
  expect(again.counts(a)).toMatchObject({ unknown: 2, pending: 4 });
  expect(again.transitionBatch(a, ['interrupted'], 'running', null)).toBe(true);
  expect(again.claimChunk(a, 2)?.ids).toEqual(unsent.ids);
  await again.durable();
});

test('after a failed flush a request that must write answers 503 STORAGE_UNAVAILABLE saying the operator must act, not a bare 500', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'failed-flush-http-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const failing = { now: false };
  const ledger = ledgerIn(dir, failing);
  const config = loadConfig({ DATA_DIR: dir });
  const c = createConsole(config, { ledger, runner: { concurrency: 1 } });
  cleanups.push(() => void c.close());
  newBatch(ledger, { ids: makeIds(2, 'x'), subject: SUBJECT });
  failing.now = true;
  await expect(ledger.durable()).rejects.toMatchObject({ code: 'EIO' });

  const res = await c.app.request('/api/batches', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'fetch' },
    body: JSON.stringify({
      action: 'associate',
      workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
      dataclass_type: 'incidents',
      data_object_id: SUBJECT,
      related_dataclass_type: 'alerts',
      ids: makeIds(3, 'y'),
    }),
  });
  expect(res.status).toBe(503);
  // Not a moment's trouble: no Retry-After, and the message says who must act.
  expect(res.headers.get('Retry-After')).toBeNull();
  expect(await res.json()).toMatchObject({
    code: 'STORAGE_UNAVAILABLE',
    message: expect.stringContaining('until the operator has fixed the disk and restarted'),
  });
  const health = await c.app.request('/api/health');
  expect(health.status).toBe(503);
});
