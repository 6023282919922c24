/**
 * A console (createConsole) in process against the real emulator over loopback HTTP, on a temp
 * DATA_DIR: the emulator's store and the ledger are real SQLite files, the app answers
 * `app.request`. For the server tests that drive the API end to end, and `restart` for the ones
 * that reopen the ledger as a new server would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { openLedger, type Ledger } from '../batches/ledger';
import type { Runner } from '../batches/engine/runner';
import { createConsole, type ConsoleServer } from '../console';
import { DEMO_PROJECT_ID, loadConfig } from '../config';
import {
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

export interface EmulatorConsole {
  readonly dir: string;
  readonly emulator: RunningEmulator;
  readonly emulatorDb: ReturnType<typeof openEmulatorDb>;
  /** The console's upstream (the environment's credential outside a request), for direct calls. */
  readonly upstream: Upstream;
  /** Replaced by `restart`. */
  console: ConsoleServer;
  ledger: Ledger;
  runner: Runner;
  app: Hono;
  /**
   * A server restart on the same files: closes the console and the ledger, runs `meanwhile` (the
   * files are free then), and opens a new ledger and console on them.
   */
  restart(meanwhile?: () => void): Promise<void>;
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

export async function startEmulatorConsole(options: {
  prefix: string;
  seed: SeedSizes;
}): Promise<EmulatorConsole> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const emulatorDb = openEmulatorDb(join(dir, 'emulator.sqlite'));
  seedEmulator(emulatorDb, options.seed);
  const emulator = await startEmulator({ db: emulatorDb, projectId: DEMO_PROJECT_ID, port: 0 });
  const config = {
    ...loadConfig({ DATA_DIR: dir, BATCH_CALL_TIMEOUT_MS: '5000' }),
    endpoint: emulator.url,
  };
  const open = () => {
    const ledger = openLedger(join(dir, 'ledger.sqlite'));
    const c = createConsole(config, {
      ledger,
      emulatorReady: () => true,
      runner: { concurrency: 2, backoffMs: () => 0 },
    });
    return { console: c, ledger, runner: c.runner, app: c.app };
  };
  const first = open();
  const h: EmulatorConsole = {
    dir,
    emulator,
    emulatorDb,
    upstream: first.console.upstream,
    ...first,
    async restart(meanwhile) {
      await h.console.close();
      h.ledger.close();
      meanwhile?.();
      Object.assign(h, open());
    },
    async close() {
      await h.console.close();
      await emulator.close();
      h.ledger.close();
      emulatorDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
    post: async (path, body = {}) =>
      h.app.request(path, { method: 'POST', headers: API_HEADERS, body: JSON.stringify(body) }),
    async getJson(path) {
      const res = await h.app.request(path);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
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
