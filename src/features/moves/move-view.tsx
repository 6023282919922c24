import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Group,
  Modal,
  Paper,
  Progress,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import {
  moveExportUrl,
  moveKeys,
  moveQueries,
  newIdempotencyKey,
  useStopMove,
  useUndoMove,
} from '../../api/console-queries';
import { moveResults, type MoveItem, type MoveResult, type MoveSummary } from '../../api/schemas';
import { batchStateColors, isBatchActive, isBatchSettled } from '../../lib/batch-states';
import { ErrorText, ItemMessage } from '../../lib/error-text';
import { batchStateWord, dataclassPlural, dataclassSingular, itemStateWord } from '../../lib/words';
import { ObjectName } from '../../lib/object-names';
import { paths } from '../../lib/paths';
import { t as translate, useT, type MessageKey } from '../../i18n/i18n';
import {
  CountBadges,
  Meta,
  ResultFilters,
  RunFacts,
  RunLoadState,
  RunNotes,
  RunPollError,
  usePolledRun,
  type FilterOption,
} from '../../lib/run-view';

/** Polling period of a move that is still running. */
export const MOVE_POLL_MS = 500;
export const MOVE_ITEMS_PAGE_SIZE = 100;
const SEARCH_DEBOUNCE_MS = 300;

export const moveResultColors: Record<MoveResult, string> = {
  pending: 'blue',
  moved: 'green',
  already_at_destination: 'violet',
  kept_at_source: 'orange',
  invalid: 'gray',
};

type ResultFilter = 'all' | MoveResult;

/** What became of an ID, by its result's code. */
const moveResultKeys: Record<MoveResult, MessageKey> = {
  pending: 'moves.resultPending',
  moved: 'moves.resultMoved',
  already_at_destination: 'moves.resultAlreadyAtDestination',
  kept_at_source: 'moves.resultKeptAtSource',
  invalid: 'moves.resultInvalid',
};

/** The words of a move's result in the current language. */
export function moveResultWord(result: MoveResult): string {
  return translate(moveResultKeys[result]) as string;
}

function resultOptions(move: MoveSummary): FilterOption<MoveResult>[] {
  return moveResults.map((r) => ({
    value: r,
    label: moveResultWord(r),
    count: move.results[r],
    color: moveResultColors[r],
  }));
}

/**
 * One move: where from and where to, its progress, what became of each ID (Moved, Already at
 * destination, Kept at source with the reason), the export, the undo, and links to its two batches.
 */
export function MoveView({
  moveId,
  onMoveCreated,
}: {
  moveId: string;
  /** Called with the new move's ID after "Undo move" created it. */
  onMoveCreated: (moveId: string) => void;
}) {
  const detail = usePolledRun(moveQueries.detail(moveId), moveKeys.items(moveId), MOVE_POLL_MS);
  const move = detail.data;

  if (!move) return <RunLoadState noun="move" id={moveId} query={detail} />;

  return (
    <Stack gap="sm">
      <MoveHeader move={move} />
      <RunPollError error={detail.error} />
      {isBatchActive(move.state) && <MoveProgress move={move} />}
      <MoveResults key={move.id} move={move} onMoveCreated={onMoveCreated} />
    </Stack>
  );
}

function MoveHeader({ move }: { move: MoveSummary }) {
  const subject = dataclassSingular(move.dataclass_type);
  const related = dataclassPlural(move.related_dataclass_type);
  const stop = useStopMove();
  const t = useT();
  const end = (which: 'source' | 'destination', id: string) => (
    <ObjectName
      key={which}
      workspaceId={move.workspace_id}
      dataclass={move.dataclass_type}
      id={id}
      copyLabel={which}
    />
  );
  return (
    <Paper withBorder p="xs">
      <Stack gap={4}>
        <Group gap="xs" wrap="wrap" justify="space-between">
          <Group gap="xs" wrap="wrap">
            <Title order={2} size="h5">
              {t('moves.heading', { what: related })}
            </Title>
            <Badge size="sm" variant="light" color={batchStateColors[move.state]}>
              {batchStateWord(move.state)}
            </Badge>
          </Group>
          {move.state === 'running' && (
            <Button
              size="xs"
              variant="default"
              color="red"
              loading={stop.isPending}
              onClick={() => stop.mutate(move.id)}
            >
              {t('moves.stop')}
            </Button>
          )}
        </Group>
        <Text size="sm" component="div">
          {t('moves.fromTo', {
            subject,
            source: end('source', move.source_id),
            destination: end('destination', move.destination_id),
          })}
        </Text>
        <RunFacts noun="move" run={move} pathOf={paths.move}>
          <Meta label={t('moves.batches')}>
            {move.link_batch_id ? (
              <Anchor component={Link} to={paths.batch(move.link_batch_id)} size="xs">
                {t('moves.linkBatch')}
              </Anchor>
            ) : (
              t('moves.linkNotStarted')
            )}
            {' · '}
            {move.unlink_batch_id ? (
              <Anchor component={Link} to={paths.batch(move.unlink_batch_id)} size="xs">
                {t('moves.unlinkBatch')}
              </Anchor>
            ) : (
              <Text span size="xs" c="dimmed">
                {t('moves.unlinkNotStarted')}
              </Text>
            )}
          </Meta>
        </RunFacts>
        <RunNotes reason={move.reason} state={move.state} stateReason={move.state_reason} />
        {stop.isError && (
          <Alert color="red" p="xs" title={t('moves.notStopped')}>
            <ErrorText error={stop.error} />
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}

/** Settled IDs over all IDs. */
export function moveProgress(move: Pick<MoveSummary, 'total' | 'results'>): number {
  if (move.total <= 0) return 100;
  const done = Math.max(0, move.total - move.results.pending);
  return Math.min(100, Math.round((done / move.total) * 1000) / 10);
}

function MoveProgress({ move }: { move: MoveSummary }) {
  const t = useT();
  const percent = moveProgress(move);
  const phase = move.unlink_batch_id ? t('moves.phaseUnlink') : t('moves.phaseLink');
  return (
    <Paper withBorder p="xs">
      <Stack gap={6}>
        <Progress.Root
          size="md"
          role="progressbar"
          aria-label={t('moves.progress')}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={`${percent}%`}
        >
          <Progress.Section value={percent} withAria={false} animated striped />
        </Progress.Root>
        <Text size="xs" style={{ fontVariantNumeric: 'tabular-nums' }}>
          {t('moves.settled', {
            settled: move.total - move.results.pending,
            total: move.total,
            phase,
          })}
        </Text>
      </Stack>
    </Paper>
  );
}

function MoveResults({
  move,
  onMoveCreated,
}: {
  move: MoveSummary;
  onMoveCreated: (moveId: string) => void;
}) {
  const t = useT();
  const headingId = useId();
  const [filter, setFilter] = useState<ResultFilter>('all');
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), SEARCH_DEBOUNCE_MS);
  const [offset, setOffset] = useState(0);
  const [undoOpen, setUndoOpen] = useState(false);
  const result = filter === 'all' ? undefined : filter;
  const items = useQuery({
    ...moveQueries.items(move.id, {
      result,
      q: q || undefined,
      offset,
      limit: MOVE_ITEMS_PAGE_SIZE,
    }),
    placeholderData: keepPreviousData,
    refetchInterval: isBatchActive(move.state) ? MOVE_POLL_MS : false,
  });
  const total = items.data?.total;
  const canUndo = isBatchSettled(move.state) && !move.undone_by;

  return (
    <Paper component="section" aria-labelledby={headingId} withBorder p="xs">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Title order={2} size="h5" id={headingId}>
            {t('moves.results')}
          </Title>
          <Group gap="xs">
            {/* An anchor (the browser streams the download) with the button role of the other
                result actions, Space included. */}
            <Button
              component="a"
              role="button"
              href={moveExportUrl(move.id, 'csv')}
              download={`move-${move.id}.csv`}
              size="xs"
              variant="default"
              onKeyDown={(e) => {
                if (e.key === ' ') {
                  e.preventDefault();
                  e.currentTarget.click();
                }
              }}
            >
              {t('moves.exportCsv')}
            </Button>
            <Button
              size="xs"
              variant="default"
              disabled={!canUndo}
              title={move.undone_by ? t('moves.undoneAlready') : undefined}
              onClick={() => setUndoOpen(true)}
            >
              {t('moves.undo')}
            </Button>
          </Group>
        </Group>
        <CountBadges label={t('moves.countsPerResult')} options={resultOptions(move)} />
        <ResultFilters
          label={t('moves.filterByResult')}
          total={move.total}
          options={resultOptions(move)}
          filter={filter}
          onFilter={(value) => {
            setFilter(value);
            setOffset(0);
          }}
          search={search}
          onSearch={(value) => {
            setSearch(value);
            setOffset(0);
          }}
        />
        {items.isError && (
          <Alert color="red" p="xs" title={t('moves.resultsNotLoaded')}>
            <ErrorText error={items.error} />
          </Alert>
        )}
        <MoveItemsTable items={items.data?.items} loading={items.isPending} />
        <Group justify="space-between" gap="xs">
          <Text
            size="xs"
            c="dimmed"
            aria-live="polite"
            style={{ fontVariantNumeric: 'tabular-nums' }}
          >
            {total === undefined
              ? ' '
              : total === 0
                ? t('moves.noMatchingIds')
                : t('moves.range', {
                    from: offset + 1,
                    to: Math.min(total, offset + MOVE_ITEMS_PAGE_SIZE),
                    total,
                  })}
          </Text>
          {total !== undefined && total > MOVE_ITEMS_PAGE_SIZE && (
            <Group gap="xs">
              <Button
                size="compact-xs"
                variant="default"
                disabled={offset === 0}
                onClick={() => setOffset(Math.max(0, offset - MOVE_ITEMS_PAGE_SIZE))}
              >
                {t('moves.previousPage')}
              </Button>
              <Button
                size="compact-xs"
                variant="default"
                disabled={offset + MOVE_ITEMS_PAGE_SIZE >= total}
                onClick={() => setOffset(offset + MOVE_ITEMS_PAGE_SIZE)}
              >
                {t('moves.nextPage')}
              </Button>
            </Group>
          )}
        </Group>
      </Stack>
      <UndoMoveDialog
        move={move}
        opened={undoOpen}
        onClose={() => setUndoOpen(false)}
        onMoveCreated={onMoveCreated}
      />
    </Paper>
  );
}

function MoveItemsTable({ items, loading }: { items: MoveItem[] | undefined; loading: boolean }) {
  const t = useT();
  return (
    // A plain scrolling box, reachable with the keyboard (Tab, then the arrow keys scroll it).
    <Box
      tabIndex={0}
      role="group"
      aria-label={t('moves.itemsScrollable')}
      style={{
        maxHeight: 480,
        overflow: 'auto',
        border: '1px solid var(--mantine-color-default-border)',
        borderRadius: 'var(--mantine-radius-sm)',
      }}
    >
      <Table
        miw={800}
        stickyHeader
        highlightOnHover
        verticalSpacing={4}
        horizontalSpacing="xs"
        fz="xs"
        aria-label={t('moves.items')}
        aria-busy={loading}
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th w="32%">{t('moves.columnId')}</Table.Th>
            <Table.Th w="16%">{t('moves.columnResult')}</Table.Th>
            <Table.Th>{t('moves.columnReason')}</Table.Th>
            <Table.Th w="10%">{t('moves.columnLink')}</Table.Th>
            <Table.Th w="10%">{t('moves.columnUnlink')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {!items || items.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={5}>
                <Text size="xs" c="dimmed">
                  {loading ? t('moves.loading') : t('moves.noIdsMatch')}
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : (
            items.map((item) => (
              <Table.Tr key={item.id}>
                <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }} translate="no">
                  {item.id}
                </Table.Td>
                <Table.Td c={moveResultColors[item.result] === 'gray' ? 'dimmed' : undefined}>
                  {moveResultWord(item.result)}
                </Table.Td>
                <Table.Td>
                  {item.message ? <ItemMessage code={null} message={item.message} /> : ''}
                </Table.Td>
                <Table.Td>{item.link_state ? itemStateWord(item.link_state) : '—'}</Table.Td>
                <Table.Td>{item.unlink_state ? itemStateWord(item.unlink_state) : '—'}</Table.Td>
              </Table.Tr>
            ))
          )}
        </Table.Tbody>
      </Table>
    </Box>
  );
}

function UndoMoveDialog({
  move,
  opened,
  onClose,
  onMoveCreated,
}: {
  move: MoveSummary;
  opened: boolean;
  onClose: () => void;
  onMoveCreated: (moveId: string) => void;
}) {
  const t = useT();
  const undo = useUndoMove();
  const [key] = useState(() => newIdempotencyKey());
  const back = move.results.moved + move.results.already_at_destination;
  const subject = dataclassSingular(move.dataclass_type);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={t('moves.undoTitle')}
      size="md"
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <Stack gap="sm">
        <Text size="sm">{t('moves.undoText', { subject, count: back })}</Text>
        {undo.isError && (
          <Alert color="red" p="xs" title={t('moves.undoNotCreated')}>
            <ErrorText error={undo.error} />
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" size="sm" data-autofocus onClick={onClose}>
            {t('moves.back')}
          </Button>
          <Button
            size="sm"
            color="red"
            loading={undo.isPending}
            onClick={() =>
              undo.mutate(
                { id: move.id, idempotencyKey: key },
                {
                  onSuccess: (created) => {
                    onClose();
                    onMoveCreated(created.id);
                  },
                },
              )
            }
          >
            {t('moves.confirmUndo')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
