/**
 * A console (createConsole) in process against the real emulator over loopback HTTP, on a temp
 * DATA_DIR: the emulator's store is a real SQLite file, the ledger too (`startEmulatorConsole`) or
 * a real PostgreSQL database of the test run's cluster (`startConsoleOn('postgres', …)`, as main.ts
 * opens it with DATABASE_URL: migrated, batches under leases); the app answers `app.request`. For
 * the server tests that drive the API end to end, on either ledger, and `restart` for the ones
 * that reopen the ledger as a new server would. On PostgreSQL, `join` starts another console on
 * the same database (as a second server would be).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { openLedger, type Ledger } from '../batches/ledger';
import type { Runner } from '../batches/engine/runner';
import { newConsoleId } from '../batches/shared-upstream';
import { createConsole, type ConsoleDeps, type ConsoleServer, type SharedLedger } from '../console';
import { DEMO_PROJECT_ID, loadConfig, type Config } from '../config';
import { migratePostgres, openPostgres, type PostgresLedgerDb } from '../db/postgres';
import { sqliteKysely } from '../db/sqlite-kysely';
import { openPgStore } from '../db/pg-store';
import { sqliteStore, type LedgerStore } from '../db/store';
import type { LedgerTables } from '../db/tables';
import { testDatabase } from './pg-database';
import {
  createFaultInjector,
  parseFaults,
  startEmulator,
  type RunningEmulator,
  openEmulatorDb,
  seedEmulator,
  type SeedSizes,
  SEED_WORKSPACES,
} from 'secmaster-emulator';
import type { DataclassType } from '../../src/api/schemas';
import type { Upstream } from '../secmaster/client';
import { linkedIds } from './checker';

/** The headers of the SPA's JSON requests (the request rules want `X-Requested-With`). */
export const API_HEADERS = { 'Content-Type': 'application/json', 'X-Requested-With': 'fetch' };

/** One console server on the harness's ledger. */
export interface ConsoleNode {
  readonly console: ConsoleServer;
  readonly runner: Runner;
  readonly app: Hono;
  /** POSTs `body` (default `{}`) as JSON to this console, as the SPA does. */
  post(path: string, body?: unknown): Promise<Response>;
  /** The JSON of a GET of `path`; anything but a 200 throws, naming the path. */
  getJson(path: string): Promise<unknown>;
  /** Stops this console (its batches are released for the others on PostgreSQL). */
  close(): Promise<void>;
}

/** A console on either ledger (see the module comment). */
export interface ConsoleHarness {
  readonly kind: 'sqlite' | 'postgres';
  readonly dir: string;
  readonly emulator: RunningEmulator;
  readonly emulatorDb: ReturnType<typeof openEmulatorDb>;
  /** The console's upstream (the environment's credential outside a request), for direct calls. */
  readonly upstream: Upstream;
  /** Replaced by `restart`. */
  console: ConsoleServer;
  runner: Runner;
  app: Hono;
  /** The ledger's store and its tables, to read what the console recorded (either database). */
  store: LedgerStore;
  kysely: Kysely<LedgerTables>;
  /**
   * A server restart on the same ledger: closes the console (and the ledger's connection), runs
   * `meanwhile` (the files are free then), and opens a new one on it.
   */
  restart(meanwhile?: () => void): Promise<void>;
  /** PostgreSQL only: another console on the same database (closed with the harness). */
  join(): Promise<ConsoleNode>;
  close(): Promise<void>;
  /** POSTs `body` (default `{}`) as JSON to the console, as the SPA does. */
  post(path: string, body?: unknown): Promise<Response>;
  /** The JSON of a GET of `path`; anything but a 200 throws, naming the path. */
  getJson(path: string): Promise<unknown>;
  /**
   * The keys of the IDs (of class `related`, default alerts) linked to `subject` (of class
   * `dataclass`, default incidents) in the first seeded workspace, read from the emulator's store.
   */
  linksOf(
    subject: string,
    classes?: { dataclass?: DataclassType; related?: DataclassType },
  ): Set<string>;
}

/** The SQLite harness: its ledger too. */
export interface EmulatorConsole extends ConsoleHarness {
  ledger: Ledger;
}

interface HarnessOptions {
  prefix: string;
  seed: SeedSizes;
  /** Changes to the console's configuration (the endpoint is the emulator's). */
  config?: Partial<Config>;
  /** createConsole's test seams besides the ledger. */
  deps?: Omit<ConsoleDeps, 'ledger' | 'postgres'>;
  /** The emulator's faults (EMULATOR_FAULTS' shape: latency_ms, p500...). */
  faults?: Record<string, unknown>;
  /** PostgreSQL: the consoles' lease time and claim rounds (default 15 s, a third of it). */
  lease?: { leaseMs?: number } & NonNullable<SharedLedger['lease']>;
}

function requests(app: () => Hono) {
  return {
    post: async (path: string, body: unknown = {}) =>
      app().request(path, { method: 'POST', headers: API_HEADERS, body: JSON.stringify(body) }),
    async getJson(path: string): Promise<unknown> {
      const res = await app().request(path);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
  };
}

export async function startEmulatorConsole(options: HarnessOptions): Promise<EmulatorConsole> {
  return (await startHarness('sqlite', options)) as EmulatorConsole;
}

/** A console on `kind` of ledger (see the module comment). */
export function startConsoleOn(
  kind: 'sqlite' | 'postgres',
  options: HarnessOptions,
): Promise<ConsoleHarness> {
  return startHarness(kind, options);
}

async function startHarness(
  kind: 'sqlite' | 'postgres',
  options: HarnessOptions,
): Promise<ConsoleHarness> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const emulatorDb = openEmulatorDb(join(dir, 'emulator.sqlite'));
  seedEmulator(emulatorDb, options.seed);
  const emulator = await startEmulator({
    db: emulatorDb,
    projectId: DEMO_PROJECT_ID,
    port: 0,
    ...(options.faults ? { faults: createFaultInjector(parseFaults(options.faults)) } : {}),
  });
  const { leaseMs = 15_000, ...lease } = options.lease ?? {};
  const config: Config = {
    ...loadConfig({ DATA_DIR: dir, BATCH_CALL_TIMEOUT_MS: '5000' }),
    endpoint: emulator.url,
    ...options.config,
  };
  const baseDeps = {
    emulatorReady: () => true,
    runner: { concurrency: 2, backoffMs: () => 0 },
    ...options.deps,
  } satisfies Omit<ConsoleDeps, 'ledger' | 'postgres'>;
  const url = kind === 'postgres' ? await testDatabase(options.prefix.replace(/\W/g, '_')) : '';
  if (url) {
    const migrating = openPostgres(url, { max: 1 });
    await migratePostgres(migrating);
    await migrating.close();
  }
  /** Pools opened for consoles on PostgreSQL (each console its own, as separate servers). */
  const pools: PostgresLedgerDb[] = [];
  const nodes: ConsoleNode[] = [];
  const openPg = () => {
    const db = openPostgres(url, { max: 10, onIdleError: () => undefined });
    pools.push(db);
    const c = createConsole(config, {
      ...baseDeps,
      postgres: { db: db.kysely, where: db.where, consoleId: newConsoleId(), leaseMs, lease },
    });
    return { db, c };
  };
  const open = () => {
    if (kind === 'postgres') {
      const { db, c } = openPg();
      return {
        console: c,
        runner: c.runner,
        app: c.app,
        store: openPgStore(db.kysely),
        kysely: db.kysely,
        closeLedger: () => db.close(),
      };
    }
    const ledger = openLedger(join(dir, 'ledger.sqlite'));
    const c = createConsole(config, { ...baseDeps, ledger });
    return {
      console: c,
      ledger,
      runner: c.runner,
      app: c.app,
      store: sqliteStore(ledger),
      kysely: sqliteKysely(ledger.db),
      closeLedger: () => {
        ledger.close();
        return Promise.resolve();
      },
    };
  };
  let current = open();
  const h: ConsoleHarness & { ledger?: Ledger } = {
    kind,
    dir,
    emulator,
    emulatorDb,
    upstream: current.console.upstream,
    ...current,
    async restart(meanwhile) {
      await h.console.close();
      await current.closeLedger();
      meanwhile?.();
      current = open();
      Object.assign(h, current);
    },
    async join() {
      if (kind !== 'postgres') throw new Error('join: only consoles on PostgreSQL share a ledger');
      const { c } = openPg();
      const node: ConsoleNode = {
        console: c,
        runner: c.runner,
        app: c.app,
        ...requests(() => c.app),
        close: () => c.close(),
      };
      nodes.push(node);
      return node;
    },
    async close() {
      for (const n of nodes.splice(0)) await n.close();
      await h.console.close();
      await emulator.close();
      await current.closeLedger();
      await Promise.all(pools.map((p) => p.close()));
      emulatorDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
    ...requests(() => h.app),
    linksOf: (subject, classes = {}) =>
      linkedIds(emulatorDb, {
        workspaceId: SEED_WORKSPACES[0].id,
        dataclass: classes.dataclass ?? 'incidents',
        objectId: subject,
        related: classes.related ?? 'alerts',
      }),
  };
  return h;
}
