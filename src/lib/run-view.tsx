/**
 * What a batch's page and a move's page share: their loading, not-found and error states, the
 * refresh of the results once the run settles, the facts of the header (ID, workspace, when, who,
 * how many, undo links, reason, why it stopped), and the results' filter and search fields.
 */
import { Alert, Anchor, Badge, Group, Loader, Radio, Stack, Text, TextInput } from '@mantine/core';
import {
  useQuery,
  useQueryClient,
  type QueryKey,
  type UseQueryOptions,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useEffect, useRef, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { formatCount, formatLocalDateTime } from '../api/format';
import type { BatchState } from '../api/schemas';
import { useT } from '../i18n/i18n';
import { isBatchActive, isBatchSettled } from './batch-states';
import { ErrorText } from './error-text';
import { WorkspaceName } from './object-names';

/** "batch" or "move": the words of the states below. */
export type RunNoun = 'batch' | 'move';

/**
 * While the run's summary loads, or when it cannot be shown: a status line, "not found" (404) or
 * the error. Null once the summary is there.
 */
export function RunLoadState({
  noun,
  id,
  query,
}: {
  noun: RunNoun;
  id: string;
  query: Pick<UseQueryResult, 'isPending' | 'data' | 'error'>;
}) {
  const t = useT();
  if (query.isPending) {
    return (
      <Group gap="xs" role="status">
        <Loader size="xs" />
        <Text size="sm">{t('common.loadingRun', { noun })}</Text>
      </Group>
    );
  }
  if (query.data) return null;
  if (query.error instanceof ApiError && query.error.status === 404) {
    return (
      <Alert color="gray" title={t('common.runNotFound', { noun })}>
        <Text size="sm">
          {t('common.runNotFoundText', {
            noun,
            id: (
              <Text span ff="monospace" translate="no" key="id">
                {id}
              </Text>
            ),
          })}
        </Text>
      </Alert>
    );
  }
  return (
    <Alert color="red" title={t('common.runNotLoaded', { noun })}>
      <ErrorText error={query.error} />
    </Alert>
  );
}

/** When a running batch or move settles, the table's last poll may predate the final states. */
export function useRefreshWhenSettled(itemsKey: readonly unknown[], state: BatchState | undefined) {
  const queryClient = useQueryClient();
  const previous = useRef(state);
  const key = JSON.stringify(itemsKey);
  useEffect(() => {
    const was = previous.current;
    previous.current = state;
    if (isBatchActive(was) && isBatchSettled(state)) {
      void queryClient.invalidateQueries({ queryKey: JSON.parse(key) as unknown[] });
    }
  }, [key, state, queryClient]);
}

/**
 * A batch's or a move's summary, polled every `pollMs` while it runs (running or paused), and its
 * results (`itemsKey`) read once more when it settles. What the batch page and the move page share.
 */
export function usePolledRun<T extends { state: BatchState }, K extends QueryKey>(
  options: UseQueryOptions<T, Error, T, K>,
  itemsKey: readonly unknown[],
  pollMs: number,
): UseQueryResult<T, Error> {
  const query = useQuery({
    ...options,
    refetchInterval: (q) => (isBatchActive(q.state.data?.state) ? pollMs : false),
  });
  useRefreshWhenSettled(itemsKey, query.data?.state);
  return query;
}

/** A poll that failed while the summary is shown: "Progress is not updating", and why. */
export function RunPollError({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  return (
    <Alert color="yellow" title={t('common.progressStale')}>
      <ErrorText error={error} />
    </Alert>
  );
}

/** One fact of a header: a dimmed label and its value. */
export function Meta({ label, children }: { label: string; children: ReactNode }) {
  const t = useT();
  return (
    <Text size="xs" component="div">
      <Text span c="dimmed" size="xs">
        {t('common.labelled', { label })}
      </Text>
      {children}
    </Text>
  );
}

/** What a batch's or a move's header says of it besides its subject. */
export interface RunFactsOf {
  id: string;
  workspace_id: string;
  created_at: string;
  finished_at?: string | null | undefined;
  user?: string | null | undefined;
  total: number;
  duplicates: number;
  undo_of?: string | null | undefined;
  undone_by?: string | null | undefined;
}

/**
 * The facts line: the run's ID, its workspace by name, when, by whom, how many IDs, and (after
 * `children`, the kind's own facts) the runs it undoes or that undid it, linked with `pathOf`.
 */
export function RunFacts({
  noun,
  run,
  pathOf,
  children,
}: {
  noun: RunNoun;
  run: RunFactsOf;
  pathOf: (id: string) => string;
  children?: ReactNode;
}) {
  const t = useT();
  return (
    <Group gap="md" wrap="wrap">
      <Meta label={t(noun === 'batch' ? 'common.runBatch' : 'common.runMove')}>
        <Text span ff="monospace" size="xs" translate="no">
          {run.id}
        </Text>
      </Meta>
      <Meta label={t('common.factWorkspace')}>
        <WorkspaceName workspaceId={run.workspace_id} />
      </Meta>
      <Meta label={t('common.factCreated')}>
        <time dateTime={run.created_at}>
          {formatLocalDateTime(run.created_at, { seconds: true })}
        </time>
      </Meta>
      {run.finished_at && (
        <Meta label={t('common.factFinished')}>
          <time dateTime={run.finished_at}>
            {formatLocalDateTime(run.finished_at, { seconds: true })}
          </time>
        </Meta>
      )}
      {run.user && (
        <Meta label={t('common.factBy')}>
          <span translate="no">{run.user}</span>
        </Meta>
      )}
      <Meta label={t('common.factIds')}>
        {formatCount(run.total)}
        {run.duplicates > 0 && t('common.duplicatesDropped', { count: run.duplicates })}
      </Meta>
      {children}
      {run.undo_of && (
        <Meta label={t('common.factUndo')}>
          <Anchor component={Link} to={pathOf(run.undo_of)} size="xs" title={run.undo_of}>
            {t('common.undoOf', {
              id: (
                <span key="id" translate="no">
                  {run.undo_of.slice(0, 8)}
                </span>
              ),
            })}
          </Anchor>
        </Meta>
      )}
      {run.undone_by && (
        <Meta label={t('common.factUndone')}>
          <Anchor component={Link} to={pathOf(run.undone_by)} size="xs" title={run.undone_by}>
            {t('common.undoneBy', {
              id: (
                <span key="id" translate="no">
                  {run.undone_by.slice(0, 8)}
                </span>
              ),
            })}
          </Anchor>
        </Meta>
      )}
    </Group>
  );
}

/** The run's reason, and why it stopped or what its state means (`state_reason`). */
export function RunNotes({
  reason,
  state,
  stateReason,
}: {
  reason: string | null | undefined;
  state: BatchState;
  stateReason: string | null | undefined;
}) {
  const t = useT();
  // The reason is the analyst's own text, the state reason the server's (English): data.
  return (
    <>
      {reason && (
        <Text size="xs">
          <Text span c="dimmed" size="xs">
            {t('common.labelled', { label: t('common.reason') })}
          </Text>
          <span translate="no">{reason}</span>
        </Text>
      )}
      {state === 'interrupted' && (
        <Alert color="red" p="xs" title={t('common.stoppedBySystem')}>
          {stateReason ? (
            <Text size="xs" translate="no">
              {stateReason}
            </Text>
          ) : (
            <Text size="xs">{t('common.noReason')}</Text>
          )}
        </Alert>
      )}
      {state !== 'interrupted' && stateReason && (
        <Text size="xs" c="dimmed" translate="no">
          {stateReason}
        </Text>
      )}
    </>
  );
}

/** One value of a results filter: its word, its count and (for the badges) its colour. */
export interface FilterOption<V extends string> {
  value: V;
  label: string;
  count: number;
  color: string;
}

/** The count of every value as badges (a list named `label`); an empty value is outlined. */
export function CountBadges<V extends string>({
  label,
  options,
}: {
  label: string;
  options: readonly FilterOption<V>[];
}) {
  return (
    <Group component="ul" aria-label={label} gap={6} m={0} p={0} style={{ listStyle: 'none' }}>
      {options.map((o) => (
        <li key={o.value}>
          <Badge
            size="sm"
            variant={o.count > 0 ? 'light' : 'outline'}
            color={o.color}
            style={{ fontVariantNumeric: 'tabular-nums' }}
          >
            {o.label} {formatCount(o.count)}
          </Badge>
        </li>
      ))}
    </Group>
  );
}

/**
 * The results' radio group (`label`: "All" and one radio per value, each with its count) and the
 * "Search IDs" field. `onFilter` gets only the values offered.
 */
export function ResultFilters<V extends string>({
  label,
  total,
  options,
  filter,
  onFilter,
  search,
  onSearch,
}: {
  label: string;
  total: number;
  options: readonly FilterOption<V>[];
  filter: 'all' | V;
  onFilter: (value: 'all' | V) => void;
  search: string;
  onSearch: (value: string) => void;
}) {
  const t = useT();
  return (
    <Stack gap="xs">
      <Radio.Group
        label={label}
        size="xs"
        value={filter}
        onChange={(value) => {
          const option = options.find((o) => o.value === value);
          if (value === 'all') onFilter('all');
          else if (option) onFilter(option.value);
        }}
      >
        <Group gap="md" mt={4} wrap="wrap">
          <Radio value="all" label={t('common.filterAll')} description={formatCount(total)} />
          {options.map((o) => (
            <Radio
              key={o.value}
              value={o.value}
              label={o.label}
              description={formatCount(o.count)}
            />
          ))}
        </Group>
      </Radio.Group>
      <TextInput
        label={t('common.searchIds')}
        size="xs"
        maw={420}
        placeholder={t('common.searchIdsPlaceholder')}
        value={search}
        onChange={(e) => onSearch(e.currentTarget.value)}
      />
    </Stack>
  );
}
