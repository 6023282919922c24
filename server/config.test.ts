import { describe, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { ConfigError, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, loadConfig } from './config';

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('defaults: loopback, port 8080, emulator on PORT+1, demo project', () => {
  const c = loadConfig({});
  expect(c).toMatchObject({
    port: 8080,
    host: '127.0.0.1',
    dataDir: './data',
    mode: 'emulator',
    emulatorPort: 8081,
    endpoint: 'http://127.0.0.1:8081',
    region: null,
    projectId: DEMO_PROJECT_ID,
    batchConcurrency: 8,
    batchCallTimeoutMs: 20_000,
    rateLimit: null,
  });
  expect(c.emulatorAuth).toBe('aksk');
  // Emulator mode signs with the documented demo pair unless CLOUD_SDK_AK/SK are set.
  expect(c.credentials?.reveal()).toEqual({ kind: 'aksk', ak: DEMO_AK, sk: DEMO_SK });
  expect(c.credentials?.source).toBe('demo');
});

test('SECMASTER_RATE_LIMIT: calls per second above 0, named when wrong', () => {
  expect(loadConfig({ SECMASTER_RATE_LIMIT: '20' }).rateLimit).toBe(20);
  expect(loadConfig({ SECMASTER_RATE_LIMIT: '0.5' }).rateLimit).toBe(0.5);
  expect(errorOf({ SECMASTER_RATE_LIMIT: '0' })).toContain('SECMASTER_RATE_LIMIT');
  expect(errorOf({ SECMASTER_RATE_LIMIT: 'fast' })).toContain('SECMASTER_RATE_LIMIT');
});

test('DATABASE_URL puts the ledger on PostgreSQL; its password is never shown', () => {
  const c = loadConfig({ DATABASE_URL: 'postgres://app:hunter2@db.example:5433/ledger' });
  expect(c.database?.url.reveal()).toBe('postgres://app:hunter2@db.example:5433/ledger');
  expect(c.database?.where).toBe('PostgreSQL db.example:5433/ledger');
  expect(c.database?.leaseMs).toBe(15_000);
  expect(JSON.stringify(c)).not.toContain('hunter2');
  expect(loadConfig({ DATABASE_URL: '' }).database).toBeNull();
  expect(loadConfig({}).database).toBeNull();
  expect(
    loadConfig({ DATABASE_URL: 'postgresql://db/x', DATABASE_LEASE_MS: '4000' }).database?.leaseMs,
  ).toBe(4000);
});

test.each([
  ['mysql://app:hunter2@db.example/ledger', 'DATABASE_URL must be a PostgreSQL URL'],
  ['app:hunter2@db.example', 'DATABASE_URL must be a'],
  ['postgres://app:hunter2@db.example:5432/', 'DATABASE_URL must name the database'],
])('a bad DATABASE_URL (%s) is named, its value unshown', (url, expected) => {
  const message = errorOf({ DATABASE_URL: url });
  expect(message).toContain(expected);
  expect(message).not.toContain('hunter2');
});

test.each([
  'options',
  'statement_timeout',
  'query_timeout',
  'idle_in_transaction_session_timeout',
  'lock_timeout',
  'connect_timeout',
  'keepalives',
  'replication',
  'client_encoding',
  'binary',
])(
  'DATABASE_URL with the query parameter %s is refused, the parameter named, neither the URL nor the password shown',
  (name) => {
    const url = `postgres://app:hunter2@db.example:5432/ledger?sslmode=verify-full&${name}=v4lue-0`;
    const message = errorOf({ DATABASE_URL: url });
    expect(message).toContain(`DATABASE_URL: the query parameter ${name} is refused`);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('v4lue-0');
    expect(message).not.toContain('db.example');
  },
);

test('DATABASE_URL with a query parameter nobody knows is refused without repeating it (it may be a piece of the password)', () => {
  const message = errorOf({ DATABASE_URL: 'postgres://app:hun@db.example/ledger?ter2' });
  expect(message).toContain('DATABASE_URL has a query parameter that the console does not use');
  expect(message).not.toContain('ter2');
  expect(message).not.toContain('hun');
});

test('DATABASE_URL keeps the parameters of where, who and TLS, and application_name', () => {
  const url =
    'postgres://app:hunter2@db.example:5432/ledger?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem' +
    '&sslnegotiation=direct&ssl=true&application_name=console-a&fallback_application_name=console';
  expect(loadConfig({ DATABASE_URL: url }).database?.url.reveal()).toBe(url);
  // A Unix socket's directory (and its port) as parameters: named in messages.
  expect(
    loadConfig({ DATABASE_URL: 'postgres:///ledger?host=/var/run/postgresql&port=5433&user=app' })
      .database?.where,
  ).toBe('PostgreSQL /var/run/postgresql:5433/ledger');
  // Parameters win over the URL's host and port, as node-postgres connects.
  expect(
    loadConfig({ DATABASE_URL: 'postgres://u:p@a.example:5432/db?host=b.example&port=6543' })
      .database?.where,
  ).toBe('PostgreSQL b.example:6543/db');
});

test('DATABASE_LEASE_MS out of range is named', () => {
  expect(errorOf({ DATABASE_URL: 'postgres://db/x', DATABASE_LEASE_MS: '500' })).toContain(
    'DATABASE_LEASE_MS: must be at least 2000',
  );
});

test('sign-in on DATABASE_URL needs SESSION_KEY (sessions are shared through the database)', () => {
  const token = 'a-long-console-access-token';
  expect(errorOf({ DATABASE_URL: 'postgres://db/x', CONSOLE_ACCESS_TOKEN: token })).toContain(
    'SESSION_KEY is required with DATABASE_URL when people sign in',
  );
  const key = randomBytes(32).toString('base64');
  expect(
    loadConfig({ DATABASE_URL: 'postgres://db/x', CONSOLE_ACCESS_TOKEN: token, SESSION_KEY: key })
      .database?.where,
  ).toBe('PostgreSQL db/x');
  // No sign-in (loopback, the environment's credential): no sessions to share.
  expect(loadConfig({ DATABASE_URL: 'postgres://db/x' }).database).not.toBeNull();
});

test('empty values count as unset', () => {
  expect(loadConfig({ PORT: '', HOST: '' }).port).toBe(8080);
});

test.each(['abc', '-1', '70000', '80.5'])(
  'a bad PORT (%s) is a ConfigError naming PORT',
  (value) => {
    const message = errorOf({ PORT: value });
    expect(message).toContain('PORT: must be a port number from 0 to 65535');
  },
);

test('other bad values name their variable', () => {
  expect(errorOf({ SECMASTER_MODE: 'cloud' })).toContain('SECMASTER_MODE');
  expect(errorOf({ BATCH_CONCURRENCY: '0' })).toContain('BATCH_CONCURRENCY');
  expect(errorOf({ EMULATOR_SEED: '[1]' })).toContain('EMULATOR_SEED must be a JSON object');
  expect(
    errorOf({
      SECMASTER_MODE: 'secmaster',
      SECMASTER_PROJECT_ID: DEMO_PROJECT_ID,
      SECMASTER_AUTH_TOKEN: 'tok',
    }),
  ).toContain('SECMASTER_ENDPOINT');
  expect(
    errorOf({
      SECMASTER_MODE: 'secmaster',
      SECMASTER_ENDPOINT: 'https://secmaster.example.test',
      SECMASTER_AUTH_TOKEN: 'tok',
    }),
  ).toContain('SECMASTER_PROJECT_ID');
  expect(errorOf({ EMULATOR_AUTH: 'hmac' })).toContain('EMULATOR_AUTH');
  expect(errorOf({ SECMASTER_AUTH_TOKEN: 'abc\r\nX-Evil: 1' })).toContain('SECMASTER_AUTH_TOKEN');
});

test('secmaster mode derives the endpoint from the region, or takes SECMASTER_ENDPOINT', () => {
  const base = {
    SECMASTER_MODE: 'secmaster',
    SECMASTER_PROJECT_ID: DEMO_PROJECT_ID,
    SECMASTER_AUTH_TOKEN: 'tok',
  };
  expect(loadConfig({ ...base, SECMASTER_REGION: 'cn-north-4' }).endpoint).toBe(
    'https://secmaster.cn-north-4.myhuaweicloud.com',
  );
  expect(loadConfig({ ...base, SECMASTER_ENDPOINT: 'https://example.test/' }).endpoint).toBe(
    'https://example.test',
  );
});

test('HOST beyond loopback needs an access secret and TLS', () => {
  expect(errorOf({ HOST: '0.0.0.0' })).toContain('HOST: 0.0.0.0 is not a loopback address');
  expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  expect(loadConfig({ HOST: '127.0.0.2' }).host).toBe('127.0.0.2');
});

const AK = 'EXAMPLEAK0000000000';
const SK = 'ExampleSecretKey0000000000000000000000000';
const TOKEN = 'MIIExampleIamToken-0123456789';
const SECMASTER = {
  SECMASTER_MODE: 'secmaster',
  SECMASTER_REGION: 'cn-north-4',
  SECMASTER_PROJECT_ID: DEMO_PROJECT_ID,
};

test('secmaster mode takes AK/SK or a token, or else people sign in with IAM', () => {
  const iam = loadConfig(SECMASTER);
  expect(iam.iamSignIn).toBe(true);
  expect(iam.credentials).toBeNull();
  expect(iam.iamEndpoint).toBe('https://iam.cn-north-4.myhuaweicloud.com');
  expect(
    loadConfig({ ...SECMASTER, CLOUD_SDK_AK: AK, CLOUD_SDK_SK: SK }).credentials?.reveal(),
  ).toEqual({ kind: 'aksk', ak: AK, sk: SK });
  expect(
    loadConfig({
      ...SECMASTER,
      CLOUD_SDK_AK: AK,
      CLOUD_SDK_SK: SK,
      CLOUD_SDK_SECURITY_TOKEN: TOKEN,
    }).credentials?.reveal(),
  ).toEqual({ kind: 'aksk', ak: AK, sk: SK, securityToken: TOKEN });
  expect(loadConfig({ ...SECMASTER, SECMASTER_AUTH_TOKEN: TOKEN }).credentials?.reveal()).toEqual({
    kind: 'token',
    token: TOKEN,
  });
  expect(errorOf({ ...SECMASTER, CLOUD_SDK_AK: AK })).toContain(
    'CLOUD_SDK_AK and CLOUD_SDK_SK must be set together',
  );
  expect(errorOf({ ...SECMASTER, CLOUD_SDK_SK: SK, SECMASTER_AUTH_TOKEN: TOKEN })).toContain(
    'CLOUD_SDK_AK and CLOUD_SDK_SK must be set together',
  );
  expect(
    errorOf({ ...SECMASTER, CLOUD_SDK_AK: AK, CLOUD_SDK_SK: SK, SECMASTER_AUTH_TOKEN: TOKEN }),
  ).toContain('not both');
  expect(
    errorOf({ ...SECMASTER, CLOUD_SDK_SECURITY_TOKEN: TOKEN, SECMASTER_AUTH_TOKEN: TOKEN }),
  ).toContain('CLOUD_SDK_SECURITY_TOKEN needs CLOUD_SDK_AK and CLOUD_SDK_SK');
});

test('emulator mode: CLOUD_SDK_AK/SK replace the demo pair; EMULATOR_AUTH=token needs the token', () => {
  const c = loadConfig({ CLOUD_SDK_AK: AK, CLOUD_SDK_SK: SK });
  expect(c.credentials?.reveal()).toEqual({ kind: 'aksk', ak: AK, sk: SK });
  expect(c.credentials?.source).toBe('environment');
  expect(errorOf({ EMULATOR_AUTH: 'token' })).toContain(
    'SECMASTER_AUTH_TOKEN is required when EMULATOR_AUTH=token',
  );
  const t = loadConfig({ EMULATOR_AUTH: 'token', SECMASTER_AUTH_TOKEN: TOKEN });
  expect(t.emulatorAuth).toBe('token');
  expect(t.credentials?.reveal()).toEqual({ kind: 'token', token: TOKEN });
  expect(loadConfig({ EMULATOR_AUTH: 'none' }).emulatorAuth).toBe('none');
});

test.each([
  ['CLOUD_SDK_AK', { CLOUD_SDK_AK: 'AK\r\nX-Evil: 1', CLOUD_SDK_SK: SK }],
  ['CLOUD_SDK_SK', { CLOUD_SDK_AK: AK, CLOUD_SDK_SK: 'Secret\nKey' }],
  ['CLOUD_SDK_SK', { CLOUD_SDK_AK: AK, CLOUD_SDK_SK: 'Secret\0Key' }],
  [
    'CLOUD_SDK_SECURITY_TOKEN',
    { CLOUD_SDK_AK: AK, CLOUD_SDK_SK: SK, CLOUD_SDK_SECURITY_TOKEN: 'a\rb' },
  ],
  ['SECMASTER_AUTH_TOKEN', { SECMASTER_AUTH_TOKEN: 'abc\nX-Evil: 1' }],
  ['CLOUD_SDK_AK', { CLOUD_SDK_AK: 'AK, Signature=x', CLOUD_SDK_SK: SK }],
  ['CLOUD_SDK_SK', { CLOUD_SDK_AK: AK, CLOUD_SDK_SK: ' padded ' }],
])('a bad credential is refused, naming %s and never printing a value', (name, env) => {
  for (const mode of [{}, SECMASTER]) {
    const message = errorOf({ ...mode, ...env });
    expect(message).toContain(name);
    for (const value of Object.values(env)) expect(message).not.toContain(value);
  }
});

test('credentials never show in JSON, inspect, template strings or spreads', () => {
  const c = loadConfig({
    ...SECMASTER,
    CLOUD_SDK_AK: AK,
    CLOUD_SDK_SK: SK,
    CLOUD_SDK_SECURITY_TOKEN: TOKEN,
  });
  const t = loadConfig({ ...SECMASTER, SECMASTER_AUTH_TOKEN: TOKEN });
  const d = loadConfig({});
  for (const shown of [
    JSON.stringify(c),
    JSON.stringify(t),
    JSON.stringify(d),
    inspect(c, { depth: 10, showHidden: true }),
    inspect(t, { depth: 10 }),
    inspect(d, { depth: 10 }),
    `${String(c.credentials)}`,
    JSON.stringify({ ...c.credentials }),
    JSON.stringify(structuredClone(c)),
  ]) {
    for (const secret of [AK, SK, TOKEN, DEMO_AK, DEMO_SK]) expect(shown).not.toContain(secret);
  }
  expect(JSON.parse(JSON.stringify(c)).credentials).toBe('[redacted]');
  expect(c.credentials?.describe()).toBe('aksk credentials (environment)');
});

describe('TRUSTED_PROXIES', () => {
  const proxy = { TRUST_PROXY_TLS: '1', PUBLIC_ORIGIN: 'https://console.example.com' };

  test('with TRUST_PROXY_TLS=1 it defaults to loopback (a proxy on the same host)', () => {
    expect(loadConfig(proxy).trustedProxies).toEqual(['127.0.0.0/8', '::1/128']);
    // Without the TLS proxy no X-Forwarded-For is believed at all.
    expect(loadConfig({}).trustedProxies).toEqual([]);
  });

  test('addresses and networks, IPv4 and IPv6, normalized to addr/prefix', () => {
    const c = loadConfig({
      ...proxy,
      TRUSTED_PROXIES: ' 10.0.0.5, 10.1.0.0/16 ,FD00::/64,[::1], ',
    });
    expect(c.trustedProxies).toEqual(['10.0.0.5/32', '10.1.0.0/16', 'fd00::/64', '::1/128']);
  });

  test('bad values are a ConfigError naming TRUSTED_PROXIES and saying what to write', () => {
    expect(errorOf({ TRUSTED_PROXIES: '127.0.0.1' })).toContain(
      'TRUSTED_PROXIES is only used with TRUST_PROXY_TLS=1',
    );
    for (const bad of ['proxy.internal', '10.0.0.0/33', '::/129', '10.0.0.1/x', '300.1.1.1']) {
      expect(errorOf({ ...proxy, TRUSTED_PROXIES: bad }), bad).toContain(
        'is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)',
      );
    }
    for (const everyone of ['0.0.0.0/0', '::/0']) {
      expect(errorOf({ ...proxy, TRUSTED_PROXIES: everyone }), everyone).toContain(
        'would trust every address',
      );
    }
    expect(errorOf({ ...proxy, TRUSTED_PROXIES: ' , ' })).toContain(
      'TRUSTED_PROXIES: list at least one proxy address',
    );
  });
});

describe('SESSION_KEY', () => {
  const key = randomBytes(32);

  test('unset: sessions stay in memory', () => {
    expect(loadConfig({}).sessionKeys).toBeNull();
  });

  test('hex or base64, with SESSION_KEY_PREVIOUS for a rotation; never shown', () => {
    const previous = randomBytes(32);
    const c = loadConfig({
      SESSION_KEY: key.toString('hex'),
      SESSION_KEY_PREVIOUS: previous.toString('base64'),
    });
    expect(c.sessionKeys?.current.id).toMatch(/^[0-9a-f]{16}$/);
    expect(c.sessionKeys?.previous?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(c.sessionKeys?.previous?.id).not.toBe(c.sessionKeys?.current.id);
    const shown = JSON.stringify(c) + inspect(c, { depth: 10 });
    expect(shown).not.toContain(key.toString('hex'));
    expect(shown).not.toContain(previous.toString('base64'));
  });

  test('refused clearly, naming the variable and never the value', () => {
    const bad = 'my-session-key-is-a-password';
    const message = errorOf({ SESSION_KEY: bad });
    expect(message).toContain(
      'SESSION_KEY must be 32 random bytes written as 64 hex digits or in base64',
    );
    expect(message).not.toContain(bad);
    expect(errorOf({ SESSION_KEY: key.toString('hex'), SESSION_KEY_PREVIOUS: 'short' })).toContain(
      'SESSION_KEY_PREVIOUS must be 32 random bytes',
    );
    expect(errorOf({ SESSION_KEY_PREVIOUS: key.toString('base64') })).toContain(
      'SESSION_KEY_PREVIOUS is only read with SESSION_KEY',
    );
  });
});
