/**
 * `/api/config` (what the SPA needs to know at start: mode, project, endpoint, region, the signed-in
 * user, the batch limits and how to sign in) and `/api/health` (whether the ledger, the embedded
 * emulator and SecMaster can be used; 503 with the reason when not). `degraded`: the ledger can be
 * read but not written as it should (a full disk, another process's write lock, a lost DATA_DIR
 * lock); the console shows its batches, and running ones wait (docs/operations.md).
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
    if (problems.length > 0)
      return c.json({ status: 'degraded', reason: problems.join('; ') }, 503);
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
