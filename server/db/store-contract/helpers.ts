/**
 * Shared by the store contract suites (one behaviour, both stores): a fresh store per test and the
 * batches and reads the suites use.
 */
import { afterEach, beforeEach } from 'vitest';
import type { NewBatch } from '../../batches/ledger';
import { makeIds } from '../../testing/fake-upstream';
import type { StoreFactory, TestStore } from '../../testing/stores';

export { makeIds };

/**
 * A fresh store of `factory` for each test of the enclosing describe (`now`: the store's clock,
 * read at each write). Read `.current` inside tests.
 */
export function useStore(factory: StoreFactory, opts: { now?: () => Date } = {}) {
  const holder: { current: TestStore } = { current: undefined as unknown as TestStore };
  beforeEach(async () => {
    holder.current = await factory.open(opts);
  });
  afterEach(async () => {
    await holder.current.close();
  });
  return holder;
}

export const WORKSPACE = '3f1c9a52-7b4e-4d2a-9c61-0e8f5a7b2d14';
export const SUBJECT = 'c0ffee00-0000-4000-8000-000000000001';

/** The fields of a batch or group row these tests do not vary. */
export const common = {
  action: 'associate' as const,
  workspace_id: WORKSPACE,
  dataclass_type: 'incidents' as const,
  related_dataclass_type: 'alerts' as const,
  reason: null,
  user: 'local',
  retry_of: null,
  duplicates: 0,
};

export type Item = NewBatch['items'][number];

export const pending = (id: string): Item => ({
  id,
  idKey: id.toLowerCase(),
  state: 'pending',
  message: null,
});
export const invalid = (id: string, message = 'bad'): Item => ({
  id,
  idKey: id,
  state: 'invalid',
  message,
});

/** A batch of `ids` (pending) and `bad` (invalid) on SUBJECT. */
export function batchOf(
  ids: readonly string[],
  bad: readonly string[] = [],
  more: Partial<NewBatch> = {},
): NewBatch {
  return {
    ...common,
    data_object_id: SUBJECT,
    reason: 'r',
    items: [...ids.map(pending), ...bad.map((b) => invalid(b))],
    ...more,
  };
}

/** Creates a batch; returns its id. */
export async function create(
  t: TestStore,
  ids: readonly string[],
  bad: readonly string[] = [],
  more: Partial<NewBatch> = {},
): Promise<string> {
  return (await t.store.createBatch(batchOf(ids, bad, more))).id;
}

export const meta200 = { httpStatus: 200, requestId: 'req-1', errorCode: null };

/** Every ID of a call succeeded. */
export const succeeded = (ids: readonly string[]) =>
  ids.map((id) => ({ id, state: 'succeeded' as const, code: null, message: null }));

/** The batch's item counts by state, as the database holds them (non-zero states only). */
export async function statesIn(t: TestStore, batchId: string): Promise<Record<string, number>> {
  const rows = await t.db
    .selectFrom('items')
    .select(({ fn }) => ['state', fn.countAll<number>().as('n')])
    .where('batch_id', '=', batchId)
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** A call's row. */
export async function callRow(t: TestStore, callId: string) {
  return t.db
    .selectFrom('calls')
    .selectAll()
    .where('call_id', '=', callId)
    .executeTakeFirstOrThrow();
}

/** The items of a batch in input order (every column). */
export async function itemRows(t: TestStore, batchId: string) {
  return t.db
    .selectFrom('items')
    .selectAll()
    .where('batch_id', '=', batchId)
    .orderBy('seq')
    .execute();
}

/** Non-zero counts only. */
export function shown(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}
