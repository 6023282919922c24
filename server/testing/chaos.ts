/**
 * In-process fault scenarios shared by the Vitest suite (faults.test.ts, a few seeds) and
 * `npm run soak` (the full counts):
 * - F5 mixed chaos (`runChaosSeed`): the real emulator on loopback with a seeded fault schedule
 *   (500 / 429 / APIG.0308 / hang / reset / apply-then-hang / apply-then-500), plus optional faults
 *   on the wire (`WireFaults`: plain-text 503, delay, malformed JSON after applying, `success:false`
 *   with part of the IDs in `error_ids` and part in neither list), an ID that exists nowhere, an
 *   instant sleep; checked with I1–I7 and "not reported → failed with that message".
 * - F4 throttle storm (`runThrottleStorm`): every call answered 429 APIG.0308 for a stretch of
 *   virtual time (the runner's clock and sleep are scaled), then healthy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PROJECT_ID } from '../config';
import {
  startEmulator,
  type RunningEmulator,
  openEmulatorDb,
  createFaultInjector,
  parseFaults,
  type FaultStats,
  SEED_WORKSPACES,
  seedEmulator,
  seedObjectIds,
  seededRandom,
} from 'secmaster-emulator';
import { createUpstream } from '../secmaster/client';
import {
  checkInvariants,
  linkedIds,
  TerminalWatch,
  type CheckReport,
  type ObservedWrite,
} from './checker';
import { newBatch } from './batches';
import { openLedger, type Ledger } from '../batches/ledger';
import { MSG_EXISTS_REJECTED, MSG_NOT_FOUND } from '../batches/reconcile';
import {
  createRunner,
  onSqlite,
  type RunnerOptions,
  type RunnerStats,
} from '../batches/engine/runner';
import { MSG_NOT_REPORTED, MSG_REJECTED } from '../batches/engine/verdict';

export const CHAOS_WS = SEED_WORKSPACES[0].id;
/** An ID that exists nowhere: SecMaster rejects it (error_ids), the console labels it not found. */
export const STRANGER = '00000000-0000-4000-8000-00000000beef';
const SEED_SIZES = { alerts: 600, incidents: 40, indicators: 20 };
const ALERTS = seedObjectIds(0, 'alerts', SEED_SIZES.alerts);
const INCIDENTS = seedObjectIds(0, 'incidents', SEED_SIZES.incidents);

/** The emulator's share of F5 as faults.test.ts has always run it (sum 0.34). */
export const F5_EMULATOR_FAULTS = {
  p500: 0.08,
  p429: 0.05,
  p_throttle: 0.05,
  p_hang: 0.04,
  p_reset: 0.04,
  p_apply_then_hang: 0.04,
  p_apply_then_500: 0.04,
} as const;

/** Faults on the wire, between the console's client and the emulator (writes only). */
export interface WireFaults {
  /** Plain-text 503 from a proxy, nothing applied. */
  p503: number;
  /** The call is held `delayMs` (less than the timeout), then passes. */
  p_delay: number;
  delayMs: number;
  /** Applied, then a 200 whose body is cut in half (not JSON). */
  p_malformed: number;
  /**
   * `success:false` with partial IDs: 1–3 IDs not linked yet are withheld from the emulator; about
   * half of them are put in `error_ids`, the rest in neither list (→ "not reported").
   */
  p_partial: number;
}

/** The full F5 mix for the soak: emulator faults + wire faults, about 0.38 of the writes. */
export const F5_FULL_EMULATOR_FAULTS = {
  p500: 0.03,
  p429: 0.03,
  p_throttle: 0.03,
  p_hang: 0.03,
  p_reset: 0.03,
  p_apply_then_hang: 0.03,
  p_apply_then_500: 0.02,
} as const;
export const F5_FULL_WIRE_FAULTS: WireFaults = {
  p503: 0.03,
  p_delay: 0.05,
  delayMs: 60,
  p_malformed: 0.04,
  p_partial: 0.05,
};

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(body));
  throw new Error('unexpected request body type');
}

function isWrite(method: string, url: string): boolean {
  return (method === 'POST' || method === 'DELETE') && !url.endsWith('/search');
}

function createBatchRow(ledger: Ledger, ids: readonly string[], subject: string): string {
  return newBatch(ledger, { ids, subject, workspace: CHAOS_WS, user: 'chaos' }).id;
}

interface Env {
  dir: string;
  ledger: Ledger;
  emulator: RunningEmulator;
  emulatorDb: ReturnType<typeof openEmulatorDb>;
  close(): Promise<void>;
}

async function openEnv(
  emulatorFaults: Record<string, unknown> | null,
): Promise<Env & { faultStats: () => FaultStats | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
  const emulatorDb = openEmulatorDb(':memory:');
  seedEmulator(emulatorDb, SEED_SIZES);
  const injector = emulatorFaults ? createFaultInjector(parseFaults(emulatorFaults)) : undefined;
  const emulator = await startEmulator({
    db: emulatorDb,
    projectId: DEMO_PROJECT_ID,
    port: 0,
    faults: injector,
  });
  const ledger = openLedger(join(dir, 'ledger.sqlite'));
  return {
    dir,
    ledger,
    emulator,
    emulatorDb,
    faultStats: () => injector?.stats() ?? null,
    async close() {
      await emulator.close();
      ledger.close();
      emulatorDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ChaosOptions {
  seed: number;
  /** The emulator's fault shares (without `seed`); default F5_EMULATOR_FAULTS. */
  emulatorFaults?: Record<string, number>;
  /** Faults on the wire; none by default. */
  wire?: WireFaults;
  /** Existing alerts in the batch (plus STRANGER); default 400. */
  ids?: number;
  /** The batch's subject (an incident); default the (3 + seed)th seeded incident. */
  subject?: string;
  timeoutMs?: number;
  runner?: Partial<RunnerOptions>;
}

export interface WireStats {
  writes: number;
  e503: number;
  delayed: number;
  malformed: number;
  partial: number;
}

export interface ChaosResult {
  /** I1–I7 held, the batch is done, every failure is an allowed one. */
  ok: boolean;
  problems: string[];
  report: CheckReport;
  state: string | undefined;
  counts: Record<string, number>;
  failed: { id: string; code: string | null; message: string | null }[];
  /** IDs a partial answer left out of both lists. */
  notReported: string[];
  /** IDs a partial answer put in error_ids without sending them. */
  injectedRejected: string[];
  /** IDs failed because their retries ran out (a 5xx or throttling every time; not linked, I2). */
  exhausted: number;
  /** Rejected IDs left with the generic message because the labelling search failed. */
  unlabelled: number;
  runner: RunnerStats;
  emulator: FaultStats | null;
  wire: WireStats;
  /** Writes seen on the wire (I5). */
  writes: number;
  ms: number;
}

const EXHAUSTED = /^(HTTP_(5\d\d|429)|SecMaster\.00000(500|429)|APIG\.0308|NOT_APPLIED)$/;

/** One F5 seed: a batch of `ids` alerts + STRANGER under seeded chaos, drained, then checked. */
export async function runChaosSeed(opts: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const env = await openEnv({ seed: opts.seed, ...(opts.emulatorFaults ?? F5_EMULATOR_FAULTS) });
  const wire = opts.wire;
  const wireRandom = seededRandom(`wire:${opts.seed}`);
  const subject = opts.subject ?? INCIDENTS[3 + (opts.seed % (INCIDENTS.length - 3))] ?? '';
  const ids = [...ALERTS.slice(0, opts.ids ?? 400), STRANGER];
  const writes: ObservedWrite[] = [];
  const notReported = new Set<string>();
  const injectedRejected = new Set<string>();
  const wireStats: WireStats = { writes: 0, e503: 0, delayed: 0, malformed: 0, partial: 0 };
  let clock = 0;
  const box: { watch: TerminalWatch | null } = { watch: null };

  const fetchImpl: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const url = String(input instanceof Request ? input.url : input);
    if (!isWrite(method, url)) return fetch(input, init);
    const sent = JSON.parse(bodyText(init?.body)) as { ids: string[] };
    writes.push({ at: ++clock, ids: sent.ids });
    box.watch?.sample();
    wireStats.writes++;
    if (!wire) return fetch(input, init);
    let r = wireRandom();
    if ((r -= wire.p503) < 0) {
      wireStats.e503++;
      return new Response('Service Unavailable', {
        status: 503,
        headers: { 'Content-Type': 'text/plain' },
      });
    }
    if ((r -= wire.p_delay) < 0) {
      wireStats.delayed++;
      await new Promise((res) => setTimeout(res, wire.delayMs));
      return fetch(input, init);
    }
    if ((r -= wire.p_malformed) < 0) {
      wireStats.malformed++;
      const res = await fetch(input, init);
      const text = await res.text();
      return new Response(text.slice(0, Math.floor(text.length / 2)), {
        status: res.status,
        headers: { 'Content-Type': 'application/json' },
      });
    }
    if (r < wire.p_partial) {
      const linked = linkedIds(env.emulatorDb, {
        workspaceId: CHAOS_WS,
        dataclass: 'incidents',
        objectId: subject,
        related: 'alerts',
      });
      const candidates = sent.ids.filter((x) => !linked.has(x.toLowerCase()));
      const k = Math.min(candidates.length, 1 + Math.floor(wireRandom() * 3));
      if (k === 0) return fetch(input, init);
      wireStats.partial++;
      const withheld = new Set(candidates.slice(-k));
      const rejectedHere: string[] = [];
      const neither: string[] = [];
      for (const x of withheld) (wireRandom() < 0.5 ? rejectedHere : neither).push(x);
      const forwarded = sent.ids.filter((x) => !withheld.has(x));
      let successIds: string[] = [];
      let errorIds: string[] = [];
      let requestId: string | null = null;
      if (forwarded.length > 0) {
        const res = await fetch(input, {
          ...init,
          body: JSON.stringify({ ...sent, ids: forwarded }),
        });
        requestId = res.headers.get('x-request-id');
        if (res.status !== 200) return res;
        const body = (await res.json()) as {
          data?: { success_ids?: string[]; error_ids?: string[] };
        };
        successIds = body.data?.success_ids ?? [];
        errorIds = body.data?.error_ids ?? [];
      }
      // Only an answer that reaches the client counts (an emulator fault above means a retry).
      for (const x of rejectedHere) injectedRejected.add(x);
      for (const x of neither) notReported.add(x);
      return Response.json(
        {
          code: 'SecMaster.00000000',
          message: 'partial',
          success: false,
          data: { success_ids: successIds, error_ids: [...errorIds, ...rejectedHere] },
        },
        { status: 200, headers: requestId ? { 'x-request-id': requestId } : {} },
      );
    }
    return fetch(input, init);
  };

  const upstream = createUpstream({
    endpoint: env.emulator.url,
    projectId: DEMO_PROJECT_ID,
    timeoutMs: opts.timeoutMs ?? 150,
    fetchImpl,
  });
  const runner = createRunner({
    ...onSqlite(env.ledger),
    upstream,
    concurrency: 2,
    sleep: () => Promise.resolve(),
    random: seededRandom('runner'),
    ...opts.runner,
  });
  try {
    const batchId = createBatchRow(env.ledger, ids, subject);
    box.watch = new TerminalWatch(env.ledger, batchId);
    await runner.start(batchId);
    const batch = env.ledger.getBatch(batchId);
    const report = checkInvariants({
      ledger: env.ledger,
      batchId,
      inputIds: ids,
      emulatorDb: env.emulatorDb,
      writes,
      watch: box.watch,
    });
    const problems: string[] = [];
    if (!report.ok) problems.push('invariants');
    if (batch?.state !== 'done') problems.push(`batch ${batch?.state ?? 'missing'}`);
    const failed = env.ledger
      .listItems(batchId, { state: 'failed', offset: 0, limit: ids.length })
      .items.map((i) => ({ id: i.id, code: i.code, message: i.message }));
    const byId = new Map(
      env.ledger
        .listItems(batchId, { offset: 0, limit: ids.length })
        .items.map((i) => [i.id, i] as const),
    );
    // "Not reported" → failed with that message.
    for (const x of notReported) {
      const item = byId.get(x);
      if (
        item?.state !== 'failed' ||
        item.code !== 'NOT_REPORTED' ||
        item.message !== MSG_NOT_REPORTED
      )
        problems.push(`${x} not reported but ${item?.state}/${item?.code}/${item?.message}`);
    }
    // A rejected ID keeps the generic message when its labelling search could not be done (a
    // timeout under load): allowed, and counted.
    let unlabelled = 0;
    const isUnlabelled = (
      i: { state: string; code: string | null; message: string | null } | undefined,
    ) => i?.state === 'failed' && i.code === 'REJECTED' && i.message === MSG_REJECTED;
    for (const x of injectedRejected) {
      const item = byId.get(x);
      const label = x === STRANGER ? MSG_NOT_FOUND : MSG_EXISTS_REJECTED;
      if (isUnlabelled(item)) unlabelled++;
      else if (item?.state !== 'failed' || item.message !== label)
        problems.push(`${x} rejected but ${item?.state}/${item?.code}/${item?.message}`);
    }
    let exhausted = 0;
    for (const f of failed) {
      if (f.id === STRANGER || notReported.has(f.id) || injectedRejected.has(f.id)) continue;
      if (EXHAUSTED.test(f.code ?? '')) exhausted++;
      else problems.push(`${f.id} failed unexpectedly: ${f.code}/${f.message}`);
    }
    const stranger = byId.get(STRANGER);
    if (isUnlabelled(stranger) && !injectedRejected.has(STRANGER)) unlabelled++;
    else if (
      stranger?.state !== 'failed' ||
      (stranger.message !== MSG_NOT_FOUND &&
        !(notReported.has(STRANGER) && stranger.message === MSG_NOT_REPORTED) &&
        !EXHAUSTED.test(stranger.code ?? ''))
    )
      problems.push(`stranger ${stranger?.state}/${stranger?.code}/${stranger?.message}`);
    return {
      ok: problems.length === 0,
      problems,
      report,
      state: batch?.state,
      counts: { ...(batch?.counts ?? {}) },
      failed,
      notReported: [...notReported],
      injectedRejected: [...injectedRejected],
      exhausted,
      unlabelled,
      runner: runner.stats(),
      emulator: env.faultStats(),
      wire: wireStats,
      writes: writes.length,
      ms: Date.now() - t0,
    };
  } finally {
    await runner.stop();
    await env.close();
  }
}

export interface StormOptions {
  /** Virtual milliseconds during which every call (writes and reads) gets 429 APIG.0308. */
  stormMs: number;
  /** Retry-After seconds sent with the 429 (null: none, as APIG may not send it). */
  retryAfterS: number | null;
  /** Virtual ms per real ms (the runner's sleep and clock are scaled). Default 100. */
  scale?: number;
  ids?: number;
  concurrency?: number;
  /** Emulator fault shares after the storm (healthy by default). */
  after?: Record<string, number>;
  runner?: Partial<RunnerOptions>;
}

export interface StormResult {
  ok: boolean;
  problems: string[];
  report: CheckReport;
  counts: Record<string, number>;
  throttled: number;
  /** Calls in flight at once on the wire (highest). */
  wirePeak: number;
  runner: RunnerStats;
  /** Virtual ms from the start to the drain. */
  virtualMs: number;
  /** The batch was seen waiting (state_reason set) during the storm. */
  sawWaiting: boolean;
  ms: number;
}

/** F4: a long throttle storm in virtual time, then healthy; nothing may fail. */
export async function runThrottleStorm(opts: StormOptions): Promise<StormResult> {
  const t0 = Date.now();
  const scale = opts.scale ?? 100;
  const concurrency = opts.concurrency ?? 3;
  const env = await openEnv(opts.after ? { seed: 7, ...opts.after } : null);
  const virtualNow = () => (Date.now() - t0) * scale;
  const stormEnd = opts.stormMs;
  let inFlight = 0;
  let wirePeak = 0;
  let throttled = 0;
  let clock = 0;
  const writes: ObservedWrite[] = [];
  const box: { watch: TerminalWatch | null; batchId: string | null } = {
    watch: null,
    batchId: null,
  };
  let sawWaiting = false;
  const fetchImpl: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const url = String(input instanceof Request ? input.url : input);
    const write = isWrite(method, url);
    if (write) {
      writes.push({
        at: ++clock,
        ids: (JSON.parse(bodyText(init?.body)) as { ids: string[] }).ids,
      });
      box.watch?.sample();
    }
    if (box.batchId && env.ledger.getBatch(box.batchId)?.state_reason) sawWaiting = true;
    inFlight++;
    wirePeak = Math.max(wirePeak, inFlight);
    try {
      if (virtualNow() < stormEnd) {
        throttled++;
        return Response.json(
          {
            error_code: 'APIG.0308',
            error_msg: `The throttling threshold has been reached: policy user over ratelimit,limit:50,time:1 second`,
            request_id: `storm-${throttled}`,
          },
          {
            status: 429,
            headers: opts.retryAfterS === null ? {} : { 'Retry-After': String(opts.retryAfterS) },
          },
        );
      }
      return await fetch(input, init);
    } finally {
      inFlight--;
    }
  };
  const upstream = createUpstream({
    endpoint: env.emulator.url,
    projectId: DEMO_PROJECT_ID,
    timeoutMs: 2_000,
    fetchImpl,
  });
  const runner = createRunner({
    ...onSqlite(env.ledger),
    upstream,
    concurrency,
    sleep: (ms) => new Promise((res) => setTimeout(res, ms / scale)),
    now: () => Date.parse('2026-11-01T00:00:00Z') + virtualNow(),
    random: seededRandom('storm'),
    ...opts.runner,
  });
  // Only alerts not linked by the seed, so I2 sees this batch's writes alone.
  const subject = INCIDENTS[1] ?? '';
  const seeded = linkedIds(env.emulatorDb, {
    workspaceId: CHAOS_WS,
    dataclass: 'incidents',
    objectId: subject,
    related: 'alerts',
  });
  const ids = ALERTS.filter((x) => !seeded.has(x.toLowerCase())).slice(0, opts.ids ?? 500);
  try {
    const batchId = createBatchRow(env.ledger, ids, subject);
    box.batchId = batchId;
    box.watch = new TerminalWatch(env.ledger, batchId);
    const poll = setInterval(() => {
      if (env.ledger.getBatch(batchId)?.state_reason) sawWaiting = true;
    }, 5);
    try {
      await runner.start(batchId);
    } finally {
      clearInterval(poll);
    }
    const virtualMs = virtualNow();
    const batch = env.ledger.getBatch(batchId);
    const report = checkInvariants({
      ledger: env.ledger,
      batchId,
      inputIds: ids,
      emulatorDb: env.emulatorDb,
      writes,
      watch: box.watch,
    });
    const stats = runner.stats();
    const problems: string[] = [];
    if (!report.ok) problems.push('invariants');
    if (batch?.state !== 'done') problems.push(`batch ${batch?.state ?? 'missing'}`);
    if ((batch?.counts.failed ?? 0) > 0) problems.push(`${batch?.counts.failed} failed`);
    if ((batch?.counts.succeeded ?? 0) !== ids.length)
      problems.push(`succeeded ${batch?.counts.succeeded}/${ids.length}`);
    if (stats.peakInFlight > concurrency) problems.push(`peak in flight ${stats.peakInFlight}`);
    if (wirePeak > concurrency) problems.push(`wire peak ${wirePeak}`);
    if (throttled === 0) problems.push('the storm throttled nothing');
    if (virtualMs < stormEnd) problems.push('drained before the storm ended');
    return {
      ok: problems.length === 0,
      problems,
      report,
      counts: { ...(batch?.counts ?? {}) },
      throttled,
      wirePeak,
      runner: stats,
      virtualMs,
      sawWaiting,
      ms: Date.now() - t0,
    };
  } finally {
    await runner.stop();
    await env.close();
  }
}
