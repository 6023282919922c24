/**
 * Objects benchmark (issue 12): how fast the object page gets its data, and how fast it searches,
 * through the console's `/v1` routes (the browser's only way to SecMaster).
 *
 * Starts `server/main.ts` (emulator mode, `EMULATOR_SEED={"alerts":100000}`, free loopback ports,
 * temporary DATA_DIR; the seed is not timed), links 3,000 alerts to one incident straight in the
 * emulator (30 associate calls; not timed), then times, each OBJECTS_RUNS times (default 20) after
 * one warm-up:
 *  - the object page's first data: the incident (GET) and the first page (20) of its linked alerts,
 *    incidents and indicators, plus `GET /api/batches?touches=` — all in parallel, as the page
 *    asks them (target < 1 s);
 *  - a search inside its 3,000 linked alerts: a title `contains` and an `id in`, one page (target
 *    < 100 ms; loopback, so the time is the console's and the emulator's, not a network's), and
 *    the title search straight to the emulator, for the emulator's share.
 * ("Find an object" has its own bench: bench/find-object.ts.)
 * Prints the median, p95 and max of each; no assertions (timings are noisy on shared machines).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { Credentials, DEMO_PROJECT_ID } from '../server/config.ts';
import { createUpstream } from '../server/secmaster/client.ts';
import { startBenchServer } from './run-batch.ts';

const N_ALERTS = 100_000;
const N_LINKS = 3_000;
const PAGE = 20;
const RUNS = Number(process.env.OBJECTS_RUNS ?? 20);
const HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'bench' };

interface Stats {
  median: number;
  p95: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

const fmt = (s: Stats) =>
  `median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`;

async function timed(runs: number, once: () => Promise<void>): Promise<Stats> {
  await once(); // warm-up: connections, SQLite pages, JIT
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await once();
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

export async function benchObjects(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-objects-'));
  const server = await startBenchServer({
    DATA_DIR: dataDir,
    EMULATOR_SEED: JSON.stringify({ alerts: N_ALERTS }),
  });
  try {
    const workspace = SEED_WORKSPACES[0].id;
    const alerts = seedObjectIds(0, 'alerts', N_LINKS);
    const [incident] = seedObjectIds(0, 'incidents', 1) as [string];
    const upstream = createUpstream({
      endpoint: server.emulatorUrl,
      projectId: DEMO_PROJECT_ID,
      timeoutMs: 20_000,
      credentials: Credentials.demo(),
    });
    for (let at = 0; at < N_LINKS; at += 100) {
      const res = await upstream.call({
        op: 'associate',
        workspaceId: workspace,
        dataclass: 'incidents',
        objectId: incident,
        related: 'alerts',
        ids: alerts.slice(at, at + 100),
      });
      if (res.status !== 200) throw new Error(`linking the bench's alerts: HTTP ${res.status}`);
    }

    const base = `${server.url}/v1/${DEMO_PROJECT_ID}/workspaces/${workspace}/soc`;
    const call = async (path: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${path.startsWith('/') ? server.url : ''}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: HEADERS,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    };
    const contains = (field: string, text: string, limit = PAGE) => ({
      limit,
      offset: 0,
      condition: { conditions: [{ name: 'c', data: [field, 'contains', text] }], logics: ['c'] },
    });
    const idIn = (id: string, limit = PAGE) => ({
      limit,
      offset: 0,
      condition: { conditions: [{ name: 'c', data: ['id', 'in', id] }], logics: ['c'] },
    });

    const linked = (await call(`${base}/incidents/${incident}/alerts/search`, {
      limit: 1,
      offset: 0,
    })) as { total: number; data: { data_object: { title: string } }[] };
    // A word of a linked alert's title: what an analyst would search for.
    const word = linked.data[0]?.data_object.title.split(/\s+/)[0]?.toLowerCase() ?? 'brute';

    const firstData = await timed(RUNS, async () => {
      await Promise.all([
        call(`${base}/incidents/${incident}`),
        ...(['alerts', 'incidents', 'indicators'] as const).map((related) =>
          call(`${base}/incidents/${incident}/${related}/search`, { limit: PAGE, offset: 0 }),
        ),
        call(`/api/batches?touches=${incident}&limit=20`),
      ]);
    });
    let matching = 0;
    const searchTitle = await timed(RUNS, async () => {
      const page = (await call(
        `${base}/incidents/${incident}/alerts/search`,
        contains('title', word),
      )) as { total: number };
      matching = page.total;
    });
    // The same search straight to the emulator (signed): what of it is the emulator's own time.
    const searchTitleDirect = await timed(RUNS, async () => {
      const res = await upstream.call({
        op: 'relationSearch',
        workspaceId: workspace,
        dataclass: 'incidents',
        objectId: incident,
        related: 'alerts',
        body: contains('title', word),
      });
      if (res.status !== 200) throw new Error(`direct search: HTTP ${res.status}`);
    });
    const searchId = await timed(RUNS, async () => {
      await call(`${base}/incidents/${incident}/alerts/search`, idIn(alerts[N_LINKS - 1]!));
    });

    console.log(
      `objects: an incident with ${linked.total.toLocaleString('en')} linked alerts, in a workspace of ${N_ALERTS.toLocaleString('en')} alerts (${RUNS} runs each, after a warm-up)`,
    );
    console.log(
      `  object page's first data (object + first page of 3 link regions + batches touching it, in parallel): ${fmt(firstData)}  (target < 1000 ms)`,
    );
    console.log(
      `  search inside the links, title contains "${word}" (${matching.toLocaleString('en')} match): ${fmt(searchTitle)}  (target < 100 ms)`,
    );
    console.log(`    the same search straight to the emulator: ${fmt(searchTitleDirect)}`);
    console.log(`  search inside the links, id in (one ID): ${fmt(searchId)}  (target < 100 ms)`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchObjects();
