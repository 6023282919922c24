/**
 * The entry of the logged emulator (logged-emulator.ts starts it as a process): the package's
 * emulator (`createEmulator` over a seeded store file, the same routes, faults and AK/SK check as
 * `npm run emulator`) listening on loopback, with every request it receives written to a request
 * log, so that a test can tell who sent what when (the package's own CLI keeps no such log).
 *
 * Settings (environment, all set by logged-emulator.ts):
 *   LOGGED_EMULATOR_DIR    where `emulator.sqlite` is (seeded when new)
 *   LOGGED_EMULATOR_LOG    the request log: JSON lines, appended synchronously
 *   LOGGED_EMULATOR_KEYS   the accepted AK/SK pairs, a JSON object AK → SK (one per console)
 *   EMULATOR_SEED, EMULATOR_FAULTS, SECMASTER_PROJECT_ID   as for `npm run emulator`
 *
 * Two lines per request: `in` when it arrives (before authentication, faults and latency), `out`
 * when its handler has ended (answered, or dropped: a hang the client gave up on, a reset). A write
 * is applied, if at all, between the two; a read sees the store as it was at some point between
 * them (reads are out of the faults' scope unless `reads` is set).
 */
import { serve } from '@hono/node-server';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createEmulator,
  openEmulatorDb,
  parseFaults,
  parseSeedSizes,
  seedEmulator,
} from 'secmaster-emulator';
import { z } from 'zod';
import { classifyRequest, type LoggedIn, type LoggedOut } from './request-log';

const env = z
  .object({
    LOGGED_EMULATOR_DIR: z.string().min(1),
    LOGGED_EMULATOR_LOG: z.string().min(1),
    LOGGED_EMULATOR_KEYS: z.string().min(2),
    EMULATOR_SEED: z.string().optional(),
    EMULATOR_FAULTS: z.string().optional(),
    SECMASTER_PROJECT_ID: z.string().min(1),
  })
  .parse(process.env);

const keys = z.record(z.string(), z.string()).parse(JSON.parse(env.LOGGED_EMULATOR_KEYS));
mkdirSync(env.LOGGED_EMULATOR_DIR, { recursive: true });
const db = openEmulatorDb(join(env.LOGGED_EMULATOR_DIR, 'emulator.sqlite'));
seedEmulator(
  db,
  parseSeedSizes(
    env.EMULATOR_SEED ? (JSON.parse(env.EMULATOR_SEED) as Record<string, unknown>) : undefined,
  ),
);
const faults = env.EMULATOR_FAULTS ? parseFaults(JSON.parse(env.EMULATOR_FAULTS)) : undefined;
const app = createEmulator({
  db,
  projectId: env.SECMASTER_PROJECT_ID,
  faults,
  auth: { mode: 'aksk', credentials: keys },
});

const logFile = env.LOGGED_EMULATOR_LOG;
const line = (entry: LoggedIn | LoggedOut) => appendFileSync(logFile, `${JSON.stringify(entry)}\n`);
let next = 0;

const server = serve(
  {
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (req: Request, bindings: unknown) => {
      const n = next++;
      const at = Date.now();
      const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.clone().text();
      line({
        kind: 'in',
        n,
        at,
        ...classifyRequest(req.method, new URL(req.url).pathname, body),
        ak: /Access=([A-Za-z0-9]+)/.exec(req.headers.get('authorization') ?? '')?.[1] ?? null,
      });
      try {
        const res = await app.fetch(req, bindings);
        line({ kind: 'out', n, end: Date.now(), status: res.status });
        return res;
      } catch (error) {
        line({ kind: 'out', n, end: Date.now(), status: null });
        throw error;
      }
    },
  },
  (info) => {
    console.log(
      `SecMaster emulator listening on http://127.0.0.1:${info.port} (request log ${logFile})`,
    );
  },
);

const shutdown = () => {
  server.close(() => {
    db.close();
    process.exit(0);
  });
  if ('closeAllConnections' in server) server.closeAllConnections();
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
