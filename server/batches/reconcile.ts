/**
 * Reads that settle a write's outcome and explain rejected IDs:
 * - `rereadLinks`: which of these IDs are linked to the subject now (relation search, `id in`);
 * - `explainRejected`: why SecMaster rejected IDs (in this class and workspace, in another class,
 *   or nowhere), one search per class at most.
 */
import { z } from 'zod';
import {
  idKey,
  parseUpstreamError,
  type DataclassType,
  dataclassTypes,
} from '../../src/api/schemas';
import { UpstreamError, type Upstream } from '../secmaster/client';
import { idsSearchBody } from '../secmaster/operations';

export const MSG_EXISTS_REJECTED = 'exists; rejected by SecMaster';
export const MSG_NOT_FOUND = 'not found in this workspace';

const SINGULAR: Record<DataclassType, string> = {
  alerts: 'an alert',
  incidents: 'an incident',
  indicators: 'an indicator',
};

export function wrongClassMessage(expected: DataclassType): string {
  return `is not ${SINGULAR[expected]}`;
}

const foundSchema = z.looseObject({
  data: z.array(
    z.looseObject({
      id: z.string().nullish(),
      data_object: z.looseObject({ id: z.string().nullish() }).nullish(),
    }),
  ),
});

/** The ID keys present in a search answer; null when the answer is not a readable 200. */
export function foundKeys(status: number, body: unknown): Set<string> | null {
  if (status < 200 || status >= 300) return null;
  const parsed = foundSchema.safeParse(body);
  if (!parsed.success) return null;
  const out = new Set<string>();
  for (const d of parsed.data.data) {
    const id = d.id ?? d.data_object?.id;
    if (id) out.add(idKey(id));
  }
  return out;
}

export interface Subject {
  workspaceId: string;
  dataclass: DataclassType;
  objectId: string;
  related: DataclassType;
}

export type ReadResult =
  | { ok: true; present: Set<string> }
  | {
      ok: false;
      throttled: boolean;
      /** SecMaster refused the credential (verdict.ts's rule for a write or a pre-read). */
      auth: boolean;
      code: string;
      message: string;
    };

/** SecMaster's codes for a refused credential (besides HTTP 401). */
const AUTH_CODES: ReadonlySet<string> = new Set(['APIG.0301', 'APIG.0303']);

/**
 * Whether an answer (its status, and SecMaster's error code or `HTTP_<status>`) refuses the
 * console's credential: never retried, whichever call met it (an AK/SK can be locked out).
 */
export function refusesCredential(status: number, code: string): boolean {
  return status === 401 || AUTH_CODES.has(code);
}

/** One relation search for ≤ 100 IDs: which are linked to the subject now. */
export async function rereadLinks(
  upstream: Upstream,
  subject: Subject,
  ids: readonly string[],
): Promise<ReadResult> {
  try {
    const res = await upstream.call({
      op: 'relationSearch',
      workspaceId: subject.workspaceId,
      dataclass: subject.dataclass,
      objectId: subject.objectId,
      related: subject.related,
      body: idsSearchBody(ids),
    });
    const present = foundKeys(res.status, res.body);
    if (present) return { ok: true, present };
    const err = parseUpstreamError(res.body);
    const code = err?.code ?? `HTTP_${res.status}`;
    if (refusesCredential(res.status, code)) {
      const message = err?.message || `SecMaster answered HTTP ${res.status}`;
      return { ok: false, throttled: false, auth: true, code, message };
    }
    return {
      ok: false,
      throttled: res.status === 429,
      auth: false,
      code: `HTTP_${res.status}`,
      message: `SecMaster answered HTTP ${res.status}`,
    };
  } catch (err) {
    if (err instanceof UpstreamError)
      return { ok: false, throttled: false, auth: false, code: err.kind, message: err.message };
    return {
      ok: false,
      throttled: false,
      auth: false,
      code: 'INVALID_REQUEST',
      message: 'the request could not be built',
    };
  }
}

async function searchClass(
  upstream: Upstream,
  workspaceId: string,
  dataclass: DataclassType,
  ids: readonly string[],
): Promise<Set<string> | null> {
  try {
    const res = await upstream.call({
      op: 'search',
      workspaceId,
      dataclass,
      body: idsSearchBody(ids),
    });
    return foundKeys(res.status, res.body);
  } catch {
    return null;
  }
}

export interface Explanation {
  code: string;
  message: string;
}

/**
 * Labels rejected IDs: found in the related class of this workspace → REJECTED "exists; rejected by
 * SecMaster"; found in another class → WRONG_CLASS "is not an alert"; nowhere → NOT_FOUND. IDs a
 * failed search could not label are absent from the map (the caller keeps its generic message).
 */
export async function explainRejected(
  upstream: Upstream,
  workspaceId: string,
  related: DataclassType,
  ids: readonly string[],
): Promise<Map<string, Explanation>> {
  const out = new Map<string, Explanation>();
  if (ids.length === 0) return out;
  const inClass = await searchClass(upstream, workspaceId, related, ids);
  if (!inClass) return out;
  let rest: string[] = [];
  for (const id of ids) {
    if (inClass.has(idKey(id))) out.set(id, { code: 'REJECTED', message: MSG_EXISTS_REJECTED });
    else rest.push(id);
  }
  for (const other of dataclassTypes) {
    if (other === related || rest.length === 0) continue;
    const found = await searchClass(upstream, workspaceId, other, rest);
    if (!found) return out;
    const left: string[] = [];
    for (const id of rest) {
      if (found.has(idKey(id)))
        out.set(id, { code: 'WRONG_CLASS', message: wrongClassMessage(related) });
      else left.push(id);
    }
    rest = left;
  }
  for (const id of rest) out.set(id, { code: 'NOT_FOUND', message: MSG_NOT_FOUND });
  return out;
}
