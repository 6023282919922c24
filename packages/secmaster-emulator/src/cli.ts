/**
 * The emulator on its own (`npm run emulator`, `npm start` here, `secmaster-emulator`): reads its
 * settings (env.ts), opens or seeds `${DATA_DIR}/emulator.sqlite`, listens on 127.0.0.1. The only
 * side-effectful module of the package; a bad setting or a damaged store ends it with exit 2.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readEmulatorEnv, type EmulatorEnv } from './env';
import { DamagedStoreError, EmulatorConfigError } from './errors';
import { startSeededEmulator, type SeededEmulator } from './start';

function refuse(error: unknown): never {
  if (error instanceof EmulatorConfigError || error instanceof DamagedStoreError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}

async function main(): Promise<void> {
  let settings: EmulatorEnv;
  try {
    settings = readEmulatorEnv(process.env);
  } catch (error) {
    refuse(error);
  }

  mkdirSync(settings.dataDir, { recursive: true });
  let started: SeededEmulator;
  try {
    started = await startSeededEmulator({
      dataFile: join(settings.dataDir, 'emulator.sqlite'),
      seedSizes: settings.seedSizes,
      projectId: settings.projectId,
      port: settings.port,
      faults: settings.faults,
      auth: settings.auth,
    });
  } catch (error) {
    refuse(error);
  }
  const { emulator, seeded, close } = started;
  console.log(
    `SecMaster emulator listening on ${emulator.url} (project ${settings.projectId}${seeded ? ', freshly seeded' : ''}, auth ${settings.auth.mode})`,
  );
  if (emulator.faults) {
    const { seed } = emulator.faults.stats();
    console.log(
      `emulator: injecting faults ${JSON.stringify({ ...emulator.faults.config, seed })} (the seed replays the schedule)`,
    );
  }

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    close()
      .catch((error: unknown) => console.error('emulator: error while closing', error))
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
