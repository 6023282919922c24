/** The outcome of ended work, in words and a colour (loaded with the end notices). */
import { batchKindOf, type BatchState, type BatchSummary } from '../../api/schemas';
import { t } from '../../i18n/i18n';
import { batchStateWord } from '../../lib/words';
import type { MoveResults } from './work-words';

/** The counted phrases of an outcome ("2,990 succeeded" / "成功 2,990 个"). */
type CountKey =
  | 'panels.moved'
  | 'panels.alreadyThere'
  | 'panels.keptAtSource'
  | 'panels.invalid'
  | 'panels.succeeded'
  | 'panels.unchanged'
  | 'panels.failed'
  | 'panels.unknown'
  | 'panels.skipped';

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
          [end.results.moved ?? 0, 'panels.moved'],
          [end.results.already_at_destination ?? 0, 'panels.alreadyThere'],
          [end.results.kept_at_source ?? 0, 'panels.keptAtSource'],
          [end.results.invalid ?? 0, 'panels.invalid'],
        ]
      : [
          [end.counts.succeeded, 'panels.succeeded'],
          [end.counts.unchanged, 'panels.unchanged'],
          [end.counts.failed, 'panels.failed'],
          [end.counts.unknown, 'panels.unknown'],
          [end.counts.invalid, 'panels.invalid'],
          [end.counts.skipped, 'panels.skipped'],
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
  return { state: batchStateWord(state), summary: summary || t('panels.noIds'), color };
}
