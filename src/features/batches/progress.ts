import type { BatchPace, ItemCounts } from '../../api/schemas';
import { t } from '../../i18n/i18n';

/** Items that reached a final state (the progress bar's numerator); "No change" is one. */
export function doneCount(c: ItemCounts): number {
  return c.succeeded + c.unchanged + c.failed + c.unknown + c.invalid + c.skipped;
}

export interface ProgressEstimate {
  done: number;
  total: number;
  /** 0..100 */
  percent: number;
  /** IDs per second actually sent and settled, or null before there is anything to measure. */
  rate: number | null;
  /** Seconds left at that rate, or null when unknown. */
  secondsLeft: number | null;
}

/**
 * Progress, rate and time left from the counts and the time elapsed since the batch started.
 * The rate counts only IDs that went through SecMaster (succeeded, failed, unknown, and unchanged:
 * read before the write call and found already in the asked state): invalid and skipped ones are
 * settled without it and would make the estimate look faster than the upstream is.
 */
export function estimateProgress(
  counts: ItemCounts,
  total: number,
  elapsedMs: number,
): ProgressEstimate {
  const done = doneCount(counts);
  const percent = total > 0 ? Math.min(100, (done / total) * 100) : 100;
  const sent = counts.succeeded + counts.unchanged + counts.failed + counts.unknown;
  const remaining = counts.pending + counts.in_flight;
  if (!(elapsedMs > 0) || sent === 0)
    return { done, total, percent, rate: null, secondsLeft: null };
  const rate = sent / (elapsedMs / 1000);
  return { done, total, percent, rate, secondsLeft: remaining / rate };
}

/** Calls/s to one decimal, without a trailing ".0" (20, 18.9). */
function callsPerS(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/**
 * The rate the batch's calls use against SecMaster's rate limit, "18.9 of 20 calls/s" (or
 * "4.2 calls/s" before a limit is known); null when the batch is not running paced.
 */
export function paceText(pace: BatchPace | null | undefined): string | null {
  if (!pace) return null;
  // The pace is the credential's, shared by every batch it runs (not this batch's alone): said so.
  return t('batches.pace', {
    rate: callsPerS(pace.calls_per_s),
    limit: pace.limit === null ? null : callsPerS(pace.limit),
  });
}
