/**
 * Read-only checks of many IDs against SecMaster, shared by the undo preview and the link check:
 * one search per ≤ 100 IDs (`["id","in","a,b,…"]`), a few at a time, the first failure answered
 * as the console's JSON error (502 with SecMaster's code, 504 on a timeout).
 */
import type { Context } from 'hono';
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
} from '../secmaster/client';
import type { UpstreamOperation } from '../secmaster/operations';
import { jsonError } from '../http/json-error';
import { idsSearchBody } from '../batches/reconcile';

/** Reads in flight at once for one check (the batch runner's own calls share the upstream). */
const PARALLEL_READS = 4;

/** A search of one class, or of the objects related to a subject, without its body. */
export type IdsRead =
  | Omit<Extract<UpstreamOperation, { op: 'relationSearch' }>, 'body'>
  | Omit<Extract<UpstreamOperation, { op: 'search' }>, 'body'>;

/** Which of `ids` (≤ 100) the read finds (keys as `idKey`), or an error answer naming `what`. */
async function readChunk(
  c: Context,
  upstream: Upstream,
  read: IdsRead,
  ids: readonly string[],
  what: string,
): Promise<Set<string> | Response> {
  let res: UpstreamResponse;
  try {
    const body = idsSearchBody(ids);
    const operation: UpstreamOperation =
      read.op === 'search' ? { ...read, body } : { ...read, body };
    // A client that goes away (closed tab) stops the reads still to come.
    res = await upstream.call(operation, { signal: c.req.raw.signal });
  } catch (err) {
    if (err instanceof UpstreamError) {
      return err.kind === 'timeout'
        ? jsonError(c, 504, 'UPSTREAM_TIMEOUT', `SecMaster did not answer the ${what} in time`)
        : jsonError(c, 502, 'UPSTREAM_ERROR', `the ${what} failed: ${err.message}`);
    }
    if (err instanceof UpstreamRequestError) return jsonError(c, 400, 'INVALID_PATH', err.message);
    throw err;
  }
  if (res.status < 200 || res.status >= 300) {
    const e = parseUpstreamError(res.body);
    return jsonError(
      c,
      502,
      e?.code ?? `HTTP_${res.status}`,
      `the ${what} failed: ${e?.message || `SecMaster answered HTTP ${res.status}`}`,
    );
  }
  const parsed = searchResponseSchema.safeParse(res.body);
  if (!parsed.success) {
    return jsonError(c, 502, 'UPSTREAM_BAD_RESPONSE', `the ${what} answer was unreadable`);
  }
  return new Set(parsed.data.data.map((d) => idKey(d.id)));
}

/** Which of `ids` the read finds, in calls of ≤ 100 IDs; the first failure is the answer. */
export async function readIds(
  c: Context,
  upstream: Upstream,
  read: IdsRead,
  ids: readonly string[],
  what: string,
): Promise<Set<string> | Response> {
  const found = new Set<string>();
  let failure: Response | null = null;
  let next = 0;
  const worker = async () => {
    while (failure === null && next * MAX_IDS_PER_CALL < ids.length) {
      const at = next++ * MAX_IDS_PER_CALL;
      const result = await readChunk(c, upstream, read, ids.slice(at, at + MAX_IDS_PER_CALL), what);
      if (result instanceof Response) failure = result;
      else for (const key of result) found.add(key);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_READS }, worker));
  return failure ?? found;
}
