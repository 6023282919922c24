/**
 * The server process with DATABASE_URL (main.ts): it migrates the database and runs a batch on it;
 * a restart finds the batch in the database, not in DATA_DIR; a database written by a newer console
 * is refused (exit 2, naming it); a database that cannot be reached, or that refuses the
 * credentials (the test cluster's pg_hba.conf demands a password of one role for the test), stops
 * the start with a message that names where it is and never the password (exit 1).
 */
import { afterEach, expect, onTestFinished, test, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { seedObjectIds } from 'secmaster-emulator';
import {
  getBatch,
  pollBatch,
  postBatch,
  seededBatch,
  startServer,
  stopServer,
  type ServerProcess,
} from './testing/process-harness';
import { testDatabase } from './testing/pg-database';

const ROOT = join(import.meta.dirname, '..');
const procs: ServerProcess[] = [];
let dir = '';
afterEach(async () => {
  for (const p of procs.splice(0)) await stopServer(p);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

/** Runs main.ts to its exit (a start that is refused); its code and output. */
/**
 * Runs the server until it exits by itself; one still running after `limitMs` (a start that should
 * have stopped) is killed, and reported as `code` null with what it printed.
 */
function runToExit(
  env: Record<string, string>,
  limitMs = 40_000,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', EMULATOR_PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    }),
  );
}

test('with DATABASE_URL the server migrates PostgreSQL, runs a batch there, and finds it again after a restart', async () => {
  dir = mkdtempSync(join(tmpdir(), 'main-pg-'));
  const url = await testDatabase('main_pg');
  const env = { DATABASE_URL: url, DATA_DIR: dir, EMULATOR_SEED: '{"alerts":300,"incidents":40}' };
  const first = await startServer(env);
  procs.push(first);
  expect(first.output()).toMatch(/ledger: PostgreSQL 127\.0\.0\.1:\d+\/main_pg_\w+ \(console /);
  expect(first.output()).toContain('schema migrated from version 0 to');
  const ids = seedObjectIds(0, 'alerts', 120);
  const batch = await postBatch(first.url, seededBatch(ids, 3));
  const done = await pollBatch(first.url, batch.id, (b) => b.state !== 'running', 60_000);
  expect(done.state).toBe('done');
  expect(done.counts.succeeded + done.counts.unchanged).toBe(120);
  // The ledger is the database's: nothing of it in DATA_DIR (the emulator's store only).
  expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(false);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = await client.query('select state from batches where id = $1', [batch.id]);
    expect(rows.rows).toEqual([{ state: 'done' }]);
  } finally {
    await client.end();
  }
  procs.splice(0);
  await stopServer(first);
  const second = await startServer(env);
  procs.push(second);
  expect(second.output()).not.toContain('schema migrated');
  expect(await getBatch(second.url, batch.id)).toMatchObject({
    state: 'done',
    counts: done.counts,
  });
}, 120_000);

test('a database written by a newer console is refused at start: exit 2, nothing written', async () => {
  const url = await testDatabase('main_newer');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `create table schema_migrations (version integer primary key, name text not null, applied_at text not null)`,
    );
    await client.query(
      `insert into schema_migrations values (999, 'from the future', '2027-01-01T00:00:00.000Z')`,
    );
    const { code, out } = await runToExit({ DATABASE_URL: url, SECMASTER_MODE: 'emulator' });
    expect(code).toBe(2);
    expect(out).toMatch(/version 999/);
    const tables = await client.query(
      `select count(*)::int as n from information_schema.tables where table_name = 'batches'`,
    );
    expect(tables.rows).toEqual([{ n: 0 }]);
  } finally {
    await client.end();
  }
}, 60_000);

test('a database that cannot be reached stops the start, naming where it is, never the password', async () => {
  // A port that answers nothing PostgreSQL would: it closes every connection at once.
  const closer = createServer((s) => s.destroy());
  await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
  const port = (closer.address() as AddressInfo).port;
  try {
    dir = mkdtempSync(join(tmpdir(), 'main-pg-gone-'));
    const { code, out } = await runToExit({
      DATABASE_URL: `postgres://app:s3cret-pass@127.0.0.1:${port}/ledger`,
      DATA_DIR: dir,
    });
    expect(code).toBe(1);
    expect(out).toContain(
      `the ledger database (PostgreSQL 127.0.0.1:${port}/ledger) could not be opened`,
    );
    expect(out).not.toContain('s3cret-pass');
  } finally {
    await new Promise((r) => closer.close(r));
  }
}, 60_000);

test('a database that refuses the credentials (a wrong password) stops the start: it says so, names where, never the password', async () => {
  const url = await testDatabase('main_auth');
  const database = new URL(url).pathname.slice(1);
  const role = `auth_${randomBytes(4).toString('hex')}`;
  const rightPassword = `right-${randomBytes(8).toString('hex')}`;
  const wrongPassword = `wr0ng-${randomBytes(8).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  // The test cluster trusts every connection (initdb -A trust): for this role on this database
  // only, a rule before the others demands its password (SCRAM), as a production database does.
  // Put back after the test however it ends (a timed-out test never unwinds its body).
  let restore: (() => void) | null = null;
  onTestFinished(async () => {
    restore?.();
    await admin.query('select pg_reload_conf()');
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  });
  const hbaFile =
    (await admin.query<{ hba_file: string }>('show hba_file')).rows[0]?.hba_file ?? '';
  const hba = readFileSync(hbaFile, 'utf8');
  restore = () => writeFileSync(hbaFile, hba);
  await admin.query(`create role ${role} login password '${rightPassword}'`);
  writeFileSync(hbaFile, `host ${database} ${role} 127.0.0.1/32 scram-sha-256\n${hba}`);
  await admin.query('select pg_reload_conf()');
  const target = new URL(url);
  target.username = role;
  // The rule is in force once the server has reloaded (it does so asynchronously): the wrong
  // password is refused, the right one let in.
  target.password = wrongPassword;
  await vi.waitFor(
    async () => {
      const c = new pg.Client({ connectionString: target.toString() });
      const refused = await c.connect().then(
        () => null,
        (error: unknown) => error,
      );
      await c.end().catch(() => undefined);
      expect(refused).toMatchObject({ code: '28P01' });
    },
    { timeout: 10_000, interval: 50 },
  );
  target.password = rightPassword;
  const right = new pg.Client({ connectionString: target.toString() });
  await right.connect();
  await right.end();

  target.password = wrongPassword;
  dir = mkdtempSync(join(tmpdir(), 'main-pg-auth-'));
  const { code, out } = await runToExit({ DATABASE_URL: target.toString(), DATA_DIR: dir });
  expect(code).toBe(1);
  expect(out).toContain(
    `the ledger database (PostgreSQL 127.0.0.1:${target.port}/${database}) refused the credentials of DATABASE_URL`,
  );
  expect(out).toContain('28P01');
  expect(out).not.toContain(wrongPassword);
  expect(out).not.toContain(rightPassword);
}, 60_000);
