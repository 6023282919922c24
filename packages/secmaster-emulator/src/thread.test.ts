import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { signRequest } from 'apig-signing';
import { workspaceListResponseSchema } from './answers';
import { DEMO_AK, DEMO_SK } from './auth';
import { DEMO_PROJECT_ID } from './env';
import { SEED_WORKSPACES } from './seed';
import { startEmulatorThread } from './thread';

const dir = mkdtempSync(join(tmpdir(), 'emulator-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settings = (file: string, port = 0) => ({
  dataFile: join(dir, file),
  seedSizes: { alerts: 10, incidents: 2, indicators: 3 },
  projectId: DEMO_PROJECT_ID,
  port,
  auth: { mode: 'aksk' as const, credentials: { [DEMO_AK]: DEMO_SK } },
});

describe('the embedded emulator on its own thread', () => {
  test('seeds its file, answers signed calls, and reports when it has stopped', async () => {
    const emulator = await startEmulatorThread(settings('a.sqlite'));
    try {
      expect(emulator.seeded).toBe(true);
      expect(emulator.alive()).toBe(true);
      const url = `${emulator.url}/v1/${DEMO_PROJECT_ID}/workspaces?offset=0&limit=10`;
      const headers = signRequest({
        method: 'GET',
        url,
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': DEMO_PROJECT_ID },
        body: undefined,
        ak: DEMO_AK,
        sk: DEMO_SK,
        now: new Date(),
      });
      delete headers.host;
      const res = await fetch(url, { headers });
      expect(res.status).toBe(200);
      const list = workspaceListResponseSchema.parse(await res.json());
      expect(list.workspaces.map((w) => w.id)).toEqual(SEED_WORKSPACES.map((w) => w.id));
      // Unsigned: the thread runs the same gateway checks as the standalone emulator.
      expect((await fetch(url)).status).toBe(401);
    } finally {
      // Two closes at once (shutdown racing a crash handler): one close, both resolve.
      await Promise.all([emulator.close(), emulator.close()]);
    }
    expect(emulator.alive()).toBe(false);
    await expect(fetch(`${emulator.url}/v1`)).rejects.toThrow();

    // The file outlives the thread: a second start finds it seeded.
    const again = await startEmulatorThread(settings('a.sqlite'));
    expect(again.seeded).toBe(false);
    await again.close();
  });

  test('a port already taken rejects the start with the reason', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => {
        const address = blocker.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      }),
    );
    try {
      await expect(startEmulatorThread(settings('b.sqlite', port))).rejects.toThrow(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
