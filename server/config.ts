/** The environment, parsed and validated at start (DESIGN.md §3). Pure: takes `env` as an argument. */
import { z } from 'zod';
import { Credentials } from './credentials';

export { Credentials, DEMO_AK, DEMO_SK } from './credentials';

export const DEMO_PROJECT_ID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';

const PORT_MESSAGE = 'must be a port number from 0 to 65535';
const port = z.coerce
  .number({ error: PORT_MESSAGE })
  .int(PORT_MESSAGE)
  .min(0, PORT_MESSAGE)
  .max(65535, PORT_MESSAGE);
const jsonObject = (name: string) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return undefined;
      try {
        const v: unknown = JSON.parse(s);
        if (typeof v === 'object' && v !== null && !Array.isArray(v))
          return v as Record<string, unknown>;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: `${name} must be a JSON object` });
      return z.NEVER;
    });

const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  SECMASTER_MODE: z.enum(['emulator', 'secmaster']).default('emulator'),
  EMULATOR_PORT: port.optional(),
  EMULATOR_SEED: jsonObject('EMULATOR_SEED'),
  EMULATOR_FAULTS: jsonObject('EMULATOR_FAULTS'),
  SECMASTER_ENDPOINT: z.url().optional(),
  SECMASTER_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,3}$/, 'must look like a region, e.g. cn-north-4')
    .optional(),
  SECMASTER_PROJECT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be 16 to 64 letters, digits, "-" or "_"')
    .optional(),
  SECMASTER_AUTH_TOKEN: z.string().optional(),
  CLOUD_SDK_AK: z.string().optional(),
  CLOUD_SDK_SK: z.string().optional(),
  CLOUD_SDK_SECURITY_TOKEN: z.string().optional(),
  EMULATOR_AUTH: z.enum(['aksk', 'token', 'none']).default('aksk'),
  BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  BATCH_CALL_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(20_000),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  mode: 'emulator' | 'secmaster';
  emulatorPort: number;
  emulatorSeed: Record<string, unknown> | undefined;
  emulatorFaults: Record<string, unknown> | undefined;
  /** Base URL of the upstream (SecMaster or the emulator), no trailing slash. */
  endpoint: string;
  region: string | null;
  projectId: string;
  /**
   * What the console signs (AK/SK) or sends (IAM token) upstream; redacted when logged or
   * serialised. In emulator mode: CLOUD_SDK_AK/SK, else the demo pair (or the token when
   * EMULATOR_AUTH=token).
   */
  credentials: Credentials;
  /** How the emulator checks callers (emulator mode and `npm run emulator`). */
  emulatorAuth: 'aksk' | 'token' | 'none';
  batchConcurrency: number;
  batchCallTimeoutMs: number;
}

/** 127.0.0.0/8, ::1 and localhost: the only places the console listens today. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError with a message naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `${i.path.join('.') || 'environment'}: ${i.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const emulatorPort = e.EMULATOR_PORT ?? (e.PORT === 0 ? 0 : e.PORT + 1);
  let endpoint: string;
  if (e.SECMASTER_MODE === 'emulator') {
    endpoint = `http://127.0.0.1:${emulatorPort}`;
  } else if (e.SECMASTER_ENDPOINT) {
    endpoint = e.SECMASTER_ENDPOINT.replace(/\/+$/, '');
  } else if (e.SECMASTER_REGION) {
    endpoint = `https://secmaster.${e.SECMASTER_REGION}.myhuaweicloud.com`;
  } else {
    throw new ConfigError(
      'Invalid configuration:\n  SECMASTER_ENDPOINT or SECMASTER_REGION is required when SECMASTER_MODE=secmaster',
    );
  }
  if (e.SECMASTER_MODE === 'secmaster' && !e.SECMASTER_PROJECT_ID) {
    throw new ConfigError(
      'Invalid configuration:\n  SECMASTER_PROJECT_ID is required when SECMASTER_MODE=secmaster',
    );
  }
  if (!isLoopbackHost(e.HOST)) {
    // The console holds real credentials and has no sign-in yet: never listen beyond loopback.
    throw new ConfigError(
      `Invalid configuration:\n  HOST: ${e.HOST} is not a loopback address; listening beyond loopback needs CONSOLE_ACCESS_TOKEN and TLS, which this version does not support yet`,
    );
  }
  const credentials = loadCredentials(e);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    mode: e.SECMASTER_MODE,
    emulatorPort,
    emulatorSeed: e.EMULATOR_SEED,
    emulatorFaults: e.EMULATOR_FAULTS,
    endpoint,
    region: e.SECMASTER_REGION ?? null,
    projectId: e.SECMASTER_PROJECT_ID ?? DEMO_PROJECT_ID,
    credentials,
    emulatorAuth: e.EMULATOR_AUTH,
    batchConcurrency: e.BATCH_CONCURRENCY,
    batchCallTimeoutMs: e.BATCH_CALL_TIMEOUT_MS,
  };
}

type Env = z.infer<typeof envSchema>;

/** Access key IDs are letters and digits (they go into the Authorization header unquoted). */
const ACCESS_KEY_ID = /^[A-Za-z0-9]{1,128}$/;
/** Any control character (CR, LF and NUL included): never allowed in a header-bound secret. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Checks one credential variable; messages name the variable, never the value. */
function checkSecret(name: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  if (CONTROL.test(value)) return [`${name} contains control characters (CR, LF, NUL ...)`];
  if (value !== value.trim()) return [`${name} starts or ends with whitespace`];
  if (!/^[\x20-\x7e]+$/.test(value)) return [`${name} must be printable ASCII`];
  return [];
}

/** The upstream credentials (DESIGN.md §3); throws ConfigError naming variables, never values. */
function loadCredentials(e: Env): Credentials {
  const problems = [
    ...checkSecret('CLOUD_SDK_AK', e.CLOUD_SDK_AK),
    ...checkSecret('CLOUD_SDK_SK', e.CLOUD_SDK_SK),
    ...checkSecret('CLOUD_SDK_SECURITY_TOKEN', e.CLOUD_SDK_SECURITY_TOKEN),
    ...checkSecret('SECMASTER_AUTH_TOKEN', e.SECMASTER_AUTH_TOKEN),
  ];
  if (
    e.CLOUD_SDK_AK !== undefined &&
    !ACCESS_KEY_ID.test(e.CLOUD_SDK_AK) &&
    problems.length === 0
  ) {
    problems.push('CLOUD_SDK_AK must be 1 to 128 letters or digits');
  }
  const hasAk = e.CLOUD_SDK_AK !== undefined;
  const hasSk = e.CLOUD_SDK_SK !== undefined;
  if (hasAk !== hasSk) problems.push('CLOUD_SDK_AK and CLOUD_SDK_SK must be set together');
  if (e.CLOUD_SDK_SECURITY_TOKEN !== undefined && !(hasAk && hasSk)) {
    problems.push('CLOUD_SDK_SECURITY_TOKEN needs CLOUD_SDK_AK and CLOUD_SDK_SK');
  }
  const token = e.SECMASTER_AUTH_TOKEN;
  if (e.SECMASTER_MODE === 'secmaster') {
    if (!hasAk && !hasSk && token === undefined) {
      problems.push(
        'CLOUD_SDK_AK and CLOUD_SDK_SK (or SECMASTER_AUTH_TOKEN) are required when SECMASTER_MODE=secmaster',
      );
    } else if ((hasAk || hasSk) && token !== undefined) {
      problems.push('set either CLOUD_SDK_AK/CLOUD_SDK_SK or SECMASTER_AUTH_TOKEN, not both');
    }
  } else if (e.EMULATOR_AUTH === 'token' && token === undefined) {
    problems.push('SECMASTER_AUTH_TOKEN is required when EMULATOR_AUTH=token');
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  if (e.SECMASTER_MODE === 'emulator') {
    if (e.EMULATOR_AUTH === 'token' && token !== undefined) return Credentials.token(token);
    if (e.CLOUD_SDK_AK !== undefined && e.CLOUD_SDK_SK !== undefined) {
      return Credentials.aksk(e.CLOUD_SDK_AK, e.CLOUD_SDK_SK, e.CLOUD_SDK_SECURITY_TOKEN);
    }
    return Credentials.demo();
  }
  if (e.CLOUD_SDK_AK !== undefined && e.CLOUD_SDK_SK !== undefined) {
    return Credentials.aksk(e.CLOUD_SDK_AK, e.CLOUD_SDK_SK, e.CLOUD_SDK_SECURITY_TOKEN);
  }
  if (token !== undefined) return Credentials.token(token);
  // Unreachable: checked above.
  throw new ConfigError('Invalid configuration:\n  no upstream credentials');
}
