/**
 * `npm run emulator` at the repository's root runs the emulator package's own command: it reads
 * only the emulator's variables, so a console environment the console itself refuses (a wildcard
 * HOST without TLS, an unknown SECMASTER_MODE) does not stop it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PROJECT_ID } from 'secmaster-emulator';
import { listWorkspacesStatus, startEmulatorProcess } from 'secmaster-emulator/process';
import { afterAll, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'emu-script-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('npm run emulator answers on its port beside any console variables', async () => {
  const emulator = await startEmulatorProcess('npm', ['run', 'emulator'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '0.0.0.0',
      SECMASTER_MODE: 'nonsense',
      TRUSTED_PROXIES: '0.0.0.0/0',
      EMULATOR_PORT: '0',
      DATA_DIR: dataDir,
      EMULATOR_SEED: '{"alerts":5,"incidents":2,"indicators":1}',
    },
  });
  try {
    expect(await listWorkspacesStatus(emulator.url, DEMO_PROJECT_ID)).toBe(200);
    expect(emulator.output()).toContain('freshly seeded');
  } finally {
    await emulator.stop();
  }
}, 60_000);
