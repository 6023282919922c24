/**
 * A console in SecMaster mode whose SecMaster is a stand-in on loopback (the fake upstream, and
 * the IAM stand-in when `env` names it), built by `createConsole` as the server builds its own:
 * calls time out after 2 s and retries do not wait, so a test that goes wrong fails fast.
 */
import type { Ledger } from '../batches/ledger';
import { loadConfig } from '../config';
import { createConsole, type ConsoleDeps, type ConsoleServer } from '../console';

export interface StandInConsoleOptions {
  /** The stand-in SecMaster's URL. */
  endpoint: string;
  /** The DATA_DIR the configuration names. */
  dir: string;
  ledger: Ledger;
  /** More environment (credentials, sign-in, TLS proxy…). */
  env?: Record<string, string>;
  auth?: ConsoleDeps['auth'];
  distDir?: string;
}

export function standInConsole(o: StandInConsoleOptions): ConsoleServer {
  const config = loadConfig({
    SECMASTER_MODE: 'secmaster',
    SECMASTER_ENDPOINT: o.endpoint,
    BATCH_CALL_TIMEOUT_MS: '2000',
    DATA_DIR: o.dir,
    ...o.env,
  });
  return createConsole(config, {
    ledger: o.ledger,
    ...(o.distDir === undefined ? {} : { distDir: o.distDir }),
    auth: { iamTimeoutMs: 2_000, ...o.auth },
    runner: { concurrency: 2, backoffMs: () => 0 },
  });
}
