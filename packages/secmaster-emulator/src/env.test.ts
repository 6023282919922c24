/** The emulator's own environment (env.ts): only its variables count, each wrong one is named. */
import { describe, expect, test } from 'vitest';
import { DEMO_AK, DEMO_SK } from './auth';
import { DEMO_PROJECT_ID, readEmulatorEnv } from './env';
import { EmulatorConfigError } from './errors';
import { DEFAULT_SEED_SIZES } from './seed';

/** The message of the error `readEmulatorEnv(env)` throws. */
function refusal(env: Record<string, string | undefined>): string {
  try {
    readEmulatorEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(EmulatorConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('defaults', () => {
  test('nothing set: PORT + 1 of the default 8080, ./data, the demo project and pair', () => {
    expect(readEmulatorEnv({})).toEqual({
      port: 8081,
      dataDir: './data',
      seedSizes: DEFAULT_SEED_SIZES,
      faults: undefined,
      projectId: DEMO_PROJECT_ID,
      auth: { mode: 'aksk', credentials: { [DEMO_AK]: DEMO_SK } },
    });
  });

  test('EMULATOR_PORT defaults to PORT + 1 (0 stays 0); EMULATOR_PORT wins; empty is unset', () => {
    expect(readEmulatorEnv({ PORT: '9000' }).port).toBe(9001);
    expect(readEmulatorEnv({ PORT: '0' }).port).toBe(0);
    expect(readEmulatorEnv({ PORT: '9000', EMULATOR_PORT: '7000' }).port).toBe(7000);
    expect(readEmulatorEnv({ PORT: 'not a port', EMULATOR_PORT: '0' }).port).toBe(0);
    expect(readEmulatorEnv({ EMULATOR_PORT: '', DATA_DIR: '' })).toMatchObject({
      port: 8081,
      dataDir: './data',
    });
  });

  test("the console's own variables change nothing, whatever their value", () => {
    const consoleOnly = {
      HOST: '0.0.0.0',
      SECMASTER_MODE: 'nonsense',
      SECMASTER_ENDPOINT: 'not a url',
      SECMASTER_REGION: '??',
      CONSOLE_ACCESS_TOKEN: 'short',
      TLS_CERT_FILE: '/nowhere',
      TRUST_PROXY_TLS: 'maybe',
      TRUSTED_PROXIES: '0.0.0.0/0',
      PUBLIC_ORIGIN: 'nope',
      IAM_ENDPOINT: 'http://example.com',
      BATCH_CONCURRENCY: '99',
      BATCH_CALL_TIMEOUT_MS: '-1',
      CLOUD_SDK_SECURITY_TOKEN: 'orphan',
    };
    expect(readEmulatorEnv(consoleOnly)).toEqual(readEmulatorEnv({}));
  });
});

describe('authentication', () => {
  test('aksk accepts CLOUD_SDK_AK/SK besides the demo pair', () => {
    expect(readEmulatorEnv({ CLOUD_SDK_AK: 'AK1234', CLOUD_SDK_SK: 'secret' }).auth).toEqual({
      mode: 'aksk',
      credentials: { [DEMO_AK]: DEMO_SK, AK1234: 'secret' },
    });
  });

  test('token takes SECMASTER_AUTH_TOKEN; none checks nothing', () => {
    expect(readEmulatorEnv({ EMULATOR_AUTH: 'token', SECMASTER_AUTH_TOKEN: 'tok' }).auth).toEqual({
      mode: 'token',
      token: 'tok',
    });
    expect(readEmulatorEnv({ EMULATOR_AUTH: 'none', CLOUD_SDK_AK: 'half' }).auth).toEqual({
      mode: 'none',
    });
  });

  test('a wrong mode, a missing token or half a pair is refused, naming the variable', () => {
    expect(refusal({ EMULATOR_AUTH: 'basic' })).toContain(
      'EMULATOR_AUTH: must be one of "aksk", "token", "none"',
    );
    expect(refusal({ EMULATOR_AUTH: 'token' })).toContain(
      'SECMASTER_AUTH_TOKEN is required when EMULATOR_AUTH=token',
    );
    expect(refusal({ EMULATOR_AUTH: 'token', SECMASTER_AUTH_TOKEN: 'a\nb' })).toContain(
      'SECMASTER_AUTH_TOKEN contains control characters',
    );
    expect(refusal({ CLOUD_SDK_AK: 'AK1234' })).toContain(
      'CLOUD_SDK_AK and CLOUD_SDK_SK must be set together',
    );
    expect(refusal({ CLOUD_SDK_AK: 'AK-12', CLOUD_SDK_SK: 'secret' })).toContain(
      'CLOUD_SDK_AK must be 1 to 128 letters or digits',
    );
    expect(refusal({ CLOUD_SDK_AK: 'AK1234', CLOUD_SDK_SK: ' secret' })).toContain(
      'CLOUD_SDK_SK starts or ends with whitespace',
    );
  });

  test('messages never carry a secret', () => {
    const message = refusal({ CLOUD_SDK_AK: 'AK1234', CLOUD_SDK_SK: 'très-secret' });
    expect(message).toContain('CLOUD_SDK_SK must be printable ASCII');
    expect(message).not.toContain('très-secret');
  });
});

describe('every problem is named, all at once', () => {
  test('ports, project, seed and faults', () => {
    const message = refusal({
      EMULATOR_PORT: '70000',
      SECMASTER_PROJECT_ID: 'short',
      EMULATOR_SEED: '{"alerts":-1}',
      EMULATOR_FAULTS: '{"p500":2,"bogus":1}',
    });
    expect(message.split('\n')).toEqual([
      'Invalid configuration:',
      '  EMULATOR_PORT: must be a port number from 0 to 65535',
      '  SECMASTER_PROJECT_ID: must be 16 to 64 letters, digits, "-" or "_"',
      expect.stringMatching(/^ {2}EMULATOR_SEED\.alerts: /),
      expect.stringMatching(/^ {2}EMULATOR_FAULTS\.p500: /),
      '  EMULATOR_FAULTS.bogus: unknown key',
      expect.stringMatching(/^ {2}EMULATOR_FAULTS: the shares .* add up to 2, more than 1$/),
    ]);
  });

  test('a PORT that leaves no emulator port is named when EMULATOR_PORT is unset', () => {
    expect(refusal({ PORT: 'abc' })).toContain('PORT: must be a port number from 0 to 65535');
    expect(refusal({ PORT: '65535' })).toContain('PORT: leaves no port above it');
  });

  test('EMULATOR_SEED and EMULATOR_FAULTS must be JSON objects', () => {
    expect(refusal({ EMULATOR_SEED: '[1]' })).toContain(
      'EMULATOR_SEED: EMULATOR_SEED must be a JSON object',
    );
    expect(refusal({ EMULATOR_FAULTS: '{oops' })).toContain(
      'EMULATOR_FAULTS: EMULATOR_FAULTS must be a JSON object',
    );
  });

  test('EMULATOR_SEED and EMULATOR_FAULTS are parsed', () => {
    const env = readEmulatorEnv({
      EMULATOR_SEED: '{"alerts":7}',
      EMULATOR_FAULTS: '{"seed":3,"p500":0.5}',
    });
    expect(env.seedSizes).toEqual({ ...DEFAULT_SEED_SIZES, alerts: 7 });
    expect(env.faults).toMatchObject({ seed: 3, p500: 0.5 });
  });
});
