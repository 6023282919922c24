/**
 * "Find an object" benchmark (issue 12: < 300 ms on the emulator): the header combobox searches
 * every class of the workspace at once, one search per class in parallel through the console's
 * `/v1` read routes: an `id in` search when the text is ID-shaped, else a title (indicators: name)
 * `contains`, 10 options per class. Timed: the three parallel searches, from the first request
 * sent to the last answer read, for a found alert ID, an unknown ID, and titles that match many,
 * few and no alerts. Also the same searches straight to the emulator (signed), to show the
 * console's share.
 *
 * Starts `server/main.ts` (emulator mode, `EMULATOR_SEED={"alerts":100000}`, free loopback ports,
 * temporary DATA_DIR; the seed is not timed). Prints p50/p95 per kind of text; no assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataclassTypes, searchResponseSchema, type DataclassType } from '../src/api/schemas.ts';
import { Credentials, DEMO_PROJECT_ID } from '../server/config.ts';
import { createUpstream } from '../server/secmaster/client.ts';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { startBenchServer } from './run-batch.ts';

const N_ALERTS = 100_000;
const FIND_LIMIT = 10;
const WARMUP = 5;
const RUNS = 40;
const HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'bench' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The combobox's search body for `text` in `dataclass` (see src/features/objects). */
export function findBody(dataclass: DataclassType, text: string) {
  const field = UUID.test(text) ? 'id' : dataclass === 'indicators' ? 'name' : 'title';
  const op = field === 'id' ? 'in' : 'contains';
  const value = field === 'id' ? text.toLowerCase() : text;
  return {
    limit: FIND_LIMIT,
    offset: 0,
    condition: { conditions: [{ name: field, data: [field, op, value] }], logics: [field] },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** p50/p95 of `RUNS` timed calls of `once` (after `WARMUP` untimed ones). */
async function measure(
  once: () => Promise<number>,
): Promise<{ p50: number; p95: number; found: number }> {
  let found = 0;
  for (let i = 0; i < WARMUP; i++) found = await once();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await once();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), found };
}

export async function benchFindObject(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-find-'));
  const server = await startBenchServer({
    DATA_DIR: dataDir,
    EMULATOR_SEED: JSON.stringify({ alerts: N_ALERTS }),
  });
  try {
    const workspace = SEED_WORKSPACES[0].id;
    const alertId = seedObjectIds(0, 'alerts', 77_777).at(-1) ?? '';
    const texts: Array<[string, string]> = [
      ['alert ID (id in)', alertId.toUpperCase()],
      ['unknown ID (id in)', 'f60bf0e7-73b8-4832-8fc4-8c2a12830552'],
      ['title, many matches ("ssh")', 'ssh'],
      ['title, few matches ("lsass access) on d")', 'lsass access) on d'],
      ['title, no match ("no such title")', 'no such title'],
    ];

    const viaConsole = async (text: string): Promise<number> => {
      const answers = await Promise.all(
        dataclassTypes.map(async (cls) => {
          const res = await fetch(
            `${server.url}/v1/${DEMO_PROJECT_ID}/workspaces/${workspace}/soc/${cls}/search`,
            { method: 'POST', headers: HEADERS, body: JSON.stringify(findBody(cls, text)) },
          );
          if (res.status !== 200)
            throw new Error(`/v1 ${cls} search: ${res.status} ${await res.text()}`);
          return searchResponseSchema.parse(await res.json());
        }),
      );
      return answers.reduce((n, a) => n + a.data.length, 0);
    };
    const upstream = createUpstream({
      endpoint: server.emulatorUrl,
      projectId: DEMO_PROJECT_ID,
      timeoutMs: 20_000,
      credentials: Credentials.demo(),
    });
    const direct = async (text: string): Promise<number> => {
      const answers = await Promise.all(
        dataclassTypes.map(async (cls) => {
          const res = await upstream.call({
            op: 'search',
            workspaceId: workspace,
            dataclass: cls,
            body: findBody(cls, text),
          });
          if (res.status !== 200) throw new Error(`emulator ${cls} search: HTTP ${res.status}`);
          return searchResponseSchema.parse(res.body);
        }),
      );
      return answers.reduce((n, a) => n + a.data.length, 0);
    };

    console.log(
      `find-object: 3 parallel searches (alerts, incidents, indicators; ${FIND_LIMIT} each) in a workspace of ${N_ALERTS.toLocaleString('en')} alerts; ${RUNS} runs after ${WARMUP} warm-ups (target < 300 ms)`,
    );
    for (const [label, text] of texts) {
      const c = await measure(() => viaConsole(text));
      const d = await measure(() => direct(text));
      console.log(
        `  ${label}: through /v1 p50 ${c.p50.toFixed(1)} ms p95 ${c.p95.toFixed(1)} ms; straight to the emulator p50 ${d.p50.toFixed(1)} ms p95 ${d.p95.toFixed(1)} ms (${c.found} options)`,
      );
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFindObject();
