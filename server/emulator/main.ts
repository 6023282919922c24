/** `npm run emulator`: the SecMaster emulator on its own (the only side-effectful module here). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { startEmulator } from './app';
import { openEmulatorDb } from './db';
import { parseSeedSizes, seedEmulator } from './seed';

async function main(): Promise<void> {
  let config;
  let sizes;
  try {
    config = loadConfig(process.env);
    sizes = parseSeedSizes(config.emulatorSeed);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  mkdirSync(config.dataDir, { recursive: true });
  const db = openEmulatorDb(join(config.dataDir, 'emulator.sqlite'));
  const { seeded } = seedEmulator(db, sizes);
  const emulator = await startEmulator({
    db,
    projectId: config.projectId,
    port: config.emulatorPort,
  });
  console.log(
    `SecMaster emulator listening on ${emulator.url} (project ${config.projectId}${seeded ? ', freshly seeded' : ''})`,
  );

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    emulator
      .close()
      .catch((error: unknown) => console.error('emulator: error while closing', error))
      .finally(() => {
        db.close();
        process.exit(0);
      });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
