/** Test helpers for the emulator's tests (fresh in-memory database, fixed clock and host). */
import type { Database } from 'better-sqlite3';
import { createEmulator } from './app';
import type { EmulatorAuth } from './auth';
import { openEmulatorDb } from './db';
import { seedEmulator, type SeedSizes } from './seed';

export const TEST_PROJECT_ID = '0123456789abcdef0123456789abcdef';
export const TEST_HOSTNAME = 'emu-test';
export const TEST_NOW = new Date('2026-11-22T20:07:06.000Z');

/** `request_uuid-timestamp-hostname` with the test clock and host. */
export const REQUEST_ID_PATTERN = new RegExp(
  `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-${TEST_NOW.getTime()}-${TEST_HOSTNAME}$`,
);

export interface TestEmulator {
  db: Database;
  app: ReturnType<typeof createEmulator>;
  /** Calls the app; `body` is sent as JSON unless it is a string (sent as is). */
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; requestId: string | null }>;
  /** `/v1/{project}/workspaces/{workspace}` + rest. */
  ws(workspaceId: string, rest?: string): string;
}

export function makeTestEmulator(
  opts: { sizes?: SeedSizes; db?: Database; auth?: EmulatorAuth } = {},
): TestEmulator {
  const db = opts.db ?? openEmulatorDb(':memory:');
  seedEmulator(db, opts.sizes);
  const app = createEmulator({
    db,
    projectId: TEST_PROJECT_ID,
    now: () => TEST_NOW,
    hostname: TEST_HOSTNAME,
    auth: opts.auth,
  });
  return {
    db,
    app,
    async call(method, path, body) {
      const init: RequestInit = { method, headers: { 'Content-Type': 'application/json' } };
      if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
      const res = await app.request(path, init);
      const parsed: unknown = JSON.parse(await res.text());
      return { status: res.status, body: parsed, requestId: res.headers.get('X-request-id') };
    },
    ws(workspaceId, rest = '') {
      return `/v1/${TEST_PROJECT_ID}/workspaces/${workspaceId}${rest}`;
    },
  };
}
