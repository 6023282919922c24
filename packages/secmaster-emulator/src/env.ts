/**
 * The emulator's own settings from the environment (`npm run emulator`, `secmaster-emulator`):
 * it reads only the variables below and ignores every other one, so any console variable may be
 * set or unset beside them. Pure: takes `env` as an argument; empty values count as unset.
 *
 * | variable                      | default                                   |
 * | ----------------------------- | ----------------------------------------- |
 * | `EMULATOR_PORT`               | `PORT` + 1 (`PORT` defaults to 8080; 0 → 0) |
 * | `DATA_DIR`                    | `./data` (the store is `emulator.sqlite`) |
 * | `EMULATOR_SEED`               | 2,000 / 200 / 500 per workspace           |
 * | `EMULATOR_FAULTS`             | off                                       |
 * | `SECMASTER_PROJECT_ID`        | `0a1b2c3d4e5f40718293a4b5c6d7e8f9`        |
 * | `EMULATOR_AUTH`               | `aksk`                                    |
 * | `CLOUD_SDK_AK`/`CLOUD_SDK_SK` | (`aksk`: accepted besides the demo pair)  |
 * | `SECMASTER_AUTH_TOKEN`        | (`token`: the accepted `X-Auth-Token`)    |
 */
import type { EmulatorAuth, EmulatorAuthMode } from './auth';
import { DEMO_AK, DEMO_SK } from './auth';
import { EmulatorConfigError } from './errors';
import { parseFaults, type FaultConfig } from './faults';
import { parseSeedSizes, type SeedSizes } from './seed';

/** The project the emulator serves when SECMASTER_PROJECT_ID is not set. */
export const DEMO_PROJECT_ID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';

export interface EmulatorEnv {
  port: number;
  dataDir: string;
  seedSizes: SeedSizes;
  faults: FaultConfig | undefined;
  projectId: string;
  auth: Omit<EmulatorAuth, 'now'>;
}

const PORT_MESSAGE = 'must be a port number from 0 to 65535';
const AUTH_MODES: readonly EmulatorAuthMode[] = ['aksk', 'token', 'none'];
const PROJECT_ID = /^[A-Za-z0-9_-]{16,64}$/;
/** Access key IDs are letters and digits (they arrive in the Authorization header unquoted). */
const ACCESS_KEY_ID = /^[A-Za-z0-9]{1,128}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function portOf(value: string): number | null {
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

/** A JSON object, or a problem naming `name`. */
function jsonObject(
  name: string,
  value: string | undefined,
  problems: string[],
): Record<string, unknown> | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    const v: unknown = JSON.parse(value);
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  problems.push(`${name}: ${name} must be a JSON object`);
  return undefined;
}

/** Problems with a secret bound for a header; they name the variable, never the value. */
function checkSecret(name: string, value: string): string[] {
  if (CONTROL.test(value)) return [`${name} contains control characters (CR, LF, NUL ...)`];
  if (value !== value.trim()) return [`${name} starts or ends with whitespace`];
  if (!/^[\x20-\x7e]+$/.test(value)) return [`${name} must be printable ASCII`];
  return [];
}

/** Reads the emulator's settings; throws EmulatorConfigError naming each variable that is wrong. */
export function readEmulatorEnv(env: Record<string, string | undefined>): EmulatorEnv {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const problems: string[] = [];

  let port = 0;
  const emulatorPort = get('EMULATOR_PORT');
  if (emulatorPort !== undefined) {
    const p = portOf(emulatorPort);
    if (p === null) problems.push(`EMULATOR_PORT: ${PORT_MESSAGE}`);
    else port = p;
  } else {
    const consolePort = get('PORT') ?? '8080';
    const p = portOf(consolePort);
    if (p === null || p === 65535) {
      const what = p === null ? PORT_MESSAGE : 'leaves no port above it';
      problems.push(
        `PORT: ${what} (EMULATOR_PORT is unset, so the emulator listens on PORT + 1; set EMULATOR_PORT)`,
      );
    } else port = p === 0 ? 0 : p + 1;
  }

  const dataDir = get('DATA_DIR') ?? './data';

  const projectId = get('SECMASTER_PROJECT_ID') ?? DEMO_PROJECT_ID;
  if (!PROJECT_ID.test(projectId)) {
    problems.push('SECMASTER_PROJECT_ID: must be 16 to 64 letters, digits, "-" or "_"');
  }

  const mode = get('EMULATOR_AUTH') ?? 'aksk';
  let auth: EmulatorEnv['auth'] = { mode: 'none' };
  if (!AUTH_MODES.includes(mode as EmulatorAuthMode)) {
    problems.push(`EMULATOR_AUTH: must be one of ${AUTH_MODES.map((m) => `"${m}"`).join(', ')}`);
  } else if (mode === 'token') {
    const token = get('SECMASTER_AUTH_TOKEN');
    if (token === undefined) {
      problems.push('SECMASTER_AUTH_TOKEN is required when EMULATOR_AUTH=token');
    } else {
      const bad = checkSecret('SECMASTER_AUTH_TOKEN', token);
      problems.push(...bad);
      if (bad.length === 0) auth = { mode: 'token', token };
    }
  } else if (mode === 'aksk') {
    // The demo pair always works; CLOUD_SDK_AK/SK too when set.
    const credentials: Record<string, string> = { [DEMO_AK]: DEMO_SK };
    const ak = get('CLOUD_SDK_AK');
    const sk = get('CLOUD_SDK_SK');
    if ((ak === undefined) !== (sk === undefined)) {
      problems.push('CLOUD_SDK_AK and CLOUD_SDK_SK must be set together');
    } else if (ak !== undefined && sk !== undefined) {
      const bad = [...checkSecret('CLOUD_SDK_AK', ak), ...checkSecret('CLOUD_SDK_SK', sk)];
      if (bad.length === 0 && !ACCESS_KEY_ID.test(ak)) {
        bad.push('CLOUD_SDK_AK must be 1 to 128 letters or digits');
      }
      problems.push(...bad);
      if (bad.length === 0) credentials[ak] = sk;
    }
    auth = { mode: 'aksk', credentials };
  }

  const seed = jsonObject('EMULATOR_SEED', get('EMULATOR_SEED'), problems);
  const faultsRaw = jsonObject('EMULATOR_FAULTS', get('EMULATOR_FAULTS'), problems);
  // Their parsers name the key (`EMULATOR_SEED.alerts: ...`): their lines join the others.
  const collect = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof EmulatorConfigError)) throw error;
      problems.push(
        ...error.message
          .split('\n')
          .slice(1)
          .map((line) => line.trim()),
      );
      return undefined;
    }
  };
  const seedSizes = collect(() => parseSeedSizes(seed));
  const faults = faultsRaw === undefined ? undefined : collect(() => parseFaults(faultsRaw));

  if (problems.length > 0 || seedSizes === undefined) {
    throw new EmulatorConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return { port, dataDir, seedSizes, faults, projectId, auth };
}
