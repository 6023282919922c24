/**
 * openPostgres on the run's real PostgreSQL: the ledger's migrations, typed queries through Kysely
 * with bigint columns read as numbers, and messages that never show the password.
 */
import { sql } from 'kysely';
import { expect, test, vi } from 'vitest';
import { testDatabase } from '../testing/pg-database';
import { SchemaTooNewError } from './migrate';
import { migrations } from './migrations';
import { describeUrl, migratePostgres, openPostgres } from './postgres';

test('describeUrl names host, port and database, never the user’s password', () => {
  expect(describeUrl('postgres://app:s3cret@db.example:5433/ledger?sslmode=require')).toBe(
    'PostgreSQL db.example:5433/ledger',
  );
  expect(describeUrl('not a url :s3cret')).not.toContain('s3cret');
});

test('the ledger on PostgreSQL: migrated, written and read through Kysely, bigints as numbers', async () => {
  const url = await testDatabase('pgl');
  const db = openPostgres(url, { max: 2 });
  try {
    expect(await migratePostgres(db)).toMatchObject({ from: 0, to: migrations.length });
    const batch = {
      id: 'b1',
      action: 'associate',
      state: 'running',
      state_reason: null,
      workspace_id: 'w',
      dataclass_type: 'alerts',
      data_object_id: 'o',
      related_dataclass_type: 'incidents',
      reason: null,
      user: 'local',
      retry_of: null,
      total: 2,
      duplicates: 0,
      created_at: '2026-12-06T10:00:00.000Z',
      finished_at: null,
    };
    await db.kysely.insertInto('batches').values(batch).execute();
    await db.kysely
      .insertInto('runner_lock')
      .values({ one: 1, token: 't', pid: 42, host: 'h', heartbeat_at: 1_796_000_000_123 })
      .execute();
    const row = await db.kysely
      .selectFrom('batches')
      .selectAll()
      .where('id', '=', 'b1')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      ...batch,
      n: 1,
      changes_recorded: 1,
      undo_of: null,
      credential_source: null,
      credential_session: null,
      kind: 'batch',
      group_id: null,
      destination_id: null,
    });
    const lock = await db.kysely
      .selectFrom('runner_lock')
      .select('heartbeat_at')
      .executeTakeFirst();
    expect(lock?.heartbeat_at).toBe(1_796_000_000_123);
    const count = await db.kysely
      .selectFrom('batches')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(count?.n).toBe(1);
  } finally {
    await db.close();
  }
});

test('a database written by a newer console is refused, named without the password', async () => {
  const url = new URL(await testDatabase('pgl'));
  url.password = 'unused-secret';
  const db = openPostgres(url.toString());
  try {
    await migratePostgres(db, [
      ...migrations,
      { version: migrations.length + 1, name: 'from the future', up: () => [] },
    ]);
    const error = await migratePostgres(db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(String(error)).toContain(
      `(PostgreSQL 127.0.0.1:${url.port}${url.pathname}) is version ${String(migrations.length + 1)}`,
    );
    expect(String(error)).not.toContain('unused-secret');
  } finally {
    await db.close();
  }
});

test('close ends the pool’s connections, also when only the pool was used (a migration), never Kysely', async () => {
  const url = await testDatabase('pgl');
  const name = new URL(url).pathname.slice(1);
  const db = openPostgres(url, { max: 2 });
  await migratePostgres(db);
  await db.close();
  expect(db.pool.ended).toBe(true);
  const admin = openPostgres(url.replace(`/${name}`, '/postgres'), { max: 1 });
  try {
    // A backend leaves pg_stat_activity a moment after its client hung up (a pool's idle client
    // would stay 10 s).
    await vi.waitFor(
      async () => {
        const left = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity where datname = ${name}`.execute(
          admin.kysely,
        );
        expect(left.rows[0]?.n).toBe(0);
      },
      { timeout: 3_000, interval: 20 },
    );
  } finally {
    await admin.close();
  }
});

test('a connection the server ends while it is checked out (a transaction left idle) fails its next query, not the process; the pool goes on with a new one', async () => {
  const url = await testDatabase('pgl');
  const db = openPostgres(url, { max: 1 });
  try {
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await sql`set local idle_in_transaction_session_timeout = 50`.execute(trx);
        await sql`select 1`.execute(trx);
        // The server ends the session meanwhile; its message arrives with no query under way.
        await new Promise((resolve) => setTimeout(resolve, 400));
        await sql`select 2`.execute(trx);
      }),
    ).rejects.toThrow();
    const r = await sql<{ n: number }>`select 3 as n`.execute(db.kysely);
    expect(r.rows).toEqual([{ n: 3 }]);
  } finally {
    await db.close();
  }
});
