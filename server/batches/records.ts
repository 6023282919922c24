/**
 * Reads and writes over the ledger's tables (whose schema `ledger.ts` owns) that the batch service
 * needs beyond the runner's: idempotency keys of `POST /api/batches` (Stripe's semantics), the IDs
 * a retry or an undo carries, and the streamed export of a batch's items (CSV and JSON), read a
 * page at a time so that a 100,000-ID batch is never held in memory at once.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PERMANENT_FAILURE_CODES, batchItemSchema, type BatchItem } from '../../src/api/schemas';
import type { LedgerDb } from './ledger';
import type { RecordsStore } from '../db/records-store';

/** Idempotency keys are honoured for at least this long (Stripe keeps them 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** `Idempotency-Key`: 1 to 200 characters of letters, digits, `_ - : .`. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_\-:.]{1,200}$/;
/** Rows read per page while exporting (one short read each, no transaction held between them). */
export const EXPORT_PAGE_ROWS = 1000;

/** Stable JSON: object keys sorted at every depth, so equal bodies hash equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function bodyHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

const keyRowSchema = z.object({ body_sha256: z.string(), batch_id: z.string() });
const exportRowSchema = batchItemSchema.extend({ seq: z.number() });
const seqIdRowSchema = z.object({ seq: z.number(), id: z.string() });

export type IdempotentResult<T> =
  | { kind: 'created'; value: T }
  | { kind: 'replayed'; batchId: string }
  | { kind: 'mismatch'; batchId: string };

export interface Records {
  /**
   * Runs `create` (which must create exactly one batch, synchronously, and return its ID) unless
   * `key` was already used by `user` in the last 24 hours: then the earlier batch is returned, or a
   * mismatch when the body differs. One immediate transaction: the key's UNIQUE constraint decides
   * between concurrent duplicates, and a key is never stored without its batch.
   */
  idempotent<T extends { id: string }>(
    user: string,
    key: string,
    hash: string,
    create: () => T,
  ): IdempotentResult<T>;
  /** Runs `fn` in one immediate transaction of the ledger's database. */
  transaction<T>(fn: () => T): T;
  /** The IDs of a batch in one state, in input order, read a page at a time. */
  idsInState(batchId: string, state: BatchItem['state']): string[];
  /**
   * The IDs a retry of the batch carries, in input order: `unknown`, `skipped`, and `failed` with a
   * transient or unexplained cause; failures in PERMANENT_FAILURE_CODES only when asked.
   */
  retryIds(batchId: string, includePermanent: boolean, includeUnknown: boolean): string[];
  /** What a retry would include and leave out (`permanent`: failures a retry cannot change). */
  retryCounts(batchId: string): {
    failed: number;
    unknown: number;
    skipped: number;
    permanent: number;
  };
  /** A batch's items in input order, `EXPORT_PAGE_ROWS` per page (keyset paging on seq). */
  itemPages(batchId: string): Generator<BatchItem[], void, undefined>;
}

export function openRecords(db: LedgerDb, opts: { now?: () => Date } = {}): Records {
  const now = opts.now ?? (() => new Date());
  const permanentCodes = JSON.stringify(PERMANENT_FAILURE_CODES);
  const selectRetryIds = db
    .prepare(
      `SELECT id FROM items INDEXED BY items_by_state
       WHERE batch_id = ? AND state IN ('failed', 'unknown', 'skipped')
         AND (state <> 'unknown' OR ? = 1)
         AND (state <> 'failed' OR ? = 1 OR code IS NULL
              OR code NOT IN (SELECT value FROM json_each(?)))
       ORDER BY seq`,
    )
    .pluck();
  const selectRetryCounts = db.prepare(
    `SELECT state,
       COALESCE(state = 'failed' AND code IN (SELECT value FROM json_each(?)), 0) AS permanent,
       COUNT(*) AS n
     FROM items WHERE batch_id = ? AND state IN ('failed', 'unknown', 'skipped')
     GROUP BY state, permanent`,
  );
  const retryCountRow = z.object({ state: z.string(), permanent: z.number(), n: z.number() });

  const purgeKeys = db.prepare(`DELETE FROM idempotency_keys WHERE created_at < ?`);
  const selectKey = db.prepare(
    `SELECT body_sha256, batch_id FROM idempotency_keys WHERE user = ? AND key = ?`,
  );
  const insertKey = db.prepare(
    `INSERT INTO idempotency_keys (user, key, body_sha256, batch_id, created_at) VALUES (?, ?, ?, ?, ?)`,
  );
  const selectItemsPage = db.prepare(
    `SELECT seq, id, state, code, message, request_id, attempts FROM items
     WHERE batch_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const selectIdsPage = db.prepare(
    `SELECT seq, id FROM items WHERE batch_id = ? AND state = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );

  function readKey(user: string, key: string) {
    const row = selectKey.get(user, key);
    return row === undefined ? null : keyRowSchema.parse(row);
  }

  type Outcome = { kind: 'created' | 'replayed' | 'mismatch'; batchId: string };

  function answer(found: { body_sha256: string; batch_id: string }, hash: string): Outcome {
    return { kind: found.body_sha256 === hash ? 'replayed' : 'mismatch', batchId: found.batch_id };
  }

  const idempotentTx = db.transaction(
    (user: string, key: string, hash: string, create: () => string): Outcome => {
      const at = now();
      purgeKeys.run(new Date(at.getTime() - IDEMPOTENCY_TTL_MS).toISOString());
      const found = readKey(user, key);
      if (found) return answer(found, hash);
      const batchId = create();
      insertKey.run(user, key, hash, batchId, at.toISOString());
      return { kind: 'created', batchId };
    },
  );

  function run(user: string, key: string, hash: string, create: () => string): Outcome {
    try {
      return idempotentTx.immediate(user, key, hash, create);
    } catch (err) {
      // Another writer (another connection) stored the key first: its batch wins.
      if (err instanceof Error && 'code' in err && err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        const found = readKey(user, key);
        if (found) return answer(found, hash);
      }
      throw err;
    }
  }

  return {
    idempotent<T extends { id: string }>(
      user: string,
      key: string,
      hash: string,
      create: () => T,
    ): IdempotentResult<T> {
      let value: T | undefined;
      const outcome = run(user, key, hash, () => {
        value = create();
        return value.id;
      });
      if (outcome.kind === 'created') {
        if (value === undefined) throw new Error('the batch was not created');
        return { kind: 'created', value };
      }
      return { kind: outcome.kind, batchId: outcome.batchId };
    },
    transaction(fn) {
      return db.transaction(fn).immediate();
    },
    retryIds(batchId, includePermanent, includeUnknown) {
      return z
        .array(z.string())
        .parse(
          selectRetryIds.all(
            batchId,
            includeUnknown ? 1 : 0,
            includePermanent ? 1 : 0,
            permanentCodes,
          ),
        );
    },
    retryCounts(batchId) {
      const out = { failed: 0, unknown: 0, skipped: 0, permanent: 0 };
      for (const row of selectRetryCounts.all(permanentCodes, batchId)) {
        const r = retryCountRow.parse(row);
        if (r.permanent) out.permanent += r.n;
        else if (r.state === 'failed' || r.state === 'unknown' || r.state === 'skipped')
          out[r.state] += r.n;
      }
      return out;
    },
    idsInState(batchId, state) {
      const ids: string[] = [];
      let after = -1;
      for (;;) {
        let n = 0;
        for (const row of selectIdsPage.iterate(batchId, state, after, EXPORT_PAGE_ROWS)) {
          const r = seqIdRowSchema.parse(row);
          ids.push(r.id);
          after = r.seq;
          n++;
        }
        if (n < EXPORT_PAGE_ROWS) return ids;
      }
    },
    *itemPages(batchId) {
      let after = -1;
      for (;;) {
        const page: BatchItem[] = [];
        for (const row of selectItemsPage.iterate(batchId, after, EXPORT_PAGE_ROWS)) {
          const { seq, ...item } = exportRowSchema.parse(row);
          page.push(item);
          after = seq;
        }
        if (page.length > 0) yield page;
        if (page.length < EXPORT_PAGE_ROWS) return;
      }
    },
  };
}

// --- Export formats ---------------------------------------------------------------------------

/** The per-ID columns of a batch's export. */
export const ITEM_COLUMNS = ['id', 'state', 'code', 'message', 'request_id', 'attempts'] as const;

export type ExportCell = string | number | null;

/** What an export says of its batch (or group, or move): the same on every row. */
export interface ExportedRun {
  id: string;
  kind?: 'batch' | 'pairs' | 'move' | undefined;
  action: string;
  workspace_id: string;
  dataclass_type: string;
  data_object_id: string;
  related_dataclass_type: string;
  destination_id?: string | null | undefined;
  user: string | null;
  created_at: string;
  reason: string | null;
}

/** The context columns' names per kind, in order (their values: `exportContext`). */
export const CONTEXT_COLUMNS = {
  batch: [
    'batch_id',
    'action',
    'workspace_id',
    'subject_class',
    'subject_id',
    'related_class',
    'user',
    'created_at',
    'reason',
  ],
  pairs: [
    'group_id',
    'action',
    'workspace_id',
    'subject_class',
    'related_class',
    'user',
    'created_at',
    'reason',
  ],
  move: [
    'move_id',
    'action',
    'workspace_id',
    'subject_class',
    'source_id',
    'destination_id',
    'related_class',
    'user',
    'created_at',
    'reason',
  ],
} as const;

/**
 * The batch's context as columns: what it did (action), where (workspace), to what (subject class
 * and ID; a batch of pairs names each row's subject in the row, a move its source and
 * destination), the related class, who, when and why. Every row of the export carries them, so a
 * row copied, filtered or merged with other exports in a spreadsheet still says where it came from.
 */
export function exportContext(run: ExportedRun): [string, ExportCell][] {
  const kind = run.kind ?? 'batch';
  const values: Record<string, ExportCell> = {
    batch_id: run.id,
    group_id: run.id,
    move_id: run.id,
    action: kind === 'move' ? 'move' : run.action,
    workspace_id: run.workspace_id,
    subject_class: run.dataclass_type,
    subject_id: run.data_object_id,
    source_id: run.data_object_id,
    destination_id: run.destination_id ?? null,
    related_class: run.related_dataclass_type,
    user: run.user,
    created_at: run.created_at,
    reason: run.reason,
  };
  return CONTEXT_COLUMNS[kind].map((name) => [name, values[name] ?? null]);
}

/** A batch's CSV header: its per-ID columns, then the batch's context. */
export const CSV_HEADER = [...ITEM_COLUMNS, ...CONTEXT_COLUMNS.batch].join(',');

/**
 * Where a spreadsheet may start a cell: the start of the text, and after each character some
 * locale uses to separate cells or rows (`,`, `;` in most European locales, tab, CR, LF) —
 * followed by a formula starter (`=`, `+`, `-`, `@`, tab, CR), possibly after spaces.
 */
const CELL_START_FORMULA = /(?<=^|[,;\t\r\n])(?=[ ]*[=+\-@\t\r])/g;

/**
 * One CSV cell. Numbers as they are; text always quoted (RFC 4180), after every place where a
 * spreadsheet could start a cell with a formula got a leading `'` (CSV/formula injection): a cell
 * split at `,`, `;` or tab by a spreadsheet in any locale never starts with `=`, `+`, `-`, `@`.
 */
export function csvCell(value: ExportCell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = value.replace(CELL_START_FORMULA, "'");
  return `"${text.replaceAll('"', '""')}"`;
}

export type ExportFormat = 'csv' | 'json';

/** The rows of an export: their own columns (`header`, `cells`) and the run's `context`. */
export interface ExportTable<Row> {
  header: readonly string[];
  cells: (row: Row) => ExportCell[];
  context: readonly (readonly [string, ExportCell])[];
}

/**
 * A byte stream of rows read a page at a time: each pull awaits one page of the store (one short
 * query: on SQLite behind the ledger's gate, on PostgreSQL on a pooled connection, no transaction
 * held between pages), so memory stays flat and a slow client only delays the next read: the
 * stream asks for the next page only once the client has taken what it was sent. CSV:
 * one header line, then a line per row, the context's cells after the row's own. JSON: an array
 * of objects, each row's fields then the context's.
 *
 * A page that cannot be read (a damaged ledger, a disk error) errors the stream after `onReadError`
 * was told: the route cuts the connection there, so that the download fails for the client rather
 * than ending as a clean, short file.
 */
export function rowStream<Row extends object>(
  pages: AsyncGenerator<Row[], void, undefined>,
  format: ExportFormat,
  table: ExportTable<Row>,
  onReadError?: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const contextCells = table.context.map(([, v]) => `,${csvCell(v)}`).join('');
  const contextObject = Object.fromEntries(table.context);
  let started = false;
  let first = true;
  /** Set when the client went away: a page read meanwhile is dropped, none other is read. */
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let text = '';
      if (!started) {
        started = true;
        text =
          format === 'csv'
            ? `${[...table.header, ...table.context.map(([name]) => name)].join(',')}\r\n`
            : '[';
      }
      let next: IteratorResult<Row[]>;
      try {
        next = await pages.next();
      } catch (error) {
        if (cancelled) return;
        onReadError?.(error);
        controller.error(error);
        return;
      }
      if (cancelled) return;
      if (next.done) {
        if (format === 'json') text += first ? ']' : '\n]\n';
        if (text) controller.enqueue(encoder.encode(text));
        controller.close();
        return;
      }
      for (const row of next.value) {
        if (format === 'csv') {
          text += `${table.cells(row).map(csvCell).join(',')}${contextCells}\r\n`;
        } else {
          text += `${first ? '\n' : ',\n'}${JSON.stringify({ ...row, ...contextObject })}`;
          first = false;
        }
      }
      controller.enqueue(encoder.encode(text));
    },
    async cancel() {
      cancelled = true;
      // Waits for the page being read, if any (an async generator's return is queued after it).
      await pages.return(undefined);
    },
  });
}

/** The download answer of an export stream: its type, and a file name `{name}.{format}`. */
export function exportResponse(
  body: ReadableStream<Uint8Array>,
  name: string,
  format: ExportFormat,
): Response {
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type':
        format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}.${format}"`,
    },
  });
}

/** A batch's items in input order, with the batch's context (see `rowStream`). */
export function exportStream(
  records: Pick<RecordsStore, 'itemPages'>,
  batch: ExportedRun,
  format: ExportFormat,
  onReadError?: (error: unknown) => void,
) {
  return rowStream(
    records.itemPages(batch.id),
    format,
    {
      header: ITEM_COLUMNS,
      cells: (item: BatchItem) => [
        item.id,
        item.state,
        item.code,
        item.message,
        item.request_id,
        item.attempts,
      ],
      context: exportContext(batch),
    },
    onReadError,
  );
}
