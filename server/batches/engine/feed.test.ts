import { describe, expect, test } from 'vitest';
import { feedStep, type FeedState } from './feed';

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
