/** The inspect API (inspect.ts) and opening a store file (db.ts). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openEmulatorDb } from './db';
import { DamagedStoreError } from './errors';
import { isLinked, linksInFile, linksOf } from './inspect';
import { SEED_WORKSPACES, seedEmulator, seedObjectIds } from './seed';
import { createStore } from './store';

const SIZES = { alerts: 30, incidents: 4, indicators: 3 };
const WS = SEED_WORKSPACES[0].id;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'emu-inspect-'));
  dirs.push(dir);
  return dir;
}

describe('linksOf / isLinked', () => {
  test('read what the store links, from either end, in ID order', () => {
    const db = openEmulatorDb(':memory:');
    seedEmulator(db, SIZES);
    const [incident = ''] = seedObjectIds(0, 'incidents', 1);
    const subject = { workspaceId: WS, dataclass: 'incidents', objectId: incident } as const;
    const seeded = linksOf(db, { ...subject, related: 'alerts' });
    const alerts = seedObjectIds(0, 'alerts', SIZES.alerts).filter((a) => !seeded.includes(a));
    const added = alerts.slice(0, 3);
    const store = createStore(db);
    for (const bId of added) {
      store.link(
        { workspaceId: WS, aClass: 'incidents', aId: incident, bClass: 'alerts', bId },
        '2026-11-01T00:00:00.000Z',
      );
    }
    expect(linksOf(db, { ...subject, related: 'alerts' })).toEqual([...seeded, ...added].sort());
    const link = {
      workspaceId: WS,
      aClass: 'alerts',
      aId: added[0] ?? '',
      bClass: 'incidents',
      bId: incident,
    } as const;
    expect(isLinked(db, link)).toBe(true);
    expect(isLinked(db, { ...link, aId: alerts[5] ?? '' })).toBe(false);
    expect(isLinked(db, { ...link, workspaceId: SEED_WORKSPACES[1].id })).toBe(false);
    expect(linksOf(db, { ...subject, objectId: 'no-such-incident', related: 'alerts' })).toEqual(
      [],
    );
    db.close();
  });

  test('linksInFile reads a store file read-only, leaving it as it was', () => {
    const file = join(tempDir(), 'emulator.sqlite');
    const db = openEmulatorDb(file);
    seedEmulator(db, SIZES);
    const [incident = ''] = seedObjectIds(0, 'incidents', 1);
    const subject = {
      workspaceId: WS,
      dataclass: 'incidents',
      objectId: incident,
      related: 'alerts',
    } as const;
    const expected = linksOf(db, subject);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = readFileSync(file);
    expect(linksInFile(file, subject)).toEqual(expected);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test('linksInFile never creates a missing file', () => {
    const file = join(tempDir(), 'missing.sqlite');
    expect(() =>
      linksInFile(file, {
        workspaceId: WS,
        dataclass: 'incidents',
        objectId: 'x',
        related: 'alerts',
      }),
    ).toThrow();
    expect(() => readFileSync(file)).toThrow();
  });
});

test('a damaged store file is a DamagedStoreError naming the file and the way on', () => {
  const file = join(tempDir(), 'junk.sqlite');
  writeFileSync(file, 'not a database, '.repeat(500));
  expect(() => openEmulatorDb(file)).toThrow(DamagedStoreError);
  expect(() => openEmulatorDb(file)).toThrow(`${file} is damaged: file is not a database`);
  expect(() => openEmulatorDb(file)).toThrow('the next start seeds a new store');
  expect(() => openEmulatorDb(file, { readonly: true })).toThrow(DamagedStoreError);
});
