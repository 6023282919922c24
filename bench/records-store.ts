/**
 * The records stores' reads on SQLite (server/db/records-store.ts, group-records-store.ts: Kysely
 * over the ledger's better-sqlite3 database, asynchronous) against the synchronous reads they will
 * replace (records.ts, group-records.ts), on the same ledger in the same run: what the callers'
 * switch to the stores costs on SQLite. Medians of 21 runs of each, taken in
 * turns after 3 warm-ups (the same load for both); ratio = store / sync.
 *
 * The ledger: a finished batch of 100,000 IDs (1 in 1,000 failed, half of those permanently),
 * beside a batch of 20,000 failed IDs (reads must not walk it), and a move whose two phases hold
 * 20,000 IDs each.
 *
 * `node --import tsx bench/records-store.ts` (not part of `npm run bench` yet).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGroupRecords } from '../server/batches/group-records.ts';
import { openLedger } from '../server/batches/ledger.ts';
import { openRecords } from '../server/batches/records.ts';
import { openGroupRecordsStore } from '../server/db/group-records-store.ts';
import { openRecordsStore } from '../server/db/records-store.ts';
import { sqliteKysely } from '../server/db/sqlite-kysely.ts';
import { insertBatches, testUuid, type ItemSeed } from '../server/testing/ledger-rows.ts';
import { median } from './stats.ts';

const IDS = 100_000;
const MOVE_IDS = 20_000;

/**
 * Both reads timed in turns, 3 warm-ups then `runs` rounds of one each, so that both see the same
 * load on a shared machine: the two medians.
 */
async function timePair(
  baseline: () => unknown,
  measured: () => unknown,
  runs = 21,
): Promise<[number, number]> {
  for (let i = 0; i < 3; i++) {
    await baseline();
    await measured();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    await baseline();
    a.push(performance.now() - t0);
    t0 = performance.now();
    await measured();
    b.push(performance.now() - t0);
  }
  return [median(a), median(b)];
}

export async function benchRecordsStore(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-records-store-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  try {
    const kysely = sqliteKysely(ledger.db);
    const batch = testUuid(1);
    const move = testUuid(2);
    const [link, unlink] = [testUuid(3), testUuid(4)];
    const moveItems = (state: ItemSeed['state']) =>
      Array.from({ length: MOVE_IDS }, (_, n): ItemSeed => ({ id: `m${String(n)}`, state }));
    await insertBatches(kysely, [
      {
        id: testUuid(9),
        items: Array.from({ length: 20_000 }, (_, n) => ({ id: `o${String(n)}`, state: 'failed' })),
      },
      {
        id: batch,
        state: 'done',
        items: Array.from({ length: IDS }, (_, n) => ({
          id: `a${String(n)}`,
          state: n % 1000 === 0 ? 'failed' : 'succeeded',
          code: n % 2000 === 0 ? 'NOT_FOUND' : null,
        })),
      },
      { id: move, kind: 'move' },
      { id: link, group_id: move, state: 'done', items: moveItems('succeeded') },
      {
        id: unlink,
        group_id: move,
        action: 'cancel',
        state: 'done',
        items: moveItems('unchanged'),
      },
    ]);
    const sync = openRecords(ledger.db);
    const store = openRecordsStore(kysely);
    const syncGroups = openGroupRecords(ledger.db);
    const groups = openGroupRecordsStore(kysely, 'sqlite');
    const phases = { linkId: link, unlinkId: unlink, running: false };
    const page = { offset: 0, limit: 50 };

    const cases: [string, () => unknown, () => Promise<unknown>][] = [
      [
        'itemPages, 100,000 IDs',
        () => {
          for (const p of sync.itemPages(batch)) void p;
        },
        async () => {
          for await (const p of store.itemPages(batch)) void p;
        },
      ],
      [
        'idsInState failed (100 of 100,000)',
        () => sync.idsInState(batch, 'failed'),
        () => store.idsInState(batch, 'failed'),
      ],
      [
        'retryIds (50 of 100,000)',
        () => sync.retryIds(batch, false, true),
        () => store.retryIds(batch, false, true),
      ],
      ['retryCounts', () => sync.retryCounts(batch), () => store.retryCounts(batch)],
      [
        'move items, first page of 20,000',
        () => syncGroups.listMoveItems(phases, page),
        () => groups.listMoveItems(phases, page),
      ],
      [
        'move items, search',
        () => syncGroups.listMoveItems(phases, { ...page, q: 'm1999' }),
        () => groups.listMoveItems(phases, { ...page, q: 'm1999' }),
      ],
      [
        'move results, 20,000',
        () => syncGroups.moveResults(phases),
        () => groups.moveResults(phases),
      ],
    ];
    console.log('\nrecords stores on SQLite (median ms; baseline: the synchronous reads)');
    console.log('| read | sync ms | store ms | ratio |');
    console.log('| --- | --- | --- | --- |');
    for (const [name, baseline, measured] of cases) {
      const [base, ms] = await timePair(baseline, measured);
      console.log(
        `| ${name} | ${base.toFixed(2)} | ${ms.toFixed(2)} | ${(ms / base).toFixed(2)}× |`,
      );
    }
  } finally {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRecordsStore();
