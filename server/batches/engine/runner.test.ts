import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUpstream } from '../../secmaster/client';
import {
  acceptAll,
  makeIds,
  startFakeUpstream,
  writeAnswer,
  type FakeUpstream,
} from '../../testing/fake-upstream';
import { newBatch } from '../../testing/batches';
import { MSG_UNKNOWN_RECHECK, openLedger, type Ledger } from '../ledger';
import { DEFAULT_RETRY_POLICY } from '../retry';
import { createRunner, onSqlite, type RunnerOptions } from './runner';
import { MSG_NOT_REPORTED, MSG_REJECTED } from './verdict';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const WORKSPACE = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

let fake: FakeUpstream;
let dir: string;
let ledger: Ledger;

beforeEach(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'ledger-'));
  ledger = openLedger(join(dir, 'ledger.sqlite'));
});

afterEach(async () => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  await fake.close();
});

function batchOf(ids: string[], action: 'associate' | 'cancel' = 'associate'): string {
  return newBatch(ledger, { ids, subject: SUBJECT, action, workspace: WORKSPACE, user: 'local' })
    .id;
}

function runner(overrides: Partial<RunnerOptions> = {}) {
  return createRunner({
    ...onSqlite(ledger),
    upstream: createUpstream({
      endpoint: fake.url,
      projectId: PROJECT,
      timeoutMs: 2_000,
      authToken: 'tok',
    }),
    concurrency: 2,
    backoffMs: () => 0,
    ...overrides,
  });
}

/** A search answer without `data`: the runner cannot read it. */
const unreadable = () => Response.json({ code: '00000000', message: 'ok' });
const nothingFound = () => Response.json({ code: '00000000', total: 0, data: [] });

/** The first `n` searches find nothing (the pre-reads before writing); later ones are unreadable. */
function readableSearches(n: number): void {
  let seen = 0;
  fake.onRead((req) =>
    req.path.endsWith('/search') && seen++ < n ? nothingFound() : unreadable(),
  );
}

function items(batchId: string) {
  return ledger.listItems(batchId, { offset: 0, limit: 1000 }).items;
}

test('250 IDs go out as 3 calls of at most 100, in input order, and all succeed', async () => {
  const ids = makeIds(250);
  const id = batchOf(ids);
  await runner().start(id);

  const writes = fake.writes();
  expect(writes).toHaveLength(3);
  const sent = writes.map((w) => (JSON.parse(w.body) as { ids: string[] }).ids);
  expect(sent.map((s) => s.length).sort()).toEqual([100, 100, 50]);
  expect(sent.flat().sort()).toEqual([...ids].sort());
  for (const w of writes) {
    expect(w.method).toBe('POST');
    expect(w.path).toBe(`/v1/${PROJECT}/workspaces/${WORKSPACE}/soc/incidents/${SUBJECT}/alerts`);
    expect(w.headers['x-auth-token']).toBe('tok');
    expect(w.headers['content-type']).toBe('application/json');
  }
  const b = ledger.getBatch(id);
  expect(b?.state).toBe('done');
  expect(b?.finished_at).not.toBeNull();
  expect(b?.counts.succeeded).toBe(250);
  const rows = items(id);
  expect(rows.map((r) => r.id)).toEqual(ids);
  expect(rows.every((r) => r.attempts === 1 && r.request_id === 'rid-body')).toBe(true);
});

test('cancel sends DELETE on the same path', async () => {
  const id = batchOf(makeIds(3), 'cancel');
  await runner().start(id);
  expect(fake.writes().map((w) => w.method)).toEqual(['DELETE']);
  expect(ledger.getBatch(id)?.counts.succeeded).toBe(3);
});

test('per-ID outcomes: rejected, not reported, reported as both (unknown until re-read); code kept as a string', async () => {
  const ids = makeIds(4);
  const [ok, rejected, missing, both] = ids as [string, string, string, string];
  fake.onWrite(() =>
    Response.json(
      {
        code: 0,
        message: 'partial',
        success: false,
        data: { success_ids: [ok.toUpperCase(), both], error_ids: [rejected, both] },
      },
      { headers: { 'X-request-id': 'hdr-rid' } },
    ),
  );
  readableSearches(1);
  const id = batchOf(ids);
  await runner().start(id);
  const byId = new Map(items(id).map((r) => [r.id, r]));
  expect(byId.get(ok)).toMatchObject({ state: 'succeeded', request_id: 'hdr-rid' });
  expect(byId.get(rejected)).toMatchObject({ state: 'failed', message: MSG_REJECTED });
  expect(byId.get(missing)).toMatchObject({ state: 'failed', message: MSG_NOT_REPORTED });
  // "Both" is settled by re-reading; the reads after the pre-read are unreadable: it stays unknown.
  expect(byId.get(both)).toMatchObject({ state: 'unknown', code: 'REPORTED_AS_BOTH' });
  const call = ledger.db.prepare('SELECT error_code FROM calls').get() as { error_code: string };
  expect(call.error_code).toBe('0');
  expect(ledger.getBatch(id)?.state).toBe('done');
});

test('a whole-call error fails every ID of that call with the code and message received', async () => {
  fake.onWrite(() =>
    Response.json(
      { code: 'SecMaster.20030005', message: 'data object not found' },
      { status: 400 },
    ),
  );
  const id = batchOf(makeIds(120));
  await runner().start(id);
  const rows = items(id);
  expect(rows).toHaveLength(120);
  expect(
    rows.every(
      (r) =>
        r.state === 'failed' &&
        r.code === 'SecMaster.20030005' &&
        r.message === 'data object not found',
    ),
  ).toBe(true);
  expect(fake.writes()).toHaveLength(2); // 400 is never retried
});

test('transient 503 and 429 are retried (bounded), then succeed; attempts counted per ID', async () => {
  let n = 0;
  fake.onWrite((ids) => {
    n++;
    if (n === 1)
      return Response.json({ error_code: 'APIG.0308', error_msg: 'throttled' }, { status: 429 });
    if (n === 2) return Response.json({ code: 'X', message: 'busy' }, { status: 503 });
    return writeAnswer(ids, []);
  });
  const delays: number[] = [];
  const id = batchOf(makeIds(5));
  await runner({
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  }).start(id);
  expect(fake.writes()).toHaveLength(3);
  expect(delays).toHaveLength(2);
  expect(items(id).every((r) => r.state === 'succeeded' && r.attempts === 3)).toBe(true);
  const calls = ledger.db.prepare('SELECT state, attempt FROM calls ORDER BY attempt').all();
  expect(calls).toEqual([
    { state: 'retried', attempt: 1 },
    { state: 'retried', attempt: 2 },
    { state: 'done', attempt: 3 },
  ]);
});

test('retries used up: a re-read confirms nothing was applied, then the IDs fail with the last code and message', async () => {
  fake.onWrite(() =>
    Response.json({ code: 'SecMaster.500', message: 'internal' }, { status: 500 }),
  );
  fake.onRead(() => Response.json({ code: '00000000', total: 0, data: [] }));
  const id = batchOf(makeIds(2));
  await runner({ maxAttempts: 3 }).start(id);
  expect(fake.writes()).toHaveLength(3);
  expect(
    items(id).every(
      (r) =>
        r.state === 'failed' &&
        r.code === 'SecMaster.500' &&
        r.message === 'internal' &&
        r.attempts === 3,
    ),
  ).toBe(true);
  // The pre-read before the first send, and the re-read once the retries were used up.
  expect(fake.requests.filter((r) => r.path.endsWith('/search'))).toHaveLength(2);
});

test('401 APIG.0301 interrupts the batch without retrying; unsent IDs stay pending', async () => {
  fake.onWrite(() =>
    Response.json(
      {
        error_code: 'APIG.0301',
        error_msg: 'Incorrect IAM authentication information',
        request_id: 'r',
      },
      {
        status: 401,
        headers: { 'WWW-Authenticate': 'Basic' },
      },
    ),
  );
  const id = batchOf(makeIds(250));
  await runner({ concurrency: 1 }).start(id);
  expect(fake.writes()).toHaveLength(1);
  const b = ledger.getBatch(id);
  expect(b?.state).toBe('interrupted');
  expect(b?.state_reason).toContain('APIG.0301');
  expect(b?.counts).toMatchObject({ pending: 250, failed: 0, in_flight: 0 });
});

test('a timeout after sending leaves the IDs unknown, never failed', async () => {
  fake.onWrite(() => new Promise<Response>(() => undefined));
  readableSearches(1);
  const id = batchOf(makeIds(3));
  await runner({
    upstream: createUpstream({ endpoint: fake.url, projectId: PROJECT, timeoutMs: 50 }),
  }).start(id);
  const rows = items(id);
  expect(rows.every((r) => r.state === 'unknown' && r.code === 'TIMEOUT')).toBe(true);
  expect(ledger.getBatch(id)?.state).toBe('done');
});

test('an unreadable 200 answer leaves the IDs unknown', async () => {
  fake.onWrite(
    () =>
      new Response('<html>oops</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
  );
  readableSearches(1);
  const id = batchOf(makeIds(2));
  await runner().start(id);
  expect(items(id).every((r) => r.state === 'unknown' && r.code === 'UPSTREAM_BAD_RESPONSE')).toBe(
    true,
  );
});

test('concurrency bounds the calls in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  fake.onWrite(async (ids) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise<void>((r) => gates.push(r));
    inFlight--;
    return writeAnswer(ids, []);
  });
  const id = batchOf(makeIds(500));
  const done = runner({ concurrency: 2 }).start(id);
  // Each gate is let go once two calls are held (while two are left): the second call must go out
  // while the first is still in flight, whatever the machine's speed.
  for (let released = 0; released < 5; released++) {
    const held = Math.min(2, 5 - released);
    await expect.poll(() => gates.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(held);
    gates.shift()?.();
  }
  await done;
  expect(peak).toBe(2);
  expect(ledger.getBatch(id)?.counts.succeeded).toBe(500);
});

test('a 401 on the re-read of unknown outcomes interrupts the batch: read once, never retried, nothing sent, nothing else read', async () => {
  const ids = makeIds(250);
  const id = batchOf(ids);
  // A crash after the intents of two chunks: 200 IDs unknown at the restart, 50 pending.
  expect(ledger.claimChunk(id, 100)?.ids).toHaveLength(100);
  expect(ledger.claimChunk(id, 100)?.ids).toHaveLength(100);
  ledger.close();
  ledger = openLedger(join(dir, 'ledger.sqlite'));
  fake.onWrite(acceptAll());
  fake.onRead(() =>
    Response.json({ error_code: 'APIG.0301', error_msg: 'bad auth' }, { status: 401 }),
  );
  await runner({ retry: { rereadAttempts: 3 } }).resumeAll();
  // Before: the re-read was tried three times, and then the next chunk's.
  expect(fake.requests).toHaveLength(1);
  expect(fake.writes()).toHaveLength(0);
  const b = ledger.getBatch(id);
  expect(b?.state).toBe('interrupted');
  expect(b?.state_reason).toContain('APIG.0301');
  expect(b?.counts).toMatchObject({ unknown: 200, pending: 50 });
  expect(items(id)[0]).toMatchObject({ state: 'unknown', message: MSG_UNKNOWN_RECHECK });
});

test('resumeAll after a crash: in_flight IDs become unknown, pending IDs continue', async () => {
  const ids = makeIds(150);
  const id = batchOf(ids);
  // Simulate a crash after the intent of the first chunk: the call row and in_flight items exist.
  const claimed = ledger.claimChunk(id, 100);
  expect(claimed?.ids).toHaveLength(100);
  ledger.close();
  ledger = openLedger(join(dir, 'ledger.sqlite'));

  fake.onWrite(acceptAll());
  // The re-read of the first chunk is unreadable; the pre-read of the rest finds nothing linked.
  const first = ids[0] ?? '';
  fake.onRead((req) => (req.body.includes(first) ? unreadable() : nothingFound()));
  await runner().resumeAll();

  const b = ledger.getBatch(id);
  expect(b?.state).toBe('done');
  expect(b?.counts).toMatchObject({ unknown: 100, succeeded: 50, pending: 0, in_flight: 0 });
  const rows = items(id);
  // The re-read cannot settle them.
  expect(rows[0]).toMatchObject({
    state: 'unknown',
    code: 'UNKNOWN_AFTER_RESTART',
    message: MSG_UNKNOWN_RECHECK,
  });
  expect(rows[149]).toMatchObject({ state: 'succeeded' });
  expect(fake.writes()).toHaveLength(1);
  expect((JSON.parse(fake.writes()[0]?.body ?? '{}') as { ids: string[] }).ids).toEqual(
    ids.slice(100),
  );
});

test('the outcome of a superseded call is ignored (call_id fencing)', () => {
  const id = batchOf(makeIds(3));
  const first = ledger.claimChunk(id, 100);
  if (!first) throw new Error('no claim');
  const second = ledger.retryCall(first.callId, false);
  if (!second) throw new Error('no retry');
  const late = first.ids.map((x) => ({
    id: x,
    state: 'failed' as const,
    code: 'LATE',
    message: 'late',
  }));
  expect(
    ledger.recordOutcome(first.callId, late, {
      httpStatus: 500,
      requestId: null,
      errorCode: 'LATE',
    }),
  ).toBe(0);
  const ok = second.ids.map((x) => ({
    id: x,
    state: 'succeeded' as const,
    code: null,
    message: null,
  }));
  expect(
    ledger.recordOutcome(second.callId, ok, { httpStatus: 200, requestId: 'r', errorCode: null }),
  ).toBe(3);
  expect(ledger.getBatch(id)?.counts.succeeded).toBe(3);
});

/** The ID list of an `id in` search body. */
function searchedIds(req: { body: string }): string[] {
  const body = JSON.parse(req.body) as {
    condition?: { conditions?: { data?: string[] }[] };
  };
  return (body.condition?.conditions?.[0]?.data?.[2] ?? '').split(',').filter(Boolean);
}

/** A search answer that finds these IDs. */
function found(ids: readonly string[]): Response {
  return Response.json({
    code: '00000000',
    total: ids.length,
    data: ids.map((id) => ({ id, data_object: { id } })),
  });
}

describe('the pre-read before each write', () => {
  test('linked IDs are unchanged and never sent; calls are filled with the others', async () => {
    const ids = makeIds(250);
    const linked = new Set(ids.filter((_, i) => i % 3 === 0));
    fake.onRead((req) => found(searchedIds(req).filter((x) => linked.has(x))));
    const id = batchOf(ids);
    const r = runner();
    await r.start(id);
    const sent = fake.writes().flatMap((w) => (JSON.parse(w.body) as { ids: string[] }).ids);
    expect(sent).toEqual(ids.filter((x) => !linked.has(x)));
    expect(fake.writes().map((w) => (JSON.parse(w.body) as { ids: string[] }).ids.length)).toEqual([
      100, 66,
    ]);
    expect(ledger.getBatch(id)?.counts).toMatchObject({
      succeeded: 166,
      unchanged: 84,
      pending: 0,
    });
    expect(items(id).find((i) => i.id === ids[0])).toMatchObject({
      state: 'unchanged',
      code: 'ALREADY_LINKED',
      message: 'already linked',
      attempts: 0,
    });
    expect(r.stats()).toMatchObject({ unchangedIds: 84, preReads: 3 });
  });

  test('every ID already linked: nothing is sent, the batch is done', async () => {
    const ids = makeIds(120);
    fake.onRead((req) => found(searchedIds(req)));
    const id = batchOf(ids);
    await runner().start(id);
    expect(fake.writes()).toHaveLength(0);
    expect(ledger.getBatch(id)).toMatchObject({ state: 'done', counts: { unchanged: 120 } });
  });

  test('a 401 on the read interrupts the batch: nothing sent, IDs pending, never retried', async () => {
    fake.onRead(() =>
      Response.json({ error_code: 'APIG.0301', error_msg: 'bad auth' }, { status: 401 }),
    );
    const id = batchOf(makeIds(150));
    await runner({ concurrency: 1 }).start(id);
    expect(fake.writes()).toHaveLength(0);
    expect(fake.requests).toHaveLength(1);
    const b = ledger.getBatch(id);
    expect(b?.state).toBe('interrupted');
    expect(b?.state_reason).toContain('APIG.0301');
    expect(b?.counts).toMatchObject({ pending: 150 });
  });

  test('a 4xx on the read fails those IDs with the reason, nothing sent', async () => {
    fake.onRead(() =>
      Response.json(
        { code: 'SecMaster.20010001', message: 'workspace not found' },
        { status: 403 },
      ),
    );
    const id = batchOf(makeIds(3));
    await runner().start(id);
    expect(fake.writes()).toHaveLength(0);
    expect(ledger.getBatch(id)?.state).toBe('done');
    expect(items(id).every((i) => i.state === 'failed' && i.code === 'SecMaster.20010001')).toBe(
      true,
    );
    expect(items(id)[0]?.message).toContain('workspace not found');
    expect(items(id)[0]?.message).toContain('not sent');
  });

  test('a throttled read is retried; nothing fails', async () => {
    let n = 0;
    fake.onRead(() =>
      n++ < 2
        ? Response.json({ error_code: 'APIG.0308', error_msg: 'throttled' }, { status: 429 })
        : nothingFound(),
    );
    const delays: number[] = [];
    const id = batchOf(makeIds(5));
    await runner({
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    }).start(id);
    expect(delays).toHaveLength(2);
    expect(ledger.getBatch(id)?.counts).toMatchObject({ succeeded: 5, failed: 0 });
  });

  test('reads refused for longer than the retries: the batch waits with the reason, then continues', async () => {
    let n = 0;
    fake.onRead(() =>
      n++ < 4 ? Response.json({ code: 'X', message: 'busy' }, { status: 503 }) : nothingFound(),
    );
    const id = batchOf(makeIds(5));
    const reasons: (string | null)[] = [];
    const r = runner({
      retry: { transientAttempts: 2 },
      // What the batch says while it sleeps.
      sleep: () => {
        reasons.push(ledger.getBatch(id)?.state_reason ?? null);
        return Promise.resolve();
      },
    });
    await r.start(id);
    expect(r.stats().budgetWaits).toBeGreaterThan(0);
    expect(reasons.some((x) => (x ?? '').includes('reads that tell which IDs'))).toBe(true);
    expect(ledger.getBatch(id)).toMatchObject({
      state: 'done',
      state_reason: null,
      counts: { succeeded: 5, failed: 0 },
    });
  });
});

describe('a write that may have been applied is never read as "already so"', () => {
  /** The first write answers 503 but links its IDs; later reads see what was written. */
  function appliedThen503(ids: string[]) {
    const linked = new Set<string>();
    let writes = 0;
    fake.onWrite((sent) => {
      for (const x of sent) linked.add(x);
      return ++writes === 1
        ? Response.json({ code: 'X', message: 'busy' }, { status: 503 })
        : writeAnswer(sent, []);
    });
    fake.onRead((req) => found(searchedIds(req).filter((x) => linked.has(x))));
    return batchOf(ids);
  }

  test('paused during the backoff after a 503 that applied: resume confirms them succeeded', async () => {
    const ids = makeIds(3);
    const id = appliedThen503(ids);
    const r: ReturnType<typeof runner> = runner({
      sleep: () => {
        void r.pause(id);
        return Promise.resolve();
      },
    });
    await r.start(id);
    expect(ledger.getBatch(id)?.counts).toMatchObject({ unknown: 3, unchanged: 0 });
    expect(items(id)[0]?.code).toBe('MAY_BE_APPLIED');
    expect(await r.resume(id)).toBe(true);
    await r.whenIdle(id);
    expect(ledger.getBatch(id)?.counts).toMatchObject({ succeeded: 3, unchanged: 0 });
    expect(items(id).every((i) => i.message === 'confirmed by re-read')).toBe(true);
    expect(fake.writes()).toHaveLength(1);
  });

  test('stopped during the backoff after a 503 that applied: the re-read records them succeeded, not skipped', async () => {
    const ids = makeIds(3);
    const id = appliedThen503(ids);
    const r: ReturnType<typeof runner> = runner({
      sleep: () => {
        void r.cancel(id);
        return Promise.resolve();
      },
    });
    await r.start(id);
    await r.whenIdle(id);
    expect(ledger.getBatch(id)).toMatchObject({
      state: 'cancelled',
      counts: { succeeded: 3, skipped: 0, unknown: 0 },
    });
    expect(fake.writes()).toHaveLength(1);
  });

  test('an ID re-sent after an unknown outcome and found linked is a success of this batch', async () => {
    // Write 1 times out (applied late), the re-read finds it absent, so it goes back to pending;
    // the pre-read before the re-send finds it linked: applied by the batch's first write.
    const ids = makeIds(1);
    let reads = 0;
    fake.onWrite(() => new Promise<Response>(() => undefined));
    fake.onRead((req) => (++reads >= 3 ? found(searchedIds(req)) : nothingFound()));
    const id = batchOf(ids);
    await runner({
      upstream: createUpstream({ endpoint: fake.url, projectId: PROJECT, timeoutMs: 50 }),
    }).start(id);
    expect(items(id)[0]).toMatchObject({
      state: 'succeeded',
      code: 'APPLIED_EARLIER',
      message: 'confirmed by re-read',
      attempts: 1,
    });
    expect(fake.writes()).toHaveLength(1);
  });
});

describe("a write refused before being applied (429) is never read as this batch's success", () => {
  const throttled = () =>
    Response.json({ error_code: 'APIG.0308', error_msg: 'throttled' }, { status: 429 });

  test('throttled through every retry, then linked by someone else during the wait: the pre-read records it unchanged', async () => {
    const ids = makeIds(2);
    const linked = new Set<string>();
    fake.onWrite(() => throttled());
    fake.onRead((req) => found(searchedIds(req).filter((x) => linked.has(x))));
    const id = batchOf(ids);
    const r = runner({
      maxAttempts: 2,
      // The throttle wait: another analyst links the IDs meanwhile.
      sleep: (ms) => {
        if (ms === DEFAULT_RETRY_POLICY.throttleWaitMs) for (const x of ids) linked.add(x);
        return Promise.resolve();
      },
    });
    await r.start(id);
    expect(r.stats().throttleWaits).toBe(1);
    expect(fake.writes()).toHaveLength(2);
    expect(ledger.getBatch(id)).toMatchObject({
      state: 'done',
      counts: { unchanged: 2, succeeded: 0 },
    });
    // The Attempts column still says the IDs were sent twice.
    expect(items(id).map((i) => [i.state, i.code, i.attempts])).toEqual([
      ['unchanged', 'ALREADY_LINKED', 2],
      ['unchanged', 'ALREADY_LINKED', 2],
    ]);
  });

  test('paused during the backoff after a 429, linked by someone else, resumed: unchanged', async () => {
    const ids = makeIds(1);
    const linked = new Set<string>();
    fake.onWrite(() => throttled());
    fake.onRead((req) => found(searchedIds(req).filter((x) => linked.has(x))));
    const id = batchOf(ids);
    const r: ReturnType<typeof runner> = runner({
      sleep: () => {
        void r.pause(id);
        return Promise.resolve();
      },
    });
    await r.start(id);
    expect(ledger.getBatch(id)).toMatchObject({ state: 'paused', counts: { pending: 1 } });
    for (const x of ids) linked.add(x);
    expect(await r.resume(id)).toBe(true);
    await r.whenIdle(id);
    expect(items(id)[0]).toMatchObject({ state: 'unchanged', code: 'ALREADY_LINKED', attempts: 1 });
    expect(fake.writes()).toHaveLength(1);
  });

  test('a 503 that may have applied, then throttled through the other retries: found linked, it is a success of this batch', async () => {
    const ids = makeIds(1);
    const linked = new Set<string>();
    let writes = 0;
    fake.onWrite((sent) => {
      if (++writes > 1) return throttled();
      for (const x of sent) linked.add(x);
      return Response.json({ code: 'X', message: 'busy' }, { status: 503 });
    });
    fake.onRead((req) => found(searchedIds(req).filter((x) => linked.has(x))));
    const id = batchOf(ids);
    await runner({ maxAttempts: 2, sleep: () => Promise.resolve() }).start(id);
    expect(fake.writes()).toHaveLength(2);
    expect(items(id)[0]).toMatchObject({
      state: 'succeeded',
      code: 'APPLIED_EARLIER',
      attempts: 2,
    });
  });
});
