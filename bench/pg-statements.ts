/**
 * Statements per call of a batch run as a console on PostgreSQL runs it (docs/performance.md, run
 * 10): a 30,000-ID associate batch (300 calls) under a lease (lease-host.ts), its calls holding
 * the account's shared slots and its retries the shared budget (shared-upstream.ts), at concurrency
 * 2, against the embedded emulator on its own thread. Every statement sent on the pool's
 * connections is counted (pg's `Client.prototype.query` wrapped for the run), by its first 60
 * characters, and printed per call. A count, not a time: the same on a busy machine as on a quiet
 * one, up to the outcomes that happen to commit together.
 *
 * Run: `node --import tsx bench/pg-statements.ts` (needs PostgreSQL's server programs, as
 * `npm test`). Not part of `npm run bench`.
 */
import type { Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DEMO_AK, DEMO_SK, SEED_WORKSPACES, seedObjectIds } from 'secmaster-emulator';
import { startEmulatorThread } from 'secmaster-emulator/thread';
import { idKey } from '../src/api/schemas.ts';
import { createLeaseHost, DEFAULT_LEASE_MS } from '../server/batches/engine/lease-host.ts';
import { sharedUpstream } from '../server/batches/shared-upstream.ts';
import { Credentials, DEMO_PROJECT_ID } from '../server/config.ts';
import { openPgStore } from '../server/db/pg-store.ts';
import { migratePostgres, openPostgres } from '../server/db/postgres.ts';
import type { SharedBudgetTables } from '../server/db/shared-budget.ts';
import { createUpstream } from '../server/secmaster/client.ts';
import { pacedUpstream } from '../server/secmaster/paced.ts';
import { createPacers } from '../server/secmaster/pacer.ts';
import { startPostgres } from '../server/testing/postgres.ts';

const N = 30_000;
const PER_CALL = 100;
const CONCURRENCY = 2;

export async function benchPgStatements(): Promise<void> {
  const counted = new Map<string, number>();
  let counting = false;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (counting) {
      const first = args[0] as { text?: string } | string | undefined;
      const text = typeof first === 'string' ? first : (first?.text ?? '?');
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 60);
      counted.set(key, (counted.get(key) ?? 0) + 1);
    }
    return query.apply(this, args);
  };
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-statements-'));
  const cluster = await startPostgres();
  const db = openPostgres(await cluster.createDatabase('bench'));
  const emulator = await startEmulatorThread({
    dataFile: join(dir, 'emulator.sqlite'),
    seedSizes: { alerts: N, incidents: 3, indicators: 0 },
    projectId: DEMO_PROJECT_ID,
    port: 0,
    auth: { mode: 'aksk', credentials: { [DEMO_AK]: DEMO_SK } },
  });
  try {
    await migratePostgres(db);
    const pacers = createPacers({ cap: null });
    const upstream = pacedUpstream(
      createUpstream({
        endpoint: emulator.url,
        projectId: DEMO_PROJECT_ID,
        timeoutMs: 20_000,
        credentials: Credentials.demo(),
      }),
      () => pacers.pacerFor('bench'),
    );
    const ids = seedObjectIds(0, 'alerts', N);
    const { id } = await openPgStore(db.kysely).createBatch({
      action: 'associate',
      workspace_id: SEED_WORKSPACES[0].id,
      dataclass_type: 'incidents',
      data_object_id: seedObjectIds(0, 'incidents', 1)[0] ?? '',
      related_dataclass_type: 'alerts',
      reason: 'bench pg-statements',
      user: 'bench',
      retry_of: null,
      duplicates: 0,
      items: ids.map((x) => ({ id: x, idKey: idKey(x), state: 'pending', message: null })),
    });
    const shared = sharedUpstream(db.kysely as unknown as Kysely<SharedBudgetTables>, {
      slots: CONCURRENCY,
      callTimeoutMs: 20_000,
      batchLeaseMs: DEFAULT_LEASE_MS,
      consoleId: 'bench-console',
    });
    const host = createLeaseHost({
      db: db.kysely,
      consoleId: 'bench-console',
      upstream,
      runner: {
        concurrency: CONCURRENCY,
        upstreamSlots: shared.upstreamSlots,
        retryBudget: shared.retryBudget,
      },
      takeoverGraceMs: 20_000,
    });
    counting = true;
    try {
      if (!(await host.start(id))) throw new Error('the lease host did not take the batch');
      await host.whenIdle(id);
    } finally {
      counting = false;
      await host.stop();
      await shared.close();
    }
    const calls = N / PER_CALL;
    const total = [...counted.values()].reduce((a, b) => a + b, 0);
    console.log(
      `pg-statements: ${N.toLocaleString('en')}-ID batch as a console runs it (${calls} calls, concurrency ${CONCURRENCY}): ${total} statements, ${(total / calls).toFixed(1)} per call`,
    );
    for (const [key, n] of [...counted].sort((a, b) => b[1] - a[1])) {
      console.log(`  ${String(n).padStart(6)}  ${(n / calls).toFixed(2).padStart(5)}/call  ${key}`);
    }
  } finally {
    proto.query = query;
    await db.close();
    await emulator.close();
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) await benchPgStatements();
