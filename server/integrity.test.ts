/**
 * A damaged ledger or emulator store stops the real server at start (exit 2) with a message that
 * names the file and says what to do, and the file is left byte for byte as it was. Also the same
 * damage met while opening the file (openLedger, openEmulatorDb) names the file.
 */
import { afterEach, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { openLedger } from './batches/ledger';
import { loadConfig } from './config';
import { createConsole } from './console';
import { openEmulatorDb, seedEmulator } from 'secmaster-emulator';
import { DamagedDatabaseError, checkDatabaseFile } from './integrity';
import { listen } from './testing/attack-harness';
import { makeIds } from './testing/fake-upstream';

const ROOT = join(import.meta.dirname, '..');

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function tempDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'integrity-'));
  return dir;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A ledger file holding one batch of 3,000 items (a few hundred pages); closed (WAL checkpointed). */
function writeLedger(file: string): void {
  const ledger = openLedger(file);
  const ids = makeIds(3000);
  ledger.createBatch({
    action: 'associate',
    workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
    dataclass_type: 'incidents',
    data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
    related_dataclass_type: 'alerts',
    reason: 'integrity test',
    user: 'test',
    retry_of: null,
    duplicates: 0,
    items: ids.map((id) => ({ id, idKey: id, state: 'pending', message: null })),
  });
  ledger.close();
}

/** The pages of `table` (found with dbstat: the leaves in key order), and the page size. */
function pagesOf(file: string, table: string): { leaves: number[]; pageSize: number } {
  const db = new Database(file, { readonly: true });
  try {
    const leaves = z
      .array(z.object({ pageno: z.number() }))
      .parse(
        db
          .prepare(`SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path`)
          .all(table),
      );
    const pageSize = z.number().parse(db.pragma('page_size', { simple: true }));
    return { leaves: leaves.map((l) => l.pageno), pageSize };
  } finally {
    db.close();
  }
}

/** Overwrites page `pageno` (1-based) of `file` with garbage. */
function overwritePage(file: string, pageno: number, pageSize: number): void {
  const fd = openSync(file, 'r+');
  try {
    // Page n starts at pageSize * (n - 1).
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, pageSize * (pageno - 1));
  } finally {
    closeSync(fd);
  }
}

/** Overwrites, with garbage, the middle leaf page of `table`. */
function overwriteLeafOf(file: string, table: string): void {
  const { leaves, pageSize } = pagesOf(file, table);
  const page = leaves[Math.floor(leaves.length / 2)];
  if (page === undefined || leaves.length < 3) {
    throw new Error(`${table}: only ${leaves.length} leaf pages`);
  }
  overwritePage(file, page, pageSize);
}

/** Runs the real server on `dataDir` until it exits (a start that gets as far as listening fails). */
async function runServer(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      EMULATOR_PORT: '0',
      HOST: '127.0.0.1',
      EMULATOR_SEED: JSON.stringify({ alerts: 50, incidents: 5, indicators: 5 }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('association console on')) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (stdout.includes('association console on')) {
    throw new Error(`the server started on a damaged file:\n${stdout}${stderr}`);
  }
  return { code, stderr };
}

/** What every refusal says: the full path, that it did not start, and the two ways on. */
function expectRefusal(stderr: string, file: string): void {
  expect(stderr).toContain(`${file} is damaged: the console did not start.`);
  expect(stderr).toContain('restore ');
  expect(stderr).toContain('from a backup');
  expect(stderr).toMatch(new RegExp(`mv ${file.replaceAll('.', '\\.')} ${file}\\.damaged-\\d`));
}

test('a ledger with one page overwritten stops the start: exit 2, the file named, what to do, the file untouched', async () => {
  const data = tempDir();
  const file = join(data, 'ledger.sqlite');
  writeLedger(file);
  overwriteLeafOf(file, 'items');
  const before = sha256(file);
  const { code, stderr } = await runServer(data);
  expect(code).toBe(2);
  expectRefusal(stderr, file);
  expect(stderr).toContain('The batch ledger');
  expect(stderr).toMatch(/PRAGMA quick_check.*\n {2}\S/); // what SQLite found, on the next line
  expect(stderr).toContain('empty ledger'); // what moving it aside loses
  expect(sha256(file)).toBe(before);
}, 60_000);

test('a ledger that is not a SQLite file at all stops the start: exit 2, "file is not a database"', async () => {
  const data = tempDir();
  const file = join(data, 'ledger.sqlite');
  writeFileSync(file, 'id,state\n'.repeat(2000));
  const before = sha256(file);
  const { code, stderr } = await runServer(data);
  expect(code).toBe(2);
  expectRefusal(stderr, file);
  expect(stderr).toContain('file is not a database');
  expect(sha256(file)).toBe(before);
}, 60_000);

test('a damaged emulator store stops the start: exit 2, the store named, the file untouched', async () => {
  const data = tempDir();
  const file = join(data, 'emulator.sqlite');
  const db = openEmulatorDb(file);
  seedEmulator(db, { alerts: 300, incidents: 5, indicators: 5 });
  db.close();
  overwriteLeafOf(file, 'objects');
  const before = sha256(file);
  const { code, stderr } = await runServer(data);
  expect(code).toBe(2);
  expectRefusal(stderr, file);
  expect(stderr).toContain("The embedded emulator's store");
  expect(stderr).toContain('seeds a new store');
  expect(sha256(file)).toBe(before);
}, 60_000);

test('checkDatabaseFile: a healthy or missing file passes; damage met on opening names the file', () => {
  const data = tempDir();
  const ledgerFile = join(data, 'ledger.sqlite');
  checkDatabaseFile(ledgerFile, 'ledger'); // missing: created empty later
  writeLedger(ledgerFile);
  checkDatabaseFile(ledgerFile, 'ledger');

  const junk = join(data, 'junk.sqlite');
  writeFileSync(junk, 'not a database, '.repeat(500));
  expect(() => openLedger(junk)).toThrow(DamagedDatabaseError);
  expect(() => openLedger(junk)).toThrow(`${junk} is damaged`);
  expect(() => openEmulatorDb(junk)).toThrow(`${junk} is damaged`);
  expect(() => openEmulatorDb(junk)).toThrow('file is not a database');
});

test('damage met after start: /api/health answers 503 where the history answers 500', async () => {
  const data = tempDir();
  const file = join(data, 'ledger.sqlite');
  writeLedger(file);
  const { leaves, pageSize } = pagesOf(file, 'batches');
  const ledger = openLedger(file);
  const config = {
    ...loadConfig({ DATA_DIR: data, BATCH_CONCURRENCY: '1', BATCH_CALL_TIMEOUT_MS: '1000' }),
    endpoint: 'http://127.0.0.1:9',
  };
  const { app, close } = createConsole(config, { ledger, emulatorReady: () => true });
  const server = await listen(app.fetch);
  try {
    const url = `http://127.0.0.1:${server.port}`;
    // The pages the batches are read from, damaged under the running server before it read them
    // (once read, SQLite answers from its page cache).
    for (const page of leaves) overwritePage(file, page, pageSize);
    expect((await fetch(`${url}/api/batches`)).status).toBe(500);
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable' });
  } finally {
    await server.close();
    await close();
    ledger.close();
  }
});
