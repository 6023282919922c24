import { describe, expect, test } from 'vitest';
import { emptyItemCounts } from '../../api/schemas';
import { estimateProgress, paceText } from './progress';

const zero = emptyItemCounts();

test('done counts every final state', () => {
  const e = estimateProgress(
    { ...zero, pending: 10, succeeded: 5, failed: 2, unknown: 1, invalid: 1, skipped: 1 },
    20,
    1000,
  );
  expect(e.done).toBe(10);
  expect(e.percent).toBe(50);
});

test('rate counts sent IDs only and time left follows from it', () => {
  const e = estimateProgress(
    { ...zero, pending: 100, in_flight: 0, succeeded: 40, invalid: 60 },
    200,
    4000,
  );
  expect(e.rate).toBe(10);
  expect(e.secondsLeft).toBe(10);
});

test('no estimate before anything was sent or without elapsed time', () => {
  expect(estimateProgress({ ...zero, pending: 5 }, 5, 1000).rate).toBeNull();
  expect(estimateProgress({ ...zero, succeeded: 5 }, 5, 0).secondsLeft).toBeNull();
});

test('an empty batch counts as complete', () => {
  expect(estimateProgress(zero, 0, 1000).percent).toBe(100);
});

test('"No change" IDs are done, and count in the rate (SecMaster read them)', () => {
  const e = estimateProgress({ ...zero, pending: 10, succeeded: 4, unchanged: 6 }, 20, 2000);
  expect(e.done).toBe(10);
  expect(e.percent).toBe(50);
  expect(e.rate).toBe(5);
  expect(e.secondsLeft).toBe(2);
});

describe('paceText: the rate in use against the limit learned', () => {
  test('"18.9 of 20 calls/s", a rate alone before a limit is known, nothing when not paced', () => {
    expect(paceText({ calls_per_s: 18.94, limit: 20 })).toBe(
      'SecMaster writes, all batches: 18.9 of 20 calls/s',
    );
    expect(paceText({ calls_per_s: 4, limit: 4.75 })).toBe(
      'SecMaster writes, all batches: 4 of 4.8 calls/s',
    );
    expect(paceText({ calls_per_s: 4.2, limit: null })).toBe(
      'SecMaster writes, all batches: 4.2 calls/s',
    );
    expect(paceText(null)).toBeNull();
    expect(paceText(undefined)).toBeNull();
  });
});
