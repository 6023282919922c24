import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Upstream } from '../../secmaster/client';
import { makeIds } from '../../testing/fake-upstream';
import { newBatch } from '../../testing/batches';
import { openLedger, type Ledger } from '../ledger';
import { feedStep, type FeedState } from './feed';
import { createRunner, onSqlite } from './runner';

function state(o: Partial<FeedState>): FeedState {
  return {
    ready: 0,
    settled: 0,
    chunkSize: 100,
    exhausted: false,
    reading: 0,
    stale: () => false,
    ...o,
  };
}

describe('feedStep: what a worker does next', () => {
  test('a full call is committed; less than a call reads more', () => {
    expect(feedStep(state({ ready: 100 }))).toBe('commit');
    expect(feedStep(state({ ready: 140 }))).toBe('commit');
    expect(feedStep(state({ ready: 99 }))).toBe('read');
    expect(feedStep(state({}))).toBe('read');
  });

  test('IDs waiting too long since their read go out in a partial call', () => {
    expect(feedStep(state({ ready: 1, stale: () => true }))).toBe('commit');
    // Nothing ready: nothing to send, however old the last read.
    expect(feedStep(state({ ready: 0, settled: 5, stale: () => true }))).toBe('read');
  });

  test('settled rows alone wait for more reads until every row has been read', () => {
    expect(feedStep(state({ settled: 99 }))).toBe('read');
    expect(feedStep(state({ settled: 3, exhausted: true }))).toBe('commit');
  });

  test('every row read: the rest is committed; with nothing left, the worker ends', () => {
    expect(feedStep(state({ ready: 7, exhausted: true }))).toBe('commit');
    expect(feedStep(state({ exhausted: true }))).toBe('end');
  });

  test('every row read but a read still under way elsewhere: no half-empty call, that worker fills it', () => {
    expect(feedStep(state({ ready: 7, exhausted: true, reading: 1 }))).toBe('end');
    expect(feedStep(state({ ready: 7, settled: 4, exhausted: true, reading: 2 }))).toBe('end');
    // A full call still goes.
    expect(feedStep(state({ ready: 100, exhausted: true, reading: 1 }))).toBe('commit');
  });

  test('the age of the ready IDs is asked once per step, and not when the step ends early', () => {
    let asked = 0;
    const stale = () => {
      asked++;
      return false;
    };
    feedStep(state({ ready: 100, stale }));
    expect(asked).toBe(1);
    feedStep(state({ ready: 1, exhausted: true, reading: 1, stale }));
    expect(asked).toBe(1);
  });
});

describe('the feed inside a runner', () => {
  let dir: string;
  let ledger: Ledger;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'feed-'));
    ledger = openLedger(join(dir, 'ledger.sqlite'));
  });
  afterEach(() => {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('IDs read before a commit of "already so" rows still go out once they have waited MAX_READY_AGE_MS', async () => {
    // 100 IDs a read: the first read finds 60 already linked (40 to send), the second 70 (30 to
    // send), so 130 rows are recorded "no change" while 70 wait. Each read takes 1 s of the
    // runner's clock: after the second read the 70 have waited MAX_READY_AGE_MS.
    const ids = makeIds(400);
    const linked = new Set([...ids.slice(0, 60), ...ids.slice(100, 170)]);
    let clock = 0;
    const writes: string[][] = [];
    const upstream: Upstream = {
      call(operation) {
        if (operation.op === 'relationSearch') {
          clock += 1_000;
          const asked = JSON.stringify(operation.body);
          const data = [...linked]
            .filter((id) => asked.includes(id))
            .map((id) => ({ id, data_object: { id } }));
          return Promise.resolve({
            status: 200,
            requestId: null,
            body: { data },
            retryAfter: null,
          });
        }
        if (operation.op === 'associate') {
          writes.push([...operation.ids]);
          const body = { code: '00000000', data: { success_ids: operation.ids, error_ids: [] } };
          return Promise.resolve({ status: 200, requestId: null, body, retryAfter: null });
        }
        throw new Error(`unexpected ${operation.op}`);
      },
    };
    const runner = createRunner({
      ...onSqlite(ledger),
      upstream,
      concurrency: 1,
      backoffMs: () => 0,
      now: () => clock,
    });
    const batch = newBatch(ledger, { ids, subject: 'c0ffee00-0000-4000-8000-000000000001' });
    await runner.start(batch.id);
    await runner.whenIdle(batch.id);
    // The 70 went out together as soon as they were stale, not held back for a full call.
    expect(writes[0]).toEqual([...ids.slice(60, 100), ...ids.slice(170, 200)]);
    expect(ledger.getBatch(batch.id)?.counts).toMatchObject({ succeeded: 270, unchanged: 130 });
  });
});
