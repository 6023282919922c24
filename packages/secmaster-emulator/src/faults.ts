/**
 * Fault injection for the emulator (`EMULATOR_FAULTS`): a seeded
 * schedule of errors, throttling, hangs, dropped connections and latency, off by default.
 * Pure: the clock, the sleep and the random source are arguments.
 */
import type { Socket } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { EmulatorConfigError } from './errors';
import {
  GATEWAY_CODES,
  SECMASTER_CODES,
  gatewayError,
  secmasterError,
  type EmulatorContext,
  type EmulatorEnv,
} from './http';
import { seededRandom } from './seed';

const share = z.number().min(0).max(1).default(0);

/** The shares, in the order the one draw per call is matched against them. */
const SHARES = [
  'p_reset',
  'p_hang',
  'p500',
  'p429',
  'p_throttle',
  'p_apply_then_hang',
  'p_apply_then_500',
] as const;

const faultConfigSchema = z
  .strictObject({
    seed: z.union([z.string().min(1), z.number().int()]).optional(),
    latency_ms: z.number().int().min(0).max(600_000).default(0),
    p500: share,
    p429: share,
    p_throttle: share,
    p_hang: share,
    p_reset: share,
    p_apply_then_hang: share,
    p_apply_then_500: share,
    max_rps: z.number().int().min(1).optional(),
    reads: z.boolean().default(false),
    retry_after_s: z.number().int().min(0).max(3600).default(1),
  })
  .superRefine((cfg, ctx) => {
    const sum = SHARES.reduce((total, key) => total + cfg[key], 0);
    if (sum > 1 + 1e-9) {
      ctx.addIssue({
        code: 'custom',
        message: `the shares (${SHARES.join(', ')}) add up to ${Number(sum.toFixed(6))}, more than 1`,
      });
    }
  });

/** `EMULATOR_FAULTS`, parsed: the keys as written in the environment, defaults filled in. */
export type FaultConfig = z.output<typeof faultConfigSchema>;

/**
 * Reads `EMULATOR_FAULTS` (already JSON-parsed: env.ts, or the console's configuration); throws
 * EmulatorConfigError naming the key.
 */
export function parseFaults(raw: unknown): FaultConfig {
  const parsed = faultConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.flatMap((i) => {
      if (i.code === 'unrecognized_keys') {
        return i.keys.map((key) => `EMULATOR_FAULTS.${key}: unknown key`);
      }
      const path = i.path.map(String).join('.');
      return [`EMULATOR_FAULTS${path ? `.${path}` : ''}: ${i.message}`];
    });
    throw new EmulatorConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}

/** What the injector did to one call in its scope. */
export type FaultOutcome =
  | 'pass'
  | 'reset'
  | 'hang'
  | 'error500'
  | 'error429'
  | 'throttle'
  | 'rate_limit'
  | 'apply_then_hang'
  | 'apply_then_500';

const OUTCOME_OF: Record<(typeof SHARES)[number], FaultOutcome> = {
  p_reset: 'reset',
  p_hang: 'hang',
  p500: 'error500',
  p429: 'error429',
  p_throttle: 'throttle',
  p_apply_then_hang: 'apply_then_hang',
  p_apply_then_500: 'apply_then_500',
};

export interface FaultStats {
  /** The seed of the schedule (a random one when `seed` was not given). */
  seed: string;
  /** Calls in scope (writes, or every call with `reads: true`). */
  calls: number;
  /** Calls delayed by `latency_ms`. */
  delayed: number;
  outcomes: Record<FaultOutcome, number>;
}

export interface FaultInjector {
  readonly config: FaultConfig;
  /** Mount after the middleware that sets `requestId`, before the routes. */
  readonly middleware: MiddlewareHandler<EmulatorEnv>;
  stats(): FaultStats;
}

export interface FaultDeps {
  /** Replaces the seeded schedule (tests). */
  random?: () => number;
  /** Milliseconds, for `max_rps`. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Thrown to end a call without an answer (hang or reset): the app's error handler rethrows it, so
 * `app.request()` rejects as `fetch` would; over HTTP the socket is already gone.
 */
export class InjectedDisconnect extends Error {
  override name = 'InjectedDisconnect';
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Only the writes are in scope unless `reads`: associate and batch-create (POST), cancel (DELETE).
 */
function isWrite(c: EmulatorContext): boolean {
  const method = c.req.method;
  return method === 'DELETE' || (method === 'POST' && !c.req.path.endsWith('/search'));
}

/** The raw socket under @hono/node-server (absent under `app.request()`). */
function socketOf(c: EmulatorContext): Socket | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  const incoming = env.incoming as { socket?: Socket } | undefined;
  return incoming?.socket ?? undefined;
}

function dropConnection(c: EmulatorContext): never {
  socketOf(c)?.destroy();
  throw new InjectedDisconnect('connection reset (injected fault)');
}

/** Holds the call until the client gives up (its signal aborts) or the server closes the socket. */
async function holdOpen(c: EmulatorContext): Promise<never> {
  const signal = c.req.raw.signal;
  const socket = socketOf(c);
  await new Promise<void>((resolve) => {
    if (signal.aborted || socket?.destroyed) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    socket?.once('close', () => resolve());
  });
  return dropConnection(c);
}

export function createFaultInjector(config: FaultConfig, deps: FaultDeps = {}): FaultInjector {
  const seed =
    config.seed === undefined ? Math.random().toString(36).slice(2, 10) : String(config.seed);
  const random = deps.random ?? seededRandom(`emulator-faults:${seed}`);
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const throttleLimit = config.max_rps ?? 50;

  let calls = 0;
  let delayed = 0;
  const outcomes: Record<FaultOutcome, number> = {
    pass: 0,
    reset: 0,
    hang: 0,
    error500: 0,
    error429: 0,
    throttle: 0,
    rate_limit: 0,
    apply_then_hang: 0,
    apply_then_500: 0,
  };
  /** Arrival times (ms) of the calls admitted in the last second, oldest first. */
  const admitted: number[] = [];

  /** One draw per call in scope, so the schedule depends only on the seed and the call order. */
  function draw(): FaultOutcome {
    const r = random();
    let edge = 0;
    for (const key of SHARES) {
      edge += config[key];
      if (r < edge) return OUTCOME_OF[key];
    }
    return 'pass';
  }

  /** A sliding one-second window over the calls the gateway let through. */
  function overRate(at: number): boolean {
    if (config.max_rps === undefined) return false;
    while (admitted.length > 0 && (admitted[0] ?? 0) <= at - 1000) admitted.shift();
    if (admitted.length >= config.max_rps) return true;
    admitted.push(at);
    return false;
  }

  const serverError = (c: EmulatorContext) =>
    secmasterError(c, 500, SECMASTER_CODES.internal, 'Internal error');

  const middleware: MiddlewareHandler<EmulatorEnv> = async (c, next) => {
    if (!config.reads && !isWrite(c)) return next();
    calls++;
    const drawn = draw();
    const outcome = overRate(now()) ? 'rate_limit' : drawn;
    outcomes[outcome]++;
    if (config.latency_ms > 0) {
      delayed++;
      await sleep(config.latency_ms);
    }
    switch (outcome) {
      case 'pass':
        return next();
      case 'reset':
        return dropConnection(c);
      case 'hang':
        return holdOpen(c);
      case 'error500':
        return serverError(c);
      case 'error429':
        c.header('Retry-After', String(config.retry_after_s));
        return secmasterError(c, 429, SECMASTER_CODES.tooManyRequests, 'Too many requests');
      case 'throttle':
      case 'rate_limit':
        return gatewayError(
          c,
          429,
          GATEWAY_CODES.throttled,
          `The throttling threshold has been reached: policy user over ratelimit,limit:${throttleLimit},time:1 second`,
        );
      case 'apply_then_hang':
        await next();
        return holdOpen(c);
      case 'apply_then_500':
        await next();
        // Replace the handler's answer; the request ID middleware sets its header afterwards.
        c.res = undefined;
        c.res = serverError(c);
        return;
    }
  };

  return {
    config,
    middleware,
    stats: () => ({ seed, calls, delayed, outcomes: { ...outcomes } }),
  };
}
