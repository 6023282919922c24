/**
 * Link check benchmark (`POST /api/checks`): how long
 * the console takes to tell 100,000 pasted IDs apart (linked / not linked yet / not found), against
 * a baseline of the same reads sent straight to the emulator by a bare loop with the same
 * parallelism (4): 1,000 relation searches of 100 IDs, then 1,000 searches of the related class.
 *
 * Starts `server/main.ts` (emulator mode, `EMULATOR_SEED={"alerts":100000}`, free loopback ports,
 * temporary DATA_DIR; the seed is not timed) and times 1,000, 10,000 and 100,000 IDs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_IDS_PER_CALL, linkCheckSchema } from '../src/api/schemas.ts';
import { idsSearchBody } from '../server/secmaster/operations.ts';
import { Credentials, DEMO_PROJECT_ID } from '../server/config.ts';
import { SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { createUpstream } from '../server/secmaster/client.ts';
import type { UpstreamOperation } from '../server/secmaster/operations.ts';
import { startBenchServer } from './run-batch.ts';

const N_IDS = 100_000;
const PARALLEL = 4;
const HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'bench' };

export async function benchLinkCheck(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-check-'));
  const server = await startBenchServer({
    DATA_DIR: dataDir,
    EMULATOR_SEED: JSON.stringify({ alerts: N_IDS }),
  });
  try {
    const workspace = SEED_WORKSPACES[0].id;
    const ids = seedObjectIds(0, 'alerts', N_IDS);
    const [incident] = seedObjectIds(0, 'incidents', 1) as [string];

    // Baseline: the same reads, straight to the emulator, signed, PARALLEL at a time.
    const upstream = createUpstream({
      endpoint: server.emulatorUrl,
      projectId: DEMO_PROJECT_ID,
      timeoutMs: 20_000,
      credentials: Credentials.demo(),
    });
    const reads = async (build: (chunk: string[]) => UpstreamOperation) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let at = next++ * MAX_IDS_PER_CALL; at < N_IDS; at = next++ * MAX_IDS_PER_CALL) {
            const res = await upstream.call(build(ids.slice(at, at + MAX_IDS_PER_CALL)));
            if (res.status !== 200) throw new Error(`baseline read: HTTP ${res.status}`);
          }
        }),
      );
    };
    const b0 = performance.now();
    await reads((chunk) => ({
      op: 'relationSearch',
      workspaceId: workspace,
      dataclass: 'incidents',
      objectId: incident,
      related: 'alerts',
      body: idsSearchBody(chunk),
    }));
    await reads((chunk) => ({
      op: 'search',
      workspaceId: workspace,
      dataclass: 'alerts',
      body: idsSearchBody(chunk),
    }));
    const baselineMs = performance.now() - b0;

    const timed: string[] = [];
    let lastMs = 0;
    for (const n of [1_000, 10_000, N_IDS]) {
      const t = performance.now();
      const res = await fetch(`${server.url}/api/checks`, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({
          workspace_id: workspace,
          dataclass_type: 'incidents',
          data_object_id: incident,
          related_dataclass_type: 'alerts',
          ids: ids.slice(0, n),
        }),
        signal: AbortSignal.timeout(10 * 60_000),
      });
      if (res.status !== 200)
        throw new Error(`POST /api/checks: ${res.status} ${await res.text()}`);
      const check = linkCheckSchema.parse(await res.json());
      lastMs = performance.now() - t;
      timed.push(
        `${n.toLocaleString('en')} IDs ${lastMs.toFixed(0)} ms (${check.linked.length} linked, ${check.not_found.length} not found)`,
      );
    }
    console.log(
      `link-check: ${N_IDS.toLocaleString('en')} IDs against the emulator seeded with ${N_IDS.toLocaleString('en')} alerts`,
    );
    console.log(
      `  baseline (2,000 signed reads of 100 IDs straight to the emulator, ${PARALLEL} at a time): ${(baselineMs / 1000).toFixed(2)} s`,
    );
    console.log(
      `  POST /api/checks, 100,000 IDs: ${(lastMs / 1000).toFixed(2)} s  ratio ${(lastMs / baselineMs).toFixed(2)}x`,
    );
    console.log(`  by size: ${timed.join('; ')}`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchLinkCheck();
