/**
 * The real server process (server/main.ts) with SESSION_KEY: sessions are kept in the DATA_DIR
 * ledger file, so a browser stays signed in across a SIGKILL and a start; the start-up line names
 * the key by its ID, never by its value. (Without SESSION_KEY a restart signs everyone out:
 * shared-sessions.test.ts, "restart", on the console as main.ts builds it.)
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kill9, startServer, stopServer } from '../testing/process-harness';
import { SessionKey } from './session-key';

const ACCESS_TOKEN = 'console-access-token-0123456789abcdef';
const KEY = randomBytes(32).toString('base64');

let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'session-restart-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function signedInAs(url: string, cookie: string): Promise<string | null> {
  const res = await fetch(`${url}/api/session`, { headers: { Cookie: cookie } });
  const body = (await res.json()) as { authenticated: boolean; user: string | null };
  return body.authenticated ? body.user : null;
}

// Two starts of the server process.
test(
  'with SESSION_KEY a signed-in browser stays signed in across a SIGKILL and a new start',
  { timeout: 90_000 },
  async () => {
    const env = { DATA_DIR: dataDir, CONSOLE_ACCESS_TOKEN: ACCESS_TOKEN, SESSION_KEY: KEY };
    const first = await startServer(env);
    const cookie = await (async () => {
      try {
        const res = await fetch(`${first.url}/api/session`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'fetch' },
          body: JSON.stringify({ method: 'access-token', token: ACCESS_TOKEN }),
        });
        expect(res.status).toBe(200);
        const c = /^(sm_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
        expect(await signedInAs(first.url, c)).toBe('token user');
        const id = SessionKey.parse('SESSION_KEY', KEY).id;
        expect(first.output()).toContain(`sessions in the ledger, SESSION_KEY ${id}`);
        return c;
      } finally {
        await kill9(first);
      }
    })();
    expect(first.output()).not.toContain(KEY);

    const second = await startServer(env);
    try {
      expect(await signedInAs(second.url, cookie)).toBe('token user');
      expect(await signedInAs(second.url, 'sm_session=' + 'A'.repeat(43))).toBeNull();
    } finally {
      await stopServer(second);
    }
    expect(second.output()).not.toContain(KEY);
  },
);
