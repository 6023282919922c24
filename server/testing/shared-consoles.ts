/**
 * Console server processes sharing one PostgreSQL ledger (DATABASE_URL) and one SecMaster (the
 * logged emulator, logged-emulator.ts), as several consoles of one deployment do: secmaster mode
 * (none runs its embedded emulator), each with its own AK/SK pair (so the emulator's request log
 * tells them apart) and its own DATA_DIR, short leases and call timeouts so that takeovers are
 * quick. Used by server/batches/pg-consoles.test.ts and `npm run soak -- --pg`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PROJECT_ID } from '../config';
import { CONSOLE_KEYS, type ConsoleName } from './logged-emulator';
import { startServer, stopServer, type ServerProcess } from './process-harness';

export interface SharedConsole extends ServerProcess {
  readonly name: ConsoleName;
  /** The AK it signs with (the request log's `ak`). */
  readonly ak: string;
}

export interface SharedConsoleSettings {
  emulatorUrl: string;
  databaseUrl: string;
  /** DATABASE_LEASE_MS. */
  leaseMs: number;
  /** BATCH_CALL_TIMEOUT_MS (also the takeover's grace). */
  callTimeoutMs: number;
  /** BATCH_CONCURRENCY: the account's calls in flight, shared by the consoles. */
  concurrency: number;
  /** Further variables (every console). */
  env?: Record<string, string>;
}

/** The environment of console `name` on the shared ledger and SecMaster. */
export function sharedConsoleEnv(
  s: SharedConsoleSettings,
  name: ConsoleName,
  dataDir: string,
): Record<string, string> {
  const key = CONSOLE_KEYS[name];
  return {
    DATA_DIR: dataDir,
    SECMASTER_MODE: 'secmaster',
    SECMASTER_ENDPOINT: s.emulatorUrl,
    SECMASTER_PROJECT_ID: DEMO_PROJECT_ID,
    CLOUD_SDK_AK: key.ak,
    CLOUD_SDK_SK: key.sk,
    DATABASE_URL: s.databaseUrl,
    DATABASE_LEASE_MS: String(s.leaseMs),
    BATCH_CALL_TIMEOUT_MS: String(s.callTimeoutMs),
    BATCH_CONCURRENCY: String(s.concurrency),
    ...s.env,
  };
}

/** Starts and stops the consoles of one stand; `close()` stops every one still running. */
export class SharedConsoles {
  private readonly dir = mkdtempSync(join(tmpdir(), 'shared-consoles-'));
  private readonly started: SharedConsole[] = [];

  constructor(private readonly settings: SharedConsoleSettings) {}

  /** Starts console `name`; `env`: variables of its own (over the stand's). */
  async start(
    name: ConsoleName,
    opts: { startTimeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<SharedConsole> {
    const dataDir = join(this.dir, `${name}-${this.started.length}`);
    const env = { ...sharedConsoleEnv(this.settings, name, dataDir), ...opts.env };
    const p = await startServer(env, { startTimeoutMs: opts.startTimeoutMs ?? 60_000 });
    const c: SharedConsole = Object.assign(p, { name, ak: CONSOLE_KEYS[name].ak });
    this.started.push(c);
    return c;
  }

  /** Every console started (paused ones continued first), then their directories. */
  async close(): Promise<void> {
    for (const p of this.started.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGCONT');
      await stopServer(p);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
