/**
 * The batch service without HTTP: the ID rules, idempotent creation, undo (once, replayable),
 * retry selection and the typed refusals, on a real ledger with a stand-in runner (nothing is
 * sent; outcomes are written to the ledger as the runner would).
 */
import { afterEach, beforeEach, describe, expect, test, vi, type Mock } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { malformedUuidReason, type CreateBatchRequest } from '../../src/api/schemas';
import { makeIds } from '../testing/fake-upstream';
import { openLedger, type ItemOutcome, type Ledger } from './ledger';
import { openRecords, type Records } from './records';
import { sqliteServiceStores, type ServiceStores } from '../db/service-stores';
import {
  INVALID_ID_MESSAGE,
  ServiceError,
  checkNotActive,
  checkNotUndone,
  checkRetriable,
  createBatchService,
  itemsOfIds,
  nothingToRetry,
  nothingToUndo,
  type BatchService,
} from './service';
import type { Upstream } from '../secmaster/client';
import type { UpstreamOperation } from '../secmaster/operations';
import { LookupError } from '../secmaster/lookups';

/** An Upstream whose searches find `linked` (of the IDs asked) and record what was asked. */
function linksUpstream(linked: readonly string[], asked: UpstreamOperation[] = []): Upstream {
  return {
    call(operation) {
      asked.push(operation);
      const body = 'body' in operation ? JSON.stringify(operation.body) : '';
      const data = linked
        .filter((id) => body.includes(id))
        .map((id) => ({ id, data_object: { id } }));
      return Promise.resolve({ status: 200, requestId: null, body: { data }, retryAfter: null });
    },
  };
}

const WORKSPACE = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';
const ALICE = { user: 'alice' };

let dir: string;
let ledger: Ledger;
let records: Records;
let stores: ServiceStores;
let runner: {
  start: Mock<(batchId: string) => Promise<void>>;
  pause: Mock<(batchId: string) => Promise<boolean>>;
  resume: Mock<(batchId: string) => Promise<boolean>>;
  cancel: Mock<(batchId: string) => Promise<boolean>>;
};
let service: BatchService;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'service-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  records = openRecords(ledger.db);
  runner = {
    start: vi.fn(() => Promise.resolve()),
    pause: vi.fn((id: string) =>
      Promise.resolve(ledger.transitionBatch(id, ['running'], 'paused', null)),
    ),
    resume: vi.fn((id: string) =>
      Promise.resolve(ledger.transitionBatch(id, ['paused'], 'running', null)),
    ),
    cancel: vi.fn((id: string) => Promise.resolve(ledger.cancelBatch(id))),
  };
  stores = sqliteServiceStores(ledger);
  service = createBatchService({ stores, runner });
});

afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function request(ids: string[], extra: Partial<CreateBatchRequest> = {}): CreateBatchRequest {
  return {
    action: 'associate',
    workspace_id: WORKSPACE,
    dataclass_type: 'incidents',
    data_object_id: SUBJECT,
    related_dataclass_type: 'alerts',
    ids,
    ...extra,
  };
}

/** The refusal `fn` throws (it must throw a ServiceError). */
function refusalOf(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ServiceError) return err;
    throw err;
  }
  throw new Error('no refusal');
}

async function asyncRefusalOf(fn: () => Promise<unknown>): Promise<ServiceError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ServiceError) return err;
    throw err;
  }
  throw new Error('no refusal');
}

/**
 * Sends every pending ID of the batch as one call and records `outcome(id)` for each (default
 * succeeded), then finishes it: what the runner would leave behind.
 */
function settle(
  batchId: string,
  outcome: (id: string) => Omit<ItemOutcome, 'id'> = () => ({
    state: 'succeeded',
    code: null,
    message: null,
  }),
): void {
  const call = ledger.claimChunk(batchId, 1000);
  if (!call) throw new Error('nothing pending');
  ledger.recordOutcome(
    call.callId,
    call.ids.map((id) => ({ id, ...outcome(id) })),
    { httpStatus: 200, requestId: null, errorCode: null },
  );
  ledger.finishIfDrained(batchId);
}

/** A finished batch of `n` IDs, all succeeded. */
async function doneBatch(n = 3) {
  const { batch } = await service.create(request(makeIds(n)), ALICE);
  settle(batch.id);
  return batch;
}

describe('ID rules', () => {
  test('IDs are trimmed, UUIDs lower-cased, blanks dropped, repeats counted (the first copy stays), malformed ones invalid with why', async () => {
    const upper = 'AAAAAAAA-0000-4000-8000-00000000000A';
    const other = 'Abc_0123456789abcdef0123456789ABCDEF';
    const truncated = 'aaaaaaaa-0000-4000-8000-00000000000';
    const typo = 'aaaaaaaz-0000-4000-8000-000000000001';
    const { items, duplicates } = itemsOfIds([
      `  ${upper}\t`,
      '',
      '   ',
      upper.toLowerCase(),
      other,
      other.toLowerCase(),
      other,
      'short',
      truncated,
      typo,
    ]);
    expect(items).toEqual([
      { id: upper.toLowerCase(), idKey: upper.toLowerCase(), state: 'pending', message: null },
      { id: other, idKey: other, state: 'pending', message: null },
      // Not a UUID: compared exactly, so another case is another ID.
      { id: other.toLowerCase(), idKey: other.toLowerCase(), state: 'pending', message: null },
      { id: 'short', idKey: 'short', state: 'invalid', message: INVALID_ID_MESSAGE },
      {
        id: truncated,
        idKey: truncated,
        state: 'invalid',
        message: malformedUuidReason(truncated),
      },
      { id: typo, idKey: typo, state: 'invalid', message: malformedUuidReason(typo) },
    ]);
    expect(malformedUuidReason(truncated)).toMatch(/^not a UUID/);
    expect(malformedUuidReason(typo)).toMatch(/^not a UUID/);
    expect(duplicates).toBe(2);
  });

  test('create records the IDs by those rules, with the subject in canonical form, and starts the batch', async () => {
    const ids = makeIds(2);
    const { batch, replayed } = await service.create(
      request([ids[0]!.toUpperCase(), ` ${ids[1]!} `, ids[0]!, 'bad'], {
        data_object_id: SUBJECT.toUpperCase(),
        reason: '  why  ',
      }),
      ALICE,
    );
    expect(replayed).toBe(false);
    expect(batch).toMatchObject({
      state: 'running',
      data_object_id: SUBJECT,
      reason: 'why',
      user: 'alice',
      total: 3,
      duplicates: 1,
    });
    expect(ledger.listItems(batch.id, { offset: 0, limit: 10 }).items.map((i) => i.id)).toEqual([
      ids[0],
      ids[1],
      'bad',
    ]);
    expect(runner.start).toHaveBeenCalledExactlyOnceWith(batch.id);
  });

  test('a batch of invalid IDs only is recorded done and never started; a blank reason is none', async () => {
    const { batch } = await service.create(request(['bad'], { reason: '   ' }), ALICE);
    expect(batch).toMatchObject({ state: 'done', reason: null });
    expect(runner.start).not.toHaveBeenCalled();
  });

  test('every ID blank, or an unknown retry_of: 400 INVALID_BODY naming the field, nothing recorded', async () => {
    expect(await asyncRefusalOf(() => service.create(request([' ', '']), ALICE))).toMatchObject({
      status: 400,
      code: 'INVALID_BODY',
      message: 'ids: every ID is blank',
      field: 'ids',
    });
    const unknown = await asyncRefusalOf(() =>
      service.create(request(makeIds(1), { retry_of: makeIds(1, 'f')[0]! }), ALICE),
    );
    expect(unknown).toMatchObject({ status: 400, code: 'INVALID_BODY', field: 'retry_of' });
    expect(ledger.listBatches(0, 10).total).toBe(0);
  });
});

describe('idempotency', () => {
  test('the same key and request answer the first batch (replayed, not started again); another request is refused', async () => {
    const ctx = { user: 'alice', idempotencyKey: 'k-1' };
    const first = await service.create(request(makeIds(2)), ctx);
    const again = await service.create(request(makeIds(2)), ctx);
    expect(again).toEqual({ batch: ledger.getBatch(first.batch.id), replayed: true });
    expect(runner.start).toHaveBeenCalledOnce();
    expect(await asyncRefusalOf(() => service.create(request(makeIds(3)), ctx))).toMatchObject({
      status: 409,
      code: 'IDEMPOTENCY_MISMATCH',
    });
    // Keys are per user.
    const bob = await service.create(request(makeIds(2)), { user: 'bob', idempotencyKey: 'k-1' });
    expect(bob.replayed).toBe(false);
    expect(ledger.listBatches(0, 10).total).toBe(2);
  });

  test('a malformed key is refused before anything is recorded', async () => {
    const err = await asyncRefusalOf(() =>
      service.create(request(makeIds(1)), { user: 'alice', idempotencyKey: 'no spaces' }),
    );
    expect(err).toMatchObject({ status: 400, code: 'INVALID_IDEMPOTENCY_KEY' });
    expect(ledger.listBatches(0, 10).total).toBe(0);
  });
});

describe('undo', () => {
  test('an undo is the inverse batch of exactly the succeeded IDs, linked both ways and started', async () => {
    const { batch } = await service.create(request(makeIds(4)), ALICE);
    const ids = makeIds(4);
    settle(batch.id, (id) =>
      id === ids[1]
        ? { state: 'failed', code: 'NOT_FOUND', message: 'gone' }
        : { state: 'succeeded', code: null, message: null },
    );
    const { batch: undo } = await service.undo(batch.id, {}, { user: 'bob' });
    expect(undo).toMatchObject({
      action: 'cancel',
      state: 'running',
      user: 'bob',
      reason: `Undo of batch ${batch.id}`,
      retry_of: null,
      total: 3,
    });
    expect(await stores.records.idsInState(undo.id, 'pending')).toEqual([ids[0], ids[2], ids[3]]);
    expect(await service.present(undo)).toMatchObject({ undo_of: batch.id, undone_by: null });
    expect(await service.present(ledger.getBatch(batch.id)!)).toMatchObject({
      undo_of: null,
      undone_by: undo.id,
    });
    expect(runner.start).toHaveBeenLastCalledWith(undo.id);
  });

  test('a batch is undone once: a second undo names the first; the same request replayed answers its batch', async () => {
    const original = await doneBatch();
    const ctx = { user: 'alice', idempotencyKey: 'undo-1' };
    const first = await service.undo(original.id, {}, ctx);
    expect(await service.undo(original.id, {}, ctx)).toEqual({
      batch: ledger.getBatch(first.batch.id),
      replayed: true,
    });
    for (const other of [ALICE, { user: 'alice', idempotencyKey: 'undo-2' }]) {
      const err = await asyncRefusalOf(() => service.undo(original.id, {}, other));
      expect(err).toMatchObject({ status: 409, code: 'ALREADY_UNDONE' });
      expect(err.message).toContain(first.batch.id);
    }
    // The refused requests recorded nothing, not even their key.
    expect(ledger.listBatches(0, 10).total).toBe(2);
    expect(records.idempotent('alice', 'undo-2', 'x', () => original).kind).toBe('created');
  });

  test('an active batch, or one where nothing succeeded, is refused', async () => {
    const { batch: running } = await service.create(request(makeIds(2)), ALICE);
    expect(await asyncRefusalOf(() => service.undo(running.id, {}, ALICE))).toMatchObject({
      status: 409,
      code: 'INVALID_STATE',
      message: 'the batch is still running: stop it or let it finish before undoing it',
    });
    const { batch: failed } = await service.create(request(makeIds(2, 'b')), ALICE);
    settle(failed.id, () => ({ state: 'failed', code: 'X', message: null }));
    expect(await asyncRefusalOf(() => service.undo(failed.id, {}, ALICE))).toMatchObject({
      status: 409,
      code: 'NOTHING_TO_UNDO',
    });
  });

  test('a batch recorded before changes were tracked is undone only with include_unrecorded', async () => {
    const original = await doneBatch(2);
    ledger.db.prepare('UPDATE batches SET changes_recorded = 0 WHERE id = ?').run(original.id);
    const err = await asyncRefusalOf(() => service.undo(original.id, {}, ALICE));
    expect(err).toMatchObject({ status: 409, code: 'CHANGES_NOT_RECORDED' });
    expect(err.message).toContain('its 2 succeeded IDs');
    expect((await service.undo(original.id, { include_unrecorded: true }, ALICE)).batch.total).toBe(
      2,
    );
  });

  test('an unknown or malformed batch ID is 404 for every operation', async () => {
    for (const id of [makeIds(1, 'f')[0]!, 'not-a-uuid']) {
      for (const op of [
        () => service.undo(id, {}, ALICE),
        () => service.retry(id, {}, ALICE),
        () => service.retryPreview(id),
      ]) {
        expect(await asyncRefusalOf(op)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      }
      for (const op of [
        () => service.pause(id),
        () => service.resume(id),
        () => service.stop(id),
      ]) {
        expect(await asyncRefusalOf(op)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      }
      const err = await asyncRefusalOf(() => service.undoPreview(id, linksUpstream([])));
      expect(err).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect(await service.get(id)).toBeNull();
    }
  });
});

describe('undo preview', () => {
  test('reads the links of the batch subject for its succeeded IDs, and lists those that no longer hold', async () => {
    const original = await doneBatch(3);
    const ids = makeIds(3);
    const asked: UpstreamOperation[] = [];
    // One associated ID has been unlinked since.
    const preview = await service.undoPreview(
      original.id,
      linksUpstream([ids[0]!, ids[2]!], asked),
    );
    expect(asked).toEqual([
      {
        op: 'relationSearch',
        workspaceId: WORKSPACE,
        dataclass: 'incidents',
        objectId: SUBJECT,
        related: 'alerts',
        body: expect.objectContaining({}) as unknown,
      },
    ]);
    expect(JSON.stringify(asked[0])).toContain(ids.join(','));
    expect(preview).toMatchObject({
      ids: 3,
      undo_action: 'cancel',
      unchanged: 0,
      changed: [ids[1]],
      changes_recorded: true,
    });
  });

  test('a failed read is a LookupError naming the check; an undone batch is refused', async () => {
    const original = await doneBatch(1);
    const away: Upstream = {
      call: () =>
        Promise.resolve({
          status: 503,
          requestId: null,
          body: { error_code: 'SecMaster.00040003', error_msg: 'busy' },
          retryAfter: null,
        }),
    };
    const failure = await service.undoPreview(original.id, away).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LookupError);
    expect(failure).toMatchObject({
      status: 502,
      code: 'SecMaster.00040003',
      message: 'the link check failed: busy',
    });
    await service.undo(original.id, {}, ALICE);
    const err = await asyncRefusalOf(() => service.undoPreview(original.id, linksUpstream([])));
    expect(err).toMatchObject({ status: 409, code: 'ALREADY_UNDONE' });
  });
});

describe('retry', () => {
  /** A finished batch of 5: succeeded, transient failure, permanent failure, unknown, unknown. */
  async function mixedBatch() {
    const ids = makeIds(5);
    const { batch } = await service.create(request(ids, { reason: 'because' }), ALICE);
    const outcomes: Omit<ItemOutcome, 'id'>[] = [
      { state: 'succeeded', code: null, message: null },
      { state: 'failed', code: 'HTTP_500', message: 'try again' },
      { state: 'failed', code: 'NOT_FOUND', message: 'gone' },
      { state: 'unknown', code: null, message: null },
      { state: 'unknown', code: null, message: null },
    ];
    settle(batch.id, (id) => outcomes[ids.indexOf(id)]!);
    return { batch, ids };
  }

  test('carries transient failures and unknown IDs, permanent failures only when asked', async () => {
    const { batch, ids } = await mixedBatch();
    expect(await service.retryPreview(batch.id)).toEqual({
      failed: 1,
      unknown: 2,
      skipped: 0,
      permanent: 1,
      ids: 3,
    });
    const { batch: retry } = await service.retry(batch.id, {}, ALICE);
    expect(retry).toMatchObject({
      action: 'associate',
      retry_of: batch.id,
      reason: 'because',
      total: 3,
    });
    expect(await stores.records.idsInState(retry.id, 'pending')).toEqual([ids[1], ids[3], ids[4]]);
    const all = (await service.retry(batch.id, { include_permanent: true }, ALICE)).batch;
    expect(await stores.records.idsInState(all.id, 'pending')).toEqual([
      ids[1],
      ids[2],
      ids[3],
      ids[4],
    ]);
  });

  test("a stopped batch's skipped IDs are retried but not its unknown ones (its re-read settles them)", async () => {
    const ids = makeIds(4);
    const { batch } = await service.create(request(ids), ALICE);
    const call = ledger.claimChunk(batch.id, 2);
    ledger.recordOutcome(
      call!.callId,
      [
        { id: ids[0]!, state: 'succeeded', code: null, message: null },
        { id: ids[1]!, state: 'unknown', code: null, message: null },
      ],
      { httpStatus: null, requestId: null, errorCode: null },
    );
    expect((await service.stop(batch.id)).state).toBe('cancelled');
    expect(await service.retryPreview(batch.id)).toMatchObject({ unknown: 0, skipped: 2, ids: 2 });
    const { batch: retry } = await service.retry(batch.id, {}, ALICE);
    expect(retry.reason).toBe(`Retry of batch ${batch.id}`);
    expect(await stores.records.idsInState(retry.id, 'pending')).toEqual([ids[2], ids[3]]);
  });

  test('an active or interrupted batch is refused; with nothing left, NOTHING_TO_RETRY says why', async () => {
    const { batch } = await service.create(request(makeIds(2)), ALICE);
    expect(await asyncRefusalOf(() => service.retry(batch.id, {}, ALICE))).toMatchObject({
      status: 409,
      code: 'INVALID_STATE',
      message: 'the batch is still running: stop it or let it finish before retrying it',
    });
    ledger.transitionBatch(batch.id, ['running'], 'interrupted', 'sign in to resume');
    expect((await asyncRefusalOf(() => service.retry(batch.id, {}, ALICE))).message).toMatch(
      /^the batch was interrupted: resume it instead/,
    );

    const clean = await doneBatch(2);
    expect(await asyncRefusalOf(() => service.retry(clean.id, {}, ALICE))).toMatchObject({
      status: 409,
      code: 'NOTHING_TO_RETRY',
      message: 'nothing to retry: no ID of this batch failed, stayed unknown or was skipped',
    });
    const { batch: gone } = await service.create(request(makeIds(1, 'c')), ALICE);
    settle(gone.id, () => ({ state: 'failed', code: 'NOT_FOUND', message: null }));
    expect((await asyncRefusalOf(() => service.retry(gone.id, {}, ALICE))).message).toMatch(
      /^nothing to retry: the 1 failed IDs left failed for good/,
    );
  });

  test('a retry is idempotent by key like any creation', async () => {
    const { batch } = await mixedBatch();
    const ctx = { user: 'alice', idempotencyKey: 'retry-1' };
    const first = await service.retry(batch.id, {}, ctx);
    expect(await service.retry(batch.id, {}, ctx)).toMatchObject({
      batch: { id: first.batch.id },
      replayed: true,
    });
    expect(
      (await asyncRefusalOf(() => service.retry(batch.id, { include_permanent: true }, ctx))).code,
    ).toBe('IDEMPOTENCY_MISMATCH');
  });
});

describe('controls and presentation', () => {
  test("a batch is created with its caller's credential source, and its undo with the undoer's", async () => {
    const identity = { source: 'session:alice', sessionId: 's-1' };
    const { batch } = await service.create(request(makeIds(2)), { user: 'alice', identity });
    expect(ledger.getBatch(batch.id)?.credential_source).toBe('session:alice');
    settle(batch.id);
    const { batch: undo } = await service.undo(
      batch.id,
      {},
      {
        user: 'local',
        identity: { source: 'env-aksk', sessionId: null },
      },
    );
    expect(ledger.getBatch(undo.id)?.credential_source).toBe('env-aksk');
  });

  test('pause, resume and stop answer the batch after; a refused control names the state', async () => {
    const { batch } = await service.create(request(makeIds(2)), ALICE);
    expect((await service.pause(batch.id)).state).toBe('paused');
    expect((await service.resume(batch.id)).state).toBe('running');
    expect((await service.stop(batch.id)).state).toBe('cancelled');
    expect(await asyncRefusalOf(() => service.pause(batch.id))).toMatchObject({
      status: 409,
      code: 'INVALID_STATE',
      message: 'a cancelled batch cannot be paused',
    });
    expect((await asyncRefusalOf(() => service.resume(batch.id))).message).toBe(
      'a cancelled batch cannot be resumed',
    );
    expect((await asyncRefusalOf(() => service.stop(batch.id))).message).toBe(
      'a cancelled batch cannot be stopped',
    );
  });

  test('present and list carry undo links both ways and the credential source', async () => {
    const original = await doneBatch(1);
    const { batch: undo } = await service.undo(original.id, {}, ALICE);
    ledger.setCredentialSource(undo.id, 'env-aksk');
    const presented = await service.present(ledger.getBatch(undo.id) ?? undo);
    expect(presented).toMatchObject({
      undo_of: original.id,
      undone_by: null,
      credential_source: 'env-aksk',
    });
    expect(await service.present(original)).toMatchObject({
      undo_of: null,
      undone_by: undo.id,
      group_kind: null,
    });
    const page = await service.list(0, 10);
    expect(page.total).toBe(2);
    expect(page.items.map((b) => [b.id, b.undo_of, b.credential_source])).toEqual([
      [undo.id, original.id, 'env-aksk'],
      [original.id, null, null],
    ]);
  });
});

test("present carries the runner's pace for a batch it paces, null otherwise", async () => {
  const paced = await doneBatch(1);
  const other = await doneBatch(2);
  const paceOf = vi.fn((id: string) => (id === paced.id ? { calls_per_s: 18.9, limit: 20 } : null));
  const withPace = createBatchService({ stores, runner: { ...runner, paceOf } });
  expect((await withPace.present(paced)).pace).toEqual({ calls_per_s: 18.9, limit: 20 });
  expect((await withPace.present(other)).pace).toBeNull();
  // A runner that does not pace (no paceOf) presents none.
  expect((await service.present(paced)).pace).toBeNull();
});

describe('checks shared with groups (pairs.ts)', () => {
  test('checkNotActive refuses a running or paused batch, naming the state and what was asked', async () => {
    const { batch } = await service.create(request(makeIds(2)), ALICE);
    expect(refusalOf(() => checkNotActive(batch, 'retrying'))).toMatchObject({
      status: 409,
      code: 'INVALID_STATE',
      message: 'the batch is still running: stop it or let it finish before retrying it',
    });
    const paused = await service.pause(batch.id);
    expect(refusalOf(() => checkNotActive(paused, 'undoing')).message).toBe(
      'the batch is still paused: stop it or let it finish before undoing it',
    );
    const stopped = await service.stop(batch.id);
    expect(() => checkNotActive(stopped, 'undoing')).not.toThrow();
  });

  test('checkRetriable also refuses an interrupted batch (resume it instead); a finished one passes', async () => {
    const { batch } = await service.create(request(makeIds(2)), ALICE);
    expect(refusalOf(() => checkRetriable(batch)).code).toBe('INVALID_STATE');
    expect(ledger.transitionBatch(batch.id, ['running'], 'interrupted', 'test')).toBe(true);
    expect(refusalOf(() => checkRetriable(ledger.getBatch(batch.id)!))).toMatchObject({
      status: 409,
      code: 'INVALID_STATE',
      message: 'the batch was interrupted: resume it instead (Resume batch), or stop it first',
    });
    const stopped = await service.stop(batch.id);
    expect(() => checkRetriable(stopped)).not.toThrow();
  });

  test('nothingToRetry names the permanent failures it leaves out; nothingToUndo says why', async () => {
    expect(nothingToRetry(3)).toMatchObject({ status: 409, code: 'NOTHING_TO_RETRY' });
    expect(nothingToRetry(3).message).toContain('the 3 failed IDs left failed for good');
    expect(nothingToRetry(0).message).toBe(
      'nothing to retry: no ID of this batch failed, stayed unknown or was skipped',
    );
    expect(nothingToUndo()).toMatchObject({ status: 409, code: 'NOTHING_TO_UNDO' });
  });

  test('checkNotUndone passes a batch nobody undid and refuses one undone, naming its undo', async () => {
    const original = await doneBatch(1);
    await expect(checkNotUndone(stores.ledger, original.id)).resolves.toBeUndefined();
    const { batch: undo } = await service.undo(original.id, {}, ALICE);
    const err = await asyncRefusalOf(() => checkNotUndone(stores.ledger, original.id));
    expect(err).toMatchObject({ status: 409, code: 'ALREADY_UNDONE' });
    expect(err.message).toContain(`already undone by batch ${undo.id}`);
    await expect(checkNotUndone(stores.ledger, undo.id)).resolves.toBeUndefined();
  });
});
