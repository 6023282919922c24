import {
  ActionIcon,
  Alert,
  Badge,
  Box,
  Group,
  Pagination,
  Paper,
  Progress,
  Radio,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { describeError } from '../../api/client';
import { batchQueries } from '../../api/console-queries';
import { formatCount } from '../../api/format';
import {
  itemStateLabels,
  itemStates,
  type BatchItem,
  type BatchSummary,
  type ItemState,
} from '../../api/schemas';
import { copyText } from './clipboard';
import { isActiveBatchState } from './queries';
import { itemStateColors } from './state-colors';

export const ITEMS_PAGE_SIZE = 100;
const SEARCH_DEBOUNCE_MS = 300;
/** The table refreshes a little slower than the counts: it is heavier and moves less. */
const ITEMS_POLL_MS = 1000;

type StateFilter = 'all' | ItemState;

function isStateFilter(value: string): value is StateFilter {
  return value === 'all' || (itemStates as readonly string[]).includes(value);
}

/** The region "Batch results": counts per state, the filterable per-ID table, result actions. */
export function BatchResults({ batch, children }: { batch: BatchSummary; children?: ReactNode }) {
  const headingId = useId();
  const [filter, setFilter] = useState<StateFilter>('all');
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), SEARCH_DEBOUNCE_MS);
  const [page, setPage] = useState(1);

  const items = useQuery({
    ...batchQueries.items(batch.id, {
      state: filter === 'all' ? undefined : filter,
      q: q || undefined,
      offset: (page - 1) * ITEMS_PAGE_SIZE,
      limit: ITEMS_PAGE_SIZE,
    }),
    placeholderData: keepPreviousData,
    refetchInterval: isActiveBatchState(batch.state) ? ITEMS_POLL_MS : false,
  });
  const total = items.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / ITEMS_PAGE_SIZE));

  return (
    <Paper component="section" aria-labelledby={headingId} withBorder p="xs">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Title order={2} size="h5" id={headingId}>
            Batch results
          </Title>
          {children}
        </Group>
        <StateCounts batch={batch} />
        <Radio.Group
          label="Filter by state"
          size="xs"
          value={filter}
          onChange={(value) => {
            if (isStateFilter(value)) {
              setFilter(value);
              setPage(1);
            }
          }}
        >
          <Group gap="md" mt={4} wrap="wrap">
            <Radio value="all" label="All" description={formatCount(batch.total)} />
            {itemStates.map((s) => (
              <Radio
                key={s}
                value={s}
                label={itemStateLabels[s]}
                description={formatCount(batch.counts[s])}
              />
            ))}
          </Group>
        </Radio.Group>
        <TextInput
          label="Search IDs"
          size="xs"
          maw={420}
          placeholder="Whole or part of an ID"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
        />
        {items.error && (
          <Alert color="red" p="xs" title="The items could not be loaded">
            {describeError(items.error)}
          </Alert>
        )}
        <ItemsTable
          rows={items.data?.items}
          loading={items.isPending}
          stale={items.isPlaceholderData}
        />
        <Group justify="space-between" gap="xs">
          <Text
            size="xs"
            c="dimmed"
            aria-live="polite"
            style={{ fontVariantNumeric: 'tabular-nums' }}
          >
            {items.data
              ? total === 0
                ? 'No matching IDs'
                : `${formatCount(items.data.offset + 1)}–${formatCount(items.data.offset + items.data.items.length)} of ${formatCount(total)} IDs`
              : ' '}
          </Text>
          <Box component="nav" aria-label="Batch results pages">
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
      </Stack>
    </Paper>
  );
}

function StateCounts({ batch }: { batch: BatchSummary }) {
  const total = Math.max(
    1,
    itemStates.reduce((sum, s) => sum + batch.counts[s], 0),
  );
  return (
    <Stack gap={6}>
      <Group
        component="ul"
        aria-label="Counts per state"
        gap={6}
        m={0}
        p={0}
        style={{ listStyle: 'none' }}
      >
        {itemStates.map((s) => (
          <li key={s}>
            <Badge
              size="sm"
              variant={batch.counts[s] > 0 ? 'light' : 'outline'}
              color={itemStateColors[s]}
              style={{ fontVariantNumeric: 'tabular-nums' }}
            >
              {itemStateLabels[s]} {formatCount(batch.counts[s])}
            </Badge>
          </li>
        ))}
      </Group>
      {/* The stacked bar repeats the badges visually, so it stays out of the accessibility tree. */}
      <Progress.Root size="sm" aria-hidden>
        {itemStates.map((s) =>
          batch.counts[s] > 0 ? (
            <Progress.Section
              key={s}
              withAria={false}
              value={(batch.counts[s] / total) * 100}
              color={itemStateColors[s]}
              title={`${itemStateLabels[s]}: ${formatCount(batch.counts[s])}`}
            />
          ) : null,
        )}
      </Progress.Root>
    </Stack>
  );
}

const columns = [
  { label: 'ID', width: '30%' },
  { label: 'State', width: '9%' },
  { label: 'Code', width: '13%' },
  { label: 'Message', width: '26%' },
  { label: 'Request ID', width: '15%' },
  { label: 'Attempts', width: '7%' },
] as const;

function ItemsTable({
  rows,
  loading,
  stale,
}: {
  rows: BatchItem[] | undefined;
  loading: boolean;
  stale: boolean;
}) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table
        layout="fixed"
        striped
        highlightOnHover
        withTableBorder
        verticalSpacing={4}
        horizontalSpacing="xs"
        fz="xs"
        aria-label="Batch items"
        aria-busy={loading || stale}
        style={{ opacity: stale ? 0.7 : 1, transition: 'opacity 120ms' }}
      >
        <colgroup>
          {columns.map((c) => (
            <col key={c.label} style={{ width: c.width }} />
          ))}
        </colgroup>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => (
              <Table.Th key={c.label}>{c.label}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows === undefined || rows.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={columns.length}>
                <Text size="xs" c="dimmed">
                  {loading ? 'Loading…' : 'No IDs match this filter.'}
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : (
            rows.map((item) => <ItemRow key={item.id} item={item} />)
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

const ellipsis = { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;

function ItemRow({ item }: { item: BatchItem }) {
  return (
    <Table.Tr>
      <Table.Td>
        <Group gap={4} wrap="nowrap">
          <Text span ff="monospace" size="xs" style={ellipsis} title={item.id}>
            {item.id}
          </Text>
          <CopyIdButton id={item.id} />
        </Group>
      </Table.Td>
      <Table.Td>
        <Text
          span
          size="xs"
          c={itemStateColors[item.state] === 'gray' ? 'dimmed' : itemStateColors[item.state]}
        >
          {itemStateLabels[item.state]}
        </Text>
      </Table.Td>
      <Table.Td style={ellipsis} title={item.code ?? undefined}>
        <Text span ff="monospace" size="xs">
          {item.code ?? ''}
        </Text>
      </Table.Td>
      <Table.Td style={ellipsis} title={item.message ?? undefined}>
        {item.message ?? ''}
      </Table.Td>
      <Table.Td style={ellipsis} title={item.request_id ?? undefined}>
        <Text span ff="monospace" size="xs">
          {item.request_id ?? ''}
        </Text>
      </Table.Td>
      <Table.Td style={{ fontVariantNumeric: 'tabular-nums' }}>{item.attempts}</Table.Td>
    </Table.Tr>
  );
}

function CopyIdButton({ id }: { id: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const label = `Copy ID ${id}`;
  return (
    <Tooltip
      label={state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
      withArrow
      openDelay={300}
    >
      <ActionIcon
        variant="subtle"
        color={state === 'failed' ? 'red' : 'gray'}
        size="xs"
        aria-label={label}
        onClick={() => {
          copyText(id).then(
            () => setState('copied'),
            () => setState('failed'),
          );
        }}
        onMouseLeave={() => setState('idle')}
      >
        <CopyGlyph copied={state === 'copied'} />
      </ActionIcon>
    </Tooltip>
  );
}

function CopyGlyph({ copied }: { copied: boolean }) {
  return (
    <svg
      width="12"
      height="12"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      aria-hidden
    >
      {copied ? (
        <path d="M5 12l5 5L20 7" />
      ) : (
        <>
          <rect x="9" y="9" width="12" height="12" rx="2" />
          <path d="M5 15V5a2 2 0 0 1 2-2h10" />
        </>
      )}
    </svg>
  );
}
