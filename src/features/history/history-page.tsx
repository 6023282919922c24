import {
  Alert,
  Anchor,
  Badge,
  Box,
  Group,
  Pagination,
  Paper,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { describeError } from '../../api/client';
import { batchQueries } from '../../api/console-queries';
import { formatCount, formatLocalDateTime, shortId } from '../../api/format';
import { dataclassLabels, type BatchSummary } from '../../api/schemas';
import { batchStateColors, batchStateLabels, isBatchActive } from '../../lib/batch-states';
import { paths } from '../../lib/paths';

export const HISTORY_PAGE_SIZE = 50;
/** While a listed batch still runs, its counts move: refresh the page now and then. */
const ACTIVE_REFRESH_MS = 2000;

/** Every batch, newest first: one line per batch, each linking to `/batches/{id}`. */
export function HistoryPage() {
  const [page, setPage] = useState(1);
  const list = useQuery({
    ...batchQueries.list((page - 1) * HISTORY_PAGE_SIZE, HISTORY_PAGE_SIZE),
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.items.some((b) => isBatchActive(b.state)) ? ACTIVE_REFRESH_MS : false,
  });
  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE));
  const rows = list.data?.items ?? [];

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="baseline">
        <Title order={1} size="h4">
          History
        </Title>
        <Text size="xs" c="dimmed">
          {list.data ? `${formatCount(total)} batches, newest first` : ''}
        </Text>
      </Group>
      {list.error && (
        <Alert color="red" p="xs" title="The history could not be loaded">
          {describeError(list.error)}
        </Alert>
      )}
      <Paper withBorder>
        {list.isSuccess && total === 0 ? (
          <Text size="sm" c="dimmed" p="md">
            No batches yet. Batches appear here once you associate or cancel associations.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={1100}>
            <Table
              striped
              highlightOnHover
              verticalSpacing={4}
              horizontalSpacing="xs"
              fz="xs"
              aria-label="Batches"
              aria-busy={list.isFetching}
              style={{ opacity: list.isPlaceholderData ? 0.7 : 1 }}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Batch</Table.Th>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Who</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Workspace</Table.Th>
                  <Table.Th>Subject</Table.Th>
                  <Table.Th>Related class</Table.Th>
                  <Table.Th ta="right">Succeeded</Table.Th>
                  <Table.Th ta="right">No change</Table.Th>
                  <Table.Th ta="right">Failed</Table.Th>
                  <Table.Th ta="right">Unknown</Table.Th>
                  <Table.Th ta="right">Invalid</Table.Th>
                  <Table.Th ta="right">Skipped</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Reason</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.isPending ? (
                  <Table.Tr>
                    <Table.Td colSpan={15}>
                      <Text size="xs" c="dimmed">
                        Loading…
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ) : (
                  rows.map((b) => <HistoryRow key={b.id} batch={b} />)
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
      {total > HISTORY_PAGE_SIZE && (
        <Group justify="flex-end">
          <Box component="nav" aria-label="History pages">
            <Pagination
              size="sm"
              total={pages}
              value={Math.min(page, pages)}
              onChange={setPage}
              withEdges
              getControlProps={(control) => ({
                'aria-label': `${control[0]?.toUpperCase()}${control.slice(1)} page`,
              })}
              getItemProps={(n) => ({ 'aria-label': `Page ${n}` })}
            />
          </Box>
        </Group>
      )}
    </Stack>
  );
}

const num = { fontVariantNumeric: 'tabular-nums' } as const;

function HistoryRow({ batch: b }: { batch: BatchSummary }) {
  return (
    <Table.Tr>
      <Table.Td>
        <Stack gap={0}>
          <Anchor
            component={Link}
            to={paths.batch(b.id)}
            size="xs"
            ff="monospace"
            aria-label={`Open batch ${b.id}`}
            title={b.id}
          >
            {shortId(b.id)}
          </Anchor>
          {b.retry_of && (
            <Anchor component={Link} to={paths.batch(b.retry_of)} size="xs" c="dimmed">
              retry of {shortId(b.retry_of)}
            </Anchor>
          )}
          {b.undo_of && (
            <Anchor component={Link} to={paths.batch(b.undo_of)} size="xs" c="dimmed">
              Undo of {shortId(b.undo_of)}
            </Anchor>
          )}
        </Stack>
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <time dateTime={b.created_at}>{formatLocalDateTime(b.created_at)}</time>
      </Table.Td>
      <Table.Td>{b.user}</Table.Td>
      <Table.Td>{b.action === 'associate' ? 'Associate' : 'Cancel association'}</Table.Td>
      <Table.Td>
        <Text span ff="monospace" size="xs" title={b.workspace_id}>
          {shortId(b.workspace_id)}
        </Text>
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        {dataclassLabels[b.dataclass_type].singular}{' '}
        <Text span ff="monospace" size="xs" title={b.data_object_id}>
          {shortId(b.data_object_id)}
        </Text>
      </Table.Td>
      <Table.Td>{dataclassLabels[b.related_dataclass_type].plural}</Table.Td>
      <Table.Td ta="right" style={num}>
        {formatCount(b.counts.succeeded)}
      </Table.Td>
      <Table.Td ta="right" style={num}>
        {b.changes_recorded ? (
          formatCount(b.counts.unchanged)
        ) : (
          <span title="Not tracked: this batch ran before the console recorded what each batch changed">
            <span aria-hidden>—</span>
            <VisuallyHidden>not tracked</VisuallyHidden>
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
        <Badge size="xs" variant="light" color={batchStateColors[b.state]}>
          {batchStateLabels[b.state]}
        </Badge>
        {b.state_reason && (
          <Text size="xs" c="dimmed" title={b.state_reason} lineClamp={1}>
            {b.state_reason}
          </Text>
        )}
      </Table.Td>
      <Table.Td maw={240}>
        <Text size="xs" lineClamp={2} title={b.reason ?? undefined}>
          {b.reason ?? ''}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}
