/** listItems: every shape (page, state, ID search) answers from an index and agrees with a plain filter. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openLedger, type Ledger } from './ledger';

let dir: string;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'list-items-'));
  ledger = openLedger(join(dir, 'ledger.db'));
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = Array.from({ length: 500 }, (_, n) =>
  n % 3 === 0 ? `Alert_${String(n).padStart(30, '0')}` : `alert-${String(n).padStart(30, '0')}`,
);

function seed(): string {
  const other = ledger.createBatch({
    action: 'associate',
    workspace_id: 'w'.repeat(32),
    dataclass_type: 'incidents',
    data_object_id: 'x'.repeat(32),
    related_dataclass_type: 'alerts',
    reason: null,
    user: 'u',
    retry_of: null,
    duplicates: 0,
    items: ids.map((id) => ({ id, idKey: id, state: 'pending', message: null })),
  });
  expect(other.total).toBe(500);
  const b = ledger.createBatch({
    action: 'associate',
    workspace_id: 'w'.repeat(32),
    dataclass_type: 'incidents',
    data_object_id: 'x'.repeat(32),
    related_dataclass_type: 'alerts',
    reason: null,
    user: 'u',
    retry_of: null,
    duplicates: 0,
    items: ids.map((id) => ({ id, idKey: id, state: 'pending', message: null })),
  });
  ledger.db
    .prepare(`UPDATE items SET state = 'failed' WHERE batch_id = ? AND seq % 7 = 0`)
    .run(b.id);
  return b.id;
}

test('an unfiltered page is a range of the input order; the total is the batch size', () => {
  const id = seed();
  const page = ledger.listItems(id, { offset: 450, limit: 100 });
  expect(page.total).toBe(500);
  expect(page.items.map((i) => i.id)).toEqual(ids.slice(450));
  expect(ledger.listItems(id, { offset: 600, limit: 100 }).items).toEqual([]);
});

test('the state filter counts and pages only that state', () => {
  const id = seed();
  const failed = ids.filter((_, n) => n % 7 === 0);
  const page = ledger.listItems(id, { state: 'failed', offset: 10, limit: 5 });
  expect(page.total).toBe(failed.length);
  expect(page.items.map((i) => i.id)).toEqual(failed.slice(10, 15));
});

test('the ID search is a case-insensitive substring, in input order, with or without a state', () => {
  const id = seed();
  const hits = ids.filter((x) => x.toLowerCase().includes('alert_'));
  const page = ledger.listItems(id, { q: 'ALERT_', offset: 5, limit: 10 });
  expect(page.total).toBe(hits.length);
  expect(page.items.map((i) => i.id)).toEqual(hits.slice(5, 15));

  const exact = ledger.listItems(id, { q: ids[123]!.toUpperCase(), offset: 0, limit: 10 });
  expect(exact.items.map((i) => i.id)).toEqual([ids[123]]);

  const both = ledger.listItems(id, { state: 'failed', q: '9', offset: 0, limit: 1000 });
  expect(both.items.map((i) => i.id)).toEqual(ids.filter((x, n) => n % 7 === 0 && x.includes('9')));
  expect(both.total).toBe(both.items.length);
});

test('LIKE wildcards in the search are taken literally', () => {
  const id = seed();
  expect(ledger.listItems(id, { q: '%', offset: 0, limit: 10 }).total).toBe(0);
  expect(ledger.listItems(id, { q: '_0000', offset: 0, limit: 10 }).total).toBe(
    ids.filter((x) => x.toLowerCase().includes('_0000')).length,
  );
});

test('every listItems shape uses an index', () => {
  const plans = [
    `SELECT id FROM items WHERE batch_id = 'b' AND seq >= 0 AND seq < 200 ORDER BY seq`,
    `SELECT COUNT(*) FROM items INDEXED BY items_by_state WHERE batch_id = 'b' AND state = 'failed'`,
    `SELECT seq FROM items INDEXED BY items_search WHERE batch_id = 'b' AND id_key LIKE '%a%' ORDER BY seq`,
  ].map((sql) =>
    (ledger.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
      .map((r) => r.detail)
      .join('; '),
  );
  for (const plan of plans) expect(plan).toMatch(/USING (COVERING )?INDEX/);
  expect(plans.join('\n')).not.toMatch(/TEMP B-TREE/);
});
