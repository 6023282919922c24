/** `npm run emulator`: the SecMaster emulator on its own (the only side-effectful module here). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { emulatorAuthFromConfig } from './auth';
import { parseFaults, type FaultConfig } from './faults';
import { parseSeedSizes } from './seed';
import { startSeededEmulator } from './start';

async function main(): Promise<void> {
  let config;
  let sizes;
  let faults: FaultConfig | undefined;
  try {
    config = loadConfig(process.env);
    sizes = parseSeedSizes(config.emulatorSeed);
    faults = config.emulatorFaults === undefined ? undefined : parseFaults(config.emulatorFaults);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  mkdirSync(config.dataDir, { recursive: true });
  const { emulator, seeded, close } = await startSeededEmulator({
    dataFile: join(config.dataDir, 'emulator.sqlite'),
    seedSizes: sizes,
    projectId: config.projectId,
    port: config.emulatorPort,
    faults,
    auth: emulatorAuthFromConfig(config),
  });
  console.log(
    `SecMaster emulator listening on ${emulator.url} (project ${config.projectId}${seeded ? ', freshly seeded' : ''}, auth ${config.emulatorAuth})`,
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
