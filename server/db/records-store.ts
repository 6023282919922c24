/**
 * The ledger reads of server/batches/records.ts (`openRecords`), asynchronous and on either store:
 * each query is written once with Kysely over the ledger's tables (server/db/tables.ts), so that
 * the same code answers from the SQLite ledger (`sqliteKysely`, server/db/sqlite-kysely.ts) and
 * from PostgreSQL (the Kysely of `openPostgres`, server/db/postgres.ts). Same names, same results,
 * same order as the synchronous reads (records-store.test.ts compares them on the same rows).
 *
 * `idempotent` and `transaction` run a caller's batch creation inside their transaction: they are
 * server/db/service-stores.ts's (a store bound to one transaction), over the idempotency keys'
 * three statements here (`openIdempotencyKeys`). The export helpers (`rowStream`, `exportStream`)
 * in records.ts read `itemPages` here a page at a time.
 *
 * Nothing below differs between the dialects: lists of states and codes are short constants (the
 * item states, PERMANENT_FAILURE_CODES), bound as plain `IN (…)` lists on both instead of SQLite's
 * json_each, and counts are cast to integer (PostgreSQL's COUNT is a bigint, which `pg` reads as
 * text unless told otherwise).
 */
import { sql, type ExpressionBuilder, type Expression, type Kysely, type SqlBool } from 'kysely';
import { z } from 'zod';
import { PERMANENT_FAILURE_CODES, batchItemSchema, type BatchItem } from '../../src/api/schemas';
import { EXPORT_PAGE_ROWS, type Records } from '../batches/records';
import type { Promised } from './store';
import type { LedgerTables } from './tables';

/** The read methods of `Records`, each answered by a promise; `itemPages` an asynchronous one. */
export type RecordsStore = Promised<Pick<Records, 'idsInState' | 'retryIds' | 'retryCounts'>> & {
  /** A batch's items in input order, `EXPORT_PAGE_ROWS` per page (keyset paging on seq). */
  itemPages(batchId: string): AsyncGenerator<BatchItem[], void, undefined>;
};

const exportRowSchema = batchItemSchema.extend({ seq: z.number() });
const seqIdRowSchema = z.object({ seq: z.number(), id: z.string() });
const retryCountRow = z.object({ state: z.string(), permanent: z.number(), n: z.number() });

/** The states a retry carries (`retryIds`, `retryCounts`). */
const RETRY_STATES = ['failed', 'unknown', 'skipped'] as const;

type ItemsEb = ExpressionBuilder<LedgerTables, 'items'>;

/** `code IN (permanent codes)`; false for an empty list (`IN ()` is an error on PostgreSQL). */
function isPermanentCode(eb: ItemsEb): Expression<SqlBool> {
  return PERMANENT_FAILURE_CODES.length === 0
    ? sql<SqlBool>`1 = 0`
    : eb('code', 'in', PERMANENT_FAILURE_CODES);
}

export function openRecordsStore(db: Kysely<LedgerTables>): RecordsStore {
  return {
    async idsInState(batchId, state) {
      const ids: string[] = [];
      let after = -1;
      for (;;) {
        const rows = await db
          .selectFrom('items')
          .select(['seq', 'id'])
          .where('batch_id', '=', batchId)
          .where('state', '=', state)
          .where('seq', '>', after)
          .orderBy('seq')
          .limit(EXPORT_PAGE_ROWS)
          .execute();
        for (const row of rows) {
          const r = seqIdRowSchema.parse(row);
          ids.push(r.id);
          after = r.seq;
        }
        if (rows.length < EXPORT_PAGE_ROWS) return ids;
      }
    },

    async retryIds(batchId, includePermanent, includeUnknown) {
      // One seek per state on items_by_state (batch_id, state, seq), merged in seq order. Written
      // as `state IN (…) ORDER BY seq`, SQLite (no statistics) walks the whole batch on its primary
      // key instead, to spare the sort: records.ts forces the index with INDEXED BY, which Kysely
      // cannot write; ~0.1 ms against ~20 ms for a few failures among 100,000 IDs.
      const ofState = (state: (typeof RETRY_STATES)[number]) =>
        db
          .selectFrom('items')
          .select(['seq', 'id'])
          .where('batch_id', '=', batchId)
          .where('state', '=', state);
      const failed = ofState('failed').$if(!includePermanent, (q) =>
        q.where((eb) => eb.or([eb('code', 'is', null), eb.not(isPermanentCode(eb))])),
      );
      const rows = await failed
        .unionAll(ofState('skipped'))
        .$if(includeUnknown, (q) => q.unionAll(ofState('unknown')))
        .orderBy('seq')
        .execute();
      return z.array(z.string()).parse(rows.map((r) => r.id));
    },

    async retryCounts(batchId) {
      const rows = await db
        .selectFrom('items')
        .select((eb) => [
          'state',
          eb
            .case()
            .when(eb.and([eb('state', '=', 'failed'), isPermanentCode(eb)]))
            .then(sql.lit(1))
            .else(sql.lit(0))
            .end()
            .as('permanent'),
          eb.cast<number>(eb.fn.countAll(), 'integer').as('n'),
        ])
        .where('batch_id', '=', batchId)
        .where('state', 'in', RETRY_STATES)
        .groupBy(['state', sql.ref('permanent')])
        .execute();
      const out = { failed: 0, unknown: 0, skipped: 0, permanent: 0 };
      for (const row of rows) {
        const r = retryCountRow.parse(row);
        if (r.permanent) out.permanent += r.n;
        else if (r.state === 'failed' || r.state === 'unknown' || r.state === 'skipped')
          out[r.state] += r.n;
      }
      return out;
    },

    async *itemPages(batchId) {
      let after = -1;
      for (;;) {
        const rows = await db
          .selectFrom('items')
          .select(['seq', 'id', 'state', 'code', 'message', 'request_id', 'attempts'])
          .where('batch_id', '=', batchId)
          .where('seq', '>', after)
          .orderBy('seq')
          .limit(EXPORT_PAGE_ROWS)
          .execute();
        const page: BatchItem[] = [];
        for (const row of rows) {
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

/** An idempotency key's record: the request body's hash and the batch it created. */
export interface IdempotencyKeyRow {
  body_sha256: string;
  batch_id: string;
}

/** The idempotency keys of `POST /api/batches` (records.ts documents their rules). */
export interface IdempotencyKeys {
  /** Forgets the keys recorded before `before` (an ISO time). */
  purge(before: string): Promise<void>;
  /** The key's record, or null. */
  find(user: string, key: string): Promise<IdempotencyKeyRow | null>;
  /** Records a key (a duplicate `user`, `key` is refused by the primary key: `isDuplicateKey`). */
  insert(row: IdempotencyKeyRow & { user: string; key: string; created_at: string }): Promise<void>;
}

const keyRowSchema = z.object({ body_sha256: z.string(), batch_id: z.string() });

export function openIdempotencyKeys(db: Kysely<LedgerTables>): IdempotencyKeys {
  return {
    async purge(before) {
      await db.deleteFrom('idempotency_keys').where('created_at', '<', before).execute();
    },
    async find(user, key) {
      const row = await db
        .selectFrom('idempotency_keys')
        .select(['body_sha256', 'batch_id'])
        .where('user', '=', user)
        .where('key', '=', key)
        .executeTakeFirst();
      return row === undefined ? null : keyRowSchema.parse(row);
    },
    async insert(row) {
      await db.insertInto('idempotency_keys').values(row).execute();
    },
  };
}

/**
 * Whether `err` is a second record of one idempotency key (its primary key): SQLite's
 * SQLITE_CONSTRAINT_PRIMARYKEY, PostgreSQL's unique_violation (23505).
 */
export function isDuplicateKey(err: unknown): boolean {
  if (!(err instanceof Error) || !('code' in err)) return false;
  return err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err.code === '23505';
}
