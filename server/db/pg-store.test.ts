/**
 * What only the PostgreSQL store has (the behaviour both stores share is in store-contract/): the
 * fence in every intent and outcome write, the batch row lock that serialises one batch's writes
 * across consoles, the table lock of crash recovery, the order of queued outcomes and later writes,
 * counts read as numbers from any pool, and close.
 */
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { ClaimedCall } from '../batches/ledger';
import { makeIds } from '../testing/fake-upstream';
import { openPgTestStore, type PgTestStore } from '../testing/stores';
import {
  assertLease,
  claimBatch,
  LeaseLostError,
  offerBatch,
  withdrawBatch,
  type LeaseTables,
} from './leases';
import { openPgStore } from './pg-store';
import { batchOf, meta200, statesIn, succeeded } from './store-contract/helpers';
import type { LedgerTables } from './tables';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function open(...args: Parameters<typeof openPgTestStore>): Promise<PgTestStore> {
  const t = await openPgTestStore(...args);
  opened.push(t);
  return t;
}

/** Everything the ledger's tables hold, to compare before and after a refused write. */
async function snapshot(t: PgTestStore): Promise<unknown> {
  const [batches, items, calls] = await Promise.all([
    t.db.selectFrom('batches').selectAll().orderBy('n').execute(),
    t.db.selectFrom('items').selectAll().orderBy('batch_id').orderBy('seq').execute(),
    t.db.selectFrom('calls').selectAll().orderBy('call_id').execute(),
  ]);
  return { batches, items, calls };
}

/** Waits until a backend of `t`'s database waits for a lock (the write under test is blocked). */
async function untilWaitingForLock(t: PgTestStore, done: () => boolean = () => false) {
  await vi.waitFor(
    async () => {
      if (done()) return;
      const r = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock'`.execute(t.db);
      expect(r.rows[0]?.n).toBeGreaterThan(0);
    },
    { timeout: 10_000, interval: 10 },
  );
}

describe('the fence', () => {
  test('every intent and outcome write calls it in its transaction, after locking the batch’s row; a refusal writes nothing', async () => {
    const refused = new Set<string>();
    const fenced: { batchId: string; inTransaction: boolean; rowLocked: boolean }[] = [];
    let probe: PgTestStore | null = null;
    const t = await open({
      fence: async (trx, batchId) => {
        // Is the batch's row locked by this transaction? Another connection cannot take it.
        let rowLocked = false;
        try {
          // Autocommit: a lock taken here is let go at once.
          await sql`select 1 from batches where id = ${batchId} for update nowait`.execute(
            (probe as PgTestStore).db,
          );
        } catch (err) {
          if (!/could not obtain lock/.test(String(err))) throw err;
          rowLocked = true;
        }
        fenced.push({ batchId, inTransaction: trx.isTransaction, rowLocked });
        if (refused.has(batchId)) throw new LeaseLostError(batchId, 1, 'taken');
      },
    });
    probe = await open({ url: t.url });
    const { store } = t;
    const ids = makeIds(8);
    const id = (await store.createBatch(batchOf(ids))).id;
    const other = (await store.createBatch(batchOf(makeIds(2, 'b')))).id;
    // Not fenced: creating, the user's transitions and stop (any console may do them).
    expect(fenced).toEqual([]);
    const c1 = await store.claimChunk(id, 2);
    const c2 = await store.claimChunk(id, 2);
    const c3 = await store.claimChunk(id, 1);
    if (!c1 || !c2 || !c3) throw new Error('claim');
    await store.strandInFlight(id); // c1..c3 unknown
    const c4 = await store.claimChunk(id, 1);
    if (!c4) throw new Error('claim');
    expect(fenced.length).toBe(5);
    expect(fenced.every((f) => f.batchId === id && f.inTransaction && f.rowLocked)).toBe(true);

    refused.add(id);
    fenced.length = 0;
    const before = await snapshot(t);
    const pendingRows = await store.peekPending(id, -1, 10);
    const lost = expect.objectContaining({ name: 'LeaseLostError', batchId: id });
    const writes: [string, () => Promise<unknown>][] = [
      ['claimChunk', () => store.claimChunk(id, 1)],
      [
        'claimPreRead',
        () =>
          store.claimPreRead(
            id,
            pendingRows.slice(0, 1),
            pendingRows.slice(1, 2).map((r) => ({
              seq: r.seq,
              state: 'unchanged' as const,
              code: 'A',
              message: 'a',
            })),
          ),
      ],
      ['retryCall', () => store.retryCall(c4.callId, true)],
      ['recordOutcome', () => store.recordOutcome(c4.callId, succeeded(c4.ids), meta200)],
      [
        'queueOutcome',
        () => store.queueOutcome(c4.callId, succeeded(c4.ids), meta200, { finish: true }),
      ],
      ['releaseCall', () => store.releaseCall(c4.callId, meta200)],
      [
        'settleUnknown',
        () =>
          store.settleUnknown(id, {
            succeeded: c1.ids,
            resend: c2.ids,
            failed: [{ id: c3.ids[0] ?? '', code: 'X', message: 'x' }],
          }),
      ],
      ['markUnknownUnsettled', () => store.markUnknownUnsettled(id, c1.ids)],
      ['strandInFlight', () => store.strandInFlight(id)],
      ['finishIfDrained', () => store.finishIfDrained(id)],
    ];
    for (const [name, write] of writes) {
      await expect(write(), name).rejects.toEqual(lost);
    }
    expect(fenced.map((f) => f.batchId)).toEqual(writes.map(() => id));
    expect(await snapshot(t)).toEqual(before);
    // Another batch, its lease held, is written as before.
    expect((await store.claimChunk(other, 5))?.ids).toHaveLength(2);
    // The batch is still the user's to stop: not fenced.
    expect(await store.cancelBatch(id)).toBe(true);
  });

  test('with the lease keeper’s fence (assertLease): written while the lease is held, nothing once another console withdrew it', async () => {
    const t = await open();
    const ids = makeIds(4);
    const id = (await t.store.createBatch(batchOf(ids))).id;
    const leases = t.db as unknown as Kysely<LeaseTables>;
    await offerBatch(leases, id);
    const lease = await claimBatch(leases, 'console-a', id, 60_000);
    if (!lease) throw new Error('no lease');
    const runner = await open({
      url: t.url,
      fence: (trx: Transaction<LedgerTables>) =>
        assertLease(trx as unknown as Transaction<LeaseTables>, lease),
    });
    const call = await runner.store.claimChunk(id, 2);
    expect(call?.ids).toEqual(ids.slice(0, 2));
    if (!call) throw new Error('claim');
    // A user's cancel on another console withdraws the lease.
    expect(await withdrawBatch(leases, id)).toBe(true);
    const before = await snapshot(t);
    await expect(runner.store.claimChunk(id, 2)).rejects.toMatchObject({
      name: 'LeaseLostError',
      reason: 'ended',
    });
    await expect(
      runner.store.queueOutcome(call.callId, succeeded(call.ids), meta200, { finish: true }),
    ).rejects.toMatchObject({ name: 'LeaseLostError' });
    expect(await snapshot(t)).toEqual(before);
    expect(await statesIn(t, id)).toEqual({ in_flight: 2, pending: 2 });
  });
});

describe('one batch’s writes from several consoles', () => {
  test('concurrent claims of one batch from two consoles take turns: disjoint chunks, numbered in order', async () => {
    const a = await open({ max: 6 });
    const b = await open({ url: a.url, max: 6 });
    const ids = makeIds(120);
    const id = (await a.store.createBatch(batchOf(ids))).id;
    const claims = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).store.claimChunk(id, 5)),
    );
    const calls = claims.filter((c) => c !== null);
    expect(calls).toHaveLength(24);
    expect(calls.map((c) => c.chunkNo).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 24 }, (_, i) => i),
    );
    expect(calls.flatMap((c) => c.ids).sort()).toEqual(ids.slice(0, 120).sort());
    // Each chunk is the first pending IDs when it was claimed: chunk n holds IDs 5n..5n+4.
    for (const c of calls) expect(c.ids).toEqual(ids.slice(c.chunkNo * 5, c.chunkNo * 5 + 5));
  });

  test('a claim that waits behind a stop in progress on another console sees the stop: nothing claimed, nothing refused', async () => {
    const a = await open();
    const ids = makeIds(3);
    const id = (await a.store.createBatch(batchOf(ids))).id;
    // Another console's cancelBatch, held open: it has locked the row and skipped the items.
    const claim: { result?: Promise<unknown> } = {};
    await a.db.transaction().execute(async (trx) => {
      await trx.selectFrom('batches').select('id').where('id', '=', id).forUpdate().execute();
      claim.result = a.store.claimChunk(id, 10);
      await untilWaitingForLock(a);
      await trx
        .updateTable('batches')
        .set({ state: 'cancelled', state_reason: 'stopped by the user', finished_at: 'x' })
        .where('id', '=', id)
        .execute();
      await trx
        .updateTable('items')
        .set({ state: 'skipped', code: 'CANCELLED' })
        .where('batch_id', '=', id)
        .where('state', '=', 'pending')
        .execute();
    });
    expect(claim.result).toBeInstanceOf(Promise);
    expect(await claim.result).toBeNull();
    expect(await statesIn(a, id)).toEqual({ skipped: 3 });
    expect(await a.db.selectFrom('calls').select('call_id').execute()).toEqual([]);
  });

  test('crash recovery waits for a claim in progress and turns what it claimed unknown, its call too', async () => {
    const a = await open();
    const ids = makeIds(3);
    const id = (await a.store.createBatch(batchOf(ids))).id;
    const recovery: { result?: Promise<string[]>; settled: boolean } = { settled: false };
    // A claim by another console, held open after locking the batch's row.
    await a.db.transaction().execute(async (trx) => {
      await trx.selectFrom('batches').select('id').where('id', '=', id).forUpdate().execute();
      const result = a.store.recoverAfterCrash();
      recovery.result = result;
      void result.finally(() => (recovery.settled = true));
      await untilWaitingForLock(a, () => recovery.settled);
      await trx
        .insertInto('calls')
        .values({
          call_id: 'c1',
          batch_id: id,
          chunk_no: 0,
          attempt: 1,
          ids_json: '[]',
          state: 'sent',
          sent_at: 'x',
        })
        .execute();
      await trx
        .updateTable('items')
        .set({ state: 'in_flight', call_id: 'c1' })
        .where('batch_id', '=', id)
        .execute();
    });
    expect(await recovery.result).toEqual([id]);
    expect(await statesIn(a, id)).toEqual({ unknown: 3 });
    expect(
      await a.db.selectFrom('calls').select('state').where('call_id', '=', 'c1').execute(),
    ).toEqual([{ state: 'unknown' }]);
  });
});

describe('a group’s state with its children written at once', () => {
  /** A pairs group of two running children with nothing left to send (each may finish). */
  async function drainedGroup(t: PgTestStore) {
    const group = (await t.store.createBatch({ ...batchOf([]), kind: 'pairs' })).id;
    const children: string[] = [];
    for (const prefix of ['a', 'b']) {
      const child = (await t.store.createBatch({ ...batchOf(makeIds(1, prefix)), group_id: group }))
        .id;
      const call = await t.store.claimChunk(child, 10);
      if (!call) throw new Error('claim');
      await t.store.recordOutcome(call.callId, succeeded(call.ids), meta200);
      children.push(child);
    }
    expect(await t.store.getBatchState(group)).toBe('running');
    return { group, first: children[0] ?? '', second: children[1] ?? '' };
  }

  /**
   * Runs `write` while another console's transaction has changed `second`'s state (its trigger
   * has updated the group) and not committed yet; commits it once `write` waits.
   */
  async function whileSiblingChanges(
    t: PgTestStore,
    second: string,
    to: string,
    write: () => Promise<unknown>,
  ) {
    const pending: { result?: Promise<unknown> } = {};
    await t.db.transaction().execute(async (trx) => {
      await trx.selectFrom('batches').select('id').where('id', '=', second).forUpdate().execute();
      await trx
        .updateTable('batches')
        .set({ state: to, finished_at: '2026-12-01T10:00:00.000Z' })
        .where('id', '=', second)
        .execute();
      pending.result = write();
      await untilWaitingForLock(t);
    });
    return pending.result;
  }

  test('two children finishing at once: the group is done (its trigger sees the other child’s end)', async () => {
    const t = await open();
    const { group, first, second } = await drainedGroup(t);
    expect(await whileSiblingChanges(t, second, 'done', () => t.store.finishIfDrained(first))).toBe(
      true,
    );
    expect(await t.store.getBatch(group)).toMatchObject({ state: 'done' });
  });

  test('a child stopped while its sibling finishes: the group is cancelled', async () => {
    const t = await open();
    const { group, first, second } = await drainedGroup(t);
    expect(
      await whileSiblingChanges(t, second, 'done', () =>
        t.store.transitionBatch(first, ['running'], 'cancelled', 'stopped by the user'),
      ),
    ).toBe(true);
    expect(await t.store.getBatch(group)).toMatchObject({
      state: 'cancelled',
      state_reason: 'stopped by the user',
    });
  });

  test('a child’s last outcome finishing it while its sibling is paused: the group is paused', async () => {
    const t = await open();
    const group = (await t.store.createBatch({ ...batchOf([]), kind: 'pairs' })).id;
    const first = (await t.store.createBatch({ ...batchOf(makeIds(1, 'a')), group_id: group })).id;
    const second = (await t.store.createBatch({ ...batchOf(makeIds(1, 'b')), group_id: group })).id;
    const call = await t.store.claimChunk(first, 10);
    if (!call) throw new Error('claim');
    expect(
      await whileSiblingChanges(t, second, 'paused', () =>
        t.store.queueOutcome(call.callId, succeeded(call.ids), meta200, { finish: true }),
      ),
    ).toBe(1);
    expect(await t.store.getBatchState(first)).toBe('done');
    expect(await t.store.getBatchState(group)).toBe('paused');
  });

  test('a child with nothing to send added while its sibling finishes: the group is done', async () => {
    const t = await open();
    const { group, first, second } = await drainedGroup(t);
    expect(await t.store.finishIfDrained(second)).toBe(true);
    // Done at once: only an invalid ID.
    await whileSiblingChanges(t, first, 'done', () =>
      t.store.createBatch({ ...batchOf([], ['bad']), group_id: group }),
    );
    expect(await t.store.getBatchState(group)).toBe('done');
  });
});

describe('queued outcomes', () => {
  test('a later write starts after the outcomes queued before it, whatever order the pool would give', async () => {
    // One connection: without waiting, the strand's transaction would take it before the
    // outcome's (queued behind the outcome's first read).
    const t = await open({ max: 1 });
    const id = (await t.store.createBatch(batchOf(makeIds(3)))).id;
    const call = await t.store.claimChunk(id, 10);
    if (!call) throw new Error('claim');
    const queued = t.store.queueOutcome(call.callId, succeeded(call.ids), meta200);
    expect(await t.store.strandInFlight(id)).toBe(0);
    expect(await queued).toBe(3);
    expect(await statesIn(t, id)).toEqual({ succeeded: 3 });
  });

  test('the outcomes of a batch queued while its outcome transaction waits go together into the next one', async () => {
    let transactions = 0;
    // Two connections: one for the first outcome's transaction, one for the lookups after it.
    const t = await open({
      max: 2,
      fence: () => {
        transactions++;
        return Promise.resolve();
      },
    });
    const probe = await open({ url: t.url });
    const id = (await t.store.createBatch(batchOf(makeIds(10)))).id;
    const calls: (ClaimedCall | null)[] = [];
    for (let i = 0; i < 5; i++) calls.push(await t.store.claimChunk(id, 2));
    transactions = 0;
    const queued: Promise<number>[] = [];
    await probe.db.transaction().execute(async (trx) => {
      await trx.selectFrom('batches').select('id').where('id', '=', id).forUpdate().execute();
      for (const c of calls) {
        if (c)
          queued.push(t.store.queueOutcome(c.callId, succeeded(c.ids), meta200, { finish: true }));
      }
      // The first outcome's transaction waits for the row; a read queued behind the other
      // outcomes' lookups on the second connection answers once they are all in the batch's queue.
      await untilWaitingForLock(probe);
      await t.store.getBatchState(id);
    });
    expect(await Promise.all(queued)).toEqual([2, 2, 2, 2, 2]);
    expect(transactions).toBe(2);
    expect(await t.store.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 10 } });
  });

  test('close waits for the outcomes queued, then ends the pool', async () => {
    const t = await openPgTestStore();
    const probe = await open({ url: t.url });
    const id = (await t.store.createBatch(batchOf(makeIds(3)))).id;
    const call = await t.store.claimChunk(id, 10);
    if (!call) throw new Error('claim');
    const queued = t.store.queueOutcome(call.callId, succeeded(call.ids), meta200);
    await t.store.close();
    expect(await queued).toBe(3);
    expect(t.pg.pool.ended).toBe(true);
    expect(await statesIn(probe, id)).toEqual({ succeeded: 3 });
    expect(await t.store.ping()).toBe(false);
    expect(await probe.store.ping()).toBe(true);
  });
});

test('on a pool without openPostgres’s bigint parser, counts and chunk numbers still read as numbers', async () => {
  const t = await open();
  const pool = new pg.Pool({ connectionString: t.url, max: 2 });
  const store = openPgStore(new Kysely<LedgerTables>({ dialect: new PostgresDialect({ pool }) }));
  opened.push(store);
  const id = (await store.createBatch(batchOf(makeIds(3)))).id;
  expect(await store.claimChunk(id, 1)).toMatchObject({ chunkNo: 0 });
  expect(await store.claimChunk(id, 1)).toMatchObject({ chunkNo: 1 });
  expect(await store.counts(id)).toMatchObject({ pending: 1, in_flight: 2 });
  expect(await store.listBatches(0, 10)).toMatchObject({ total: 1, items: [{ id }] });
  expect(await store.listBatches(0, 10, { user: 'nobody' })).toEqual({ items: [], total: 0 });
  expect(await store.listItems(id, { state: 'pending', offset: 0, limit: 10 })).toMatchObject({
    total: 1,
  });
  expect((await store.getBatch(id))?.counts).toMatchObject({ pending: 1, in_flight: 2 });
});

test('a claim’s rows named by seq are read within their range of seqs, also while the statistics know nothing of the batch (a new batch on a ledger of ended batches)', async () => {
  const t = await open({ max: 2 });
  // Every statement the store sends, with its parameters.
  const sent: { text: string; values: unknown[] }[] = [];
  t.pg.pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [config, values] = args as [{ text?: string; values?: unknown[] } | string, unknown[]];
      if (typeof config === 'object' && typeof config.text === 'string')
        sent.push({ text: config.text, values: config.values ?? [] });
      else if (typeof config === 'string') sent.push({ text: config, values: values ?? [] });
      return query(...args);
    };
  });
  // Ended batches (their items succeeded), then the statistics; then a new batch of 20,000.
  for (let b = 0; b < 60; b++) await t.store.createBatch(batchOf(makeIds(300)));
  await sql`update items set state = 'succeeded'`.execute(t.db);
  await sql`update batches set state = 'done'`.execute(t.db);
  await sql`analyze items`.execute(t.db);
  const id = (await t.store.createBatch(batchOf(makeIds(20_000, 'b')))).id;
  const rows = await t.db
    .selectFrom('items')
    .select(['seq', 'id'])
    .where('batch_id', '=', id)
    .where('seq', '>=', 5_000)
    .orderBy('seq')
    .limit(100)
    .execute();
  const send = rows.map((r) => ({ ...r, attempts: 0, mayBeApplied: false }));
  // The pre-read's settled rows go by seq too: ten of the next.
  const settle = (
    await t.db
      .selectFrom('items')
      .select('seq')
      .where('batch_id', '=', id)
      .where('seq', '>=', 6_000)
      .orderBy('seq')
      .limit(10)
      .execute()
  ).map((r) => ({
    seq: r.seq,
    state: 'unchanged' as const,
    code: 'ALREADY',
    message: 'already so',
  }));
  const from = sent.length;
  const claimed = await t.store.claimPreRead(id, send, settle);
  expect(claimed?.call?.ids).toHaveLength(100);
  const updates = sent.slice(from).filter((s) => /^update "items"/.test(s.text));
  expect(updates).toHaveLength(2);
  for (const u of updates) {
    const plan = await t.pg.pool.query<{ 'QUERY PLAN': unknown }>(
      `explain (format json) ${u.text}`,
      u.values,
    );
    // Every index scan of the plan is bounded by seq, whichever index it takes: without the bounds
    // (seqsAmong) it took an index on batch_id alone and filtered every row of the batch (20,000
    // rows read for 100).
    const conds = [
      ...JSON.stringify(plan.rows[0]?.['QUERY PLAN']).matchAll(/"Index Cond":"([^"]*)"/g),
    ].map((m) => m[1] ?? '');
    expect(conds.length).toBeGreaterThan(0);
    for (const c of conds) expect(c).toMatch(/\(seq >= \d+\).*\(seq <= \d+\)/);
  }
});

test('a fenced write reads and locks the batch’s row and its lease row in one statement: the fence gets the lease row as locked (FOR SHARE), and refuses a lease taken since', async () => {
  const seenByFence: { seen: unknown; batchLocked: boolean; leaseLocked: boolean }[] = [];
  let probe: PgTestStore | null = null;
  let lease: Awaited<ReturnType<typeof claimBatch>> = null;
  const lockedElsewhere = async (table: 'batches' | 'batch_leases', column: string, id: string) => {
    try {
      await sql`select 1 from ${sql.table(table)} where ${sql.ref(column)} = ${id} for update nowait`.execute(
        (probe as PgTestStore).db,
      );
      return false;
    } catch (err) {
      if (!/could not obtain lock/.test(String(err))) throw err;
      return true;
    }
  };
  const t = await open({
    fence: async (trx, batchId, seen) => {
      seenByFence.push({
        seen,
        batchLocked: await lockedElsewhere('batches', 'id', batchId),
        leaseLocked: await lockedElsewhere('batch_leases', 'batch_id', batchId),
      });
      if (lease) await assertLease(trx as unknown as Kysely<LeaseTables>, lease, seen);
    },
  });
  probe = await open({ url: t.url });
  const leases = t.db as unknown as Kysely<LeaseTables>;
  const id = (await t.store.createBatch(batchOf(makeIds(4)))).id;
  // No lease row: the fence reads it itself (and a real fence refuses: none).
  expect(await t.store.claimChunk(id, 1)).not.toBeNull();
  expect(seenByFence).toEqual([{ seen: undefined, batchLocked: true, leaseLocked: false }]);

  await offerBatch(leases, id);
  lease = await claimBatch(leases, 'console-a', id, 60_000);
  expect(lease).not.toBeNull();
  seenByFence.length = 0;
  expect(await t.store.claimChunk(id, 1)).not.toBeNull();
  expect(seenByFence).toEqual([
    {
      seen: { holder: 'console-a', epoch: lease?.epoch, ended: false, live: true },
      batchLocked: true,
      leaseLocked: true,
    },
  ]);

  // Taken by another console since: the lease row as read with the lock says so.
  await sql`update batch_leases set holder = 'console-b', epoch = epoch + 1 where batch_id = ${id}`.execute(
    t.db,
  );
  const before = await snapshot(t);
  await expect(t.store.claimChunk(id, 1)).rejects.toMatchObject({
    name: 'LeaseLostError',
    reason: 'taken',
  });
  expect(await snapshot(t)).toEqual(before);
});
