/**
 * `npm run soak`: the full-count fault runs (`npm test` runs a few
 * seeds of each; this runs them all). Loopback only, free ports (PORT=0), temporary DATA_DIRs.
 *
 *   1. soak-10k   a 10,000-ID associate batch in the real server process under
 *                 {p500: 0.1, p429: 0.05, p_throttle: 0.05, p_hang: 0.02};
 *   2. soak-10k-kill  the same with a SIGKILL mid-batch and a restart;
 *   3. F1         SIGKILL at a different point per seed during a 2,000-ID batch (small latency,
 *                 short timeouts), restart, drain, I1–I7 (I7 sampled from the ledger file live);
 *   4. F5         mixed chaos in-process (real emulator on loopback, instant sleep): 500 / 429 /
 *                 APIG.0308 / hang / reset / apply-then-hang / apply-then-500 / 503 / delay /
 *                 malformed JSON / success:false partial / an ID in neither list; I1–I7 and
 *                 "not reported → failed with that message" (server/testing/chaos.ts);
 *   5. F4         throttle storms: 100 % 429 APIG.0308 for 30 s of virtual time (with and without
 *                 Retry-After), then healthy: nothing failed, concurrency ≤ limit, I1–I7; plus a
 *                 120 s storm, past the 6 throttled attempts of B2, where failures are reported
 *                 (a figure) but only I1–I7 gate.
 * Prints a progress line per run and a summary table; exits 1 if any run fails.
 *
 * `npm run soak -- --pg`: instead, the shared-ledger runs (issue 14): two console processes in
 * secmaster mode on one PostgreSQL (a cluster of its own) and one logged emulator process
 * (server/testing/logged-emulator.ts), each console with an AK of its own, DATABASE_LEASE_MS 3000:
 *   6. pg-10k-kill  a SOAK_IDS batch under the fault mix above on console A, A SIGKILLed at half
 *                   way, B takes it over and finishes it;
 *   7. pg-10k-stop  the same with A paused (SIGSTOP) at a third, continued once B has claimed it:
 *                   A must send nothing more.
 *   Each: I1–I8 on the shared ledger (I7 sampled from PostgreSQL while it runs), no ID written by B
 *   after A without a re-read in between (the emulator's request log), a third console answering
 *   the history, the batch and its results as B does; figures: duration, takeover time (from the
 *   kill or stop to B's first call for the batch), the IDs B re-read.
 *
 * Knobs (environment):
 *   SOAK_IDS            IDs in the 10k runs (default 10000)
 *   SOAK_KILL_RUNS      F1 seeds (default 30)
 *   SOAK_KILL_IDS       IDs per F1 run (default 2000)
 *   SOAK_CHAOS_SEEDS    F5 seeds (default 200)
 *   SOAK_CHAOS_IDS      existing IDs per F5 batch, ≤ 600 (default 600; plus one unknown ID)
 *   SOAK_STORM_S        the gating storm length in virtual seconds (default 30)
 *   SOAK_ONLY           comma list of cases to run: 10k,f1,f5,f4 (default all)
 *   SOAK_PHASE_TIMEOUT_MS  per process phase (default 240000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  F5_FULL_EMULATOR_FAULTS,
  F5_FULL_WIRE_FAULTS,
  runChaosSeed,
  runThrottleStorm,
} from '../server/testing/chaos';
import { formatReport, type CheckReport } from '../server/testing/checker';
import {
  checkFiles,
  kill9,
  pollBatch,
  postBatch,
  startServer,
  stopServer,
  type ServerProcess,
} from '../server/testing/process-harness';
import { SEED_WORKSPACES, openEmulatorDb, seedObjectIds, seededRandom } from 'secmaster-emulator';
import { linkedIds } from '../server/testing/checker';
import { startLoggedEmulator, type LoggedEmulator } from '../server/testing/logged-emulator';
import { PgTerminalWatch, checkSharedBatch } from '../server/testing/pg-ledger-check';
import { startPostgres } from '../server/testing/postgres';
import { getText, pollOutput } from '../server/testing/process-harness';
import {
  checkResends,
  firstAfter,
  observedWrites,
  requestsFor,
  sentAfter,
} from '../server/testing/request-log';
import { SharedConsoles } from '../server/testing/shared-consoles';

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  return Number.isFinite(v) && v >= 0 ? Math.floor(v) : dflt;
};
const N = num('SOAK_IDS', 10_000);
const KILL_RUNS = num('SOAK_KILL_RUNS', 30);
const KILL_IDS = num('SOAK_KILL_IDS', 2000);
const CHAOS_SEEDS = num('SOAK_CHAOS_SEEDS', 200);
const CHAOS_IDS = Math.min(600, num('SOAK_CHAOS_IDS', 600));
const STORM_S = num('SOAK_STORM_S', 30);
const PHASE_TIMEOUT_MS = num('SOAK_PHASE_TIMEOUT_MS', 240_000);
const ONLY = new Set(
  (process.env.SOAK_ONLY ?? '10k,f1,f5,f4')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const FAULTS = { p500: 0.1, p429: 0.05, p_throttle: 0.05, p_hang: 0.02 };
/** `--pg`: the shared-ledger runs instead (see above). */
const PG = process.argv.slice(2).includes('--pg');
const started = Date.now();
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const elapsed = () => `[${secs(Date.now() - started)}]`;

interface Row {
  name: string;
  runs: number;
  passed: number;
  failed: number;
  figures: string;
}
const rows: Row[] = [];

/** Samples item states from the ledger file while the server runs (I7: terminal states never change). */
class FileWatch {
  private db: Database.Database | null = null;
  private readonly seen = new Map<string, string>();
  readonly violations: string[] = [];
  samples = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  constructor(
    private readonly file: string,
    private readonly batchId: string,
  ) {}
  start(everyMs = 50): void {
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): void {
    try {
      this.db ??= new Database(this.file, { readonly: true, fileMustExist: true });
      const rs = this.db
        .prepare('SELECT id, state FROM items WHERE batch_id = ?')
        .all(this.batchId) as { id: string; state: string }[];
      this.samples++;
      for (const r of rs) {
        const before = this.seen.get(r.id);
        if (before !== undefined && before !== r.state)
          this.violations.push(`${r.id}: ${before} → ${r.state}`);
        if (['succeeded', 'unchanged', 'failed', 'invalid', 'skipped'].includes(r.state))
          this.seen.set(r.id, r.state);
      }
    } catch {
      // busy or mid-restart: the next sample catches up
    }
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    this.db?.close();
    this.db = null;
  }
}

function withI7(report: CheckReport, watch: FileWatch): CheckReport {
  const I7 = {
    ok: watch.violations.length === 0 && watch.samples > 0,
    detail: `changed terminal states ${watch.violations.length} over ${watch.samples} samples${watch.violations.length ? ` (${watch.violations.slice(0, 3).join(', ')})` : ''}`,
  };
  const results = { ...report.results, I7 };
  return { ok: Object.values(results).every((r) => r.ok), results };
}

interface ProcessRun {
  ok: boolean;
  report: CheckReport;
  runMs: number;
  line: string;
  figures: ReturnType<typeof checkFiles>['figures'];
}

/** One real-process run: post a batch, optionally SIGKILL when `killAt` IDs succeeded (+ jitter), restart, drain. */
async function processRun(o: {
  ids: number;
  faults: Record<string, unknown>;
  env: Record<string, string>;
  subjectIndex: number;
  killAt: number | null;
  jitterMs?: number;
}): Promise<ProcessRun> {
  const dir = mkdtempSync(join(tmpdir(), 'soak-'));
  const env = {
    DATA_DIR: dir,
    EMULATOR_SEED: JSON.stringify({ alerts: Math.max(12_000, o.ids + 1000) }),
    EMULATOR_FAULTS: JSON.stringify(o.faults),
    ...o.env,
  };
  const ids = seedObjectIds(0, 'alerts', o.ids);
  const [subject] = seedObjectIds(0, 'incidents', o.subjectIndex + 1).slice(o.subjectIndex);
  const procs: ServerProcess[] = [];
  let watch: FileWatch | null = null;
  try {
    const first = await startServer(env, { startTimeoutMs: 120_000 });
    procs.push(first);
    const tStart = Date.now();
    const batch = await postBatch(first.url, {
      action: 'associate',
      workspace_id: SEED_WORKSPACES[0].id,
      dataclass_type: 'incidents',
      data_object_id: subject,
      related_dataclass_type: 'alerts',
      ids,
    });
    watch = new FileWatch(join(dir, 'ledger.sqlite'), batch.id);
    watch.start();
    let url = first.url;
    let line = '';
    if (o.killAt !== null) {
      const killAt = o.killAt;
      const b = await pollBatch(
        url,
        batch.id,
        (x) => x.counts.succeeded >= killAt || x.state !== 'running',
        PHASE_TIMEOUT_MS,
      );
      if (o.jitterMs) await new Promise((r) => setTimeout(r, o.jitterMs));
      await kill9(first);
      line = `SIGKILL at ≥${b.counts.succeeded} succeeded +${o.jitterMs ?? 0} ms (${b.counts.in_flight} in flight at the poll)`;
      const second = await startServer(env, { startTimeoutMs: 120_000 });
      procs.push(second);
      url = second.url;
    }
    await pollBatch(url, batch.id, (x) => x.state !== 'running', PHASE_TIMEOUT_MS);
    const runMs = Date.now() - tStart;
    for (const p of procs) await stopServer(p);
    watch.stop();
    const checked = checkFiles(dir, batch.id, ids);
    const report = withI7(checked.report, watch);
    const { figures } = checked;
    if (figures.state !== 'done') {
      // Why the batch stopped short, for the failure line (the ledger says it in its own words).
      const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
      const row = db.prepare('SELECT state, state_reason FROM batches WHERE id = ?').get(batch.id);
      db.close();
      line += `; batch ${JSON.stringify(row)}`;
    }
    // IDs the seed had linked already are unchanged (never sent); I8 checks which when given.
    const ok =
      report.ok &&
      figures.state === 'done' &&
      figures.counts.succeeded + figures.counts.unchanged === o.ids;
    return { ok, report, runMs, line, figures };
  } finally {
    watch?.stop();
    for (const p of procs) await stopServer(p).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function soak10k(): Promise<void> {
  for (const [name, seed, killAt] of [
    ['soak-10k', 101, null],
    ['soak-10k-kill', 202, Math.floor(N / 2)],
  ] as const) {
    let r: ProcessRun;
    try {
      r = await processRun({
        ids: N,
        faults: { seed, ...FAULTS },
        env: { BATCH_CALL_TIMEOUT_MS: '1000', BATCH_CONCURRENCY: '4' },
        subjectIndex: 12,
        killAt,
      });
    } catch (err) {
      console.log(`${elapsed()} ${name} ERROR ${err instanceof Error ? err.message : String(err)}`);
      rows.push({ name, runs: 1, passed: 0, failed: 1, figures: 'error' });
      continue;
    }
    const f = r.figures;
    console.log(
      `\n${elapsed()} == ${name} ${r.ok ? 'ok' : 'FAILED'}${r.line ? ` (${r.line})` : ''}\n` +
        `batch ${f.state} in ${secs(r.runMs)}; faults ${JSON.stringify({ seed, ...FAULTS })}\n` +
        `IDs ${N}: ${Object.entries(f.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}\n` +
        `calls ${f.calls}, retries ${f.retries}, attempts (sum over IDs) ${f.attempts}, ` +
        `calls left unknown by the crash ${f.unknownAfterRestart}, settled by re-read as succeeded ${f.confirmedByReread}\n` +
        formatReport(r.report),
    );
    rows.push({
      name,
      runs: 1,
      passed: r.ok ? 1 : 0,
      failed: r.ok ? 0 : 1,
      figures: `${secs(r.runMs)}, calls ${f.calls}, retries ${f.retries}, attempts ${f.attempts}, unknown after crash ${f.unknownAfterRestart}`,
    });
  }
}

/** The lease and call timeout of the `--pg` consoles: takeovers within seconds. */
const PG_LEASE_MS = 3_000;
const PG_CALL_TIMEOUT_MS = 1_000;

interface PgRun {
  ok: boolean;
  report: CheckReport;
  figures: Awaited<ReturnType<typeof checkSharedBatch>>['figures'];
  resends: ReturnType<typeof checkResends>;
  runMs: number;
  /** From the kill or stop to B's first call for the batch. */
  takeoverMs: number | null;
  /** Problems found besides the invariants (each a sentence). */
  problems: string[];
  line: string;
}

/**
 * One shared-ledger run (see the header): a batch of N IDs on console A, A killed (`kill`) or
 * paused until B has claimed the batch (`stop`), B finishes it; then the checks.
 */
async function pgRun(how: 'kill' | 'stop', seed: number, subjectIndex: number): Promise<PgRun> {
  const cluster = await startPostgres();
  const onExit = () => cluster.stop();
  process.once('exit', onExit);
  let emulator: LoggedEmulator | null = null;
  let consoles: SharedConsoles | null = null;
  let watch: PgTerminalWatch | null = null;
  try {
    const databaseUrl = await cluster.createDatabase('soak');
    emulator = await startLoggedEmulator({
      seed: { alerts: Math.max(12_000, N + 1000) },
      faults: { seed, ...FAULTS },
      startTimeoutMs: 120_000,
    });
    consoles = new SharedConsoles({
      emulatorUrl: emulator.url,
      databaseUrl,
      leaseMs: PG_LEASE_MS,
      callTimeoutMs: PG_CALL_TIMEOUT_MS,
      concurrency: 4,
    });
    const a = await consoles.start('A', { startTimeoutMs: 120_000 });
    const b = await consoles.start('B', { startTimeoutMs: 120_000 });
    const ids = seedObjectIds(0, 'alerts', N);
    const subject = seedObjectIds(0, 'incidents', subjectIndex + 1)[subjectIndex] ?? '';
    const body = {
      action: 'associate',
      workspace_id: SEED_WORKSPACES[0].id,
      dataclass_type: 'incidents',
      data_object_id: subject,
      related_dataclass_type: 'alerts',
      ids,
    };
    const emulatorDb = openEmulatorDb(emulator.emulatorFile, { readonly: true });
    const linkedBefore = linkedIds(emulatorDb, {
      workspaceId: SEED_WORKSPACES[0].id,
      dataclass: 'incidents',
      objectId: subject,
      related: 'alerts',
    });
    emulatorDb.close();

    const tStart = Date.now();
    const batch = await postBatch(a.url, body);
    watch = new PgTerminalWatch(databaseUrl, batch.id);
    watch.start(250);
    const problems: string[] = [];
    const at = await pollBatch(
      a.url,
      batch.id,
      (x) =>
        x.counts.succeeded + x.counts.unchanged >= Math.floor(N / (how === 'kill' ? 2 : 3)) ||
        x.state !== 'running',
      PHASE_TIMEOUT_MS,
    );
    const faultAt = Date.now();
    let line: string;
    let continuedAt: number | null = null;
    if (how === 'kill') {
      await kill9(a);
      line = `SIGKILL of A at ≥${at.counts.succeeded} succeeded (${at.counts.in_flight} in flight at the poll)`;
    } else {
      a.child.kill('SIGSTOP');
      try {
        await pollOutput(b, new RegExp(`batch ${batch.id}: lease claimed`), PHASE_TIMEOUT_MS);
      } finally {
        continuedAt = Date.now();
        a.child.kill('SIGCONT');
      }
      line = `SIGSTOP of A at ≥${at.counts.succeeded} succeeded, continued after ${secs(continuedAt - faultAt)} once B claimed it`;
      await pollOutput(a, new RegExp(`batch ${batch.id}: lease lost`), PHASE_TIMEOUT_MS);
    }
    const done = await pollBatch(b.url, batch.id, (x) => x.state !== 'running', PHASE_TIMEOUT_MS);
    const runMs = Date.now() - tStart;
    await watch.stop();

    const log = emulator.log();
    const takeover = firstAfter(log, subject, b.ak, faultAt);
    if (requestsFor(log, subject).some((r) => r.ak === b.ak && r.at < faultAt))
      problems.push('B sent calls for the batch before A was stopped');
    if (continuedAt !== null) {
      const after = sentAfter(log, a.ak, continuedAt);
      if (after.length > 0) problems.push(`A sent ${after.length} calls after it was continued`);
    }
    // A third console answers as B does: the history, the batch, its results.
    const c = await consoles.start('C', { startTimeoutMs: 120_000 });
    for (const path of [
      '/api/batches?limit=100',
      `/api/batches/${batch.id}`,
      `/api/batches/${batch.id}/export?format=json`,
    ]) {
      const [fromB, fromC] = await Promise.all([getText(b.url, path), getText(c.url, path)]);
      if (fromB.status !== 200 || fromB.text !== fromC.text)
        problems.push(`B and C answer ${path} differently (${fromB.status}, ${fromC.status})`);
    }
    await consoles.close();
    consoles = null;

    const { report, figures } = await checkSharedBatch({
      databaseUrl,
      batchId: batch.id,
      inputIds: ids,
      emulatorFile: emulator.emulatorFile,
      watch,
      check: { writes: observedWrites(log, subject), linkedBefore },
    });
    const resends = checkResends(log, subject);
    if (!resends.ok) problems.push(resends.detail);
    if (figures.state !== 'done') problems.push(`batch ${figures.state}: ${figures.stateReason}`);
    const ok =
      report.ok &&
      problems.length === 0 &&
      done.state === 'done' &&
      figures.counts.succeeded + figures.counts.unchanged === N;
    return {
      ok,
      report,
      figures,
      resends,
      runMs,
      takeoverMs: takeover ? takeover.at - faultAt : null,
      problems,
      line,
    };
  } finally {
    await watch?.stop();
    await consoles?.close();
    await emulator?.stop();
    await cluster.stopAsync();
    process.off('exit', onExit);
  }
}

async function soakPg(): Promise<void> {
  for (const [name, how, seed, subjectIndex] of [
    ['pg-10k-kill', 'kill', 303, 14],
    ['pg-10k-stop', 'stop', 404, 15],
  ] as const) {
    let r: PgRun;
    try {
      r = await pgRun(how, seed, subjectIndex);
    } catch (err) {
      console.log(`${elapsed()} ${name} ERROR ${err instanceof Error ? err.message : String(err)}`);
      rows.push({ name, runs: 1, passed: 0, failed: 1, figures: 'error' });
      continue;
    }
    const f = r.figures;
    const takeover = r.takeoverMs === null ? 'none' : secs(r.takeoverMs);
    console.log(
      `\n${elapsed()} == ${name} ${r.ok ? 'ok' : 'FAILED'} (${r.line})\n` +
        `batch ${f.state} in ${secs(r.runMs)}; takeover (B's first call after the ${how}) ${takeover}; faults ${JSON.stringify({ seed, ...FAULTS })}\n` +
        `IDs ${N}: ${Object.entries(f.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}\n` +
        `calls ${f.calls}, retries ${f.retries}, attempts (sum over IDs) ${f.attempts}; ` +
        `calls left in flight by A ${f.unknownCalls} (${f.unknownCallIds} IDs re-read by B, ${f.confirmedByReread} found applied)\n` +
        `resends: ${r.resends.detail}\n` +
        formatReport(r.report) +
        (r.problems.length > 0 ? `\nproblems: ${r.problems.join('; ')}` : ''),
    );
    rows.push({
      name,
      runs: 1,
      passed: r.ok ? 1 : 0,
      failed: r.ok ? 0 : 1,
      figures:
        `${secs(r.runMs)}, takeover ${takeover}, re-read ${f.unknownCallIds} IDs (${f.confirmedByReread} applied), ` +
        `resent by B ${r.resends.resentAcross}, calls ${f.calls}, retries ${f.retries}`,
    });
  }
}

async function f1(): Promise<void> {
  if (KILL_RUNS === 0) return;
  const jitter = seededRandom('soak-f1');
  let passed = 0;
  const times: number[] = [];
  let unknowns = 0;
  let retries = 0;
  let reread = 0;
  const failures: string[] = [];
  for (let i = 0; i < KILL_RUNS; i++) {
    // Kill points spread from 3 % to 95 % of the batch, plus 0–40 ms so the kill lands anywhere in a call.
    const killAt = Math.floor(KILL_IDS * (0.03 + (0.92 * i) / Math.max(1, KILL_RUNS - 1)));
    const jitterMs = Math.floor(jitter() * 40);
    const t0 = Date.now();
    try {
      const r = await processRun({
        ids: KILL_IDS,
        faults: { seed: 1000 + i, latency_ms: 10, p500: 0.05 },
        env: { BATCH_CALL_TIMEOUT_MS: '500' },
        subjectIndex: 6,
        killAt,
        jitterMs,
      });
      times.push(Date.now() - t0);
      unknowns += r.figures.unknownAfterRestart;
      retries += r.figures.retries;
      reread += r.figures.confirmedByReread;
      if (r.ok) passed++;
      else failures.push(`seed ${i}: ${formatReport(r.report)}`);
      console.log(
        `${elapsed()} F1 ${i + 1}/${KILL_RUNS} ${r.ok ? 'ok' : 'FAILED'}: ${r.line}; drained in ${secs(r.runMs)}; ` +
          `calls ${r.figures.calls}, unknown after crash ${r.figures.unknownAfterRestart}, confirmed by re-read ${r.figures.confirmedByReread}`,
      );
      if (!r.ok) console.log(formatReport(r.report));
    } catch (err) {
      failures.push(`seed ${i}: ${err instanceof Error ? err.message : String(err)}`);
      console.log(
        `${elapsed()} F1 ${i + 1}/${KILL_RUNS} ERROR ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  const mean = times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0;
  rows.push({
    name: `F1 kill -9 (${KILL_IDS} IDs)`,
    runs: KILL_RUNS,
    passed,
    failed: KILL_RUNS - passed,
    figures: `mean ${secs(mean)}/run, calls left unknown ${unknowns}, confirmed by re-read ${reread}, retries ${retries}`,
  });
}

async function f5(): Promise<void> {
  if (CHAOS_SEEDS === 0) return;
  let passed = 0;
  const sum = {
    writes: 0,
    retries: 0,
    rereads: 0,
    settled: 0,
    notReported: 0,
    rejected: 0,
    exhausted: 0,
    unlabelled: 0,
    faults: 0,
    wire: 0,
  };
  const t0 = Date.now();
  for (let i = 0; i < CHAOS_SEEDS; i++) {
    const seed = 5000 + i;
    try {
      const r = await runChaosSeed({
        seed,
        ids: CHAOS_IDS,
        emulatorFaults: { ...F5_FULL_EMULATOR_FAULTS },
        wire: F5_FULL_WIRE_FAULTS,
      });
      if (r.ok) passed++;
      sum.writes += r.writes;
      sum.retries += r.runner.retries;
      sum.rereads += r.runner.rereads;
      sum.settled += r.runner.unknownSettled;
      sum.notReported += r.notReported.length;
      sum.rejected += r.injectedRejected.length;
      sum.exhausted += r.exhausted;
      sum.unlabelled += r.unlabelled;
      const e = r.emulator?.outcomes;
      sum.faults += e
        ? Object.entries(e)
            .filter(([k]) => k !== 'pass')
            .reduce((a, [, v]) => a + v, 0)
        : 0;
      sum.wire += r.wire.e503 + r.wire.delayed + r.wire.malformed + r.wire.partial;
      if (!r.ok) {
        console.log(
          `${elapsed()} F5 seed ${seed} FAILED: ${r.problems.join('; ')}\n${formatReport(r.report)}`,
        );
      }
    } catch (err) {
      console.log(
        `${elapsed()} F5 seed ${seed} ERROR ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if ((i + 1) % 20 === 0 || i + 1 === CHAOS_SEEDS)
      console.log(`${elapsed()} F5 ${i + 1}/${CHAOS_SEEDS} seeds, ${passed} passed`);
  }
  rows.push({
    name: `F5 mixed chaos (${CHAOS_IDS}+1 IDs)`,
    runs: CHAOS_SEEDS,
    passed,
    failed: CHAOS_SEEDS - passed,
    figures:
      `${secs(Date.now() - t0)}; writes ${sum.writes}, faults emulator ${sum.faults} + wire ${sum.wire}, retries ${sum.retries}, ` +
      `re-reads ${sum.rereads}, unknowns settled ${sum.settled}, not reported→failed ${sum.notReported}, ` +
      `injected rejections ${sum.rejected}, failed after retries ran out ${sum.exhausted}, rejections left unlabelled (search failed) ${sum.unlabelled}`,
  });
}

async function f4(): Promise<void> {
  const cases = [
    {
      name: `F4 storm ${STORM_S} s, Retry-After 3`,
      stormMs: STORM_S * 1000,
      retryAfterS: 3,
      gateFailures: true,
      ids: 500,
      concurrency: 3,
    },
    {
      name: `F4 storm ${STORM_S} s, no Retry-After`,
      stormMs: STORM_S * 1000,
      retryAfterS: null,
      gateFailures: true,
      ids: 550,
      concurrency: 4,
    },
    {
      name: 'F4 storm 120 s (beyond B2 attempts)',
      stormMs: 120_000,
      retryAfterS: null,
      gateFailures: false,
      ids: 500,
      concurrency: 3,
    },
  ];
  for (const c of cases) {
    const r = await runThrottleStorm({
      stormMs: c.stormMs,
      retryAfterS: c.retryAfterS,
      ids: c.ids,
      concurrency: c.concurrency,
    });
    const ok = c.gateFailures
      ? r.ok
      : r.report.ok && r.counts.in_flight === 0 && r.counts.pending === 0;
    const ids = (r.counts.succeeded ?? 0) + (r.counts.unchanged ?? 0) + (r.counts.failed ?? 0);
    const fig =
      `${ids} IDs, limit ${c.concurrency}: throttled ${r.throttled}, retries ${r.runner.retries}, budget waits ${r.runner.budgetWaits}, ` +
      `peak in flight ${r.runner.peakInFlight} (wire ${r.wirePeak}), drained at ${secs(r.virtualMs)} virtual, ` +
      `succeeded ${r.counts.succeeded}, no change ${r.counts.unchanged ?? 0}, failed ${r.counts.failed}`;
    console.log(
      `\n${elapsed()} == ${c.name} ${ok ? (c.gateFailures ? 'ok' : 'ok (I1–I7 gate only)') : 'FAILED'}${r.problems.length ? ` (${r.problems.join('; ')})` : ''}\n${fig}\n${formatReport(r.report)}`,
    );
    rows.push({ name: c.name, runs: 1, passed: ok ? 1 : 0, failed: ok ? 0 : 1, figures: fig });
  }
}

if (PG) {
  console.log(
    `${elapsed()} soak --pg: ${N} IDs on two consoles sharing one PostgreSQL (SIGKILL, then SIGSTOP)`,
  );
  await soakPg();
} else {
  console.log(
    `${elapsed()} soak: 10k=${N} IDs, F1 ${KILL_RUNS}×${KILL_IDS} IDs, F5 ${CHAOS_SEEDS} seeds×${CHAOS_IDS + 1} IDs, F4 ${STORM_S} s storms; cases ${[...ONLY].join(',')}`,
  );
  if (ONLY.has('10k')) await soak10k();
  if (ONLY.has('f5')) await f5();
  if (ONLY.has('f4')) await f4();
  if (ONLY.has('f1')) await f1();
}

const ok = rows.every((r) => r.failed === 0);
const w = Math.max(...rows.map((r) => r.name.length), 4);
console.log(`\n${'case'.padEnd(w)}  runs  passed  failed  figures`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(w)}  ${String(r.runs).padStart(4)}  ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${r.figures}`,
  );
}
console.log(`\nsoak ${ok ? 'PASSED' : 'FAILED'} in ${secs(Date.now() - started)}`);
process.exit(ok ? 0 : 1);
