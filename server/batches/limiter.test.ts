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
