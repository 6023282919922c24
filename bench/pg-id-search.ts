/**
 * The results page's ID search on PostgreSQL, and the two ways considered to make a whole ID seek
 * (docs/performance.md, "exact ID search"): what each costs writes and what it gives the search.
 * One cluster (fsync on), three databases, each migrated:
 *   - `scan`: without migration 8's triggers and rows (the search reads every key of the batch, as
 *     before it);
 *   - `bound`: as migrated (item_key_lengths kept by its triggers: a whole ID seeks);
 *   - `trigram`: as `scan`, plus a trigram index (`pg_trgm`, GIN on items.id_key with
 *     gin_trgm_ops), which ILIKE '%q%' can use; skipped, said so, where the extension is missing.
 * Writes, the three databases in turn (so that a busy spell of the shared machine falls on each;
 * each round in the other order than the one before), median of 5: createBatch of 100,000 IDs (the
 * table holding earlier ones), and 200 × (claimChunk of 100 + recordOutcome) on a 20,000-ID
 * batch. Then the searches of a 100,000-ID batch, upper-cased (median of 9): a whole ID, 8
 * characters of one, one character; each database's rows and total checked against the others'.
 *
 * Run: `node --import tsx bench/pg-id-search.ts` (needs PostgreSQL's server programs, as
 * `npm test`). Not part of `npm run bench`: it weighs a decision (docs/performance.md).
 */
import { sql, type Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { openPgStore } from '../server/db/pg-store.ts';
import { migratePostgres, openPostgres, type PostgresLedgerDb } from '../server/db/postgres.ts';
import type { LedgerStore } from '../server/db/store.ts';
import type { LedgerTables } from '../server/db/tables.ts';
import { startPostgres } from '../server/testing/postgres.ts';
import { benchBatch } from './seed-batch.ts';
import { median, medianMs } from './stats.ts';

const N = 100_000;
const REPEATS = 5;

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

/** Migration `id key lengths` undone: no triggers, no rows (every search scans). */
async function withoutBound(db: Kysely<LedgerTables>): Promise<void> {
  await sql`drop trigger item_key_lengths_after_insert on items`.execute(db);
  await sql`drop trigger item_key_lengths_after_update on items`.execute(db);
  await sql`delete from item_key_lengths`.execute(db);
}

/** Creates the trigram index; false (and why, printed) where pg_trgm cannot be created. */
async function trigramIndex(db: Kysely<LedgerTables>): Promise<boolean> {
  try {
    await sql`create extension if not exists pg_trgm`.execute(db);
  } catch (error) {
    console.log(`  trigram: skipped, pg_trgm unavailable (${String(error)})`);
    return false;
  }
  await sql`create index items_id_key_trgm on items using gin (id_key gin_trgm_ops)`.execute(db);
  return true;
}

interface Way {
  name: string;
  db: PostgresLedgerDb;
  store: LedgerStore;
}

export async function benchPgIdSearch(): Promise<void> {
  const cluster = await startPostgres();
  const ways: Way[] = [];
  try {
    for (const name of ['scan', 'bound', 'trigram']) {
      const db = openPostgres(await cluster.createDatabase(name));
      await migratePostgres(db);
      if (name !== 'bound') await withoutBound(db.kysely);
      if (name === 'trigram' && !(await trigramIndex(db.kysely))) {
        await db.close();
        continue;
      }
      ways.push({ name, db, store: openPgStore(db) });
    }
    const ids = Array.from({ length: N }, () => randomUUID());
    console.log(
      `pg-id-search: writes, ${ways.map((w) => w.name).join(' / ')} in turn, median of ${REPEATS}; load average ${load()}`,
    );
    const create = new Map<string, number[]>();
    const claims = new Map<string, number[]>();
    const add = (m: Map<string, number[]>, k: string, x: number) =>
      m.set(k, [...(m.get(k) ?? []), x]);
    for (let r = 0; r < REPEATS; r++) {
      // Each round in the other order: neither way always follows the same one.
      const order = r % 2 === 0 ? ways : [...ways].reverse();
      for (const w of order) {
        const t0 = performance.now();
        await w.store.createBatch(benchBatch(ids));
        add(create, w.name, performance.now() - t0);
      }
      for (const w of order) {
        const id = (await w.store.createBatch(benchBatch(ids.slice(0, 20_000)))).id;
        const t0 = performance.now();
        for (let i = 0; i < 200; i++) {
          const c = await w.store.claimChunk(id, 100);
          if (!c) break;
          await w.store.recordOutcome(
            c.callId,
            c.ids.map((x) => ({ id: x, state: 'succeeded' as const, code: null, message: null })),
            { httpStatus: 200, requestId: 'r', errorCode: null },
          );
        }
        add(claims, w.name, performance.now() - t0);
      }
      console.log(`  round ${String(r + 1)} done; load average ${load()}`);
    }
    const base = (m: Map<string, number[]>) => median(m.get('scan') ?? []);
    const row = (label: string, m: Map<string, number[]>) => {
      for (const w of ways) {
        const xs = m.get(w.name) ?? [];
        console.log(
          `  ${label.padEnd(44)} ${w.name.padEnd(8)} ${median(xs).toFixed(0).padStart(6)} ms  (${xs.map((x) => x.toFixed(0)).join(', ')})  ratio to scan ${(median(xs) / base(m)).toFixed(2)}x`,
        );
      }
    };
    row(`createBatch of ${N.toLocaleString('en')} IDs`, create);
    row('200 × (claimChunk of 100 + recordOutcome)', claims);

    // Searches on a fresh 100,000-ID batch of each database (the table holds the batches above).
    const batchIds = new Map<string, string>();
    for (const w of ways) {
      batchIds.set(w.name, (await w.store.createBatch(benchBatch(ids))).id);
      await sql`vacuum analyze`.execute(w.db.kysely);
    }
    const whole = (ids[Math.floor(N * 0.77)] ?? '').toUpperCase();
    const cases: [string, string][] = [
      ['a whole ID', whole],
      ['8 characters of one', whole.slice(9, 17)],
      ['one character', 'A'],
    ];
    console.log(
      `pg-id-search: the search of a ${N.toLocaleString('en')}-ID batch (page of 200 + total), upper-cased, median of 9; load average ${load()}`,
    );
    for (const [label, q] of cases) {
      let answer: string | null = null;
      for (const w of ways) {
        const id = batchIds.get(w.name) ?? '';
        const page = await w.store.listItems(id, { q, offset: 0, limit: 200 });
        const seen = JSON.stringify([page.total, page.items.map((i) => i.id)]);
        if (answer !== null && seen !== answer)
          throw new Error(`${label}: ${w.name} finds other rows than ${ways[0]?.name ?? ''}`);
        answer = seen;
        const t = await medianMs(() => w.store.listItems(id, { q, offset: 0, limit: 200 }));
        console.log(
          `  ${label.padEnd(22)} ${String(page.total).padStart(6)} match  ${w.name.padEnd(8)} ${t.toFixed(2).padStart(8)} ms`,
        );
      }
    }
    console.log(`  load average ${load()}`);
  } finally {
    for (const w of ways) {
      await w.store.close();
      await w.db.close();
    }
    cluster.stop();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) await benchPgIdSearch();
