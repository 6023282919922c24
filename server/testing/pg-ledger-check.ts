/**
 * The batch invariants (checker.ts, I1–I8) for a batch whose ledger is on PostgreSQL (consoles
 * sharing DATABASE_URL): the batch's rows (`batches`, `items`, `calls`) are copied as they are into
 * a new SQLite ledger (`openLedger`: the real schema), and the checker runs on that copy unchanged,
 * with the emulator's store as usual. I7 (terminal states never change) is sampled from PostgreSQL
 * while the batch runs (`PgTerminalWatch`), as the soak samples the SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openEmulatorDb } from 'secmaster-emulator';
import { z } from 'zod';
import type { BatchSummary } from '../../src/api/schemas';
import { openLedger, type Ledger } from '../batches/ledger';
import { openPostgres, type PostgresLedgerDb } from '../db/postgres';
import { sqliteKysely } from '../db/sqlite-kysely';
import type { LedgerTables } from '../db/tables';
import { checkInvariants, type CheckInput, type CheckReport } from './checker';
import type { ClaimedCall } from './request-log';

const TERMINAL = new Set(['succeeded', 'unchanged', 'failed', 'invalid', 'skipped']);
/** Rows per INSERT into the copy (under SQLite's limit on bound parameters). */
const ROWS_PER_INSERT = 500;

/** Copies one batch's rows from `from` (PostgreSQL) into `to` (an empty SQLite ledger). */
export async function copyBatch(
  from: Kysely<LedgerTables>,
  to: Kysely<LedgerTables>,
  batchId: string,
): Promise<void> {
  const batch = await from
    .selectFrom('batches')
    .selectAll()
    .where('id', '=', batchId)
    .executeTakeFirst();
  if (!batch) throw new Error(`no batch ${batchId} in the shared ledger`);
  const items = await from
    .selectFrom('items')
    .selectAll()
    .where('batch_id', '=', batchId)
    .orderBy('seq')
    .execute();
  const calls = await from
    .selectFrom('calls')
    .selectAll()
    .where('batch_id', '=', batchId)
    .execute();
  await to.transaction().execute(async (trx) => {
    const { n: _, ...row } = batch;
    await trx.insertInto('batches').values(row).execute();
    for (let i = 0; i < calls.length; i += ROWS_PER_INSERT) {
      await trx
        .insertInto('calls')
        .values(calls.slice(i, i + ROWS_PER_INSERT))
        .execute();
    }
    for (let i = 0; i < items.length; i += ROWS_PER_INSERT) {
      await trx
        .insertInto('items')
        .values(items.slice(i, i + ROWS_PER_INSERT))
        .execute();
    }
  });
}

/** What the soak prints of a batch (as process-harness.ts's LedgerFigures, from the shared ledger). */
export interface SharedLedgerFigures {
  calls: number;
  retries: number;
  attempts: number;
  confirmedByReread: number;
  /** Calls another console left in flight, marked unknown by the console that took over. */
  unknownCalls: number;
  /** The IDs those calls carried: what the taker had to re-read. */
  unknownCallIds: number;
  counts: BatchSummary['counts'];
  state: string;
  stateReason: string | null;
}

export type CheckOptions = Omit<
  CheckInput,
  'ledger' | 'emulatorDb' | 'batchId' | 'inputIds' | 'watch'
>;

/**
 * I1–I8 for `batchId` of the shared ledger at `databaseUrl` against the emulator's store
 * `emulatorFile`; I7 from `watch` when given (else "not watched").
 */
export async function checkSharedBatch(o: {
  databaseUrl: string;
  batchId: string;
  inputIds: readonly string[];
  emulatorFile: string;
  watch?: PgTerminalWatch;
  check?: CheckOptions;
}): Promise<{ report: CheckReport; figures: SharedLedgerFigures }> {
  const dir = mkdtempSync(join(tmpdir(), 'shared-ledger-copy-'));
  const pg = openPostgres(o.databaseUrl, { max: 2 });
  let ledger: Ledger | null = null;
  let copy: Kysely<LedgerTables> | null = null;
  try {
    ledger = openLedger(join(dir, 'ledger.sqlite'));
    copy = sqliteKysely(ledger.db);
    await copyBatch(pg.kysely, copy, o.batchId);
    const emulatorDb = openEmulatorDb(o.emulatorFile, { readonly: true });
    let report: CheckReport;
    try {
      report = checkInvariants({
        ...o.check,
        ledger,
        batchId: o.batchId,
        inputIds: o.inputIds,
        emulatorDb,
      });
    } finally {
      emulatorDb.close();
    }
    if (o.watch) report = withWatch(report, o.watch);
    return { report, figures: figuresOf(ledger, o.batchId) };
  } finally {
    await copy?.destroy();
    ledger?.close();
    await pg.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const count = z.object({ n: z.number().nullable() });

function figuresOf(ledger: Ledger, batchId: string): SharedLedgerFigures {
  const one = (sql: string) => count.parse(ledger.db.prepare(sql).get(batchId)).n ?? 0;
  const b = ledger.getBatch(batchId);
  if (!b) throw new Error('batch missing');
  const unknownCalls = z
    .array(z.object({ ids_json: z.string() }))
    .parse(
      ledger.db
        .prepare("SELECT ids_json FROM calls WHERE batch_id = ? AND state = 'unknown'")
        .all(batchId),
    );
  return {
    calls: one('SELECT COUNT(*) AS n FROM calls WHERE batch_id = ?'),
    retries: one('SELECT COUNT(*) AS n FROM calls WHERE batch_id = ? AND attempt > 1'),
    attempts: one('SELECT SUM(attempts) AS n FROM items WHERE batch_id = ?'),
    confirmedByReread: one(
      "SELECT COUNT(*) AS n FROM items WHERE batch_id = ? AND message = 'confirmed by re-read'",
    ),
    unknownCalls: unknownCalls.length,
    unknownCallIds: unknownCalls.reduce(
      (n, c) => n + z.array(z.string()).parse(JSON.parse(c.ids_json)).length,
      0,
    ),
    counts: b.counts,
    state: b.state,
    stateReason: b.state_reason ?? null,
  };
}

/** The report with I7 taken from the watch (it must have sampled the batch at least once). */
function withWatch(report: CheckReport, watch: PgTerminalWatch): CheckReport {
  const I7 = {
    ok: watch.violations.length === 0 && watch.samples > 0,
    detail: `changed terminal states ${watch.violations.length} over ${watch.samples} samples${
      watch.violations.length ? ` (${watch.violations.slice(0, 3).join(', ')})` : ''
    }`,
  };
  const results = { ...report.results, I7 };
  return { ok: Object.values(results).every((r) => r.ok), results };
}

const itemState = z.object({ id: z.string(), state: z.string() });

/**
 * Samples a batch's item states from the shared ledger while consoles run it: a terminal state
 * that later changes breaks I7. `stop()` samples once more, then closes its pool.
 */
export class PgTerminalWatch {
  private readonly db: PostgresLedgerDb;
  private readonly seen = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sampling: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly violations: string[] = [];
  samples = 0;

  constructor(
    databaseUrl: string,
    private readonly batchId: string,
  ) {
    this.db = openPostgres(databaseUrl, { max: 1, onIdleError: () => undefined });
  }

  /** Samples every `everyMs` (each sample after the previous one ended) until `stop()`. */
  start(everyMs = 100): void {
    const tick = () => {
      this.sampling = this.sample().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, everyMs);
      });
    };
    tick();
  }

  private async sample(): Promise<void> {
    let rows: z.infer<typeof itemState>[];
    try {
      rows = z
        .array(itemState)
        .parse(
          await this.db.kysely
            .selectFrom('items')
            .select(['id', 'state'])
            .where('batch_id', '=', this.batchId)
            .execute(),
        );
    } catch {
      return; // a slow or busy database: the next sample catches up
    }
    this.samples++;
    for (const r of rows) {
      const before = this.seen.get(r.id);
      if (before !== undefined && before !== r.state) {
        this.violations.push(`${r.id}: ${before} → ${r.state}`);
      }
      if (TERMINAL.has(r.state)) this.seen.set(r.id, r.state);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sampling;
    await this.sample();
    await this.db.close();
  }
}

/** The calls (intents) of a batch in the shared ledger: their IDs and when they were claimed. */
export async function claimedCalls(databaseUrl: string, batchId: string): Promise<ClaimedCall[]> {
  const db = openPostgres(databaseUrl, { max: 1 });
  try {
    const rows = await db.kysely
      .selectFrom('calls')
      .select(['ids_json', 'sent_at'])
      .where('batch_id', '=', batchId)
      .execute();
    return rows.map((r) => ({
      ids: z.array(z.string()).parse(JSON.parse(r.ids_json)),
      claimedAt: Date.parse(r.sent_at),
    }));
  } finally {
    await db.close();
  }
}
