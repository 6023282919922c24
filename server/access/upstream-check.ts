/**
 * The start-up check of a real SecMaster (secmaster mode): one cheap call (list workspaces,
 * limit 1) tells whether the endpoint answers, whether our clock agrees with its `Date` header
 * (signatures are refused beyond 15 minutes), and whether the configured credentials work.
 * Messages name the host, never a credential. Re-run from /api/health while it fails.
 */
import type { Credentials } from '../credentials';
import { UpstreamError, createUpstream } from '../secmaster/client';
import { parseUpstreamError } from '../../src/api/schemas';

export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** While failing, /api/health re-checks at most this often. */
export const RECHECK_MS = 30_000;
/** Any syntactically valid project ID: the check needs an answer, not data (IAM sign-in mode). */
const PLACEHOLDER_PROJECT = '00000000000000000000000000000000';

export interface UpstreamCheckOptions {
  endpoint: string;
  projectId: string;
  credentials: Credentials | null;
  timeoutMs: number;
  fetchImpl?: typeof fetch;
  now?: () => Date;
}

/** null when SecMaster is usable, else the reason (one line, no secret). */
export async function checkUpstream(o: UpstreamCheckOptions): Promise<string | null> {
  const host = new URL(o.endpoint).host;
  const now = o.now ?? (() => new Date());
  let date: string | null = null;
  const baseFetch = o.fetchImpl ?? fetch;
  const upstream = createUpstream({
    endpoint: o.endpoint,
    projectId: o.projectId || PLACEHOLDER_PROJECT,
    timeoutMs: Math.min(o.timeoutMs, 10_000),
    credentials: o.credentials,
    now,
    fetchImpl: async (input, init) => {
      const res = await baseFetch(input, init);
      date = res.headers.get('date');
      return res;
    },
  });
  let status: number;
  let body: unknown;
  try {
    const res = await upstream.call({ op: 'listWorkspaces', query: { offset: 0, limit: 1 } });
    status = res.status;
    body = res.body;
  } catch (err) {
    if (err instanceof UpstreamError && err.status !== null) {
      status = err.status;
      body = null;
    } else {
      return `SecMaster endpoint unreachable: ${host}`;
    }
  }
  if (date !== null) {
    const at = Date.parse(date);
    const skew = Number.isNaN(at) ? 0 : at - now().getTime();
    if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
      return `clock skew: this machine's clock is ${Math.round(Math.abs(skew) / 60_000)} minutes ${skew > 0 ? 'behind' : 'ahead of'} SecMaster's (${host}); more than 15 minutes makes every call fail: fix the system clock (NTP)`;
    }
  }
  if (o.credentials && (status === 401 || status === 403)) {
    const code = parseUpstreamError(body)?.code ?? `HTTP_${status}`;
    return `SecMaster (${host}) refused the configured credentials (${code.slice(0, 40)}): check ${o.credentials.kind === 'aksk' ? 'CLOUD_SDK_AK/CLOUD_SDK_SK' : 'SECMASTER_AUTH_TOKEN'} and SECMASTER_PROJECT_ID`;
  }
  return null;
}

/** Keeps the last result; `status()` re-checks in the background when it failed long enough ago. */
export function createUpstreamMonitor(o: UpstreamCheckOptions) {
  let problem: string | null = null;
  let checkedAt = 0;
  let running: Promise<string | null> | null = null;
  const run = (): Promise<string | null> => {
    running ??= checkUpstream(o)
      .catch(() => `SecMaster endpoint unreachable: ${new URL(o.endpoint).host}`)
      .then((p) => {
        problem = p;
        checkedAt = Date.now();
        running = null;
        return p;
      });
    return running;
  };
  return {
    run,
    status(): string | null {
      if (problem !== null && Date.now() - checkedAt > RECHECK_MS) void run();
      return problem;
    },
  };
}
