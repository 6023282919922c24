/**
 * The embedded emulator's thread (thread.ts starts it): opens and seeds its SQLite file, listens
 * on loopback, and answers `close` from the console's thread. It runs on its own event loop so
 * that the emulator's work (a search over 100,000 seeded alerts, a batch's 1,000 calls) never
 * waits behind the console's, nor the console's behind it: a real SecMaster is another machine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startEmulator } from './app';
import type { EmulatorAuth } from './auth';
import { openEmulatorDb } from './db';
import type { FaultConfig } from './faults';
import { seedEmulator, type SeedSizes } from './seed';

/** Structured-cloneable settings: plain data only (no functions, no class instances). */
export interface EmulatorThreadData {
  dataFile: string;
  seedSizes: SeedSizes;
  projectId: string;
  port: number;
  faults?: FaultConfig;
  auth: Omit<EmulatorAuth, 'now'>;
}

export type EmulatorThreadMessage =
  { type: 'listening'; url: string; port: number; seeded: boolean } | { type: 'closed' };

async function run(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('server/emulator/worker.ts runs as a worker thread only');
  const data = workerData as EmulatorThreadData;
  const db = openEmulatorDb(data.dataFile);
  let seeded: boolean;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    seeded = seedEmulator(db, data.seedSizes).seeded;
    emulator = await startEmulator({
      db,
      projectId: data.projectId,
      port: data.port,
      faults: data.faults,
      auth: data.auth,
    });
  } catch (error) {
    db.close(); // the thread ends with this error (thread.ts rejects the start with it)
    throw error;
  }
  port.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== 'close') return;
    emulator
      .close()
      .catch((error: unknown) =>
        console.error(
          'emulator: error while closing',
          error instanceof Error ? error.message : error,
        ),
      )
      .finally(() => {
        db.close();
        port.postMessage({ type: 'closed' } satisfies EmulatorThreadMessage);
        port.close();
      });
  });
  port.postMessage({
    type: 'listening',
    url: emulator.url,
    port: emulator.port,
    seeded,
  } satisfies EmulatorThreadMessage);
}

await run();
