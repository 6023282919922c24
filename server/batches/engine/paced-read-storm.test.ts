/**
 * Issue 15: a throttle is never a failure of an ID while the batch can wait, reads included (the
 * gateway may count reads too: the emulator's `reads: true`). A 2-minute storm on every call, the
 * pre-reads first, in virtual time through the pacer.
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
  ledger = openLedger(join(dir, 'ledger.sqlite'));
});

afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const LIMIT = 10;
const STORM_MS = 120_000;

test('a 2-minute throttle storm on reads and writes alike: the pre-reads wait it out and no ID fails', async () => {
  const clock = new FakeClock();
  const pacer = new Pacer({ now: clock.now, schedule: clock.schedule });
  const linked = new Set<string>();
  const admitted: number[] = [];
  const calls: { at: number; write: boolean; ok: boolean }[] = [];
  const upstream: Upstream = {
    async call(op: UpstreamOperation): Promise<UpstreamResponse> {
      const at = clock.now();
      await clock.sleep(30);
      const write = op.op === 'associate' || op.op === 'cancel';
      // Reads and writes count together against one limit, and nothing passes during the storm.
      while (admitted.length > 0 && (admitted[0] ?? 0) <= at - 1000) admitted.shift();
      if (at < STORM_MS || admitted.length >= LIMIT) {
        calls.push({ at, write, ok: false });
        return {
          status: 429,
          requestId: null,
          body: {
            error_code: 'APIG.0308',
            error_msg: `The throttling threshold has been reached: policy user over ratelimit,limit:${LIMIT},time:1 second`,
          },
        };
      }
      admitted.push(at);
      calls.push({ at, write, ok: true });
      if (!write) {
        const data = [...linked].map((id) => ({ id, data_object: { id } }));
        return { status: 200, requestId: null, body: { code: '00000000', total: 0, data } };
      }
      for (const id of op.ids) linked.add(id);
      return {
        status: 200,
        requestId: null,
        body: { code: '00000000', data: { success_ids: op.ids, error_ids: [] } },
      };
    },
  };
  const batch = newBatch(ledger, {
    ids: makeIds(300),
    subject: 'c0ffee00-0000-4000-8000-000000000001',
  });
  const runner = createRunner({
    ...onSqlite(ledger),
    upstream: pacedUpstream(upstream, pacer),
    concurrency: 8,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  });
  const done = runner.start(batch.id);
  // In the storm: nothing sent has passed, nothing failed, and the batch says why it waits.
  const reasons = new Set<string | null>();
  for (let t = 1_000; t < STORM_MS; t += 1_000) {
    await clock.run(t);
    const now = ledger.getBatch(batch.id);
    expect(now).toMatchObject({ state: 'running', counts: { failed: 0, pending: 300 } });
    reasons.add(now?.state_reason ?? null);
  }
  expect([...reasons].some((r) => r?.includes('keeps refusing the reads'))).toBe(true);
  expect(calls.filter((c) => c.write)).toEqual([]);
  await clock.runUntil(done);

  expect(ledger.getBatch(batch.id)).toMatchObject({
    state: 'done',
    counts: { succeeded: 300, failed: 0, unknown: 0 },
  });
  expect(linked.size).toBe(300);
  // The storm was waited out: reads were refused throughout, nothing passed before its end, and
  // the pacer kept the refusals to a few a second rather than a hammering.
  const refused = calls.filter((c) => !c.ok);
  expect(refused.filter((c) => c.at >= STORM_MS - 30_000).length).toBeGreaterThan(0);
  expect(Math.min(...calls.filter((c) => c.ok).map((c) => c.at))).toBeGreaterThanOrEqual(STORM_MS);
  expect(refused.length).toBeLessThan(STORM_MS / 1000 + 60);
});
