import { defineConfig } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/support/chromium';

const port = Number(process.env.E2E_PORT ?? 8180);
// A throwaway DATA_DIR per run: the emulator seeds afresh and the ledger starts empty.
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'secmaster-e2e-'));
process.env.E2E_DATA_DIR = dataDir;
// A second console whose emulator injects faults (e2e/faults.spec.ts), on its own DATA_DIR.
export const faultsPort = port + 200;
const faultsDataDir =
  process.env.E2E_FAULTS_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'secmaster-e2e-faults-'));
process.env.E2E_FAULTS_DATA_DIR = faultsDataDir;
// A third console with sign-in enabled (e2e/sign-in.spec.ts); the workers read the same token.
export const signInPort = port + 100;
const signInDataDir =
  process.env.E2E_SIGN_IN_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'secmaster-e2e-sign-in-'));
process.env.E2E_SIGN_IN_DATA_DIR = signInDataDir;
const accessToken = process.env.E2E_ACCESS_TOKEN ?? `e2e-${randomBytes(24).toString('hex')}`;
process.env.E2E_ACCESS_TOKEN = accessToken;
// IAM sign-in for real: a console in `secmaster` mode with no credential of its own, talking to a
// standalone emulator and to the local IAM stand-in (e2e/iam-sign-in.spec.ts).
export const iamPort = port + 300;
export const iamStandInPort = port + 310;
const iamDataDir =
  process.env.E2E_IAM_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'secmaster-e2e-iam-'));
process.env.E2E_IAM_DATA_DIR = iamDataDir;

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  webServer: [
    {
      command: 'node --import tsx server/main.ts',
      url: `http://127.0.0.1:${port}/api/health`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      env: {
        PORT: String(port),
        EMULATOR_PORT: String(port + 1),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
      },
    },
    {
      command: 'node --import tsx server/main.ts',
      url: `http://127.0.0.1:${faultsPort}/api/health`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      env: {
        PORT: String(faultsPort),
        EMULATOR_PORT: String(faultsPort + 1),
        HOST: '127.0.0.1',
        DATA_DIR: faultsDataDir,
        BATCH_CALL_TIMEOUT_MS: '1500',
        EMULATOR_FAULTS: JSON.stringify({
          seed: 11,
          latency_ms: 250,
          p500: 0.1,
          p429: 0.05,
          retry_after_s: 0,
          p_throttle: 0.05,
          p_hang: 0.02,
          p_apply_then_hang: 0.02,
        }),
      },
    },
    {
      command: 'node --import tsx server/main.ts',
      url: `http://127.0.0.1:${signInPort}/api/health`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      env: {
        PORT: String(signInPort),
        EMULATOR_PORT: String(signInPort + 1),
        HOST: '127.0.0.1',
        DATA_DIR: signInDataDir,
        CONSOLE_ACCESS_TOKEN: accessToken,
      },
    },
    {
      command: 'node packages/secmaster-emulator/bin/secmaster-emulator.mjs',
      url: `http://127.0.0.1:${iamPort + 1}/v1/0a1b2c3d4e5f40718293a4b5c6d7e8f9/workspaces?offset=0&limit=1`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      env: {
        EMULATOR_PORT: String(iamPort + 1),
        DATA_DIR: iamDataDir,
        EMULATOR_AUTH: 'none',
      },
    },
    {
      command: 'node --import tsx packages/secmaster-emulator/src/iam.ts',
      url: `http://127.0.0.1:${iamStandInPort}/v3/projects?name=cn-north-4`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      env: { IAM_STANDIN_PORT: String(iamStandInPort) },
    },
    {
      command: 'node --import tsx server/main.ts',
      url: `http://127.0.0.1:${iamPort}/api/config`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      env: {
        PORT: String(iamPort),
        HOST: '127.0.0.1',
        DATA_DIR: join(iamDataDir, 'console'),
        SECMASTER_MODE: 'secmaster',
        SECMASTER_REGION: 'cn-north-4',
        SECMASTER_ENDPOINT: `http://127.0.0.1:${iamPort + 1}`,
        IAM_ENDPOINT: `http://127.0.0.1:${iamStandInPort}`,
      },
    },
  ],
});
