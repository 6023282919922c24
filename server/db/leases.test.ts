import Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeConsoles, twoConsoles as twoPgConsoles } from '../testing/pg-consoles';
import {
  assertLease,
  claimBatch,
  claimBatches,
  clearRetryWait,
  endBatch,
  LeaseKeeper,
  LeaseLostError,
  leasesMigration,
  offerBatch,
  offerIfRunnable,
  releaseLease,
  releaseWithWait,
  renewLease,
  renewLeases,
  withdrawBatch,
  type KeeperLostReason,
  type Lease,
  type LeaseTables,
  type Schedule,
} from './leases';
import { compilerFor } from './migration';
import { migrations } from './migrations';

/** A table written under a lease in these tests (an intent or outcome write stands for it). */
interface DB extends LeaseTables {
  probe: { batch_id: string; note: string };
}

const keepers: LeaseKeeper<DB>[] = [];
afterEach(async () => {
  await Promise.all(keepers.splice(0).map((k) => k.stop()));
  await closeConsoles();
});

/**
 * A fresh database with the ledger's schema (the migrations' own statements: the lease table, and
 * the batches a claim reads subjects from) and two consoles.
 */
async function twoConsoles(): Promise<[Kysely<DB>, Kysely<DB>]> {
  const [a, b] = await twoPgConsoles<DB>('lease', migrations);
  await sql`create table probe (batch_id text not null, note text not null)`.execute(a);
  return [a, b];
}

/** Writes a probe row for the lease's batch with the fence after the write, in one transaction. */
function fencedWrite(db: Kysely<DB>, lease: Lease, note: string): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('probe').values({ batch_id: lease.batchId, note }).execute();
    await assertLease(trx, lease);
  });
}

async function notes(db: Kysely<DB>): Promise<string[]> {
  const rows = await db.selectFrom('probe').select('note').orderBy('note').execute();
  return rows.map((r) => r.note);
}

/** Waits until the database's clock has passed the batch's lease expiry. */
async function untilExpired(db: Kysely<DB>, batchId: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const row = await db
        .selectFrom('batch_leases')
        .select(sql<boolean>`expires_at <= clock_timestamp()`.as('over'))
        .where('batch_id', '=', batchId)
        .executeTakeFirstOrThrow();
      expect(row.over).toBe(true);
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** Waits until `db`'s console claims `batchId` (after the lease there expires). */
async function claimWhenFree(db: Kysely<DB>, consoleId: string, batchId: string, leaseMs: number) {
  return vi.waitFor(
    async () => {
      const lease = await claimBatch(db, consoleId, batchId, leaseMs);
      if (!lease) throw new Error(`${batchId} not free yet`);
      return lease;
    },
    { timeout: 10_000, interval: 20 },
  );
}

function lostError(reason: string) {
  return expect.objectContaining({ name: 'LeaseLostError', reason });
}

describe('the batch_leases migration', () => {
  it('runs on SQLite as well (one schema; the table stays unused there)', () => {
    const lite = new Database(':memory:');
    try {
      for (const q of leasesMigration.up(compilerFor('sqlite'), 'sqlite')) {
        lite.prepare(q.sql).run(...(q.parameters as unknown[]));
      }
      const cols = lite.prepare(`select name from pragma_table_info('batch_leases')`).all();
      expect(cols).toEqual([
        { name: 'batch_id' },
        { name: 'holder' },
        { name: 'epoch' },
        { name: 'expires_at' },
        { name: 'ended' },
      ]);
    } finally {
      lite.close();
    }
  });
});

describe('batch leases on PostgreSQL, two consoles', () => {
  it('hands each of 20 batches to exactly one of 2×10 racing claimers', async () => {
    const [a, b] = await twoConsoles();
    const ids = Array.from({ length: 20 }, (_, i) => `batch-${i}`);
    for (const id of ids) await offerBatch(a, id);
    const claimer = async (db: Kysely<DB>, consoleId: string) => {
      const got: Lease[] = [];
      for (;;) {
        const leases = await claimBatches(db, consoleId, 1, 60_000);
        if (leases.length === 0) return got;
        got.push(...leases);
      }
    };
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => claimer(a, 'A')),
      ...Array.from({ length: 10 }, () => claimer(b, 'B')),
    ]);
    const claims = results.flat();
    expect(claims.map((l) => l.batchId).sort()).toEqual([...ids].sort());
    expect(new Set(claims.map((l) => l.epoch))).toEqual(new Set([1]));
    const rows = await a.selectFrom('batch_leases').select(['batch_id', 'holder']).execute();
    const holderOf = new Map(rows.map((r) => [r.batch_id, r.holder]));
    for (const l of claims) expect(holderOf.get(l.batchId)).toBe(l.holder);
    expect(await claimBatches(b, 'B', 20, 60_000)).toEqual([]);
  });

  it('does not let another console claim a live lease', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    await offerBatch(a, 'b1'); // offering twice changes nothing
    const [lease] = await claimBatches(a, 'A', 5, 60_000);
    expect(lease).toEqual({ batchId: 'b1', epoch: 1, holder: 'A' });
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([]);
    expect(await claimBatch(b, 'B', 'b1', 60_000)).toBeNull();
    expect(await claimBatch(a, 'A', 'b1', 60_000)).toBeNull();
    expect(await renewLease(a, lease!, 60_000)).toBe(true);
  });

  it('gives a lease that was not renewed to the other console, with a higher epoch', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const [stale] = await claimBatches(a, 'A', 1, 300);
    const fresh = await vi.waitFor(
      async () => {
        const [l] = await claimBatches(b, 'B', 1, 60_000);
        if (!l) throw new Error('not claimable yet');
        return l;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(fresh).toEqual({ batchId: 'b1', epoch: stale!.epoch + 1, holder: 'B' });
    expect(await renewLease(a, stale!, 60_000)).toBe(false);
    expect(await renewLease(b, fresh, 60_000)).toBe(true);
  });

  it('refuses a write fenced with a stale epoch and rolls the write back', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const stale = (await claimBatch(a, 'A', 'b1', 300))!;
    await untilExpired(a, 'b1');
    // Expired, nobody else yet: refused all the same.
    await expect(fencedWrite(a, stale, 'A after expiry')).rejects.toEqual(lostError('expired'));
    const fresh = await claimWhenFree(b, 'B', 'b1', 60_000);
    await expect(fencedWrite(a, stale, 'A after B claimed')).rejects.toEqual(lostError('taken'));
    await expect(fencedWrite(a, stale, 'A again')).rejects.toBeInstanceOf(LeaseLostError);
    await fencedWrite(b, fresh, 'B');
    expect(await notes(a)).toEqual(['B']);
  });

  it('keeps a claim off a batch while a write under its lease is in progress', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const lease = (await claimBatch(a, 'A', 'b1', 1_500))!;
    await a.transaction().execute(async (trx) => {
      await assertLease(trx, lease);
      await trx.insertInto('probe').values({ batch_id: 'b1', note: 'A' }).execute();
      // The lease runs out while the write is open: the claim skips the locked row.
      await untilExpired(b, 'b1');
      expect(await claimBatches(b, 'B', 1, 60_000)).toEqual([]);
      expect(await claimBatch(b, 'B', 'b1', 60_000)).toBeNull();
    });
    expect(await notes(a)).toEqual(['A']);
    const taken = await claimBatch(b, 'B', 'b1', 60_000);
    expect(taken).toEqual({ batchId: 'b1', epoch: lease.epoch + 1, holder: 'B' });
    await expect(fencedWrite(a, lease, 'A late')).rejects.toEqual(lostError('taken'));
  });

  it('lets a released batch be claimed at once, and fences the releaser out', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const lease = (await claimBatch(a, 'A', 'b1', 60_000))!;
    expect(await releaseLease(a, lease)).toBe(true);
    expect(await releaseLease(a, lease)).toBe(false); // released already
    await expect(fencedWrite(a, lease, 'A released')).rejects.toEqual(lostError('released'));
    const next = (await claimBatch(b, 'B', 'b1', 60_000))!;
    expect(next.epoch).toBe(lease.epoch + 1);
    expect(await releaseLease(a, lease)).toBe(false);
    await expect(fencedWrite(a, lease, 'A released')).rejects.toEqual(lostError('taken'));
    expect(await notes(a)).toEqual([]);
  });

  it('ends a batch in the write that records the end, fenced like any write', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const lease = (await claimBatch(a, 'A', 'b1', 60_000))!;
    const end = (note: string) =>
      a.transaction().execute(async (trx) => {
        await trx.insertInto('probe').values({ batch_id: 'b1', note }).execute();
        await endBatch(trx, lease);
      });
    await end('done');
    expect(
      await a.selectFrom('batch_leases').select(['batch_id', 'holder', 'ended']).execute(),
    ).toEqual([{ batch_id: 'b1', holder: null, ended: true }]);
    expect(await claimBatches(b, 'B', 1, 60_000)).toEqual([]);
    await expect(end('done twice')).rejects.toEqual(lostError('ended'));
    expect(await notes(a)).toEqual(['done']);
  });

  it('refuses to end a batch under a stale lease', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const stale = (await claimBatch(a, 'A', 'b1', 300))!;
    const fresh = await claimWhenFree(b, 'B', 'b1', 60_000);
    await expect(a.transaction().execute((trx) => endBatch(trx, stale))).rejects.toEqual(
      lostError('taken'),
    );
    expect(await renewLease(b, fresh, 60_000)).toBe(true);
  });

  it('fences the holder out of a batch another console withdrew', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const lease = (await claimBatch(a, 'A', 'b1', 60_000))!;
    expect(await withdrawBatch(b, 'b1')).toBe(true);
    expect(await withdrawBatch(b, 'b1')).toBe(false);
    await expect(fencedWrite(a, lease, 'A')).rejects.toEqual(lostError('ended'));
    expect(await renewLease(a, lease, 60_000)).toBe(false);
  });

  it('renews many leases without deadlocking against a write that fences two batches in order', async () => {
    const [a, b] = await twoConsoles();
    // Claimed b2 first: its row version lies first in the table, so a scan meets it first.
    await offerBatch(a, 'b2');
    await offerBatch(a, 'b1');
    const l2 = (await claimBatch(a, 'A', 'b2', 60_000))!;
    const l1 = (await claimBatch(a, 'A', 'b1', 60_000))!;
    let renewal: Promise<Lease[]> | undefined;
    await a.transaction().execute(async (trx) => {
      await assertLease(trx, l1);
      renewal = renewLeases(b, 'A', [l1, l2], 60_000);
      // The renewal waits for the write's lock on b1 (and holds none, locking in batch_id order).
      await vi.waitFor(
        async () => {
          const r = await sql<{
            n: string;
          }>`select count(*) as n from pg_locks where not granted`.execute(a);
          expect(Number(r.rows[0]!.n)).toBeGreaterThan(0);
        },
        { timeout: 10_000, interval: 20 },
      );
      await assertLease(trx, l2);
      await trx.insertInto('probe').values({ batch_id: 'b1', note: 'both fenced' }).execute();
    });
    expect(await renewal!).toEqual([l1, l2]);
    expect(await notes(a)).toEqual(['both fenced']);
  });

  it('refuses to fence outside a transaction (the lock would end at once)', async () => {
    const [a] = await twoConsoles();
    await offerBatch(a, 'b1');
    const lease = (await claimBatch(a, 'A', 'b1', 60_000))!;
    await expect(assertLease(a, lease)).rejects.toThrow(/inside the write’s transaction/);
  });
});

/**
 * Rows of `batches` for `count` batches of one subject, created in order (`n`): their IDs, oldest
 * first. The subject is `object` on a fixed workspace and classes.
 */
async function batchesOf(db: Kysely<DB>, object: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `${object}-${i}`;
    await db
      .insertInto('batches')
      .values({
        id,
        action: 'associate',
        state: 'running',
        workspace_id: 'ws-1',
        dataclass_type: 'incidents',
        data_object_id: object,
        related_dataclass_type: 'alerts',
        user: 'analyst',
        total: 1,
        duplicates: 0,
        created_at: new Date().toISOString(),
      })
      .execute();
    ids.push(id);
  }
  return ids;
}

/** Who holds each batch now (a live lease), by batch ID; batches nobody holds are left out. */
async function holders(db: Kysely<DB>): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('batch_leases')
    .select(['batch_id', 'holder'])
    .where('ended', '=', false)
    .where('holder', 'is not', null)
    .where('expires_at', '>', sql<Date>`clock_timestamp()`)
    .execute();
  return new Map(rows.map((r) => [r.batch_id, r.holder ?? '']));
}

describe('offerIfRunnable (a cancel on a console that does not hold the batch)', () => {
  it('offers a batch only while it still needs a run: never reopens the lease of one settled meanwhile', async () => {
    const [a, b] = await twoConsoles();
    const [cancelled] = await batchesOf(a, 'incident-9', 1);
    const [running] = await batchesOf(a, 'incident-10', 1);
    await sql`update batches set state = 'cancelled' where id = ${cancelled!}`.execute(a);
    const item = (state: string) => sql`insert into items
      (batch_id, seq, id, id_key, state, updated_at)
      values (${cancelled!}, 0, 'x', 'x', ${state}, '2026-12-06T00:00:00Z')`;
    await item('in_flight').execute(a);
    const ended = async () =>
      (
        await a
          .selectFrom('batch_leases')
          .select('ended')
          .where('batch_id', '=', cancelled!)
          .executeTakeFirst()
      )?.ended;
    // Cancelled with an item in flight: offered, and claimed by the console that settles it.
    await offerIfRunnable(b, cancelled!);
    expect(await ended()).toBe(false);
    const lease = (await claimBatch(a, 'A', cancelled!, 60_000))!;
    // A settles the item and ends its lease; B's offer, written after it, must not reopen it.
    await sql`update items set state = 'unknown' where batch_id = ${cancelled!}`.execute(a);
    await sql`update items set state = 'succeeded' where batch_id = ${cancelled!}`.execute(a);
    await a.transaction().execute((trx) => endBatch(trx, lease));
    await offerIfRunnable(b, cancelled!);
    expect(await ended()).toBe(true);
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([]);
    // offerBatch, asked in the same place, reopened it (what the cancel did before).
    await offerBatch(b, cancelled!);
    expect(await ended()).toBe(false);
    // A running batch is offered as by offerBatch.
    await offerIfRunnable(b, running!);
    expect(await claimBatch(b, 'B', running!, 60_000)).toMatchObject({ batchId: running });
  });
});

describe('one subject, one console (PostgreSQL, two consoles)', () => {
  it('does not let a console claim a batch of a subject another console holds, until that lease ends', async () => {
    const [a, b] = await twoConsoles();
    const [first, second] = await batchesOf(a, 'incident-1', 2);
    await offerBatch(a, first!);
    const held = (await claimBatch(a, 'A', first!, 60_000))!;
    await offerBatch(b, second!);
    expect(await claimBatch(b, 'B', second!, 60_000)).toBeNull();
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([]);
    // Another subject is not held back (its own object, same workspace and classes).
    const [other] = await batchesOf(a, 'incident-2', 1);
    await offerBatch(b, other!);
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([
      { batchId: other, epoch: 1, holder: 'B' },
    ]);
    await a.transaction().execute((trx) => endBatch(trx, held));
    expect(await claimBatch(b, 'B', second!, 60_000)).toEqual({
      batchId: second,
      epoch: 1,
      holder: 'B',
    });
  });

  it('lets the console that holds a subject claim its other batches, at once or in its rounds', async () => {
    const [a, b] = await twoConsoles();
    const [first, second, third] = await batchesOf(a, 'incident-1', 3);
    for (const id of [first!, second!, third!]) await offerBatch(a, id);
    expect(await claimBatch(a, 'A', first!, 60_000)).not.toBeNull();
    // Started on A while A runs the first: A's runner runs them one after the other.
    expect(await claimBatch(a, 'A', second!, 60_000)).not.toBeNull();
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([]);
    expect(await claimBatches(a, 'A', 5, 60_000)).toEqual([
      { batchId: third, epoch: 1, holder: 'A' },
    ]);
    expect(await holders(a)).toEqual(
      new Map([
        [first, 'A'],
        [second, 'A'],
        [third, 'A'],
      ]),
    );
  });

  it('takes a subject’s batches in creation order: an older one waiting unheld goes first, an ended one never holds anything back', async () => {
    const [a, b] = await twoConsoles();
    const [first, second, third] = await batchesOf(a, 'incident-1', 3);
    // Offered newest first: creation order is the batches', not the offers'.
    for (const id of [third!, second!, first!]) await offerBatch(a, id);
    expect(await claimBatch(b, 'B', third!, 60_000)).toBeNull();
    expect(await claimBatch(b, 'B', second!, 60_000)).toBeNull();
    // One round takes the oldest only; the next one the next.
    const [l1] = await claimBatches(b, 'B', 5, 60_000);
    expect(l1).toEqual({ batchId: first, epoch: 1, holder: 'B' });
    expect(await claimBatches(a, 'A', 5, 60_000)).toEqual([]); // B's subject now
    // Released (B shutting down): the oldest is free again and goes first, for anyone.
    expect(await releaseLease(b, l1!)).toBe(true);
    expect(await claimBatch(a, 'A', second!, 60_000)).toBeNull();
    const [again] = await claimBatches(a, 'A', 5, 60_000);
    expect(again).toEqual({ batchId: first, epoch: 2, holder: 'A' });
    // It ends: it holds nothing back any more; the second goes before the third.
    await a.transaction().execute((trx) => endBatch(trx, again!));
    expect(await claimBatch(b, 'B', third!, 60_000)).toBeNull();
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([
      { batchId: second, epoch: 1, holder: 'B' },
    ]);
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([
      { batchId: third, epoch: 1, holder: 'B' },
    ]);
  });

  it('a lease given up with a wait: nobody claims it, nor a newer batch of its subject, until the wait is over or a start clears it; the wait doubles with each stop in a row, whoever gave it up', async () => {
    const [a, b] = await twoConsoles();
    const [first, second] = await batchesOf(a, 'incident-1', 2);
    for (const id of [first!, second!]) await offerBatch(a, id);
    const held = (await claimBatch(a, 'A', first!, 60_000))!;
    const wait = { firstMs: 60_000, maxMs: 200_000 };
    expect(await releaseWithWait(a, held, wait)).toBe(60_000);
    // No longer held: nothing is given up twice.
    expect(await releaseWithWait(a, held, wait)).toBeNull();
    // Unheld, waiting: neither console takes it, nor the newer batch of its subject (order).
    expect(await claimBatch(b, 'B', first!, 60_000)).toBeNull();
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([]);
    expect(await claimBatches(a, 'A', 5, 60_000)).toEqual([]);
    // Another subject is not held back.
    const [other] = await batchesOf(a, 'incident-2', 1);
    await offerBatch(a, other!);
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([
      { batchId: other, epoch: 1, holder: 'B' },
    ]);
    // A wait that is over frees it like an expired lease; the next stop, on another console,
    // waits twice as long, then four times (at most maxMs).
    await a
      .updateTable('batch_leases')
      .set({ expires_at: sql<Date>`clock_timestamp()` })
      .where('batch_id', '=', first!)
      .execute();
    const [taken] = await claimBatches(b, 'B', 5, 60_000);
    expect(taken).toEqual({ batchId: first, epoch: 2, holder: 'B' });
    expect(await releaseWithWait(b, taken!, wait)).toBe(120_000);
    await a
      .updateTable('batch_leases')
      .set({ expires_at: sql<Date>`clock_timestamp()` })
      .where('batch_id', '=', first!)
      .execute();
    const [third] = await claimBatches(a, 'A', 5, 60_000);
    expect(third).toEqual({ batchId: first, epoch: 3, holder: 'A' });
    expect(await releaseWithWait(a, third!, wait)).toBe(200_000);
    // A start clears the wait and the count: the oldest goes first again, and its next stop
    // waits the first wait.
    await clearRetryWait(a, first!);
    const [again] = await claimBatches(b, 'B', 5, 60_000);
    expect(again).toEqual({ batchId: first, epoch: 4, holder: 'B' });
    expect(await releaseWithWait(b, again!, { firstMs: 1, maxMs: 1 })).toBe(1);
    await untilExpired(a, first!);
    const [last] = await claimBatches(a, 'A', 5, 60_000);
    expect(last).toEqual({ batchId: first, epoch: 5, holder: 'A' });
    // Its end sets the count back too.
    await a.transaction().execute((trx) => endBatch(trx, last!));
    expect(
      await a.selectFrom('batch_leases').select('stops').where('batch_id', '=', first!).execute(),
    ).toEqual([{ stops: 0 }]);
  });

  it('does not let an expired lease of another console hold a subject', async () => {
    const [a, b] = await twoConsoles();
    const [first, second, third] = await batchesOf(a, 'incident-1', 3);
    // A runs the second (the first was not offered yet: it was paused, say) on a short lease.
    await offerBatch(a, second!);
    const stale = (await claimBatch(a, 'A', second!, 300))!;
    await offerBatch(b, first!);
    expect(await claimBatch(b, 'B', first!, 60_000)).toBeNull(); // A's subject while it lives
    await untilExpired(a, second!);
    // A is gone: B takes the subject, the older batch first.
    expect(await claimBatch(b, 'B', first!, 60_000)).toEqual({
      batchId: first,
      epoch: 1,
      holder: 'B',
    });
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([
      { batchId: second, epoch: stale.epoch + 1, holder: 'B' },
    ]);
    await offerBatch(a, third!);
    expect(await claimBatch(a, 'A', third!, 60_000)).toBeNull();
    expect(await claimBatch(b, 'B', third!, 60_000)).not.toBeNull();
  });

  it('two batches of one subject started at once on two consoles (each offered and claimed in one transaction): one console gets the subject', async () => {
    const [a, b] = await twoConsoles();
    const [first, second] = await batchesOf(a, 'incident-1', 2);
    // Both offers are in before either claim, and both claims before either commits: each claim's
    // snapshot misses the other console's batch. The subject lock keeps them apart.
    const barrier = () => {
      let n = 0;
      let open!: () => void;
      const all = new Promise<void>((resolve) => (open = resolve));
      return () => {
        if (++n === 2) open();
        return all;
      };
    };
    const offered = barrier();
    const claimed = barrier();
    const start = (db: Kysely<DB>, consoleId: string, batchId: string) =>
      db.transaction().execute(async (trx) => {
        await offerBatch(trx, batchId);
        await offered();
        const lease = await claimBatch(trx, consoleId, batchId, 60_000);
        await claimed();
        return lease;
      });
    const [la, lb] = await Promise.all([start(a, 'A', first!), start(b, 'B', second!)]);
    const won = [la, lb].filter((l) => l !== null);
    expect(won).toHaveLength(1);
    const winner = won[0]!.holder;
    expect(new Set((await holders(a)).values())).toEqual(new Set([winner]));
    // The other batch stays offered: the console that holds the subject takes it in its round.
    const consoles = { A: a, B: b } as Record<string, Kysely<DB>>;
    const loser = winner === 'A' ? 'B' : 'A';
    expect(await claimBatches(consoles[loser]!, loser, 5, 60_000)).toEqual([]);
    expect(await claimBatches(consoles[winner]!, winner, 5, 60_000)).toHaveLength(1);
  });

  it('a claim round taking over a subject’s expired older batch while its holder claims a newer one: one console gets the subject', async () => {
    const [a, b] = await twoConsoles();
    const [first, second] = await batchesOf(a, 'incident-1', 2);
    await offerBatch(b, first!);
    expect(await claimBatch(b, 'B', first!, 1_500)).not.toBeNull();
    await offerBatch(b, second!);
    // B claims the second (its own subject while the first's lease lives) and has not committed
    // when that lease expires and A's round runs: A's snapshot misses B's claim.
    let roundDone!: () => void;
    const round = new Promise<void>((resolve) => (roundDone = resolve));
    let claimedByB!: () => void;
    const bClaimed = new Promise<void>((resolve) => (claimedByB = resolve));
    const bStart = b.transaction().execute(async (trx) => {
      const lease = await claimBatch(trx, 'B', second!, 60_000);
      claimedByB();
      await round;
      return lease;
    });
    let taken: Lease[];
    try {
      await bClaimed;
      await untilExpired(a, first!);
      taken = await claimBatches(a, 'A', 5, 60_000);
    } finally {
      roundDone();
    }
    expect(await bStart).toEqual({ batchId: second, epoch: 1, holder: 'B' });
    expect(taken).toEqual([]);
    // The subject is B's: B takes its expired batch again, A nothing.
    expect(await claimBatches(a, 'A', 5, 60_000)).toEqual([]);
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([
      { batchId: first, epoch: 2, holder: 'B' },
    ]);
  });

  it('never lets concurrent claim rounds of two consoles take two batches of one subject (many rounds in parallel)', async () => {
    const [a, b] = await twoConsoles();
    for (let round = 0; round < 12; round++) {
      const subjects = Array.from({ length: 4 }, (_, i) => `incident-${round}-${i}`);
      const bySubject = new Map<string, string[]>();
      for (const s of subjects) bySubject.set(s, await batchesOf(a, s, 3));
      // Two of each subject offered; the third started (offered and claimed) during the rounds.
      for (const ids of bySubject.values())
        for (const id of ids.slice(0, 2)) await offerBatch(a, id);
      const claimer = async (db: Kysely<DB>, consoleId: string) => {
        for (let i = 0; i < 4; i++) await claimBatches(db, consoleId, 2, 60_000);
      };
      const starter = async (db: Kysely<DB>, consoleId: string, id: string) => {
        await db.transaction().execute(async (trx) => {
          await offerBatch(trx, id);
          await claimBatch(trx, consoleId, id, 60_000);
        });
      };
      await Promise.all([
        ...Array.from({ length: 4 }, () => claimer(a, 'A')),
        ...Array.from({ length: 4 }, () => claimer(b, 'B')),
        ...subjects.map((s, i) =>
          i % 2 === 0
            ? starter(a, 'A', bySubject.get(s)![2]!)
            : starter(b, 'B', bySubject.get(s)![2]!),
        ),
      ]);
      // Whatever the rounds left (a subject skipped while another claimed in it) is taken now.
      while ((await claimBatches(a, 'A', 10, 60_000)).length > 0);
      while ((await claimBatches(b, 'B', 10, 60_000)).length > 0);
      while ((await claimBatches(a, 'A', 10, 60_000)).length > 0);
      const held = await holders(a);
      for (const [s, ids] of bySubject) {
        expect(
          ids.map((id) => held.has(id)),
          `round ${round}, ${s}`,
        ).toEqual([true, true, true]);
        expect(new Set(ids.map((id) => held.get(id))).size, `round ${round}, ${s}`).toBe(1);
      }
      // The subjects end (their batches done) before the next round's.
      await a
        .updateTable('batch_leases')
        .set({ holder: null, expires_at: null, ended: true })
        .execute();
    }
  }, 60_000);
});

/** A scheduler that can be paused like a stopped process: timers due meanwhile run on resume. */
function pausableSchedule() {
  let paused = false;
  const due: (() => void)[] = [];
  const schedule: Schedule = (ms, fn) => {
    const t = setTimeout(() => (paused ? due.push(fn) : fn()), ms);
    return () => clearTimeout(t);
  };
  return {
    schedule,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      for (const fn of due.splice(0)) fn();
    },
  };
}

describe('LeaseKeeper on PostgreSQL (real time)', () => {
  function keeper(db: Kysely<DB>, consoleId: string, leaseMs: number, schedule?: Schedule) {
    const lost: [string, KeeperLostReason][] = [];
    const k = new LeaseKeeper<DB>({
      db,
      consoleId,
      leaseMs,
      schedule,
      onLost: (batchId, reason) => lost.push([batchId, reason]),
    });
    keepers.push(k);
    return { k, lost };
  }

  /**
   * A keeper with a long lease (a slow machine cannot make it lapse) renewed often, counting the
   * renewals that got through: tests wait for renewals, never for elapsed time.
   */
  function countingKeeper(db: Kysely<DB>, consoleId: string) {
    const leaseMs = 10_000;
    const lost: [string, KeeperLostReason][] = [];
    const renewals = { n: 0 };
    const k = new LeaseKeeper<DB>({
      db,
      consoleId,
      leaseMs,
      renewEveryMs: 50,
      renew: async (leases) => {
        const renewed = await renewLeases(db, consoleId, leases, leaseMs);
        renewals.n += 1;
        return renewed;
      },
      onLost: (batchId, reason) => lost.push([batchId, reason]),
    });
    keepers.push(k);
    return { k, lost, renewals };
  }

  /** The database's expiry of a batch's lease. */
  async function expiryOf(db: Kysely<DB>, batchId: string): Promise<number> {
    const row = await db
      .selectFrom('batch_leases')
      .select('expires_at')
      .where('batch_id', '=', batchId)
      .executeTakeFirstOrThrow();
    return new Date(row.expires_at!).getTime();
  }

  it('keeps its leases while it renews them, moving their expiry on', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const { k, lost, renewals } = countingKeeper(a, 'A');
    const [lease] = await k.claim(5);
    expect(lease?.batchId).toBe('b1');
    const claimedUntil = await expiryOf(a, 'b1');
    const stolen: Lease[] = [];
    await vi.waitFor(
      async () => {
        stolen.push(...(await claimBatches(b, 'B', 1, 60_000)));
        expect(renewals.n).toBeGreaterThanOrEqual(4);
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(await expiryOf(a, 'b1')).toBeGreaterThan(claimedUntil);
    expect(stolen).toEqual([]);
    expect(lost).toEqual([]);
    expect(k.holds('b1')).toBe(true);
    await a.transaction().execute(async (trx) => {
      await k.fence(trx, lease!);
      await trx.insertInto('probe').values({ batch_id: 'b1', note: 'A' }).execute();
    });
    expect(await notes(a)).toEqual(['A']);
  });

  it('a paused console finds its lease lost on its next write, and gets onLost', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const clock = pausableSchedule();
    const { k, lost } = keeper(a, 'A', 300, clock.schedule);
    const [mine] = await k.claim(1);
    clock.pause();
    const fresh = await claimWhenFree(b, 'B', 'b1', 60_000);
    expect(fresh.epoch).toBe(2);
    expect(lost).toEqual([]); // paused: nothing ran
    // It wakes up and writes before any of its timers runs.
    const write = a.transaction().execute(async (trx) => {
      await trx.insertInto('probe').values({ batch_id: 'b1', note: 'A after pause' }).execute();
      await k.fence(trx, mine!);
    });
    await expect(write).rejects.toBeInstanceOf(LeaseLostError);
    expect(lost).toEqual([['b1', 'unconfirmed']]);
    expect(k.holds('b1')).toBe(false);
    clock.resume();
    await fencedWrite(b, fresh, 'B');
    expect(await notes(a)).toEqual(['B']);
    expect(lost).toEqual([['b1', 'unconfirmed']]); // once
  });

  it('a paused console whose timers run first on resume gets onLost before it writes', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const clock = pausableSchedule();
    const { k, lost } = keeper(a, 'A', 300, clock.schedule);
    const [mine] = await k.claim(1);
    clock.pause();
    await claimWhenFree(b, 'B', 'b1', 60_000);
    clock.resume();
    expect(lost).toEqual([['b1', 'unconfirmed']]);
    await expect(a.transaction().execute((trx) => k.fence(trx, mine!))).rejects.toEqual(
      lostError('not held'),
    );
  });

  it('calls onLost when a renewal finds the batch withdrawn', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    await offerBatch(a, 'b2');
    const { k, lost } = countingKeeper(a, 'A');
    expect((await k.claim(2)).length).toBe(2);
    await withdrawBatch(b, 'b1');
    await vi.waitFor(() => expect(lost).toEqual([['b1', 'not renewed']]), {
      timeout: 10_000,
      interval: 20,
    });
    expect(k.batches()).toEqual(['b2']);
  });

  it('calls onLost when a write finds the lease taken before the keeper does', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const { k, lost } = keeper(a, 'A', 60_000);
    const [mine] = await k.claim(1);
    await withdrawBatch(b, 'b1');
    await expect(fencedWriteVia(k, a, mine!)).rejects.toEqual(lostError('ended'));
    expect(lost).toEqual([['b1', 'ended']]);
  });

  it('refuses a worker of a lease lost across a withdraw and re-offer, though the same console claimed the batch again', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const { k, lost } = keeper(a, 'A', 60_000);
    const [old] = await k.claim(1); // A's worker starts with this lease, a call in flight
    await withdrawBatch(b, 'b1'); // B pauses the batch …
    await offerBatch(b, 'b1'); // … and resumes it
    const [again] = await k.claim(1); // A claims it again: a new epoch, never the old one
    expect(again).toEqual({ batchId: 'b1', epoch: old!.epoch + 1, holder: 'A' });
    // The old worker records its outcome: refused by the keeper and by the database.
    await expect(fencedWriteVia(k, a, old!)).rejects.toEqual(lostError('taken'));
    await expect(fencedWrite(a, old!, 'old worker')).rejects.toEqual(lostError('taken'));
    await fencedWriteVia(k, a, again!);
    expect(await notes(a)).toEqual(['via keeper']);
    expect(lost).toEqual([]); // the keeper's own lease is the new one, kept
  });

  it('does not let anyone claim an ended batch until it is offered again', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    const first = (await claimBatch(a, 'A', 'b1', 60_000))!;
    await a.transaction().execute((trx) => endBatch(trx, first));
    expect(await claimBatches(b, 'B', 5, 60_000)).toEqual([]);
    expect(await claimBatch(b, 'B', 'b1', 60_000)).toBeNull();
    expect(await withdrawBatch(b, 'b1')).toBe(false); // ended already
    await offerBatch(b, 'b1');
    await offerBatch(b, 'b1'); // offering twice changes nothing
    expect(await claimBatch(b, 'B', 'b1', 60_000)).toEqual({
      batchId: 'b1',
      epoch: 2,
      holder: 'B',
    });
    await offerBatch(a, 'b1'); // offering a held batch changes nothing
    expect(await claimBatch(a, 'A', 'b1', 60_000)).toBeNull();
  });

  it('gives every lease up on a clean stop, so another console takes over at once', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    await offerBatch(a, 'b2');
    const { k, lost } = keeper(a, 'A', 60_000);
    expect((await k.claim(5)).length).toBe(2);
    await k.stop({ release: true });
    const taken = await claimBatches(b, 'B', 5, 60_000);
    expect(taken.map((l) => [l.batchId, l.epoch]).sort()).toEqual([
      ['b1', 2],
      ['b2', 2],
    ]);
    expect(lost).toEqual([]);
  });

  it('gives up the leases of a claim that was running when the keeper stopped', async () => {
    const [a, b] = await twoConsoles();
    await offerBatch(a, 'b1');
    await offerBatch(a, 'b2');
    await offerBatch(a, 'b3');
    const { k } = keeper(a, 'A', 60_000);
    const claiming = k.claim(2);
    const claimingOne = k.claimOne('b3');
    await k.stop({ release: true }); // while both claims are out
    expect(await claiming).toEqual([]);
    expect(await claimingOne).toBeNull();
    const taken = await claimBatches(b, 'B', 5, 60_000);
    expect(taken.map((l) => [l.batchId, l.epoch]).sort()).toEqual([
      ['b1', 2],
      ['b2', 2],
      ['b3', 2],
    ]);
  });
});

function fencedWriteVia(k: LeaseKeeper<DB>, db: Kysely<DB>, lease: Lease): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('probe').values({ batch_id: lease.batchId, note: 'via keeper' }).execute();
    await k.fence(trx, lease);
  });
}

/** A hand-driven clock and timer (pure logic: no database, no real time). */
function fakeTime() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const flush = () => new Promise<void>((r) => setImmediate(r));
  return {
    now: () => now,
    schedule: ((ms, fn) => {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return () => timers.delete(id);
    }) satisfies Schedule,
    /** Moves time to `t`, running the timers due on the way (with their promises settled). */
    async to(t: number) {
      await flush(); // what the test just settled (an answer) lands before the timers run
      for (;;) {
        const next = [...timers.entries()]
          .filter(([, x]) => x.at <= t)
          .sort((x, y) => x[1].at - y[1].at || x[0] - y[0])[0];
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        await flush();
      }
      now = t;
      await flush();
    },
  };
}

describe('LeaseKeeper timing (pure logic)', () => {
  const lease: Lease = { batchId: 'b1', epoch: 7, holder: 'A' };
  /** The keeper never touches this database: renewals are the test's. */
  const noDb = compilerFor('postgres') as unknown as Kysely<LeaseTables>;

  function setUp(renew: (leases: readonly Lease[]) => Promise<readonly Lease[]>) {
    const time = fakeTime();
    const lost: [string, KeeperLostReason][] = [];
    const calls: number[] = [];
    const k = new LeaseKeeper({
      db: noDb,
      consoleId: 'A',
      leaseMs: 300,
      now: time.now,
      schedule: time.schedule,
      renew: (leases) => {
        calls.push(time.now());
        return renew(leases);
      },
      onLost: (batchId, reason) => lost.push([batchId, reason]),
    });
    return { time, lost, calls, k };
  }

  it('renews every leaseMs/3 and keeps the lease while renewals get through', async () => {
    const { time, lost, calls, k } = setUp(async (leases) => leases);
    k.track(lease, 0);
    await time.to(3_000);
    expect(calls).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) * 100));
    expect(lost).toEqual([]);
    expect(k.holds('b1')).toBe(true);
    await k.stop();
  });

  it('gives the lease up exactly leaseMs after the last renewal that got through was sent', async () => {
    let fail = false;
    const { time, lost, k } = setUp(async (leases) => {
      if (fail) throw new Error('connection refused');
      return leases;
    });
    k.track(lease, 0);
    await time.to(200); // renewals sent at 100 and 200 got through: valid until 500
    fail = true;
    await time.to(499);
    expect(lost).toEqual([]);
    expect(k.holds('b1')).toBe(true);
    expect(k.renewalsFailingSince()).toBe(300);
    await time.to(500);
    expect(lost).toEqual([['b1', 'unconfirmed']]);
    expect(k.holds('b1')).toBe(false);
    await time.to(2_000);
    expect(lost).toHaveLength(1);
    await k.stop();
  });

  it('counts a slow renewal from when it was sent, and never sends two at once', async () => {
    let answer: ((l: readonly Lease[]) => void) | null = null;
    const { time, lost, calls, k } = setUp(
      (leases) =>
        new Promise((resolve) => {
          answer = () => resolve(leases);
        }),
    );
    k.track(lease, 0);
    await time.to(250); // the renewal sent at 100 is still out at 200: no second one
    expect(calls).toEqual([100]);
    answer!([lease]); // answered at 250: valid until 100 + 300 = 400, not 550
    await time.to(399);
    expect(lost).toEqual([]);
    // The renewal sent at 300 hangs.
    await time.to(400);
    expect(lost).toEqual([['b1', 'unconfirmed']]);
    expect(calls).toEqual([100, 300]);
    await k.stop();
  });

  it('gives a lease up at once when a renewal gets through without it', async () => {
    const { time, lost, k } = setUp(async (leases) => leases.filter((l) => l.batchId !== 'b1'));
    const other: Lease = { batchId: 'b2', epoch: 1, holder: 'A' };
    k.track(lease, 0);
    k.track(other, 0);
    await time.to(100);
    expect(lost).toEqual([['b1', 'not renewed']]);
    expect(k.batches()).toEqual(['b2']);
    await k.stop();
  });

  it('a lease claimed again while a renewal of the old one is out keeps the new epoch', async () => {
    let answer: (() => void) | null = null;
    const { time, lost, k } = setUp(
      () =>
        new Promise((resolve) => {
          answer = () => resolve([]); // the old epoch is not renewed
        }),
    );
    k.track(lease, 0);
    await time.to(150);
    k.track({ ...lease, epoch: 8 }, 150);
    answer!();
    await time.to(160);
    expect(lost).toEqual([]);
    expect(k.lease('b1')?.epoch).toBe(8);
    await k.stop();
  });

  it('calls onLost for every lost lease even when one callback throws', async () => {
    const time = fakeTime();
    const lost: string[] = [];
    const log: string[] = [];
    const k = new LeaseKeeper({
      db: noDb,
      consoleId: 'A',
      leaseMs: 300,
      now: time.now,
      schedule: time.schedule,
      renew: () => Promise.reject(new Error('connection refused')),
      onLost: (batchId) => {
        lost.push(batchId);
        if (batchId === 'b1') throw new Error('runner bug');
      },
      log: (m) => log.push(m),
    });
    k.track(lease, 0);
    k.track({ batchId: 'b2', epoch: 1, holder: 'A' }, 0);
    await time.to(300);
    expect(lost).toEqual(['b1', 'b2']);
    expect(log).toContain('onLost(b1) threw: runner bug');
    await k.stop();
    expect(() => k.track(lease, 300)).toThrow(/stopped/);
  });

  it('refuses a lease of another console and a renewal period not shorter than the lease', () => {
    const { k } = setUp(async (l) => l);
    expect(() => k.track({ ...lease, holder: 'B' }, 0)).toThrow(/lease of B/);
    expect(
      () =>
        new LeaseKeeper({
          db: noDb,
          consoleId: 'A',
          leaseMs: 300,
          renewEveryMs: 300,
          onLost: () => {},
        }),
    ).toThrow(RangeError);
  });
});
