/**
 * The console's HTTP surface: /api (config, health, batches), /v1 (the SecMaster read allow-list)
 * and the built SPA. Pure: it is handed everything it uses (stores, runner, and the auth whose
 * credentials decide which upstream each call goes out on, built by `createConsole` in
 * console.ts), so building one opens nothing, creates no table and listens on nothing.
 *
 * `createApp` wires the pieces in order (Hono runs middlewares and matches routes in the order
 * they are registered): the request rules (`http/request-rules.ts`), the session middleware
 * (`access/access.ts`), `/api/config` and `/api/health` (`http/status.ts`), the group API (moves
 * and batches of pairs, `batches/group-routes.ts`), the batch API (`batches/routes.ts`), the `/api` 404s, the `/v1` forwarder (`secmaster/v1-routes.ts`) and
 * the SPA (`http/static.ts`).
 */
import { Hono } from 'hono';
import type { Config } from './config';
import type { ConsoleStorage } from './db/console-storage';
import type { ServiceStores } from './db/service-stores';
import type { Runner } from './batches/engine/runner';
import type { ConsoleAuth } from './access/access';
import { currentUser } from './access/user';
import { jsonError } from './http/json-error';
import {
  LOOPBACK_HOSTS,
  boundedBody,
  everyRequest,
  isApiLike,
  stateChangingRequests,
} from './http/request-rules';
import { registerBatchRoutes, type BatchControls } from './batches/routes';
import { registerGroupRoutes } from './batches/group-routes';
import type { GroupService } from './batches/group-service';
import { registerCheckRoutes } from './secmaster/check-routes';
import { registerStaticRoutes } from './http/static';
import { registerStatusRoutes } from './http/status';
import { registerV1Routes } from './secmaster/v1-routes';

// Names other modules and tests import from here.
export { CONTENT_SECURITY_POLICY, MAX_BODY_BYTES } from './http/request-rules';
export { INVALID_ID_MESSAGE, type BatchControls } from './batches/routes';

export interface AppDeps {
  config: Config;
  /** The ledger's storage: /api/health, and what a request's failed write means. */
  storage: ConsoleStorage;
  runner: Pick<Runner, 'start'> & BatchControls;
  /**
   * The ledger's stores the batch and group routes read and write through (server/db/
   * service-stores.ts; on the ledger's database).
   */
  stores: ServiceStores;
  /** Moves and batches of pairs (batches/group-service.ts). */
  groups: GroupService;
  /** The Vite build output; without it (or without its index.html) pages explain how to build. */
  distDir?: string | undefined;
  /** Emulator mode: whether the embedded emulator is listening (for /api/health). */
  emulatorReady?: () => boolean;
  /** Origins accepted on non-GET requests besides the console's own (e.g. the Vite dev server). */
  extraOrigins?: readonly string[];
  /** Sessions and access control (server/access/access.ts). */
  auth: ConsoleAuth;
  /** Secmaster mode: why SecMaster cannot be used (unreachable, clock skew...), or null (/api/health). */
  upstreamStatus?: () => string | null;
  /** Why this server no longer holds its DATA_DIR, or null while it does (main.ts: the lock). */
  dataDirLost?: () => string | null;
}

export function createApp(deps: AppDeps): Hono {
  const { config, storage, stores, runner, auth } = deps;
  const publicHost = config.publicOrigin ? [new URL(config.publicOrigin).hostname] : [];
  const allowedHosts = new Set(
    [...LOOPBACK_HOSTS, config.host, ...publicHost].map((h) => h.toLowerCase()),
  );
  const extraOrigins = new Set([
    ...(deps.extraOrigins ?? []),
    ...(config.publicOrigin ? [config.publicOrigin] : []),
  ]);
  const app = new Hono();

  app.onError((err, c) => {
    // Never leak internals (paths, SQL, tokens) to the client.
    console.error('console server error:', err instanceof Error ? err.message : String(err));
    // A full disk, another process's write lock, the database out of reach for a moment passes:
    // say so (503, try again), as /api/health does, rather than an unexplained 500. Nothing was
    // recorded.
    const problem = storage.requestProblem(err);
    if (problem !== null) {
      if (problem.transient) c.header('Retry-After', '10');
      return jsonError(c, 503, 'STORAGE_UNAVAILABLE', problem.message);
    }
    return jsonError(c, 500, 'INTERNAL', 'internal error');
  });

  // --- Every request: methods, security headers, Host allow-list ---------------------------
  app.use('*', everyRequest(allowedHosts, { https: config.tls !== null }));

  // --- Every state-changing request: anti-forgery, JSON only, bounded body -------------------
  app.use('*', stateChangingRequests(extraOrigins));
  app.use('*', boundedBody());

  // --- Who is calling: session cookie or Bearer; SIGN_IN_REQUIRED; /api/session ---------------
  auth.install(app);

  // --- A server that lost its DATA_DIR records nothing more --------------------------------
  // Its runner has stopped; another server may hold the DATA_DIR now. A batch created, resumed,
  // paused or stopped here would be recorded by a server that no longer runs batches (and would
  // sit "running" at 0 % until a restart): refuse every state-changing /api request but signing
  // in and out, and say why.
  app.use('/api/*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.path === '/api/session')
      return next();
    const lost = deps.dataDirLost?.() ?? null;
    if (lost === null) return next();
    return jsonError(
      c,
      503,
      'DATA_DIR_LOST',
      'this console server lost its data directory lock and records nothing more: the operator must stop it and run one server on its data directory',
    );
  });

  // --- /api --------------------------------------------------------------------------------
  registerStatusRoutes(app, { config, storage, auth, userOf: currentUser, probes: deps });
  // Groups first: a request about an ordinary batch passes on to the batch routes.
  registerGroupRoutes(app, {
    groups: deps.groups,
    stores,
    userOf: currentUser,
    identityOf: auth.identityOf,
    upstreamOf: auth.upstreamOf,
  });
  registerBatchRoutes(app, {
    stores,
    runner,
    userOf: currentUser,
    identityOf: auth.identityOf,
    upstreamOf: auth.upstreamOf,
    credentials: auth.credentials,
  });
  registerCheckRoutes(app, { upstreamOf: auth.upstreamOf });

  app.all('/api/*', (c) => jsonError(c, 404, 'NOT_FOUND', 'no such API route'));
  app.all('/api', (c) => jsonError(c, 404, 'NOT_FOUND', 'no such API route'));

  // --- /v1: SecMaster reads for the browser ------------------------------------------------
  registerV1Routes(app, { auth });

  // --- The SPA -------------------------------------------------------------------------------
  registerStaticRoutes(app, deps.distDir);

  app.notFound((c) => {
    const url = new URL(c.req.url);
    if (isApiLike(url)) return jsonError(c, 404, 'NOT_FOUND', 'no such route');
    return c.text('Not found\n', 404);
  });

  return app;
}
