/**
 * What the ledger records from what the runner learnt about a batch's IDs: the verdict on a write,
 * a pre-read (which IDs are already in the asked state), a re-read of unknown outcomes, and the
 * reasons a batch stops with. Pure: the call chain, the feed and the re-read write what is decided
 * here, so every outcome rule lives in one place whichever path met the answer.
 */
import {
  UNCHANGED_ALREADY_LINKED,
  UNCHANGED_NOT_LINKED,
  idKey,
  type BatchAction,
  type BatchItem,
} from '../../../src/api/schemas';
import {
  MSG_CONFIRMED,
  sqliteErrorCode,
  type ItemOutcome,
  type PendingRow,
  type SettledRow,
} from '../ledger';
import type { RetryVerdict, Verdict } from './verdict';

/** What the call row keeps of the answer. */
export interface CallMeta {
  httpStatus: number | null;
  requestId: string | null;
  errorCode: string | null;
}

export function callMeta(v: Verdict): CallMeta {
  return { httpStatus: v.status, requestId: v.requestId, errorCode: v.code };
}

/** The ledger write that ends a call chain. */
export type CallRecord =
  /** Outcomes of the call's IDs (fenced by call_id). */
  | { kind: 'outcomes'; outcomes: readonly ItemOutcome[]; meta: CallMeta }
  /** Not applied upstream: the call's IDs go back to pending. */
  | { kind: 'release'; meta: CallMeta }
  /** Back to pending, and the batch stops as `interrupted` with the reason. */
  | { kind: 'interrupt'; meta: CallMeta; reason: string };

function every(ids: readonly string[], outcome: Omit<ItemOutcome, 'id'>, v: Verdict): CallRecord {
  return { kind: 'outcomes', outcomes: ids.map((id) => ({ id, ...outcome })), meta: callMeta(v) };
}

/** The batch's state reason when SecMaster refuses the console's credentials. */
export function credentialsRefused(code: string, message: string): string {
  return `SecMaster refused the console's credentials (${code}${message ? `: ${message}` : ''}); the batch stopped and its unsent IDs stay pending`;
}

/**
 * The call chain of `ids` ends with verdict `v`; a `retry` verdict here means the retries are used
 * up: a 5xx may have been applied, so its IDs are re-read before being called failed. A throttle
 * never fails an ID: throttled through every retry, the IDs go back to pending (the batch waits,
 * then sends them again).
 */
export function endOfChain(ids: readonly string[], v: Verdict): CallRecord {
  switch (v.kind) {
    case 'outcomes':
      return { kind: 'outcomes', outcomes: v.outcomes, meta: callMeta(v) };
    case 'all':
      return every(ids, { state: v.state, code: v.code, message: v.message }, v);
    case 'auth':
      // Never retried (AK/SK lockout risk).
      return {
        kind: 'interrupt',
        meta: callMeta(v),
        reason: credentialsRefused(v.code, v.message),
      };
    case 'retry':
      if (v.throttled) return { kind: 'release', meta: callMeta(v) };
      return every(
        ids,
        { state: v.mayBeApplied ? 'unknown' : 'failed', code: v.code, message: v.message },
        v,
      );
  }
}

/**
 * The call will not be retried now (pause, stop, shutdown, empty budget, superseded). Refused before
 * being applied (429, a connect failure): its IDs go back to pending. A 5xx may have been applied:
 * its IDs are unknown, settled by a re-read before anything else (never sent again blindly, never
 * read as "already so" by the next pre-read).
 */
export function notRetried(ids: readonly string[], v: RetryVerdict): CallRecord {
  if (!v.mayBeApplied) return { kind: 'release', meta: callMeta(v) };
  return every(
    ids,
    {
      state: 'unknown',
      code: 'MAY_BE_APPLIED',
      message: `${v.message}; may have been applied: re-read before sending again`,
    },
    v,
  );
}

/**
 * A row found already in the asked state. Sent before by a write that may have been applied (an
 * outcome not known, a 5xx, then put back to pending): this batch's own write did it, since every
 * ID is read before its first send: `succeeded`. Never sent, or every send refused before being
 * applied (429, connect failure: `attempts` > 0 but nothing written): `unchanged`.
 */
export function alreadySo(r: PendingRow, was: { code: string; message: string }): SettledRow {
  if (r.mayBeApplied)
    return { seq: r.seq, state: 'succeeded', code: 'APPLIED_EARLIER', message: MSG_CONFIRMED };
  return { seq: r.seq, state: 'unchanged', ...was };
}

/**
 * The pre-read of the subject's links. Associate: a linked ID is already so, the others are sent.
 * Cancel: a linked ID is sent; one not linked is looked up in the related class (`lookUp`), so
 * that an unknown ID is still sent and SecMaster's refusal explained.
 */
export function afterLinksRead(
  action: BatchAction,
  rows: readonly PendingRow[],
  linked: ReadonlySet<string>,
): { settled: SettledRow[]; ready: PendingRow[]; lookUp: PendingRow[] } {
  const associate = action === 'associate';
  const out = {
    settled: [] as SettledRow[],
    ready: [] as PendingRow[],
    lookUp: [] as PendingRow[],
  };
  for (const r of rows) {
    const isLinked = linked.has(idKey(r.id));
    if (isLinked && associate) out.settled.push(alreadySo(r, UNCHANGED_ALREADY_LINKED));
    else if (isLinked || associate) out.ready.push(r);
    else out.lookUp.push(r);
  }
  return out;
}

/**
 * Cancel, IDs not linked: one that exists in the related class is unchanged; one not found is sent,
 * so that SecMaster's refusal is recorded and explained as for any write.
 */
export function afterClassRead(
  rows: readonly PendingRow[],
  found: ReadonlySet<string>,
): { settled: SettledRow[]; ready: PendingRow[] } {
  const out = { settled: [] as SettledRow[], ready: [] as PendingRow[] };
  for (const r of rows) {
    if (found.has(idKey(r.id))) out.settled.push(alreadySo(r, UNCHANGED_NOT_LINKED));
    else out.ready.push(r);
  }
  return out;
}

/** The message of IDs failed because the pre-read was refused for good (an HTTP 4xx). */
export function readRefusedMessage(message: string): string {
  return `not sent: SecMaster refused the read of the current links before writing (${message})`;
}

/** The pre-read was refused for good: the write would meet the same refusal, so none is sent. */
export function readRefused(
  rows: readonly PendingRow[],
  code: string,
  message: string,
): SettledRow[] {
  return rows.map((r) => ({
    seq: r.seq,
    state: 'failed',
    code,
    message: readRefusedMessage(message || code),
  }));
}

/** Unknown items whose absence after a re-read means "not applied, send again". */
const RESEND_WHEN_ABSENT = new Set([
  'MAY_BE_APPLIED',
  'TIMEOUT',
  'UPSTREAM_NETWORK',
  'UPSTREAM_BAD_RESPONSE',
  'UNKNOWN_AFTER_RESTART',
  'UNKNOWN_NOT_RECORDED',
  'REPORTED_AS_BOTH',
]);

export interface RereadSettlement {
  succeeded: string[];
  resend: string[];
  failed: { id: string; code: string | null; message: string | null }[];
}

/**
 * Unknown items after a re-read of the subject's links. Associate: present → succeeded, absent →
 * pending (re-sent) or failed (5xx with retries used up, or sent too often). Cancel: the inverse.
 */
export function afterReread(
  action: BatchAction,
  ids: readonly string[],
  linked: ReadonlySet<string>,
  items: ReadonlyMap<string, Pick<BatchItem, 'code' | 'message' | 'attempts'>>,
  maxSendsPerId: number,
): RereadSettlement {
  const out: RereadSettlement = { succeeded: [], resend: [], failed: [] };
  for (const id of ids) {
    const isLinked = linked.has(idKey(id));
    const applied = action === 'associate' ? isLinked : !isLinked;
    const item = items.get(id);
    if (applied) out.succeeded.push(id);
    else if (item && !RESEND_WHEN_ABSENT.has(item.code ?? '')) {
      out.failed.push({ id, code: item.code, message: item.message });
    } else if ((item?.attempts ?? 0) >= maxSendsPerId) {
      out.failed.push({
        id,
        code: 'NOT_APPLIED',
        message: `not applied after ${item?.attempts ?? 0} attempts (${item?.code ?? 'unknown outcome'}; confirmed by re-read)`,
      });
    } else out.resend.push(id);
  }
  return out;
}

/**
 * Why a batch stopped on an error of the ledger or of the runner itself. The chunk being claimed
 * was not sent (a send needs a committed intent); a call already sent keeps its IDs in_flight, and
 * they are re-read as unknown when the batch resumes or the server restarts.
 */
export function haltReason(err: unknown): string {
  const code = sqliteErrorCode(err);
  if (code !== null) {
    const hint = code === 'SQLITE_FULL' ? 'disk full?' : 'disk error?';
    return `the ledger could not be written (${hint}): ${code}; the batch stopped and sends nothing more; resume when fixed`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `internal error: ${message}; the batch stopped; resume to retry`;
}
