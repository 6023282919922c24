/**
 * Claim rounds on a shared PostgreSQL ledger (server/db/leases.ts `claimBatches`: the subject rule,
 * its subject locks, two statements), with baselines from the same run:
 * - the claim as it was before the subject rule (one statement over the free lease rows);
 * - both without migration 7's partial index of the open lease rows (`batch_leases_open`).
 * On 10,000 and 100,000 batches (rows as wide as the console's, a fifth of them on one subject),
 * every lease row ended but the 52 newest: a round that takes 16 of 22 free ones (30 held by other
 * consoles), and a round that finds nothing to take (all 52 held: a console's usual round, every
 * few seconds). Each round is its own transaction, rolled back, so every sample sees the same rows.
 *
 * Run: `node --import tsx bench/pg-claims.ts` (needs PostgreSQL's server programs, as `npm test`).
 */
import { sql, type Kysely } from 'kysely';
import { claimBatches, type LeaseTables } from '../server/db/leases.ts';
import { migratePostgres, openPostgres } from '../server/db/postgres.ts';
import { startPostgres } from '../server/testing/postgres.ts';
import { medianMs } from './stats.ts';

const RUNS = 201;
const ROLLBACK = new Error('rollback');

/** The claim before the subject rule (leases.ts as it was): free rows, SKIP LOCKED, one statement. */
async function claimBefore(db: Kysely<LeaseTables>, consoleId: string, max: number) {
  await sql`
    with picked as materialized (
      select batch_id from batch_leases
       where not ended and (holder is null or expires_at <= clock_timestamp())
       limit ${max} for update skip locked)
    update batch_leases
       set holder = ${consoleId}, epoch = batch_leases.epoch + 1,
           expires_at = clock_timestamp() + interval '15 seconds'
      from picked
     where batch_leases.batch_id = picked.batch_id
    returning batch_leases.batch_id, batch_leases.epoch`.execute(db);
}

/** `n` batches as the console writes them, their lease rows all ended. */
async function seed(db: Kysely<LeaseTables>, n: number): Promise<void> {
  await sql`
    insert into batches (id, action, state, workspace_id, dataclass_type, data_object_id,
      related_dataclass_type, reason, "user", total, duplicates, created_at, finished_at,
      credential_source)
    select gen_random_uuid()::text, 'associate', 'done', '6f1e0c4a-3f55-4d7e-9a43-1d2b3c4d5e6f',
      'incidents',
      case when i % 5 = 0 then 'a1b2c3d4-0000-4000-8000-000000000001'
           else md5(i::text)::uuid::text end,
      'alerts', 'linking the phishing wave''s alerts to its incident, ticket SEC-' || i,
      'analyst' || (i % 20) || '@example.com', 100, 0, '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:05:00.000Z', 'environment'
    from generate_series(1, ${n}) i`.execute(db);
  await sql`insert into batch_leases (batch_id, holder, epoch, expires_at, ended)
    select id, null, 1, null, true from batches`.execute(db);
  await sql`vacuum analyze batches`.execute(db);
}

/** Opens the 52 newest batches' leases: `free` of them offered, the rest held by B, C, D. */
async function open(db: Kysely<LeaseTables>, free: number): Promise<void> {
  await sql`update batch_leases set ended = true, holder = null, expires_at = null
             where not ended`.execute(db);
  await sql`
    with o as (select id, row_number() over (order by n desc) as r from batches
                order by n desc limit 52)
    update batch_leases l
       set ended = false,
           holder = case when o.r <= ${free} then null else (array['B', 'C', 'D'])[1 + o.r % 3] end,
           expires_at = case when o.r <= ${free} then null
                             else clock_timestamp() + interval '1 hour' end
      from o where l.batch_id = o.id`.execute(db);
  await sql`vacuum analyze batch_leases`.execute(db);
}

/** A claim round of up to 16 batches for console A, rolled back. */
function round(db: Kysely<LeaseTables>, claim: 'rule' | 'before'): () => Promise<void> {
  return () =>
    db
      .transaction()
      .execute(async (trx) => {
        if (claim === 'rule') await claimBatches(trx, 'A', 16, 15_000);
        else await claimBefore(trx, 'A', 16);
        throw ROLLBACK;
      })
      .catch((err: unknown) => {
        if (err !== ROLLBACK) throw err;
      });
}

export async function benchPgClaims(): Promise<void> {
  const cluster = await startPostgres();
  try {
    console.log(`pg-claims: a claim round (begin, claim, rollback), median of ${RUNS}`);
    for (const n of [10_000, 100_000]) {
      const pg = openPostgres(await cluster.createDatabase('claims'), { max: 2 });
      try {
        await migratePostgres(pg);
        const db = pg.kysely as unknown as Kysely<LeaseTables>;
        await seed(db, n);
        for (const [label, free] of [
          ['16 of 22 free taken', 22],
          ['nothing free (52 held)', 0],
        ] as const) {
          await open(db, free);
          const ms = { rule: NaN, before: NaN, ruleNoIndex: NaN, beforeNoIndex: NaN };
          ms.rule = await medianMs(round(db, 'rule'), RUNS);
          ms.before = await medianMs(round(db, 'before'), RUNS);
          await sql`drop index batch_leases_open`.execute(db);
          ms.ruleNoIndex = await medianMs(round(db, 'rule'), RUNS);
          ms.beforeNoIndex = await medianMs(round(db, 'before'), RUNS);
          await sql`create index batch_leases_open on batch_leases (batch_id) where not ended`.execute(
            db,
          );
          await sql`analyze batch_leases`.execute(db);
          const f = (x: number) => `${x.toFixed(2).padStart(6)} ms`;
          console.log(
            `  ${n.toLocaleString('en').padStart(7)} batches, ${label.padEnd(22)} ` +
              `rule ${f(ms.rule)}  before the rule ${f(ms.before)}  ratio ${(ms.rule / ms.before).toFixed(2)}x` +
              ` | without the index: rule ${f(ms.ruleNoIndex)} (${(ms.ruleNoIndex / ms.rule).toFixed(1)}x)` +
              `  before ${f(ms.beforeNoIndex)}`,
          );
        }
      } finally {
        await pg.close();
      }
    }
  } finally {
    cluster.stop();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) await benchPgClaims();
