/**
 * The service's transactions (server/db/service-stores.ts) on both stores: what `fn` writes commits
 * with it or not at all, what it reads sees what it wrote, other callers never see it before it
 * commits nor have their own writes rolled back with it, two transactions locking one batch take
 * turns, and `idempotent` answers one batch per key, two requests at once included. SQLite's own:
 * the gate refuses a call of the gated store from inside the transaction, and the queued outcomes
 * a transaction held back are committed after it without another write.
 */
import { sql } from 'kysely';
import { describe, expect, test } from 'vitest';
import { idempotent } from '../service-stores';
import {
  sqliteFactory,
  storeFactories,
  type SqliteTestStore,
  type TestStore,
} from '../../testing/stores';
import {
  SUBJECT,
  batchOf,
  common,
  create,
  makeIds,
  meta200,
  pending,
  statesIn,
  succeeded,
  useStore,
} from './helpers';

/** A promise and its resolve. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** PostgreSQL: the backends of the test's database waiting for a lock. */
async function lockWaits(t: TestStore): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`.execute(t.db);
  return rows[0]?.n ?? 0;
}

describe.each(storeFactories)('$name store: transactions', (factory) => {
  const s = useStore(factory);

  test('what fn writes commits when it resolves, and fn reads what it wrote', async () => {
    const { stores } = s.current;
    const ids = makeIds(3);
    const out = await stores.transaction(async (tx) => {
      const b = await tx.ledger.createBatch(batchOf(ids));
      return {
        id: b.id,
        read: await tx.ledger.getBatch(b.id),
        pending: await tx.records.idsInState(b.id, 'pending'),
        children: await tx.groups.children(b.id),
      };
    });
    expect(out.read?.counts.pending).toBe(3);
    expect(out.pending).toEqual(ids);
    expect(out.children).toEqual([]);
    expect(await stores.ledger.getBatchState(out.id)).toBe('running');
  });

  test('nothing fn wrote stays when it rejects, and its error passes on', async () => {
    const { stores } = s.current;
    let id = '';
    await expect(
      stores.transaction(async (tx) => {
        id = (await tx.ledger.createBatch(batchOf(makeIds(2)))).id;
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(id).not.toBe('');
    expect(await stores.ledger.getBatch(id)).toBeNull();
    expect(await stores.records.idsInState(id, 'pending')).toEqual([]);
  });

  test('a caller outside never sees what fn wrote before its end, and its own write is not rolled back with it', async () => {
    const { stores } = s.current;
    const other = await create(s.current, makeIds(2, 'o'));
    const created = deferred();
    const release = deferred();
    let id = '';
    const tx = stores.transaction(async (t) => {
      id = (await t.ledger.createBatch(batchOf(makeIds(2)))).id;
      created.resolve();
      await release.promise;
      throw new Error('rolled back');
    });
    await created.promise;
    // Started while the transaction is open (SQLite: they wait for its end).
    const read = stores.ledger.getBatch(id);
    const ids = stores.records.idsInState(id, 'pending');
    const write = stores.ledger.transitionBatch(other, ['running'], 'paused', 'by the user');
    release.resolve();
    await expect(tx).rejects.toThrow('rolled back');
    expect(await read).toBeNull();
    expect(await ids).toEqual([]);
    expect(await write).toBe(true);
    expect(await stores.ledger.getBatchState(other)).toBe('paused');
  });

  test('two transactions that lock one batch take turns: the second starts after the first ends', async () => {
    const { stores } = s.current;
    const id = await create(s.current, makeIds(1));
    const order: string[] = [];
    const inFirst = deferred();
    const release = deferred();
    const first = stores.transaction(
      async (tx) => {
        order.push('first in');
        inFirst.resolve();
        await release.promise;
        await tx.ledger.getBatch(id);
        order.push('first out');
      },
      { lock: id },
    );
    await inFirst.promise;
    const second = stores.transaction(
      async (tx) => {
        order.push('second in');
        // Sees what the first committed (an undo's check sees the undo made just before it).
        return tx.ledger.undoneBy(id);
      },
      { lock: id },
    );
    if (factory.name === 'postgres') {
      // Until the second waits for the row's lock (had nothing held it, it would be in by then).
      for (let i = 0; i < 500 && (await lockWaits(s.current)) === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(await lockWaits(s.current)).toBe(1);
    } else {
      // SQLite's store calls settle in microtasks: a few turns, and the second would be in.
      for (let i = 0; i < 5; i++) await turn();
    }
    expect(order).toEqual(['first in']);
    release.resolve();
    await first;
    await second;
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  test('idempotent: created once, replayed with the same body, refused with another; two at once answer one batch', async () => {
    const { stores } = s.current;
    const make = (user: string, key: string, hash: string) =>
      idempotent(stores, { user, key, hash }, (tx) => tx.ledger.createBatch(batchOf(makeIds(2))));
    const first = await make('ann', 'k1', 'h1');
    if (first.kind !== 'created') throw new Error(first.kind);
    expect(await make('ann', 'k1', 'h1')).toEqual({ kind: 'replayed', batchId: first.value.id });
    expect(await make('ann', 'k1', 'h2')).toEqual({ kind: 'mismatch', batchId: first.value.id });
    // Another user's key is another key.
    expect((await make('bob', 'k1', 'h1')).kind).toBe('created');

    const both = await Promise.all([make('ann', 'k2', 'h'), make('ann', 'k2', 'h')]);
    const made = both.flatMap((r) => (r.kind === 'created' ? [r.value.id] : []));
    const replayed = both.flatMap((r) => (r.kind === 'replayed' ? [r.batchId] : []));
    expect(made).toHaveLength(1);
    expect(replayed).toEqual(made);
    const { total } = await stores.ledger.listBatches(0, 10);
    expect(total).toBe(3);
  });

  test('idempotent: a create that throws records neither its batch nor the key', async () => {
    const { stores } = s.current;
    await expect(
      idempotent(stores, { user: 'ann', key: 'k', hash: 'h' }, async (tx) => {
        await tx.ledger.createBatch(batchOf(makeIds(1)));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await stores.keys.find('ann', 'k')).toBeNull();
    expect((await stores.ledger.listBatches(0, 10)).total).toBe(0);
  });
});

describe('sqlite store: the gate of its transactions', () => {
  const s = useStore(sqliteFactory);
  const current = () => s.current as SqliteTestStore;

  test('a call of the gated store from inside the transaction is refused (it would wait for itself)', async () => {
    const { stores } = current();
    await expect(
      stores.transaction(async () => {
        await stores.ledger.listBatches(0, 1);
      }),
    ).rejects.toThrow(/inside its own transaction/);
    // The gate is open again.
    expect((await stores.ledger.listBatches(0, 1)).total).toBe(0);
  });

  test('outcomes queued before a transaction that spans their flush are committed after it, without another write', async () => {
    const { stores, store } = current();
    const a = await create(current(), makeIds(2));
    const c = await store.claimChunk(a, 10);
    if (!c) throw new Error('claim');
    let committed = false;
    const queued = store.queueOutcome(c.callId, succeeded(c.ids), meta200).then((n) => {
      committed = true;
      return n;
    });
    await stores.transaction(async (tx) => {
      // The queue's flush (set for the end of this turn) runs while the transaction is open: it
      // leaves the outcomes alone.
      await turn();
      await turn();
      await tx.ledger.getBatch(a);
    });
    expect(committed).toBe(false);
    // Committed with no other write (without the re-arm it never is: the test times out). On
    // SQLite it is told once the log's flush (on the thread pool) is done: some turns later.
    expect(await queued).toBe(2);
    expect(committed).toBe(true);
    expect(await statesIn(current(), a)).toEqual({ succeeded: 2 });
  });

  test('a gated read started before the transaction runs before it, not inside it (it would see what the transaction then rolls back)', async () => {
    const { stores } = current();
    const group = await stores.ledger.createGroup(
      { ...common, kind: 'pairs', data_object_id: '', total: 1, items: [] },
      [{ ...common, data_object_id: SUBJECT, items: makeIds(1).map(pending) }],
    );
    const before = await stores.groups.children(group.id);
    // The Kysely read takes microtasks from its call to its statement; the transaction, called
    // right after, adds a child at once, then rolls back.
    const read = stores.groups.children(group.id);
    await expect(
      stores.transaction(async (tx) => {
        await tx.ledger.createBatch(batchOf(makeIds(1, 'n'), [], { group_id: group.id }));
        // Open long enough for a read let in meanwhile to run inside it.
        await turn();
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await read).toEqual(before);
    expect(await stores.groups.children(group.id)).toEqual(before);
  });
});
