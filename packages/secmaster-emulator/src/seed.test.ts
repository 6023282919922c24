import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { Database } from 'better-sqlite3';
import { isUuid, relationWriteResponseSchema, searchResponseSchema } from './answers';
import { EmulatorConfigError } from './errors';
import { compileSearch, searchBodySchema } from './search';
import { openEmulatorDb } from './db';
import {
  DEFAULT_SEED_SIZES,
  SEED_WORKSPACES,
  parseSeedSizes,
  seedEmulator,
  seedObjectIds,
} from './seed';
import { makeTestEmulator } from './testing';

const idsSchema = z.array(z.object({ id: z.string() }));
const countsSchema = z.array(
  z.object({ workspace_id: z.string(), dataclass_type: z.string(), n: z.number() }),
);
const nSchema = z.object({ n: z.number() });

function allIds(db: Database): string[] {
  return idsSchema
    .parse(db.prepare('SELECT id FROM objects ORDER BY rowid').all())
    .map((r) => r.id);
}

function counts(db: Database) {
  return countsSchema.parse(
    db
      .prepare(
        'SELECT workspace_id, dataclass_type, count(*) AS n FROM objects GROUP BY 1, 2 ORDER BY 1, 2',
      )
      .all(),
  );
}

function linkDump(db: Database): unknown[] {
  return db
    .prepare('SELECT * FROM links ORDER BY workspace_id, a_class, a_id, b_class, b_id')
    .all();
}

const tmpDirs: string[] = [];
afterEach(() => {
  for (const dir of tmpDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('deterministic seed', () => {
  test('two fresh databases hold the same IDs, data and links', () => {
    const a = openEmulatorDb(':memory:');
    const b = openEmulatorDb(':memory:');
    expect(seedEmulator(a)).toEqual({ seeded: true });
    expect(seedEmulator(b)).toEqual({ seeded: true });
    expect(allIds(a)).toEqual(allIds(b));
    expect(a.prepare('SELECT * FROM objects ORDER BY id LIMIT 50').all()).toEqual(
      b.prepare('SELECT * FROM objects ORDER BY id LIMIT 50').all(),
    );
    expect(linkDump(a)).toEqual(linkDump(b));
  });

  test('default sizes per workspace; lower-case UUID v4 IDs; seedObjectIds names them', () => {
    const db = openEmulatorDb(':memory:');
    seedEmulator(db);
    const expected = SEED_WORKSPACES.flatMap((w) =>
      (['alerts', 'incidents', 'indicators'] as const).map((c) => ({
        workspace_id: w.id,
        dataclass_type: c,
        n: DEFAULT_SEED_SIZES[c],
      })),
    ).sort((x, y) =>
      (x.workspace_id + x.dataclass_type).localeCompare(y.workspace_id + y.dataclass_type),
    );
    expect(counts(db)).toEqual(expected);
    const ids = allIds(db);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => isUuid(id) && id === id.toLowerCase() && id[14] === '4')).toBe(true);
    const firstAlerts = idsSchema
      .parse(
        db
          .prepare(
            "SELECT id FROM objects WHERE workspace_id = ? AND dataclass_type = 'alerts' ORDER BY rowid LIMIT 3",
          )
          .all(SEED_WORKSPACES[1].id),
      )
      .map((r) => r.id);
    expect(firstAlerts).toEqual(seedObjectIds(1, 'alerts', 3));
    // Pinned: these IDs are the same on every machine.
    expect(seedObjectIds(0, 'alerts', 1)).toEqual(['9e47d926-2da2-4414-b889-e44e26faec69']);
    expect(nSchema.parse(db.prepare('SELECT count(*) AS n FROM links').get()).n).toBeGreaterThan(0);
  });

  test('EMULATOR_SEED sizes apply per workspace and keep the first IDs stable', () => {
    const sizes = parseSeedSizes({ alerts: 3000, incidents: 7 });
    expect(sizes).toEqual({
      alerts: 3000,
      incidents: 7,
      indicators: DEFAULT_SEED_SIZES.indicators,
    });
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, sizes);
    for (const w of SEED_WORKSPACES) {
      expect(
        counts(db)
          .filter((c) => c.workspace_id === w.id)
          .map((c) => c.n),
      ).toEqual([3000, 7, 500]);
    }
    const ids = new Set(allIds(db));
    expect(seedObjectIds(0, 'alerts', DEFAULT_SEED_SIZES.alerts).every((id) => ids.has(id))).toBe(
      true,
    );
  });

  test('EMULATOR_SEED with a bad value is an EmulatorConfigError naming it', () => {
    expect(parseSeedSizes(undefined)).toEqual(DEFAULT_SEED_SIZES);
    expect(() => parseSeedSizes({ alerts: -1 })).toThrow(EmulatorConfigError);
    expect(() => parseSeedSizes({ alerts: 1.5 })).toThrow(/EMULATOR_SEED\.alerts/);
    expect(() => parseSeedSizes({ alert: 10 })).toThrow(EmulatorConfigError);
    expect(() => parseSeedSizes({ indicators: '10' })).toThrow(/EMULATOR_SEED\.indicators/);
  });

  test('120,000 alerts per workspace seed in one go', () => {
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, { alerts: 120_000, incidents: 200, indicators: 500 });
    expect(
      counts(db)
        .filter((c) => c.dataclass_type === 'alerts')
        .map((c) => c.n),
    ).toEqual([120_000, 120_000]);
    // How long it takes is a benchmark's business (docs/performance.md), not a test's.
  }, 120_000);
});

describe('persistence', () => {
  test('a file database keeps its data and links across reopen, without reseeding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-'));
    tmpDirs.push(dir);
    const file = join(dir, 'emulator.sqlite');
    const [incident] = seedObjectIds(0, 'incidents', 1);
    const alerts = seedObjectIds(0, 'alerts', 50);

    const first = makeTestEmulator({
      db: openEmulatorDb(file),
      sizes: { alerts: 50, incidents: 3, indicators: 3 },
    });
    const path = first.ws(SEED_WORKSPACES[0].id, `/soc/incidents/${incident}/alerts`);
    const linked = await first.call('POST', path, { ids: alerts.slice(0, 10) });
    expect(relationWriteResponseSchema.parse(linked.body).data?.success_ids).toHaveLength(10);
    await first.call('DELETE', path, { ids: [alerts[0]] });
    const before = searchResponseSchema.parse(
      (await first.call('POST', `${path}/search`, { limit: 1000 })).body,
    );
    const idsBefore = allIds(first.db);
    first.db.close();

    const db = openEmulatorDb(file);
    expect(seedEmulator(db, { alerts: 99, incidents: 99, indicators: 99 })).toEqual({
      seeded: false,
    });
    const second = makeTestEmulator({ db });
    expect(allIds(second.db)).toEqual(idsBefore);
    const after = searchResponseSchema.parse(
      (await second.call('POST', `${path}/search`, { limit: 1000 })).body,
    );
    expect(after.data.map((d) => d.id)).toEqual(before.data.map((d) => d.id));
    expect(after.data.map((d) => d.id)).toEqual(expect.arrayContaining(alerts.slice(1, 10)));
    expect(after.data.map((d) => d.id)).not.toContain(alerts[0]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});

describe('query plans', () => {
  test('an id-in search reads the IDs by primary key, not the whole class (statistics kept)', () => {
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, { alerts: 3000, incidents: 10, indicators: 10 });
    const ids = seedObjectIds(0, 'alerts', 100);
    const plan = z
      .array(z.object({ detail: z.string() }))
      .parse(
        db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT count(*) FROM objects o
             WHERE o.workspace_id = ? AND o.dataclass_type = ? AND (o.id IN (${ids.map(() => '?').join(', ')}))`,
          )
          .all(SEED_WORKSPACES[0].id, 'alerts', ...ids),
      )
      .map((r) => r.detail)
      .join('; ');
    expect(plan).toContain('sqlite_autoindex_objects_1 (id=?)');
    expect(plan).not.toContain('objects_by_');
    db.close();
  });

  test('a title contains search and its count read objects_by_time only, in order, unsorted', () => {
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, { alerts: 3000, incidents: 10, indicators: 10 });
    const q = compileSearch(
      searchBodySchema.parse({
        limit: 10,
        condition: { conditions: [{ name: 't', data: ['title', 'contains', 'no such title'] }] },
      }),
    );
    const filter = `FROM objects o WHERE o.workspace_id = ? AND o.dataclass_type = ? AND (${q.where})`;
    const planOf = (sql: string, ...extra: number[]) =>
      z
        .array(z.object({ detail: z.string() }))
        .parse(
          db
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .all(SEED_WORKSPACES[0].id, 'alerts', ...q.params, ...extra),
        )
        .map((r) => r.detail)
        .join('; ');
    expect(planOf(`SELECT count(*) ${filter}`)).toMatch(
      /USING COVERING INDEX objects_by_(time|title)/,
    );
    const rows = planOf(`SELECT o.data ${filter} ORDER BY ${q.orderBy} LIMIT ? OFFSET ?`, 10, 0);
    expect(rows).toContain('USING INDEX objects_by_time');
    expect(rows).not.toContain('TEMP B-TREE');
    db.close();
  });

  test('a file of an earlier version gets objects_by_time (and statistics) when it opens', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-upgrade-'));
    const file = join(dir, 'emulator.sqlite');
    try {
      const old = openEmulatorDb(file);
      seedEmulator(old, { alerts: 50, incidents: 5, indicators: 5 });
      old.exec(`DROP INDEX objects_by_time;
        CREATE INDEX objects_by_create ON objects (workspace_id, dataclass_type, create_time);
        DROP TABLE sqlite_stat1;`);
      old.close();
      const db = openEmulatorDb(file);
      const indexes = z
        .array(z.object({ name: z.string() }))
        .parse(
          db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'objects'")
            .all(),
        )
        .map((r) => r.name);
      expect(indexes).toContain('objects_by_time');
      expect(indexes).not.toContain('objects_by_create');
      expect(
        db.prepare("SELECT 1 FROM sqlite_stat1 WHERE idx = 'objects_by_time'").get(),
      ).toBeDefined();
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file seeded without statistics gets them on the next start', () => {
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, { alerts: 50, incidents: 5, indicators: 5 });
    db.exec('DROP TABLE sqlite_stat1');
    expect(seedEmulator(db).seeded).toBe(false);
    expect(
      db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        .get(),
    ).toBeDefined();
    db.close();
  });
});
