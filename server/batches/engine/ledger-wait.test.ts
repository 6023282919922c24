import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createUpstream } from '../../secmaster/client';
import { newBatch } from '../../testing/batches';
import { makeIds, startFakeUpstream, type FakeUpstream } from '../../testing/fake-upstream';
import { openLedger, type Ledger } from '../ledger';
import type { WriteProblem } from '../storage-health';
import {
  batchHealthSource,
  ledgerPauseMs,
  ledgerWaitReason,
  waitForLedger,
  type LedgerTry,
  type LedgerWait,
} from './ledger-wait';
import { createRunner, onSqlite, type RunnerOptions } from './runner';

const BUSY: WriteProblem = { kind: 'busy', reason: 'write lock held elsewhere', transient: true };
const FULL: WriteProblem = { kind: 'full', reason: 'disk full', transient: true };

/** A waiter whose tries answer `tries` in turn (then pass), recording its pauses. */
function waiter(tries: LedgerTry[], o: Partial<LedgerWait> = {}) {
  const pauses: number[] = [];
  const blocked: [string, number][] = [];
  const retried: WriteProblem[] = [];
  const w: LedgerWait = {
    firstMs: 10,
    maxMs: 45,
    pauses: 0,
    sleep: (ms) => {
      pauses.push(ms);
      return Promise.resolve();
    },
    blocked: (p, n) => blocked.push([p.reason, n]),
    stopped: () => false,
    retry: (p) => {
      retried.push(p);
      return tries.length > 0 ? (tries.shift() ?? null) : null;
    },
    ...o,
  };
  return { w, pauses, blocked, retried };
}

describe('waitForLedger', () => {
  test('the pause doubles from the first up to the maximum, until a try passes', async () => {
    const { w, pauses, blocked } = waiter([BUSY, BUSY, BUSY, BUSY, null]);
    expect(await waitForLedger(BUSY, w)).toEqual({ passed: true, pauses: 5 });
    expect(pauses).toEqual([10, 20, 40, 45, 45]);
    expect(blocked).toEqual([0, 1, 2, 3, 4].map((n) => ['write lock held elsewhere', n]));
  });

  test('stops as soon as the ledger takes a write', async () => {
    const { w, pauses, retried } = waiter([null]);
    expect(await waitForLedger(FULL, w)).toEqual({ passed: true, pauses: 1 });
    expect(pauses).toEqual([10]);
    expect(retried).toEqual([FULL]);
  });

  test('each try is told the problem met last, and blocked reports it', async () => {
    const { w, retried, blocked } = waiter([FULL, null]);
    await waitForLedger(BUSY, w);
    expect(retried).toEqual([BUSY, FULL]);
    expect(blocked.map(([reason]) => reason)).toEqual(['write lock held elsewhere', 'disk full']);
  });

  test('a stop ends the wait after the pause, without another try', async () => {
    let stop = false;
    const { w, pauses, retried } = waiter([BUSY, BUSY, BUSY], {
      stopped: () => stop,
      sleep: (ms) => {
        pauses.push(ms);
        if (pauses.length === 2) stop = true;
        return Promise.resolve();
      },
    });
    expect(await waitForLedger(BUSY, w)).toEqual({ passed: false, pauses: 2 });
    expect(pauses).toEqual([10, 20]);
    expect(retried).toHaveLength(1);
  });

  test('a try that gives up ends the wait at once', async () => {
    const { w, pauses } = waiter(['give up']);
    expect(await waitForLedger(BUSY, w)).toEqual({ passed: false, pauses: 1 });
    expect(pauses).toEqual([10]);
  });

  test('a waiter that paused before goes on doubling from there', async () => {
    const { w, pauses } = waiter([BUSY, null], { pauses: 2 });
    expect(await waitForLedger(BUSY, w)).toEqual({ passed: true, pauses: 4 });
    expect(pauses).toEqual([40, 45]);
  });

  test('on real timers (faked): nothing is tried before the pause has passed', async () => {
    vi.useFakeTimers();
    try {
      const { w, retried } = waiter([BUSY, null], {
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      });
      const done = waitForLedger(BUSY, w);
      await vi.advanceTimersByTimeAsync(9);
      expect(retried).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(retried).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(19);
      expect(retried).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(await done).toEqual({ passed: true, pauses: 2 });
    } finally {
      vi.useRealTimers();
    }
  });
});

test('ledgerPauseMs, ledgerWaitReason and the health source', () => {
  expect([0, 1, 2, 3, 4].map((n) => ledgerPauseMs(500, 5_000, n))).toEqual([
    500, 1_000, 2_000, 4_000, 5_000,
  ]);
  expect(ledgerWaitReason('disk full')).toBe(
    'waiting: disk full; nothing is sent meanwhile; the batch continues by itself',
  );
  expect(batchHealthSource('b1')).toBe('batch b1');
});

describe('the runner waits for the ledger with it', () => {
  let dir: string;
  let ledger: Ledger;
  let fake: FakeUpstream;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-wait-'));
    ledger = openLedger(join(dir, 'ledger.sqlite'));
    fake = await startFakeUpstream();
  });

  afterEach(async () => {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
    await fake.close();
  });

  const busy = () => new Database.SqliteError('injected SQLITE_BUSY', 'SQLITE_BUSY');

  /** The ledger, with its first `claims` claims and `probes` small writes failing as busy. */
  function blocked(f: { claims?: number; probes?: number; recoveries?: number }): Ledger {
    const left = { claims: 0, probes: 0, recoveries: 0, ...f };
    return {
      ...ledger,
      claimPreRead(...args) {
        if (left.claims-- > 0) throw busy();
        return ledger.claimPreRead(...args);
      },
      noWait(write) {
        if (left.probes-- > 0) throw busy();
        return ledger.noWait(write);
      },
      recoverAfterCrash() {
        if (left.recoveries-- > 0) throw busy();
        return ledger.recoverAfterCrash();
      },
    };
  }

  function runner(l: Ledger, overrides: Partial<RunnerOptions>) {
    return createRunner({
      ...onSqlite(l),
      upstream: createUpstream({
        endpoint: fake.url,
        projectId: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
        timeoutMs: 2_000,
      }),
      concurrency: 1,
      backoffMs: () => 0,
      ledgerWaitMs: 10,
      ledgerWaitMaxMs: 40,
      ...overrides,
    });
  }

  function batch(n: number): string {
    return newBatch(ledger, { ids: makeIds(n), subject: 'c0ffee00-0000-4000-8000-000000000001' })
      .id;
  }

  test('a batch: pauses double up to the maximum, then it continues by itself', async () => {
    const pauses: number[] = [];
    const id = batch(3);
    // The claim fails; then the wait's first write (its reason) and three tries fail.
    const r = runner(blocked({ claims: 1, probes: 4 }), {
      sleep: (ms) => {
        pauses.push(ms);
        return Promise.resolve();
      },
    });
    await r.start(id);
    expect(pauses).toEqual([10, 20, 40, 40]);
    expect(r.stats().ledgerWaits).toBe(1);
    expect(ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 3 } });
    expect(ledger.health.problems()).toEqual([]);
  });

  test('a batch: stop() ends its wait (the pause is cut short); nothing is sent, the batch stays running', async () => {
    const pauses: number[] = [];
    const id = batch(3);
    const r = runner(blocked({ claims: 1, probes: 100 }), {
      sleep: (ms) => {
        pauses.push(ms);
        return new Promise<void>(() => undefined);
      },
    });
    const started = r.start(id);
    await expect.poll(() => pauses.length).toBe(1);
    await r.stop();
    await started;
    expect(pauses).toEqual([10]);
    expect(fake.writes()).toHaveLength(0);
    expect(ledger.getBatch(id)).toMatchObject({ state: 'running', counts: { pending: 3 } });
  });

  test('start-up recovery: the same doubling pauses, then the batch is resumed', async () => {
    const pauses: number[] = [];
    const id = batch(2);
    const r = runner(blocked({ recoveries: 3 }), {
      sleep: (ms) => {
        pauses.push(ms);
        return Promise.resolve();
      },
    });
    await r.resumeAll();
    expect(pauses).toEqual([10, 20, 40]);
    expect(ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { succeeded: 2 } });
    expect(ledger.health.problems()).toEqual([]);
  });

  test('start-up recovery: stop() ends the wait after the pause, without another try', async () => {
    let tries = 0;
    const l = blocked({ recoveries: 100 });
    const counted: Ledger = {
      ...l,
      recoverAfterCrash() {
        tries++;
        return l.recoverAfterCrash();
      },
    };
    const id = batch(2);
    const r: ReturnType<typeof runner> = runner(counted, {
      sleep: () => {
        void r.stop();
        return Promise.resolve();
      },
    });
    await r.resumeAll();
    expect(tries).toBe(1);
    expect(fake.writes()).toHaveLength(0);
    expect(ledger.getBatch(id)?.state).toBe('running');
    expect(ledger.health.problems()).toEqual([
      expect.stringContaining('another process holds a write lock on the ledger'),
    ]);
  });
});
