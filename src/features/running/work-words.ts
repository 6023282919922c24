/**
 * What the running-work header says about a batch or move: its words ("Associate 3,000 alerts"),
 * how far it is, and the tab title while work runs (first page; the outcome is in outcome.ts).
 */
import { batchKindOf, type BatchSummary, type ItemCounts } from '../../api/schemas';
import { t } from '../../i18n/i18n';
import { batchTitle, dataclassCount, moveTitle } from '../../lib/words';

export type MoveResults = Partial<
  Record<'pending' | 'moved' | 'already_at_destination' | 'kept_at_source' | 'invalid', number>
>;

/** What the header needs of a history row (a batch, a batch of pairs or a move). */
export type WorkRow = Pick<
  BatchSummary,
  'id' | 'kind' | 'action' | 'state' | 'related_dataclass_type' | 'total' | 'counts'
> & {
  /** A move's own outcome counts (its summary carries them; `pending` is what is left). */
  results?: MoveResults | undefined;
};

/** "Associate 3,000 alerts", "Cancel association of 12 incidents", "Move 20 alerts", "… pairs". */
export function workTitle(row: WorkRow): string {
  const kind = batchKindOf(row);
  const what =
    kind === 'pairs'
      ? t('running.pairCount', { count: row.total })
      : dataclassCount(row.related_dataclass_type, row.total);
  if (kind === 'move') return moveTitle(what);
  return batchTitle(row.action, what);
}

/** IDs that reached a final state (No change, invalid and skipped included). */
function settled(c: ItemCounts): number {
  return c.succeeded + c.unchanged + c.failed + c.unknown + c.invalid + c.skipped;
}

/** How far the work is, 0 to 100 (whole percent, rounded down so 100 means all settled). */
export function workPercent(row: WorkRow): number {
  if (row.total <= 0) return 100;
  const done =
    batchKindOf(row) === 'move' && typeof row.results?.pending === 'number'
      ? row.total - row.results.pending
      : settled(row.counts);
  return Math.max(0, Math.min(100, Math.floor((done / row.total) * 100)));
}

/** Link words for a row: a move opens its own page. */
export function workNoun(row: Pick<WorkRow, 'kind'>): 'batch' | 'move' {
  return batchKindOf(row) === 'move' ? 'move' : 'batch';
}

/**
 * The tab's title while work runs: the batch of the page when it runs, else the one running batch,
 * else how many run and how far they are together. `base` when nothing runs.
 */
export function tabTitle(rows: readonly WorkRow[], pageId: string | null, base: string): string {
  const running = rows.filter((r) => r.state === 'running');
  if (running.length === 0) return base;
  const one = running.find((r) => r.id === pageId) ?? (running.length === 1 ? running[0] : null);
  if (one) return t('running.tabTitle', { percent: workPercent(one), title: workTitle(one) });
  const total = running.reduce((n, r) => n + r.total, 0);
  const done = running.reduce((n, r) => n + (r.total * workPercent(r)) / 100, 0);
  const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
  return t('running.tabTitle', {
    percent,
    title: t('running.batchesRunning', { count: running.length }),
  });
}
