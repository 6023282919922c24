/**
 * Results benchmark (issue target: filtering by state and searching an ID answer in under 100 ms,
 * server-side and indexed): `listItems` on a 100,000-ID batch, against the baseline of a bare
 * `SELECT count(*)` over the same batch's rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../server/batches/ledger.ts';
import { LARGE_BATCH, seedFinishedBatch } from './seed-batch.ts';
import { median } from './stats.ts';

function time(fn: () => unknown, runs = 9): number {
  fn(); // warm the statement and the page cache
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

export function benchResults(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  try {
    const t0 = performance.now();
    const { id, ids } = seedFinishedBatch(ledger);
    const seedMs = performance.now() - t0;
    const target = ids[Math.floor(ids.length * 0.77)]!;
    const bareCount = ledger.db.prepare(`SELECT count(*) FROM items WHERE batch_id = ?`).pluck();
    const baseline = time(() => bareCount.get(id));
    const page = { offset: 0, limit: 200 };
    const cases: [string, () => { total: number }][] = [
      ['first page (200 rows + total)', () => ledger.listItems(id, page)],
      ['last page', () => ledger.listItems(id, { offset: LARGE_BATCH - 200, limit: 200 })],
      ['state filter (failed)', () => ledger.listItems(id, { ...page, state: 'failed' })],
      [
        'state filter (succeeded, deep page)',
        () => ledger.listItems(id, { state: 'succeeded', offset: 80_000, limit: 200 }),
      ],
      [
        'exact ID search (upper-cased)',
        () => ledger.listItems(id, { ...page, q: target.toUpperCase() }),
      ],
      [
        'substring search (8 chars)',
        () => ledger.listItems(id, { ...page, q: target.slice(9, 17) }),
      ],
      ['substring search (1 char, ~all rows)', () => ledger.listItems(id, { ...page, q: 'a' })],
      ['state + substring', () => ledger.listItems(id, { ...page, state: 'succeeded', q: 'ab' })],
      ['counts per state', () => ({ total: Object.keys(ledger.counts(id)).length })],
    ];
    console.log(
      `results: ${LARGE_BATCH.toLocaleString('en')}-ID batch seeded in ${seedMs.toFixed(0)} ms`,
    );
    console.log(`  baseline (bare SELECT count(*) of the batch): ${baseline.toFixed(2)} ms`);
    let worst = 0;
    for (const [name, fn] of cases) {
      const ms = time(fn);
      worst = Math.max(worst, ms);
      console.log(
        `  ${name.padEnd(40)} ${ms.toFixed(2).padStart(7)} ms  ratio ${(ms / baseline).toFixed(1)}x  (target < 100 ms)`,
      );
    }
    console.log(
      `  worst: ${worst.toFixed(2)} ms  (target < 100 ms) ${worst < 100 ? 'ok' : 'OVER BUDGET'}`,
    );
  } finally {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
