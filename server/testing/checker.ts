/**
 * The batch invariants I1–I8, checked against the ledger and the
 * emulator's database after a batch drains (Jepsen's set / total-queue checkers, adapted), and
 * I8: `succeeded` means the batch changed the link, `unchanged` that it was already so (checked
 * against a snapshot of the subject's links taken before the batch ran).
 * Reusable by tests and by `npm run soak`.
 */
import { linksOf, type Database, type LinkSubject } from 'secmaster-emulator';
import { z } from 'zod';
import { MAX_IDS_PER_CALL, idKey, type ItemState } from '../../src/api/schemas';
import type { Ledger } from '../batches/ledger';
import { DEFAULT_RETRY_POLICY } from '../batches/retry';

export type InvariantName = 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6' | 'I7' | 'I8';

export interface InvariantResult {
  ok: boolean;
  detail: string;
}

export interface CheckReport {
  ok: boolean;
  results: Record<InvariantName, InvariantResult>;
}

/** A write seen on the wire (tests wrap fetch to record them). */
export interface ObservedWrite {
  at: number;
  ids: readonly string[];
}

export interface CheckInput {
  ledger: Ledger;
  batchId: string;
  /** The batch's distinct input IDs (as created). */
  inputIds: readonly string[];
  /** The emulator's database (its links are read with `linksOf`). */
  emulatorDb: Database;
  /** Writes observed on the wire for this batch (I5, I6); when absent, only the ledger is used. */
  writes?: readonly ObservedWrite[];
  /** When the cancel was acknowledged (I6). */
  cancelAckAt?: number;
  /** Most sends of one call chain (I5); default: the B2 throttling attempts. */
  maxAttemptsPerChain?: number;
  /** Terminal states seen earlier (I7), e.g. from a TerminalWatch. */
  watch?: TerminalWatch;
  /** ID keys linked to the subject before the batch ran (I8), from `linkedIds`. */
  linkedBefore?: ReadonlySet<string>;
}

const TERMINAL: ReadonlySet<ItemState> = new Set([
  'succeeded',
  'unchanged',
  'failed',
  'invalid',
  'skipped',
]);

const itemRow = z.object({ id: z.string(), id_key: z.string(), state: z.string() });
const callRow = z.object({
  chunk_no: z.number(),
  attempt: z.number(),
  ids_json: z.string(),
  state: z.string(),
});

/** Samples item states while a batch runs; any terminal state that later changes breaks I7. */
export class TerminalWatch {
  private readonly seen = new Map<string, string>();
  readonly violations: string[] = [];
  constructor(
    private readonly ledger: Ledger,
    private readonly batchId: string,
  ) {}
  sample(): void {
    let rows: unknown[];
    try {
      rows = this.ledger.db
        .prepare('SELECT id, id_key, state FROM items WHERE batch_id = ?')
        .all(this.batchId);
    } catch {
      return; // the ledger was closed (crash tests)
    }
    for (const r of rows) {
      const { id, state } = itemRow.parse(r);
      const before = this.seen.get(id);
      if (before !== undefined && before !== state) {
        this.violations.push(`${id}: ${before} → ${state}`);
      }
      if (TERMINAL.has(state as ItemState)) this.seen.set(id, state);
    }
  }
}

/** The ID keys of the `related` objects the emulator links to the subject. */
export function linkedIds(emulatorDb: Database, subject: LinkSubject): Set<string> {
  return new Set(linksOf(emulatorDb, subject).map(idKey));
}

function result(ok: boolean, detail: string): InvariantResult {
  return { ok, detail };
}

function sample(ids: Iterable<string>, n = 5): string {
  return [...ids].slice(0, n).join(', ');
}

export function checkInvariants(input: CheckInput): CheckReport {
  const { ledger, batchId } = input;
  const batch = ledger.getBatch(batchId);
  if (!batch) throw new Error(`no batch ${batchId}`);
  const rows = ledger.db
    .prepare('SELECT id, id_key, state FROM items WHERE batch_id = ? ORDER BY seq')
    .all(batchId)
    .map((r) => itemRow.parse(r));
  const byKey = new Map<string, string[]>();
  for (const r of rows) byKey.set(r.id_key, [...(byKey.get(r.id_key) ?? []), r.state]);

  // I1: every input ID has exactly one row, in a settled state (unknown counts as settled-unknown).
  const missing: string[] = [];
  const dup: string[] = [];
  const open: string[] = [];
  for (const id of input.inputIds) {
    const states = byKey.get(idKey(id)) ?? [];
    if (states.length === 0) missing.push(id);
    else if (states.length > 1) dup.push(id);
    else if (states[0] === 'pending' || states[0] === 'in_flight') open.push(id);
  }
  const extra = rows.length - input.inputIds.length;
  const unknown = rows.filter((r) => r.state === 'unknown').length;
  const I1 = result(
    missing.length === 0 && dup.length === 0 && open.length === 0 && extra === 0,
    `missing ${missing.length}, duplicated ${dup.length}, still open ${open.length}, extra ${extra}, unknown ${unknown}` +
      (missing.length + open.length > 0 ? ` (e.g. ${sample([...missing, ...open])})` : ''),
  );

  // I2 / I3 against the emulator's links.
  const linked = linkedIds(input.emulatorDb, {
    workspaceId: batch.workspace_id,
    dataclass: batch.dataclass_type,
    objectId: batch.data_object_id,
    related: batch.related_dataclass_type,
  });
  const succeeded = new Set(rows.filter((r) => r.state === 'succeeded').map((r) => r.id_key));
  const unchanged = new Set(rows.filter((r) => r.state === 'unchanged').map((r) => r.id_key));
  // Items never sent (skipped, invalid) say nothing about the link: only sent ones can lose a success.
  const unsentOrUnknown = new Set(
    rows
      .filter((r) => r.state === 'unknown' || r.state === 'skipped' || r.state === 'invalid')
      .map((r) => r.id_key),
  );
  const inputKeys = input.inputIds.map(idKey);
  const lost: string[] = [];
  const phantom: string[] = [];
  for (const k of inputKeys) {
    const applied = batch.action === 'associate' ? linked.has(k) : !linked.has(k);
    if (applied && !succeeded.has(k) && !unchanged.has(k) && !unsentOrUnknown.has(k)) {
      // For a cancel, IDs never linked are "absent" too: only a reported failure of a real removal counts.
      if (batch.action === 'associate') lost.push(k);
    }
    if ((succeeded.has(k) || unchanged.has(k)) && !applied) phantom.push(k);
  }
  const I2 = result(
    lost.length === 0,
    `lost successes ${lost.length}${lost.length ? ` (e.g. ${sample(lost)})` : ''}`,
  );
  const I3 = result(
    phantom.length === 0,
    `phantom successes ${phantom.length}${phantom.length ? ` (e.g. ${sample(phantom)})` : ''}`,
  );

  // I4: counts sum to n; IDs unique.
  const counts = batch.counts;
  const sum = Object.values(counts).reduce((a, b) => a + b, 0);
  const uniqueKeys = new Set(rows.map((r) => r.id_key)).size === rows.length;
  const I4 = result(
    sum === batch.total && sum === rows.length && uniqueKeys,
    `counts sum ${sum}, total ${batch.total}, rows ${rows.length}, unique ${uniqueKeys}`,
  );

  // I5: no amplification.
  const calls = ledger.db
    .prepare('SELECT chunk_no, attempt, ids_json, state FROM calls WHERE batch_id = ?')
    .all(batchId)
    .map((r) => callRow.parse(r));
  const maxAttempt = Math.max(0, ...calls.map((c) => c.attempt));
  const cap = input.maxAttemptsPerChain ?? DEFAULT_RETRY_POLICY.throttledAttempts;
  const oversize = calls.filter(
    (c) => (JSON.parse(c.ids_json) as unknown[]).length > MAX_IDS_PER_CALL,
  );
  let wireOk = true;
  let wireDetail = '';
  if (input.writes) {
    const callSets = new Set(
      calls.map((c) => JSON.stringify([...(JSON.parse(c.ids_json) as string[])].sort())),
    );
    const unmatched = input.writes.filter((w) => !callSets.has(JSON.stringify([...w.ids].sort())));
    wireOk = input.writes.length <= calls.length && unmatched.length === 0;
    wireDetail = `, writes on the wire ${input.writes.length} (without a ledger intent: ${unmatched.length})`;
  }
  const I5 = result(
    maxAttempt <= cap && oversize.length === 0 && wireOk,
    `calls ${calls.length}, longest chain ${maxAttempt}/${cap}, oversize ${oversize.length}${wireDetail}`,
  );

  // I6: no write after the cancel was acknowledged.
  let I6 = result(true, 'no cancel');
  if (input.cancelAckAt !== undefined) {
    const late = (input.writes ?? []).filter((w) => w.at > (input.cancelAckAt ?? 0));
    I6 = result(
      input.writes !== undefined && late.length === 0,
      input.writes === undefined ? 'writes not observed' : `writes after cancel ${late.length}`,
    );
  }

  // I7: terminal states never change.
  let I7 = result(true, 'not watched');
  if (input.watch) {
    input.watch.sample();
    I7 = result(
      input.watch.violations.length === 0,
      `changed terminal states ${input.watch.violations.length}${input.watch.violations.length ? ` (${sample(input.watch.violations, 3)})` : ''}`,
    );
  }

  // I8: a success is a change this batch made; no change is recorded only where there was none.
  let I8 = result(true, 'no snapshot');
  if (input.linkedBefore) {
    const before = input.linkedBefore;
    const wasInState = (k: string) =>
      batch.action === 'associate' ? before.has(k) : !before.has(k);
    const falseChange = [...succeeded].filter(wasInState);
    const falseNoChange = [...unchanged].filter((k) => !wasInState(k));
    I8 = result(
      falseChange.length === 0 && falseNoChange.length === 0,
      `succeeded but already so ${falseChange.length}, unchanged but not so ${falseNoChange.length}, unchanged ${unchanged.size}` +
        (falseChange.length + falseNoChange.length > 0
          ? ` (e.g. ${sample([...falseChange, ...falseNoChange])})`
          : ''),
    );
  }

  const results = { I1, I2, I3, I4, I5, I6, I7, I8 };
  return { ok: Object.values(results).every((r) => r.ok), results };
}

export function formatReport(report: CheckReport): string {
  return (Object.entries(report.results) as [InvariantName, InvariantResult][])
    .map(([k, v]) => `${k} ${v.ok ? 'ok  ' : 'FAIL'} ${v.detail}`)
    .join('\n');
}
