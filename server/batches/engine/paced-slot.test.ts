/**
 * paced-slot.ts in the runner, in virtual time: a worker that has its pacer's permit but finds its
 * credential's window full gives the permit back and waits for a slot (`whenFree`); a pause, a
 * cancel or the runner's stop ends that wait at once, holding neither slot nor permit.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Upstream, UpstreamResponse } from '../../secmaster/client';
import { FakeClock } from '../../secmaster/fake-clock';
import type { UpstreamOperation } from '../../secmaster/operations';
import { pacedUpstream } from '../../secmaster/paced';
import { Pacer } from '../../secmaster/pacer';
import { makeIds } from '../../testing/fake-upstream';
import { newBatch } from '../../testing/batches';
import { openLedger, type Ledger } from '../ledger';
import { createRunner, onSqlite } from './runner';

let dir: string;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-'));
  // Virtual time: the ledger's log flush (real I/O on the thread pool) is instant too.
  ledger = openLedger(join(dir, 'ledger.sqlite'), { datasync: () => Promise.resolve() });
});

afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * SecMaster in memory: every call answers after `latencyMs`; writes beyond `writesPerMinute` in
 * any minute are throttled with the limit stated (the pacer then spaces writes a minute apart).
 */
function gateway(clock: FakeClock, o: { latencyMs: number; writesPerMinute: number }) {
  const linked = new Set<string>();
  const admitted: number[] = [];
  const writes: { at: number; ok: boolean }[] = [];
  const upstream: Upstream = {
    async call(op: UpstreamOperation): Promise<UpstreamResponse> {
      const at = clock.now();
      await clock.sleep(o.latencyMs);
      if (op.op !== 'associate' && op.op !== 'cancel') {
        const data = [...linked].map((id) => ({ id, data_object: { id } }));
        return { status: 200, requestId: null, body: { code: '00000000', total: 0, data } };
      }
      while (admitted.length > 0 && (admitted[0] ?? 0) <= at - 60_000) admitted.shift();
      if (admitted.length >= o.writesPerMinute) {
        writes.push({ at, ok: false });
        return {
          status: 429,
          requestId: null,
          body: {
            error_code: 'APIG.0308',
            error_msg: `The throttling threshold has been reached: policy user over ratelimit,limit:${o.writesPerMinute},time:1 minute`,
          },
        };
      }
      admitted.push(at);
      writes.push({ at, ok: true });
      for (const id of op.ids) linked.add(id);
      return {
        status: 200,
        requestId: null,
        body: { code: '00000000', data: { success_ids: op.ids, error_ids: [] } },
      };
    },
  };
  return { upstream, writes, linked };
}

/**
 * One credential (one pacer, one window of 1 slot) used by two batches: A's second write is
 * throttled (1 write a minute) and its retry waits about a minute for the pacer, its slot given
 * back; meanwhile B's pre-read, whose answer takes 10 minutes, takes the slot. When A's permit
 * comes, the window is full: A gives the permit back and waits for the slot.
 */
async function aWaitingForTheSlot() {
  const clock = new FakeClock();
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
  const gwA = gateway(clock, { latencyMs: 10, writesPerMinute: 1 });
  const gwB = gateway(clock, { latencyMs: 600_000, writesPerMinute: 1 });
  const a = newBatch(ledger, {
    ids: makeIds(300),
    subject: 'c0ffee00-0000-4000-8000-00000000000a',
    user: 'same',
  });
  const b = newBatch(ledger, {
    ids: makeIds(100, 'b'),
    subject: 'c0ffee00-0000-4000-8000-00000000000b',
    user: 'same',
  });
  const upA = pacedUpstream(gwA.upstream, pacer);
  const upB = pacedUpstream(gwB.upstream, pacer);
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: (batchId) => (batchId === a.id ? upA : upB),
    concurrency: 1,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  });
  const doneA = runner.start(a.id);
  let aEnded: number | null = null;
  void doneA.then(() => {
    aEnded = clock.now();
  });
  await clock.run(1_000);
  // A's first write passed, its second was throttled: its retry waits for the pacer.
  expect(gwA.writes.map((w) => w.ok)).toEqual([true, false]);
  const doneB = runner.start(b.id);
  // Past the minute: A's permit came, but B's read holds the window's one slot.
  await clock.run(70_000);
  expect(gwA.writes).toHaveLength(2);
  expect(aEnded).toBeNull();
  expect(pacer.snapshot('write').inFlight).toBe(0);
  return {
    clock,
    pacer,
    runner,
    a,
    b,
    gwA,
    gwB,
    doneA,
    doneB,
    aEnded: () => aEnded,
  };
}

test.each(['pause', 'cancel', 'stop'] as const)(
  '%s while a worker waits for a slot after its permit came: the wait ends at once, holding neither',
  async (how) => {
    const s = await aWaitingForTheSlot();
    const at = s.clock.now();
    const stopped =
      how === 'pause'
        ? s.runner.pause(s.a.id)
        : how === 'cancel'
          ? s.runner.cancel(s.a.id)
          : s.runner.stop();
    if (how !== 'stop') expect(await stopped).toBe(true);
    // The clock stands still (B's read is 9 minutes from its answer): only the stop can end A.
    await s.clock.run(at);
    expect(s.aEnded()).toBe(at);
    expect(s.gwA.writes).toHaveLength(2);
    expect(s.pacer.snapshot('write').inFlight).toBe(0);
    expect(ledger.getBatch(s.a.id)?.counts).toMatchObject({
      in_flight: 0,
      succeeded: 100,
      // Cancelled: the IDs not sent are skipped.
      ...(how === 'cancel' ? { pending: 0 } : { pending: 200 }),
    });
    await s.clock.runUntil(Promise.all([s.doneB, stopped instanceof Promise ? stopped : null]));
    if (how === 'stop') return;
    // B, then A resumed, finish in the one slot: none was kept by the wait.
    expect(ledger.getBatch(s.b.id)?.counts).toMatchObject({ succeeded: 100, failed: 0 });
    if (how === 'cancel') return;
    expect(await s.runner.resume(s.a.id)).toBe(true);
    await s.clock.runUntil(s.runner.whenIdle(s.a.id));
    expect(ledger.getBatch(s.a.id)).toMatchObject({
      state: 'done',
      counts: { succeeded: 300, failed: 0 },
    });
  },
);

test.each(['pause', 'cancel'] as const)(
  '%s while a worker waits for a slot of a full window (calls not paced): the wait ends at once',
  async (how) => {
    const clock = new FakeClock();
    // No pacer: both batches share the window of calls not paced (1 slot); B's read holds it for
    // 10 minutes.
    const gwA = gateway(clock, { latencyMs: 10, writesPerMinute: 100 });
    const gwB = gateway(clock, { latencyMs: 600_000, writesPerMinute: 100 });
    const a = newBatch(ledger, {
      ids: makeIds(300),
      subject: 'c0ffee00-0000-4000-8000-00000000000a',
    });
    const b = newBatch(ledger, {
      ids: makeIds(100, 'b'),
      subject: 'c0ffee00-0000-4000-8000-00000000000b',
    });
    const runner = createRunner({
      ...onSqlite(ledger),
      upstream: (batchId) => (batchId === a.id ? gwA.upstream : gwB.upstream),
      concurrency: 1,
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
    });
    const doneB = runner.start(b.id);
    await clock.run(1_000);
    const doneA = runner.start(a.id);
    let aEnded: number | null = null;
    void doneA.then(() => {
      aEnded = clock.now();
    });
    await clock.run(2_000);
    // A's worker waits for the slot B's read holds: A has sent nothing.
    expect(gwA.writes).toEqual([]);
    expect(aEnded).toBeNull();
    expect(await (how === 'pause' ? runner.pause(a.id) : runner.cancel(a.id))).toBe(true);
    await clock.run(2_000);
    expect(aEnded).toBe(2_000);
    await clock.runUntil(doneB);
    expect(ledger.getBatch(b.id)?.counts).toMatchObject({ succeeded: 100, failed: 0 });
    expect(gwA.writes).toEqual([]);
    if (how === 'cancel') return;
    // Nothing of the window was kept by the wait: A resumed finishes in it.
    expect(await runner.resume(a.id)).toBe(true);
    await clock.runUntil(runner.whenIdle(a.id));
    expect(ledger.getBatch(a.id)).toMatchObject({ state: 'done', counts: { succeeded: 300 } });
  },
);
