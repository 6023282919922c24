/**
 * One emulator process for several console processes (they cannot share their embedded ones), with
 * a request log (logged-emulator-main.ts): the stand of the tests and soak runs where consoles share
 * one PostgreSQL ledger and one SecMaster. Each console signs with an AK/SK pair of its own
 * (`CONSOLE_KEYS`), so that the log tells them apart.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PROJECT_ID } from '../config';
import { readRequestLog, type LoggedRequest } from './request-log';

const ROOT = join(import.meta.dirname, '..', '..');

/** An AK/SK pair per console of a stand (AKs: letters and digits). */
export const CONSOLE_KEYS = {
  A: { ak: 'CONSOLEA0000000000001', sk: 'ConsoleASecretKeyForTheTestsOnly000001' },
  B: { ak: 'CONSOLEB0000000000002', sk: 'ConsoleBSecretKeyForTheTestsOnly000002' },
  C: { ak: 'CONSOLEC0000000000003', sk: 'ConsoleCSecretKeyForTheTestsOnly000003' },
} as const;
export type ConsoleName = keyof typeof CONSOLE_KEYS;

export interface LoggedEmulator {
  url: string;
  /** The emulator's store (read it with `openEmulatorDb(file, { readonly: true })`). */
  readonly emulatorFile: string;
  /** The requests received so far, in arrival order. */
  log(): LoggedRequest[];
  output(): string;
  /** SIGTERM, then the directory (store and log) is removed. */
  stop(): Promise<void>;
}

export async function startLoggedEmulator(o: {
  /** EMULATOR_SEED's sizes. */
  seed?: Record<string, number>;
  /** EMULATOR_FAULTS. */
  faults?: Record<string, unknown>;
  startTimeoutMs?: number;
}): Promise<LoggedEmulator> {
  const dir = mkdtempSync(join(tmpdir(), 'logged-emulator-'));
  const logFile = join(dir, 'requests.jsonl');
  const keys = Object.fromEntries(Object.values(CONSOLE_KEYS).map((k) => [k.ak, k.sk]));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/testing/logged-emulator-main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        LOGGED_EMULATOR_DIR: dir,
        LOGGED_EMULATOR_LOG: logFile,
        LOGGED_EMULATOR_KEYS: JSON.stringify(keys),
        EMULATOR_SEED: o.seed ? JSON.stringify(o.seed) : '',
        EMULATOR_FAULTS: o.faults ? JSON.stringify(o.faults) : '',
        SECMASTER_PROJECT_ID: DEMO_PROJECT_ID,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the emulator did not start:\n${out}`)),
        o.startTimeoutMs ?? 60_000,
      );
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /SecMaster emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((how) => {
        clearTimeout(timer);
        reject(new Error(`the emulator exited (${how}) before listening:\n${out}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    removeDir();
    throw error;
  }
  return {
    url,
    emulatorFile: join(dir, 'emulator.sqlite'),
    log: () => readRequestLog(logFile),
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      removeDir();
    },
  };
}
