/**
 * History search benchmark (issue 12, "History search"): the filters of `GET /api/batches` on a
 * ledger of 10,000 batches and 1,000,000 items, against the baseline of the unfiltered first page.
 * Each case is timed twice: the ledger's list alone (median of 9 runs after a warm-up), and the
 * whole HTTP request to the real server started on that ledger (`node --import tsx
 * server/main.ts`, emulator mode), median of 9.
 *
 * The ledger: 9,990 batches of 80 IDs and 10 of 20,080 (1,000,000 items), drawn from 400,000
 * distinct alert IDs so that an ID is in 2–3 batches; 2,000 subjects, 20 users, a year of dates,
 * reasons naming tickets and campaigns; done, stopped or interrupted.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger, type Ledger } from '../server/batches/ledger.ts';
import type { HistoryFilter } from '../server/batches/history-filter.ts';
import { parseHistoryFilter } from '../server/batches/history-filter.ts';
import { startBenchServer } from './run-batch.ts';
import { medianMs } from './stats.ts';

const BATCHES = 10_000;
const LARGE = 10;
const LARGE_SIZE = 20_080;
const SMALL_SIZE = 80;
const POOL = 400_000;
const SUBJECTS = 2_000;
const USERS = 20;
const PAGE = 50;
const TARGET_MS = 100;
const DAY_MS = 86_400_000;
const START = Date.UTC(2025, 11, 1);

const sizeOf = (b: number) =>
  b % (BATCHES / LARGE) === BATCHES / LARGE - 1 ? LARGE_SIZE : SMALL_SIZE;
const userOf = (b: number) => `analyst${String(b % USERS).padStart(2, '0')}`;
const subjectOf = (b: number, subjects: readonly string[]) => subjects[(b * 7) % SUBJECTS]!;
const reasonOf = (b: number) =>
  b % 3 === 0 ? `Phishing wave, ticket SOC-${1000 + b}` : b % 3 === 1 ? `cleanup INC-${b}` : null;

/**
 * Writes the history straight into the ledger file (one transaction; the items' secondary indexes
 * are dropped first and built again after, which sorts once instead of 1,000,000 random inserts).
 * Returns what the cases look for.
 */
export function seedHistory(ledger: Ledger) {
  const pool = Array.from({ length: POOL }, () => randomUUID());
  const subjects = Array.from({ length: SUBJECTS }, () => randomUUID());
  const db = ledger.db;
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' AND sql IS NOT NULL`,
    )
    .all() as { name: string; sql: string }[];
  for (const { name } of indexes) db.exec(`DROP INDEX ${name}`);
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('cache_size = -262144'); // 256 MiB while seeding
  const insertBatch = db.prepare(
    `INSERT INTO batches (id, action, state, state_reason, workspace_id, dataclass_type, data_object_id,
       related_dataclass_type, reason, user, retry_of, total, duplicates, created_at, finished_at)
     VALUES (?, ?, ?, NULL, 'ws000000000000000000000000000001', 'incidents', ?, 'alerts', ?, ?, NULL, ?, 0, ?, ?)`,
  );
  const insertItem = db.prepare(
    `INSERT INTO items (batch_id, seq, id, id_key, state, attempts, updated_at)
     VALUES (?, ?, ?, ?, ?, 1, ?)`,
  );
  const ids: string[] = [];
  let start = 0;
  db.transaction(() => {
    for (let b = 0; b < BATCHES; b++) {
      const id = randomUUID();
      ids.push(id);
      const size = sizeOf(b);
      const at = new Date(START + Math.floor((b * 365 * DAY_MS) / BATCHES)).toISOString();
      const state = b % 50 === 0 ? 'cancelled' : b % 97 === 0 ? 'interrupted' : 'done';
      insertBatch.run(
        id,
        b % 4 === 0 ? 'cancel' : 'associate',
        state,
        subjectOf(b, subjects),
        reasonOf(b),
        userOf(b),
        size,
        at,
        at,
      );
      for (let s = 0; s < size; s++) {
        const item = pool[(start + s) % POOL]!;
        insertItem.run(id, s, item, item, s % 12 === 0 ? 'failed' : 'succeeded', at);
      }
      start = (start + size) % POOL;
    }
  })();
  for (const { sql } of indexes) db.exec(sql);
  db.pragma(`cache_size = ${cacheSize}`);
  // An ID of a small batch in the middle of the year (the pool wraps: it is in 2-3 batches).
  const mid = BATCHES / 2 + 1;
  const touched = db
    .prepare(`SELECT id FROM items WHERE batch_id = ? AND seq = 40`)
    .pluck()
    .get(ids[mid]) as string;
  return { ids, touched, subject: subjectOf(mid, subjects), user: userOf(mid) };
}

export async function benchHistory(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  let ledger: Ledger | null = openLedger(join(dir, 'ledger.sqlite'));
  let server: Awaited<ReturnType<typeof startBenchServer>> | null = null;
  try {
    const t0 = performance.now();
    const { ids, touched, subject, user } = seedHistory(ledger);
    const seedMs = performance.now() - t0;
    const items = ledger.db.prepare(`SELECT count(*) FROM items`).pluck().get() as number;
    const cases: [string, string][] = [
      ['unfiltered first page (baseline)', ''],
      ['touches: an item ID (in 2-3 batches)', `touches=${touched}`],
      ['touches: an ID in no batch', `touches=${randomUUID()}`],
      ['touches: a subject', `touches=${subject}`],
      ['q: an item ID (exact, upper-cased)', `q=${touched.toUpperCase()}`],
      ['q: a batch ID prefix', `q=${ids[1234]!.slice(0, 8)}`],
      ['q: reason text (1/3 of batches)', 'q=phishing'],
      ['q: text matching nothing', 'q=no-such-text-anywhere'],
      ['subject', `subject=${subject}`],
      ['user + state', `user=${user}&state=done`],
      ['from/to (one month)', 'from=2026-03-01&to=2026-03-31'],
      ['q + user + from/to', `q=ticket&user=${user}&from=2026-01-01&to=2026-06-30`],
      ['q: reason text, deep page (offset 3000)', 'q=phishing&offset=3000'],
    ];
    const filterOf = (query: string): HistoryFilter => {
      const params = new URLSearchParams(query);
      const parsed = parseHistoryFilter((name) => params.get(name) ?? undefined);
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.filter;
    };
    const ledgerMs: number[] = [];
    const totals: number[] = [];
    for (const [, query] of cases) {
      const offset = Number(new URLSearchParams(query).get('offset') ?? 0);
      const l = ledger;
      const filter = filterOf(query);
      totals.push(l.listBatches(offset, PAGE, filter).total);
      ledgerMs.push(await medianMs(() => l.listBatches(offset, PAGE, filter)));
    }
    ledger.close();
    ledger = null;

    server = await startBenchServer({ DATA_DIR: dir });
    const base = server.url;
    const httpGet = (name: string, query: string) => async () => {
      const res = await fetch(`${base}/api/batches?limit=${PAGE}&${query}`);
      if (!res.ok) throw new Error(`${name}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    // One round first: the server's start-up work (the emulator's seed) is over before timing.
    for (const [name, query] of cases) await httpGet(name, query)();
    const httpMs: number[] = [];
    for (const [name, query] of cases) httpMs.push(await medianMs(httpGet(name, query)));

    console.log(
      `history: ${BATCHES.toLocaleString('en')} batches, ${items.toLocaleString('en')} items seeded in ${seedMs.toFixed(0)} ms; pages of ${PAGE}, median of 9`,
    );
    const baseline = ledgerMs[0]!;
    console.log(
      `  ${'case'.padEnd(42)} ${'matches'.padStart(7)}  ${'ledger'.padStart(9)}  ${'HTTP'.padStart(9)}`,
    );
    let worst = 0;
    cases.forEach(([name], i) => {
      const ms = ledgerMs[i]!;
      const http = httpMs[i]!;
      worst = Math.max(worst, http);
      console.log(
        `  ${name.padEnd(42)} ${String(totals[i]).padStart(7)}  ${ms.toFixed(2).padStart(6)} ms  ${http.toFixed(2).padStart(6)} ms  ratio ${(ms / baseline).toFixed(1)}x`,
      );
    });
    console.log(
      `  worst HTTP: ${worst.toFixed(2)} ms  (target < ${TARGET_MS} ms) ${worst < TARGET_MS ? 'ok' : 'OVER BUDGET'}`,
    );
  } finally {
    ledger?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHistory();
