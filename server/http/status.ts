/**
 * `/api/config` (what the SPA needs to know at start: mode, project, endpoint, region, the signed-in
 * user, the batch limits and how to sign in) and `/api/health` (whether the ledger, the embedded
 * emulator and SecMaster can be used; 503 with the reason when not). `degraded`: the ledger can be
 * read but not written as it should (a full disk, another process's write lock, a lost DATA_DIR
 * lock); the console shows its batches, and running ones wait (docs/operations.md).
 *
 * /api/health needs no sign-in (a load balancer asks it). What keeps the ledger from being written
 * names where the ledger is (PostgreSQL's host, port and database; DATA_DIR's path): a caller who
 * is not signed in is told only that the ledger's storage cannot be written, as the status says,
 * and the server's log and a signed-in caller (anybody, when the console has no sign-in: it then
 * listens on loopback only, config.ts) have the reason.
 */
import type { Context, Hono } from 'hono';
import { MAX_BATCH_IDS, MAX_IDS_PER_CALL, type ConsoleConfig } from '../../src/api/schemas';
import type { ConsoleAuth } from '../access/access';
import type { ConsoleStorage } from '../db/console-storage';
import type { Config } from '../config';

/** The probes /api/health asks on every call (both optional: see AppDeps). */
export interface HealthProbes {
  /** Emulator mode: whether the embedded emulator is listening. */
  emulatorReady?: () => boolean;
  /** Secmaster mode: why SecMaster cannot be used (unreachable, clock skew...), or null. */
  upstreamStatus?: () => string | null;
}

/** /api/health's reason for a degraded ledger, to a caller who is not signed in. */
export const STORAGE_PROBLEM_UNSIGNED =
  "the batch ledger's storage cannot be written for now (sign in, or see the server log, for why)";

export interface StatusRouteDeps {
  config: Config;
  storage: ConsoleStorage;
  auth: Pick<ConsoleAuth, 'sessionJson' | 'projectIdOf'>;
  /** Who the caller is recorded as (only asked when the caller is signed in). */
  userOf: (c: Context) => string;
  /** Read on each request, not when the routes are registered. */
  probes: HealthProbes;
}

export function registerStatusRoutes(app: Hono, deps: StatusRouteDeps): void {
  const { config, storage, auth, userOf, probes } = deps;

  app.get('/api/config', (c) => {
    const session = auth.sessionJson(c);
    const body: ConsoleConfig = {
      mode: config.mode,
      projectId: auth.projectIdOf(c),
      endpoint: config.endpoint,
      region: session.region,
      user: session.authenticated ? userOf(c) : null,
      maxBatchIds: MAX_BATCH_IDS,
      maxIdsPerCall: MAX_IDS_PER_CALL,
      signInRequired: session.sign_in_required,
      signInMethods: session.sign_in_methods,
    };
    return c.json(body);
  });

  app.get('/api/health', async (c) => {
    if (!(await storage.ping()))
      return c.json({ status: 'unavailable', reason: 'the batch ledger cannot be read' }, 503);
    const problems = storage.problems();
    if (problems.length > 0) {
      const signedIn = auth.sessionJson(c).authenticated;
      return c.json(
        { status: 'degraded', reason: signedIn ? problems.join('; ') : STORAGE_PROBLEM_UNSIGNED },
        503,
      );
    }
    if (config.mode === 'emulator' && probes.emulatorReady && !probes.emulatorReady()) {
      return c.json(
        {
          status: 'unavailable',
          reason: 'the embedded emulator is not running (see the server log)',
        },
        503,
      );
    }
    const upstreamProblem = probes.upstreamStatus?.() ?? null;
    if (upstreamProblem !== null)
      return c.json({ status: 'unavailable', reason: upstreamProblem }, 503);
    return c.json({ status: 'ok' });
  });
}
