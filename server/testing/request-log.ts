/**
 * The logged emulator's request log (logged-emulator-main.ts writes it, this module reads it) and
 * the checks made on it: who sent which ID when, whether a console that took a batch over re-read
 * what the former holder had sent before sending it again, what a console sent after a moment.
 *
 * Consoles are told apart by their AK (each console of a test signs with a pair of its own), times
 * are the emulator's wall clock (`Date.now()`, the same machine as the test's).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { idKey } from '../../src/api/schemas';
import type { ObservedWrite } from './checker';

/**
 * What a request is, as far as the checks care: `write` (associate: POST, cancel: DELETE on the
 * subject's relation path), `read` (a search of the subject's relations: the runner's pre-reads and
 * re-reads), `search` (a search of a class: labelling rejected IDs), `other`.
 */
export type RequestOp = 'write' | 'read' | 'search' | 'other';

export interface RequestWhat {
  method: string;
  op: RequestOp;
  /** The subject (a relation write or read), else null. */
  subject: string | null;
  /** The IDs written, or the IDs a search asks for (`id in`). */
  ids: string[];
}

/** The `in` line: the request arrived. */
export interface LoggedIn extends RequestWhat {
  kind: 'in';
  n: number;
  at: number;
  /** The AK of its signature, or null (unsigned). */
  ak: string | null;
}

/** The `out` line: its handler ended; `status` null when it answered nothing (hang, reset). */
export interface LoggedOut {
  kind: 'out';
  n: number;
  end: number;
  status: number | null;
}

/** One request: its `in` line and, once it ended, its `out` line's fields. */
export interface LoggedRequest extends RequestWhat {
  n: number;
  at: number;
  ak: string | null;
  /** When its handler ended, or null while it has not. */
  end: number | null;
  status: number | null;
}

const SOC = /^\/v1\/[^/]+\/workspaces\/[^/]+\/soc\//;

const searchBody = z.looseObject({
  condition: z
    .looseObject({
      conditions: z.array(z.looseObject({ data: z.array(z.string()).optional() })).optional(),
    })
    .nullish(),
});

/** The IDs of a search's `id in` conditions. */
function searchedIds(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const r = searchBody.safeParse(parsed);
  if (!r.success) return [];
  return (r.data.condition?.conditions ?? []).flatMap((c) =>
    c.data?.[0] === 'id' && c.data[1] === 'in' && c.data[2] !== undefined
      ? c.data[2].split(',').filter((s) => s !== '')
      : [],
  );
}

function writtenIds(body: string): string[] {
  try {
    const r = z.looseObject({ ids: z.array(z.string()) }).safeParse(JSON.parse(body));
    return r.success ? r.data.ids : [];
  } catch {
    return [];
  }
}

/** What a request to the emulator is (see RequestOp), from its method, path and body. */
export function classifyRequest(method: string, path: string, body: string): RequestWhat {
  const other: RequestWhat = { method, op: 'other', subject: null, ids: [] };
  if (!SOC.test(path)) return other;
  const rest = path.replace(SOC, '').split('/');
  // {class}/{subject}/{related}: a relation write.
  if (rest.length === 3 && (method === 'POST' || method === 'DELETE') && rest[2] !== 'batch-create')
    return { method, op: 'write', subject: rest[1] ?? null, ids: writtenIds(body) };
  // {class}/{subject}/{related}/search: a read of the subject's links.
  if (rest.length === 4 && method === 'POST' && rest[3] === 'search')
    return { method, op: 'read', subject: rest[1] ?? null, ids: searchedIds(body) };
  // {class}/search
  if (rest.length === 2 && method === 'POST' && rest[1] === 'search')
    return { method, op: 'search', subject: null, ids: searchedIds(body) };
  return other;
}

const inLine = z.object({
  kind: z.literal('in'),
  n: z.number(),
  at: z.number(),
  ak: z.string().nullable(),
  method: z.string(),
  op: z.enum(['write', 'read', 'search', 'other']),
  subject: z.string().nullable(),
  ids: z.array(z.string()),
});
const outLine = z.object({
  kind: z.literal('out'),
  n: z.number(),
  end: z.number(),
  status: z.number().nullable(),
});

/** The requests of a log file, in the order they arrived. */
export function readRequestLog(file: string): LoggedRequest[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const byN = new Map<number, LoggedRequest>();
  const lines = text.split('\n');
  // What follows the last newline is a line still being written (or nothing).
  lines.pop();
  for (const raw of lines) {
    const l = z.discriminatedUnion('kind', [inLine, outLine]).parse(JSON.parse(raw));
    if (l.kind === 'in') {
      const { kind: _, ...rest } = l;
      byN.set(l.n, { ...rest, end: null, status: null });
    } else {
      const r = byN.get(l.n);
      if (r) {
        r.end = l.end;
        r.status = l.status;
      }
    }
  }
  return [...byN.values()].sort((a, b) => a.n - b.n);
}

/** The requests for one subject (its relation writes and reads). */
export function requestsFor(log: readonly LoggedRequest[], subject: string): LoggedRequest[] {
  return log.filter((r) => r.subject === subject);
}

/** The writes of a subject as the checker's I5 takes them (`ObservedWrite`). */
export function observedWrites(log: readonly LoggedRequest[], subject: string): ObservedWrite[] {
  return requestsFor(log, subject)
    .filter((r) => r.op === 'write')
    .map((r) => ({ at: r.at, ids: r.ids }));
}

export interface ResendCheck {
  ok: boolean;
  /** IDs written by one console and then again by another. */
  resentAcross: number;
  /** Of those, the ones re-read by the second console after the first's write ended. */
  rereadBetween: number;
  /** `id: what is wrong`, for the failure message. */
  violations: string[];
  detail: string;
}

/**
 * "No ID written twice without a re-read in between", across consoles: for each ID of `subject`,
 * each write by a console other than the one that wrote it last must be preceded by a read of that
 * ID by the second console that arrived after the first one's write had ended (so the read saw it
 * applied, if it was). A write still open when the log was read counts as not ended. Resends by
 * one console (the retries of a call chain) are the checker's I5 to bound.
 */
export function checkResends(log: readonly LoggedRequest[], subject: string): ResendCheck {
  const lastWrite = new Map<string, LoggedRequest>();
  /** Per ID and console: when its latest read of the ID arrived. */
  const lastRead = new Map<string, Map<string, number>>();
  const violations: string[] = [];
  let resentAcross = 0;
  let rereadBetween = 0;
  for (const r of requestsFor(log, subject)) {
    const who = r.ak ?? '(unsigned)';
    for (const id of r.ids) {
      const key = idKey(id);
      if (r.op === 'read') {
        const reads = lastRead.get(key) ?? new Map<string, number>();
        reads.set(who, r.at);
        lastRead.set(key, reads);
        continue;
      }
      if (r.op !== 'write') continue;
      const before = lastWrite.get(key);
      if (before && (before.ak ?? '(unsigned)') !== who) {
        resentAcross++;
        const readAt = lastRead.get(key)?.get(who);
        if (before.end === null) {
          violations.push(
            `${id}: written by ${who} while ${before.ak}'s write (#${before.n}) was open`,
          );
        } else if (readAt === undefined || readAt < before.end) {
          violations.push(
            `${id}: written by ${who} (#${r.n}) after ${before.ak}'s write (#${before.n}) without a re-read after it ended`,
          );
        } else rereadBetween++;
      }
      lastWrite.set(key, r);
    }
  }
  return {
    ok: violations.length === 0,
    resentAcross,
    rereadBetween,
    violations,
    detail:
      `IDs written again by another console ${resentAcross}, re-read in between ${rereadBetween}, ` +
      `without ${violations.length}${violations.length ? ` (e.g. ${violations.slice(0, 3).join('; ')})` : ''}`,
  };
}

/** The requests `ak` sent (about anything) that arrived after `t` (ms). */
export function sentAfter(log: readonly LoggedRequest[], ak: string, t: number): LoggedRequest[] {
  return log.filter((r) => r.ak === ak && r.at > t);
}

/** The first request `ak` sent for `subject` after `t`, or undefined. */
export function firstAfter(
  log: readonly LoggedRequest[],
  subject: string,
  ak: string,
  t: number,
): LoggedRequest | undefined {
  return requestsFor(log, subject).find((r) => r.ak === ak && r.at > t);
}

/** A call of the ledger (its intent): the IDs it carries, and when it was claimed (ms). */
export interface ClaimedCall {
  ids: readonly string[];
  claimedAt: number;
}

/**
 * "Nothing is sent after the pause or cancel answered beyond what was claimed before": each write
 * that arrived after `ackAt` must be the send of a call claimed before it (its intent recorded in
 * the ledger; a call is sent once: a retry is a call of its own). The writes for which there is no
 * such call are returned.
 */
export function unclaimedLateWrites(
  writes: readonly LoggedRequest[],
  calls: readonly ClaimedCall[],
  ackAt: number,
): LoggedRequest[] {
  const setOf = (ids: readonly string[]) => JSON.stringify([...ids].map(idKey).sort());
  const claimed = new Map<string, number>();
  for (const c of calls) {
    if (c.claimedAt > ackAt) continue;
    claimed.set(setOf(c.ids), (claimed.get(setOf(c.ids)) ?? 0) + 1);
  }
  // Writes before the answer used their calls up first.
  const ordered = [...writes].filter((w) => w.op === 'write').sort((a, b) => a.n - b.n);
  const unclaimed: LoggedRequest[] = [];
  for (const w of ordered) {
    const key = setOf(w.ids);
    const left = claimed.get(key) ?? 0;
    if (left > 0) claimed.set(key, left - 1);
    else if (w.at > ackAt) unclaimed.push(w);
  }
  return unclaimed;
}
