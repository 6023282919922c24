/** The outcome of ended work, in words and a colour (loaded with the end notices). */
import { formatCount } from '../../api/format';
import {
  batchKindOf,
  batchStateLabels,
  type BatchState,
  type BatchSummary,
} from '../../api/schemas';
import type { MoveResults } from './work-words';

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
  const parts: [number, string][] =
    batchKindOf(end) === 'move' && end.results
      ? [
          [end.results.moved ?? 0, 'moved'],
          [end.results.already_at_destination ?? 0, 'already at the destination'],
          [end.results.kept_at_source ?? 0, 'kept at the source'],
          [end.results.invalid ?? 0, 'invalid'],
        ]
      : [
          [end.counts.succeeded, 'succeeded'],
          [end.counts.unchanged, 'no change'],
          [end.counts.failed, 'failed'],
          [end.counts.unknown, 'unknown'],
          [end.counts.invalid, 'invalid'],
          [end.counts.skipped, 'skipped'],
        ];
  const summary = parts
    .filter(([n]) => n > 0)
    .map(([n, words]) => `${formatCount(n)} ${words}`)
    .join(' · ');
  const troubled =
    end.counts.failed + end.counts.unknown > 0 || (end.results?.kept_at_source ?? 0) > 0;
  let color: OutcomeColor = troubled ? 'yellow' : 'green';
  if (state === 'cancelled') color = 'gray';
  if (state === 'interrupted') color = 'red';
  return { state: batchStateLabels[state], summary: summary || 'no IDs', color };
}
