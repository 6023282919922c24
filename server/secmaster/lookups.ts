/**
 * "Which of these IDs exist / are linked": read-only checks of many IDs against SecMaster, shared
 * by the link check and the undo preview. One search per ≤ 100 IDs (`["id","in","a,b,…"]`), a few
 * at a time; the first failure ends the lookup as a `LookupError` that says how the console answers
 * it (502 with SecMaster's code, 504 on a timeout). No HTTP request is needed to run one.
 */
import {
  MAX_IDS_PER_CALL,
  idKey,
  parseUpstreamError,
  searchResponseSchema,
} from '../../src/api/schemas';
import {
  UpstreamError,
  UpstreamRequestError,
  type Upstream,
  type UpstreamResponse,
} from './client';
import type { UpstreamOperation } from './operations';
import { idsSearchBody } from './operations';
import { paceOutcomeOf } from './paced';

/** Why a lookup could not finish: the status and code the console answers with, and why. */
export class LookupError extends Error {
  override name = 'LookupError';
  constructor(
    readonly status: 400 | 502 | 504,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads in flight at once for one check (the batch runner's own calls share the upstream). */
const PARALLEL_READS = 4;

/** A search of one class, or of the objects related to a subject, without its body. */
export type IdsRead =
  | Omit<Extract<UpstreamOperation, { op: 'relationSearch' }>, 'body'>
  | Omit<Extract<UpstreamOperation, { op: 'search' }>, 'body'>;

/** Sends of one read that SecMaster throttles before the lookup gives up. */
export const THROTTLED_READ_ATTEMPTS = 6;

/**
 * One read, sent again while SecMaster throttles it (up to THROTTLED_READ_ATTEMPTS): on a paced
 * upstream (paced.ts) the pacer has learned from the throttle and spaces the next send, so a check
 * run during a batch slows down with it instead of failing. Unpaced, the answer is returned as is.
 */
async function callThrottled(
  upstream: Upstream,
  operation: UpstreamOperation,
  signal: AbortSignal | undefined,
): Promise<UpstreamResponse> {
  for (let attempt = 1; ; attempt++) {
    const res = await upstream.call(operation, signal ? { signal } : {});
    if (
      !upstream.pacer ||
      attempt >= THROTTLED_READ_ATTEMPTS ||
      paceOutcomeOf(res).kind !== 'throttled' ||
      signal?.aborted
    )
      return res;
  }
}

/** Which of `ids` (≤ 100) the read finds (keys as `idKey`); a failure names `what`. */
async function readChunk(
  upstream: Upstream,
  read: IdsRead,
  ids: readonly string[],
  what: string,
  signal: AbortSignal | undefined,
): Promise<Set<string>> {
  let res: UpstreamResponse;
  try {
    const body = idsSearchBody(ids);
    const operation: UpstreamOperation =
      read.op === 'search' ? { ...read, body } : { ...read, body };
    res = await callThrottled(upstream, operation, signal);
  } catch (err) {
    if (err instanceof UpstreamError) {
      throw err.kind === 'timeout'
        ? new LookupError(504, 'UPSTREAM_TIMEOUT', `SecMaster did not answer the ${what} in time`)
        : new LookupError(502, 'UPSTREAM_ERROR', `the ${what} failed: ${err.message}`);
    }
    if (err instanceof UpstreamRequestError)
      throw new LookupError(400, 'INVALID_PATH', err.message);
    throw err;
  }
  if (res.status < 200 || res.status >= 300) {
    const e = parseUpstreamError(res.body);
    throw new LookupError(
      502,
      e?.code ?? `HTTP_${res.status}`,
      `the ${what} failed: ${e?.message || `SecMaster answered HTTP ${res.status}`}`,
    );
  }
  const parsed = searchResponseSchema.safeParse(res.body);
  if (!parsed.success) {
    throw new LookupError(502, 'UPSTREAM_BAD_RESPONSE', `the ${what} answer was unreadable`);
  }
  return new Set(parsed.data.data.map((d) => idKey(d.id)));
}

/**
 * Which of `ids` the read finds (keys as `idKey`), in calls of ≤ 100 IDs; the first failure throws
 * a LookupError and starts no more reads. `signal` (a client that went away) stops the reads still
 * to come.
 */
export async function findIds(
  upstream: Upstream,
  read: IdsRead,
  ids: readonly string[],
  what: string,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const found = new Set<string>();
  let failure: unknown = null;
  let next = 0;
  const worker = async () => {
    while (failure === null && next * MAX_IDS_PER_CALL < ids.length) {
      const at = next++ * MAX_IDS_PER_CALL;
      try {
        const keys = await readChunk(
          upstream,
          read,
          ids.slice(at, at + MAX_IDS_PER_CALL),
          what,
          signal,
        );
        for (const key of keys) found.add(key);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, worker));
  if (failure !== null) throw failure;
  return found;
}
