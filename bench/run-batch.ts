/**
 * Run benchmark: a 100,000-ID associate batch completes, with the per-ID ledger, within 1.5x the
 * time of a bare loop sending the same reads and writes (for each 100 IDs: the relation search
 * that tells which are linked, then the associate call) straight to the emulator with the same
 * concurrency; the server's memory stays flat; and the same batch with half its IDs already
 * linked sends half the writes.
 *
 * Starts the real server (`node --import tsx server/main.ts`, emulator mode, loopback, free ports,
 * a temporary DATA_DIR, EMULATOR_SEED {"alerts":100000}; the seed is not timed), then:
 *   1. baseline: 1,000 × (a signed relation search of 100 IDs, then a signed POST of those 100),
 *      from this process straight to the emulator (createUpstream + the demo AK/SK),
 *      BATCH_CONCURRENCY workers, on incident #0;
 *   2. the batch: POST /api/batches with the same 100,000 IDs on incident #1, polled like the UI
 *      (GET /api/batches/{id} every 500 ms); timed from the POST to the batch's `finished_at`;
 *   3. half linked: every other ID is linked to incident #2 first (not timed), then the same batch
 *      on incident #2: its write calls are counted against the first batch's.
 * The server's VmRSS is sampled every 100 ms from /proc; fsyncs are counted per file with
 * `strace -f --seccomp-bpf -e trace=fsync,fdatasync` (only those syscalls stop the process) when
 * strace is installed (BENCH_STRACE=0 turns it off). I1–I5 are checked on the files afterwards.
 * RUN_BATCH_CONCURRENCY: comma-separated concurrencies to run (default: BATCH_CONCURRENCY or 2).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchSummarySchema, type BatchSummary } from '../src/api/schemas.ts';
import Database from 'better-sqlite3';
import { formatReport, linkedIds } from '../server/testing/checker.ts';
import { idsSearchBody } from '../server/secmaster/operations.ts';
import { checkFiles } from '../server/testing/process-harness.ts';
import { Credentials, DEMO_PROJECT_ID } from '../server/config.ts';
import { createUpstream } from '../server/secmaster/client.ts';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const N_IDS = 100_000;
const PER_CALL = 100;
const TARGET_RATIO = 1.5;
const POLL_MS = 500; // the UI's ACTIVE_POLL_MS
const HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'bench' };

export interface BenchServer {
  url: string;
  emulatorUrl: string;
  /** The node process (not strace). */
  pid: number;
  child: ChildProcess;
  /** strace's output file, when traced. */
  traceFile: string | null;
  output(): string;
  stop(): Promise<void>;
}

export function hasStrace(): boolean {
  if (process.env.BENCH_STRACE === '0') return false;
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** The first child process of `pid` (strace's tracee), read from /proc. */
function childOf(pid: number): number | null {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (kids) return Number(kids.split(/\s+/)[0]);
    }
  } catch {
    // gone
  }
  return null;
}

/** Starts `server/main.ts` on free loopback ports (PORT=0, EMULATOR_PORT=0), optionally under strace. */
export async function startBenchServer(
  env: Record<string, string>,
  opts: { trace?: boolean; startTimeoutMs?: number } = {},
): Promise<BenchServer> {
  const traceFile = opts.trace ? join(env.DATA_DIR ?? tmpdir(), 'fsync.trace') : null;
  const nodeArgs = [
    ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    '--import',
    'tsx',
    'server/main.ts',
  ];
  const [cmd, args] = traceFile
    ? [
        'strace',
        [
          '-f',
          '--seccomp-bpf',
          '-y',
          '-ttt',
          '-e',
          'trace=fsync,fdatasync',
          '-o',
          traceFile,
          process.execPath,
          ...nodeArgs,
        ],
      ]
    : [process.execPath, nodeArgs];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      EMULATOR_PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [url, emulatorUrl] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${out}`)),
      opts.startTimeoutMs ?? 180_000,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m =
        /association console on (http:\/\/127\.0\.0\.1:\d+) \(emulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(
          out,
        );
      if (m?.[1] && m[2]) {
        clearTimeout(timer);
        resolve([m[1], m[2]]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening:\n${out}`));
    });
  });
  const pid = traceFile ? childOf(child.pid ?? 0) : (child.pid ?? null);
  if (pid === null) throw new Error('could not find the server process');
  return {
    url,
    emulatorUrl,
    pid,
    child,
    traceFile,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, 'SIGTERM'); // the node process; strace exits with it
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Samples a process's VmRSS (kB) every `everyMs`. */
export function rssSampler(pid: number, everyMs = 100) {
  const read = (field: 'VmRSS' | 'VmHWM'): number => {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
        readFileSync(`/proc/${pid}/status`, 'utf8'),
      );
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  };
  let peak = 0;
  let last = 0;
  const samples: number[] = [];
  const timer = setInterval(() => {
    last = read('VmRSS');
    samples.push(last);
    peak = Math.max(peak, last);
  }, everyMs);
  return {
    now: () => read('VmRSS'),
    hwm: () => read('VmHWM'),
    /** Resets the peak (start of a measured window). */
    mark() {
      peak = read('VmRSS');
      samples.length = 0;
    },
    peak: () => peak,
    samples: () => samples,
    last: () => last,
    stop: () => clearInterval(timer),
  };
}

/** fsync/fdatasync lines of an strace -ttt -y log between two epoch times (s), counted per file. */
export function fsyncsBetween(traceFile: string, from: number, to: number): Map<string, number> {
  const byFile = new Map<string, number>();
  if (!existsSync(traceFile)) return byFile;
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    const m = /^\d+\s+(\d+\.\d+) f(?:data)?sync\(\d+<([^>]*)>/.exec(line);
    if (!m) continue;
    const at = Number(m[1]);
    if (at < from || at > to) continue;
    const file = (m[2] ?? '?').split('/').pop() ?? '?';
    byFile.set(file, (byFile.get(file) ?? 0) + 1);
  }
  return byFile;
}

export function fmtFsyncs(m: Map<string, number>): string {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  const parts = [...m.entries()].sort().map(([f, n]) => `${f} ${n}`);
  return `${total}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

async function getBatch(url: string, id: string): Promise<BatchSummary> {
  const res = await fetch(`${url}/api/batches/${id}`);
  return batchSummarySchema.parse(await res.json());
}

/**
 * POSTs an associate batch (alerts) and polls it like the UI until it stops; the
 * batch as it ended, and when the POST was sent.
 */
async function runConsoleBatch(
  url: string,
  body: Record<string, unknown>,
  deadline: number,
): Promise<{ batch: BatchSummary; sentAt: number; createMs: number }> {
  const sentAt = Date.now();
  const res = await fetch(`${url}/api/batches`, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({ action: 'associate', related_dataclass_type: 'alerts', ...body }),
  });
  if (res.status !== 201) throw new Error(`POST /api/batches: ${res.status} ${await res.text()}`);
  let batch = batchSummarySchema.parse(await res.json());
  const createMs = Date.now() - sentAt;
  while (batch.state === 'running') {
    if (Date.now() > deadline) throw new Error(`batch still running: ${JSON.stringify(batch)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
    batch = await getBatch(url, batch.id);
  }
  return { batch, sentAt, createMs };
}

async function runOnce(concurrency: number, trace: boolean): Promise<boolean> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-run-'));
  const ids = seedObjectIds(0, 'alerts', N_IDS);
  const [baselineSubject, batchSubject, halfSubject] = seedObjectIds(0, 'incidents', 3) as [
    string,
    string,
    string,
  ];
  const workspace = SEED_WORKSPACES[0].id;
  const t0 = performance.now();
  const server = await startBenchServer(
    {
      DATA_DIR: dataDir,
      EMULATOR_SEED: JSON.stringify({ alerts: N_IDS }),
      BATCH_CONCURRENCY: String(concurrency),
    },
    { trace },
  );
  const startMs = performance.now() - t0;
  const rss = rssSampler(server.pid);
  try {
    // --- Baseline: the bare loop, straight to the emulator -------------------------------------
    const upstream = createUpstream({
      endpoint: server.emulatorUrl,
      projectId: DEMO_PROJECT_ID,
      timeoutMs: 20_000,
      credentials: Credentials.demo(),
    });
    let next = 0;
    let linked = 0;
    const baseFrom = Date.now() / 1000;
    const b0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i * PER_CALL < N_IDS; i = next++) {
          const read = await upstream.call({
            op: 'relationSearch',
            workspaceId: workspace,
            dataclass: 'incidents',
            objectId: baselineSubject,
            related: 'alerts',
            body: idsSearchBody(ids.slice(i * PER_CALL, (i + 1) * PER_CALL)),
          });
          if (read.status !== 200) throw new Error(`baseline read ${i}: HTTP ${read.status}`);
          const res = await upstream.call({
            op: 'associate',
            workspaceId: workspace,
            dataclass: 'incidents',
            objectId: baselineSubject,
            related: 'alerts',
            ids: ids.slice(i * PER_CALL, (i + 1) * PER_CALL),
          });
          if (res.status !== 200) throw new Error(`baseline call ${i}: HTTP ${res.status}`);
          const data = (res.body as { data?: { success_ids?: unknown[] } }).data;
          linked += data?.success_ids?.length ?? 0;
        }
      }),
    );
    const baselineMs = performance.now() - b0;
    const baseTo = Date.now() / 1000;
    if (linked !== N_IDS) throw new Error(`baseline linked ${linked} of ${N_IDS}`);
    const emulatorFile = join(dataDir, 'emulator.sqlite');
    const linksOf = (objectId: string): Set<string> => {
      const db = new Database(emulatorFile, { readonly: true });
      try {
        return linkedIds(db, {
          workspaceId: workspace,
          dataclass: 'incidents',
          objectId,
          related: 'alerts',
        });
      } finally {
        db.close();
      }
    };
    const linkedBefore = linksOf(batchSubject);

    // --- The batch through the console -----------------------------------------------------------
    await new Promise((r) => setTimeout(r, 500));
    rss.mark();
    const rssBefore = rss.now();
    const runFrom = Date.now() / 1000;
    const deadline = Date.now() + 10 * 60_000;
    const batchOn = (subject: string) =>
      runConsoleBatch(
        server.url,
        { workspace_id: workspace, dataclass_type: 'incidents', data_object_id: subject, ids },
        deadline,
      );
    const { batch, sentAt, createMs } = await batchOn(batchSubject);
    const created = batch;
    const runTo = Date.now() / 1000;
    const runMs = Date.parse(batch.finished_at ?? new Date().toISOString()) - sentAt;
    const rssPeak = Math.max(rss.peak(), rss.now());
    const rssAfter = rss.now();
    const hwm = rss.hwm();

    // --- Half linked: the same batch where every other ID is linked already ---------------------
    const half = ids.filter((_, i) => i % 2 === 0);
    let nextHalf = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = nextHalf++; i * PER_CALL < half.length; i = nextHalf++) {
          const r = await upstream.call({
            op: 'associate',
            workspaceId: workspace,
            dataclass: 'incidents',
            objectId: halfSubject,
            related: 'alerts',
            ids: half.slice(i * PER_CALL, (i + 1) * PER_CALL),
          });
          if (r.status !== 200) throw new Error(`half-link call ${i}: HTTP ${r.status}`);
        }
      }),
    );
    const halfBefore = linksOf(halfSubject);
    const { batch: halfBatch, sentAt: halfSent } = await batchOn(halfSubject);
    const halfMs = Date.parse(halfBatch.finished_at ?? new Date().toISOString()) - halfSent;
    rss.stop();
    await server.stop();

    const { report, figures } = checkFiles(dataDir, created.id, ids, linkedBefore);
    const halfCheck = checkFiles(dataDir, halfBatch.id, ids, halfBefore);
    const ratio = runMs / baselineMs;
    const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
    console.log(
      `run-batch: ${N_IDS.toLocaleString('en')}-ID associate batch, BATCH_CONCURRENCY=${concurrency} (server started and seeded in ${(startMs / 1000).toFixed(1)} s, not timed)`,
    );
    console.log(
      `  baseline (1,000 × a signed relation search of 100 IDs + the signed POST of those 100, straight to the emulator, ${concurrency} at a time): ${(baselineMs / 1000).toFixed(2)} s`,
    );
    console.log(
      `  batch (POST /api/batches → finished_at, ledger per ID):  ${(runMs / 1000).toFixed(2)} s  ratio ${ratio.toFixed(2)}x  (target ≤ ${TARGET_RATIO}x) ${ratio <= TARGET_RATIO ? 'ok' : 'OVER'}`,
    );
    console.log(
      `    of which POST /api/batches (validate + create 100,000 rows): ${createMs} ms; state ${batch.state}; ${Object.entries(
        batch.counts,
      )
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `  server RSS: ${mb(rssBefore)} before the batch, peak ${mb(rssPeak)} during it (sampled every 100 ms), ${mb(rssAfter)} after; VmHWM ${mb(hwm)} (includes the seed)`,
    );
    const settled = batch.counts.succeeded + batch.counts.unchanged;
    console.log(
      `  ledger: ${figures.calls} write calls (${figures.retries} retries); ${settled === N_IDS ? `every ID linked (${batch.counts.unchanged} were already: no change)` : 'NOT every ID linked'}`,
    );
    const writeRatio = halfCheck.figures.calls / Math.max(1, figures.calls);
    console.log(
      `  half linked (every other ID linked before, incident #2): ${halfCheck.figures.calls} write calls vs ${figures.calls} = ${writeRatio.toFixed(2)} of the writes (target 0.5); succeeded ${halfBatch.counts.succeeded}, no change ${halfBatch.counts.unchanged}; ${(halfMs / 1000).toFixed(2)} s (${(halfMs / runMs).toFixed(2)}x the first batch)`,
    );
    if (server.traceFile) {
      console.log(
        `  fsyncs during the batch: ${fmtFsyncs(fsyncsBetween(server.traceFile, runFrom, runTo))}`,
      );
      console.log(
        `  fsyncs during the baseline: ${fmtFsyncs(fsyncsBetween(server.traceFile, baseFrom, baseTo))}`,
      );
    } else {
      console.log('  fsyncs: not counted (no strace; BENCH_STRACE=0)');
    }
    console.log(formatReport(report).replace(/^/gm, '  '));
    console.log('  half-linked batch:');
    console.log(formatReport(halfCheck.report).replace(/^/gm, '  '));
    return (
      report.ok &&
      halfCheck.report.ok &&
      settled === N_IDS &&
      ratio <= TARGET_RATIO &&
      writeRatio <= 0.51
    );
  } finally {
    rss.stop();
    await server.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchRunBatch(): Promise<void> {
  const list = process.env.RUN_BATCH_CONCURRENCY ?? process.env.BATCH_CONCURRENCY ?? '2';
  const trace = hasStrace();
  for (const c of list.split(',').map((s) => Number(s.trim()))) {
    if (!Number.isInteger(c) || c < 1 || c > 16) throw new Error(`bad concurrency ${c}`);
    await runOnce(c, trace);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRunBatch();
