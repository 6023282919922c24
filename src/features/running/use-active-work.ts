/**
 * The console's unfinished work (running and paused batches, batches of pairs and moves), read
 * from the history (`GET /api/batches?state=running`, then `state=paused`) and polled (also in a
 * hidden tab, so that an end is noticed there): every 2 s while something runs, every 15 s otherwise (work
 * started elsewhere shows up; a batch created here shows at once, as its creation refreshes the
 * history's reads). Work that leaves the list is read once more to learn how it ended.
 */
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { batchQueries, moveQueries } from '../../api/console-queries';
import type { BatchSummary } from '../../api/schemas';
import { isBatchSettled } from '../../lib/batch-states';
import { workNoun, type WorkRow } from './work-words';

/** Polling while something runs, and while nothing does. */
export const RUNNING_POLL_MS = 2_000;
export const IDLE_POLL_MS = 15_000;
/** Rows read per state; the count comes from the answer's `total`. */
const LIST_LIMIT = 50;

/** Work that ended while this tab watched it. */
export interface EndedWork {
  /** Unique per ending (a resumed batch may end again). */
  key: string;
  /** Its final summary (a move's with its `results`). */
  row: WorkRow & Pick<BatchSummary, 'state' | 'counts' | 'kind'>;
}

export interface ActiveWork {
  /** Running first, then paused; newest first within each. */
  rows: WorkRow[];
  /** How many are running or paused (may exceed `rows.length`). */
  count: number;
  running: number;
  ended: EndedWork[];
}

function withState(page: { items: BatchSummary[] } | undefined): WorkRow[] {
  return page?.items ?? [];
}

/** The final summary of work that left the list, or null when it has not ended after all. */
async function readEnd(queryClient: QueryClient, row: WorkRow): Promise<EndedWork | null> {
  if (workNoun(row) === 'move') {
    const move = await queryClient.fetchQuery({ ...moveQueries.detail(row.id), staleTime: 0 });
    if (!isBatchSettled(move.state)) return null;
    return {
      key: `${move.id}:${move.finished_at ?? ''}`,
      row: {
        ...row,
        state: move.state,
        total: move.total,
        counts: move.counts,
        results: move.results,
      },
    };
  }
  const batch = await queryClient.fetchQuery({ ...batchQueries.detail(row.id), staleTime: 0 });
  if (!isBatchSettled(batch.state)) return null;
  return {
    key: `${batch.id}:${batch.finished_at ?? ''}`,
    row: batch,
  };
}

export function useActiveWork(enabled: boolean): ActiveWork {
  const queryClient = useQueryClient();
  const runningList = useQuery({
    ...batchQueries.list(0, LIST_LIMIT, { state: 'running' }),
    enabled,
    refetchInterval: (q) => ((q.state.data?.total ?? 0) > 0 ? RUNNING_POLL_MS : IDLE_POLL_MS),
    refetchIntervalInBackground: true,
  });
  const someRunning = (runningList.data?.total ?? 0) > 0;
  const pausedList = useQuery({
    ...batchQueries.list(0, LIST_LIMIT, { state: 'paused' }),
    enabled,
    refetchInterval: someRunning ? RUNNING_POLL_MS : IDLE_POLL_MS,
    refetchIntervalInBackground: true,
  });
  const running = runningList.data;
  const paused = pausedList.data;
  // null until both states are read: a half-read list must not look like work that ended.
  const rows = useMemo(() => {
    if (!running || !paused) return null;
    const seen = new Set<string>();
    return [...withState(running), ...withState(paused)].filter((r) =>
      seen.has(r.id) ? false : (seen.add(r.id), true),
    );
  }, [running, paused]);

  const watched = useRef(new Map<string, WorkRow>());
  const [ended, setEnded] = useState<EndedWork[]>([]);
  useEffect(() => {
    if (!rows) return;
    const now = new Map(rows.map((r) => [r.id, r]));
    const gone = [...watched.current.values()].filter((r) => !now.has(r.id));
    watched.current = now;
    for (const row of gone) {
      readEnd(queryClient, row).then(
        (end) => {
          if (end)
            setEnded((list) => (list.some((e) => e.key === end.key) ? list : [...list, end]));
        },
        () => undefined, // Deleted or unreadable: nothing to tell.
      );
    }
  }, [rows, queryClient]);

  return {
    rows: rows ?? [],
    count: (running?.total ?? 0) + (paused?.total ?? 0),
    running: running?.total ?? 0,
    ended,
  };
}
