/**
 * The server's timeouts (timeouts.ts) over real HTTP: a request sent on an idle keep-alive
 * connection while the console's event loop is held (a large batch of pairs being written) is
 * answered, not reset.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Agent, request } from 'node:http';
import { afterEach, expect, test } from 'vitest';
import { SERVER_TIMEOUTS } from './timeouts';

const servers: ReturnType<typeof serve>[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Node's own keep-alive timeout, which the console's server used before. */
const NODE_DEFAULT_KEEP_ALIVE_MS = 5_000;

/** Holds this thread (the server's and the client's event loop) as a long synchronous write does. */
function holdEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A GET: its status, and whether it went on a connection kept alive from an earlier request. */
function get(
  port: number,
  agent: Agent,
  onSent?: () => void,
): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/ping', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    // 'finish': the request has been handed to the socket (it is on the wire when the loop holds).
    if (onSent) req.on('finish', onSent);
    req.end();
  });
}

test('a request on an idle keep-alive connection, sent while the event loop is held longer than Node’s default keep-alive, is answered, not reset', async () => {
  const app = new Hono();
  app.get('/api/ping', (c) => c.json({ ok: true }));
  const port = await new Promise<number>((resolve) => {
    const s = serve(
      { fetch: app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: SERVER_TIMEOUTS },
      (info) => resolve(info.port),
    );
    servers.push(s);
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  expect(await get(port, agent)).toEqual({ status: 200, reused: false });
  const second = await get(port, agent, () => {
    // Sent on the idle connection; the server has not read it yet.
    holdEventLoop(NODE_DEFAULT_KEEP_ALIVE_MS + 1_500);
  });
  // Before: Error: read ECONNRESET (the server closed the connection with the request unread).
  expect(second).toEqual({ status: 200, reused: true });
}, 30_000);
