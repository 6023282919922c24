/**
 * Start-up refusals (non-loopback HOST without an access secret and TLS), TLS via node:https
 * (Secure cookie, PUBLIC_ORIGIN in the Host allow-list), and the health reasons of the start-up
 * check against SecMaster (unreachable endpoint, clock skew, refused credentials).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serve } from '@hono/node-server';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLedger } from '../batches/ledger';
import { ConfigError, loadConfig } from '../config';
import { createConsole } from '../console';
import { Credentials } from '../credentials';
import { startFakeUpstream } from '../testing/fake-upstream';
import { checkUpstream } from './upstream-check';

const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const ACCESS_TOKEN = 'console-access-token-0123456789abcdef';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
let cert: string;
let key: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'startup-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('refusals at start', () => {
  test('HOST beyond loopback needs an access secret and TLS, naming what is missing', () => {
    const none = errorOf({ HOST: '0.0.0.0' });
    expect(none).toContain('CONSOLE_ACCESS_TOKEN');
    expect(none).toContain('TLS');
    const noTls = errorOf({ HOST: '192.0.2.10', CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN });
    expect(noTls).toContain('TLS (TLS_CERT_FILE + TLS_KEY_FILE');
    expect(noTls).not.toContain('access secret');
    expect(noTls).not.toContain(ACCESS_TOKEN);
    const noSecret = errorOf({ HOST: '192.0.2.10', TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    expect(noSecret).toContain('access secret');
    expect(
      errorOf({
        HOST: '192.0.2.10',
        CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
        TLS_CERT_FILE: join(dir, 'missing.pem'),
        TLS_KEY_FILE: key,
      }),
    ).toContain('TLS_CERT_FILE: the file cannot be read');
    expect(
      errorOf({ HOST: '192.0.2.10', CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN, TRUST_PROXY_TLS: '1' }),
    ).toContain('TRUST_PROXY_TLS=1 needs PUBLIC_ORIGIN');
    expect(
      errorOf({
        HOST: '192.0.2.10',
        CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
        TRUST_PROXY_TLS: '1',
        PUBLIC_ORIGIN: 'http://console.example',
      }),
    ).toContain('TRUST_PROXY_TLS=1 needs PUBLIC_ORIGIN');
    expect(
      errorOf({
        HOST: '0.0.0.0',
        CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
        TLS_CERT_FILE: cert,
        TLS_KEY_FILE: key,
      }),
    ).toContain('set PUBLIC_ORIGIN');
    expect(errorOf({ CONSOLE_ACCESS_TOKEN: 'short' })).toContain('at least 16 characters');
    expect(errorOf({ CONSOLE_ACCESS_TOKEN: `${ACCESS_TOKEN}\r\nX: 1` })).toContain(
      'control characters',
    );
    expect(errorOf({ TLS_CERT_FILE: cert })).toContain(
      'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
    );
    expect(errorOf({ PUBLIC_ORIGIN: 'https://console.example/path' })).toContain('PUBLIC_ORIGIN');
    expect(errorOf({ IAM_ENDPOINT: 'http://iam.example.com' })).toContain(
      'IAM_ENDPOINT must be an https URL',
    );
  });

  test('accepted combinations', () => {
    const direct = loadConfig({
      HOST: '0.0.0.0',
      CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
      TLS_CERT_FILE: cert,
      TLS_KEY_FILE: key,
      PUBLIC_ORIGIN: 'https://console.example:8443',
    });
    expect(direct.tls).toEqual({ kind: 'files', certFile: cert, keyFile: key });
    expect(direct.publicOrigin).toBe('https://console.example:8443');
    const proxied = loadConfig({
      HOST: '10.0.0.5',
      CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
      TRUST_PROXY_TLS: '1',
      PUBLIC_ORIGIN: 'https://console.example',
    });
    expect(proxied.tls).toEqual({ kind: 'proxy' });
    // IAM sign-in is an access secret of its own.
    const iam = loadConfig({
      HOST: '10.0.0.5',
      SECMASTER_MODE: 'secmaster',
      SECMASTER_REGION: 'cn-north-4',
      TRUST_PROXY_TLS: '1',
      PUBLIC_ORIGIN: 'https://console.example',
    });
    expect(iam.iamSignIn).toBe(true);
    expect(iam.accessToken).toBeNull();
  });

  test('the server exits with code 2 and one clear line, no stack trace, no secret', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOST: '0.0.0.0',
        CLOUD_SDK_AK: 'EXAMPLEAK0000000000',
        CLOUD_SDK_SK: 'never-print-this-secret-key-0000',
        DATA_DIR: join(dir, 'data'),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('HOST: 0.0.0.0 is not a loopback address');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr + r.stdout).not.toContain('never-print-this-secret-key');
  });
});

describe('TLS', () => {
  test('over https the cookie is Secure; PUBLIC_ORIGIN is served, a foreign Host is not', async () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN,
      TLS_CERT_FILE: cert,
      TLS_KEY_FILE: key,
      PUBLIC_ORIGIN: 'https://console.example',
      DATA_DIR: dir,
    });
    const ledger = openLedger(':memory:');
    const { app, close } = createConsole(
      { ...config, endpoint: 'http://127.0.0.1:9', batchCallTimeoutMs: 500, batchConcurrency: 1 },
      { ledger },
    );
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve(
        {
          fetch: app.fetch,
          port: 0,
          hostname: '127.0.0.1',
          createServer: createHttpsServer,
          serverOptions: { cert: readFileSync(cert), key: readFileSync(key) },
        },
        () => resolve(s),
      );
    });
    const { port } = server.address() as AddressInfo;
    const send = (host: string, origin: string) =>
      new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const body = JSON.stringify({ method: 'access-token', token: ACCESS_TOKEN });
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/api/session',
            method: 'POST',
            rejectUnauthorized: false,
            headers: {
              Host: host,
              Origin: origin,
              'Content-Type': 'application/json',
              'X-Requested-With': 'fetch',
              'Content-Length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                cookie: String(res.headers['set-cookie'] ?? ''),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      const local = await send(`localhost:${port}`, `https://localhost:${port}`);
      expect(local.status).toBe(200);
      expect(local.cookie).toContain('Secure');
      expect(local.cookie).toContain('HttpOnly');
      expect(local.cookie).toContain('SameSite=Strict');
      const publicName = await send('console.example', 'https://console.example');
      expect(publicName.status).toBe(200);
      expect(publicName.cookie).toContain('Secure');
      const foreign = await send('evil.example', 'https://evil.example');
      expect(foreign.status).toBe(403);
      expect(foreign.cookie).toBe('');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await close();
      ledger.close();
    }
  });
});

describe('health reasons from the start-up check', () => {
  test('unreachable endpoint', async () => {
    const reason = await checkUpstream({
      endpoint: 'http://127.0.0.1:9',
      projectId: PROJECT,
      credentials: null,
      timeoutMs: 1_000,
    });
    expect(reason).toBe('SecMaster endpoint unreachable: 127.0.0.1:9');
  });

  test('clock skew beyond 15 minutes, refused credentials, and ok', async () => {
    const fake = await startFakeUpstream();
    try {
      const secret = 'skew-test-token-never-print';
      fake.onRead(() =>
        Response.json(
          { workspaces: [] },
          { headers: { Date: new Date(Date.now() + 20 * 60_000).toUTCString() } },
        ),
      );
      const skew = await checkUpstream({
        endpoint: fake.url,
        projectId: PROJECT,
        credentials: Credentials.token(secret),
        timeoutMs: 2_000,
      });
      expect(skew).toContain('clock skew');
      expect(skew).toContain('20 minutes');
      expect(skew).not.toContain(secret);

      fake.onRead(() =>
        Response.json(
          { error_code: 'APIG.0301', error_msg: 'Incorrect IAM authentication information' },
          { status: 401 },
        ),
      );
      const refused = await checkUpstream({
        endpoint: fake.url,
        projectId: PROJECT,
        credentials: Credentials.token(secret),
        timeoutMs: 2_000,
      });
      expect(refused).toContain('refused the configured credentials (APIG.0301)');
      expect(refused).toContain('SECMASTER_AUTH_TOKEN');
      expect(refused).not.toContain(secret);
      // IAM sign-in mode: the check is unauthenticated, so a 401 is expected and fine.
      expect(
        await checkUpstream({
          endpoint: fake.url,
          projectId: '',
          credentials: null,
          timeoutMs: 2_000,
        }),
      ).toBeNull();

      fake.onRead(() => Response.json({ workspaces: [] }));
      expect(
        await checkUpstream({
          endpoint: fake.url,
          projectId: PROJECT,
          credentials: Credentials.token(secret),
          timeoutMs: 2_000,
        }),
      ).toBeNull();
    } finally {
      await fake.close();
    }
  });

  test('/api/health answers 503 with the reason', async () => {
    const config = loadConfig({
      SECMASTER_MODE: 'secmaster',
      SECMASTER_ENDPOINT: 'http://127.0.0.1:9',
      SECMASTER_PROJECT_ID: PROJECT,
      SECMASTER_AUTH_TOKEN: 'health-token-never-print',
      BATCH_CONCURRENCY: '1',
      BATCH_CALL_TIMEOUT_MS: '500',
      DATA_DIR: dir,
    });
    const ledger = openLedger(':memory:');
    const { app, close } = createConsole(config, {
      ledger,
      upstreamStatus: () => 'SecMaster endpoint unreachable: 127.0.0.1:9',
    });
    const res = await app.request('/api/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unavailable',
      reason: 'SecMaster endpoint unreachable: 127.0.0.1:9',
    });
    await close();
    ledger.close();
  });
});
