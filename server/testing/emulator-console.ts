/**
 * The console wired in process against the real emulator over loopback HTTP, on a temp DATA_DIR:
 * the emulator's store and the ledger are real SQLite files, the app answers `app.request`. One
 * wiring for the server tests that drive the API end to end, and `restart` for the ones that
 * reopen the ledger as a new server would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { createApp } from '../app';
import { openLedger, type Ledger } from '../batches/ledger';
import { createRunner, type Runner } from '../batches/engine/runner';
import { DEMO_PROJECT_ID, loadConfig } from '../config';
import {
  startEmulator,
  type RunningEmulator,
  openEmulatorDb,
  seedEmulator,
  type SeedSizes,
} from 'secmaster-emulator';
import { createUpstream, type Upstream } from '../secmaster/client';

export interface EmulatorConsole {
  readonly dir: string;
  readonly emulator: RunningEmulator;
  readonly emulatorDb: ReturnType<typeof openEmulatorDb>;
  readonly upstream: Upstream;
  /** Replaced by `restart`. */
  ledger: Ledger;
  runner: Runner;
  app: Hono;
  /**
   * A server restart on the same files: stops the runner, closes the ledger, runs `meanwhile`
   * (the files are free then), and opens a new ledger, runner and app.
   */
  restart(meanwhile?: () => void): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulatorConsole(options: {
  prefix: string;
  seed: SeedSizes;
}): Promise<EmulatorConsole> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const emulatorDb = openEmulatorDb(join(dir, 'emulator.sqlite'));
  seedEmulator(emulatorDb, options.seed);
  const emulator = await startEmulator({ db: emulatorDb, projectId: DEMO_PROJECT_ID, port: 0 });
  const config = { ...loadConfig({ DATA_DIR: dir }), endpoint: emulator.url };
  const upstream = createUpstream({
    endpoint: emulator.url,
    projectId: config.projectId,
    timeoutMs: 5_000,
  });
  const open = () => {
    const ledger = openLedger(join(dir, 'ledger.sqlite'));
    const runner = createRunner({ ledger, upstream, concurrency: 2, backoffMs: () => 0 });
    const app = createApp({ config, ledger, runner, upstream, emulatorReady: () => true });
    return { ledger, runner, app };
  };
  const h: EmulatorConsole = {
    dir,
    emulator,
    emulatorDb,
    upstream,
    ...open(),
    async restart(meanwhile) {
      await h.runner.stop();
      h.ledger.close();
      meanwhile?.();
      Object.assign(h, open());
    },
    async close() {
      await h.runner.stop();
      await emulator.close();
      h.ledger.close();
      emulatorDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
