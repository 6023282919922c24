/**
 * A small stand-in for SecMaster in server tests: real HTTP on an ephemeral loopback port, every
 * request recorded, write answers scripted per test. (The full emulator is the secmaster-emulator package.)
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type WriteHandler = (ids: string[], req: RecordedRequest) => Response | Promise<Response>;

export interface FakeUpstream {
  url: string;
  requests: RecordedRequest[];
  writes(): RecordedRequest[];
  /** Replaces how associate/cancel calls are answered. */
  onWrite(handler: WriteHandler): void;
  /** Replaces how every other request is answered (default: a small JSON echo). */
  onRead(handler: (req: RecordedRequest) => Response | Promise<Response>): void;
  /** Back to the default read answer (searches find nothing). */
  resetRead(): void;
  close(): Promise<void>;
}

const idsBodySchema = z.object({ ids: z.array(z.string()).optional() });

export function writeAnswer(
  success_ids: string[],
  error_ids: string[],
  extra: Record<string, unknown> = {},
): Response {
  return Response.json(
    {
      code: '00000000',
      message: 'success',
      request_id: 'rid-body',
      success: error_ids.length === 0,
      data: { success_ids, error_ids },
      ...extra,
    },
    { headers: { 'X-request-id': 'rid-header-1-host' } },
  );
}

/** Succeeds every ID except those listed in `rejected`. */
export function acceptAll(rejected: ReadonlySet<string> = new Set()): WriteHandler {
  return (ids) =>
    writeAnswer(
      ids.filter((id) => !rejected.has(id)),
      ids.filter((id) => rejected.has(id)),
    );
}

const WRITE_PATH = /^\/v1\/[^/]+\/workspaces\/[^/]+\/soc\/[a-z]+\/[^/]+\/[a-z]+$/;

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  let write: WriteHandler = acceptAll();
  // Searches find nothing by default (no ID is linked or exists), so the runner's pre-read sends
  // every ID; tests that need links answer reads with onRead.
  const defaultRead = (req: RecordedRequest): Response | Promise<Response> =>
    Response.json(
      {
        code: '00000000',
        message: 'ok',
        echo: { method: req.method, path: req.path },
        ...(req.method === 'POST' && req.path.endsWith('/search') ? { data: [], total: 0 } : {}),
      },
      {
        headers: {
          'X-request-id': 'rid-read-1-host',
          'Set-Cookie': 'upstream=1',
          'X-Upstream-Secret': 'x',
        },
      },
    );
  let read = defaultRead;
  const app = new Hono();
  app.all('*', async (c) => {
    const url = new URL(c.req.url);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const rec: RecordedRequest = {
      method: c.req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      body: await c.req.text(),
    };
    requests.push(rec);
    const isWrite =
      (rec.method === 'POST' || rec.method === 'DELETE') &&
      WRITE_PATH.test(url.pathname) &&
      !url.pathname.endsWith('/search');
    if (isWrite) {
      let ids: string[];
      try {
        ids = idsBodySchema.parse(JSON.parse(rec.body)).ids ?? [];
      } catch {
        ids = [];
      }
      return write(ids, rec);
    }
    return read(rec);
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    writes: () =>
      requests.filter(
        (r) => (r.method === 'POST' || r.method === 'DELETE') && !r.path.endsWith('/search'),
      ),
    onWrite(handler) {
      write = handler;
    },
    onRead(handler) {
      read = handler;
    },
    resetRead() {
      read = defaultRead;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Well-formed, distinct, deterministic IDs for tests (UUID shaped). */
export function makeIds(n: number, prefix = 'a'): string[] {
  return Array.from({ length: n }, (_, i) => {
    const hex = i.toString(16).padStart(12, '0');
    return `${prefix.repeat(8).slice(0, 8)}-0000-4000-8000-${hex}`;
  });
}
