/**
 * `item_counts` (migration 5) against a fresh COUNT of the items: two consoles (two pools, as two
 * server processes) on one PostgreSQL database run random sequences of every store write that
 * changes items (create, group create, claim, pre-read claim, outcome, queued outcome, release,
 * retry, strand, crash recovery, cancel, pause/resume, finish, settle, mark unsettled), several at
 * once; after each round every batch's counts, as each console reads them (`counts`, `getBatch`,
 * `listBatches`, a group's summed over its children), equal a GROUP BY over its items, and the
 * table equals the aggregate of the whole `items` table.
 */
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { emptyItemCounts, itemStates, type ItemCounts } from '../../src/api/schemas';
import type { ClaimedCall, ItemOutcome } from '../batches/ledger';
import { openPgTestStore, type PgTestStore } from '../testing/stores';
import { compilerFor } from './migration';
import { itemCounts } from './migrations/005-item-counts';
import { batchOf, common, meta200, pending } from './store-contract/helpers';

const opened: PgTestStore[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** `n` distinct IDs (a batch's items are unique per batch). */
const makeIds = (n: number) => Array.from({ length: n }, () => randomUUID());

/** mulberry32: a small seeded generator, so that a failing sequence can be run again. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A batch's counts as a GROUP BY over its items reads them now. */
async function freshCounts(t: PgTestStore, batchIds: readonly string[]): Promise<ItemCounts> {
  const out = emptyItemCounts();
  if (batchIds.length === 0) return out;
  const rows = await t.db
    .selectFrom('items')
    .select(({ fn }) => ['state', fn.countAll().as('n')])
    .where(({ eb, fn }) => eb('batch_id', '=', fn.any(eb.val(batchIds))))
    .groupBy('state')
    .execute();
  for (const r of rows) out[r.state as keyof ItemCounts] = Number(r.n);
  return out;
}

/** The whole table against the aggregate of `items` (rows of n = 0 left out of both). */
async function tableMatches(t: PgTestStore): Promise<void> {
  const kept = await sql<{ batch_id: string; state: string; n: number }>`
    select batch_id, state, n from item_counts where n <> 0 order by batch_id, state`.execute(t.db);
  const fresh = await sql<{ batch_id: string; state: string; n: number }>`
    select batch_id, state, count(*)::int as n from items group by batch_id, state
     order by batch_id, state`.execute(t.db);
  expect(kept.rows).toEqual(fresh.rows);
}

interface Batch {
  id: string;
  /** The group's children (a group row has no items of its own here but its invalid ones). */
  children: string[];
}

async function randomRun(seed: number, steps: number): Promise<number> {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(random() * xs.length)];
  const a = await openPgTestStore();
  opened.push(a);
  const b = await openPgTestStore({ url: a.url });
  opened.push(b);
  const consoles = [a, b];
  const batches: Batch[] = [];
  /** Runnable batches (groups' children and plain batches). */
  const runnable: string[] = [];
  const calls: { call: ClaimedCall; batchId: string }[] = [];
  const outcomeOf = (ids: readonly string[]): ItemOutcome[] =>
    ids.map((id) => {
      const r = random();
      return r < 0.6
        ? { id, state: 'succeeded', code: null, message: null }
        : r < 0.85
          ? { id, state: 'failed', code: 'SecMaster.1', message: 'no' }
          : { id, state: 'unknown', code: 'TIMEOUT', message: 'timed out' };
    });
  const takeCall = () => {
    const i = Math.floor(random() * calls.length);
    return calls.splice(i, 1)[0];
  };
  let checks = 0;
  /** Every state some batch had at a check. */
  const seen = new Set<string>();

  const op = async (t: PgTestStore): Promise<void> => {
    const { store } = t;
    const r = random();
    const batchId = pick(runnable);
    if (r < 0.1 || batchId === undefined) {
      const n = 1 + Math.floor(random() * 250);
      const bad = random() < 0.5 ? makeIds(1 + Math.floor(random() * 3)) : [];
      const id = (await store.createBatch(batchOf(makeIds(n), bad))).id;
      batches.push({ id, children: [] });
      runnable.push(id);
    } else if (r < 0.14) {
      const kids = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => ({
        ...common,
        data_object_id: `c0ffee00-0000-4000-8000-00000000000${k}`,
        items: makeIds(1 + Math.floor(random() * 40)).map(pending),
      }));
      const group = await store.createGroup(
        {
          ...common,
          kind: 'pairs',
          data_object_id: '',
          items: [{ id: 'x', idKey: '["?","x"]', state: 'invalid', message: 'subject: bad' }],
        },
        kids,
      );
      const children = (
        await t.db.selectFrom('batches').select('id').where('group_id', '=', group.id).execute()
      ).map((c) => c.id);
      batches.push({ id: group.id, children });
      runnable.push(...children);
    } else if (r < 0.32) {
      const call = await store.claimChunk(batchId, 1 + Math.floor(random() * 60));
      if (call) calls.push({ call, batchId });
    } else if (r < 0.4) {
      const rows = await store.peekPending(batchId, -1, 1 + Math.floor(random() * 40));
      const settle = rows
        .filter(() => random() < 0.4)
        .map((p) => ({
          seq: p.seq,
          state: random() < 0.5 ? ('unchanged' as const) : ('failed' as const),
          code: 'C',
          message: 'm',
        }));
      const settled = new Set(settle.map((s) => s.seq));
      const res = await store
        .claimPreRead(
          batchId,
          rows.filter((p) => !settled.has(p.seq)),
          settle,
        )
        // Another console claimed some of these rows since the peek: the whole claim rolls back.
        .catch((err: unknown) => {
          if (!/changed under the claim/.test(String(err))) throw err;
          return null;
        });
      if (res?.call) calls.push({ call: res.call, batchId });
    } else if (r < 0.52) {
      const c = takeCall();
      if (c) await store.recordOutcome(c.call.callId, outcomeOf(c.call.ids), meta200);
    } else if (r < 0.62) {
      const c = takeCall();
      if (c)
        await store.queueOutcome(c.call.callId, outcomeOf(c.call.ids), meta200, {
          finish: random() < 0.5,
        });
    } else if (r < 0.67) {
      const c = takeCall();
      if (c) await store.releaseCall(c.call.callId, { ...meta200, httpStatus: 429 });
    } else if (r < 0.72) {
      const c = takeCall();
      if (c) {
        const next = await store.retryCall(c.call.callId, random() < 0.5);
        if (next) calls.push({ call: next, batchId: c.batchId });
      }
    } else if (r < 0.75) {
      await store.strandInFlight(batchId);
    } else if (r < 0.77) {
      await store.recoverAfterCrash();
    } else if (r < 0.8) {
      await store.cancelBatch(batchId);
    } else if (r < 0.84) {
      await store.transitionBatch(batchId, ['running'], 'paused', null);
    } else if (r < 0.88) {
      await store.transitionBatch(batchId, ['paused', 'interrupted'], 'running', null);
    } else if (r < 0.9) {
      await store.finishIfDrained(batchId);
    } else if (r < 0.97) {
      const unknown = await store.unknownIds(batchId, 50);
      const ids = unknown.map((u) => u.id);
      const third = Math.ceil(ids.length / 3);
      await store.settleUnknown(batchId, {
        succeeded: ids.slice(0, third),
        resend: ids.slice(third, 2 * third),
        failed: ids.slice(2 * third).map((id) => ({ id, code: 'F', message: 'failed' })),
      });
    } else {
      const unknown = await store.unknownIds(batchId, 10);
      await store.markUnknownUnsettled(
        batchId,
        unknown.map((u) => u.id),
      );
    }
  };

  const check = async () => {
    for (const t of consoles) {
      const listed = new Map(
        (await t.store.listBatches(0, 1_000)).items.map((x) => [x.id, x.counts]),
      );
      for (const x of batches) {
        const own = await freshCounts(t, [x.id]);
        const all = x.children.length === 0 ? own : await freshCounts(t, [x.id, ...x.children]);
        for (const state of itemStates) if (all[state] > 0) seen.add(state);
        expect(await t.store.counts(x.id)).toEqual(own);
        expect((await t.store.getBatch(x.id))?.counts).toEqual(all);
        expect(listed.get(x.id)).toEqual(all);
        for (const c of x.children) {
          expect(await t.store.counts(c)).toEqual(await freshCounts(t, [c]));
        }
        checks++;
      }
    }
    await tableMatches(a);
  };

  for (let step = 0; step < steps; step++) {
    // One to three writes at once, spread over both consoles.
    const atOnce = 1 + Math.floor(random() * 3);
    await Promise.all(Array.from({ length: atOnce }, () => op(pick(consoles) ?? a)));
    if (step % 5 === 4) await check();
  }
  // Every call answered: each batch ends somewhere, and the counts still hold.
  for (const c of calls.splice(0))
    await a.store.recordOutcome(c.call.callId, outcomeOf(c.call.ids), meta200);
  await check();
  // The sequence reached every state (it exercised the writes it claims to).
  expect([...seen].sort()).toEqual([...itemStates].sort());
  return checks;
}

describe('item_counts (PostgreSQL): kept by every write, on every console', () => {
  test.each([1, 2, 3])(
    'random writes from two consoles, several at once (seed %i): counts equal a fresh COUNT',
    async (seed) => {
      expect(await randomRun(seed, 60)).toBeGreaterThan(0);
    },
    120_000,
  );

  test('a batch created before the migration is counted from its items (the migration fills the table)', async () => {
    const t = await openPgTestStore();
    opened.push(t);
    const id = (await t.store.createBatch(batchOf(makeIds(30), makeIds(2)))).id;
    await t.store.claimChunk(id, 10);
    // As a database migrated before version 5 holds it: no rows; then migration 5's fill.
    await sql`delete from item_counts`.execute(t.db);
    expect(await t.store.counts(id)).toEqual(emptyItemCounts());
    const fill = itemCounts.up(compilerFor('postgres'), 'postgres').at(-1);
    if (fill === undefined) throw new Error('migration 5 has no statements');
    await t.db.executeQuery(fill);
    expect(await t.store.counts(id)).toEqual({
      ...emptyItemCounts(),
      pending: 20,
      in_flight: 10,
      invalid: 2,
    });
    await tableMatches(t);
  });
});
