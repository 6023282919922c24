/**
 * `createConsole(config, deps)`: the one wiring of a console server: sessions and access control
 * (`access/access.ts`), the SecMaster upstream, the batch runner, the stores opened on the ledger,
 * and the HTTP app (`app.ts`). main.ts, every in-process test harness and, through main.ts, the
 * benches and the soak build their console here, so what the tests drive is wired the way
 * production is.
 *
 * `deps` holds what only the caller knows (the ledger it opened, where the SPA build is, the
 * probes /api/health asks, the dev server's origins) and the seams tests use: auth and runner
 * options (the IAM stand-in's fetch, a fixed `connect` in place of the SecMaster client, clocks,
 * limits, concurrency, backoff). Which credential each call goes out with is decided by the auth's
 * credentials (access/credentials.ts), for /v1 as for the runner; the harnesses here point the
 * SecMaster client at their stand-in through `config` (`endpoint`, `batchCallTimeoutMs`), so they
 * run the production call path.
 *
 * Ownership: the caller opens the ledger (which creates or migrates its schema) and closes it after
 * `close()`: main.ts opens it only once it holds the DATA_DIR lock and has checked the file, and a
 * test may share one ledger between consoles or restart a console on the same file.
 *
 * The ledger's stores (server/db/service-stores.ts): what the runner, the batch and group services
 * and the HTTP app read and write batches through. By default the SQLite ledger's, opened here
 * once per console (they share the ledger's gate with every other store over it); `deps.stores`
 * gives others, on another database (issue 14: PostgreSQL, `pgServiceStores`), which the caller
 * closes. The SQLite ledger stays needed meanwhile for what has not moved onto the stores yet: the
 * sign-in sessions and limits with SESSION_KEY (main.ts opens them on the ledger's file),
 * /api/health's probe of the ledger and the DATA_DIR, and what a write error means (a full disk,
 * SQLite's write lock); on another database the runner has no SQLite storage of its own
 * (`NO_STORAGE`: no write waits for a lock, no problem is reported). `close()` stops what the console started, the
 * runner (calls in flight are recorded first); nothing else is held: no timers, no sockets, no
 * listener.
 */
import type { Hono } from 'hono';
import { createApp } from './app';
import { createAuth, type AuthOptions, type ConsoleAuth } from './access/access';
import type { Kysely } from 'kysely';
import type { Ledger } from './batches/ledger';
import { createLeaseHost, type LeaseHostOptions } from './batches/engine/lease-host';
import { leasedRunner } from './batches/engine/leased-runner';
import { sharedUpstream } from './batches/shared-upstream';
import { pgConsoleStorage, sqliteConsoleStorage, type ConsoleStorage } from './db/console-storage';
import { pgServiceStores, sqliteServiceStores, type ServiceStores } from './db/service-stores';
import { postgresSessionDatabase } from './db/sessions';
import type { SharedBudgetTables } from './db/shared-budget';
import type { LedgerTables } from './db/tables';
import { createBatchService } from './batches/service';
import { createGroupService, type GroupService } from './batches/group-service';
import { createRunner, type Runner, type RunnerOptions } from './batches/engine/runner';
import type { Config } from './config';
import { createHash } from 'node:crypto';
import type { UpstreamTarget } from './access/credentials';
import { createUpstream, type Upstream } from './secmaster/client';
import { pacedUpstream } from './secmaster/paced';
import { createPacers, type PacerOptions } from './secmaster/pacer';

/**
 * The ledger on PostgreSQL, shared with other consoles (DATABASE_URL): batches run under leases
 * (engine/lease-host.ts), the upstream's slots and retry budget are the account's
 * (shared-upstream.ts). The caller opened and migrated the database and closes it after `close()`.
 */
export interface SharedLedger {
  /** This console's own pool on it (its idle transactions and statements time out: main.ts). */
  db: Kysely<LedgerTables>;
  /** `PostgreSQL host:port/db`, for messages (never the password). */
  where: string;
  /** This console, as its leases name it: unique among the consoles on the database. */
  consoleId: string;
  /** DATABASE_LEASE_MS. */
  leaseMs: number;
  /** The lease keeper's own small pool (renewals, claim rounds; see LeaseHostOptions.keeperDb). */
  keeperDb?: Kysely<LedgerTables>;
  /** Tests: claim rounds, the takeover grace (default the call timeout), the keeper's timing. */
  lease?: Pick<LeaseHostOptions, 'claimEveryMs' | 'takeoverGraceMs' | 'maxBatches' | 'keeper'>;
}

export interface ConsoleDeps {
  /**
   * The opened SQLite batch ledger, or `postgres`: exactly one of them. The caller closes it (see
   * above).
   */
  ledger?: Ledger;
  /** The ledger on PostgreSQL, shared with other consoles (see SharedLedger). */
  postgres?: SharedLedger;
  /**
   * The stores batches are read and written through (see above); by default the ledger's
   * (`sqliteServiceStores(ledger)`, `pgServiceStores(postgres.db)`). The caller closes stores it
   * gives.
   */
  stores?: ServiceStores;
  /** The Vite build output; without it (or without its index.html) pages explain how to build. */
  distDir?: string | undefined;
  /** Emulator mode: whether the embedded emulator is listening (for /api/health). */
  emulatorReady?: () => boolean;
  /** Origins accepted on non-GET requests besides the console's own (e.g. the Vite dev server). */
  extraOrigins?: readonly string[];
  /** Secmaster mode: why SecMaster cannot be used (unreachable, clock skew...), or null. */
  upstreamStatus?: () => string | null;
  /**
   * Why this server no longer holds its DATA_DIR, or null while it does (main.ts: the lock). The
   * runner sends nothing more once it is lost, and the app records nothing more.
   */
  dataDirLost?: () => string | null;
  /** Tests: the IAM stand-in's fetch, a fixed `connect`, the clock, sign-in and session limits. */
  auth?: Omit<AuthOptions, 'config' | 'store' | 'noWait'>;
  /** Tests: calls in flight (default BATCH_CONCURRENCY), backoff, sleep, clock, log... */
  runner?: Partial<Omit<RunnerOptions, 'store' | 'storage' | 'upstream' | 'dataDirLost'>>;
  /** Tests: the pacers' clock and knobs (the cap is SECMASTER_RATE_LIMIT unless given). */
  pacer?: PacerOptions;
}

/**
 * Which pacer a credential's calls share: APIG limits each user, so one per project and user: an
 * IAM session's user (every sign-in of one user shares it, whatever its token), else the AK (or
 * token). The key is a digest: no secret is kept in it.
 */
export function pacerKey(target: UpstreamTarget): string {
  const v = target.credentials.reveal();
  const who =
    target.rateKey !== undefined
      ? `user:${target.rateKey}`
      : v.kind === 'aksk'
        ? `aksk:${v.ak}`
        : `token:${v.token}`;
  const digest = createHash('sha256').update(who).digest('hex').slice(0, 32);
  return `${target.projectId}:${digest}`;
}

export interface ConsoleServer {
  readonly app: Hono;
  readonly runner: Runner;
  readonly auth: ConsoleAuth;
  /** Moves and batches of pairs: groups of batches (batches/group-service.ts). */
  readonly groups: GroupService;
  /**
   * Calls with the environment's credential, as a caller without an IAM session makes them (it
   * answers 401 SIGN_IN_REQUIRED, sending nothing, when the console has no credential of its own).
   */
  readonly upstream: Upstream;
  /**
   * Start-up recovery, once the server listens: batches that ran on an IAM session's token wait for
   * a new sign-in, unless their session was recorded by its key in the shared session store
   * (SESSION_KEY: they continue on it while it is live; access/credentials.ts), then the runner's
   * crash recovery, and every batch still running continues. Retried while the ledger cannot be written (e.g. a restart on a full disk).
   * Resolves when those batches stop; never rejects.
   */
  resumeAll(): Promise<void>;
  /** Stops the runner once the calls in flight are recorded. The ledger stays open. */
  close(): Promise<void>;
}

export function createConsole(config: Config, deps: ConsoleDeps): ConsoleServer {
  const { ledger, postgres } = deps;
  if ((ledger === undefined) === (postgres === undefined)) {
    throw new Error('createConsole: give either a SQLite ledger or a PostgreSQL one');
  }
  const stores =
    deps.stores ?? (ledger ? sqliteServiceStores(ledger) : pgServiceStores(postgres!.db));
  const storage: ConsoleStorage = ledger
    ? sqliteConsoleStorage(ledger)
    : pgConsoleStorage(postgres!.db, postgres!.where);
  // Everything sent upstream with one credential shares one pacer (SecMaster's rate limit).
  const pacers = createPacers({
    cap: config.rateLimit,
    log: (message) => console.warn(`pacer: ${message}`),
    ...deps.pacer,
  });
  const connect =
    deps.auth?.connect ??
    ((target: UpstreamTarget) =>
      createUpstream({
        endpoint: config.endpoint,
        timeoutMs: config.batchCallTimeoutMs,
        ...target,
      }));
  // On PostgreSQL with SESSION_KEY, sessions and the sign-in limits are the shared database's (a
  // person signed in on one console is signed in on all); on SQLite main.ts opens them on the
  // ledger's file, on a connection of their own.
  const sharedSessions =
    deps.auth?.sharedSessions ??
    (postgres && config.sessionKeys
      ? { database: postgresSessionDatabase(postgres.db), keys: config.sessionKeys }
      : undefined);
  const auth = createAuth({
    ...deps.auth,
    ...(sharedSessions ? { sharedSessions } : {}),
    connect: (target) => {
      const key = pacerKey(target);
      return pacedUpstream(connect(target), () => pacers.pacerFor(key));
    },
    config,
    // Each batch's credential source, in the stores' database.
    store: stores.ledger,
    noWait: ledger ? (write) => ledger.noWait(write) : undefined,
  });
  // Told when a batch's run ends (a move's first phase ending starts its second).
  let groups: GroupService | null = null;
  const log = (message: string) => console.warn(`runner: ${message}`);
  const runnerOptions = {
    concurrency: config.batchConcurrency,
    log,
    ...deps.runner,
    storage: storage.runner,
    dataDirLost: deps.dataDirLost,
    onIdle: (batchId: string) => {
      deps.runner?.onIdle?.(batchId);
      groups?.batchIdle(batchId);
    },
  } satisfies Omit<RunnerOptions, 'store' | 'upstream'>;
  // Each call of a batch goes out with the credential it was last started or resumed with.
  const upstreamOf = (batchId: string) => auth.credentials.forBatch(batchId);
  let runner: Runner;
  let closeShared: () => Promise<void> = () => Promise.resolve();
  if (postgres) {
    // The account's calls in flight (BATCH_CONCURRENCY) and retry budget, shared by every console
    // on the database: SecMaster limits the account, not a console.
    const shared = sharedUpstream(postgres.db as unknown as Kysely<SharedBudgetTables>, {
      slots: config.batchConcurrency,
      callTimeoutMs: config.batchCallTimeoutMs,
      consoleId: postgres.consoleId,
      batchLeaseMs: postgres.leaseMs,
      log,
    });
    closeShared = () => shared.close();
    const host = createLeaseHost({
      db: postgres.db,
      consoleId: postgres.consoleId,
      upstream: upstreamOf,
      runner: {
        ...runnerOptions,
        upstreamSlots: shared.upstreamSlots,
        retryBudget: shared.retryBudget,
      },
      leaseMs: postgres.leaseMs,
      ...(postgres.keeperDb ? { keeperDb: postgres.keeperDb } : {}),
      // A call the former holder sent just before its lease ended may land up to its timeout later.
      takeoverGraceMs: config.batchCallTimeoutMs,
      // Its first call is paced on its own credential's pacer, the one the ledger records (a resume
      // on another console may have changed it since this console last ran it).
      beforeRun: (batchId) => auth.credentials.load(batchId, { fromLedger: true }),
      afterRun: (batchId) => auth.credentials.forget(batchId),
      ...postgres.lease,
      log: (message) => console.warn(`leases: ${message}`),
    });
    runner = leasedRunner(host, stores.ledger, postgres.db, {
      log,
      // Work a console could not do (a start whose transaction failed, a console gone between a
      // move's phases) is taken up by any console within about a lease time.
      sweepEveryMs: postgres.leaseMs,
      sweep: async () => {
        await groups?.continueAll();
      },
    });
  } else {
    runner = createRunner({ ...runnerOptions, store: stores.ledger, upstream: upstreamOf });
  }
  const batches = createBatchService({ stores, runner, credentials: auth.credentials });
  groups = createGroupService({
    stores,
    runner,
    batches,
    credentials: auth.credentials,
    log: (message) => console.warn(`groups: ${message}`),
  });
  const groupService = groups;
  const app = createApp({
    config,
    storage,
    stores,
    runner,
    auth,
    groups: groupService,
    distDir: deps.distDir,
    emulatorReady: deps.emulatorReady,
    extraOrigins: deps.extraOrigins,
    upstreamStatus: deps.upstreamStatus,
    dataDirLost: deps.dataDirLost,
  });
  return {
    app,
    runner,
    auth,
    groups: groupService,
    upstream: auth.credentials.upstreamOf(auth.credentials.identityOf(null)),
    resumeAll() {
      return runner.resumeAll(async () => {
        // Moves whose first phase ended before the stop: their second phase, which the runner
        // then runs with every running batch. First: one on an IAM session's credential (the
        // first phase's) is then interrupted with the other orphans, not run without it.
        await groupService.continueAll();
        const orphans = await auth.credentials.interruptOrphans();
        if (orphans.length > 0) {
          console.warn(`${orphans.length} running batch(es) interrupted: sign in to resume`);
        }
      });
    },
    async close() {
      groupService.close();
      await runner.stop();
      // Its slots go back now rather than when their leases end.
      await closeShared();
    },
  };
}
