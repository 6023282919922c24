/**
 * The PostgreSQL ledger store (server/db/pg-store.ts) on a durable cluster of its own (fsync on), with
 * baselines from the same run:
 * - createBatch of 100,000 IDs: the store (INSERT … SELECT from `unnest` of arrays, 20,000 rows a
 *   statement), against multi-row VALUES in chunks under the 65,535-parameter limit, one `unnest`
 *   statement for all the rows, and the SQLite ledger's createBatch;
 * - listItems on a 100,000-ID batch (the results page's reads), against SQLite's;
 * - outcomes of 200 calls of 100 IDs of one batch: queueOutcome (grouped per batch) and
 *   recordOutcome + finishIfDrained (a transaction each), one at a time and 16 at a time;
 * - what the item_counts triggers (migration 5) cost those writes: createBatch of 100,000 IDs and
 *   200 claims + outcomes of 100 IDs, with the triggers on and off.
 *
 * Run: `node --import tsx bench/pg-store.ts` (needs PostgreSQL's server programs, as `npm test`).
 */
import { sql, type Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type ClaimedCall } from '../server/batches/ledger.ts';
import { benchBatch } from './seed-batch.ts';
import { ITEM_COUNT_TRIGGERS } from '../server/db/migrations/005-item-counts.ts';
import { openPgStore } from '../server/db/pg-store.ts';
import { migratePostgres, openPostgres } from '../server/db/postgres.ts';
import { sqliteStore, type LedgerStore } from '../server/db/store.ts';
import type { LedgerTables } from '../server/db/tables.ts';
import { startPostgres } from '../server/testing/postgres.ts';
import { median, medianMs } from './stats.ts';

const N = 100_000;

const batchOf = benchBatch;

/** A batch row for the hand-written inserts below (as the store writes it). */
async function batchRow(db: Kysely<LedgerTables>, id: string): Promise<void> {
  await db
    .insertInto('batches')
    .values({
      id,
      action: 'associate',
      state: 'running',
      state_reason: null,
      workspace_id: 'ws000000000000000000000000000001',
      dataclass_type: 'incidents',
      data_object_id: 'incident00000000000000000000000001',
      related_dataclass_type: 'alerts',
      reason: 'benchmark',
      user: 'bench',
      retry_of: null,
      total: N,
      duplicates: 0,
      created_at: new Date().toISOString(),
      finished_at: null,
    })
    .execute();
}

/** Multi-row VALUES, 9,362 rows (7 parameters each) a statement, in one transaction. */
async function insertValues(db: Kysely<LedgerTables>, ids: readonly string[]): Promise<void> {
  const id = randomUUID();
  const at = new Date().toISOString();
  await db.transaction().execute(async (trx) => {
    await batchRow(trx, id);
    const per = Math.floor(65_535 / 7);
    for (let i = 0; i < ids.length; i += per) {
      await trx
        .insertInto('items')
        .values(
          ids.slice(i, i + per).map((x, k) => ({
            batch_id: id,
            seq: i + k,
            id: x,
            id_key: x,
            state: 'pending',
            message: null,
            updated_at: at,
          })),
        )
        .execute();
    }
  });
}

/** One INSERT … SELECT from `unnest` for all the rows, in one transaction. */
async function insertOneUnnest(db: Kysely<LedgerTables>, ids: readonly string[]): Promise<void> {
  const id = randomUUID();
  const at = new Date().toISOString();
  const seqs = ids.map((_, i) => i);
  await db.transaction().execute(async (trx) => {
    await batchRow(trx, id);
    await trx
      .insertInto('items')
      .columns(['batch_id', 'seq', 'id', 'id_key', 'state', 'updated_at'])
      .expression(
        sql`select ${id}, seq, id, id, 'pending', ${at}
              from unnest(${seqs}::integer[], ${ids}::text[]) as t(seq, id)`,
      )
      .execute();
  });
}

async function listCases(store: LedgerStore, id: string, target: string) {
  const page = { offset: 0, limit: 200 };
  const cases: [string, () => Promise<unknown>][] = [
    ['first page (200 rows + total)', () => store.listItems(id, page)],
    ['last page', () => store.listItems(id, { offset: N - 200, limit: 200 })],
    [
      'state filter (pending, deep page)',
      () => store.listItems(id, { state: 'pending', offset: 80_000, limit: 200 }),
    ],
    [
      'exact ID search (upper-cased)',
      () => store.listItems(id, { ...page, q: target.toUpperCase() }),
    ],
    ['substring search (1 char, ~all rows)', () => store.listItems(id, { ...page, q: 'a' })],
    ['counts per state', () => store.counts(id)],
    ['getBatch (row + counts)', () => store.getBatch(id)],
  ];
  const out: [string, number][] = [];
  for (const [name, fn] of cases) out.push([name, await medianMs(fn, 7)]);
  return out;
}

export async function benchPgStore(): Promise<void> {
  const cluster = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-store-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  const pgdb = openPostgres(await cluster.createDatabase('bench'));
  try {
    await migratePostgres(pgdb);
    const pg = openPgStore(pgdb);
    const lite = sqliteStore(ledger);
    const ids = Array.from({ length: N }, () => randomUUID());

    console.log(`pg-store: createBatch of ${N.toLocaleString('en')} IDs (median of 3)`);
    const create = [
      ['PostgreSQL store (unnest, 20,000 rows a statement)', () => pg.createBatch(batchOf(ids))],
      [
        'PostgreSQL multi-row VALUES (9,362 rows a statement)',
        () => insertValues(pgdb.kysely, ids),
      ],
      ['PostgreSQL one unnest statement', () => insertOneUnnest(pgdb.kysely, ids)],
      ['SQLite ledger (baseline)', () => lite.createBatch(batchOf(ids))],
    ] as const;
    const createMs = new Map<string, number>();
    for (const [name, fn] of create) createMs.set(name, await medianMs(fn, 3));
    const base = createMs.get('SQLite ledger (baseline)') ?? NaN;
    for (const [name, ms] of createMs)
      console.log(
        `  ${name.padEnd(54)} ${ms.toFixed(0).padStart(6)} ms  ratio ${(ms / base).toFixed(2)}x`,
      );

    console.log('pg-store: listItems on a 100,000-ID batch (median of 7; target < 100 ms)');
    const pgBatch = (await pg.createBatch(batchOf(ids))).id;
    const liteBatch = (await lite.createBatch(batchOf(ids))).id;
    await sql`vacuum analyze items`.execute(pgdb.kysely);
    const target = ids[Math.floor(N * 0.77)] ?? '';
    const pgList = await listCases(pg, pgBatch, target);
    const liteList = new Map(await listCases(lite, liteBatch, target));
    for (const [name, ms] of pgList) {
      const l = liteList.get(name) ?? NaN;
      console.log(
        `  ${name.padEnd(40)} PostgreSQL ${ms.toFixed(2).padStart(7)} ms  SQLite ${l.toFixed(2).padStart(7)} ms  ratio ${(ms / l).toFixed(1)}x`,
      );
    }

    console.log('pg-store: outcomes of 200 calls of 100 IDs, each its batch’s `finish` asked');
    const outcomeRun = async (how: 'record' | 'queue', atOnce: number): Promise<number> => {
      const id = (await pg.createBatch(batchOf(ids.slice(0, 20_000)))).id;
      const calls: ClaimedCall[] = [];
      for (let i = 0; i < 200; i++) {
        const c = await pg.claimChunk(id, 100);
        if (c) calls.push(c);
      }
      const meta = { httpStatus: 200, requestId: 'r', errorCode: null };
      const outcome = (c: ClaimedCall) =>
        c.ids.map((x) => ({ id: x, state: 'succeeded' as const, code: null, message: null }));
      const write = async (c: ClaimedCall) => {
        if (how === 'queue') await pg.queueOutcome(c.callId, outcome(c), meta, { finish: true });
        else {
          await pg.recordOutcome(c.callId, outcome(c), meta);
          await pg.finishIfDrained(id);
        }
      };
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: atOnce }, async () => {
          while (next < calls.length) {
            const c = calls[next++];
            if (c) await write(c);
          }
        }),
      );
      return performance.now() - t0;
    };
    const shapes = [
      ['recordOutcome + finishIfDrained, one at a time (baseline)', 'record', 1],
      ['recordOutcome + finishIfDrained, 16 at a time', 'record', 16],
      ['queueOutcome (finish), one at a time', 'queue', 1],
      ['queueOutcome (finish), 16 at a time', 'queue', 16],
    ] as const;
    const outcomeMs: [string, number][] = [];
    for (const [name, how, atOnce] of shapes) outcomeMs.push([name, await outcomeRun(how, atOnce)]);
    const first = outcomeMs[0]?.[1] ?? NaN;
    for (const [name, ms] of outcomeMs)
      console.log(
        `  ${name.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / 200).toFixed(2)} ms/call  ratio ${(ms / first).toFixed(2)}x`,
      );

    // The price of item_counts (migration 5) on writes: the same writes with its triggers off (by
    // name: items has others, migration 8's), alternated on/off, median of 3.
    console.log(
      'pg-store: item_counts triggers on writes (on vs off, alternated, median of 3; counts are wrong while off)',
    );
    const triggers = async (on: boolean) => {
      for (const name of ITEM_COUNT_TRIGGERS)
        await sql`alter table items ${sql.raw(on ? 'enable' : 'disable')} trigger ${sql.id(name)}`.execute(
          pgdb.kysely,
        );
    };
    const claimsAndOutcomes = async () => {
      const id = (await pg.createBatch(batchOf(ids.slice(0, 20_000)))).id;
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) {
        const c = await pg.claimChunk(id, 100);
        if (!c) break;
        await pg.recordOutcome(
          c.callId,
          c.ids.map((x) => ({ id: x, state: 'succeeded' as const, code: null, message: null })),
          { httpStatus: 200, requestId: 'r', errorCode: null },
        );
      }
      return performance.now() - t0;
    };
    const costs: [string, () => Promise<number>][] = [
      [
        `createBatch of ${N.toLocaleString('en')} IDs`,
        async () => {
          const t0 = performance.now();
          await pg.createBatch(batchOf(ids));
          return performance.now() - t0;
        },
      ],
      ['200 × (claimChunk of 100 + recordOutcome)', claimsAndOutcomes],
    ];
    for (const [name, fn] of costs) {
      const on: number[] = [];
      const off: number[] = [];
      for (let i = 0; i < 3; i++) {
        await triggers(true);
        on.push(await fn());
        await triggers(false);
        off.push(await fn());
      }
      await triggers(true);
      console.log(
        `  ${name.padEnd(44)} on ${median(on).toFixed(0).padStart(6)} ms  off ${median(off).toFixed(0).padStart(6)} ms  ratio ${(median(on) / median(off)).toFixed(2)}x`,
      );
    }
    await pg.close();
  } finally {
    ledger.close();
    await pgdb.close();
    rmSync(dir, { recursive: true, force: true });
    cluster.stop();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) await benchPgStore();
