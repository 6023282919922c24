import {
  Alert,
  Anchor,
  Box,
  Button,
  Group,
  NativeSelect,
  Paper,
  Pill,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useT, type MessageKey } from '../../i18n/i18n';
import { Link, useSearchParams, type SetURLSearchParams } from 'react-router';
import { batchQueries, type HistoryFilter } from '../../api/console-queries';
import { formatCount, shortId } from '../../api/format';
import {
  batchKindOf,
  batchStates,
  type BatchState,
  type BatchSummary,
  itemStates,
  type ItemState,
} from '../../api/schemas';
import { isBatchActive } from '../../lib/batch-states';
import { ErrorText } from '../../lib/error-text';
import { ObjectLink, WorkspaceName, type TitleOf } from '../../lib/object-names';
import { TablePager } from '../../lib/linked-table';
import { paths } from '../../lib/paths';
import { RunLink, RunState, RunWhen, runWhat, useNow, useSubjectTitles } from '../../lib/run-rows';
import {
  batchStateWord,
  dataclassCount,
  dataclassLabel,
  dataclassSingular,
  itemStateWord,
} from '../../lib/words';

export const HISTORY_PAGE_SIZE = 50;
/** While a listed batch still runs, its counts move: refresh the page now and then. */
const ACTIVE_REFRESH_MS = 2000;
/** Typing in a text filter waits this long before the URL (and the query) follows. */
export const HISTORY_TYPING_MS = 300;

/** The URL query parameters of the filters (the API's names), and of the page. */
const TEXT_FILTERS = ['q', 'user'] as const;
const ID_FILTERS = [
  ['touches', 'history.filterTouches'],
  ['subject', 'history.filterSubject'],
  ['kind', 'history.filterKind'],
] as const satisfies readonly (readonly [string, MessageKey])[];
const FILTER_PARAMS = ['q', 'user', 'state', 'from', 'to', 'touches', 'subject', 'kind'] as const;
/** The item states counted in a line's columns, in their order. */
const COUNTED_STATES: readonly ItemState[] = itemStates.filter(
  (s) => s !== 'pending' && s !== 'in_flight',
);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A `from`/`to` of the URL as the API reads it: a date picked in the browser is a day of the
 * user's own time zone, sent as its first or last millisecond; anything else is sent as written
 * (the server names what is wrong with it).
 */
export function localDayBound(value: string, bound: 'from' | 'to'): string {
  if (!DATE.test(value)) return value;
  const at = new Date(`${value}T${bound === 'from' ? '00:00:00.000' : '23:59:59.999'}`);
  return Number.isNaN(at.getTime()) ? value : at.toISOString();
}

function isBatchState(value: string): value is BatchState {
  return (batchStates as readonly string[]).includes(value);
}

/** The API's filter of the page's URL. */
function filterOf(params: URLSearchParams): HistoryFilter {
  const get = (name: string) => params.get(name)?.trim() || undefined;
  const state = get('state');
  const from = get('from');
  const to = get('to');
  return {
    q: get('q'),
    user: get('user'),
    // An unknown state is sent as is, so that the server's refusal says what is wrong.
    state: state as BatchState | undefined,
    from: from && localDayBound(from, 'from'),
    to: to && localDayBound(to, 'to'),
    touches: get('touches'),
    subject: get('subject'),
    kind: get('kind'),
  };
}

/** `params` with `name` set to `value` (removed when blank) and back on the first page. */
function withParam(params: URLSearchParams, name: string, value: string): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value === '') next.delete(name);
  else next.set(name, value);
  next.delete('page');
  return next;
}

/**
 * A text filter kept in the URL: the box answers every keystroke, the URL (and so the query)
 * follows once typing pauses. A change of the URL from elsewhere (back, "Clear filters", a pasted
 * link) is shown in the box.
 */
function useUrlText(params: URLSearchParams, setParams: SetURLSearchParams, name: string) {
  const inUrl = params.get(name) ?? '';
  const [text, setText] = useState(inUrl);
  const [seen, setSeen] = useState(inUrl);
  /** What this box last put in the URL: its arrival must not undo keystrokes typed since. */
  const [pushed, setPushed] = useState<string | null>(null);
  if (inUrl !== seen) {
    setSeen(inUrl);
    if (inUrl !== pushed && inUrl !== text.trim()) setText(inUrl);
  }
  const push = useDebouncedCallback((value: string) => {
    setPushed(value.trim());
    setParams((prev) => withParam(prev, name, value.trim()), { replace: true });
  }, HISTORY_TYPING_MS);
  return {
    text,
    change(value: string) {
      setText(value);
      push(value);
    },
    push,
  };
}

/** Every batch, newest first, filtered: one line per batch, each linking to `/batches/{id}`. */
export function HistoryPage() {
  const t = useT();
  const [params, setParams] = useSearchParams();
  const search = useUrlText(params, setParams, 'q');
  const user = useUrlText(params, setParams, 'user');
  const texts = { q: search, user };
  const pageParam = Number(params.get('page'));
  const page = Number.isInteger(pageParam) && pageParam > 1 ? pageParam : 1;
  const filter = filterOf(params);
  const filtered = FILTER_PARAMS.some((name) => (params.get(name) ?? '').trim() !== '');

  const list = useQuery({
    ...batchQueries.list((page - 1) * HISTORY_PAGE_SIZE, HISTORY_PAGE_SIZE, filter),
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.items.some((b) => isBatchActive(b.state)) ? ACTIVE_REFRESH_MS : false,
  });
  const total = list.data?.total ?? 0;
  const rows = list.data?.items ?? [];
  const titleOf = useSubjectTitles(rows);
  const now = useNow();

  const setParam = (name: string, value: string) =>
    setParams((prev) => withParam(prev, name, value));
  const setPage = (n: number) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (n > 1) next.set('page', String(n));
      else next.delete('page');
      return next;
    });
  const clearFilters = () => {
    for (const name of TEXT_FILTERS) texts[name].push.cancel();
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      for (const name of [...FILTER_PARAMS, 'page']) next.delete(name);
      return next;
    });
  };

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="baseline">
        <Title order={1} size="h4">
          {t('history.title')}
        </Title>
        <Text size="xs" c="dimmed" role="status">
          {list.data
            ? filtered
              ? t('history.countFiltered', { count: total })
              : t('history.countAll', { count: total })
            : ''}
        </Text>
      </Group>
      <Box role="search" aria-label={t('history.filterRegion')}>
        <Group gap="xs" align="flex-end" wrap="wrap">
          <TextInput
            label={t('history.search')}
            description={t('history.searchDescription')}
            placeholder={t('history.searchPlaceholder')}
            size="xs"
            w={320}
            value={search.text}
            onChange={(e) => search.change(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') search.push.flush();
            }}
          />
          <NativeSelect
            label={t('history.state')}
            size="xs"
            value={params.get('state') ?? ''}
            onChange={(e) => setParam('state', e.currentTarget.value)}
            data={[
              { value: '', label: t('history.anyState') },
              ...batchStates.map((s) => ({ value: s, label: batchStateWord(s) })),
              // A state the URL names that is none of these is shown, not silently dropped.
              ...(params.get('state') && !isBatchState(params.get('state') ?? '')
                ? [{ value: params.get('state') ?? '', label: params.get('state') ?? '' }]
                : []),
            ]}
          />
          <TextInput
            label={t('history.user')}
            size="xs"
            w={160}
            value={user.text}
            onChange={(e) => user.change(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') user.push.flush();
            }}
          />
          <TextInput
            label={t('history.from')}
            type="date"
            size="xs"
            value={params.get('from') ?? ''}
            max={params.get('to') ?? undefined}
            onChange={(e) => setParam('from', e.currentTarget.value)}
          />
          <TextInput
            label={t('history.to')}
            type="date"
            size="xs"
            value={params.get('to') ?? ''}
            min={params.get('from') ?? undefined}
            onChange={(e) => setParam('to', e.currentTarget.value)}
          />
          <Button size="xs" variant="default" onClick={clearFilters} disabled={!filtered}>
            {t('history.clearFilters')}
          </Button>
        </Group>
        {ID_FILTERS.some(([name]) => params.get(name)) && (
          <Group gap="xs" mt="xs">
            {ID_FILTERS.map(([name, label]) => {
              const value = params.get(name);
              if (!value) return null;
              return (
                <Pill
                  key={name}
                  withRemoveButton
                  onRemove={() => setParam(name, '')}
                  removeButtonProps={{
                    'aria-label': t('history.removeFilter', { label: t(label), value }),
                    'aria-hidden': false,
                    tabIndex: 0,
                  }}
                >
                  {t(label)} <span translate="no">{value}</span>
                </Pill>
              );
            })}
          </Group>
        )}
      </Box>
      {list.error && (
        <Alert color="red" p="xs" title={t('history.loadError')}>
          <ErrorText error={list.error} />
        </Alert>
      )}
      <Paper withBorder>
        {list.isSuccess && total === 0 ? (
          <Text size="sm" c="dimmed" p="md">
            {filtered ? t('history.noMatches') : t('history.empty')}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={1100}>
            <Table
              striped
              highlightOnHover
              verticalSpacing={4}
              horizontalSpacing="xs"
              fz="xs"
              aria-label={t('history.table')}
              aria-busy={list.isFetching}
              style={{ opacity: list.isPlaceholderData ? 0.7 : 1 }}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('history.colBatch')}</Table.Th>
                  <Table.Th>{t('history.colWhen')}</Table.Th>
                  <Table.Th>{t('history.colWho')}</Table.Th>
                  <Table.Th>{t('history.colAction')}</Table.Th>
                  <Table.Th>{t('history.colWorkspace')}</Table.Th>
                  <Table.Th>{t('history.colSubject')}</Table.Th>
                  <Table.Th>{t('history.colRelatedClass')}</Table.Th>
                  {COUNTED_STATES.map((s) => (
                    <Table.Th key={s} ta="right">
                      {itemStateWord(s)}
                    </Table.Th>
                  ))}
                  <Table.Th>{t('history.colState')}</Table.Th>
                  <Table.Th>{t('history.colReason')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.isPending ? (
                  <Table.Tr>
                    <Table.Td colSpan={15}>
                      <Text size="xs" c="dimmed">
                        {t('history.loading')}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ) : (
                  rows.map((b) => <HistoryRow key={b.id} batch={b} titleOf={titleOf} now={now} />)
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
      <TablePager
        label={t('history.pages')}
        total={total}
        pageSize={HISTORY_PAGE_SIZE}
        page={page}
        onChange={setPage}
      />
    </Stack>
  );
}

const num = { fontVariantNumeric: 'tabular-nums' } as const;

function HistoryRow({
  batch: b,
  titleOf,
  now,
}: {
  batch: BatchSummary;
  titleOf: TitleOf;
  now: number;
}) {
  const t = useT();
  const kind = batchKindOf(b);
  const subject = (id: string) => (
    <ObjectLink
      dataclass={b.dataclass_type}
      id={id}
      title={titleOf(b.workspace_id, b.dataclass_type, id)}
      size="xs"
    />
  );
  return (
    <Table.Tr>
      <Table.Td>
        <Stack gap={0}>
          <RunLink kind={kind} id={b.id} />
          {b.retry_of && (
            <Anchor component={Link} to={paths.batch(b.retry_of)} size="xs" c="dimmed">
              {t('history.retryOf', {
                id: (
                  <span key="id" translate="no">
                    {shortId(b.retry_of)}
                  </span>
                ),
              })}
            </Anchor>
          )}
          {b.undo_of && (
            <Anchor component={Link} to={paths.batch(b.undo_of)} size="xs" c="dimmed">
              {t('history.undoOf', {
                id: (
                  <span key="id" translate="no">
                    {shortId(b.undo_of)}
                  </span>
                ),
              })}
            </Anchor>
          )}
        </Stack>
      </Table.Td>
      <Table.Td>
        <RunWhen iso={b.created_at} now={now} />
      </Table.Td>
      <Table.Td>
        <span translate="no">{b.user}</span>
      </Table.Td>
      <Table.Td>{runWhat(kind, b.action)}</Table.Td>
      <Table.Td>
        <WorkspaceName workspaceId={b.workspace_id} copy={false} />
      </Table.Td>
      <Table.Td miw={200} maw={320}>
        {kind === 'pairs' ? (
          dataclassCount(b.dataclass_type, b.subjects ?? 0)
        ) : (
          <Text size="xs" component="div">
            {dataclassSingular(b.dataclass_type)} {subject(b.data_object_id)}
            {kind === 'move' && b.destination_id ? <> → {subject(b.destination_id)}</> : null}
          </Text>
        )}
      </Table.Td>
      <Table.Td>{dataclassLabel(b.related_dataclass_type)}</Table.Td>
      <Table.Td ta="right" style={num}>
        {formatCount(b.counts.succeeded)}
      </Table.Td>
      <Table.Td ta="right" style={num}>
        {b.changes_recorded ? (
          formatCount(b.counts.unchanged)
        ) : (
          <span title={t('history.notTrackedTitle')}>
            <span aria-hidden>—</span>
            <VisuallyHidden>{t('history.notTracked')}</VisuallyHidden>
          </span>
        )}
      </Table.Td>
      <Table.Td ta="right" style={num} c={b.counts.failed > 0 ? 'red' : undefined}>
        {formatCount(b.counts.failed)}
      </Table.Td>
      <Table.Td ta="right" style={num} c={b.counts.unknown > 0 ? 'orange' : undefined}>
        {formatCount(b.counts.unknown)}
      </Table.Td>
      <Table.Td ta="right" style={num}>
        {formatCount(b.counts.invalid)}
      </Table.Td>
      <Table.Td ta="right" style={num}>
        {formatCount(b.counts.skipped)}
      </Table.Td>
      <Table.Td>
        <RunState state={b.state} />
        {b.state_reason && (
          <Text size="xs" c="dimmed" title={b.state_reason} lineClamp={1} translate="no">
            {b.state_reason}
          </Text>
        )}
      </Table.Td>
      <Table.Td maw={240}>
        <Text size="xs" lineClamp={2} title={b.reason ?? undefined} translate="no">
          {b.reason ?? ''}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}
