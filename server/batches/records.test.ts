import { afterEach, beforeEach, expect, test } from 'vitest';
import { idKey } from '../../src/api/schemas';
import { openLedger, type Ledger, type NewBatch } from './ledger';
import { sqliteServiceStores, type ServiceStores } from '../db/service-stores';
import {
  IDEMPOTENCY_KEY_PATTERN,
  IDEMPOTENCY_TTL_MS,
  bodyHash,
  canonicalJson,
  csvCell,
  CONTEXT_COLUMNS,
  CSV_HEADER,
  exportContext,
  rowStream,
  exportStream,
  openRecords,
  type Records,
} from './records';

let ledger: Ledger;
let records: Records;
let stores: ServiceStores;
let clock: Date;

const WS = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';
const id = (n: number) => `alert-${String(n).padStart(26, '0')}`;

function batch(ids: string[]): NewBatch {
  return {
    action: 'associate',
    workspace_id: WS,
    dataclass_type: 'incidents',
    data_object_id: SUBJECT,
    related_dataclass_type: 'alerts',
    reason: null,
    user: 'local',
    retry_of: null,
    duplicates: 0,
    items: ids.map((i) => ({ id: i, idKey: idKey(i), state: 'pending', message: null })),
  };
}

beforeEach(() => {
  clock = new Date('2026-11-22T10:00:00.000Z');
  ledger = openLedger(':memory:');
  records = openRecords(ledger.db, { now: () => clock });
  stores = sqliteServiceStores(ledger, { now: () => clock });
});

afterEach(() => {
  ledger.close();
});

test('canonical JSON sorts keys at every depth, so key order does not change the hash', () => {
  expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
    '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
  );
  expect(bodyHash({ a: 1, b: 2 })).toBe(bodyHash({ b: 2, a: 1 }));
  expect(bodyHash({ ids: ['x', 'y'] })).not.toBe(bodyHash({ ids: ['y', 'x'] }));
});

test('Idempotency-Key: 1 to 200 characters of letters, digits, _ - : .', () => {
  expect(IDEMPOTENCY_KEY_PATTERN.test('a')).toBe(true);
  expect(IDEMPOTENCY_KEY_PATTERN.test('ui:2026-11-22T10:00:00.000Z_x-1')).toBe(true);
  expect(IDEMPOTENCY_KEY_PATTERN.test('k'.repeat(200))).toBe(true);
  expect(IDEMPOTENCY_KEY_PATTERN.test('k'.repeat(201))).toBe(false);
  expect(IDEMPOTENCY_KEY_PATTERN.test('')).toBe(false);
  expect(IDEMPOTENCY_KEY_PATTERN.test('has space')).toBe(false);
  expect(IDEMPOTENCY_KEY_PATTERN.test('slash/')).toBe(false);
});

test('a key creates once, replays with the same body, refuses another body, and expires after 24 h', () => {
  let creates = 0;
  const create = () => {
    creates++;
    return ledger.createBatch(batch([id(1)]));
  };
  const first = records.idempotent('local', 'k1', 'h1', create);
  expect(first.kind).toBe('created');
  if (first.kind !== 'created') throw new Error('created');
  expect(records.idempotent('local', 'k1', 'h1', create)).toEqual({
    kind: 'replayed',
    batchId: first.value.id,
  });
  expect(records.idempotent('local', 'k1', 'h2', create)).toEqual({
    kind: 'mismatch',
    batchId: first.value.id,
  });
  // Keys belong to a user.
  expect(records.idempotent('someone-else', 'k1', 'h1', create).kind).toBe('created');
  expect(creates).toBe(2);

  clock = new Date(clock.getTime() + IDEMPOTENCY_TTL_MS - 1000);
  expect(records.idempotent('local', 'k1', 'h1', create).kind).toBe('replayed');
  clock = new Date(clock.getTime() + 2000);
  expect(records.idempotent('local', 'k1', 'h1', create).kind).toBe('created');
  expect(creates).toBe(3);
});

test('a failing create stores no key', () => {
  expect(() =>
    records.idempotent('local', 'k', 'h', () => {
      throw new Error('disk full');
    }),
  ).toThrow('disk full');
  expect(records.idempotent('local', 'k', 'h', () => ledger.createBatch(batch([id(1)]))).kind).toBe(
    'created',
  );
});

test('undo links and credential sources are columns of the batch: kept, read back, and listed', () => {
  const a = ledger.createBatch({ ...batch([id(1)]), credential_source: 'env-aksk' });
  const b = ledger.createBatch({ ...batch([id(2)]), undo_of: a.id });
  const c = ledger.createBatch({ ...batch([id(3)]), undo_of: a.id });
  expect(ledger.getBatch(b.id)).toMatchObject({ undo_of: a.id, credential_source: null });
  expect(ledger.getBatch(a.id)).toMatchObject({ undo_of: null, credential_source: 'env-aksk' });
  // Undone once: the first undo is the one that counts.
  expect(ledger.undoneBy(a.id)).toBe(b.id);
  expect(ledger.undoneBy(c.id)).toBeNull();
  ledger.setCredentialSource(a.id, 'session:alice');
  expect(
    ledger.listBatches(0, 10).items.map((x) => [x.id, x.undo_of, x.credential_source]),
  ).toEqual([
    [c.id, a.id, null],
    [b.id, a.id, null],
    [a.id, null, 'session:alice'],
  ]);
});

test('itemPages and idsInState read in input order, a page at a time', () => {
  const ids = Array.from({ length: 2500 }, (_, n) => id(n));
  const b = ledger.createBatch(batch(ids));
  const pages = [...records.itemPages(b.id)];
  expect(pages.map((p) => p.length)).toEqual([1000, 1000, 500]);
  expect(pages.flat().map((i) => i.id)).toEqual(ids);
  expect(records.idsInState(b.id, 'pending')).toEqual(ids);
  expect(records.idsInState(b.id, 'succeeded')).toEqual([]);
});

test('CSV cells: numbers bare, text always quoted (RFC 4180), formula starters neutralised', () => {
  expect(csvCell(null)).toBe('');
  expect(csvCell(3)).toBe('3');
  expect(csvCell('plain')).toBe('"plain"');
  expect(csvCell('')).toBe('""');
  expect(csvCell('a,b')).toBe('"a,b"');
  expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
  for (const start of ['=', '+', '-', '@', '\t', '\r'])
    expect(csvCell(`${start}cmd`)).toBe(`"'${start}cmd"`);
  expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
  // A spreadsheet whose list separator is ";" (most European locales) starts a cell after it.
  expect(csvCell("x;=cmd|' /C calc'!A0;")).toBe(`"x;'=cmd|' /C calc'!A0;"`);
  expect(csvCell('a;b\t@c, -d\n+e')).toBe(`"a;b\t'@c,' -d\n'+e"`);
  // A tab that itself starts a cell, then a formula after it: both neutralised.
  expect(csvCell('a,\t=b')).toBe(`"a,'\t'=b"`);
});

/** Every cell a spreadsheet could see when it splits a line at `,`, `;` or tab (any locale). */
function cellsInAnyLocale(csv: string): string[] {
  return csv.split(/[,;\t\r\n]/).map((part) => part.replace(/^"/, ''));
}

test('no cell of an exported row, split at ",", ";" or tab, starts a formula', async () => {
  const pieces = ['=', '+', '-', '@', '\t', '\r', '\n', ';', ',', ' ', '"', "'", 'x', '1'];
  let seed = 7;
  const pick = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return pieces[seed % pieces.length] ?? 'x';
  };
  for (let n = 0; n < 2_000; n++) {
    const text = Array.from({ length: 1 + (n % 12) }, pick).join('');
    const row = await new Response(
      rowStream(
        (async function* () {
          await Promise.resolve();
          yield [{ id: text, code: text, message: text }];
        })(),
        'csv',
        {
          header: ['id', 'code', 'message'],
          cells: (r) => [r.id, r.code, r.message],
          context: [
            ['reason', text],
            ['user', text],
          ],
        },
      ),
    ).text();
    for (const cell of cellsInAnyLocale(row))
      expect(cell, JSON.stringify({ text, row })).not.toMatch(/^ *[=+\-@]/);
  }
});

test('a stream reads a page per pull, and a client that goes away mid-read stops the reads: no page after, the source closed', async () => {
  let reads = 0;
  let closed = false;
  let release: () => void = () => undefined;
  async function* pages() {
    try {
      for (;;) {
        reads++;
        // The third page's read is still under way when the client goes away.
        if (reads === 3) await new Promise<void>((r) => (release = r));
        yield [{ id: `row-${reads}` }];
      }
    } finally {
      closed = true;
    }
  }
  const stream = rowStream(pages(), 'csv', { header: ['id'], cells: (r) => [r.id], context: [] });
  const reader = stream.getReader();
  const text = new TextDecoder();
  expect(text.decode((await reader.read()).value)).toBe('id\r\n"row-1"\r\n');
  expect(text.decode((await reader.read()).value)).toBe('"row-2"\r\n');
  // The stream asks for one page ahead of what was read (its queue holds one chunk): the third.
  while (reads < 3) await new Promise((r) => setImmediate(r));
  const cancelled = reader.cancel();
  release();
  await cancelled;
  expect(closed).toBe(true);
  expect(reads).toBe(3);
});

test('the export streams CSV and JSON of every item with the batch context; an empty page ends cleanly', async () => {
  const b = ledger.createBatch(batch([id(1), id(2)]));
  const context = `"${b.id}","associate","${b.workspace_id}","incidents","${b.data_object_id}","alerts","${b.user}","${b.created_at}",${b.reason === null ? '' : `"${b.reason}"`}`;
  const csv = await new Response(exportStream(stores.records, b, 'csv')).text();
  expect(csv).toBe(
    `${CSV_HEADER}\r\n"${id(1)}","pending",,,,0,${context}\r\n"${id(2)}","pending",,,,0,${context}\r\n`,
  );
  expect(CSV_HEADER).toBe(
    'id,state,code,message,request_id,attempts,batch_id,action,workspace_id,subject_class,subject_id,related_class,user,created_at,reason',
  );
  const json: unknown = JSON.parse(
    await new Response(exportStream(stores.records, b, 'json')).text(),
  );
  const about = {
    batch_id: b.id,
    action: 'associate',
    workspace_id: b.workspace_id,
    subject_class: 'incidents',
    subject_id: b.data_object_id,
    related_class: 'alerts',
    user: b.user,
    created_at: b.created_at,
    reason: b.reason,
  };
  expect(json).toEqual([
    {
      id: id(1),
      state: 'pending',
      code: null,
      message: null,
      request_id: null,
      attempts: 0,
      ...about,
    },
    {
      id: id(2),
      state: 'pending',
      code: null,
      message: null,
      request_id: null,
      attempts: 0,
      ...about,
    },
  ]);
  const none = await new Response(
    exportStream(stores.records, { ...b, id: 'no-such-batch' }, 'json'),
  ).text();
  expect(JSON.parse(none)).toEqual([]);
});

test('exportContext names a move by its source and destination, and a batch of pairs without one subject', () => {
  const run = {
    id: 'm1',
    action: 'associate',
    workspace_id: 'ws',
    dataclass_type: 'incidents',
    data_object_id: 'src',
    destination_id: 'dst',
    related_dataclass_type: 'alerts',
    user: 'ana',
    created_at: '2026-12-05T14:03:00.000Z',
    reason: '=HYPERLINK("x")',
  };
  expect(Object.fromEntries(exportContext({ ...run, kind: 'move' }))).toEqual({
    move_id: 'm1',
    action: 'move',
    workspace_id: 'ws',
    subject_class: 'incidents',
    source_id: 'src',
    destination_id: 'dst',
    related_class: 'alerts',
    user: 'ana',
    created_at: '2026-12-05T14:03:00.000Z',
    reason: '=HYPERLINK("x")',
  });
  expect(exportContext({ ...run, kind: 'pairs' }).map(([name]) => name)).toEqual(
    CONTEXT_COLUMNS.pairs,
  );
  expect(exportContext({ ...run, kind: 'pairs' }).map(([name]) => name)).not.toContain(
    'subject_id',
  );
});
