/**
 * The runner on a paced upstream (server/secmaster/pacer.ts), in virtual time: a throttle never
 * fails an ID while the batch can wait, writes wait for the pacer before their intent is committed,
 * and progress reports the pace.
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

const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';
const THROTTLED = (limit: number) =>
  `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 second`;

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
 * SecMaster in memory, answering after `latencyMs` of virtual time: writes are throttled while
 * `throttled(at)` says so, and beyond `limit` calls in any second; reads are never throttled,
 * unless `shared`: then reads and writes count against the one `limit` together.
 */
function gateway(
  clock: FakeClock,
  o: { limit: number; latencyMs: number; throttled?: (at: number) => boolean; shared?: boolean },
) {
  const linked = new Set<string>();
  const admitted: number[] = [];
  const log: { at: number; ok: boolean; ids: number }[] = [];
  /** Every read, refused or not, with the time it was sent. */
  const reads: { at: number; ok: boolean }[] = [];
  const upstream: Upstream = {
    async call(op: UpstreamOperation): Promise<UpstreamResponse> {
      const at = clock.now();
      await clock.sleep(o.latencyMs);
      const write = op.op === 'associate' || op.op === 'cancel';
      while (admitted.length > 0 && (admitted[0] ?? 0) <= at - 1000) admitted.shift();
      if (!write && o.shared) {
        if (admitted.length >= o.limit) {
          reads.push({ at, ok: false });
          return {
            status: 429,
            requestId: null,
            body: { error_code: 'APIG.0308', error_msg: THROTTLED(o.limit) },
          };
        }
        admitted.push(at);
      }
      if (!write) {
        reads.push({ at, ok: true });
        const data = [...linked].map((id) => ({ id, data_object: { id } }));
        return {
          status: 200,
          requestId: null,
          body: { code: '00000000', total: data.length, data },
        };
      }
      if ((o.throttled?.(at) ?? false) || admitted.length >= o.limit) {
        log.push({ at, ok: false, ids: op.ids.length });
        return {
          status: 429,
          requestId: null,
          body: { error_code: 'APIG.0308', error_msg: THROTTLED(o.limit) },
        };
      }
      admitted.push(at);
      log.push({ at, ok: true, ids: op.ids.length });
      for (const id of op.ids) linked.add(id);
      return {
        status: 200,
        requestId: null,
        body: { code: '00000000', data: { success_ids: op.ids, error_ids: [] } },
      };
    },
  };
  return { upstream, log, reads, linked };
}

function start(clock: FakeClock, upstream: Upstream, ids: string[]) {
  const batch = newBatch(ledger, { ids, subject: SUBJECT, user: 'local' });
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream,
    concurrency: 8,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  });
  return { runner, batchId: batch.id, done: runner.start(batch.id) };
}

test('a 2-minute throttle storm: the batch waits it out and no ID fails', async () => {
  const clock = new FakeClock();
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
  const STORM_MS = 120_000;
  const gw = gateway(clock, { limit: 10, latencyMs: 30, throttled: (at) => at < STORM_MS });
  // Two calls of 100: each is throttled far more often than its 6 attempts.
  const ids = makeIds(200);
  const { runner, batchId, done } = start(clock, pacedUpstream(gw.upstream, pacer), ids);
  await clock.runUntil(done);

  const batch = ledger.getBatch(batchId);
  expect(batch?.state).toBe('done');
  expect(batch?.counts).toMatchObject({ succeeded: 200, failed: 0, unknown: 0 });
  // The storm lasted its 2 minutes: nothing got through before it ended.
  const firstOk = gw.log.find((c) => c.ok)?.at ?? 0;
  expect(firstOk).toBeGreaterThanOrEqual(STORM_MS);
  // The pacer stepped back: a few calls a second at most while throttled, not a hammering.
  const refused = gw.log.filter((c) => !c.ok).length;
  expect(refused).toBeGreaterThan(12);
  expect(runner.stats().throttleWaits).toBeGreaterThan(0);
  expect(refused).toBeLessThan(STORM_MS / 1000 + 60);
  expect(runner.stats().throttled).toBe(refused);
  expect(gw.linked.size).toBe(200);
});

test('paced at the stated limit: after the first throttle no second has more writes than it', async () => {
  const clock = new FakeClock();
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
  const gw = gateway(clock, { limit: 5, latencyMs: 50 });
  const { runner, batchId, done } = start(clock, pacedUpstream(gw.upstream, pacer), makeIds(5_000));
  const paces: (ReturnType<typeof runner.paceOf> | null)[] = [];
  const watch = (async () => {
    while (ledger.getBatchState(batchId) === 'running') {
      await clock.sleep(1_000);
      paces.push(runner.paceOf(batchId));
    }
  })();
  await clock.runUntil(Promise.all([done, watch]));
  expect(ledger.getBatch(batchId)?.counts).toMatchObject({ succeeded: 5_000, failed: 0 });
  const ok = gw.log.filter((c) => c.ok).map((c) => c.at);
  const firstThrottle = gw.log.find((c) => !c.ok)?.at ?? 0;
  expect(gw.log.filter((c) => !c.ok && c.at > firstThrottle + 1_000)).toEqual([]);
  // 50 writes at 5/s: about 10 s, not the 2 s backoff per throttle of an unpaced runner.
  const span = ((ok.at(-1) ?? 0) - (ok[0] ?? 0)) / 1000;
  expect(50 / 5 / span).toBeGreaterThanOrEqual(0.9);
  // Progress: "4.8 of 5 calls/s"; concurrency followed the rate (5/s × ~50 ms: 2 or 3 at once).
  expect(paces.some((p) => p !== null && p.limit === 5 && p.calls_per_s >= 4)).toBe(true);
  expect(runner.stats().concurrencyLimit).toBeLessThanOrEqual(3);
  expect(runner.paceOf(batchId)).toBeNull();
});

test('pause while a write waits for the pacer: nothing is claimed or sent after the pause', async () => {
  const clock = new FakeClock();
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule, cap: 0.5 });
  const gw = gateway(clock, { limit: 100, latencyMs: 10 });
  const { runner, batchId, done } = start(clock, pacedUpstream(gw.upstream, pacer), makeIds(300));
  await clock.run(2_500);
  const sentBefore = gw.log.length;
  expect(await runner.pause(batchId)).toBe(true);
  await clock.runUntil(done);
  await clock.run(clock.now() + 10_000);
  expect(gw.log.length).toBe(sentBefore);
  const counts = ledger.getBatch(batchId)?.counts;
  expect(counts?.in_flight).toBe(0);
  expect(counts?.pending).toBe(300 - sentBefore * 100);
});

test('reads and writes throttled together: workers never hold a write permit through a read, and the batch finishes', async () => {
  const clock = new FakeClock();
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
  const gw = gateway(clock, { limit: 5, latencyMs: 50, shared: true });
  const ids = makeIds(3_000);
  const { batchId, done } = start(clock, pacedUpstream(gw.upstream, pacer), ids);
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  // Virtual time: 30 writes and their 30 reads at ~5 calls/s take well under 10 minutes.
  while (!ended && clock.now() < 600_000) await clock.run(clock.now() + 1_000);
  expect(pacer.snapshot('read').shared).toBe(true);
  expect(ended).toBe(true);
  expect(ledger.getBatch(batchId)).toMatchObject({
    state: 'done',
    counts: { succeeded: 3_000, failed: 0, unknown: 0 },
  });
  expect(gw.linked.size).toBe(3_000);
  expect(pacer.snapshot('write').inFlight).toBe(0);
});

test('pause while a pre-read waits for the pacer: the read is not sent after the pause and the run ends', async () => {
  const clock = new FakeClock();
  // One call per 5 s per scope: the first read goes at once, the other workers' reads wait.
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule, cap: 0.2 });
  const gw = gateway(clock, { limit: 100, latencyMs: 10 });
  const { runner, batchId, done } = start(clock, pacedUpstream(gw.upstream, pacer), makeIds(800));
  await clock.run(1_000);
  expect(gw.reads).toHaveLength(1);
  expect(pacer.snapshot('read').inFlight).toBe(0);
  expect(await runner.pause(batchId)).toBe(true);
  const pausedAt = clock.now();
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  // No token comes while the clock stands still: only the pause can end the waiting reads.
  await clock.run(clock.now());
  expect(ended).toBe(true);
  await clock.run(clock.now() + 60_000);
  expect(gw.reads.filter((r) => r.at >= pausedAt)).toEqual([]);
  expect(gw.log.filter((c) => c.at >= pausedAt)).toEqual([]);
  expect(ledger.getBatch(batchId)?.counts?.in_flight).toBe(0);
});

test('two credentials: a slowly paced one never takes the slots of the other (a window per pacer, permit before slot)', async () => {
  const clock = new FakeClock();
  // Credential A may send one call per 2 s (reads and writes alike); credential B 20 per second.
  const slow = new Pacer({ now: clock.now, schedule: clock.schedule, cap: 0.5 });
  const fast = new Pacer({ now: clock.now, schedule: clock.schedule, cap: 20 });
  const gwA = gateway(clock, { limit: 100, latencyMs: 50 });
  const gwB = gateway(clock, { limit: 100, latencyMs: 50 });
  const a = newBatch(ledger, { ids: makeIds(3_000), subject: SUBJECT, user: 'a' });
  const b = newBatch(ledger, {
    ids: makeIds(2_000).map((id) => `b-${id}`),
    subject: 'c0ffee00-0000-4000-8000-000000000002',
    user: 'b',
  });
  const upA = pacedUpstream(gwA.upstream, slow);
  const upB = pacedUpstream(gwB.upstream, fast);
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: (batchId) => (batchId === a.id ? upA : upB),
    concurrency: 8,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  });
  const doneA = runner.start(a.id);
  await clock.run(3_000);
  // A has settled into its crawl (its workers wait for tokens); B starts now.
  const doneB = runner.start(b.id);
  let bEnded: number | null = null;
  void doneB.then(() => {
    bEnded = clock.now();
  });
  await clock.runUntil(Promise.all([doneA, doneB]));
  expect(ledger.getBatch(b.id)?.counts).toMatchObject({ succeeded: 2_000, failed: 0 });
  expect(ledger.getBatch(a.id)?.counts).toMatchObject({ succeeded: 3_000, failed: 0 });
  // B's 20 reads and 20 writes at up to 20 calls/s: a few seconds, not A's pace (one call per 2 s).
  expect(bEnded).not.toBeNull();
  expect((bEnded ?? Infinity) - 3_000).toBeLessThan(10_000);
  expect(runner.stats().peakInFlight).toBeLessThanOrEqual(8);
});
