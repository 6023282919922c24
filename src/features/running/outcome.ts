/** The outcome of ended work, in words and a colour (loaded with the end notices). */
import { batchKindOf, type BatchState, type BatchSummary } from '../../api/schemas';
import { t } from '../../i18n/i18n';
import { batchStateWord } from '../../lib/words';
import type { MoveResults } from './work-words';

/** The counted phrases of an outcome ("2,990 succeeded" / "成功 2,990 个"). */
type CountKey =
  | 'running.moved'
  | 'running.alreadyThere'
  | 'running.keptAtSource'
  | 'running.invalid'
  | 'running.succeeded'
  | 'running.unchanged'
  | 'running.failed'
  | 'running.unknown'
  | 'running.skipped';

export type OutcomeColor = 'green' | 'yellow' | 'gray' | 'red';

export interface Outcome {
  /** "Done", "Stopped", "Interrupted". */
  state: string;
  /** "2,990 succeeded · 10 failed" (only the states that have IDs). */
  summary: string;
  color: OutcomeColor;
}

/** The outcome of ended work, from its final summary. */
export function workOutcome(
  end: Pick<BatchSummary, 'state' | 'counts' | 'kind'> & {
    results?: MoveResults | undefined;
  },
): Outcome {
  const state = end.state as BatchState;
  const parts: [number, CountKey][] =
    batchKindOf(end) === 'move' && end.results
      ? [
          [end.results.moved ?? 0, 'running.moved'],
          [end.results.already_at_destination ?? 0, 'running.alreadyThere'],
          [end.results.kept_at_source ?? 0, 'running.keptAtSource'],
          [end.results.invalid ?? 0, 'running.invalid'],
        ]
      : [
          [end.counts.succeeded, 'running.succeeded'],
          [end.counts.unchanged, 'running.unchanged'],
          [end.counts.failed, 'running.failed'],
          [end.counts.unknown, 'running.unknown'],
          [end.counts.invalid, 'running.invalid'],
          [end.counts.skipped, 'running.skipped'],
        ];
  const summary = parts
    .filter(([n]) => n > 0)
    .map(([count, key]) => t(key, { count }))
    .join(' · ');
  const troubled =
    end.counts.failed + end.counts.unknown > 0 || (end.results?.kept_at_source ?? 0) > 0;
  let color: OutcomeColor = troubled ? 'yellow' : 'green';
  if (state === 'cancelled') color = 'gray';
  if (state === 'interrupted') color = 'red';
  return { state: batchStateWord(state), summary: summary || t('running.noIds'), color };
}
