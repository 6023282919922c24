/**
 * An export whose ledger read fails after the 200 and the first rows were sent must fail for the
 * client (the chunked body is never terminated), never end as a clean, short file. Real HTTP
 * (`@hono/node-server` on a free port) and a real SQLite file with one page of the `items` table
 * overwritten after the ledger was written.
 */
import { afterEach, expect, test } from 'vitest';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { loadConfig } from '../config';
import { createConsole, type ConsoleServer } from '../console';
import { listen, type Listening } from '../testing/attack-harness';
import { makeIds } from '../testing/fake-upstream';
import { openLedger, type Ledger } from './ledger';
import { EXPORT_PAGE_ROWS } from './records';

const ROWS = 5 * EXPORT_PAGE_ROWS;

let dir = '';
let ledger: Ledger | null = null;
let consoleServer: ConsoleServer | null = null;
let server: Listening | null = null;
afterEach(async () => {
  await server?.close();
  await consoleServer?.close();
  ledger?.close();
  server = null;
  consoleServer = null;
  ledger = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * A ledger file holding one finished batch of ROWS items, with the `items` leaf page that holds
 * row ~ROWS*0.6 overwritten with garbage: the first export pages read fine, a later one fails.
 */
function damagedLedgerFile(): { file: string; batchId: string } {
  dir = mkdtempSync(join(tmpdir(), 'export-abort-'));
  const file = join(dir, 'ledger.sqlite');
  const writer = openLedger(file);
  const ids = makeIds(ROWS);
  const batch = writer.createBatch({
    action: 'associate',
    workspace_id: '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14',
    dataclass_type: 'incidents',
    data_object_id: 'c0ffee00-0000-4000-8000-000000000001',
    related_dataclass_type: 'alerts',
    reason: 'export abort test',
    user: 'test',
    retry_of: null,
    duplicates: 0,
    items: ids.map((id) => ({ id, idKey: id, state: 'invalid', message: 'not found' })),
  });
  writer.close(); // checkpoints the WAL into the file
  const db = new Database(file, { readonly: true });
  // dbstat lists a b-tree's pages in tree order: the leaves of `items` in rowid (= seq) order.
  const leaves = z
    .array(z.object({ pageno: z.number() }))
    .parse(
      db
        .prepare(
          `SELECT pageno FROM dbstat WHERE name = 'items' AND pagetype = 'leaf' ORDER BY path`,
        )
        .all(),
    );
  const pageSize = z.number().parse(db.pragma('page_size', { simple: true }));
  db.close();
  const target = leaves[Math.floor(leaves.length * 0.6)];
  if (!target || leaves.length < 10) throw new Error(`too few leaves: ${leaves.length}`);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (target.pageno - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  return { file, batchId: batch.id };
}

async function serveLedger(file: string): Promise<string> {
  ledger = openLedger(file);
  const config = {
    ...loadConfig({ DATA_DIR: dir, BATCH_CONCURRENCY: '1', BATCH_CALL_TIMEOUT_MS: '1000' }),
    endpoint: 'http://127.0.0.1:9',
  };
  consoleServer = createConsole(config, { ledger, emulatorReady: () => true });
  server = await listen(consoleServer.app.fetch);
  return `http://127.0.0.1:${server.port}`;
}

/** Reads the body chunk by chunk: the bytes received, and how the read ended. */
async function readBody(res: Response): Promise<{ text: string; error: unknown }> {
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, error: null };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

test.each(['csv', 'json'] as const)(
  'a %s export that cannot read the ledger mid-stream fails for the client, not a short file',
  async (format) => {
    const { file, batchId } = damagedLedgerFile();
    const url = await serveLedger(file);
    const res = await fetch(`${url}/api/batches/${batchId}/export?format=${format}`);
    expect(res.status).toBe(200);
    const { text, error } = await readBody(res);
    // Rows were sent before the failure (the failure is mid-stream), and the read rejected.
    expect(text.length).toBeGreaterThan(1000);
    expect(error).toBeInstanceOf(Error);
    // The history of other requests still answers (the server did not crash).
    expect((await fetch(`${url}/api/batches`)).status).toBe(200);
  },
);
