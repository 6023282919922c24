/**
 * Starts the embedded emulator on a worker thread of the console's process (worker.ts) and
 * watches it: `alive()` turns false if the thread dies, so `/api/health` can say so. The console
 * and the emulator share nothing but loopback HTTP, as with a real SecMaster.
 */
import { Worker } from 'node:worker_threads';
import type { EmulatorThreadData, EmulatorThreadMessage } from './worker';

export interface EmulatorThread {
  url: string;
  port: number;
  seeded: boolean;
  /** False once the thread has exited (crash or close). */
  alive(): boolean;
  /** Closes the listener and the database, then ends the thread. */
  close(): Promise<void>;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url).href;

/**
 * The worker's first module: the console runs under tsx (`node --import tsx`), whose loader a
 * worker does not inherit, so the thread registers it before importing the TypeScript entry.
 */
function bootstrap(): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL)}); });`;
}

export function startEmulatorThread(data: EmulatorThreadData): Promise<EmulatorThread> {
  const worker = new Worker(bootstrap(), { eval: true, workerData: data });
  let alive = true;
  let closing: Promise<void> | undefined;
  const exited = new Promise<number>((resolve) =>
    worker.once('exit', (code) => {
      alive = false;
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    worker.once('error', onError);
    void exited.then((code) => reject(new Error(`the emulator thread exited (code ${code})`)));
    worker.on('message', (message: EmulatorThreadMessage) => {
      if (message.type !== 'listening') return;
      worker.off('error', onError);
      worker.on('error', (error) =>
        console.error('emulator thread failed:', error instanceof Error ? error.message : error),
      );
      resolve({
        url: message.url,
        port: message.port,
        seeded: message.seeded,
        alive: () => alive,
        close() {
          // One close for every caller: a second call waits for the first.
          closing ??= (async () => {
            if (!alive) return;
            const closed = new Promise<void>((done) =>
              worker.on('message', (m: EmulatorThreadMessage) => {
                if (m.type === 'closed') done();
              }),
            );
            worker.postMessage({ type: 'close' });
            await Promise.race([closed, exited]);
            await worker.terminate();
          })();
          return closing;
        },
      });
    });
  });
}
