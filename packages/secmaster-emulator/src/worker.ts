/**
 * The embedded emulator's thread (thread.ts starts it): opens and seeds its SQLite file, listens
 * on loopback, and answers `close` from the console's thread. It runs on its own event loop so
 * that the emulator's work (a search over 100,000 seeded alerts, a batch's 1,000 calls) never
 * waits behind the console's, nor the console's behind it: a real SecMaster is another machine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startSeededEmulator, type SeededEmulatorSettings } from './start';

/** What the thread is started with (structured-cloneable). */
export type EmulatorThreadData = SeededEmulatorSettings;

export type EmulatorThreadMessage =
  { type: 'listening'; url: string; port: number; seeded: boolean } | { type: 'closed' };

async function run(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('secmaster-emulator/src/worker.ts runs as a worker thread only');
  // Its start failing ends the thread with the error (thread.ts rejects the start with it).
  const { emulator, seeded, close } = await startSeededEmulator(workerData as EmulatorThreadData);
  port.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type !== 'close') return;
    close()
      .catch((error: unknown) =>
        console.error(
          'emulator: error while closing',
          error instanceof Error ? error.message : error,
        ),
      )
      .finally(() => {
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
