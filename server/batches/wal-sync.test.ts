/**
 * The WAL syncer (wal-sync.ts): one flush at a time, callers during a flush share the next one, a
 * failed flush is final, and the descriptor follows the -wal file when it is replaced.
 */
import { afterEach, expect, test } from 'vitest';
import {
  fstatSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalSyncError, walSyncer, type WalSyncer } from './wal-sync';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

function walFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ledger.sqlite-wal');
  writeFileSync(file, 'frames');
  return file;
}

function track(s: WalSyncer): WalSyncer {
  cleanups.push(() => s.close());
  return s;
}

/** A datasync whose flushes end when the test says: `flushes[i].done()` / `.fail(err)`. */
function heldDatasync() {
  const flushes: { fd: number; done: () => void; fail: (err: Error) => void }[] = [];
  const datasync = (fd: number) =>
    new Promise<void>((resolve, reject) => {
      flushes.push({ fd, done: resolve, fail: reject });
    });
  return { flushes, datasync };
}

/** Lets promise jobs and the syncer's follow-up steps run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function io(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), { code });
}

test('a sync starts a flush at once; callers during it share the next flush, which starts when it ends', async () => {
  const { flushes, datasync } = heldDatasync();
  const s = track(walSyncer(walFile(), { datasync }));
  const order: string[] = [];
  const first = s.sync().then(() => order.push('first'));
  expect(flushes).toHaveLength(1);
  // Asked while the first flush runs: it may have started before their writes, so it does not count.
  const later = [1, 2, 3].map((i) => s.sync().then(() => order.push(`later ${String(i)}`)));
  expect(flushes).toHaveLength(1);
  flushes[0]?.done();
  await first;
  await settle();
  expect(order).toEqual(['first']);
  // One flush for the three of them, started after the first one ended.
  expect(flushes).toHaveLength(2);
  flushes[1]?.done();
  await Promise.all(later);
  expect(order).toEqual(['first', 'later 1', 'later 2', 'later 3']);
  expect(s.flushes).toBe(2);
  // Nothing under way: the next caller starts a flush of its own at once.
  const again = s.sync();
  expect(flushes).toHaveLength(3);
  flushes[2]?.done();
  await again;
});

test('a failed flush fails its callers and those waiting for the next one, and every later sync, without flushing again', async () => {
  const { flushes, datasync } = heldDatasync();
  const file = walFile();
  const s = track(walSyncer(file, { datasync }));
  const first = s.sync();
  const waiting = s.sync();
  flushes[0]?.fail(io('EIO'));
  await expect(first).rejects.toBeInstanceOf(WalSyncError);
  await expect(waiting).rejects.toMatchObject({ code: 'EIO', file });
  expect(s.failed?.reason).toBe(
    `the ledger's write-ahead log (${file}) could not be flushed to disk (EIO): its latest writes may be lost; nothing more is recorded or sent until the server is restarted`,
  );
  // Final: a later flush that passed would prove nothing about the pages the kernel dropped.
  await expect(s.sync()).rejects.toMatchObject({ code: 'EIO' });
  expect(flushes).toHaveLength(1);
  expect(s.flushes).toBe(1);
});

test('the -wal file deleted and made again: the next flush is of the new file (inode compared before each flush)', async () => {
  const { flushes, datasync } = heldDatasync();
  const file = walFile();
  const s = track(walSyncer(file, { datasync }));
  const one = s.sync();
  const fd1 = flushes[0]?.fd ?? -1;
  expect(fstatSync(fd1).ino).toBe(statSync(file).ino);
  flushes[0]?.done();
  await one;
  // The last connection closed (checkpoint, delete) and another opened it again.
  unlinkSync(file);
  writeFileSync(`${file}.new`, 'new frames');
  renameSync(`${file}.new`, file);
  const two = s.sync();
  const fd2 = flushes[1]?.fd ?? -1;
  expect(fstatSync(fd2).ino).toBe(statSync(file).ino);
  expect(fstatSync(fd2).nlink).toBe(1);
  flushes[1]?.done();
  await two;
  // Same file again: same descriptor, not reopened.
  const three = s.sync();
  expect(flushes[2]?.fd).toBe(fd2);
  flushes[2]?.done();
  await three;
});

test('no -wal file to flush: the sync fails (ENOENT), for good', async () => {
  const { flushes, datasync } = heldDatasync();
  const file = walFile();
  unlinkSync(file);
  const s = track(walSyncer(file, { datasync }));
  await expect(s.sync()).rejects.toMatchObject({ code: 'ENOENT' });
  expect(flushes).toHaveLength(0);
  writeFileSync(file, 'frames');
  await expect(s.sync()).rejects.toMatchObject({ code: 'ENOENT' });
});

test('the real fdatasync, on the thread pool: syncs resolve, grouped', async () => {
  const s = track(walSyncer(walFile()));
  await Promise.all([s.sync(), s.sync(), s.sync()]);
  expect(s.flushes).toBeGreaterThanOrEqual(1);
  expect(s.flushes).toBeLessThanOrEqual(2);
  expect(s.failed).toBeNull();
});

test('closed: callers waiting for the next flush are refused; the descriptor is closed once the flush under way ends', async () => {
  const { flushes, datasync } = heldDatasync();
  const s = walSyncer(walFile(), { datasync });
  const under = s.sync();
  const next = s.sync();
  s.close();
  // Still in use by the flush under way.
  const fd = flushes[0]?.fd ?? -1;
  expect(() => fstatSync(fd)).not.toThrow();
  flushes[0]?.done();
  await under;
  await expect(next).rejects.toMatchObject({ code: 'CLOSED' });
  expect(() => fstatSync(fd)).toThrow();
  await expect(s.sync()).rejects.toMatchObject({ code: 'CLOSED' });
});
