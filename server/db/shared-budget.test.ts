import Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeConsole, closeConsoles, twoConsoles as twoPgConsoles } from '../testing/pg-consoles';
import { compilerFor } from './migration';
import {
  acquireSlot,
  freeSlots,
  refundRetry,
  releaseSlot,
  renewSlots,
  retryTokens,
  setRetryBudget,
  setSlotCount,
  sharedBudgetMigration,
  slotsInUse,
  takeRetry,
  takeRetryLeft,
  type SharedBudgetTables,
  type SlotLease,
} from './shared-budget';

type DB = SharedBudgetTables;

afterEach(closeConsoles);

/** A fresh database with the shared budget's tables, and two consoles on it. */
function twoConsoles(): Promise<[Kysely<DB>, Kysely<DB>]> {
  return twoPgConsoles<DB>('budget', [sharedBudgetMigration]);
}

/** Takes a slot, asking again until one is free. */
async function slotFor(db: Kysely<DB>, consoleId: string, leaseMs: number): Promise<SlotLease> {
  for (;;) {
    const s = await acquireSlot(db, consoleId, leaseMs);
    if (s) return s;
  }
}

describe('the shared budget migration', () => {
  it('runs on SQLite as well (one schema; the tables stay unused there)', () => {
    const lite = new Database(':memory:');
    try {
      for (const q of sharedBudgetMigration.up(compilerFor('sqlite'), 'sqlite')) {
        lite.prepare(q.sql).run(...(q.parameters as unknown[]));
      }
      const tables = lite
        .prepare(`select name from sqlite_master where type = 'table' order by name`)
        .all();
      expect(tables).toEqual([{ name: 'retry_budget' }, { name: 'upstream_slots' }]);
    } finally {
      lite.close();
    }
  });
});

describe('shared upstream slots on PostgreSQL, two consoles', () => {
  it('never lets two calls hold one slot, nor more than N run, across two pools', async () => {
    const [a, b] = await twoConsoles();
    const N = 3;
    await setSlotCount(a, N);
    const holders = new Map<number, string>();
    let inUse = 0;
    let most = 0;
    let dbMost = 0;
    const clashes: string[] = [];
    const worker = async (db: Kysely<DB>, name: string) => {
      for (let i = 0; i < 10; i++) {
        const s = await slotFor(db, name.slice(0, 1), 60_000);
        if (holders.has(s.slot)) clashes.push(`${name} and ${holders.get(s.slot)} on ${s.slot}`);
        holders.set(s.slot, name);
        most = Math.max(most, ++inUse);
        // The call: a round trip to the database, counting the slots taken meanwhile.
        dbMost = Math.max(dbMost, await slotsInUse(db));
        inUse--;
        holders.delete(s.slot);
        expect(await releaseSlot(db, s)).toBe(true);
      }
    };
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => worker(a, `A${i}`)),
      ...Array.from({ length: 6 }, (_, i) => worker(b, `B${i}`)),
    ]);
    expect(clashes).toEqual([]);
    expect(most).toBeLessThanOrEqual(N);
    expect(dbMost).toBeLessThanOrEqual(N);
    expect(most).toBe(N); // the workers did run side by side
    expect(await slotsInUse(a)).toBe(0);
    const tokens = await a.selectFrom('upstream_slots').select('token').execute();
    expect(tokens.reduce((sum, r) => sum + Number(r.token), 0)).toBe(2 * 6 * 10);
  });

  it('gives nothing while all N are taken, and a released slot at once', async () => {
    const [a, b] = await twoConsoles();
    await setSlotCount(a, 2);
    const s1 = (await acquireSlot(a, 'A', 60_000))!;
    const s2 = (await acquireSlot(a, 'A', 60_000))!;
    expect(new Set([s1.slot, s2.slot])).toEqual(new Set([0, 1]));
    expect(await acquireSlot(b, 'B', 60_000)).toBeNull();
    expect(await releaseSlot(a, s1)).toBe(true);
    const s3 = await acquireSlot(b, 'B', 60_000);
    expect(s3).toEqual({ pool: 'secmaster', slot: s1.slot, token: s1.token + 1, holder: 'B' });
    expect(await releaseSlot(a, s1)).toBe(false); // that take ended already
    expect(await slotsInUse(a)).toBe(2);
  });

  it('gives a dead console’s slots back after their expiry, and ignores its late releases', async () => {
    const [a, b] = await twoConsoles();
    await setSlotCount(a, 2);
    const dead = [(await acquireSlot(a, 'A', 300))!, (await acquireSlot(a, 'A', 300))!];
    await closeConsole(a); // console A is gone
    const mine: SlotLease[] = [];
    await vi.waitFor(
      async () => {
        const s = await acquireSlot(b, 'B', 60_000);
        if (s) mine.push(s);
        expect(mine).toHaveLength(2);
      },
      { timeout: 10_000, interval: 20 },
    );
    for (const d of dead) {
      expect(mine.find((m) => m.slot === d.slot)?.token).toBe(d.token + 1);
      expect(await releaseSlot(b, d)).toBe(false); // A's release arriving late changes nothing
    }
    expect(await slotsInUse(b)).toBe(2);
    expect(await acquireSlot(b, 'B', 60_000)).toBeNull();
  });

  it('extends held slots on renewal, and does not revive expired ones', async () => {
    const [a, b] = await twoConsoles();
    await setSlotCount(a, 2);
    // A long lease where the slot must survive (a slow machine cannot make it lapse), a short one
    // where the test needs it to expire (slowness only helps).
    const kept = (await acquireSlot(a, 'A', 60_000))!;
    expect(await renewSlots(a, 'A', 600_000)).toBe(1);
    const extended = await sql<{ far: boolean }>`
      select expires_at > clock_timestamp() + interval '300 seconds' as far
      from upstream_slots where pool = ${kept.pool} and slot = ${kept.slot}`.execute(a);
    expect(extended.rows).toEqual([{ far: true }]);
    const lapsed = (await acquireSlot(a, 'A', 300))!;
    const got = await vi.waitFor(
      async () => {
        const s = await acquireSlot(b, 'B', 60_000);
        if (!s) throw new Error('nothing free yet');
        return s;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(got.slot).toBe(lapsed.slot);
    expect(await renewSlots(a, 'A', 60_000)).toBe(1); // only the one still held
    expect(await acquireSlot(b, 'B', 60_000)).toBeNull();
    expect(await releaseSlot(a, kept)).toBe(true);
  });

  it('resizes the pool: new slots are free, removed ones are gone', async () => {
    const [a] = await twoConsoles();
    await setSlotCount(a, 2);
    const held = (await acquireSlot(a, 'A', 60_000))!;
    await setSlotCount(a, 4);
    expect(
      (await a.selectFrom('upstream_slots').select('slot').orderBy('slot').execute()).map(
        (r) => r.slot,
      ),
    ).toEqual([0, 1, 2, 3]);
    expect(await slotsInUse(a)).toBe(1); // a resize keeps what is taken
    await setSlotCount(a, 1);
    const left = await a.selectFrom('upstream_slots').select(['slot', 'holder']).execute();
    expect(left).toEqual([{ slot: 0, holder: held.slot === 0 ? 'A' : null }]);
    await setSlotCount(a, 0);
    expect(await acquireSlot(a, 'A', 60_000)).toBeNull();
  });

  it('leaves a caller’s transaction durable (only its own statements skip the flush)', async () => {
    const [a] = await twoConsoles();
    await setSlotCount(a, 1);
    await setRetryBudget(a, 10);
    const setting = await a.transaction().execute(async (trx) => {
      // (The test cluster runs with synchronous_commit off: this transaction asks for it on.)
      await sql`set local synchronous_commit = on`.execute(trx);
      const s = (await acquireSlot(trx, 'A', 60_000))!;
      await takeRetry(trx, 1);
      await refundRetry(trx, 1);
      await renewSlots(trx, 'A', 60_000);
      await releaseSlot(trx, s);
      const { rows } = await sql<{
        v: string;
      }>`select current_setting('synchronous_commit') as v`.execute(trx);
      return rows[0]?.v;
    });
    expect(setting).toBe('on');
  });

  it('counts the free slots: never held, released, or expired', async () => {
    const [a, b] = await twoConsoles();
    await setSlotCount(a, 3);
    expect(await freeSlots(b)).toBe(3);
    const held = (await acquireSlot(a, 'A', 60_000))!;
    await acquireSlot(a, 'A', 300);
    expect(await freeSlots(b)).toBe(1);
    await releaseSlot(a, held);
    expect(await freeSlots(b)).toBe(2);
    await vi.waitFor(async () => expect(await freeSlots(b)).toBe(3), {
      timeout: 10_000,
      interval: 20,
    });
    expect(await freeSlots(b, { pool: 'other' })).toBe(0);
  });

  it('keeps pools apart', async () => {
    const [a] = await twoConsoles();
    await setSlotCount(a, 1, { pool: 'account-1' });
    await setSlotCount(a, 1, { pool: 'account-2' });
    expect(await acquireSlot(a, 'A', 60_000, { pool: 'account-1' })).not.toBeNull();
    expect(await acquireSlot(a, 'A', 60_000, { pool: 'account-1' })).toBeNull();
    expect(await acquireSlot(a, 'A', 60_000, { pool: 'account-2' })).not.toBeNull();
    expect(await acquireSlot(a, 'A', 60_000)).toBeNull(); // the default pool has no slots
  });
});

describe('the shared retry budget on PostgreSQL, two consoles', () => {
  it('never goes below zero when 2×10 takers drain it at once', async () => {
    const [a, b] = await twoConsoles();
    await setRetryBudget(a, 52);
    const taker = async (db: Kysely<DB>) => {
      let taken = 0;
      while (await takeRetry(db, 5)) taken++;
      return taken;
    };
    const counts = await Promise.all([
      ...Array.from({ length: 10 }, () => taker(a)),
      ...Array.from({ length: 10 }, () => taker(b)),
    ]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(10);
    expect(await retryTokens(a)).toBe(2);
    expect(await takeRetry(b, 5)).toBe(false);
    expect(await takeRetry(b, 2)).toBe(true);
    expect(await retryTokens(a)).toBe(0);
  });

  it('stays within 0…capacity under concurrent takes of 5 and 10 and refunds', async () => {
    const [a, b] = await twoConsoles();
    await setRetryBudget(a, 100);
    const seen: number[] = [];
    const worker = async (db: Kysely<DB>, i: number) => {
      for (let n = 0; n < 30; n++) {
        if ((n + i) % 3 === 0) await refundRetry(db, 4);
        else await takeRetry(db, (n + i) % 3 === 1 ? 5 : 10);
        seen.push((await retryTokens(db))!);
      }
    };
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => worker(a, i)),
      ...Array.from({ length: 6 }, (_, i) => worker(b, i)),
    ]);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(100);
    expect(Math.min(...seen)).toBeLessThan(10); // it was drained: the bounds were in play
  });

  it('tells the tokens left by a take and after a refund', async () => {
    const [a, b] = await twoConsoles();
    await setRetryBudget(a, 12);
    expect(await takeRetryLeft(a, 5)).toEqual({ taken: true, tokens: 7 });
    expect(await takeRetryLeft(b, 5)).toEqual({ taken: true, tokens: 2 });
    expect(await takeRetryLeft(a, 5)).toEqual({ taken: false, tokens: 2 });
    expect(await refundRetry(b, 4)).toBe(6);
    expect(await refundRetry(b, 40)).toBe(12);
    expect(await refundRetry(a, 1)).toBeNull(); // full: nothing changed
    await expect(takeRetryLeft(a, 1, { pool: 'none' })).rejects.toThrow(/setRetryBudget/);
  });

  it('refunds up to the capacity, and a new capacity cuts the tokens', async () => {
    const [a] = await twoConsoles();
    await setRetryBudget(a, 20);
    expect(await takeRetry(a, 10)).toBe(true);
    await refundRetry(a, 3);
    expect(await retryTokens(a)).toBe(13);
    await refundRetry(a, 50);
    expect(await retryTokens(a)).toBe(20);
    await setRetryBudget(a, 50); // raised: tokens kept
    expect(await retryTokens(a)).toBe(20);
    await setRetryBudget(a, 8); // lowered: cut
    expect(await retryTokens(a)).toBe(8);
    const row = await a.selectFrom('retry_budget').selectAll().executeTakeFirstOrThrow();
    expect(row).toEqual({ pool: 'secmaster', tokens: 8, capacity: 8 });
  });

  it('refuses to take from a pool without a budget (rather than pause for ever)', async () => {
    const [a] = await twoConsoles();
    await expect(takeRetry(a, 5)).rejects.toThrow(/setRetryBudget/);
    expect(await retryTokens(a)).toBeNull();
  });

  it('has the database refuse a budget below zero whatever the code does', async () => {
    const [a] = await twoConsoles();
    await setRetryBudget(a, 3);
    await expect(sql`update retry_budget set tokens = tokens - 5`.execute(a)).rejects.toThrow(
      /retry_budget_bounds/,
    );
  });
});
