import { expect, test } from 'vitest';
import { AimdLimiter, LimiterPool } from './limiter';

test('whenFree tells of a free slot without taking it: a waiting acquire still gets the slot', async () => {
  const l = new AimdLimiter(1, 10);
  await l.acquire();
  expect(l.tryAcquire()).toBe(false);
  const told = l.whenFree();
  let got = false;
  const waiting = l.acquire().then(() => {
    got = true;
  });
  l.release();
  await told;
  // The one told takes nothing (it gave up, say): the queued acquire has the slot.
  await waiting;
  expect(got).toBe(true);
  expect(l.active).toBe(1);
});

test('a window per pacer, each at most the ceiling; calls not paced share one', async () => {
  const pool = new LimiterPool(2, 10);
  const a = {};
  const b = {};
  expect(pool.of(a)).toBe(pool.of(a));
  expect(pool.of(a)).not.toBe(pool.of(b));
  expect(pool.of(null)).toBe(pool.of(undefined));
  await pool.of(a).acquire();
  await pool.of(a).acquire();
  expect(pool.of(a).tryAcquire()).toBe(false);
  // A full window of one credential leaves the other's free.
  expect(pool.of(b).tryAcquire()).toBe(true);
  pool.of(b).follow(100);
  expect(pool.of(b).limit).toBe(2);
  expect(pool.peak).toBe(2);
});

test('an aborted acquire takes nothing and leaves nothing behind: the slot goes to the next caller', async () => {
  const l = new AimdLimiter(1, 10);
  await l.acquire();
  const ac = new AbortController();
  const aborted = l.acquire(ac.signal);
  let next = false;
  const waiting = l.acquire().then(() => {
    next = true;
  });
  ac.abort();
  expect(await aborted).toBe(false);
  expect(l.queued).toBe(1);
  l.release();
  await waiting;
  expect(next).toBe(true);
  expect(l.active).toBe(1);
  // Woken for a slot and aborted before taking it: the slot is handed on, not lost.
  const late = new AbortController();
  const woken = l.acquire(late.signal);
  let third = false;
  const after = l.acquire().then(() => {
    third = true;
  });
  l.release();
  late.abort();
  expect(await woken).toBe(false);
  await after;
  expect(third).toBe(true);
  expect(l.active).toBe(1);
  expect(await l.acquire(AbortSignal.abort())).toBe(false);
});

test('an aborted whenFree ends at once and stays no longer among the callers told', async () => {
  const l = new AimdLimiter(1, 10);
  await l.acquire();
  const ac = new AbortController();
  const told = l.whenFree(ac.signal);
  expect(l.watching).toBe(1);
  ac.abort();
  await told;
  expect(l.watching).toBe(0);
  expect(l.active).toBe(1);
});
