/**
 * `npm start` / `npm run serve`: the console server. The only side-effectful module of the
 * console: reads the environment, takes the DATA_DIR lock, checks and opens the databases, starts
 * the emulator thread (emulator mode) and the start-up check of SecMaster (secmaster mode), hands
 * all of it to `createConsole` (console.ts, the one wiring, shared with the tests), listens, starts
 * the console's recovery, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { serve } from '@hono/node-server';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EmulatorConfigError,
  parseFaults,
  parseSeedSizes,
  type FaultConfig,
} from 'secmaster-emulator';
import { startEmulatorThread, type EmulatorThread } from 'secmaster-emulator/thread';
import { createConsole, type ConsoleDeps } from './console';
import { devServerOrigins } from './http/request-rules';
import { SERVER_TIMEOUTS } from './http/timeouts';
import { IamError, iamEndpointFor, lookupProject } from './access/iam';
import { createUpstreamMonitor } from './access/upstream-check';
import {
  DataDirLockedError,
  acquireDataDirLock,
  watchDataDir,
  type DataDirLock,
} from './batches/data-dir-lock';
import { openLedger } from './batches/ledger';
import { newConsoleId } from './batches/shared-upstream';
import { codeOf } from './db/pg-problems';
import { migratePostgres, openPostgres } from './db/postgres';
import { openSqliteSessionDatabase, type SessionDatabase } from './db/sessions';
import { ConfigError, loadConfig, type Config } from './config';
import { SchemaTooNewError } from './db/migrate';
import { emulatorAuthFromConfig } from './embedded-emulator';
import { DamagedDatabaseError, checkDatabaseFile } from './integrity';

const DIST_DIR = fileURLToPath(new URL('../dist', import.meta.url));
/** The least time given to a shutdown (the calls in flight then end by their own timeout). */
const SHUTDOWN_GRACE_MS = 10_000;
/** Connections of a console's pool on PostgreSQL (requests, the runner, slots, sessions). */
const POSTGRES_POOL_SIZE = 20;

function fail(error: unknown): never {
  // Messages meant for the operator as they are: exit 2, as for a damaged ledger (a ledger written
  // by a newer console is refused at open, before anything is written to it).
  if (
    error instanceof ConfigError ||
    error instanceof EmulatorConfigError ||
    error instanceof DamagedDatabaseError ||
    error instanceof SchemaTooNewError
  ) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(
    'console server failed to start:',
    error instanceof Error ? error.message : String(error),
  );
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  let seedSizes: ReturnType<typeof parseSeedSizes>;
  let faults: FaultConfig | undefined;
  try {
    config = loadConfig(process.env);
    seedSizes = parseSeedSizes(config.emulatorSeed);
    faults = config.emulatorFaults === undefined ? undefined : parseFaults(config.emulatorFaults);
  } catch (error) {
    fail(error);
  }
  // No SECMASTER_PROJECT_ID with AK/SK or a token: ask IAM for the project of the region (as the
  // official SDKs do). In IAM sign-in mode each sign-in's token names its project instead.
  if (config.projectIdLookup && config.credentials && config.region) {
    try {
      const projectId = await lookupProject(
        { endpoint: config.iamEndpoint ?? iamEndpointFor(config.region), timeoutMs: 15_000 },
        config.region,
        { credentials: config.credentials },
      );
      config = { ...config, projectId };
      console.log(`project ID of ${config.region} looked up from IAM: ${projectId}`);
    } catch (error) {
      fail(
        new ConfigError(
          `Invalid configuration:\n  SECMASTER_PROJECT_ID is not set and the lookup from IAM failed: ${
            error instanceof IamError ? error.message : 'IAM could not be asked'
          }`,
        ),
      );
    }
  }
  mkdirSync(config.dataDir, { recursive: true });

  // The ledger: SQLite in DATA_DIR (this console's alone), or PostgreSQL (DATABASE_URL, shared by
  // every console on it).
  const store = config.database ? await openSharedLedger(config) : openDataDirLedger(config);
  // The embedded emulator runs on its own thread (secmaster-emulator/thread): its work and the
  // console's never wait for each other, as with a real SecMaster on another machine.
  let emulator: EmulatorThread | null = null;
  if (config.mode === 'emulator') {
    emulator = await startEmulatorThread({
      dataFile: emulatorFileOf(config),
      seedSizes,
      projectId: config.projectId,
      port: config.emulatorPort,
      faults,
      auth: emulatorAuthFromConfig(config),
    }).catch((error: unknown) =>
      fail(
        new Error(
          `the emulator did not start: ${error instanceof Error ? error.message : String(error)}`,
        ),
      ),
    );
    // EMULATOR_PORT=0 picks a free port: the real one is the endpoint.
    config = { ...config, endpoint: emulator.url, emulatorPort: emulator.port };
  }

  const monitor =
    config.mode === 'secmaster'
      ? createUpstreamMonitor({
          endpoint: config.endpoint,
          projectId: config.projectId,
          credentials: config.credentials,
          timeoutMs: config.batchCallTimeoutMs,
        })
      : null;
  const emulatorThread = emulator;
  const consoleServer = createConsole(config, {
    ...store.deps,
    distDir: DIST_DIR,
    emulatorReady: () => emulatorThread?.alive() ?? false,
    extraOrigins: devServerOrigins(process.env),
    upstreamStatus: () => monitor?.status() ?? null,
    ...(store.sessions && config.sessionKeys
      ? { auth: { sharedSessions: { database: store.sessions, keys: config.sessionKeys } } }
      : {}),
  });
  store.onLost(() => void consoleServer.close());
  const { app, auth } = consoleServer;

  const tls = config.tls;
  // Set when the server is created: slow clients cannot hold a request open for long, and an idle
  // keep-alive connection outlives a held event loop (http/timeouts.ts).
  const timeouts = SERVER_TIMEOUTS;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = () => resolve(s);
    const s =
      tls?.kind === 'files'
        ? serve(
            {
              fetch: app.fetch,
              port: config.port,
              hostname: config.host,
              createServer: createHttpsServer,
              serverOptions: {
                ...timeouts,
                cert: readFileSync(tls.certFile),
                key: readFileSync(tls.keyFile),
              },
            },
            listening,
          )
        : serve(
            { fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: timeouts },
            listening,
          );
    s.once('error', reject);
  });
  const address = server.address();
  const port =
    typeof address === 'object' && address !== null
      ? (address satisfies AddressInfo).port
      : config.port;
  const where = emulator
    ? `emulator at ${emulator.url}, EMULATOR_AUTH=${config.emulatorAuth}`
    : `SecMaster at ${config.endpoint}`;
  // Names the kind and source of the credentials only, never a value.
  const scheme = tls?.kind === 'files' ? 'https' : 'http';
  const signIn = auth.signInRequired ? `; sign-in: ${auth.signInMethods.join(', ')}` : '';
  // The key's ID (a digest) only: consoles that share sessions must show the same one.
  const sessionsWhere = config.sessionKeys
    ? `; sessions in the ledger, SESSION_KEY ${config.sessionKeys.current.id}`
    : '';
  console.log(
    `SecMaster association console on ${scheme}://${config.host}:${port}${config.publicOrigin ? ` (public ${config.publicOrigin})` : ''} (${where}; ${config.credentials?.describe() ?? 'IAM sign-in, no credential of its own'}${signIn}${sessionsWhere}; ledger: ${store.describe})`,
  );

  store.start();

  // Only now, so that a start that fails (the port taken) has changed nothing in the ledger.
  void consoleServer.resumeAll();
  if (monitor) {
    void monitor.run().then((problem) => {
      if (problem !== null) console.warn(`warning: ${problem}`);
    });
  }

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: finishing the calls in flight, then stopping`);
    // The calls in flight are recorded before the stop (their leases and slots then given back):
    // long enough for one to time out.
    const force = setTimeout(
      () => process.exit(1),
      Math.max(SHUTDOWN_GRACE_MS, config.batchCallTimeoutMs + 5_000),
    );
    force.unref();
    const closeServer = new Promise<void>((resolve) => {
      server.close(() => resolve());
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    });
    Promise.all([closeServer, consoleServer.close()])
      .then(() => emulator?.close())
      .catch((error: unknown) =>
        console.error('error while stopping:', error instanceof Error ? error.message : error),
      )
      .then(() => store.close())
      .catch((error: unknown) =>
        console.error(
          'error while closing the ledger:',
          error instanceof Error ? error.message : error,
        ),
      )
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/** The embedded emulator's store in DATA_DIR. */
const emulatorFileOf = (config: Config) => join(config.dataDir, 'emulator.sqlite');

/**
 * Emulator mode: a damaged emulator store stops the start (DamagedDatabaseError: exit 2, what to
 * do) before anything opens it for writing.
 */
function checkEmulatorFile(config: Config): void {
  if (config.mode === 'emulator') checkDatabaseFile(emulatorFileOf(config), 'emulator');
}

/** The ledger main.ts opened, and what the console and the shutdown do with it. */
interface OpenedLedger {
  /** What createConsole is given: the ledger (either kind) and, for SQLite, the DATA_DIR's lock. */
  deps: Pick<ConsoleDeps, 'ledger' | 'postgres' | 'dataDirLost'>;
  /** The sign-in sessions' database (SESSION_KEY), on the ledger's. */
  sessions: SessionDatabase | null;
  /** For the start-up line: where the ledger is (never a password). */
  describe: string;
  /** Told once when this console must stop running batches (its DATA_DIR lock is lost). */
  onLost(stop: () => void): void;
  /** Once the server listens: what runs for as long as it does (the DATA_DIR heartbeat). */
  start(): void;
  /** After the console is closed: the sessions, the ledger, the lock. */
  close(): Promise<void>;
}

/**
 * One server per DATA_DIR (a second one would send the same IDs again): an OS lock on
 * DATA_DIR/console.lock, taken before anything else touches the DATA_DIR and held until the
 * process ends (batches/data-dir-lock.ts). Refused: exit 3, nothing changed.
 */
function lockDataDir(config: Config): DataDirLock {
  try {
    return acquireDataDirLock(config.dataDir);
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      console.error(error.message);
      process.exit(3);
    }
    fail(error);
  }
}

/** The SQLite ledger in DATA_DIR, under the DATA_DIR's lock. */
function openDataDirLedger(config: Config): OpenedLedger {
  const lock = lockDataDir(config);
  // A damaged ledger or emulator store stops the start (DamagedDatabaseError: exit 2, what to do)
  // before anything opens it for writing (docs/operations.md, "A damaged ledger").
  const ledgerFile = join(config.dataDir, 'ledger.sqlite');
  checkDatabaseFile(ledgerFile, 'ledger');
  checkEmulatorFile(config);
  const ledger = openLedger(ledgerFile);
  // SESSION_KEY: sessions (sealed with it) and the sign-in limits live in the ledger's file, on a
  // connection of their own, so they survive a restart (docs/security.md, "Sessions").
  // Their tables are migration 4, applied by openLedger with the rest of the ledger's schema.
  const sessions = config.sessionKeys ? openSqliteSessionDatabase(ledgerFile) : null;
  // The holder row, the heartbeat and the lock check; the row is first written once the server
  // listens, so that a start that fails changes nothing in the ledger.
  let stop: () => void = () => undefined;
  const dataDir = watchDataDir({
    lock,
    ledger,
    onLost: () => stop(),
    log: (message) => console.error(`DATA_DIR: ${message}`),
  });
  return {
    deps: { ledger, dataDirLost: () => dataDir.check() },
    sessions,
    describe: `SQLite ${ledgerFile}`,
    onLost: (fn) => {
      stop = fn;
    },
    start: () => dataDir.start(),
    async close() {
      await sessions?.close();
      dataDir.stop();
      lock.release();
      ledger.close();
    },
  };
}

/**
 * The ledger on PostgreSQL (DATABASE_URL), shared with the other consoles on it: migrated first
 * (every console does at start, one at a time; a database newer than this code is refused, exit
 * 2), then this console's pool, whose transactions and statements cannot outlast a lease (a paused
 * console must not hold its batches' rows locked: lease-host.ts). DATA_DIR is locked only for the
 * embedded emulator's store (emulator mode).
 */
async function openSharedLedger(config: Config): Promise<OpenedLedger> {
  const database = config.database!;
  const lock = config.mode === 'emulator' ? lockDataDir(config) : null;
  checkEmulatorFile(config);
  const url = database.url.reveal();
  const onIdleError = (error: Error) =>
    console.error(`${database.where}: an idle connection failed: ${error.message}`);
  // Its own pool, without the statement timeout: a migration may take a while on a large ledger.
  const migrating = openPostgres(url, { max: 1, onIdleError, connectTimeoutMs: 10_000 });
  try {
    const outcome = await migratePostgres(migrating);
    if (outcome.applied.length > 0) {
      console.log(
        `${database.where}: schema migrated from version ${outcome.from} to ${outcome.to}`,
      );
    }
  } catch (error) {
    if (error instanceof SchemaTooNewError) fail(error);
    const message = error instanceof Error ? error.message : String(error);
    const code = codeOf(error) ?? '';
    // SQLSTATE class 28, invalid authorization: a wrong password, an unknown user, no pg_hba.conf
    // rule for this host. The server's message names the user, never the password.
    if (code.startsWith('28')) {
      fail(
        new Error(
          `the ledger database (${database.where}) refused the credentials of DATABASE_URL (${code}: ${message}): check its user and password, and that the database lets that user in from this host`,
        ),
      );
    }
    fail(new Error(`the ledger database (${database.where}) could not be opened: ${message}`));
  } finally {
    await migrating.close();
  }
  const settings = {
    onIdleError,
    idleInTransactionMs: database.leaseMs,
    // A statement stuck (a lock held by a console that stalled is freed by the idle-transaction
    // timeout above) ends; requests' own statements (a 20,000-row insert, a history query) must
    // not, whatever the lease: never under 30 s.
    statementTimeoutMs: Math.max(30_000, database.leaseMs),
    connectTimeoutMs: Math.min(10_000, database.leaseMs),
  };
  const db = openPostgres(url, { max: POSTGRES_POOL_SIZE, ...settings });
  // The lease keeper's renewals and claims on two connections of their own: a burst that takes
  // every connection of the main pool must not hold a renewal back past the lease.
  const keeperDb = openPostgres(url, { max: 2, ...settings });
  const consoleId = newConsoleId();
  return {
    deps: {
      postgres: {
        db: db.kysely,
        keeperDb: keeperDb.kysely,
        where: database.where,
        consoleId,
        leaseMs: database.leaseMs,
      },
    },
    // With SESSION_KEY, createConsole keeps the sessions on the console's pool.
    sessions: null,
    describe: `${database.where} (console ${consoleId}, batch leases of ${database.leaseMs} ms)`,
    onLost: () => undefined,
    start: () => undefined,
    async close() {
      await Promise.all([db.close(), keeperDb.close()]);
      lock?.release();
    },
  };
}

main().catch(fail);
