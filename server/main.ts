/**
 * `npm start` / `npm run serve`: the console server. The only side-effectful module of the
 * console: reads the environment, opens the databases, starts the emulator (emulator mode),
 * listens, resumes unfinished batches, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { serve } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './app';
import { LedgerLockedError, openLedger, type RunnerLock } from './batches/ledger';
import { createRunner } from './batches/runner';
import { ConfigError, loadConfig, type Config } from './config';
import { startEmulator, type RunningEmulator } from './emulator/app';
import { emulatorAuthFromConfig } from './emulator/auth';
import { openEmulatorDb } from './emulator/db';
import { parseFaults, type FaultConfig } from './emulator/faults';
import { parseSeedSizes, seedEmulator } from './emulator/seed';
import { createUpstream } from './forward';

const DIST_DIR = fileURLToPath(new URL('../dist', import.meta.url));
/** The Vite dev server (vite.config.ts pins it to 5173) proxies /api and /v1 here. */
const DEV_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173'];
const SHUTDOWN_GRACE_MS = 10_000;

function fail(error: unknown): never {
  if (error instanceof ConfigError) {
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
  mkdirSync(config.dataDir, { recursive: true });

  // One process owns a DATA_DIR: a second server on the same ledger would send IDs twice.
  const ledger = openLedger(join(config.dataDir, 'ledger.sqlite'));
  let lock: RunnerLock;
  try {
    lock = ledger.acquireLock();
  } catch (error) {
    if (error instanceof LedgerLockedError) {
      console.error(error.message);
      process.exit(3);
    }
    throw error;
  }

  let emulator: RunningEmulator | null = null;
  let emulatorDb: ReturnType<typeof openEmulatorDb> | null = null;
  if (config.mode === 'emulator') {
    emulatorDb = openEmulatorDb(join(config.dataDir, 'emulator.sqlite'));
    seedEmulator(emulatorDb, seedSizes);
    emulator = await startEmulator({
      db: emulatorDb,
      projectId: config.projectId,
      port: config.emulatorPort,
      faults,
      auth: emulatorAuthFromConfig(config),
    });
    // EMULATOR_PORT=0 picks a free port: the real one is the endpoint.
    config = { ...config, endpoint: emulator.url, emulatorPort: emulator.port };
  }

  const upstream = createUpstream({
    endpoint: config.endpoint,
    projectId: config.projectId,
    timeoutMs: config.batchCallTimeoutMs,
    credentials: config.credentials,
  });
  const runner = createRunner({
    ledger,
    upstream,
    concurrency: config.batchConcurrency,
    log: (message) => console.warn(`runner: ${message}`),
  });
  const emulatorUp = emulator !== null;
  const app = createApp({
    config,
    ledger,
    runner,
    upstream,
    distDir: DIST_DIR,
    emulatorReady: () => emulatorUp,
    extraOrigins: DEV_ORIGINS,
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  // Slow clients (slowloris) cannot hold a request open for long.
  if ('requestTimeout' in server) {
    server.headersTimeout = 20_000;
    server.requestTimeout = 60_000;
  }
  const address = server.address();
  const port =
    typeof address === 'object' && address !== null
      ? (address satisfies AddressInfo).port
      : config.port;
  const where = emulator
    ? `emulator at ${emulator.url}, EMULATOR_AUTH=${config.emulatorAuth}`
    : `SecMaster at ${config.endpoint}`;
  // Names the kind and source of the credentials only, never a value.
  console.log(
    `SecMaster association console on http://${config.host}:${port} (${where}; ${config.credentials.describe()})`,
  );

  void runner.resumeAll();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: finishing the calls in flight, then stopping`);
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    const closeServer = new Promise<void>((resolve) => {
      server.close(() => resolve());
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    });
    Promise.all([closeServer, runner.stop()])
      .then(() => emulator?.close())
      .catch((error: unknown) =>
        console.error('error while stopping:', error instanceof Error ? error.message : error),
      )
      .finally(() => {
        lock.release();
        ledger.close();
        emulatorDb?.close();
        process.exit(0);
      });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch(fail);
