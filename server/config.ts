/** The environment, parsed and validated at start. Pure: takes `env` as an argument. */
import { accessSync, constants as fsConstants } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { Secret } from './access/secret';
import { SessionKey, SessionKeyError, type SessionKeys } from './access/session-key';
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
  BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(8),
  SECMASTER_RATE_LIMIT: z.coerce
    .number({ error: 'must be a number of calls per second, e.g. 20' })
    .positive('must be a number of calls per second above 0, e.g. 20')
    .max(100_000)
    .optional(),
  BATCH_CALL_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(20_000),
  CONSOLE_ACCESS_TOKEN: z.string().optional(),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  TRUST_PROXY_TLS: z.enum(['0', '1', 'true', 'false']).optional(),
  TRUSTED_PROXIES: z.string().optional(),
  PUBLIC_ORIGIN: z.url().optional(),
  IAM_ENDPOINT: z.url().optional(),
  DATABASE_URL: z.string().optional(),
  DATABASE_LEASE_MS: z.coerce
    .number({ error: 'must be a number of milliseconds, e.g. 15000' })
    .int('must be a whole number of milliseconds, e.g. 15000')
    .min(2000, 'must be at least 2000 (milliseconds)')
    .max(600_000, 'must be at most 600000 (milliseconds)')
    .default(15_000),
  SESSION_KEY: z.string().optional(),
  SESSION_KEY_PREVIOUS: z.string().optional(),
});

/** TLS for the console's own listener. */
export type TlsConfig =
  { kind: 'files'; certFile: string; keyFile: string } | { kind: 'proxy' } | null;

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
  credentials: Credentials | null;
  /**
   * SECMASTER_MODE=secmaster without AK/SK or SECMASTER_AUTH_TOKEN: people sign in with their IAM
   * user (the console obtains a token, in memory only); `credentials` is then null.
   */
  iamSignIn: boolean;
  /** IAM base URL: IAM_ENDPOINT, else `https://iam.{region}.myhuaweicloud.com` (null: no region). */
  iamEndpoint: string | null;
  /** SECMASTER_PROJECT_ID was not given in secmaster mode: looked up from IAM by region name. */
  projectIdLookup: boolean;
  /** CONSOLE_ACCESS_TOKEN: people sign in with it, automation sends it as a Bearer token. */
  accessToken: Secret | null;
  tls: TlsConfig;
  /**
   * TRUSTED_PROXIES as `addr/prefix` networks: the peers whose `X-Forwarded-For` is believed (the
   * client is the rightmost address there that is not one of them). Only with TRUST_PROXY_TLS=1,
   * where it defaults to loopback (a proxy on the same host); empty otherwise.
   */
  trustedProxies: readonly string[];
  /** PUBLIC_ORIGIN (`https://console.example`): its host is served, its origin accepted. */
  publicOrigin: string | null;
  /** How the emulator checks callers (emulator mode and `npm run emulator`). */
  emulatorAuth: 'aksk' | 'token' | 'none';
  /** Most upstream calls in flight; below it, concurrency follows the rate and the latency. */
  batchConcurrency: number;
  batchCallTimeoutMs: number;
  /** SECMASTER_RATE_LIMIT: calls/s never exceeded per credential (and per kind of call), or null. */
  rateLimit: number | null;
  /**
   * SESSION_KEY (and SESSION_KEY_PREVIOUS during a rotation): sessions are kept in the ledger's
   * database, sealed with it, shared by every console on that database and kept across restarts.
   * Null: sessions live in this process's memory only. Redacted when logged or serialised.
   */
  sessionKeys: SessionKeys | null;
  /**
   * DATABASE_URL: the ledger (batches, sessions, sign-in limits, the shared upstream budget) is on
   * this PostgreSQL database, shared with every console pointed at it; null: the SQLite file
   * DATA_DIR/ledger.sqlite, this console's alone.
   */
  database: DatabaseConfig | null;
}

export interface DatabaseConfig {
  /** The connection URL; it may hold a password: redacted when logged or serialised. */
  url: Secret;
  /** Where it is, for messages: host, port and database name, never the user or password. */
  where: string;
  /**
   * DATABASE_LEASE_MS: how long a batch's lease lasts without renewal; a console that stops
   * (killed, paused, cut off) has its batches taken over by another within about that.
   */
  leaseMs: number;
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
  const credentials = loadCredentials(e);
  const iamSignIn = e.SECMASTER_MODE === 'secmaster' && credentials === null;
  const iamEndpoint = e.IAM_ENDPOINT
    ? e.IAM_ENDPOINT.replace(/\/+$/, '')
    : e.SECMASTER_REGION
      ? `https://iam.${e.SECMASTER_REGION}.myhuaweicloud.com`
      : null;
  const projectIdLookup = e.SECMASTER_MODE === 'secmaster' && !e.SECMASTER_PROJECT_ID;
  const problems: string[] = [];
  if (projectIdLookup && !e.SECMASTER_REGION && !iamSignIn) {
    problems.push(
      'SECMASTER_PROJECT_ID (or SECMASTER_REGION, to look it up from IAM) is required when SECMASTER_MODE=secmaster',
    );
  }
  if (e.IAM_ENDPOINT) problems.push(...checkEndpoint('IAM_ENDPOINT', e.IAM_ENDPOINT));
  const access = loadAccess(e, iamSignIn, problems);
  const sessionKeys = loadSessionKeys(e, problems);
  const database = loadDatabase(e, problems);
  // Several consoles on one database: a person signed in on one is signed in on all, so sessions
  // are kept in the database, and an IAM token is kept there only sealed with SESSION_KEY (never in
  // clear). A console with sign-in on DATABASE_URL therefore needs SESSION_KEY.
  if (
    database &&
    e.SESSION_KEY === undefined &&
    (e.CONSOLE_ACCESS_TOKEN !== undefined || iamSignIn)
  ) {
    problems.push(
      'SESSION_KEY is required with DATABASE_URL when people sign in (CONSOLE_ACCESS_TOKEN or IAM sign-in): ' +
        'sessions are kept in the shared database, sealed with it, so that every console knows them ' +
        '(generate one: openssl rand -base64 32)',
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
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
    // Looked up at start (AK/SK, token) or at sign-in (IAM) when not given: '' until then.
    projectId: e.SECMASTER_PROJECT_ID ?? (e.SECMASTER_MODE === 'emulator' ? DEMO_PROJECT_ID : ''),
    credentials,
    iamSignIn,
    iamEndpoint,
    projectIdLookup,
    ...access,
    emulatorAuth: e.EMULATOR_AUTH,
    batchConcurrency: e.BATCH_CONCURRENCY,
    batchCallTimeoutMs: e.BATCH_CALL_TIMEOUT_MS,
    rateLimit: e.SECMASTER_RATE_LIMIT ?? null,
    sessionKeys,
    database,
  };
}

/**
 * The query parameters DATABASE_URL may have: where and as whom the console connects, TLS to the
 * database, and the name its connections show in `pg_stat_activity`. node-postgres
 * (pg-connection-string) reads these, and more: `options` (any server setting, on every
 * connection), `statement_timeout`, `query_timeout`, `idle_in_transaction_session_timeout`,
 * `lock_timeout`, `replication`, `client_encoding`, `binary`, which override what the console sets
 * on its own connections (db/postgres.ts, main.ts: timeouts no longer than the lease, so that a
 * console paused or cut off cannot hold a batch's rows past it). Those, and libpq's parameters that
 * node-postgres ignores (`connect_timeout`, `keepalives`, `target_session_attrs`...), are refused.
 */
export const DATABASE_URL_PARAMETERS: readonly string[] = [
  'host',
  'port',
  'user',
  'password',
  'ssl',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslnegotiation',
  'uselibpqcompat',
  'application_name',
  'fallback_application_name',
];

/**
 * Parameters of PostgreSQL's connection strings (libpq's, and node-postgres's own) that DATABASE_URL
 * may not have: a refusal names these. Any other name is not repeated (a stray `?...` may be a
 * piece of the password).
 */
const KNOWN_DATABASE_URL_PARAMETERS = new Set([
  'options',
  'statement_timeout',
  'query_timeout',
  'idle_in_transaction_session_timeout',
  'idle_session_timeout',
  'lock_timeout',
  'connect_timeout',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'client_encoding',
  'binary',
  'dbname',
  'hostaddr',
  'service',
  'passfile',
  'target_session_attrs',
  'load_balance_hosts',
  'channel_binding',
  'gssencmode',
  'gsslib',
  'krbsrvname',
  'requiressl',
  'requirepeer',
  'sslpassword',
  'sslcompression',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'require_auth',
  'min_protocol_version',
  'max_protocol_version',
  'db',
  'encoding',
]);

/** DATABASE_URL's query parameters that are refused (see DATABASE_URL_PARAMETERS); appends problems. */
function checkDatabaseParameters(u: URL, problems: string[]): void {
  const accepted = `accepted: ${DATABASE_URL_PARAMETERS.join(', ')}`;
  let unknown = false;
  for (const name of new Set(u.searchParams.keys())) {
    if (DATABASE_URL_PARAMETERS.includes(name)) continue;
    if (KNOWN_DATABASE_URL_PARAMETERS.has(name)) {
      problems.push(
        `DATABASE_URL: the query parameter ${name} is refused: the console sets its connections' timeouts and settings itself (the lease time governs them: DATABASE_LEASE_MS), and a parameter in the URL would override them or not be read at all; ${accepted}`,
      );
    } else unknown = true;
  }
  if (unknown) {
    problems.push(
      `DATABASE_URL has a query parameter that the console does not use (not repeated here: it may hold a piece of the password); ${accepted}`,
    );
  }
}

/**
 * DATABASE_URL (and DATABASE_LEASE_MS); appends problems naming the variable, never its value (a
 * URL may hold a password).
 */
function loadDatabase(e: Env, problems: string[]): DatabaseConfig | null {
  if (e.DATABASE_URL === undefined) return null;
  let u: URL;
  try {
    u = new URL(e.DATABASE_URL);
  } catch {
    problems.push(
      'DATABASE_URL must be a URL, e.g. postgres://user:password@db.example:5432/console',
    );
    return null;
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    problems.push(
      'DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database); unset it to keep the ledger in DATA_DIR',
    );
    return null;
  }
  if (u.pathname === '' || u.pathname === '/') {
    problems.push(
      'DATABASE_URL must name the database, e.g. postgres://user:password@host:5432/console',
    );
    return null;
  }
  const before = problems.length;
  checkDatabaseParameters(u, problems);
  if (problems.length > before) return null;
  // As node-postgres reads it (pg-connection-string): a `host` or `port` parameter wins over the
  // URL's own.
  const host = u.searchParams.get('host') || u.hostname || 'localhost';
  const port = u.searchParams.get('port') || u.port;
  return {
    url: new Secret(e.DATABASE_URL),
    where: `PostgreSQL ${host}${port ? `:${port}` : ''}${decodeURIComponent(u.pathname)}`,
    leaseMs: e.DATABASE_LEASE_MS,
  };
}

/** SESSION_KEY and SESSION_KEY_PREVIOUS; appends problems naming the variable, never a value. */
function loadSessionKeys(e: Env, problems: string[]): SessionKeys | null {
  const parse = (name: string, value: string): SessionKey | null => {
    try {
      return SessionKey.parse(name, value);
    } catch (error) {
      if (!(error instanceof SessionKeyError)) throw error;
      problems.push(error.message);
      return null;
    }
  };
  const current = e.SESSION_KEY === undefined ? null : parse('SESSION_KEY', e.SESSION_KEY);
  const previous =
    e.SESSION_KEY_PREVIOUS === undefined
      ? null
      : parse('SESSION_KEY_PREVIOUS', e.SESSION_KEY_PREVIOUS);
  if (e.SESSION_KEY === undefined && e.SESSION_KEY_PREVIOUS !== undefined) {
    problems.push(
      'SESSION_KEY_PREVIOUS is only read with SESSION_KEY (the key that seals new sessions): set SESSION_KEY too, or remove SESSION_KEY_PREVIOUS',
    );
  }
  return current === null ? null : { current, previous };
}

type Env = z.infer<typeof envSchema>;

/** http only on loopback (the local IAM stand-in); https anywhere else. */
function checkEndpoint(name: string, value: string): string[] {
  const u = new URL(value);
  if (u.protocol === 'https:') return [];
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return [];
  return [`${name} must be an https URL (http only on loopback)`];
}

function readable(file: string): boolean {
  try {
    accessSync(file, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/**
 * Access control of the console itself: CONSOLE_ACCESS_TOKEN, TLS and
 * PUBLIC_ORIGIN; beyond loopback both an access secret (the token or IAM sign-in) and TLS are
 * required. Appends problems (naming variables, never values).
 */
function loadAccess(
  e: Env,
  iamSignIn: boolean,
  problems: string[],
): Pick<Config, 'accessToken' | 'tls' | 'publicOrigin' | 'trustedProxies'> {
  const token = e.CONSOLE_ACCESS_TOKEN;
  const tokenProblems = checkSecret('CONSOLE_ACCESS_TOKEN', token);
  if (token !== undefined && tokenProblems.length === 0 && token.length < 16) {
    tokenProblems.push('CONSOLE_ACCESS_TOKEN must be at least 16 characters');
  }
  problems.push(...tokenProblems);
  const trustProxy = e.TRUST_PROXY_TLS === '1' || e.TRUST_PROXY_TLS === 'true';
  let publicOrigin: string | null = null;
  if (e.PUBLIC_ORIGIN !== undefined) {
    const u = new URL(e.PUBLIC_ORIGIN);
    if (u.origin === 'null' || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
      problems.push('PUBLIC_ORIGIN must be an origin only, e.g. https://console.example.com');
    } else publicOrigin = u.origin;
  }
  let tls: TlsConfig = null;
  const hasCert = e.TLS_CERT_FILE !== undefined;
  const hasKey = e.TLS_KEY_FILE !== undefined;
  if (hasCert !== hasKey) problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  if (e.TLS_CERT_FILE !== undefined && e.TLS_KEY_FILE !== undefined) {
    if (trustProxy)
      problems.push('set either TLS_CERT_FILE/TLS_KEY_FILE or TRUST_PROXY_TLS, not both');
    const unreadable = [
      ['TLS_CERT_FILE', e.TLS_CERT_FILE],
      ['TLS_KEY_FILE', e.TLS_KEY_FILE],
    ].filter(([, f]) => !readable(f ?? ''));
    for (const [name] of unreadable) problems.push(`${name}: the file cannot be read`);
    if (unreadable.length === 0) {
      tls = { kind: 'files', certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE };
    }
  } else if (trustProxy) {
    if (publicOrigin === null || !publicOrigin.startsWith('https://')) {
      problems.push(
        'TRUST_PROXY_TLS=1 needs PUBLIC_ORIGIN, the https URL people open (e.g. https://console.example.com)',
      );
    } else tls = { kind: 'proxy' };
  }
  let trustedProxies: string[] = [];
  if (e.TRUSTED_PROXIES !== undefined) {
    if (!trustProxy) {
      problems.push(
        'TRUSTED_PROXIES is only used with TRUST_PROXY_TLS=1 (a TLS proxy in front): set TRUST_PROXY_TLS=1 or remove TRUSTED_PROXIES',
      );
    } else trustedProxies = parseTrustedProxies(e.TRUSTED_PROXIES, problems);
  } else if (trustProxy) {
    trustedProxies = [...LOOPBACK_NETWORKS];
  }
  if (!isLoopbackHost(e.HOST)) {
    const missing: string[] = [];
    if (token === undefined && !iamSignIn) {
      missing.push(
        'an access secret (CONSOLE_ACCESS_TOKEN, or IAM sign-in: SECMASTER_MODE=secmaster without AK/SK or SECMASTER_AUTH_TOKEN)',
      );
    }
    if (tls === null && !(hasCert || hasKey || trustProxy)) {
      missing.push(
        'TLS (TLS_CERT_FILE + TLS_KEY_FILE, or TRUST_PROXY_TLS=1 with an https PUBLIC_ORIGIN)',
      );
    }
    if (missing.length > 0) {
      problems.push(
        `HOST: ${e.HOST.slice(0, 64)} is not a loopback address; listening beyond loopback needs ${missing.join(' and ')}`,
      );
    } else if (WILDCARD_HOSTS.has(e.HOST) && publicOrigin === null) {
      problems.push(
        `HOST: ${e.HOST} listens on every address; set PUBLIC_ORIGIN to the URL people open (its host name is the only one served besides loopback)`,
      );
    }
  }
  return {
    accessToken: token !== undefined && tokenProblems.length === 0 ? new Secret(token) : null,
    tls,
    publicOrigin,
    trustedProxies,
  };
}

/** TRUSTED_PROXIES' default with TRUST_PROXY_TLS=1: a proxy on the same host. */
export const LOOPBACK_NETWORKS = ['127.0.0.0/8', '::1/128'] as const;

/**
 * TRUSTED_PROXIES: comma-separated IP addresses or CIDR networks (`10.0.0.5`, `10.0.0.0/24`,
 * `fd00::/64`) as `addr/prefix` strings; appends a problem for each entry that is not one. A
 * network that holds every address (`/0`) is refused: it would let any client set its own address.
 */
function parseTrustedProxies(value: string, problems: string[]): string[] {
  const out: string[] = [];
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) {
    problems.push('TRUSTED_PROXIES: list at least one proxy address, e.g. 127.0.0.1');
  }
  for (const entry of entries) {
    const m = /^\[?([0-9A-Fa-f:.]+)\]?(?:\/(\d{1,3}))?$/.exec(entry);
    const addr = m?.[1] ?? '';
    const family = isIP(addr);
    const bits = family === 4 ? 32 : 128;
    const prefix = m?.[2] === undefined ? bits : Number(m[2]);
    if (!m || family === 0 || prefix > bits) {
      problems.push(
        `TRUSTED_PROXIES: "${entry.slice(0, 64)}" is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)`,
      );
    } else if (prefix === 0) {
      problems.push(
        `TRUSTED_PROXIES: "${entry.slice(0, 64)}" would trust every address (any client could choose its own address for the sign-in limits); list the proxy's own address or network`,
      );
    } else out.push(`${addr.toLowerCase()}/${prefix}`);
  }
  return out;
}

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

/** The upstream credentials; throws ConfigError naming variables, never values. */
function loadCredentials(e: Env): Credentials | null {
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
    // Neither AK/SK nor a token: IAM sign-in mode (people sign in; credentials stay null).
    if ((hasAk || hasSk) && token !== undefined) {
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
  return null;
}
