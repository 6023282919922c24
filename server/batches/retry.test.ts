import { expect, test } from 'vitest';
import { AimdLimiter, KeyedQueue } from './limiter';
import { DEFAULT_RETRY_POLICY as P, RetryBudget, backoffDelay, parseRetryAfter } from './retry';

test('B2 defaults', () => {
  expect(P).toMatchObject({
    throttledAttempts: 6,
    transientAttempts: 4,
    budgetTokens: 500,
    retryCost: 5,
    timeoutRetryCost: 10,
    successRefund: 1,
    aimdSuccesses: 20,
  });
});

test('transient backoff: full jitter, capped at 30 s', () => {
  expect(backoffDelay(P, 'transient', 0, () => 0.999)).toBe(499);
  expect(backoffDelay(P, 'transient', 3, () => 0.5)).toBe(2_000);
  expect(backoffDelay(P, 'transient', 20, () => 0.999)).toBe(29_970);
  expect(backoffDelay(P, 'transient', 5, () => 0)).toBe(0);
});

test('throttled backoff: 2 s floor plus jitter, Retry-After as a floor', () => {
  expect(backoffDelay(P, 'throttled', 0, () => 0)).toBe(2_000);
  expect(backoffDelay(P, 'throttled', 2, () => 0.5)).toBe(4_000);
  expect(backoffDelay(P, 'throttled', 30, () => 0.999)).toBe(2_000 + 29_970);
  expect(backoffDelay(P, 'throttled', 0, () => 0, 9_000)).toBe(9_000);
  expect(backoffDelay(P, 'throttled', 0, () => 0, 10_000_000)).toBe(P.maxRetryAfterMs);
});

test('Retry-After: seconds or an HTTP date', () => {
  expect(parseRetryAfter('3', 0)).toBe(3_000);
  expect(parseRetryAfter(null, 0)).toBeNull();
  expect(parseRetryAfter('soon', 0)).toBeNull();
  const now = Date.parse('2026-11-22T10:00:00Z');
  expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5_000);
});

test('retry budget: retry −5, timeout retry −10, success +1 up to the cap; empty → refused', () => {
  const b = new RetryBudget({ ...P, budgetTokens: 20 });
  expect(b.tryAcquire(true)).toBe(true);
  expect(b.available).toBe(10);
  expect(b.tryAcquire(false)).toBe(true);
  expect(b.tryAcquire(false)).toBe(true);
  expect(b.tryAcquire(false)).toBe(false);
  expect(b.available).toBe(0);
  for (let i = 0; i < 30; i++) b.onSuccess();
  expect(b.available).toBe(20);
});

test('AIMD: halve on throttling (min 1), +1 after 20 straight successes (max configured)', async () => {
  const l = new AimdLimiter(4, 20);
  l.onThrottle();
  expect(l.limit).toBe(2);
  l.onThrottle();
  l.onThrottle();
  expect(l.limit).toBe(1);
  for (let i = 0; i < 19; i++) l.onSuccess();
  expect(l.limit).toBe(1);
  l.onSuccess();
  expect(l.limit).toBe(2);
  for (let i = 0; i < 200; i++) l.onSuccess();
  expect(l.limit).toBe(4);
  // The window bounds acquisitions.
  await l.acquire();
  await l.acquire();
  await l.acquire();
  await l.acquire();
  let fifth = false;
  const p = l.acquire().then(() => {
    fifth = true;
  });
  await Promise.resolve();
  expect(fifth).toBe(false);
  l.release();
  await p;
  expect(fifth).toBe(true);
  expect(l.peak).toBe(4);
});

test('keyed queue: one holder per key, in arrival order; other keys independent', async () => {
  const q = new KeyedQueue();
  const order: string[] = [];
  const r1 = await q.acquire('s');
  const p2 = q.acquire('s').then((r) => {
    order.push('second');
    return r;
  });
  const other = await q.acquire('t');
  order.push('other');
  other();
  expect(order).toEqual(['other']);
  r1();
  (await p2)();
  expect(order).toEqual(['other', 'second']);
});
