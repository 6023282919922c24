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
import { describeError } from '../../api/client';
import {
  moveExportUrl,
  moveKeys,
  moveQueries,
  newIdempotencyKey,
  useStopMove,
  useUndoMove,
} from '../../api/console-queries';
import { formatCount, inertText } from '../../api/format';
import {
  dataclassLabels,
  moveResultLabels,
  moveResults,
  type ItemState,
  type MoveItem,
  type MoveResult,
  type MoveSummary,
} from '../../api/schemas';
import {
  batchStateColors,
  batchStateLabels,
  isBatchActive,
  isBatchSettled,
  itemStateLabels,
} from '../../lib/batch-states';
import { ObjectName } from '../../lib/object-names';
import { paths } from '../../lib/paths';
import {
  CountBadges,
  Meta,
  ResultFilters,
  RunFacts,
  RunLoadState,
  RunNotes,
  useRefreshWhenSettled,
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

function resultOptions(move: MoveSummary): FilterOption<MoveResult>[] {
  return moveResults.map((r) => ({
    value: r,
    label: moveResultLabels[r],
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
  const detail = useQuery({
    ...moveQueries.detail(moveId),
    refetchInterval: (query) => (isBatchActive(query.state.data?.state) ? MOVE_POLL_MS : false),
  });
  const move = detail.data;
  useRefreshWhenSettled(moveKeys.items(moveId), move?.state);

  if (!move) return <RunLoadState noun="move" id={moveId} query={detail} />;

  return (
    <Stack gap="sm">
      <MoveHeader move={move} />
      {detail.error && (
        <Alert color="yellow" title="Progress is not updating">
          {describeError(detail.error)}
        </Alert>
      )}
      {isBatchActive(move.state) && <MoveProgress move={move} />}
      <MoveResults key={move.id} move={move} onMoveCreated={onMoveCreated} />
    </Stack>
  );
}

function MoveHeader({ move }: { move: MoveSummary }) {
  const subject = dataclassLabels[move.dataclass_type].singular;
  const related = dataclassLabels[move.related_dataclass_type].plural;
  const stop = useStopMove();
  return (
    <Paper withBorder p="xs">
      <Stack gap={4}>
        <Group gap="xs" wrap="wrap" justify="space-between">
          <Group gap="xs" wrap="wrap">
            <Title order={2} size="h5">
              Move {related.toLowerCase()}
            </Title>
            <Badge size="sm" variant="light" color={batchStateColors[move.state]}>
              {batchStateLabels[move.state]}
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
              Stop move
            </Button>
          )}
        </Group>
        <Text size="sm" component="div">
          From {subject}{' '}
          <ObjectName
            workspaceId={move.workspace_id}
            dataclass={move.dataclass_type}
            id={move.source_id}
            copyLabel="source"
          />{' '}
          to {subject}{' '}
          <ObjectName
            workspaceId={move.workspace_id}
            dataclass={move.dataclass_type}
            id={move.destination_id}
            copyLabel="destination"
          />
        </Text>
        <RunFacts noun="move" run={move} pathOf={paths.move}>
          <Meta label="Batches">
            {move.link_batch_id ? (
              <Anchor component={Link} to={paths.batch(move.link_batch_id)} size="xs">
                Link batch (to the destination)
              </Anchor>
            ) : (
              'link batch not started'
            )}
            {' · '}
            {move.unlink_batch_id ? (
              <Anchor component={Link} to={paths.batch(move.unlink_batch_id)} size="xs">
                Unlink batch (from the source)
              </Anchor>
            ) : (
              <Text span size="xs" c="dimmed">
                unlink batch not started yet
              </Text>
            )}
          </Meta>
        </RunFacts>
        <RunNotes reason={move.reason} state={move.state} stateReason={move.state_reason} />
        {stop.isError && (
          <Alert color="red" p="xs" title="The move could not be stopped">
            {describeError(stop.error)}
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
  const percent = moveProgress(move);
  const phase = move.unlink_batch_id
    ? 'Removing the IDs from the source'
    : 'Linking the IDs with the destination';
  return (
    <Paper withBorder p="xs">
      <Stack gap={6}>
        <Progress.Root
          size="md"
          role="progressbar"
          aria-label="Move progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={`${percent}%`}
        >
          <Progress.Section value={percent} withAria={false} animated striped />
        </Progress.Root>
        <Text size="xs" style={{ fontVariantNumeric: 'tabular-nums' }}>
          {formatCount(move.total - move.results.pending)} of {formatCount(move.total)} IDs settled
          · {phase}
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
            Move results
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
              Export CSV
            </Button>
            <Button
              size="xs"
              variant="default"
              disabled={!canUndo}
              title={move.undone_by ? 'This move was undone already' : undefined}
              onClick={() => setUndoOpen(true)}
            >
              Undo move
            </Button>
          </Group>
        </Group>
        <CountBadges label="Counts per result" options={resultOptions(move)} />
        <ResultFilters
          label="Filter by result"
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
          <Alert color="red" p="xs" title="The results could not be loaded">
            {describeError(items.error)}
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
                ? 'No matching IDs'
                : `${formatCount(offset + 1)}–${formatCount(Math.min(total, offset + MOVE_ITEMS_PAGE_SIZE))} of ${formatCount(total)} ${total === 1 ? 'ID' : 'IDs'}`}
          </Text>
          {total !== undefined && total > MOVE_ITEMS_PAGE_SIZE && (
            <Group gap="xs">
              <Button
                size="compact-xs"
                variant="default"
                disabled={offset === 0}
                onClick={() => setOffset(Math.max(0, offset - MOVE_ITEMS_PAGE_SIZE))}
              >
                Previous page
              </Button>
              <Button
                size="compact-xs"
                variant="default"
                disabled={offset + MOVE_ITEMS_PAGE_SIZE >= total}
                onClick={() => setOffset(offset + MOVE_ITEMS_PAGE_SIZE)}
              >
                Next page
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

function stateWord(state: ItemState | null | undefined): string {
  return state ? itemStateLabels[state] : '—';
}

function MoveItemsTable({ items, loading }: { items: MoveItem[] | undefined; loading: boolean }) {
  return (
    // A plain scrolling box, reachable with the keyboard (Tab, then the arrow keys scroll it).
    <Box
      tabIndex={0}
      role="group"
      aria-label="Move items, scrollable"
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
        aria-label="Move items"
        aria-busy={loading}
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th w="32%">ID</Table.Th>
            <Table.Th w="16%">Result</Table.Th>
            <Table.Th>Reason</Table.Th>
            <Table.Th w="10%">Link</Table.Th>
            <Table.Th w="10%">Unlink</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {!items || items.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={5}>
                <Text size="xs" c="dimmed">
                  {loading ? 'Loading…' : 'No IDs match this filter.'}
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : (
            items.map((item) => (
              <Table.Tr key={item.id}>
                <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {item.id}
                </Table.Td>
                <Table.Td c={moveResultColors[item.result] === 'gray' ? 'dimmed' : undefined}>
                  {moveResultLabels[item.result]}
                </Table.Td>
                <Table.Td>{item.message ? inertText(item.message) : ''}</Table.Td>
                <Table.Td>{stateWord(item.link_state)}</Table.Td>
                <Table.Td>{stateWord(item.unlink_state)}</Table.Td>
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
  const undo = useUndoMove();
  const [key] = useState(() => newIdempotencyKey());
  const back = move.results.moved + move.results.already_at_destination;
  const subject = dataclassLabels[move.dataclass_type].singular;
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Undo this move?"
      size="md"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack gap="sm">
        <Text size="sm">
          A new move puts back what this one changed: the IDs it removed from the source {subject}{' '}
          are linked with it again, and the links it made with the destination are removed (
          {formatCount(back)} {back === 1 ? 'ID' : 'IDs'} moved or found at the destination). Links
          that were there before this move stay as they are.
        </Text>
        {undo.isError && (
          <Alert color="red" p="xs" title="The undo could not be created">
            {describeError(undo.error)}
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" size="sm" data-autofocus onClick={onClose}>
            Back
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
            Confirm undo move
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
