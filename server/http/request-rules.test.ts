/**
 * The rules every request passes (request-rules.ts), over real HTTP where the wire matters: HSTS
 * when the console is reached over HTTPS, the Host header checked even when the request target is
 * in absolute form, and the Vite dev server's origins accepted only under `npm run dev`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import {
  STRICT_TRANSPORT_SECURITY,
  devServerOrigins,
  everyRequest,
  stateChangingRequests,
} from './request-rules';

const HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function appWith(options: Parameters<typeof everyRequest>[1], origins: string[] = []) {
  const app = new Hono();
  app.use('*', everyRequest(HOSTS, options));
  app.use('*', stateChangingRequests(new Set(origins)));
  app.get('/api/config', (c) => c.json({ ok: true }));
  app.post('/api/batches', (c) => c.json({ created: true }, 201));
  return app;
}

const servers: ReturnType<typeof serve>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(app: Hono): Promise<number> {
  return new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(info.port),
    );
    servers.push(s);
  });
}

/** Sends `head` as is on a socket and returns the status line of the answer. */
async function rawStatus(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(head));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n')) {
        socket.destroy();
        resolve(text.split('\r\n')[0] ?? '');
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
  });
}

describe('Strict-Transport-Security', () => {
  test('sent on every answer when the console is reached over HTTPS', async () => {
    const app = appWith({ https: true });
    for (const path of ['/api/config', '/nope', '/']) {
      const res = await app.request(`http://127.0.0.1${path}`);
      expect(res.headers.get('strict-transport-security'), path).toBe(STRICT_TRANSPORT_SECURITY);
    }
    const refused = await app.request('http://evil.test/api/config');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('strict-transport-security')).toBe(STRICT_TRANSPORT_SECURITY);
  });

  test('never on plain HTTP (a browser would ignore it, and it would pin a name to HTTPS)', async () => {
    const res = await appWith({}).request('http://127.0.0.1/api/config');
    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('the Host check and absolute-form request targets', () => {
  test('an absolute-form target naming an allowed host does not excuse a foreign Host header', async () => {
    const port = await listen(appWith({}));
    const foreign = await rawStatus(
      port,
      `GET http://127.0.0.1:${port}/api/config HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
    );
    expect(foreign).toBe('HTTP/1.1 403 Forbidden');
  });

  test('an absolute-form target naming a foreign host is refused whatever the Host header says', async () => {
    const port = await listen(appWith({}));
    const foreign = await rawStatus(
      port,
      `GET http://evil.example/api/config HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    expect(foreign).toBe('HTTP/1.1 403 Forbidden');
  });

  test('origin-form and absolute-form requests to an allowed host still answer', async () => {
    const port = await listen(appWith({}));
    expect(
      await rawStatus(
        port,
        `GET /api/config HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`,
      ),
    ).toBe('HTTP/1.1 200 OK');
    expect(
      await rawStatus(
        port,
        `GET http://127.0.0.1:${port}/api/config HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      ),
    ).toBe('HTTP/1.1 200 OK');
  });
});

describe("the Vite dev server's origins", () => {
  const post = (app: Hono, origin: string) =>
    app.request('http://127.0.0.1/api/batches', {
      method: 'POST',
      headers: {
        Origin: origin,
        'X-Requested-With': 'fetch',
        'Content-Type': 'application/json',
      },
      body: '{}',
    });

  test('are refused unless `npm run dev` started the server', async () => {
    expect(devServerOrigins({})).toEqual([]);
    expect(devServerOrigins({ CONSOLE_DEV_SERVER: '0' })).toEqual([]);
    expect(devServerOrigins({ NODE_ENV: 'development' })).toEqual([]);
    const production = appWith({}, devServerOrigins({}));
    expect((await post(production, 'http://localhost:5173')).status).toBe(403);
    expect((await post(production, 'http://127.0.0.1:5173')).status).toBe(403);
  });

  test('are accepted under `npm run dev` (CONSOLE_DEV_SERVER=1), and nothing else is', async () => {
    const origins = devServerOrigins({ CONSOLE_DEV_SERVER: '1' });
    expect(origins).toEqual(['http://localhost:5173', 'http://127.0.0.1:5173']);
    const dev = appWith({}, origins);
    expect((await post(dev, 'http://localhost:5173')).status).toBe(201);
    expect((await post(dev, 'http://evil.example:5173')).status).toBe(403);
  });
});
