/**
 * Server latency benchmark (issue target 5: the console answers /v1 reads forwarded to the
 * emulator with at most 2 ms added p99 latency over calling the emulator directly, at 200 req/s).
 *
 * Starts the real server (`node --import tsx server/main.ts`, emulator mode, loopback, free ports,
 * a temporary DATA_DIR, default seed), then runs an open-loop load generator in this process
 * (node:http, keep-alive): one request every 5 ms (200/s), alternating
 *   GET  /v1/{pid}/workspaces?offset=0&limit=10
 *   POST /v1/{pid}/workspaces/{wid}/soc/alerts/search  {"limit":10}
 * (a) straight to the emulator, signed with the demo AK/SK (signRequest, as the console signs),
 * (b) to the console's /v1 (which checks, signs and forwards). Latency is measured from each
 * request's scheduled start (no coordinated omission). Phases: warm-up of each target
 * (LATENCY_WARMUP_S, default 2 s), then the targets measured in alternating 1-second blocks
 * (A B B A A B …) until each has had LATENCY_SECONDS (default 20 s, 4,000 requests), so drift,
 * GC cycles and the neighbours' load hit both alike and no pooled connection sits idle long
 * enough to be closed (which would measure reconnects rather than forwarding). Bounded: a request that
 * takes over 5 s counts as an error and the run ends when its schedule does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_AK, DEMO_PROJECT_ID, DEMO_SK } from '../server/config.ts';
import { SEED_WORKSPACES } from 'secmaster-emulator';
import { signRequest } from 'apig-signing';
import { startBenchServer } from './run-batch.ts';

const RATE = Number(process.env.LATENCY_RPS ?? 200);
const SECONDS = Number(process.env.LATENCY_SECONDS ?? 20);
const BLOCK_S = 1;
const WARMUP_S = Number(process.env.LATENCY_WARMUP_S ?? 2);
const TARGET_ADDED_P99_MS = 2;
const REQUEST_TIMEOUT_MS = 5_000;

type Target = 'direct' | 'console' | 'floor';

interface Sample {
  op: 'list' | 'search';
  ms: number;
  ok: boolean;
}

const LABELS: Record<Target, string> = {
  direct: 'baseline: emulator directly (signed)',
  console: 'console /v1 → emulator',
  floor: 'floor: bare proxy → emulator',
};
const ORDERS: Target[][] = [
  ['direct', 'console', 'floor'],
  ['console', 'floor', 'direct'],
  ['floor', 'direct', 'console'],
  ['direct', 'floor', 'console'],
  ['floor', 'console', 'direct'],
  ['console', 'direct', 'floor'],
];

function fail(message: string): never {
  throw new Error(message);
}

/** bench/bare-proxy.ts in its own process, forwarding to `upstream`. */
async function startBareProxy(upstream: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-proxy.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, BARE_PROXY_UPSTREAM: upstream },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error('bare proxy did not start within 30 s'));
    }, 30_000);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /bare proxy on (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`bare proxy exited: ${out}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

function summary(xs: readonly number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.at(-1) ?? NaN,
  };
}

function fmt(xs: readonly number[]): string {
  const s = summary(xs);
  return `n ${String(s.n).padStart(5)}  p50 ${s.p50.toFixed(2)}  p90 ${s.p90.toFixed(2)}  p99 ${s.p99.toFixed(2)}  max ${s.max.toFixed(2)} ms`;
}

export async function benchServerLatency(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-latency-'));
  const server = await startBenchServer({ DATA_DIR: dataDir });
  let proxy: Awaited<ReturnType<typeof startBareProxy>> | null = null;
  const pid = DEMO_PROJECT_ID;
  const ws = SEED_WORKSPACES[0].id;
  const listPath = `/v1/${pid}/workspaces?offset=0&limit=10`;
  const searchPath = `/v1/${pid}/workspaces/${ws}/soc/alerts/search`;
  const searchBody = JSON.stringify({ limit: 10 });
  const searchBytes = new TextEncoder().encode(searchBody);

  // node:http with keep-alive: a lighter client than fetch, so the generator's own CPU and GC
  // disturb the two targets (which share these 2 cores) as little as possible.
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });

  /** One request of `op` to `target`; resolves ok when HTTP 200 and the body is read. */
  function request(target: Target, op: Sample['op']): Promise<boolean> {
    const base =
      target === 'direct'
        ? server.emulatorUrl
        : target === 'floor'
          ? (proxy?.url ?? fail('the bare proxy is not running'))
          : server.url;
    const url = `${base}${op === 'list' ? listPath : searchPath}`;
    const method = op === 'list' ? 'GET' : 'POST';
    let headers: Record<string, string>;
    if (target !== 'console') {
      // Signed for the emulator's own address: the bare proxy passes Host on as received.
      headers = signRequest({
        method,
        url: `${server.emulatorUrl}${op === 'list' ? listPath : searchPath}`,
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/json',
          'X-Project-Id': pid,
        },
        body: op === 'list' ? undefined : searchBytes,
        ak: DEMO_AK,
        sk: DEMO_SK,
        now: new Date(),
      });
      if (target === 'direct') delete headers.host;
    } else {
      headers =
        op === 'list' ? {} : { 'Content-Type': 'application/json', 'X-Requested-With': 'bench' };
    }
    return new Promise((resolve) => {
      const req = httpRequest(
        url,
        { method, headers, agent, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve(res.statusCode === 200));
          res.on('error', () => resolve(false));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
      req.end(op === 'list' ? undefined : searchBody);
    });
  }

  /** Open loop: request i starts at start + i/RATE whatever the earlier ones are doing. */
  async function phase(target: Target, seconds: number): Promise<Sample[]> {
    const total = Math.round(seconds * RATE);
    const interval = 1000 / RATE;
    const start = performance.now() + 20;
    const samples: Sample[] = [];
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + i * interval;
      // Sleep (never spin: a spinning generator takes a core from the servers it measures). A
      // timer may fire up to 1 ms late; latency counts from `due`, so that lateness weighs on both
      // targets alike.
      for (let wait = due - performance.now(); wait > 0; wait = due - performance.now())
        await new Promise((r) => setTimeout(r, Math.max(1, wait)));
      const op: Sample['op'] = i % 2 === 0 ? 'list' : 'search';
      inflight.push(
        request(target, op).then(
          (ok) => {
            samples.push({ op, ms: performance.now() - due, ok });
          },
          () => {
            samples.push({ op, ms: performance.now() - due, ok: false });
          },
        ),
      );
    }
    await Promise.all(inflight);
    return samples;
  }

  try {
    proxy = await startBareProxy(server.emulatorUrl);
    const targets: Target[] = ['direct', 'console', 'floor'];
    for (const t of targets) await phase(t, WARMUP_S);
    const got: Record<Target, Sample[]> = { direct: [], console: [], floor: [] };
    const blocks = Math.max(1, Math.round(SECONDS / BLOCK_S));
    for (let b = 0; b < blocks; b++) {
      // Every order of the three in turn, so none always follows another.
      const order = ORDERS[b % ORDERS.length] ?? targets;
      for (const t of order) got[t].push(...(await phase(t, BLOCK_S)));
    }

    console.log(
      `server-latency: /v1 reads at ${RATE} req/s open loop on loopback, ${SECONDS} s per target after ${WARMUP_S} s warm-up (GET workspaces?limit=10 and POST soc/alerts/search {limit:10}, alternating)`,
    );
    for (const t of targets) {
      const all = got[t];
      const errors = all.filter((s) => !s.ok).length;
      const label = LABELS[t];
      console.log(`  ${label.padEnd(38)} ${fmt(all.map((s) => s.ms))}  errors ${errors}`);
      for (const op of ['list', 'search'] as const)
        console.log(`    ${op.padEnd(34)} ${fmt(all.filter((s) => s.op === op).map((s) => s.ms))}`);
    }
    const d = summary(got.direct.map((s) => s.ms));
    const c = summary(got.console.map((s) => s.ms));
    const f = summary(got.floor.map((s) => s.ms));
    const added = c.p99 - d.p99;
    console.log(
      `  added p99: ${added.toFixed(2)} ms (p50 ${(c.p50 - d.p50).toFixed(2)} ms)  ratio ${(c.p99 / d.p99).toFixed(2)}x  (target ≤ ${TARGET_ADDED_P99_MS} ms) ${added <= TARGET_ADDED_P99_MS ? 'ok' : 'OVER'}`,
    );
    console.log(
      `  floor (bare pass-through proxy, its own process): added p99 ${(f.p99 - d.p99).toFixed(2)} ms (p50 ${(f.p50 - d.p50).toFixed(2)} ms); the console beyond the floor: p99 ${(c.p99 - f.p99).toFixed(2)} ms, p50 ${(c.p50 - f.p50).toFixed(2)} ms`,
    );
  } finally {
    agent.destroy();
    proxy?.stop();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchServerLatency();
