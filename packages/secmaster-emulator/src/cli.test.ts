/**
 * The emulator's commands as people run them: `npm start` and `npx secmaster-emulator` here, and
 * the `bin` itself. They read only the emulator's variables: console ones (a wildcard HOST, a mode
 * the console refuses) change nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DEMO_PROJECT_ID } from './env';
import { listWorkspacesStatus, runCommand, startEmulatorProcess } from './process';

const PACKAGE_DIR = join(import.meta.dirname, '..');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dataDir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
  dirs.push(dataDir);
  return {
    ...process.env,
    // Console variables the console itself would refuse to start with.
    HOST: '0.0.0.0',
    SECMASTER_MODE: 'nonsense',
    CONSOLE_ACCESS_TOKEN: 'short',
    EMULATOR_PORT: '0',
    DATA_DIR: dataDir,
    EMULATOR_SEED: '{"alerts":5,"incidents":2,"indicators":1}',
    ...extra,
  };
}

describe('started alone, beside any console variables', () => {
  test.each([
    ['npm start', 'npm', ['start']],
    ['npx secmaster-emulator', 'npx', ['--no-install', 'secmaster-emulator']],
    ['the bin', process.execPath, ['bin/secmaster-emulator.mjs']],
  ])(
    '%s answers signed calls on its port, and stops on SIGTERM',
    async (_name, cmd, args) => {
      const emulator = await startEmulatorProcess(cmd, args, { cwd: PACKAGE_DIR, env: env() });
      try {
        expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(await listWorkspacesStatus(emulator.url, DEMO_PROJECT_ID)).toBe(200);
        expect(emulator.output()).toContain(
          `(project ${DEMO_PROJECT_ID}, freshly seeded, auth aksk)`,
        );
      } finally {
        await emulator.stop();
      }
    },
    60_000,
  );

  test('a bad emulator variable stops the start: exit 2, the variable named', async () => {
    const run = await runCommand(process.execPath, ['bin/secmaster-emulator.mjs'], {
      cwd: PACKAGE_DIR,
      env: env({ EMULATOR_PORT: 'eighty', EMULATOR_AUTH: 'token' }),
    });
    expect(run.code).toBe(2);
    expect(run.output).toContain('Invalid configuration:');
    expect(run.output).toContain('EMULATOR_PORT: must be a port number from 0 to 65535');
    expect(run.output).toContain('SECMASTER_AUTH_TOKEN is required when EMULATOR_AUTH=token');
  }, 60_000);
});
