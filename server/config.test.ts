import { expect, test } from 'vitest';
import { ConfigError, DEMO_PROJECT_ID, loadConfig } from './config';

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
    batchConcurrency: 2,
    batchCallTimeoutMs: 20_000,
  });
  expect(c.authToken).toBeUndefined();
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
  expect(errorOf({ SECMASTER_MODE: 'secmaster', SECMASTER_PROJECT_ID: DEMO_PROJECT_ID })).toContain(
    'SECMASTER_ENDPOINT',
  );
  expect(errorOf({ SECMASTER_MODE: 'secmaster', SECMASTER_REGION: 'cn-north-4' })).toContain(
    'SECMASTER_PROJECT_ID',
  );
  expect(errorOf({ SECMASTER_AUTH_TOKEN: 'abc\r\nX-Evil: 1' })).toContain('SECMASTER_AUTH_TOKEN');
});

test('secmaster mode derives the endpoint from the region, or takes SECMASTER_ENDPOINT', () => {
  const base = { SECMASTER_MODE: 'secmaster', SECMASTER_PROJECT_ID: DEMO_PROJECT_ID };
  expect(loadConfig({ ...base, SECMASTER_REGION: 'cn-north-4' }).endpoint).toBe(
    'https://secmaster.cn-north-4.myhuaweicloud.com',
  );
  expect(loadConfig({ ...base, SECMASTER_ENDPOINT: 'https://example.test/' }).endpoint).toBe(
    'https://example.test',
  );
});

test('HOST must be a loopback address (no sign-in or TLS yet)', () => {
  expect(errorOf({ HOST: '0.0.0.0' })).toContain('HOST: 0.0.0.0 is not a loopback address');
  expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  expect(loadConfig({ HOST: '127.0.0.2' }).host).toBe('127.0.0.2');
});
