/**
 * One console of the lease tests as a process of its own (server/batches/engine/lease-host.test.ts):
 * a lease host (lease-host.ts) on the shared PostgreSQL ledger, its own pool, its own upstream
 * (its console ID as the token, so that the upstream tells the consoles apart), running
 * `BATCH_ID`. A process of its own so that a test can pause it for real (SIGSTOP: nothing of it
 * runs, its timers fire late, its sockets keep what arrives) or kill it (SIGKILL: its connections
 * drop, nothing is released).
 *
 * `PAUSE_AT_CLAIM=n`: the process stops itself (SIGSTOP) the moment its n-th claim of a call has
 * committed (the call's intent: its row in `calls`), before the code that claimed it learns so and
 * sends the call; the test continues it (SIGCONT). A console continued there must not send that
 * call: the batch may have been taken over meanwhile (the send is asked `mayRun` first). Its other
 * calls sent before the stop are on the wire, their answers waiting in its sockets.
 *
 * Tells the test what happens as JSON lines on stdout (written synchronously, so a line printed
 * just before the stop is out): `started`, `pausing`, `resumed`, `write` (each write sent, with its
 * number), `call-after-resume` (any upstream call the process makes after it was continued), `log`
 * (the host's log), `idle` (the batch is no longer run here).
 */
import { writeSync } from 'node:fs';
import { z } from 'zod';
import { createLeaseHost } from '../batches/engine/lease-host';
import { DEMO_PROJECT_ID } from '../config';
import { openPostgres } from '../db/postgres';
import { createUpstream, type Upstream } from '../secmaster/client';

const env = z
  .object({
    DATABASE_URL: z.string(),
    CONSOLE_ID: z.string(),
    UPSTREAM_URL: z.string(),
    BATCH_ID: z.string(),
    LEASE_MS: z.coerce.number().int().positive(),
    CLAIM_EVERY_MS: z.coerce.number().int().positive(),
    PAUSE_AT_CLAIM: z.coerce.number().int().positive().optional(),
  })
  .parse(process.env);

function emit(event: string, fields: Record<string, unknown> = {}): void {
  writeSync(1, `${JSON.stringify({ event, t: performance.now(), ...fields })}\n`);
}

const url = new URL(env.DATABASE_URL);
url.searchParams.set('application_name', env.CONSOLE_ID);
// A transaction left open by a paused process is ended by the server (lease-host.ts).
url.searchParams.set('options', `-c idle_in_transaction_session_timeout=${env.LEASE_MS}`);
const db = openPostgres(url.toString(), {
  max: 4,
  onIdleError: (err) => emit('log', { message: `idle connection: ${err.message}` }),
});

let resumed = false;
let writes = 0;
let claims = 0;

function pause(): void {
  emit('pausing', { writes, claims });
  process.kill(process.pid, 'SIGSTOP');
  // Continued (SIGCONT): from here on this process may send nothing for the batch.
  resumed = true;
  emit('resumed');
}

// Every connection's queries are watched: a transaction that inserted a call row is a claim, and
// its commit's answer is where the process stops (before Kysely, the store and the runner see it).
db.pool.on('connect', (client) => {
  const query = client.query.bind(client) as (text: unknown, values?: unknown) => Promise<unknown>;
  let claiming = false;
  const watched = (text: unknown, values?: unknown): Promise<unknown> => {
    const answer = query(text, values);
    if (typeof text !== 'string') return answer;
    if (text.startsWith('insert into "calls"')) claiming = true;
    if (text !== 'commit' || !claiming) return answer;
    claiming = false;
    return answer.then((result) => {
      if (++claims === env.PAUSE_AT_CLAIM) pause();
      return result;
    });
  };
  Object.assign(client, { query: watched });
});

const base = createUpstream({
  endpoint: env.UPSTREAM_URL,
  projectId: DEMO_PROJECT_ID,
  timeoutMs: 10_000,
  authToken: env.CONSOLE_ID,
});
const upstream: Upstream = {
  call(operation, opts) {
    if (resumed) emit('call-after-resume', { op: operation.op });
    if (operation.op === 'associate' || operation.op === 'cancel') {
      writes++;
      emit('write', { n: writes });
    }
    return base.call(operation, opts);
  },
};

const host = createLeaseHost({
  db: db.kysely,
  consoleId: env.CONSOLE_ID,
  upstream,
  runner: { concurrency: 2, chunkSize: 50, backoffMs: () => 0 },
  leaseMs: env.LEASE_MS,
  claimEveryMs: env.CLAIM_EVERY_MS,
  log: (message) => emit('log', { message }),
});

process.on('SIGTERM', () => process.exit(0));

emit('started', { runs: await host.start(env.BATCH_ID) });
await host.whenIdle(env.BATCH_ID);
emit('idle');
