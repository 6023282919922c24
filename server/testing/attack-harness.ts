/**
 * Helpers for the A5 attack tests (attacks.test.ts): a console (createConsole) in front of a
 * capturing fake upstream, with distinctive secrets to grep for; real listeners; raw TCP exchanges for what
 * fetch cannot send (CL+TE, TRACE, absolute-form targets, malformed paths, slow bodies); an
 * upstream that never answers; and a capture of everything written to the console and stdio.
 */
import { serve } from '@hono/node-server';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerOptions } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { format } from 'node:util';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { openLedger, type Ledger } from '../batches/ledger';
import type { Runner } from '../batches/engine/runner';
import { loadConfig, type Config } from '../config';
import { createConsole, type ConsoleDeps, type ConsoleServer } from '../console';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream';

export const ATTACK_PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
export const ATTACK_WS = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
export const ATTACK_SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';
export const ATTACK_BASE = `/v1/${ATTACK_PROJECT}/workspaces/${ATTACK_WS}`;

/** Distinctive secrets: any hit for these in a body, header or log is a leak. */
export const SECRET = {
  ak: 'ATTACKAK7Q2W9E4R6T8Y',
  sk: 'attackSK-z9x8c7v6b5n4m3-never-print-me',
  securityToken: 'attackSTS-token-q1w2e3r4t5-never-print-me',
  token: 'attackIAM-token-p0o9i8u7-never-print-me',
} as const;

export const JSON_HEADERS = {
  'Content-Type': 'application/json',
  'X-Requested-With': 'fetch',
} as const;

export type AuthKind = 'token' | 'aksk';

export interface AttackConsole {
  app: Hono;
  fake: FakeUpstream;
  config: Config;
  ledger: Ledger;
  runner: Runner;
  distDir: string;
  /**
   * The app of another console on the same ledger, with other configuration (e.g. a short upstream
   * timeout) or deps (another upstream or ledger); closed with this one.
   */
  rebuild(overrides?: { config?: Partial<Config>; deps?: Partial<ConsoleDeps> }): Hono;
  close(): Promise<void>;
}

/** A console (token or AK/SK auth) on a fresh in-memory ledger, in front of a capturing fake. */
export async function startAttackConsole(
  opts: { auth?: AuthKind; timeoutMs?: number; withDist?: boolean } = {},
): Promise<AttackConsole> {
  const auth = opts.auth ?? 'token';
  const fake = await startFakeUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'attacks-'));
  const distDir = join(dir, 'dist');
  if (opts.withDist !== false) {
    mkdirSync(join(distDir, 'assets'), { recursive: true });
    writeFileSync(
      join(distDir, 'index.html'),
      '<!doctype html><title>console</title><script type="module" src="/assets/app.js"></script>',
    );
    writeFileSync(join(distDir, 'assets', 'app.js'), 'console.log(1)');
  }
  const config = loadConfig({
    SECMASTER_MODE: 'secmaster',
    SECMASTER_ENDPOINT: fake.url,
    SECMASTER_PROJECT_ID: ATTACK_PROJECT,
    ...(auth === 'token'
      ? { SECMASTER_AUTH_TOKEN: SECRET.token }
      : {
          CLOUD_SDK_AK: SECRET.ak,
          CLOUD_SDK_SK: SECRET.sk,
          CLOUD_SDK_SECURITY_TOKEN: SECRET.securityToken,
        }),
    BATCH_CALL_TIMEOUT_MS: String(opts.timeoutMs ?? 2_000),
    DATA_DIR: dir,
  });
  const ledger = openLedger(':memory:');
  const deps: ConsoleDeps = { ledger, distDir, runner: { concurrency: 2, backoffMs: () => 0 } };
  const main = createConsole(config, deps);
  const others: ConsoleServer[] = [];
  return {
    app: main.app,
    fake,
    config,
    ledger,
    runner: main.runner,
    distDir,
    rebuild(overrides = {}) {
      const other = createConsole(
        { ...config, ...overrides.config },
        { ...deps, ...overrides.deps },
      );
      others.push(other);
      return other.app;
    },
    async close() {
      for (const c of [main, ...others]) await c.close();
      ledger.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function batchBody(ids: string[], extra: Record<string, unknown> = {}) {
  return {
    action: 'associate',
    workspace_id: ATTACK_WS,
    dataclass_type: 'incidents',
    data_object_id: ATTACK_SUBJECT,
    related_dataclass_type: 'alerts',
    ids,
    ...extra,
  };
}

export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** Serves `fetch` on 127.0.0.1 at a free port (with optional Node server options). */
export async function listen(
  fetchImpl: (req: Request) => Response | Promise<Response>,
  serverOptions: ServerOptions = {},
): Promise<Listening> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: fetchImpl, port: 0, hostname: '127.0.0.1', serverOptions }, () =>
      resolve(s),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawExchange {
  /** Everything the server wrote back, as latin1 text. */
  raw: string;
  /** Status codes of every response found in `raw`, in order. */
  statuses: number[];
  /** Whether the server closed the connection before our deadline. */
  closedByServer: boolean;
  elapsedMs: number;
}

/**
 * Writes `parts` to a raw TCP connection (each after `gapMs`), then reads until the server
 * closes or `timeoutMs` passes. For requests fetch and node:http refuse to send.
 */
export function rawExchange(
  port: number,
  parts: readonly (string | Buffer)[],
  opts: { gapMs?: number; timeoutMs?: number } = {},
): Promise<RawExchange> {
  const { gapMs = 0, timeoutMs = 3_000 } = opts;
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      clearTimeout(deadline);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const statuses = [...raw.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ raw, statuses, closedByServer, elapsedMs: Date.now() - started });
    };
    const deadline = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    let i = 0;
    const writeNext = () => {
      if (done || i >= parts.length) return;
      const part = parts[i++];
      if (part !== undefined && !socket.destroyed) socket.write(part);
      if (i < parts.length) timer = setTimeout(writeNext, gapMs);
    };
    socket.on('connect', writeNext);
  });
}

export interface HangingUpstream {
  url: string;
  /** Connections accepted, and how many of them the client has since closed. */
  accepted(): number;
  closedByClient(): number;
  /** Raw bytes received on every connection. */
  received(): string;
  close(): Promise<void>;
}

/** An upstream that accepts connections, reads requests, and never answers. */
export async function startHangingUpstream(): Promise<HangingUpstream> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let closed = 0;
  const data: Buffer[] = [];
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', (d: Buffer) => data.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    closedByClient: () => closed,
    received: () => Buffer.concat(data).toString('latin1'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface OutputCapture {
  /** Everything written so far through console.* and process.stdout/stderr. */
  text(): string;
  restore(): void;
}

/** Records (and silences) console.* and process.stdout/stderr writes until `restore()`. */
export function captureOutput(): OutputCapture {
  const lines: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => [m, console[m]] as const);
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      lines.push(format(...args));
    };
  }
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (chunk: unknown): boolean => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  return {
    text: () => lines.join('\n'),
    restore() {
      for (const [m, fn] of saved) console[m] = fn;
      process.stdout.write = out;
      process.stderr.write = err;
    },
  };
}

/** The names of every secret value found in `text`. */
export function secretsIn(text: string): string[] {
  return Object.entries(SECRET)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k);
}

/** All response header names and values, for leak checks. */
export function headerText(res: Response): string {
  const parts: string[] = [];
  res.headers.forEach((v, k) => parts.push(`${k}: ${v}`));
  return parts.join('\n');
}
