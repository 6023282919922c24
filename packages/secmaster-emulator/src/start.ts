/**
 * The emulator's one start sequence, shared by `npm run emulator` (main.ts) and the console's
 * emulator thread (worker.ts): open the SQLite file (seeding it when new), listen on loopback; the
 * file is closed again if listening fails.
 */
import { startEmulator, type RunningEmulator } from './app';
import type { EmulatorAuth } from './auth';
import { openEmulatorDb } from './db';
import type { FaultConfig } from './faults';
import { seedEmulator, type SeedSizes } from './seed';

/** Plain data only (it crosses into the emulator thread): no functions, no class instances. */
export interface SeededEmulatorSettings {
  dataFile: string;
  seedSizes: SeedSizes;
  projectId: string;
  port: number;
  faults?: FaultConfig | undefined;
  auth: Omit<EmulatorAuth, 'now'>;
}

export interface SeededEmulator {
  emulator: RunningEmulator;
  /** True when this start created and seeded the file. */
  seeded: boolean;
  /** Stops listening, then closes the file. */
  close(): Promise<void>;
}

export async function startSeededEmulator(s: SeededEmulatorSettings): Promise<SeededEmulator> {
  const db = openEmulatorDb(s.dataFile);
  try {
    const { seeded } = seedEmulator(db, s.seedSizes);
    const emulator = await startEmulator({
      db,
      projectId: s.projectId,
      port: s.port,
      faults: s.faults,
      auth: s.auth,
    });
    return { emulator, seeded, close: () => emulator.close().finally(() => db.close()) };
  } catch (error) {
    db.close();
    throw error;
  }
}
